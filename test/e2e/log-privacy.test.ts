/**
 * No phone number reaches a log line in full. The logs of a whole end-to-end run — every function's
 * Powertools lines and the local runtime's own, at DEBUG — are captured while the traffic library plays
 * whole lifecycles of all five vendors, and while requests are refused (a wrong signature or token, a body
 * that is not a webhook, a number the read API does not know): none of the numbers the traffic used
 * appears in them as it was sent, and their masked forms do (a number lookup that fails names it), so
 * this can fail.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { vendorIds } from '../../shared/events';
import { maskPhoneNumbers } from '../../shared/redaction';
import { type RunResult, runTraffic } from '../../tools/traffic';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

// The functions read their log level when they are loaded, inside startTestRuntime.
process.env.LOG_LEVEL = 'DEBUG';

const lines: string[] = [];
const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
function capture(stream: NodeJS.WriteStream, original: typeof process.stdout.write) {
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(String(chunk)).toString('utf8'));
    return Reflect.apply(original, stream, [chunk, ...rest]);
  }) as typeof process.stdout.write;
}

const Created = z.object({ webhookUrls: z.record(z.string(), z.string()) });

let runtime: TestRuntime;
let run: RunResult;
const refusals: number[] = [];

/** Every party value of the published events that is a phone number, as the vendors sent it and in E.164. */
function numbersUsed(): Set<string> {
  const numbers = new Set<string>();
  for (const event of runtime.published()) {
    for (const party of [event.from, event.to]) {
      if (!party) continue;
      for (const value of [party.raw, party.e164]) {
        const digits = value?.replace(/\D/g, '') ?? '';
        if (value && digits.length >= 7) {
          numbers.add(value);
          numbers.add(digits);
        }
      }
    }
  }
  return numbers;
}

beforeAll(async () => {
  capture(process.stdout, writes.stdout);
  capture(process.stderr, writes.stderr);
  runtime = await startTestRuntime({ log: (line) => lines.push(JSON.stringify(line)) });
  run = await runTraffic({
    baseUrl: runtime.url,
    apiToken: runtime.apiToken,
    vendors: [...vendorIds],
    calls: 15,
    seed: 'e2e-log-privacy',
    copies: { min: 1, max: 2 },
    shuffle: true,
    concurrency: 4,
  });
  await runtime.settle();

  // Refused webhooks: each connection's URL with a wrong credential and a body that names a number.
  const number = [...numbersUsed()].find((value) => value.startsWith('+')) ?? '+6591178965';
  for (const { id } of run.connections) {
    const connection = await runtime.api('GET', `/v1/connections/${id}`);
    const urls = Object.values(Created.parse(connection.json).webhookUrls);
    for (const url of urls) {
      for (const body of [
        JSON.stringify({ from: number, to: number }),
        `from=${encodeURIComponent(number)}`,
      ]) {
        const reply = await runtime.request(url.replace(/\{[^}]+\}/g, 'x'), {
          method: 'POST',
          headers: {
            'content-type': body.startsWith('{') ? 'application/json' : 'application/x-www-form-urlencoded',
            authorization: 'Bearer not-the-secret',
            'verification-token': 'not-the-token',
            'messagebird-signature-jwt': 'not.a.jwt',
          },
          body,
        });
        refusals.push(reply.status);
      }
      const token = await runtime.request(`${url.replace(/\{[^}]+\}/g, 'x')}/zz?CallerID=${number.slice(1)}`);
      refusals.push(token.status);
    }
  }
  // The read API refusing a number it does not know names the number in its log line.
  for (const value of numbersUsed()) {
    if (!value.startsWith('+')) continue;
    refusals.push((await runtime.api('GET', `/v1/numbers/${encodeURIComponent(value)}`)).status);
  }
  await runtime.settle();
}, 120_000);

afterAll(async () => {
  process.stdout.write = writes.stdout;
  process.stderr.write = writes.stderr;
  await runtime?.close();
});

describe('the logs of an end-to-end run', () => {
  it('hold no phone number the traffic used in full, and hold their masked forms', () => {
    const numbers = numbersUsed();
    expect(numbers.size).toBeGreaterThan(5);
    expect(refusals.length).toBeGreaterThan(10);
    expect(refusals.every((status) => status >= 400 && status < 500)).toBe(true);
    const log = lines.join('\n');
    expect(log.length).toBeGreaterThan(10_000);

    const inFull = [...numbers].filter((number) => log.includes(number));
    expect(inFull).toEqual([]);
    const masked = [...numbers]
      .filter((number) => number.startsWith('+'))
      .map((number) => maskPhoneNumbers(number))
      .filter((form) => log.includes(form));
    expect(masked.length).toBeGreaterThan(0);
  });
});
