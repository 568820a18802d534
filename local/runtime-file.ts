/**
 * `.local/runtime.json`: where a running `npm start` says it listens, with which API token, and where its
 * DynamoDB Local and tables are, so the CLI tools (`npm run redrive`, `npm run renormalise`,
 * `npm run export`, `npm run chaos -- --target local`) find it. Written readable by its owner only (it
 * holds the token), removed when the runtime stops.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';

/** `.local/` beside the repository, or CALLHOOKS_DATA_DIR (tests run a runtime of their own there). */
export const LOCAL_DATA_DIR =
  process.env.CALLHOOKS_DATA_DIR?.trim() || fileURLToPath(new URL('../.local', import.meta.url));
export const RUNTIME_FILE = `${LOCAL_DATA_DIR}/runtime.json`;

export const RuntimeFile = z.object({
  url: z.url(),
  token: z.string().min(1),
  pid: z.number().int().positive(),
  dynamodbEndpoint: z.url(),
  tables: z.object({
    calls: z.string().min(1),
    connections: z.string().min(1),
    scratch: z.string().min(1),
    requests: z.string().min(1),
    control: z.string().min(1),
  }),
});
export type RuntimeFile = z.infer<typeof RuntimeFile>;

/** The running runtime, or undefined when none has said it is running (or its process is gone). */
export function runningRuntime(): RuntimeFile | undefined {
  let parsed: z.ZodSafeParseResult<RuntimeFile>;
  try {
    parsed = RuntimeFile.safeParse(JSON.parse(readFileSync(RUNTIME_FILE, 'utf8')));
  } catch {
    return undefined;
  }
  if (!parsed.success) return undefined;
  try {
    process.kill(parsed.data.pid, 0);
  } catch {
    return undefined;
  }
  return parsed.data;
}
