/**
 * `npm run renormalise -- --connection ID --from ISO --to ISO [--dry-run]`: re-runs today's normaliser
 * over the raw requests the local runtime kept for one connection in [from, to) and publishes the events;
 * they fold over the old ones (same ids, a higher revision). On AWS the same is the Renormalise function
 * (README, "Operating it").
 */
import * as z from 'zod';
import { commandLine, main, UsageError } from './cli';
import { localTarget } from './local-target';
import { callApi } from './traffic/http';

const USAGE = `usage: npm run renormalise -- --connection ID --from ISO --to ISO [--dry-run] [--target URL --token T]

  --connection  the connection whose kept requests to renormalise
  --from, --to  the time range the requests were received in, ISO-8601 (to is exclusive)
  --dry-run     count what would be published, publish nothing`;

const Result = z.object({
  revision: z.number(),
  requests: z.number(),
  events: z.number(),
  skipped: z.array(z.object({ requestId: z.string(), reason: z.string() })),
});

async function run(): Promise<number> {
  const { values } = commandLine({
    options: {
      connection: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      target: { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.connection || !values.from || !values.to)
    throw new UsageError('--connection, --from and --to are required');
  const target = localTarget(values);
  const reply = await callApi(fetch, target.baseUrl, target.apiToken, 'POST', '/__local/renormalise', {
    body: {
      connectionId: values.connection,
      from: values.from,
      to: values.to,
      ...(values['dry-run'] ? { dryRun: true } : {}),
    },
    timeoutMs: 600_000,
  });
  const result = Result.parse(reply.json);
  console.log(
    `renormalise: ${result.requests} kept requests read, ${result.events} events ${values['dry-run'] ? 'would be ' : ''}published (revision ${result.revision})`,
  );
  for (const skip of result.skipped.slice(0, 20)) console.log(`  skipped ${skip.requestId}: ${skip.reason}`);
  if (result.skipped.length > 20) console.log(`  … and ${result.skipped.length - 20} more skipped`);
  return 0;
}

main('renormalise', USAGE, run);
