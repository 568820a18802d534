/**
 * The runner: plays planned calls at callhooks as the vendors would. Each call's live exchange runs in
 * order, one request at a time, its answers checked; its status webhooks are delivered min..max times,
 * in plan order or shuffled with every other call's, at most `concurrency` requests in flight, calls
 * started at `rate` per second. A delivery answered 429 or 5xx, or not at all, is resent like a vendor
 * resends: the same bytes after a back-off. Every HTTP request is recorded.
 */
import type { Direction, VendorId } from '../../shared/events';
import { sessionIdFor } from '../../shared/ids';
import { checkAnswer } from './answers';
import { type Authenticator, authenticatorFor } from './auth';
import { type Connections, createConnections } from './connections';
import {
  FALLBACK_HEADER,
  type HttpOutcome,
  REQUEST_ID_HEADER,
  type SignedRequest,
  send,
  sleep,
  type Transport,
} from './http';
import { count, emptyLedger, isAcked, type Ledger } from './ledger';
import type { AsyncWebhook, CallPlan, ExpectedCall, LiveReply, WireRequest } from './plan';
import { planCalls } from './planner';
import { Random, type Seed } from './random';

export interface RunOptions {
  readonly baseUrl: string;
  readonly apiToken: string;
  readonly vendors: readonly VendorId[];
  /** Calls in total, spread over the vendors. */
  readonly calls: number;
  readonly seed: Seed;
  /** Requests in flight at most (default 32). */
  readonly concurrency?: number;
  /** How many times each status webhook is delivered (default exactly once). */
  readonly copies?: { readonly min: number; readonly max: number };
  /** Deliver the status webhooks of all calls in one shuffled order (default: each call's in plan order). */
  readonly shuffle?: boolean;
  /** Calls started per second; as fast as possible when absent. */
  readonly rate?: number;
  /** Sends per delivery at most, and the first back-off (doubled each time). Default 4 and 250 ms. */
  readonly retry?: { readonly attempts: number; readonly backoffMs: number };
  readonly onProgress?: (progress: Progress) => void;
  /** The planned start of the first call (default now). */
  readonly startAt?: Date;
  /**
   * Connections to use; one per vendor is created when absent. Give reused connections a new seed: the same
   * seed names the same vendor sessions, which would fold into the calls of the earlier run.
   */
  readonly connections?: Connections;
  /** Only these outcomes, by name. */
  readonly outcomes?: readonly string[];
  /** How long a request may take before it counts as unanswered (default 10 s). */
  readonly requestTimeoutMs?: number;
  /** The HTTP client (fetch by default). */
  readonly fetch?: Transport;
}

export interface RunCall {
  readonly index: number;
  readonly vendor: VendorId;
  readonly outcome: string;
  readonly description: string;
  readonly direction: Direction;
  readonly connectionId: string;
  readonly vendorSessionId: string;
  readonly sessionId: string;
  readonly startedAt: string;
  readonly expected: ExpectedCall;
  /** Logical status webhooks (before copies). */
  readonly webhooks: number;
  /** Wrong or missing answers to live requests: each makes the call a mismatch. */
  readonly issues: string[];
  /** Status webhooks no copy of which was accepted: why a call may not match. */
  readonly undelivered: string[];
  /** Live steps answered with the connection's fallback (callhooks could not decide in time). */
  readonly fallbacks: string[];
}

export interface Delivery {
  /** The logical webhook: every copy and resend of it shares this id (`gettoken:…` for Huawei tokens). */
  readonly webhookId: string;
  readonly callIndex: number | undefined;
  readonly vendor: VendorId;
  readonly route: string;
  readonly live: boolean;
  /** 1 for the first send of this copy, 2+ for its resends. */
  readonly attempt: number;
  /** Which copy of the webhook (1..copies). */
  readonly copy: number;
  readonly status: number | undefined;
  readonly error?: string;
  readonly latencyMs: number;
  /** callhooks' x-callhooks-request-id, when it sends one. */
  readonly requestId?: string;
  /** Answered with the connection's fallback (x-callhooks-fallback). */
  readonly fallback?: boolean;
  readonly sentAt: string;
}

export interface Progress {
  readonly calls: number;
  readonly callsDone: number;
  /** Status-webhook copies planned and sent so far (resends not included). */
  readonly copiesPlanned: number;
  readonly copiesDone: number;
  readonly ledger: Readonly<Ledger>;
  readonly elapsedMs: number;
}

export interface RunResult {
  readonly connections: readonly { readonly vendor: VendorId; readonly id: string }[];
  readonly calls: readonly RunCall[];
  readonly deliveries: readonly Delivery[];
  readonly ledger: Readonly<Ledger>;
  readonly startedAt: string;
  readonly durationMs: number;
}

interface CallRun {
  readonly plan: CallPlan;
  readonly call: RunCall;
  readonly auth: Authenticator;
  tasksLeft: number;
}

type Task = () => Promise<void>;

function retryable(outcome: HttpOutcome): boolean {
  return !outcome.ok || outcome.status === 429 || outcome.status >= 500;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function runTraffic(options: RunOptions): Promise<RunResult> {
  const transport = options.fetch ?? fetch;
  const concurrency = Math.max(1, options.concurrency ?? 32);
  const copies = options.copies ?? { min: 1, max: 1 };
  if (copies.min < 1 || copies.max < copies.min) throw new Error('copies must satisfy 1 <= min <= max');
  const retry = options.retry ?? { attempts: 4, backoffMs: 250 };
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const connections =
    options.connections ??
    (await createConnections(options.baseUrl, options.apiToken, options.vendors, { fetch: transport }));
  const started = Date.now();
  const plans = planCalls({
    seed: options.seed,
    vendors: options.vendors,
    calls: options.calls,
    startAt: options.startAt ?? new Date(started),
    ...(options.outcomes ? { outcomes: options.outcomes } : {}),
  });

  const deliveries: Delivery[] = [];
  const ledger = emptyLedger();
  let callsDone = 0;
  let copiesDone = 0;
  let copiesPlanned = 0;
  const progress = () =>
    options.onProgress?.({
      calls: plans.length,
      callsDone,
      copiesPlanned,
      copiesDone,
      ledger: { ...ledger },
      elapsedMs: Date.now() - started,
    });
  const record = (delivery: Delivery) => {
    deliveries.push(delivery);
    count(ledger, delivery);
    progress();
  };

  /** Sends one delivery, resending it as the vendor would; the final outcome. */
  async function deliver(
    vendor: VendorId,
    auth: Authenticator | undefined,
    meta: { webhookId: string; callIndex: number | undefined; route: string; live: boolean; copy: number },
    sign: () => Promise<SignedRequest>,
  ): Promise<HttpOutcome> {
    let signed = await sign();
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      const sentAt = new Date().toISOString();
      const outcome = await send(transport, signed, timeoutMs);
      const requestId = outcome.ok ? (outcome.headers.get(REQUEST_ID_HEADER) ?? undefined) : undefined;
      const fallback = outcome.ok && outcome.headers.get(FALLBACK_HEADER) !== null;
      record({
        ...meta,
        vendor,
        attempt,
        status: outcome.ok ? outcome.status : undefined,
        ...(outcome.ok ? {} : { error: outcome.error }),
        latencyMs: Math.round(outcome.latencyMs * 10) / 10,
        ...(requestId ? { requestId } : {}),
        ...(fallback ? { fallback } : {}),
        sentAt,
      });
      if (outcome.ok && isAcked(outcome.status)) return outcome;
      // An IVR whose token expired gets a new one and sends the same turn again, retries or not.
      if (auth && !refreshed && (await auth.stale(outcome, signed))) {
        refreshed = true;
        signed = await sign();
        continue;
      }
      if (attempt >= retry.attempts || !retryable(outcome)) return outcome;
      await sleep(retry.backoffMs * 2 ** (attempt - 1));
      if (auth?.expired(signed, new Date())) signed = await sign();
    }
  }

  const runs: CallRun[] = [];
  const authByConnection = new Map<string, Authenticator>();
  let tokens = 0;
  for (const plan of plans) {
    const connection = connections.get(plan.vendor);
    if (!connection) throw new Error(`no ${plan.vendor} connection to send this call to`);
    let auth = authByConnection.get(connection.id);
    if (!auth) {
      auth = authenticatorFor(connection, {
        now: () => new Date(),
        getToken: (request) =>
          deliver(
            connection.vendor,
            undefined,
            {
              webhookId: `gettoken:${connection.id}:${++tokens}`,
              callIndex: undefined,
              route: 'gettoken',
              live: false,
              copy: 1,
            },
            async () => request,
          ),
      });
      authByConnection.set(connection.id, auth);
    }
    runs.push({
      plan,
      auth,
      tasksLeft: 0,
      call: {
        index: plan.index,
        vendor: plan.vendor,
        outcome: plan.outcome,
        description: plan.description,
        direction: plan.direction,
        connectionId: connection.id,
        vendorSessionId: plan.vendorSessionId,
        sessionId: sessionIdFor(connection.id, plan.vendorSessionId),
        startedAt: plan.startedAt,
        expected: plan.expected,
        webhooks: plan.async.length,
        issues: [],
        undelivered: [],
        fallbacks: [],
      },
    });
  }

  async function runLive(run: CallRun): Promise<void> {
    const script = run.plan.live();
    let previous: LiveReply | undefined;
    for (;;) {
      const step = script.next(previous);
      if (!step) return;
      let outcome: HttpOutcome;
      try {
        outcome = await deliver(
          run.plan.vendor,
          run.auth,
          { webhookId: step.id, callIndex: run.plan.index, route: step.request.route, live: true, copy: 1 },
          () => run.auth.sign(step.request),
        );
      } catch (error) {
        run.call.issues.push(`${step.label}: not sent (${messageOf(error)})`);
        return;
      }
      if (!outcome.ok) {
        run.call.issues.push(`${step.label}: no answer (${outcome.error})`);
        return;
      }
      previous = { status: outcome.status, text: outcome.text };
      if (outcome.headers.get(FALLBACK_HEADER) !== null) run.call.fallbacks.push(step.label);
      for (const problem of checkAnswer(step.expected, previous))
        run.call.issues.push(`${step.label}: ${problem}`);
      if (!isAcked(outcome.status)) return;
    }
  }

  /**
   * Each copy of a webhook sends the bytes signed for the first, a vendor's redelivery rather than a new
   * request, until that signature expires: a later copy is signed again, as the vendor would sign it.
   */
  const signOnce = (run: CallRun, request: WireRequest) => {
    let signed: Promise<SignedRequest> | undefined;
    return async () => {
      if (signed && run.auth.expired(await signed, new Date())) signed = undefined;
      signed ??= run.auth.sign(request);
      return signed;
    };
  };
  const acked = new Set<string>();
  async function deliverCopy(
    run: CallRun,
    webhook: AsyncWebhook,
    copy: number,
    sign: () => Promise<SignedRequest>,
  ) {
    try {
      const outcome = await deliver(
        run.plan.vendor,
        run.auth,
        { webhookId: webhook.id, callIndex: run.plan.index, route: webhook.request.route, live: false, copy },
        sign,
      );
      if (outcome.ok && isAcked(outcome.status)) acked.add(webhook.id);
    } catch (error) {
      run.call.issues.push(`${webhook.label}: not sent (${messageOf(error)})`);
    } finally {
      copiesDone++;
    }
  }

  const copyRandom = new Random(options.seed, 'copies');
  const releases: { at: number; tasks: Task[] }[] = runs.map((run, i) => {
    const planned = run.plan.async.map((webhook) => ({
      webhook,
      copies: copyRandom.int(copies.min, copies.max),
      sign: signOnce(run, webhook.request),
    }));
    copiesPlanned += planned.reduce((sum, p) => sum + p.copies, 0);
    const finished = () => {
      run.tasksLeft--;
      if (run.tasksLeft === 0) {
        for (const webhook of run.plan.async)
          if (!acked.has(webhook.id)) run.call.undelivered.push(webhook.label);
        callsDone++;
        progress();
      }
    };
    const tasks: Task[] = [];
    if (options.shuffle) {
      tasks.push(() => runLive(run).finally(finished));
      for (const p of planned)
        for (let copy = 1; copy <= p.copies; copy++)
          tasks.push(() => deliverCopy(run, p.webhook, copy, p.sign).finally(finished));
    } else {
      // In order: the live exchange first (the vendor asks as the call comes in), then each webhook, its
      // copies back to back.
      tasks.push(async () => {
        await runLive(run);
        for (const p of planned)
          for (let copy = 1; copy <= p.copies; copy++) await deliverCopy(run, p.webhook, copy, p.sign);
        finished();
      });
    }
    run.tasksLeft = tasks.length;
    return { at: started + (options.rate ? (i * 1000) / options.rate : 0), tasks };
  });

  // Workers take ready tasks: the next in order, or (shuffled) any one of them, drawn from the seed.
  const order = new Random(options.seed, 'delivery-order');
  const ready: Task[] = [];
  let head = 0;
  let nextRelease = 0;
  const take = (): Task | undefined => {
    if (!options.shuffle) return ready[head++];
    if (ready.length === 0) return undefined;
    const i = order.int(0, ready.length - 1);
    const task = ready[i];
    const last = ready.pop();
    if (last !== undefined && i < ready.length) ready[i] = last;
    return task;
  };
  const pending = () => (options.shuffle ? ready.length : ready.length - head);
  async function worker(): Promise<void> {
    for (;;) {
      for (let due = releases[nextRelease]; due && due.at <= Date.now(); due = releases[nextRelease]) {
        ready.push(...due.tasks);
        nextRelease++;
      }
      if (pending() === 0) {
        const due = releases[nextRelease];
        if (!due) return;
        await sleep(due.at - Date.now());
        continue;
      }
      const task = take();
      if (task) await task();
    }
  }
  progress();
  await Promise.all(Array.from({ length: concurrency }, () => worker()));

  return {
    connections: [...connections.values()].map(({ vendor, id }) => ({ vendor, id })),
    calls: runs.map((run) => run.call),
    deliveries,
    ledger: { ...ledger },
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
  };
}
