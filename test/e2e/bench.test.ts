/**
 * `npm run bench -- --smoke` keeps working: every section runs tiny against the suite's DynamoDB Local and
 * writes results.json in the performance issue's shape and RESULTS.md with a chart of each ratio. The
 * benchmark itself is not a test; its figures here mean nothing beyond being measured at all.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runBench } from '../../bench/bench';

describe('npm run bench -- --smoke', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('measures every section and writes results.json in the issue’s shape and RESULTS.md with its charts', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'callhooks-bench-smoke-'));
    dirs.push(outDir);
    await runBench({
      smoke: true,
      outDir,
      seed: `smoke-${Date.now().toString(36)}`,
      initSamples: 1,
      calls: 1,
      e2eCalls: 1,
      dynamoEndpoint: inject('dynamoEndpoint'),
      tablePrefix: `bench-smoke-${Date.now().toString(36)}`,
      log: () => undefined,
    });

    const results: unknown = JSON.parse(await readFile(join(outDir, 'results.json'), 'utf8'));
    expect(results).toStrictEqual({
      handlers: [
        {
          name: 'state',
          bytes: expect.any(Number),
          gzipBytes: expect.any(Number),
          initMs: expect.any(Number),
          floorInitMs: expect.any(Number),
          initRatio: expect.any(Number),
        },
      ],
      warm: [
        {
          vendor: 'ringcentral',
          p50Us: expect.any(Number),
          p99Us: expect.any(Number),
          floorP50Us: expect.any(Number),
        },
      ],
      capacity: [
        {
          vendor: 'ringcentral',
          events: expect.any(Number),
          wruPerEvent: expect.any(Number),
          rruPerEvent: expect.any(Number),
          floorWruPerEvent: expect.any(Number),
        },
      ],
      endToEnd: {
        webhooksPerSec: expect.any(Number),
        storeFloorPerSec: expect.any(Number),
        ratio: expect.any(Number),
        deadLetters: 0,
      },
      callAction: { p50Ms: expect.any(Number), p99Ms: expect.any(Number), deadlineMs: 2000 },
      cost: {
        perMillionUsd: expect.any(Number),
        floorUsd: expect.any(Number),
        pricesAsOf: expect.any(String),
      },
    });
    const figures = JSON.parse(await readFile(join(outDir, 'results.json'), 'utf8'));
    // Measured, not made up: sizes, times, units and rates are there, and the bill is above its floor.
    expect(figures.handlers[0].bytes).toBeGreaterThan(figures.handlers[0].gzipBytes);
    expect(figures.handlers[0].initMs).toBeGreaterThan(0);
    expect(figures.warm[0].p50Us).toBeGreaterThan(0);
    expect(figures.capacity[0].events).toBeGreaterThan(0);
    expect(figures.capacity[0].wruPerEvent).toBeGreaterThan(0);
    expect(figures.endToEnd.webhooksPerSec).toBeGreaterThan(0);
    expect(figures.endToEnd.storeFloorPerSec).toBeGreaterThan(0);
    expect(figures.cost.perMillionUsd).toBeGreaterThan(figures.cost.floorUsd);
    expect(figures.cost.floorUsd).toBeGreaterThan(1);

    const report = await readFile(join(outDir, 'RESULTS.md'), 'utf8');
    for (const chart of ['init', 'warm', 'capacity', 'end-to-end', 'call-action', 'cost']) {
      expect(report).toContain(`(charts/${chart}.svg)`);
      const svg = await readFile(join(outDir, 'charts', `${chart}.svg`), 'utf8');
      expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      expect(svg).toContain('</svg>');
    }
    expect(report).toContain('Smoke run');
  }, 120_000);
});
