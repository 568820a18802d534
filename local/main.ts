/**
 * `npm start`: runs callhooks on this machine — the same routes, handlers, event rule, queues and tables as
 * the AWS stack — on 127.0.0.1:$PORT (default 3000; CALLHOOKS_HOST opts in to another address), keeping DynamoDB Local's data and every queue in
 * .local/ so that what was acknowledged survives a restart, even a kill -9.
 *
 *   npm start -- --faults dynamodb-throttle,putevents-partial   inject faults (see local/faults.ts)
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { JavaMissingError } from './dynamodb';
import { FaultSpecError, hasFaults, parseFaults } from './faults';
import { parseTenantTokens, startLocalRuntime } from './runtime';
import { LOCAL_DATA_DIR, RUNTIME_FILE, type RuntimeFile } from './runtime-file';

const dataDir = LOCAL_DATA_DIR;
const pidFile = `${dataDir}/runtime.pid`;
/** The generated API token, kept so that it stays the same from one run to the next. */
const tokenFile = `${dataDir}/api-token`;
const port = Number(process.env.PORT ?? 3000);
/** Loopback unless the operator opts in to another address (e.g. 0.0.0.0 for a vendor on the LAN). */
const host = process.env.CALLHOOKS_HOST?.trim() || '127.0.0.1';
const tokenFromEnv = process.env.CALLHOOKS_API_TOKEN?.trim() || undefined;

function writePrivate(path: string, text: string) {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function keptToken(): string {
  if (existsSync(tokenFile)) {
    const kept = readFileSync(tokenFile, 'utf8').trim();
    if (kept) return kept;
  }
  const token = randomBytes(24).toString('base64url');
  writePrivate(tokenFile, `${token}\n`);
  return token;
}
const verbose = process.env.LOG_LEVEL === 'DEBUG';

function alreadyRunning(): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

async function main() {
  const { values } = parseArgs({ options: { faults: { type: 'string' } }, allowPositionals: false });
  const faults = parseFaults(values.faults ?? process.env.CALLHOOKS_FAULTS);
  // PORT=0 takes a free port (the URL is printed, and kept in .local/runtime.json).
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`PORT must be a TCP port number, not ${process.env.PORT}`);
  }
  const running = alreadyRunning();
  if (running) throw new Error(`callhooks is already running here (pid ${running}); stop it first.`);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(pidFile, String(process.pid));
  const runtime = await startLocalRuntime({
    port,
    host,
    dataDir,
    apiToken: tokenFromEnv ?? keptToken(),
    apiTokens: parseTenantTokens(process.env.CALLHOOKS_API_TOKENS),
    faults,
    log: (line) => {
      const level = String(line.level ?? '').toUpperCase();
      if (verbose || level === 'ERROR' || level === 'WARN') console.error(JSON.stringify(line));
    },
  });
  const token = runtime.apiToken;
  const where: RuntimeFile = {
    url: runtime.url,
    token,
    pid: process.pid,
    // For `npm run export`, which reads the calls table from the DynamoDB Local this run started.
    dynamodbEndpoint: runtime.dynamo.endpoint,
    tables: runtime.tableNames,
  };
  writePrivate(RUNTIME_FILE, `${JSON.stringify(where)}\n`);
  const lines = [
    '',
    `callhooks is running on ${runtime.url}  (GET ${runtime.url}/health)`,
    `Inspector (recent webhooks, their events and calls): ${runtime.inspectorUrl()}`,
    '  the link signs one browser in, once; after that open / and sign in with the API token',
    ...(host === '127.0.0.1'
      ? []
      : [`Listening on ${host} (CALLHOOKS_HOST): other machines can reach this port.`]),
    ...(hasFaults(faults) ? ['', `Injecting faults: ${values.faults ?? process.env.CALLHOOKS_FAULTS}`] : []),
    '',
    tokenFromEnv
      ? 'API token: from CALLHOOKS_API_TOKEN'
      : `API token (generated once and kept in .local/api-token; set CALLHOOKS_API_TOKEN to choose your own):\n  ${token}`,
    ...(Object.keys(runtime.tenantTokens).length
      ? ['', `Tenants' tokens (CALLHOOKS_API_TOKENS): ${Object.keys(runtime.tenantTokens).join(', ')}`]
      : []),
    '',
    'Create a first connection (8x8):',
    `  curl -s -X POST ${runtime.url}/v1/connections \\`,
    `    -H "Authorization: Bearer ${tokenFromEnv ? '$CALLHOOKS_API_TOKEN' : token}" -H 'content-type: application/json' \\`,
    '    -d @events/8x8/connection.json',
    '',
    'Then POST the seed call action to the webhook URL it returns:',
    "  curl -s -X POST <webhookUrls.webhook> -H 'Authorization: <your httpAuthHeader>' \\",
    "    -H 'content-type: application/json' -d @events/8x8/vca-number-masking.json",
    '',
    'Data and queues are kept in .local/ between runs. Ctrl-C stops.',
    '',
  ];
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await runtime.close();
    rmSync(pidFile, { force: true });
    rmSync(RUNTIME_FILE, { force: true });
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  if (error instanceof JavaMissingError || error instanceof FaultSpecError)
    console.error(`\n${error.message}\n`);
  else console.error(error);
  process.exit(1);
});
