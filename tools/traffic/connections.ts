/**
 * Connections for the traffic: one per vendor, created through `POST /v1/connections` with fresh random
 * secrets, kept together with those secrets (callhooks never returns them) and the URLs it handed out.
 */
import * as z from 'zod';
import { VendorId } from '../../shared/events';
import { callApi, type Transport } from './http';
import type { VendorSecrets } from './vendor';
import { trafficOf } from './vendors';

export interface Connection {
  readonly id: string;
  readonly vendor: VendorId;
  readonly name: string;
  readonly tenantId: string;
  /** As the creation response names them; FocalScope's is the only place its URL token is shown. */
  readonly webhookUrls: Readonly<Record<string, string>>;
  readonly secrets: VendorSecrets;
}

export type Connections = ReadonlyMap<VendorId, Connection>;

const Created = z.object({
  id: z.string().min(1),
  vendor: VendorId,
  name: z.string(),
  tenantId: z.string(),
  webhookUrls: z.record(z.string(), z.string()),
});

export interface ConnectionOptions {
  readonly name?: string;
  readonly tenantId?: string;
  readonly fetch?: Transport;
}

export async function createConnection(
  baseUrl: string,
  apiToken: string,
  vendor: VendorId,
  options: ConnectionOptions = {},
): Promise<Connection> {
  const { secrets, body } = trafficOf(vendor).newConnection(
    options.name ?? `traffic ${vendor} ${new Date().toISOString()}`,
    options.tenantId ?? 'traffic',
  );
  const reply = await callApi(options.fetch ?? fetch, baseUrl, apiToken, 'POST', '/v1/connections', {
    body,
    accept: [201],
  });
  const created = Created.safeParse(reply.json);
  if (!created.success || created.data.vendor !== vendor) {
    throw new Error(`POST /v1/connections answered 201 with a body that is not a ${vendor} connection`);
  }
  return { ...created.data, secrets };
}

/** One connection per vendor, created one after another (the order a person would create them in). */
export async function createConnections(
  baseUrl: string,
  apiToken: string,
  vendors: readonly VendorId[],
  options: ConnectionOptions = {},
): Promise<Connections> {
  const connections = new Map<VendorId, Connection>();
  for (const vendor of new Set(vendors)) {
    connections.set(vendor, await createConnection(baseUrl, apiToken, vendor, options));
  }
  return connections;
}
