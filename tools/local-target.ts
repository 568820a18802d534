/** Which local runtime a command talks to: `--target URL --token T`, or the one `npm start` runs here. */
import { runningRuntime } from '../local/runtime-file';
import { CommandError, targetOf, UsageError } from './cli';
import type { LocalTarget } from './traffic/local-control';

export function localTarget(values: {
  target?: string | undefined;
  token?: string | undefined;
}): LocalTarget {
  if (values.target && values.target !== 'local') {
    const token = values.token ?? process.env.CALLHOOKS_API_TOKEN;
    if (!token) throw new UsageError('--target URL needs --token (or CALLHOOKS_API_TOKEN)');
    return { baseUrl: targetOf(values.target, ''), apiToken: token };
  }
  const running = runningRuntime();
  if (!running) {
    throw new CommandError(
      'no local runtime is running here (.local/runtime.json): start one with `npm start`, or pass --target and --token',
    );
  }
  return { baseUrl: running.url, apiToken: values.token ?? running.token };
}
