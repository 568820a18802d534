/**
 * Where a running `npm start` can be found by the other local tools (`npm run export`): its URL, the
 * DynamoDB Local endpoint it chose at start and its table names, in .local/runtime.json while it runs.
 * No token is written: DynamoDB Local takes any credentials, and the API token stays with whoever started it.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as z from 'zod';

export const RuntimeDiscovery = z.object({
  pid: z.number().int().positive(),
  url: z.url(),
  dynamodbEndpoint: z.url(),
  tables: z.object({ calls: z.string().min(1) }),
});
export type RuntimeDiscovery = z.infer<typeof RuntimeDiscovery>;

export const discoveryFileName = 'runtime.json';

export function writeDiscovery(path: string, discovery: RuntimeDiscovery): void {
  writeFileSync(path, `${JSON.stringify(discovery, null, 2)}\n`);
}

export function removeDiscovery(path: string): void {
  rmSync(path, { force: true });
}

/** The running runtime's discovery file, or undefined when none is running (a stale file is ignored). */
export function readDiscovery(path: string): RuntimeDiscovery | undefined {
  if (!existsSync(path)) return undefined;
  const parsed = RuntimeDiscovery.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) return undefined;
  try {
    process.kill(parsed.data.pid, 0);
  } catch {
    return undefined;
  }
  return parsed.data;
}
