import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ASSET_RESOURCE_METADATA_PATH_KEY } from 'aws-cdk-lib/cx-api';
import { afterAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { functionEnv } from '../../shared/config';
import { functionsOf, logicalIdOf, synth } from './synth';

/** Well under the ~1 MB where bundle size starts to cost cold-start time (reference/performance.md). */
const MAX_BUNDLE_BYTES = 1.5 * 1024 * 1024;

const EsbuildMetafile = z.object({
  outputs: z.record(
    z.string(),
    z.object({ inputs: z.record(z.string(), z.object({ bytesInOutput: z.number() })) }),
  ),
});

/** The source files that contribute bytes to the bundle (esbuild lists tree-shaken files too, with 0 bytes). */
function bundledInputs(metafilePath: string): string[] {
  const metafile = EsbuildMetafile.parse(JSON.parse(readFileSync(metafilePath, 'utf8')));
  return Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([file]) => file),
  );
}

/** Placeholder values for every variable a function's init validates; nothing is called at init. */
const initEnvironment = {
  [functionEnv.callsTable]: 'calls',
  [functionEnv.connectionsTable]: 'connections',
  [functionEnv.scratchTable]: 'scratch',
  [functionEnv.requestsTable]: 'requests',
  [functionEnv.eventBusName]: 'bus',
  [functionEnv.outboxQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/outbox',
  [functionEnv.stateQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/state.fifo',
  [functionEnv.historyTtlDays]: '90',
  [functionEnv.sessionRetentionDays]: '400',
  [functionEnv.rawRequestRetentionDays]: '30',
  [functionEnv.callsTableArn]: 'arn:aws:dynamodb:eu-west-1:123456789012:table/calls',
  [functionEnv.analyticsBucket]: 'analytics-bucket',
  [functionEnv.analyticsKeyArn]: 'arn:aws:kms:eu-west-1:123456789012:key/1234',
  [functionEnv.analyticsDatabase]: 'callhooks_analytics',
  [functionEnv.analyticsTable]: 'calls_items',
  [functionEnv.hashPhoneNumbers]: 'true',
  [functionEnv.exportRetentionDays]: '35',
  AWS_REGION: 'eu-west-1',
};

/** Imports a bundle in a fresh Node process, as Lambda's ESM loader would, and reports its handler's type. */
function handlerTypeOf(bundle: string): string {
  const result = spawnSync(
    process.execPath,
    [
      '--enable-source-maps',
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)}); process.stdout.write(typeof m.handler);`,
    ],
    { env: { PATH: process.env.PATH, ...initEnvironment }, encoding: 'utf8', timeout: 30_000 },
  );
  return result.status === 0 ? result.stdout : `exit ${result.status}: ${result.stderr}`;
}

describe('bundling', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'callhooks-cdk-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('bundles every function with the local esbuild into a small ESM asset', { timeout: 180_000 }, () => {
    // Prepare + Act: synthesising the template runs esbuild for every function.
    const { stack, template } = synth({ bundling: true, outdir });
    const resources = template.toJSON().Resources;

    // Assess
    for (const [name, fn] of functionsOf(stack)) {
      const metadata = z
        .object({ [ASSET_RESOURCE_METADATA_PATH_KEY]: z.string() })
        .parse(resources[logicalIdOf(fn)].Metadata);
      const assetDir = path.join(outdir, metadata[ASSET_RESOURCE_METADATA_PATH_KEY]);
      const bundle = path.join(assetDir, 'index.mjs');
      expect(existsSync(bundle), `${name}: ${bundle}`).toBe(true);
      expect(statSync(bundle).size, `${name}: bundle bytes`).toBeLessThan(MAX_BUNDLE_BYTES);
      expect(existsSync(`${bundle}.map`), `${name}: source map`).toBe(true);
      // The ESM bundle loads (the banner's `require` serves the CommonJS parts) and exports the handler.
      expect(handlerTypeOf(bundle), `${name}: handler`).toBe('function');
      // zod's locales come in with `import { z } from 'zod'`: ~450 KB nobody reads.
      const inputs = bundledInputs(path.join(assetDir, 'index.meta.json'));
      expect(
        inputs.filter((input) => /zod\/.*locales\/(?!en\.)/.test(input)),
        `${name}: zod locales`,
      ).toEqual([]);
    }
  });
});
