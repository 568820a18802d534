/**
 * Live calls as 8x8, MessageBird and Huawei ODFS make them, against a runtime: connections made through
 * the API, each request signed as its vendor signs it, each vendor driven through a call the way it drives
 * one, and what a caller hears read back out of each vendor's own answer. Also a decider as a user writes
 * one: a small HTTP server that checks the Standard Webhooks signature, or one that never answers.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import * as z from 'zod';
import { CallActionResponse } from '../../functions/vendors/8x8/schema';
import { CallFlow } from '../../functions/vendors/messagebird/schema';
import type { CallEvent } from '../../shared/events';
import { authenticatorFor, type Connection, createConnection } from '../../tools/traffic';
import { send } from '../../tools/traffic/http';
import type { WireRequest } from '../../tools/traffic/plan';
import { fixtureJson } from './fixtures';
import type { Reply, TestRuntime } from './runtime';

export type LiveVendor = '8x8' | 'messagebird' | 'huawei-odfs';
export const LIVE: readonly LiveVendor[] = ['8x8', 'messagebird', 'huawei-odfs'];

/** Each vendor's own way of writing a number: 8x8 E.164, MessageBird digits, Huawei's IVR national. */
export const written: Record<LiveVendor, (e164: string) => string> = {
  '8x8': (e164) => e164,
  messagebird: (e164) => e164.slice(1),
  'huawei-odfs': (e164) => e164.replace(/^\+86/, ''),
};

export const SALES = '+8613911112222';
export const SUPPORT = '+8613922223333';

/** The IVR as a user writes it once: greeting, a menu, a branch on the digit, a bridge. */
export const IVR = [
  { id: 'greet', action: 'say', options: { payload: 'Welcome to Acme.', language: 'en-gb' } },
  {
    id: 'menu',
    action: 'gather',
    options: {
      payload: 'Press 1 for sales, 2 for support.',
      language: 'en-gb',
      maxDigits: 1,
      timeout: 5,
      branches: { '1': 'sales', '2': 'support', timeout: 'bye' },
    },
  },
  { id: 'sales', action: 'connect', options: { destination: SALES, mask: true } },
  { action: 'hangup' },
  { id: 'support', action: 'connect', options: { destination: SUPPORT } },
  { action: 'hangup' },
  { id: 'bye', action: 'say', options: { payload: 'Goodbye.' } },
  { action: 'hangup' },
];

export const FALLBACK = [
  { action: 'say', options: { payload: 'We cannot take your call just now. Please call again later.' } },
  { action: 'hangup' },
];

// ---- vendors, as they call ----------------------------------------------------------------------------

export interface Live {
  readonly vendor: LiveVendor;
  readonly connection: Connection;
  /** Sends a request as the vendor signs it; ms is how long the answer took. */
  send(request: WireRequest): Promise<Reply & { ms: number }>;
}

export async function liveVendor(runtime: TestRuntime, vendor: LiveVendor, tenantId: string): Promise<Live> {
  const connection = await createConnection(runtime.url, runtime.apiToken, vendor, { tenantId });
  const auth = authenticatorFor(connection, {
    now: () => new Date(),
    getToken: (request) => send(fetch, request, 10_000),
  });
  return {
    vendor,
    connection,
    send: async (wire) => {
      const signed = await auth.sign(wire);
      const started = performance.now();
      const reply = await runtime.request(signed.url, {
        method: signed.method,
        headers: signed.headers,
        ...(signed.body !== undefined ? { body: signed.body } : {}),
      });
      return { ...reply, ms: performance.now() - started };
    },
  };
}

export const JsonObject = z.record(z.string(), z.unknown());
export const json = (body: unknown) => JSON.stringify(body);

/** 8x8's call action (its number-masking sample), for one call of its own. */
export function eightCallAction(
  call: { callId: string; from: string; to: string },
  more: Record<string, unknown> = {},
) {
  const sample = z
    .object({ payload: JsonObject })
    .loose()
    .parse(fixtureJson('8x8', 'vca-number-masking.json'));
  const payload = {
    ...sample.payload,
    eventId: randomUUID(),
    callId: call.callId,
    sessionId: call.callId,
    source: call.from,
    destination: call.to,
    callStatus: 'CALL_RECEIVED',
    ...more,
  };
  return {
    route: 'webhook',
    url: 'webhook',
    path: '',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: json({ ...sample, payload }),
  } satisfies WireRequest;
}

/** MessageBird's first call-flow fetch of a call, a GET with the call's ids and numbers. */
export function birdFirstFetch(call: { callId: string; from: string; to: string }): WireRequest {
  const query = new URLSearchParams({
    callID: call.callId,
    legID: `${call.callId}-leg`,
    source: call.from,
    destination: call.to,
  });
  return {
    route: 'callFlow',
    url: 'callFlow',
    path: '',
    method: 'GET',
    query: query.toString(),
    headers: {},
  };
}

/** MessageBird's fetch of the URL a fetchCallFlow step named, a POST with the keys it stored. */
export function birdNextFetch(
  connection: Connection,
  nextUrl: string,
  body: Record<string, string>,
): WireRequest {
  const base = connection.webhookUrls.callFlow ?? '';
  const url = new URL(nextUrl);
  expect(`${url.origin}${url.pathname}`).toBe(base);
  return {
    route: 'callFlow',
    url: 'callFlow',
    path: '',
    method: 'POST',
    query: url.search.slice(1),
    headers: { 'content-type': 'application/json' },
    body: json(body),
  };
}

/** A Huawei ODFS dialog turn; the authenticator puts the IVR's token in. */
export function odfsTurn(inaction: number, inparams: Record<string, string>): WireRequest {
  return {
    route: 'process',
    url: 'odfsBase',
    path: '/oifde/rest/crs/process',
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=UTF-8' },
    body: json({ userid: inparams.call_id, inaction, inparams }),
  };
}

export const OdfsAnswer = z.looseObject({
  outaction: z.number(),
  outparams: z.record(z.string(), z.unknown()),
});

export function odfsInit(call: { callId: string; from: string; to: string }) {
  return odfsTurn(8, {
    call_id: call.callId,
    call_sor_id: call.from,
    call_dst_id: '10086',
    real_callee: call.to,
    cti_callid: `${call.callId}-cti`,
    call_media_type: '1',
  });
}

export function odfsResult(call: { callId: string }, inter: number, flowResultType: string, input: string) {
  return odfsTurn(9, {
    call_id: call.callId,
    call_dst_id: '10086',
    flow_result_type: flowResultType,
    input,
    inter_idx: String(inter),
    inter_no: '0',
  });
}

/** What the caller hears and where the call goes, the same for every vendor, from its own answer. */
export interface Heard {
  readonly said: string[];
  /** The number the call was bridged to, E.164. */
  readonly bridged?: string | undefined;
  /** The caller id the bridge shows, as the vendor wrote it. */
  readonly shown?: string | undefined;
  readonly hungUp: boolean;
}

export function heardOn8x8(reply: Reply): Heard & { clientActionId: string } {
  const answer = CallActionResponse.parse(reply.json);
  const said: string[] = [];
  let bridged: string | undefined;
  let shown: string | undefined;
  let hungUp = false;
  for (const step of answer.callflow) {
    const params = JsonObject.parse('params' in step ? step.params : {});
    if (step.action === 'say') said.push(String(params.text));
    if (step.action === 'sayAndCapture') said.push(String(params.promptMessage));
    if (step.action === 'makeCall') {
      bridged = String(params.destination);
      shown = String(params.source);
    }
    if (step.action === 'hangup') hungUp = true;
  }
  return { said, bridged, shown, hungUp, clientActionId: answer.clientActionId ?? '' };
}

export function heardOnMessageBird(reply: Reply): Heard & { next?: string; variable?: string } {
  const flow = CallFlow.parse(JSON.parse(reply.text));
  const said: string[] = [];
  let bridged: string | undefined;
  let shown: string | undefined;
  let hungUp = false;
  let next: string | undefined;
  let variable: string | undefined;
  for (const step of flow.steps) {
    const options = JsonObject.parse('options' in step ? (step.options ?? {}) : {});
    if (step.action === 'say') said.push(String(options.payload));
    if (step.action === 'transfer') {
      bridged = `+${String(options.destination)}`;
      shown = options.mask === true ? 'masked' : undefined;
    }
    if (step.action === 'hangup') hungUp = true;
    if (step.action === 'fetchCallFlow') next = String(options.url);
    if ('onKeypressVar' in step && typeof step.onKeypressVar === 'string') variable = step.onKeypressVar;
  }
  return { said, bridged, shown, hungUp, ...(next ? { next } : {}), ...(variable ? { variable } : {}) };
}

export function heardOnHuawei(reply: Reply): Heard {
  const answer = OdfsAnswer.parse(reply.json);
  const out = answer.outparams;
  switch (answer.outaction) {
    case 9:
      return { said: [String(out.prompt_text)], hungUp: false };
    case 11:
      return { said: [], bridged: String(out.route_value), shown: String(out.calling_num), hungUp: false };
    case 10:
      return { said: [], hungUp: true };
    default:
      throw new Error(`unexpected outaction ${answer.outaction}: ${reply.text}`);
  }
}

/**
 * One call through the IVR on a vendor, the caller pressing `digit`: what was heard turn by turn, merged.
 * Each vendor is driven as it drives a call: 8x8 answers a call action with a whole callflow and comes
 * back with the digits; MessageBird fetches again where the flow told it to; Huawei asks a turn at a time.
 */
export async function callThroughIvr(live: Live, from: string, to: string, digit: string): Promise<Heard> {
  const call = { callId: randomUUID(), from: written[live.vendor](from), to: written[live.vendor](to) };
  const heard: Heard[] = [];
  switch (live.vendor) {
    case '8x8': {
      const first = await live.send(eightCallAction(call));
      expect(first.status, first.text).toBe(200);
      const greeting = heardOn8x8(first);
      const pressed = await live.send(
        eightCallAction(call, {
          callStatus: 'ACTION_COMPLETED',
          clientActionId: greeting.clientActionId,
          eventData: { dtmf: digit },
        }),
      );
      expect(pressed.status, pressed.text).toBe(200);
      heard.push(greeting, heardOn8x8(pressed));
      break;
    }
    case 'messagebird': {
      const first = await live.send(birdFirstFetch(call));
      expect(first.status, first.text).toBe(200);
      const greeting = heardOnMessageBird(first);
      if (!greeting.next || !greeting.variable) throw new Error(`no fetch back: ${first.text}`);
      const pressed = await live.send(
        birdNextFetch(live.connection, greeting.next, {
          callId: call.callId,
          legId: `${call.callId}-leg`,
          source: call.from,
          destination: call.to,
          [greeting.variable]: digit,
        }),
      );
      expect(pressed.status, pressed.text).toBe(200);
      heard.push(greeting, heardOnMessageBird(pressed));
      break;
    }
    case 'huawei-odfs': {
      // The greeting plays, then the menu; the IVR reports each prompt played over, then the digit.
      const turns = [odfsInit(call), odfsResult(call, 1, '3', 'playover'), odfsResult(call, 2, '2', digit)];
      for (const turn of turns) {
        const reply = await live.send(turn);
        expect(reply.status, reply.text).toBe(200);
        heard.push(heardOnHuawei(reply));
      }
      break;
    }
  }
  return {
    said: heard.flatMap((h) => h.said),
    bridged: heard.find((h) => h.bridged)?.bridged,
    shown: heard.find((h) => h.bridged)?.shown,
    hungUp: heard.some((h) => h.hungUp),
  };
}

/** The first answer a vendor gives a new call from `from` to `to`: what the caller hears first. */
export async function firstAnswer(live: Live, from: string, to: string) {
  const call = { callId: randomUUID(), from: written[live.vendor](from), to: written[live.vendor](to) };
  const request =
    live.vendor === '8x8'
      ? eightCallAction(call)
      : live.vendor === 'messagebird'
        ? birdFirstFetch(call)
        : odfsInit(call);
  const reply = await live.send(request);
  return { reply, request, call };
}

export function heardOn(vendor: LiveVendor, reply: Reply): Heard {
  return vendor === '8x8'
    ? heardOn8x8(reply)
    : vendor === 'messagebird'
      ? heardOnMessageBird(reply)
      : heardOnHuawei(reply);
}

/** What the bridge shows as the caller, as each vendor says it: the number, or MessageBird's mask flag. */
export function shownAs(vendor: LiveVendor, e164: string): string {
  return vendor === 'messagebird' ? 'masked' : written[vendor](e164);
}

export function responded(events: readonly CallEvent[], vendor: LiveVendor) {
  return events
    .filter((event) => event.type === 'action.responded' && event.vendor === vendor)
    .map((e) => e.action);
}

// ---- a decider, as a user would write one ---------------------------------------------------------------

export const DeciderCall = z.looseObject({
  call: z.looseObject({ vendor: z.string(), sessionId: z.string() }),
  event: z.looseObject({ type: z.string() }),
  input: z.looseObject({ value: z.string() }).optional(),
});

export interface DeciderServer {
  readonly url: string;
  readonly asked: z.infer<typeof DeciderCall>[];
  /** Requests whose Standard Webhooks signature did not verify with the secret. */
  readonly badSignatures: number;
  secret: string;
  close(): Promise<void>;
}

export async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** The IVR above, decided a turn at a time by the user's own code; or a decider that never answers. */
export async function startDecider(mode: 'ivr' | 'silent'): Promise<DeciderServer> {
  const asked: z.infer<typeof DeciderCall>[] = [];
  const state = { badSignatures: 0 };
  const held: Array<() => void> = [];
  const server: Server = createServer(async (request, response) => {
    const body = await bodyOf(request);
    if (mode === 'silent') {
      held.push(() => response.destroy());
      return;
    }
    const id = String(request.headers['webhook-id']);
    const timestamp = String(request.headers['webhook-timestamp']);
    const key = Buffer.from(decider.secret.slice('whsec_'.length), 'base64');
    const expected = `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
    if (request.headers['webhook-signature'] !== expected) {
      state.badSignatures += 1;
      response.writeHead(401).end();
      return;
    }
    const question = DeciderCall.parse(JSON.parse(body));
    asked.push(question);
    const [greet, menu, sales, , support, , bye, hangup] = IVR;
    const { branches: _branches, ...menuOptions } = menu?.options ?? {};
    const steps =
      question.event.type === 'call.started'
        ? [greet, { ...menu, options: menuOptions }]
        : question.input?.value === '1'
          ? [sales, hangup]
          : question.input?.value === '2'
            ? [support, hangup]
            : [bye, hangup];
    response.writeHead(200, { 'content-type': 'application/json' }).end(json({ steps }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const decider: DeciderServer = {
    url: `http://127.0.0.1:${port}/decide`,
    asked,
    get badSignatures() {
      return state.badSignatures;
    },
    secret: '',
    close: async () => {
      for (const release of held) release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return decider;
}

export const DeciderAssigned = z.object({
  data: z.tuple([z.looseObject({ decider: z.looseObject({ secret: z.string() }) })]),
});

/** A tenant of its own per describe block: tests share DynamoDB Local, and numbers are per tenant. */
export const newTenant = () => `ivr-${randomUUID().slice(0, 8)}`;

/** One connection of each live vendor, in one tenant. */
export async function liveVendors(on: TestRuntime, tenantId: string): Promise<Live[]> {
  const out: Live[] = [];
  for (const vendor of LIVE) out.push(await liveVendor(on, vendor, tenantId));
  return out;
}

/** The live vendors' answer deadline (each vendor's meta.ts): the answer must have left before it. */
export const DEADLINE_MS = 2_000;

/** Sets the connection's fallback flow through the API. */
export async function withFallback(on: TestRuntime, live: Live) {
  const set = await on.api('PUT', `/v1/connections/${live.connection.id}/call-control`, {
    tenantId: live.connection.tenantId,
    fallback: { steps: FALLBACK },
  });
  expect(set.status, set.text).toBe(200);
}

/** The caller hears the connection's fallback flow, answered inside the deadline. */
export function expectFallback(vendor: LiveVendor, reply: Reply & { ms: number }) {
  expect(reply.status, reply.text).toBe(200);
  expect(reply.ms).toBeLessThan(DEADLINE_MS);
  expect(heardOn(vendor, reply).said).toEqual([FALLBACK[0]?.options?.payload]);
}
