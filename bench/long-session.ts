/**
 * One long session, through a vendor's own webhooks: a RingCentral telephony session (an extension-level
 * WebHook subscription, one party change per notification with the session's rising `sequence`, as in
 * tools/traffic/vendors/ringcentral.ts) in which a customer stays on the line while agent after agent
 * joins, rings, answers, holds and resumes three times and hangs up. Every notification is one canonical
 * event, so the session's Nth webhook is its Nth event, and events 10, 100 and 1,000 are all the same
 * kind of event: an agent's second resume after a hold.
 *
 * Delivered one at a time, each folded before the next is sent, the capacity of each event is measured on
 * its own. A second shape puts every event on one leg (held and resumed over and over) and then delivers
 * that leg's early Proceeding last: the late event that makes the fold refold the leg from its history.
 */
import { randomBytes } from 'node:crypto';
import type { CapacitySnapshot } from '../local/capacity';
import type { LocalRuntime } from '../local/runtime';
import type { CallEvent } from '../shared/events';
import { authenticatorFor, type Connection, createConnection } from '../tools/traffic';
import { send } from '../tools/traffic/http';
import type { WireRequest } from '../tools/traffic/plan';

const ACCOUNT = '809646016';
const OWNER = { extensionId: '809646016', name: 'Queue Owner', phoneNumber: '+19043014558' };
const SUBSCRIPTION = '53300e7c-5e69-42bf-ab4d-179aabc6e869';

interface Party {
  readonly id: string;
  readonly direction: 'Inbound' | 'Outbound';
  readonly from: Readonly<Record<string, string>>;
  readonly to: Readonly<Record<string, string>>;
}

export interface PlannedWebhook {
  readonly label: string;
  readonly request: WireRequest;
}

export interface LongSessionPlan {
  readonly telephonySessionId: string;
  readonly webhooks: readonly PlannedWebhook[];
}

/** Notifications of one telephony session, in the order they are written here (times one second apart). */
class SessionWriter {
  readonly telephonySessionId = `s-${randomBytes(16).toString('hex')}`;
  private readonly sessionId = `4250${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
  private sequence = 1;
  private uuid = BigInt(`18234${Date.now() % 1e12}`) * 100n;
  readonly webhooks: PlannedWebhook[] = [];

  constructor(private readonly startMs: number) {}

  /** A party change at `second` seconds into the call. */
  notification(second: number, party: Party, code: string, label: string, reason?: string): PlannedWebhook {
    const eventTime = new Date(this.startMs + second * 1000).toISOString();
    const body = {
      uuid: String(this.uuid++),
      event: `/restapi/v1.0/account/${ACCOUNT}/extension/${OWNER.extensionId}/telephony/sessions`,
      timestamp: new Date(this.startMs + second * 1000 + 50).toISOString(),
      subscriptionId: SUBSCRIPTION,
      ownerId: OWNER.extensionId,
      body: {
        sequence: this.sequence++,
        sessionId: this.sessionId,
        telephonySessionId: this.telephonySessionId,
        serverId: '10.13.22.28.TAM',
        eventTime,
        parties: [
          {
            accountId: ACCOUNT,
            extensionId: OWNER.extensionId,
            id: party.id,
            direction: party.direction,
            to: party.to,
            from: party.from,
            status: { code, ...(reason ? { reason } : {}), rcc: false },
            park: {},
            missedCall: false,
            standAlone: false,
            muted: false,
          },
        ],
        origin: { type: 'Call' },
      },
    };
    return {
      label,
      request: {
        route: 'webhook',
        url: 'webhook',
        path: '',
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=UTF-8',
          'user-agent': 'RingCentral-Webhook/8.3',
        },
        body: JSON.stringify(body),
      },
    };
  }

  add(second: number, party: Party, code: string, label: string, reason?: string): void {
    this.webhooks.push(this.notification(second, party, code, label, reason));
  }

  party(n: number, agent: boolean): Party {
    const id = `p-${this.telephonySessionId.slice(2)}-${n}`;
    return agent
      ? {
          id,
          direction: 'Outbound',
          from: { phoneNumber: OWNER.phoneNumber, name: OWNER.name, extensionId: OWNER.extensionId },
          to: { phoneNumber: String(1000 + n), name: `Agent ${n}`, extensionId: String(400144455000 + n) },
        }
      : {
          id,
          direction: 'Inbound',
          from: { phoneNumber: '+14155550123' },
          to: { phoneNumber: OWNER.phoneNumber, name: OWNER.name, extensionId: OWNER.extensionId },
        };
  }
}

/** The agent's ten changes: Setup, Proceeding, Answered, three Hold/Answered (resume) pairs, Disconnected. */
const AGENT_CODES = [
  'Setup',
  'Proceeding',
  'Answered',
  'Hold',
  'Answered',
  'Hold',
  'Answered',
  'Hold',
  'Answered',
  'Disconnected',
] as const;

/**
 * The customer's Setup, Proceeding and Answered, then `agents` agents' ten changes each, then the customer
 * hangs up: 3 + 10 × agents + 1 events. Event 3 + 10k + 7 is agent k's second resume.
 */
export function manyLegsSession(agents: number, start = new Date()): LongSessionPlan {
  const writer = new SessionWriter(start.getTime());
  const customer = writer.party(1, false);
  let second = 0;
  writer.add(second++, customer, 'Setup', 'customer Setup');
  writer.add(second++, customer, 'Proceeding', 'customer Proceeding');
  writer.add(second++, customer, 'Answered', 'customer Answered');
  for (let k = 0; k < agents; k++) {
    const agent = writer.party(k + 2, true);
    let resumes = 0;
    for (const code of AGENT_CODES) {
      const resume = code === 'Answered' && ++resumes > 1;
      const what = resume ? `Answered (resume ${resumes - 1})` : code;
      writer.add(
        second++,
        agent,
        code,
        `agent ${k + 1} ${what}`,
        code === 'Disconnected' ? 'CallFinished' : undefined,
      );
    }
  }
  writer.add(second++, customer, 'Disconnected', 'customer Disconnected', 'CallFinished');
  return { telephonySessionId: writer.telephonySessionId, webhooks: writer.webhooks };
}

/**
 * One leg with `events` events: Setup, Proceeding, Answered, then Hold and Answered (resume) in turn, the
 * last of them a Disconnected; the Proceeding (second 1) is delivered last, after everything it precedes.
 */
export function lateEventSession(events: number, start = new Date()): LongSessionPlan {
  const writer = new SessionWriter(start.getTime());
  const customer = writer.party(1, false);
  writer.add(0, customer, 'Setup', 'Setup');
  const late = writer.notification(1, customer, 'Proceeding', 'late Proceeding');
  writer.add(2, customer, 'Answered', 'Answered');
  for (let i = 3; i < events - 1; i++) {
    writer.add(i, customer, i % 2 === 1 ? 'Hold' : 'Answered', i % 2 === 1 ? 'Hold' : 'Answered (resume)');
  }
  writer.add(events - 1, customer, 'Disconnected', 'Disconnected', 'CallFinished');
  writer.webhooks.push(late);
  return { telephonySessionId: writer.telephonySessionId, webhooks: writer.webhooks };
}

export interface MeasuredWebhook {
  /** 1-based position in the session. */
  readonly position: number;
  readonly label: string;
  readonly status: number | undefined;
  readonly snapshot: CapacitySnapshot;
  /** The canonical events this webhook made. */
  readonly events: readonly CallEvent[];
}

/**
 * Delivers a session's webhooks one at a time, each folded (the runtime idle) before the next, and the
 * capacity each took; `keep` says which positions to keep the snapshot of (all when absent).
 */
export async function deliverOneByOne(
  runtime: LocalRuntime,
  recorded: readonly CallEvent[],
  connection: Connection,
  plan: LongSessionPlan,
  options: { keep?: (position: number) => boolean; onProgress?: (done: number) => void } = {},
): Promise<MeasuredWebhook[]> {
  const auth = authenticatorFor(connection, {
    now: () => new Date(),
    getToken: () => Promise.reject(new Error('RingCentral has no token endpoint')),
  });
  const measured: MeasuredWebhook[] = [];
  for (const [index, webhook] of plan.webhooks.entries()) {
    const position = index + 1;
    await runtime.idle();
    runtime.capacity.reset();
    const before = recorded.length;
    const outcome = await send(fetch, await auth.sign(webhook.request), 10_000);
    await runtime.idle();
    if (options.keep?.(position) ?? true) {
      measured.push({
        position,
        label: webhook.label,
        status: outcome.ok ? outcome.status : undefined,
        snapshot: runtime.capacity.snapshot(),
        events: recorded.slice(before),
      });
    }
    options.onProgress?.(position);
  }
  return measured;
}

export async function ringCentralConnection(runtime: LocalRuntime): Promise<Connection> {
  return createConnection(runtime.url, runtime.apiToken, 'ringcentral', {
    name: 'bench long session',
    tenantId: 'bench',
  });
}
