/**
 * The 8x8 Lambda handler with its I/O in memory: one connection, the control table (flows, numbers,
 * masking sessions) read by the real decide(), and a publisher and requests table that record. Routing,
 * authentication, parsing, deciding, rendering and recording are the real wiring.
 */
import { eightByEightConnection } from '../../../../functions/vendors/8x8/connection';
import { eightByEight } from '../../../../functions/vendors/8x8/index';
import { createWebhookHandler } from '../../../../functions/vendors/webhook';
import { lambdaContext, toApiGatewayEvent } from '../../../../local/api-gateway';
import { hookRoutePath } from '../../../../shared/routes';
import { fixtureText } from '../../../support/fixtures';
import { MemoryConnections, memoryDependencies } from '../../../support/memory';
import { MemoryControlStore, memoryCallControl } from '../../../support/memory-control';

export const SECRET = 'Bearer test-8x8-shared-secret-value';
export const CONNECTION_ID = 'con_8x8_test';
export const TENANT = 'acme';
/** The sample call: +65123456789 calls the virtual number +65987654321. */
export const CALLER = '+65123456789';
export const VIRTUAL = '+65987654321';

export interface Reply {
  readonly status: number;
  readonly text: string;
  readonly json: unknown;
  readonly headers: Readonly<Record<string, string>>;
}

export function createHarness(settings: unknown = {}) {
  const parsedSettings = eightByEightConnection.settings.safeParse(settings);
  if (!parsedSettings.success) throw new Error('test connection is invalid');
  const connections = new MemoryConnections(
    {
      id: CONNECTION_ID,
      vendor: '8x8',
      name: 'test',
      tenantId: TENANT,
      createdAt: '2026-03-01T00:00:00.000Z',
      settings: { ...parsedSettings.data },
    },
    { kind: eightByEightConnection, auth: { httpAuthHeader: SECRET } },
  );
  const control = new MemoryControlStore();
  const { deps, publisher } = memoryDependencies(connections);
  const handler = createWebhookHandler(eightByEight, { ...deps, callControl: memoryCallControl(control) });

  async function post(body: unknown): Promise<Reply> {
    const template = hookRoutePath('8x8', '');
    const path = template.replace('{connectionId}', CONNECTION_ID);
    const event = toApiGatewayEvent(
      {
        method: 'POST',
        url: path,
        headers: { host: 'hooks.test', 'content-type': 'application/json', authorization: SECRET },
        body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
        sourceIp: '127.0.0.1',
      },
      `POST ${template}`,
      {
        route: { method: 'POST', path: template, target: undefined },
        pathParameters: { connectionId: CONNECTION_ID },
      },
    );
    const result = await handler(event, lambdaContext('callhooks-8x8', 6));
    const text = typeof result.body === 'string' ? result.body : '';
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const headers = Object.fromEntries(
      Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)]),
    );
    return { status: result.statusCode ?? 200, text, json, headers };
  }

  const [webhookRoute] = eightByEight.routes;
  if (!webhookRoute) throw new Error('8x8 has a webhook route');
  return { post, control, published: publisher.events, raws: publisher.raws, connections, webhookRoute };
}

let events = 0;

/**
 * A call action of the sample call (8x8's number masking sample), as 8x8 sends it: a fresh eventId each
 * time, the clientActionId we answered last, and the digits a sayAndCapture captured.
 */
export function callAction(
  options: {
    status?: 'CALL_RECEIVED' | 'ACTION_COMPLETED' | 'DTMF_RECEIVED';
    clientActionId?: string | undefined;
    dtmf?: string;
    /** Where the digits are: eventData.dtmf (the VCA guide) or a top-level dtmf (the Simple IVR guide). */
    dtmfAt?: 'eventData' | 'top';
    source?: string;
    eventId?: string;
  } = {},
): Record<string, unknown> {
  const sample = JSON.parse(fixtureText('8x8', 'vca-number-masking.json'));
  events += 1;
  const payload = {
    ...sample.payload,
    eventId: options.eventId ?? `00000000-0000-4000-8000-${String(events).padStart(12, '0')}`,
    callStatus: options.status ?? 'CALL_RECEIVED',
    ...(options.source ? { source: options.source } : {}),
    ...(options.clientActionId ? { clientActionId: options.clientActionId } : {}),
    ...(options.dtmf !== undefined
      ? options.dtmfAt === 'top'
        ? { dtmf: options.dtmf }
        : { eventData: { dtmf: options.dtmf } }
      : {}),
  };
  return { ...sample, payload };
}
