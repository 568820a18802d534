/**
 * The benchmark's first section: every function's Lambda bundle, built exactly as the CDK stack builds it
 * (infra/lambda-defaults.ts), its size, and its module-init time in fresh Node processes, beside a floor
 * bundle that holds only the AWS SDK clients the function's bundle holds, built and timed alike.
 *
 * Init is timed inside the child (`performance.now()` around `await import(bundle)`), so process start is
 * not counted, with the NODE_OPTIONS the stack deploys by default (no source maps); then once more with
 * `--enable-source-maps`, which the stack's `sourceMaps` setting turns on, to show what that costs.
 * Function and floor runs take turns, so a machine that gets busier slows both alike.
 */

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import {
  type LambdaFunctionSpec,
  lambdaBundling,
  nodeOptionsOf,
  type SdkClient,
  SOURCE_MAPS_BY_DEFAULT,
} from '../infra/lambda-defaults';
import { DEFAULT_CALLER_RULES } from '../shared/caller';
import { functionEnv } from '../shared/config';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** How a floor makes each client at init, as the function's code does (shared/aws/*.ts). */
const FLOOR_CLIENT: Record<SdkClient, { readonly pkg: string; readonly source: string }> = {
  dynamodb: {
    pkg: '@aws-sdk/client-dynamodb',
    source: `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
export const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient({}));`,
  },
  eventbridge: {
    pkg: '@aws-sdk/client-eventbridge',
    source: `import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
export const eventbridge = new EventBridgeClient({});`,
  },
  sqs: {
    pkg: '@aws-sdk/client-sqs',
    source: `import { SQSClient } from '@aws-sdk/client-sqs';
export const sqs = new SQSClient({});`,
  },
  kms: {
    pkg: '@aws-sdk/client-kms',
    source: `import { KMSClient } from '@aws-sdk/client-kms';
export const kms = new KMSClient({});`,
  },
  // The webhook loads the Lambda client only when a decider is called; the floor holds it the same way.
  lambda: {
    pkg: '@aws-sdk/client-lambda',
    source: `export const lambda = async () => (await import('@aws-sdk/client-lambda')).LambdaClient;`,
  },
};

/** What a deployed function finds in its environment, with made-up values of the right shape. */
export function lambdaEnvironment(
  name: string,
  memoryMb: number,
  sourceMaps: boolean = SOURCE_MAPS_BY_DEFAULT,
): Record<string, string> {
  const queue = (q: string) => `https://sqs.us-east-1.amazonaws.com/000000000000/${q}`;
  return {
    PATH: process.env.PATH ?? '',
    ...nodeOptionsOf(sourceMaps),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_LAMBDA_FUNCTION_NAME: `callhooks-${name.replace(':', '-')}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    POWERTOOLS_SERVICE_NAME: 'callhooks',
    LOG_LEVEL: 'WARN',
    [functionEnv.callsTable]: 'callhooks-calls',
    [functionEnv.connectionsTable]: 'callhooks-connections',
    [functionEnv.scratchTable]: 'callhooks-scratch',
    [functionEnv.requestsTable]: 'callhooks-requests',
    [functionEnv.controlTable]: 'callhooks-control',
    [functionEnv.eventBusName]: 'callhooks',
    [functionEnv.outboxQueueUrl]: queue('callhooks-outbox'),
    [functionEnv.stateQueueUrl]: queue('callhooks-state.fifo'),
    [functionEnv.historyTtlDays]: '90',
    [functionEnv.sessionRetentionDays]: '400',
    [functionEnv.rawRequestRetentionDays]: '30',
    [functionEnv.secretsKeyArn]:
      'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000001',
    [functionEnv.macKeyArn]: 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000002',
    [functionEnv.tenantClaim]: DEFAULT_CALLER_RULES.tenantClaim,
    [functionEnv.operatorScope]: DEFAULT_CALLER_RULES.operatorScope,
  };
}

interface Built {
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly metafile: Metafile;
}

async function bundle(outfile: string, input: { entry: string } | { contents: string }): Promise<Built> {
  const result = await build({
    ...('entry' in input
      ? { entryPoints: [join(ROOT, input.entry)] }
      : { stdin: { contents: input.contents, resolveDir: ROOT, loader: 'ts', sourcefile: 'floor.ts' } }),
    bundle: true,
    platform: 'node',
    outfile,
    format: lambdaBundling.format,
    target: lambdaBundling.target,
    mainFields: [...lambdaBundling.mainFields],
    minify: lambdaBundling.minify,
    sourcemap: lambdaBundling.sourcemap,
    sourcesContent: lambdaBundling.sourcesContent,
    external: [...lambdaBundling.external],
    banner: { js: lambdaBundling.banner },
    metafile: true,
    logLevel: 'error',
    absWorkingDir: ROOT,
  });
  const code = await readFile(outfile);
  return {
    file: outfile,
    bytes: code.byteLength,
    gzipBytes: gzipSync(code).byteLength,
    metafile: result.metafile,
  };
}

/** The SDK client packages a bundle holds. */
function packagesIn(metafile: Metafile): Set<string> {
  const found = new Set<string>();
  for (const path of Object.keys(metafile.inputs)) {
    const pkg = /node_modules\/(@aws-sdk\/client-[a-z0-9-]+)\//.exec(path)?.[1];
    if (pkg) found.add(pkg);
  }
  return found;
}

function floorSource(clients: readonly SdkClient[]): string {
  return [
    ...clients.map((client) => FLOOR_CLIENT[client].source),
    'export const handler = async () => ({});',
  ].join('\n');
}

const TIMER = `const started = performance.now();
await import(process.argv[2]);
process.stdout.write(String(performance.now() - started));
process.exit(0);
`;

/** A temporary folder holding the init timer, for `run` to build and time bundles in; removed after. */
async function inTimerDir<T>(prefix: string, run: (dir: string, timer: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    const timer = join(dir, 'init-timer.mjs');
    await writeFile(timer, TIMER);
    return await run(dir, timer);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function initMs(timer: string, file: string, env: Record<string, string>): Promise<number> {
  const { stdout } = await run(process.execPath, [timer, pathToFileURL(file).href], { env, timeout: 60_000 });
  const ms = Number(stdout.trim());
  if (!Number.isFinite(ms)) throw new Error(`init timer printed ${JSON.stringify(stdout)} for ${file}`);
  return ms;
}

export const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

export interface HandlerFigures {
  readonly name: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly initMs: number;
  readonly floorInitMs: number;
  readonly initRatio: number;
  /** Not in results.json's shape: init with `--enable-source-maps` (the stack's `sourceMaps` setting). */
  readonly sourceMapsInitMs: number;
  /** Not in results.json's shape, but printed: what the floor holds and how big it is. */
  readonly floorClients: readonly SdkClient[];
  /** SDK client packages the bundle holds that the function does not use. */
  readonly extraClients: readonly string[];
  readonly floorBytes: number;
  readonly memoryMb: number;
}

export async function measureBundles(
  functions: readonly LambdaFunctionSpec[],
  samples: number,
  log: (line: string) => void = () => undefined,
): Promise<HandlerFigures[]> {
  return inTimerDir('callhooks-bundles-', async (dir, timer) => {
    const out: HandlerFigures[] = [];
    for (const fn of functions) {
      const slug = fn.name.replace(/[^a-z0-9]+/gi, '-');
      const built = await bundle(join(dir, slug, 'index.mjs'), { entry: fn.entry });
      const floor = await bundle(join(dir, `${slug}-floor`, 'index.mjs'), {
        contents: floorSource(fn.clients),
      });
      const held = packagesIn(built.metafile);
      const extra = [...held].filter((pkg) => !fn.clients.some((client) => FLOOR_CLIENT[client].pkg === pkg));
      const env = lambdaEnvironment(fn.name, fn.memoryMb);
      const mapped = lambdaEnvironment(fn.name, fn.memoryMb, true);
      const own: number[] = [];
      const base: number[] = [];
      const withMaps: number[] = [];
      for (let i = 0; i < samples; i++) {
        own.push(await initMs(timer, built.file, env));
        base.push(await initMs(timer, floor.file, env));
        withMaps.push(await initMs(timer, built.file, mapped));
      }
      const initMsMedian = median(own);
      const floorInitMs = median(base);
      out.push({
        name: fn.name,
        bytes: built.bytes,
        gzipBytes: built.gzipBytes,
        initMs: initMsMedian,
        floorInitMs,
        initRatio: initMsMedian / floorInitMs,
        sourceMapsInitMs: median(withMaps),
        floorClients: fn.clients,
        extraClients: extra,
        floorBytes: floor.bytes,
        memoryMb: fn.memoryMb,
      });
      log(
        `bench: ${fn.name}: ${(built.bytes / 1024).toFixed(0)} KiB, init ${initMsMedian.toFixed(1)} ms vs floor ${floorInitMs.toFixed(1)} ms`,
      );
    }
    return out;
  });
}

/** A library the functions hold, as the smallest bundle that loads it: what it adds to init on its own. */
const LIBRARIES: readonly { readonly name: string; readonly source: string }[] = [
  { name: 'DynamoDB client only (the floor)', source: '' },
  {
    name: '+ zod, one schema',
    source: "import * as z from 'zod';\nexport const schema = z.object({ id: z.string() });",
  },
  {
    name: '+ zod/mini, one schema',
    source: "import * as z from 'zod/mini';\nexport const schema = z.object({ id: z.string() });",
  },
  {
    name: '+ Powertools Logger and Metrics',
    source: `import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
export const logger = new Logger();
export const metrics = new Metrics({ namespace: 'bench' });`,
  },
  { name: '+ middy', source: "import middy from '@middy/core';\nexport const wrapped = middy();" },
];

export interface LibraryFigures {
  readonly name: string;
  readonly bytes: number;
  readonly initMs: number;
  /** Init ÷ the DynamoDB-only floor's, measured in turns with it. */
  readonly ratio: number;
}

/**
 * What each library costs init on its own, beside a floor of the DynamoDB client alone: how much of a
 * function's init ratio its libraries take before any of its own code runs.
 */
export async function measureLibraries(samples: number): Promise<LibraryFigures[]> {
  return inTimerDir('callhooks-libraries-', async (dir, timer) => {
    const env = lambdaEnvironment('library', 512);
    const floorClient = floorSource(['dynamodb']);
    const built = await Promise.all(
      LIBRARIES.map((library, i) =>
        bundle(join(dir, `library-${i}`, 'index.mjs'), { contents: `${library.source}\n${floorClient}` }),
      ),
    );
    const times = built.map((): number[] => []);
    for (let n = 0; n < samples; n++) {
      for (const [i, b] of built.entries()) times[i]?.push(await initMs(timer, b.file, env));
    }
    const floorMs = median(times[0] ?? []);
    return LIBRARIES.map((library, i) => {
      const ms = median(times[i] ?? []);
      return { name: library.name, bytes: built[i]?.bytes ?? 0, initMs: ms, ratio: ms / floorMs };
    });
  });
}
