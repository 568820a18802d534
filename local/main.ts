/**
 * `npm start`: runs callhooks on this machine — the same routes, handlers, event rule, queues and tables as
 * the AWS stack — on 127.0.0.1:$PORT (default 3000), keeping DynamoDB Local's data and every queue in
 * .local/ so that what was acknowledged survives a restart, even a kill -9.
 *
 *   npm start -- --faults dynamodb-throttle,putevents-partial   inject faults (see local/faults.ts)
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { discoveryFileName, removeDiscovery, writeDiscovery } from './discovery';
import { JavaMissingError } from './dynamodb';
import { FaultSpecError, hasFaults, parseFaults } from './faults';
import { startLocalRuntime } from './runtime';

const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = `${root}.local`;
const pidFile = `${dataDir}/runtime.pid`;
const discoveryFile = `${dataDir}/${discoveryFileName}`;
const port = Number(process.env.PORT ?? 3000);
const tokenFromEnv = process.env.CALLHOOKS_API_TOKEN?.trim() || undefined;
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
  if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
    throw new Error(`PORT must be a TCP port number, not ${process.env.PORT}`);
  }
  const running = alreadyRunning();
  if (running) throw new Error(`callhooks is already running here (pid ${running}); stop it first.`);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(pidFile, String(process.pid));
  const runtime = await startLocalRuntime({
    port,
    dataDir,
    apiToken: tokenFromEnv,
    faults,
    log: (line) => {
      const level = String(line.level ?? '').toUpperCase();
      if (verbose || level === 'ERROR' || level === 'WARN') console.error(JSON.stringify(line));
    },
  });
  // For `npm run export`, which reads the calls table from the DynamoDB Local this run started.
  writeDiscovery(discoveryFile, {
    pid: process.pid,
    url: runtime.url,
    dynamodbEndpoint: runtime.dynamo.endpoint,
    tables: { calls: runtime.tableNames.calls },
  });
  const token = runtime.apiToken;
  const lines = [
    '',
    `callhooks is running on ${runtime.url}  (GET ${runtime.url}/health)`,
    ...(hasFaults(faults) ? ['', `Injecting faults: ${values.faults ?? process.env.CALLHOOKS_FAULTS}`] : []),
    '',
    tokenFromEnv
      ? 'API token: from CALLHOOKS_API_TOKEN'
      : `API token (generated for this run; set CALLHOOKS_API_TOKEN to choose your own):\n  ${token}`,
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
    removeDiscovery(discoveryFile);
    await runtime.close();
    rmSync(pidFile, { force: true });
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
