/**
 * What every Lambda function of the stack is built and sized with, as plain data: the esbuild options
 * CallhooksFunction hands NodejsFunction (infra/function.ts), the memory sizes, and each function's entry.
 * `npm run bench` builds the very same bundles from here without loading aws-cdk-lib.
 */
import { handlerEntryOf, vendorList } from '../functions/vendors/vendors';

/** Memory for functions that answer a live call: more memory is more CPU, and the vendor is waiting. */
export const LIVE_CALL_MEMORY_MB = 1024;
export const DEFAULT_MEMORY_MB = 512;

/**
 * esbuild's ESM output has no `require`; CommonJS dependencies that call it (parts of the AWS SDK) need one.
 * The alias keeps the import from clashing with any identifier in the bundle.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __callhooksCreateRequire } from 'node:module'; const require = __callhooksCreateRequire(import.meta.url);";

/** The bundling of every function, in esbuild's own terms (NodejsFunction adds `bundle` and `platform: node`). */
export const lambdaBundling = {
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  // Stack traces only need the mappings; the sources would double the asset for nothing.
  sourcesContent: false,
  // Bundle the AWS SDK: a pinned, tree-shaken copy initialises faster than the runtime's own.
  external: [],
  banner: ESM_REQUIRE_BANNER,
} as const;

/**
 * Source-mapped stack traces cost every cold start the reading of the bundle's source map (8–19 ms,
 * bench/RESULTS.md section 1), so they are off unless the stack's `sourceMaps` setting turns them on.
 */
export const SOURCE_MAPS_BY_DEFAULT = false;

/** The NODE_OPTIONS a function is given: source maps on, or nothing. */
export const nodeOptionsOf = (sourceMaps: boolean): Record<string, string> =>
  sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {};

/** The stack's functions other than the vendors' webhooks, by name, with their entries (from the repository root). */
export const functionEntries = {
  connections: 'functions/connections/handler.ts',
  calls: 'functions/calls/handler.ts',
  callControl: 'functions/call-control/handler.ts',
  stateRouter: 'functions/state/router.ts',
  state: 'functions/state/handler.ts',
  outbox: 'functions/outbox/handler.ts',
  requests: 'functions/requests/handler.ts',
  sweeper: 'functions/sweeper/handler.ts',
  renormalise: 'functions/renormalise/handler.ts',
} as const;

export type SdkClient = 'dynamodb' | 'eventbridge' | 'sqs' | 'lambda' | 'kms';

/**
 * The AWS SDK clients each function's code uses (its grants in infra/function.ts say the same): the floor
 * npm run bench sets a function's init beside. A vendor's webhook reads and writes DynamoDB, publishes,
 * falls back to the outbox, opens its connection's sealed secrets with KMS and may invoke a decider.
 */
const clientsOf: Record<keyof typeof functionEntries, readonly SdkClient[]> = {
  // Seals new secrets with KMS (shared/sealing.ts).
  connections: ['dynamodb', 'kms'],
  calls: ['dynamodb'],
  callControl: ['dynamodb'],
  stateRouter: ['sqs'],
  state: ['dynamodb'],
  outbox: ['dynamodb', 'eventbridge'],
  requests: ['dynamodb'],
  sweeper: ['dynamodb', 'eventbridge'],
  renormalise: ['dynamodb', 'eventbridge'],
};
const WEBHOOK_CLIENTS: readonly SdkClient[] = ['dynamodb', 'eventbridge', 'sqs', 'kms', 'lambda'];

export interface LambdaFunctionSpec {
  readonly name: string;
  readonly entry: string;
  readonly memoryMb: number;
  readonly clients: readonly SdkClient[];
}

/** Every function of the core stack (the analytics stack's are left out): what bench builds and prices. */
export function lambdaFunctions(): LambdaFunctionSpec[] {
  return [
    ...vendorList.map(({ meta }) => ({
      name: `webhook:${meta.id}`,
      entry: handlerEntryOf(meta.id),
      memoryMb: meta.routes.some((route) => route.answersCall) ? LIVE_CALL_MEMORY_MB : DEFAULT_MEMORY_MB,
      clients: WEBHOOK_CLIENTS,
    })),
    ...(Object.keys(functionEntries) as (keyof typeof functionEntries)[]).map((name) => ({
      name,
      entry: functionEntries[name],
      memoryMb: DEFAULT_MEMORY_MB,
      clients: clientsOf[name],
    })),
  ];
}
