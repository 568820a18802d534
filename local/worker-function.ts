/**
 * A function run in a worker thread of its own, as Lambda runs each function in a sandbox of its own: its
 * module, its clients and its event loop are its own, and it uses a core the rest of the runtime is not
 * using. The state fold runs so: in the runtime's one thread, under load, its batches waited behind every
 * webhook, and the state fell tens of seconds behind (docs/capacity.md, "End to end").
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

/**
 * Starts the worker and resolves once the handler module is loaded (its init done). `env` is the worker's
 * whole environment: the handlers read their configuration from it at init, as on Lambda.
 */
export async function startWorkerFunction(
  setup: FunctionWorkerSetup,
  env: Readonly<Record<string, string | undefined>>,
): Promise<WorkerFunction> {
  const worker = new Worker(new URL('./function-worker.ts', import.meta.url), {
    workerData: setup,
    env: { ...env },
    // The handlers are TypeScript, loaded as `npm start` loads them.
    execArgv: ['--import', 'tsx'],
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let next = 0;
  let failure: Error | undefined;
  const failAll = (error: Error) => {
    failure = error;
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  };
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: unknown) => {
      worker.off('error', reject);
      if (Ready.safeParse(message).success) resolve();
      else
        reject(
          new Error(`function ${setup.name}: its worker said ${JSON.stringify(message)} before it was ready`),
        );
    });
  });
  worker.on('message', (message: unknown) => {
    const outcome = InvocationOutcome.parse(message);
    addLocalMetricCounts(outcome.metrics);
    const waiting = pending.get(outcome.id);
    if (!waiting) return;
    pending.delete(outcome.id);
    if (outcome.ok) waiting.resolve(outcome.result);
    else waiting.reject(Object.assign(new Error(outcome.error.message), { name: outcome.error.name }));
  });
  worker.on('error', (error) => failAll(error));
  worker.on('exit', (code) => failAll(new Error(`function ${setup.name}: its worker exited (${code})`)));
  worker.unref();
  return {
    invoke: (event) => {
      if (failure) return Promise.reject(failure);
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, event });
      });
    },
    close: async () => {
      await worker.terminate();
    },
  };
}
