/**
 * A handler module for test/unit/local/worker-function.test.ts: it answers with what it was given and what
 * its environment says, counts a metric, fails when asked, and when asked to crash takes its worker down
 * (an uncaught error outside the invocation, as a broken module would).
 */
import * as z from 'zod';
import { createMetrics } from '../../../shared/metrics';

const metrics = createMetrics('worker-test');
const Event = z.object({ say: z.string(), fail: z.boolean().optional(), crash: z.boolean().optional() });
const loadedAt = Date.now();

export async function handler(event: unknown, context: { functionName: string }) {
  const { say, fail, crash } = Event.parse(event);
  metrics.count('EventsFolded');
  if (crash)
    setImmediate(() => {
      throw new Error('the module broke');
    });
  if (fail) throw new RangeError(`asked to fail: ${say}`);
  return { said: say, fn: context.functionName, setting: process.env.WORKER_TEST_SETTING, loadedAt };
}
