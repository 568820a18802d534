/**
 * `npm start`: runs callhooks on this machine — the same routes, handlers, event rule and tables as the AWS
 * stack — on 127.0.0.1:$PORT (default 3000), keeping DynamoDB Local's data in .local/dynamodb.
 */
import { fileURLToPath } from 'node:url';
import { JavaMissingError } from './dynamodb';
import { startLocalRuntime } from './runtime';

const root = fileURLToPath(new URL('..', import.meta.url));
const port = Number(process.env.PORT ?? 3000);
const tokenFromEnv = process.env.CALLHOOKS_API_TOKEN?.trim() || undefined;
const verbose = process.env.LOG_LEVEL === 'DEBUG';

async function main() {
  if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
    throw new Error(`PORT must be a TCP port number, not ${process.env.PORT}`);
  }
  const runtime = await startLocalRuntime({
    port,
    dataDir: `${root}.local/dynamodb`,
    apiToken: tokenFromEnv,
    log: (line) => {
      if (verbose || line.level === 'ERROR' || line.level === 'WARN') console.error(JSON.stringify(line));
    },
  });
  const token = runtime.apiToken;
  const lines = [
    '',
    `callhooks is running on ${runtime.url}  (GET ${runtime.url}/health)`,
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
    'Data is kept in .local/dynamodb between runs. Ctrl-C stops.',
    '',
  ];
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  if (error instanceof JavaMissingError) console.error(`\n${error.message}\n`);
  else console.error(error);
  process.exit(1);
});
