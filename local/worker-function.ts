/**
 * A function run in a worker thread of its own, as Lambda runs each function in a sandbox of its own: its
 * module, its clients and its event loop are its own, and it uses a core the rest of the runtime is not
 * using. The functions the bus's traffic drives run so (the fold, its router, the raw requests' keeper):
 * in the runtime's one thread, under load, their batches waited behind every webhook, and the call state
 * fell tens of seconds behind (docs/capacity.md, "End to end").
 *
 * Invocations are messages: the event goes in, the handler's result (or its error's name and message)
 * comes back, with what the invocation added to the local metric counts (function-worker.ts).
 */
import { Worker } from 'node:worker_threads';
import * as z from 'zod';
import { addLocalMetricCounts } from '../shared/metrics';

export const FunctionWorkerSetup = z.object({
  /** The function's name, as its Lambda context gives it. */
  name: z.string().min(1),
  /** The handler module's URL. */
  entry: z.string().min(1),
  timeoutSeconds: z.number().positive(),
});
export type FunctionWorkerSetup = z.infer<typeof FunctionWorkerSetup>;

export const Invocation = z.object({ id: z.number().int(), event: z.unknown() });

const Metrics = z.record(z.string(), z.number());
const InvocationOutcome = z.discriminatedUnion('ok', [
  z.object({ id: z.number().int(), ok: z.literal(true), result: z.unknown(), metrics: Metrics }),
  z.object({
    id: z.number().int(),
    ok: z.literal(false),
    error: z.object({ name: z.string(), message: z.string() }),
    metrics: Metrics,
  }),
]);
export type InvocationOutcome = z.infer<typeof InvocationOutcome>;
const Ready = z.object({ ready: z.literal(true) });

export interface WorkerFunction {
  invoke(event: unknown): Promise<unknown>;
  close(): Promise<void>;
}

interface Sandbox {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>;
}

/** One worker, resolved once the handler module is loaded (its init done). */
async function sandboxOf(
  setup: FunctionWorkerSetup,
  env: Readonly<Record<string, string | undefined>>,
  onExit: (sandbox: Sandbox, error: Error) => void,
): Promise<Sandbox> {
  const worker = new Worker(new URL('./function-worker.ts', import.meta.url), {
    workerData: setup,
    env: { ...env },
    // The handlers are TypeScript, loaded as `npm start` loads them.
    execArgv: ['--import', 'tsx'],
  });
  const sandbox: Sandbox = { worker, pending: new Map() };
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: unknown) => {
      worker.off('error', reject);
      if (Ready.safeParse(message).success) resolve();
      else reject(new Error(`function ${setup.name}: its worker said ${JSON.stringify(message)} at init`));
    });
  });
  worker.on('message', (message: unknown) => {
    const outcome = InvocationOutcome.parse(message);
    addLocalMetricCounts(outcome.metrics);
    const waiting = sandbox.pending.get(outcome.id);
    if (!waiting) return;
    sandbox.pending.delete(outcome.id);
    if (outcome.ok) waiting.resolve(outcome.result);
    else waiting.reject(Object.assign(new Error(outcome.error.message), { name: outcome.error.name }));
  });
  let error: Error | undefined;
  worker.on('error', (cause) => {
    error = cause;
  });
  worker.on('exit', (code) => {
    const why = error ?? new Error(`function ${setup.name}: its worker exited (${code})`);
    for (const waiting of sandbox.pending.values()) waiting.reject(why);
    sandbox.pending.clear();
    onExit(sandbox, why);
  });
  worker.unref();
  return sandbox;
}

/**
 * A function in a worker, loaded before this resolves. `env` is the worker's whole environment: the
 * handlers read their configuration from it at init, as on Lambda. A worker that dies (an uncaught error
 * in the handler's module) fails the invocations it held, and the next invocation gets a fresh one, as
 * Lambda replaces a sandbox that crashed.
 */
export async function startWorkerFunction(
  setup: FunctionWorkerSetup,
  env: Readonly<Record<string, string | undefined>>,
  log: (line: Record<string, unknown>) => void,
): Promise<WorkerFunction> {
  let closing = false;
  let current: Promise<Sandbox> | undefined;
  const spawn = (): Promise<Sandbox> =>
    sandboxOf(setup, env, (sandbox, error) => {
      if (!closing)
        log({
          level: 'ERROR',
          message: 'function worker died; the next invocation starts another',
          error: error.message,
        });
      void current?.then((live) => {
        if (live === sandbox) current = undefined;
      });
    });
  current = spawn();
  await current;
  let next = 0;
  return {
    invoke: async (event) => {
      current ??= spawn();
      const sandbox = await current;
      const id = next++;
      return new Promise((resolve, reject) => {
        sandbox.pending.set(id, { resolve, reject });
        sandbox.worker.postMessage({ id, event });
      });
    },
    close: async () => {
      closing = true;
      const live = await current;
      await live?.worker.terminate();
    },
  };
}
