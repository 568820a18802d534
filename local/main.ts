/**
 * `npm start`: runs callhooks on this machine — the same routes, handlers, event rule, queues and tables as
 * the AWS stack — on 127.0.0.1:$PORT (default 3000; CALLHOOKS_HOST opts in to another address), keeping DynamoDB Local's data and every queue in
 * .local/ so that what was acknowledged survives a restart, even a kill -9.
 *
 *   npm start -- --faults dynamodb-throttle,putevents-partial   inject faults (see local/faults.ts)
 *   npm start -- --log-format json                              every log line as JSON (CALLHOOKS_LOG_FORMAT)
 *
 * SIGTERM or SIGINT (Ctrl-C, an IDE's stop button, `kill`) closes the server, the queues and DynamoDB Local's
 * Java process, and says so. Whatever it cannot start on (a port in use, a bad PORT, no Java) is one line and
 * exit code 1.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { JavaMissingError } from './dynamodb';
import { FaultSpecError, hasFaults, parseFaults } from './faults';
import {
  handlerLogOf,
  type LogFormat,
  LogFormatError,
  logFormatOf,
  shown,
  shownFromRuntime,
  textLine,
} from './log-format';
import { parseTenantTokens, startLocalRuntime } from './runtime';
import { LOCAL_DATA_DIR, RUNTIME_FILE, type RuntimeFile } from './runtime-file';

const dataDir = LOCAL_DATA_DIR;
const pidFile = `${dataDir}/runtime.pid`;
/** The generated API token, kept so that it stays the same from one run to the next. */
const tokenFile = `${dataDir}/api-token`;
/** Loopback unless the operator opts in to another address (e.g. 0.0.0.0 for a vendor on the LAN). */
const host = process.env.CALLHOOKS_HOST?.trim() || '127.0.0.1';
/** The data folder as a person reads it: relative to where npm start runs, when inside it. */
const shownDir = relative(process.cwd(), dataDir).startsWith('..')
  ? dataDir
  : relative(process.cwd(), dataDir) || '.';
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

/** What the person can fix before anything starts: printed as one line, exit code 1. */
class StartError extends Error {}

/** PORT as a TCP port: 0 takes a free one. */
function portOf(value: string | undefined): number {
  const text = value?.trim() || '3000';
  const port = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(port) || port > 65_535) {
    throw new StartError(
      `PORT must be a TCP port number from 0 to 65535 (0 takes a free one), not "${value}".`,
    );
  }
  return port;
}

/** Handlers' Powertools JSON lines, written straight to stdout and stderr, as one text line each. */
function handlerLinesAsText(stream: NodeJS.WriteStream, minimum: string) {
  const write = stream.write.bind(stream);
  const rewrite = (chunk: unknown, ...rest: unknown[]): boolean => {
    const text =
      typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
    const line = text === undefined ? undefined : handlerLogOf(text.trimEnd());
    const callback = rest.find((arg): arg is () => void => typeof arg === 'function');
    if (!line) return Reflect.apply(write, stream, [chunk, ...rest]);
    if (!shown(line, minimum)) {
      callback?.();
      return true;
    }
    return write(`${textLine(line)}\n`, callback);
  };
  stream.write = rewrite as typeof stream.write;
}

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
  let args: ReturnType<typeof parseCommandLine>;
  try {
    args = parseCommandLine();
  } catch (error) {
    throw new StartError(error instanceof Error ? error.message : String(error));
  }
  const { values } = args;
  const faults = parseFaults(values.faults ?? process.env.CALLHOOKS_FAULTS);
  const format: LogFormat = logFormatOf(values['log-format'], process.env.CALLHOOKS_LOG_FORMAT);
  // PORT=0 takes a free port (the URL is printed, and kept in .local/runtime.json).
  const port = portOf(process.env.PORT);
  // What the runtime's own parts (server, bus, queues, sweeper) print: warnings and errors always, every
  // webhook at INFO (the default), all of it at DEBUG.
  const minimum = process.env.LOG_LEVEL?.trim().toUpperCase() || 'INFO';
  if (format === 'text') {
    // The handlers' INFO lines repeat the webhook line; their warnings and errors are shown, as text.
    process.env.LOG_LEVEL = minimum === 'INFO' ? 'WARN' : minimum;
    handlerLinesAsText(process.stdout, minimum);
    handlerLinesAsText(process.stderr, minimum);
  }
  const running = alreadyRunning();
  if (running) throw new StartError(`callhooks is already running here (pid ${running}); stop it first.`);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(pidFile, String(process.pid));
  let runtime: Awaited<ReturnType<typeof startLocalRuntime>>;
  try {
    runtime = await startLocalRuntime({
      port,
      host,
      dataDir,
      apiToken: tokenFromEnv ?? keptToken(),
      apiTokens: parseTenantTokens(process.env.CALLHOOKS_API_TOKENS),
      tokenSource: tokenFromEnv
        ? 'CALLHOOKS_API_TOKEN'
        : `printed by npm start, kept in ${shownDir}/api-token`,
      faults,
      log: (line) => {
        if (!shownFromRuntime(line, minimum)) return;
        console.error(format === 'json' ? JSON.stringify(line) : textLine(line));
      },
    });
  } catch (error) {
    rmSync(pidFile, { force: true });
    if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE')
      throw new StartError(
        `Port ${port} is in use on ${host}: stop what listens there, or choose another with PORT=<port> (PORT=0 takes a free one).`,
      );
    if (error instanceof Error && 'code' in error && error.code === 'EACCES')
      throw new StartError(`Port ${port} cannot be opened by this user: choose another with PORT=<port>.`);
    throw error;
  }
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
      : `API token (generated once and kept in ${shownDir}/api-token; set CALLHOOKS_API_TOKEN to choose your own):\n  ${token}`,
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
    `Data and queues are kept in ${shownDir}/ between runs. Ctrl-C stops.`,
    '',
    ...(format === 'text'
      ? ['One line per webhook: time, vendor, route, status, ms, connection, session.', '']
      : []),
  ];
  console.log(lines.join('\n'));

  const started = runtime;
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`callhooks: ${why}, stopping…`);
    try {
      await started.close();
    } finally {
      rmSync(pidFile, { force: true });
      rmSync(RUNTIME_FILE, { force: true });
    }
    console.error('callhooks: stopped (server closed, queues closed, DynamoDB Local stopped).');
    process.exit(0);
  };
  const stopFor = (why: string) => {
    stop(why).catch((error: unknown) => {
      console.error(`callhooks: could not stop cleanly: ${error instanceof Error ? error.message : error}`);
      process.exit(1);
    });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => stopFor(`${signal} received`));
  // `npm start` runs this through `sh -c`, and npm passes a SIGTERM to sh only, which exits without passing
  // it on: this process is then handed to init (its parent changes). Stop then too, or the server and Java
  // outlive the npm process an IDE's stop button ended.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stopFor(`the process that started it (pid ${parent}) has exited`);
  }, 500).unref();
}

function parseCommandLine() {
  return parseArgs({
    options: { faults: { type: 'string' }, 'log-format': { type: 'string' } },
    allowPositionals: false,
  });
}

main().catch((error: unknown) => {
  if (
    error instanceof JavaMissingError ||
    error instanceof FaultSpecError ||
    error instanceof LogFormatError ||
    error instanceof StartError
  )
    console.error(`callhooks: ${error.message}`);
  else console.error(error);
  process.exit(1);
});
