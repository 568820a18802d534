/**
 * `npm run redrive`: moves every message the local runtime's dead-letter queues hold back to the queue it
 * came from, where it is delivered again. On AWS the same is an SQS message move task per dead-letter
 * queue (README, "Operating it"; docs/reliability.md, "Redrive").
 */
import { commandLine, main } from './cli';
import { localTarget } from './local-target';
import { deadLetters, redrive, waitIdle } from './traffic/local-control';

const USAGE = `usage: npm run redrive [-- --wait SECONDS] [--target URL --token T]

  Moves every dead-lettered message of the running local runtime back to its queue, then waits (default
  up to 60 s) until they have been delivered, and says how many are dead-lettered again.`;

async function run(): Promise<number> {
  const { values } = commandLine({
    options: {
      target: { type: 'string' },
      token: { type: 'string' },
      wait: { type: 'string', default: '60' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const target = localTarget(values);
  const waiting = await deadLetters(target);
  if (waiting === 0) {
    console.log('redrive: no dead-lettered messages');
    return 0;
  }
  const moved = await redrive(target);
  console.log(`redrive: ${moved} messages moved back to their queues; waiting for them to be delivered…`);
  const settled = await waitIdle(target, Number(values.wait) * 1000);
  const again = await deadLetters(target);
  console.log(
    again === 0
      ? `redrive: all delivered${settled ? '' : ' so far (some are still being retried)'}`
      : `redrive: ${again} dead-lettered again — see the runtime's log for why`,
  );
  return again === 0 ? 0 : 1;
}

main('redrive', USAGE, run);
