/**
 * Where the time goes: CPU time of this process's main thread, of the whole process and of DynamoDB
 * Local's JVM (from /proc, Linux only), and a CPU profile of the main thread (node:inspector), its
 * samples attributed to the stage of the pipeline that ran them.
 *
 * A sample belongs to the nearest frame of this repository on its stack (a webhook handler, the fold, the
 * local queues, …); shared code (shared/) is passed over for the caller that used it. Samples with no
 * repository frame (a socket callback parsing a DynamoDB answer, the garbage collector) go by the package
 * or runtime part of their own frame.
 */
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** CPU seconds, from /proc/<pid>/task/<tid>/stat or /proc/<pid>/stat (utime + stime, in clock ticks). */
function cpuSecondsOf(path: string): number | undefined {
  try {
    const stat = readFileSync(path, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    // Linux's USER_HZ is 100 on every architecture Node supports.
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / 100 : undefined;
  } catch {
    return undefined;
  }
}

export interface CpuClock {
  /** This process's main thread (the JavaScript event loop). */
  readonly mainThread: number | undefined;
  /** This process, every thread (GC helpers, libuv's pool, …). */
  readonly process: number;
  /** DynamoDB Local's JVM. */
  readonly dynamo: number | undefined;
  readonly wall: number;
}

export function readCpu(dynamoPid: number | undefined): CpuClock {
  const usage = process.cpuUsage();
  return {
    mainThread: cpuSecondsOf(`/proc/${process.pid}/task/${process.pid}/stat`),
    process: (usage.user + usage.system) / 1e6,
    dynamo: dynamoPid === undefined ? undefined : cpuSecondsOf(`/proc/${dynamoPid}/stat`),
    wall: performance.now() / 1000,
  };
}

export interface CpuSpent {
  readonly wallSeconds: number;
  readonly mainThreadSeconds: number | undefined;
  readonly processSeconds: number;
  readonly dynamoSeconds: number | undefined;
  /** CPU seconds per wall second: 1.0 is one core kept busy. */
  readonly mainThreadLoad: number | undefined;
  readonly processLoad: number;
  readonly dynamoLoad: number | undefined;
}

export function cpuBetween(from: CpuClock, to: CpuClock): CpuSpent {
  const wall = to.wall - from.wall;
  const diff = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : b - a;
  const main = diff(from.mainThread, to.mainThread);
  const dynamo = diff(from.dynamo, to.dynamo);
  const proc = to.process - from.process;
  return {
    wallSeconds: wall,
    mainThreadSeconds: main,
    processSeconds: proc,
    dynamoSeconds: dynamo,
    mainThreadLoad: main === undefined ? undefined : main / wall,
    processLoad: proc / wall,
    dynamoLoad: dynamo === undefined ? undefined : dynamo / wall,
  };
}

const CallFrame = z.object({ functionName: z.string(), url: z.string() });
const ProfileNode = z.object({
  id: z.number(),
  callFrame: CallFrame,
  children: z.array(z.number()).optional(),
});
const Profile = z.object({
  nodes: z.array(ProfileNode),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});
type ProfileNode = z.infer<typeof ProfileNode>;

const STAGES: readonly [RegExp, string][] = [
  [/^functions\/vendors\//, 'webhook handlers'],
  [/^functions\/state\/(route|router)\.ts/, 'router'],
  [/^functions\/state\//, 'state fold'],
  [/^functions\/requests\//, 'requests keeper'],
  [/^functions\/outbox\//, 'outbox drain'],
  [/^functions\//, 'other functions'],
  [/^local\/(durable-queue|sqs-endpoint)\.ts/, 'local SQS (queues, endpoint)'],
  [/^local\/(event-bus|event-pattern)\.ts/, 'local EventBridge bus'],
  [/^local\/(runtime|api-gateway)\.ts/, 'local HTTP front (API Gateway)'],
  [/^local\/(dynamodb-proxy|capacity)\.ts/, 'DynamoDB proxy'],
  [/^local\//, 'local other'],
  [/^tools\/traffic\//, 'traffic generator (the load)'],
  [/^bench\//, 'bench'],
];

function repoPath(url: string): string | undefined {
  if (!url.startsWith('file://')) return undefined;
  const path = fileURLToPath(url);
  if (!path.startsWith(ROOT) || path.includes('/node_modules/')) return undefined;
  return path.slice(ROOT.length);
}

function stageOf(node: ProfileNode): string | undefined {
  const path = repoPath(node.callFrame.url);
  if (path === undefined || path.startsWith('shared/')) return undefined;
  return STAGES.find(([pattern]) => pattern.test(path))?.[1] ?? path;
}

/** What a frame with no repository frame above it is. */
function leafOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'garbage collector';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    return `native: ${functionName || '(anonymous)'}`;
  }
  if (url.startsWith('node:')) {
    if (url.includes('undici')) return 'node fetch (undici)';
    const module =
      url
        .replace(/^node:(internal\/)?/, '')
        .split(/[/_]/)
        .find(Boolean) ?? 'other';
    return `node ${module}`;
  }
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg) {
    if (pkg.startsWith('@aws-sdk/') || pkg.startsWith('@smithy/')) return 'AWS SDK (no caller on stack)';
    return `${pkg} (no caller on stack)`;
  }
  const path = repoPath(url);
  if (path?.startsWith('shared/')) return 'shared/ (no caller on stack)';
  return url;
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Milliseconds by stage, most first. */
  readonly stages: readonly { readonly stage: string; readonly ms: number; readonly share: number }[];
  /** Milliseconds of self time by package or part, most first (where it ran, whoever called). */
  readonly selfTime: readonly { readonly part: string; readonly ms: number; readonly share: number }[];
  /** The functions with the most self time. */
  readonly functions: readonly { readonly fn: string; readonly ms: number; readonly share: number }[];
}

function partOf(node: ProfileNode): string {
  const path = repoPath(node.callFrame.url);
  if (path !== undefined)
    return path
      .split('/')
      .slice(0, path.startsWith('functions/') ? 2 : 1)
      .join('/');
  const leaf = leafOf(node);
  return leaf.replace(' (no caller on stack)', '');
}

export function summariseProfile(raw: unknown): ProfileSummary {
  const profile = Profile.parse(raw);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stageCache = new Map<number, string>();
  const stageFor = (id: number): string => {
    const cached = stageCache.get(id);
    if (cached) return cached;
    let current: number | undefined = id;
    let stage: string | undefined;
    while (current !== undefined && stage === undefined) {
      const node = byId.get(current);
      if (!node) break;
      stage = stageOf(node);
      current = parent.get(current);
    }
    const leaf = byId.get(id);
    const result = stage ?? (leaf ? leafOf(leaf) : 'unknown');
    stageCache.set(id, result);
    return result;
  };
  const stages = new Map<string, number>();
  const self = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [index, id] of profile.samples.entries()) {
    const us = profile.timeDeltas[index] ?? 0;
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    total += us;
    const stage = stageFor(id);
    stages.set(stage, (stages.get(stage) ?? 0) + us);
    const part = partOf(node);
    self.set(part, (self.get(part) ?? 0) + us);
    const where = repoPath(node.callFrame.url) ?? node.callFrame.url.replace(/^.*\/node_modules\//, '');
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${where}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const sorted = (map: Map<string, number>) =>
    [...map].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
  return {
    totalMs: total / 1000,
    stages: sorted(stages).map(({ name, ms, share }) => ({ stage: name, ms, share })),
    selfTime: sorted(self).map(({ name, ms, share }) => ({ part: name, ms, share })),
    functions: sorted(functions)
      .slice(0, 40)
      .map(({ name, ms, share }) => ({ fn: name, ms, share })),
  };
}

/** Profiles the main thread while `work` runs. */
export async function profiled<T>(work: () => Promise<T>): Promise<{ result: T; profile: unknown }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 1000 });
    await session.post('Profiler.start');
    const result = await work();
    const { profile } = await session.post('Profiler.stop');
    return { result, profile };
  } finally {
    session.disconnect();
  }
}
