/**
 * A stand-in for callhooks behind the traffic's transport: it creates connections, answers live requests
 * the way the README says callhooks does (or however a test tells it to), and keeps every request exactly
 * as it arrived, named by the x-callhooks-request-id it answered with.
 */
import * as z from 'zod';
import { vendorEntryOf } from '../../../functions/vendors/vendors';
import { VendorId } from '../../../shared/events';
import { hookUrl } from '../../../shared/routes';
import type { Transport } from '../../../tools/traffic';
import { eightByEightCallflow } from '../../../tools/traffic/vendors/8x8';
import { messageBirdCallFlow } from '../../../tools/traffic/vendors/messagebird';

export const BASE = 'https://callhooks.test';

export interface Captured {
  readonly id: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/** Return an answer to override the default one for this request. */
export type Override = (request: Captured) => Answer | undefined;

const CallAction = z.object({ eventType: z.string(), payload: z.object({ callStatus: z.string() }) });
const CreateBody = z.object({ vendor: VendorId });

function defaultAnswer(request: Captured): Answer {
  const path = new URL(request.url).pathname;
  if (path.endsWith('/oifde/rest/api/gettoken'))
    return { status: 200, body: { errorCode: 0, authToken: 'token-1', expireTime: 3600 } };
  if (path.includes('/hooks/messagebird/') && path.endsWith('/call-flow'))
    return { status: 200, body: messageBirdCallFlow };
  if (path.includes('/hooks/8x8/')) {
    const action = CallAction.safeParse(JSON.parse(request.body || '{}'));
    if (action.success && action.data.eventType === 'CALL_ACTION') {
      return action.data.payload.callStatus === 'CALL_RECEIVED'
        ? { status: 200, body: { clientActionId: 'callhooks-start', callflow: eightByEightCallflow } }
        : { status: 200, body: { clientActionId: 'callhooks-end', callflow: [{ action: 'hangup' }] } };
    }
  }
  return { status: 200, body: {} };
}

export function fakeCallhooks(override: Override = () => undefined) {
  const requests: Captured[] = [];
  let connections = 0;
  const transport: Transport = async (url, init) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const request: Captured = {
      id: `req-${requests.length + 1}`,
      method: init.method ?? 'GET',
      url,
      headers,
      body: typeof init.body === 'string' ? init.body : '',
    };
    requests.push(request);
    let answer: Answer;
    if (new URL(url).pathname === '/v1/connections') {
      const { vendor } = CreateBody.parse(JSON.parse(request.body));
      const id = `con_fake${++connections}`;
      const { meta } = vendorEntryOf(vendor);
      const webhookUrls = Object.fromEntries(
        Object.entries(meta.webhookUrls).map(([name, path]) => [
          name,
          hookUrl(BASE, vendor, id, path, { token: 'url-token' }),
        ]),
      );
      answer = { status: 201, body: { id, vendor, name: 'fake', tenantId: 'traffic', webhookUrls } };
    } else {
      answer = override(request) ?? defaultAnswer(request);
    }
    return new Response(JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'content-type': 'application/json', 'x-callhooks-request-id': request.id },
    });
  };
  return { transport, requests, byId: (id: string | undefined) => requests.find((r) => r.id === id) };
}
