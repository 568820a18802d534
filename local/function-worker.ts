/**
 * The inside of a function that the local runtime runs in a worker thread (worker-function.ts): it loads
 * the function's handler module with the environment it was given, as a Lambda sandbox loads one at init,
 * then answers one invocation per message with the handler's result or its error. After each, it sends
 * what the invocation added to the local metric counts, so that the runtime's counts stay whole.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as z from 'zod';
import { localMetricCounts } from '../shared/metrics';
import { lambdaContext } from './api-gateway';
import { FunctionWorkerSetup, Invocation, type InvocationOutcome } from './worker-function';

const port = parentPort;
if (!port) throw new Error('local/function-worker.ts runs only as a worker thread');
const setup = FunctionWorkerSetup.parse(workerData);
const loaded: unknown = await import(setup.entry);
const Module = z.object({
  handler: z.custom<(event: unknown, context: unknown) => unknown>((value) => typeof value === 'function'),
});
const handler = Module.parse(loaded).handler;

/** Counts as last sent: each outcome carries only what changed since. */
const sent = new Map<string, number>();
function metricDeltas(): Record<string, number> {
  const deltas: Record<string, number> = {};
  for (const [key, value] of localMetricCounts()) {
    const change = value - (sent.get(key) ?? 0);
    if (change !== 0) deltas[key] = change;
    sent.set(key, value);
  }
  return deltas;
}

port.on('message', (message: unknown) => {
  const { id, event } = Invocation.parse(message);
  const answer = (outcome: InvocationOutcome) => port.postMessage(outcome);
  Promise.resolve()
    .then(() => handler(event, lambdaContext(setup.name, setup.timeoutSeconds)))
    .then(
      (result: unknown) => answer({ id, ok: true, result, metrics: metricDeltas() }),
      (error: unknown) =>
        answer({
          id,
          ok: false,
          error: {
            name: error instanceof Error ? error.name : 'Error',
            message: error instanceof Error ? error.message : String(error),
          },
          metrics: metricDeltas(),
        }),
    );
});
port.postMessage({ ready: true });
