/**
 * What a planned call is: the vendor's own wire requests (the async status webhooks, which may arrive in
 * any order and any number of times, and the live exchange the vendor holds with us while the call waits)
 * and the ground truth — what the read API must show once all of it is delivered.
 */
import type { Direction, Disposition, LegState, VendorId } from '../../shared/events';

export type HttpMethod = 'GET' | 'POST';

/**
 * One HTTP request as the vendor sends it, before its authentication is added: the URL is named by its
 * key in the connection's `webhookUrls` plus a path below it, so a plan does not depend on the connection.
 */
export interface WireRequest {
  /** The vendor route it reaches (`webhook`, `events`, `callFlow`, `process`, …). */
  readonly route: string;
  /** The key of the connection's webhookUrls this request goes to. */
  readonly url: string;
  /** Appended to that URL (Huawei's paths below odfsBase); empty for most vendors. */
  readonly path: string;
  readonly method: HttpMethod;
  /** The raw query string, exactly as the vendor writes it (no leading `?`). */
  readonly query?: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The exact body; for a Huawei dialog turn the token is put into it when it is sent. */
  readonly body?: string;
}

/** A status webhook: nothing waits on its answer, so it may be delivered late, twice, or out of order. */
export interface AsyncWebhook {
  /** Unique in the run: `{call index}:{label}`. */
  readonly id: string;
  readonly label: string;
  /** When the vendor would have sent it. */
  readonly at: string;
  readonly request: WireRequest;
}

/** What an answer to a live request must be, per vendor (README: "What callhooks answers"). */
export type ExpectedAnswer =
  | { readonly vendor: '8x8'; readonly callflow: readonly unknown[] }
  | { readonly vendor: 'messagebird'; readonly callFlow: unknown }
  | {
      readonly vendor: 'huawei-odfs';
      readonly userid: string;
      readonly outaction: 7 | 9 | 10 | 11 | 13;
      readonly interIdx: number | undefined;
      /** The outparams that must have exactly these values. */
      readonly outparams: Readonly<Record<string, string>>;
    };

export interface LiveReply {
  readonly status: number;
  readonly text: string;
}

export interface LiveStep {
  readonly id: string;
  readonly label: string;
  readonly at: string;
  readonly request: WireRequest;
  readonly expected: ExpectedAnswer;
}

/**
 * A call's live exchange, one request at a time: what the vendor sends next can depend on what we
 * answered (Huawei's lock-step dialog). Stateful: get a fresh one from `CallPlan.live()` for each run.
 */
export interface LiveScript {
  /** The next request, given the answer to the previous one; undefined once the exchange is over. */
  next(previous: LiveReply | undefined): LiveStep | undefined;
}

export interface ExpectedLeg {
  readonly state: LegState;
  readonly disposition?: Disposition | undefined;
}

/** What `GET /v1/calls/{sessionId}` must show, whatever order and however often the webhooks arrive. */
export interface ExpectedCall {
  readonly status: 'active' | 'ended';
  readonly disposition?: Disposition | undefined;
  readonly direction?: Direction | undefined;
  /** Whether the call shows as answered (a leg was, so the session has answeredAt), where this says. */
  readonly answered?: boolean | undefined;
  /** Compared as a multiset: legs are matched without relying on their order. */
  readonly legs: readonly ExpectedLeg[];
  /** How many recordings are available, where the vendor reports them. */
  readonly recordings?: number | undefined;
}

export interface CallPlan {
  readonly index: number;
  readonly vendor: VendorId;
  /** The outcome drawn for this call, e.g. `answered`, `busy`, `transferred`. */
  readonly outcome: string;
  readonly direction: Direction;
  /** One line a person can read: who called whom and what happened. */
  readonly description: string;
  /** The id our normaliser reads as the session (8x8 sessionId, MessageBird call id, Huawei userid, …). */
  readonly vendorSessionId: string;
  readonly startedAt: string;
  readonly expected: ExpectedCall;
  readonly async: readonly AsyncWebhook[];
  /** A fresh live exchange (empty for vendors that only notify). */
  live(): LiveScript;
}

/** A script that does not depend on the answers: a fixed list of steps. */
export function fixedScript(steps: readonly LiveStep[]): () => LiveScript {
  return () => {
    let next = 0;
    return { next: () => steps[next++] };
  };
}

export const noLiveExchange = fixedScript([]);

/** A call's clock: ISO times at offsets (milliseconds) from the call's start. */
export class CallClock {
  constructor(readonly startMs: number) {}

  at(offsetMs: number): string {
    return new Date(this.startMs + offsetMs).toISOString();
  }

  ms(offsetMs: number): number {
    return this.startMs + offsetMs;
  }
}
