/**
 * Where a live call is between two requests: which program it runs (a call flow at a revision, a decider,
 * a masking session, the connection's fallback) and its cursor in it. Vendors that echo a value back carry
 * it for us (8x8's clientActionId, the query of MessageBird's next fetch URL), so a call goes on even when
 * the store cannot be read; Huawei, which echoes nothing we choose, keeps it in the dialog's state.
 *
 * Encoded compactly (`ch1.` + base64url JSON with short keys) and read back through a schema: a value a
 * vendor echoes is external input.
 */
import * as z from 'zod';
import { Cursor } from './engine';
import { Steps } from './steps';

export const ProgramRef = z.discriminatedUnion('kind', [
  /** A saved call flow; `rev` is its revision when the call started (a later edit does not move a call). */
  z.object({ kind: z.literal('flow'), flowId: z.string().min(1).max(64), rev: z.number().int().min(0) }),
  /** A decider: asked again at every turn that needs a decision, found the way it was found first. */
  z.object({
    kind: z.literal('decider'),
    via: z.enum(['number', 'connection']),
    number: z.string().max(32).optional(),
  }),
  /** A masking session's bridge or refusal. */
  z.object({ kind: z.literal('masking'), sessionId: z.string().min(1).max(64) }),
  /** The connection's fallback: what a call gets when deciding could not finish. */
  z.object({ kind: z.literal('fallback') }),
  /** The vendor's own default answer from the connection's settings (for connections without call flows). */
  z.object({ kind: z.literal('native') }),
]);
export type ProgramRef = z.infer<typeof ProgramRef>;

export const Continuation = z.object({
  program: ProgramRef,
  cursor: Cursor,
  /**
   * A decider's answer still being played, for a vendor that plays one step per request (Huawei): its next
   * steps play without asking the decider again, which is asked only where the answer needs input or ends.
   */
  steps: Steps.optional(),
});
export type Continuation = z.infer<typeof Continuation>;

const PREFIX = 'ch1.';

/** Short keys on the wire: a continuation rides in a vendor's field or URL. */
const Wire = z.object({
  p: ProgramRef,
  a: z.number().int().min(0),
  v: z.record(z.string(), z.string()).optional(),
  w: z
    .union([
      z.tuple([z.number().int().min(0), z.number().int().min(1)]),
      z.tuple([z.number().int().min(0), z.number().int().min(1), z.string()]),
    ])
    .optional(),
  t: z.number().int().min(0),
  e: z.literal(1).optional(),
  s: Steps.optional(),
});

export function encodeContinuation(continuation: Continuation): string {
  const { program, cursor, steps } = continuation;
  const wire: z.infer<typeof Wire> = {
    p: program,
    a: cursor.at,
    ...(Object.keys(cursor.vars).length ? { v: cursor.vars } : {}),
    ...(cursor.awaiting
      ? {
          w: cursor.awaiting.variable
            ? [cursor.awaiting.index, cursor.awaiting.attempt, cursor.awaiting.variable]
            : [cursor.awaiting.index, cursor.awaiting.attempt],
        }
      : {}),
    t: cursor.turns,
    ...(cursor.ended ? { e: 1 as const } : {}),
    ...(steps ? { s: steps } : {}),
  };
  return `${PREFIX}${Buffer.from(JSON.stringify(wire)).toString('base64url')}`;
}

/** The continuation a vendor echoed, or undefined when the value is not one of ours (or was tampered with). */
export function decodeContinuation(value: string | undefined): Continuation | undefined {
  if (!value?.startsWith(PREFIX)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(value.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const wire = Wire.safeParse(json);
  if (!wire.success) return undefined;
  const cursor = Cursor.safeParse({
    at: wire.data.a,
    vars: wire.data.v ?? {},
    ...(wire.data.w
      ? {
          awaiting: {
            index: wire.data.w[0],
            attempt: wire.data.w[1],
            ...(wire.data.w[2] !== undefined ? { variable: wire.data.w[2] } : {}),
          },
        }
      : {}),
    turns: wire.data.t,
    ...(wire.data.e ? { ended: true } : {}),
  });
  if (!cursor.success) return undefined;
  return { program: wire.data.p, cursor: cursor.data, ...(wire.data.s ? { steps: wire.data.s } : {}) };
}
