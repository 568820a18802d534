/**
 * A local runtime of the benchmarks' own: DynamoDB Local and the queues in a temporary folder, the sweeper
 * off (it would read and write on its own clock), the handlers' per-request log lines off. Optionally it
 * records every canonical event the bus accepts, to count events and compute floors (floor.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventBridgeEnvelope } from '../local/event-bus';
import { type LocalRuntime, startLocalRuntime } from '../local/runtime';
import { CallEvent } from '../shared/events';

export interface BenchRuntime {
  readonly runtime: LocalRuntime;
  readonly dataDir: string;
  /** Canonical events the bus accepted since start (every copy), while recording. */
  readonly events: CallEvent[];
  /** Whether canonical events are recorded now (only when started with recordEvents). */
  recording: boolean;
  close(): Promise<void>;
}

export async function startBenchRuntime(
  name: string,
  options: {
    capacity: boolean;
    recordEvents: boolean;
    /** An already running DynamoDB Local (the test suite's), with tables of their own. */
    dynamoEndpoint?: string;
    tablePrefix?: string;
  },
): Promise<BenchRuntime> {
  // The handlers' own lines (one per webhook) would bury the figures; warnings and errors still show.
  process.env.LOG_LEVEL ??= 'WARN';
  const dataDir = await mkdtemp(join(tmpdir(), `callhooks-${name}-`));
  const runtime = await startLocalRuntime({
    dataDir,
    sweepIntervalMs: 0,
    capacity: options.capacity,
    dynamoEndpoint: options.dynamoEndpoint,
    ...(options.tablePrefix ? { tablePrefix: options.tablePrefix } : {}),
  });
  const events: CallEvent[] = [];
  const bench: BenchRuntime = {
    runtime,
    dataDir,
    events,
    recording: options.recordEvents,
    close: async () => {
      await runtime.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  if (options.recordEvents) {
    runtime.bus.addRule({
      name: 'bench-recorder',
      pattern: { source: ['callhooks'], 'detail-type': ['CallEvent'] },
      target: async (envelope: EventBridgeEnvelope) => {
        if (bench.recording) events.push(CallEvent.parse(envelope.detail));
      },
    });
  }
  return bench;
}
