import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { startWorkerFunction, type WorkerFunction } from '../../../local/worker-function';
import { localMetricCounts } from '../../../shared/metrics';

const entry = new URL('../../support/workers/echo-handler.ts', import.meta.url).href;
const started: WorkerFunction[] = [];
const lines: Record<string, unknown>[] = [];

async function start(env: Record<string, string> = {}) {
  const fn = await startWorkerFunction(
    { name: 'callhooks-echo', entry, timeoutSeconds: 5 },
    { ...process.env, CALLHOOKS_LOCAL: '1', ...env },
    (line) => lines.push(line),
  );
  started.push(fn);
  return fn;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((fn) => fn.close()));
  lines.splice(0);
});

describe('a function in a worker thread', () => {
  it('answers each invocation with its handler’s result, in the environment and name it was given', async () => {
    // Prepare
    const fn = await start({ WORKER_TEST_SETTING: 'from the runtime' });

    // Act
    const answers = await Promise.all(['one', 'two', 'three'].map((say) => fn.invoke({ say })));

    // Assess
    expect(answers).toEqual(
      ['one', 'two', 'three'].map((said) =>
        expect.objectContaining({ said, fn: 'callhooks-echo', setting: 'from the runtime' }),
      ),
    );
  });

  it('rejects with the handler’s error, by name and message, and goes on answering', async () => {
    // Prepare
    const fn = await start();

    // Act
    const failed = fn.invoke({ say: 'no', fail: true });

    // Assess
    await expect(failed).rejects.toMatchObject({ name: 'RangeError', message: 'asked to fail: no' });
    await expect(fn.invoke({ say: 'yes' })).resolves.toMatchObject({ said: 'yes' });
  });

  it('adds what its handler counted to this process’s metric counts', async () => {
    // Prepare
    const fn = await start();
    const before = localMetricCounts().get('EventsFolded') ?? 0;

    // Act
    await fn.invoke({ say: 'a' });
    await fn.invoke({ say: 'b', fail: true }).catch(() => undefined);

    // Assess: failed invocations count too.
    expect((localMetricCounts().get('EventsFolded') ?? 0) - before).toBe(2);
  });

  it('starts a fresh sandbox after its worker died, and says so', async () => {
    // Prepare
    const fn = await start();
    const Answer = z.object({ said: z.string(), loadedAt: z.number() });
    const first = Answer.parse(await fn.invoke({ say: 'before' }));

    // Act: the crash comes just after this invocation answered. Invocations that reach the dying worker
    // fail; the first one after its death loads the module afresh.
    await fn.invoke({ say: 'crash', crash: true });
    let after: z.infer<typeof Answer> | undefined;
    for (
      let attempt = 0;
      attempt < 50 && (after === undefined || after.loadedAt === first.loadedAt);
      attempt++
    ) {
      after = await fn.invoke({ say: 'after' }).then(
        (answer) => Answer.parse(answer),
        () => undefined,
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    // Assess: a module loaded later answered, and the death was logged.
    expect(after?.said).toBe('after');
    expect(after?.loadedAt).toBeGreaterThan(first.loadedAt);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'ERROR', error: 'the module broke' }));
  });
});
