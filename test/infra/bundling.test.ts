import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ASSET_RESOURCE_METADATA_PATH_KEY } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { vendors } from '../../functions/vendors/vendors';
import type { CallhooksFunction } from '../../infra/function';
import type { CallhooksStack } from '../../infra/stack';
import { functionEnv } from '../../shared/config';
import { functionsOf, logicalIdOf, synth } from './synth';

/** Well under the ~1 MB where bundle size starts to cost cold-start time (reference/performance.md). */
const MAX_BUNDLE_BYTES = 1.5 * 1024 * 1024;

const MetafileInput = z.object({
  imports: z.array(z.object({ path: z.string(), external: z.boolean().optional() })),
});
const EsbuildMetafile = z.object({
  inputs: z.record(z.string(), MetafileInput),
  outputs: z.record(
    z.string(),
    z.object({ inputs: z.record(z.string(), z.object({ bytesInOutput: z.number() })) }),
  ),
});

/** What esbuild put in one function's bundle: its source files, and what imports what among them. */
interface Bundle {
  /** The source files that contribute bytes (esbuild lists tree-shaken files too, with 0 bytes). */
  readonly inputs: ReadonlySet<string>;
  readonly imports: ReadonlyMap<string, readonly string[]>;
}

function bundleOf(metafilePath: string): Bundle {
  const metafile = EsbuildMetafile.parse(JSON.parse(readFileSync(metafilePath, 'utf8')));
  const inputs = Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([file]) => file),
  );
  const imports = Object.entries(metafile.inputs).map(
    ([file, input]) => [file, input.imports.filter((i) => !i.external).map((i) => i.path)] as const,
  );
  return { inputs: new Set(inputs), imports: new Map(imports) };
}

// --- What of the vendors a bundle holds --------------------------------------------------------------------

const VENDORS_DIR = 'functions/vendors/';
/** The vendor list and the vendors' code loaded on demand (functions/vendors/vendors.ts, code.ts). */
const VENDOR_LIST = `${VENDORS_DIR}vendors.ts`;
const VENDOR_LOADERS = `${VENDORS_DIR}code.ts`;
/** The webhook wiring every vendor Lambda runs. */
const WEBHOOK_WIRING = `${VENDORS_DIR}webhook.ts`;
/** A vendor's adapter, its Lambda entry and its renderer: code only its own Lambda (or renormalising) needs. */
const VENDOR_CODE_FILES = ['index.ts', 'handler.ts', 'render.ts'] as const;
/** A vendor's light modules, all the connections API may hold of it (with what they import). */
const VENDOR_LIGHT_FILES = ['meta.ts', 'connection.ts'] as const;

/** The files of vendor folders in a bundle, by vendor (`functions/vendors/<vendor>/<file>`). */
function vendorFilesOf(bundle: Bundle): Map<string, Set<string>> {
  const byVendor = new Map<string, Set<string>>();
  for (const input of bundle.inputs) {
    const match = /^functions\/vendors\/([^/]+)\/(.+)$/.exec(input);
    if (!match?.[1] || !match[2]) continue;
    const files = byVendor.get(match[1]) ?? new Set<string>();
    files.add(match[2]);
    byVendor.set(match[1], files);
  }
  return byVendor;
}

/** The bundled files of vendor folders that no vendor's light module imports, directly or not. */
function beyondLightModules(bundle: Bundle): string[] {
  const reached = new Set<string>();
  const pending = [...bundle.inputs].filter((input) =>
    VENDOR_LIGHT_FILES.some((file) => input.startsWith(VENDORS_DIR) && input.endsWith(`/${file}`)),
  );
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (reached.has(file)) continue;
    reached.add(file);
    pending.push(...(bundle.imports.get(file) ?? []));
  }
  return [...vendorFilesOf(bundle)].flatMap(([vendor, files]) =>
    [...files].map((file) => `${VENDORS_DIR}${vendor}/${file}`).filter((input) => !reached.has(input)),
  );
}

/** Vendor code (an adapter, a Lambda entry, a renderer, the wiring, the loaders) in a bundle. */
function vendorCodeIn(bundle: Bundle): string[] {
  return [...bundle.inputs].filter(
    (input) =>
      input === WEBHOOK_WIRING ||
      input === VENDOR_LOADERS ||
      (/^functions\/vendors\/[^/]+\//.test(input) && VENDOR_CODE_FILES.some((f) => input.endsWith(`/${f}`))),
  );
}

/** Placeholder values for every variable a function's init validates; nothing is called at init. */
const initEnvironment = {
  [functionEnv.callsTable]: 'calls',
  [functionEnv.connectionsTable]: 'connections',
  [functionEnv.scratchTable]: 'scratch',
  [functionEnv.requestsTable]: 'requests',
  [functionEnv.controlTable]: 'control',
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
  [functionEnv.secretsKeyArn]: 'arn:aws:kms:eu-west-1:123456789012:key/secrets',
  [functionEnv.macKeyArn]: 'arn:aws:kms:eu-west-1:123456789012:key/mac',
  [functionEnv.tenantClaim]: 'callhooks:tenant',
  [functionEnv.operatorScope]: 'callhooks/operator',
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

  // Synthesising the template runs esbuild for every function, once for every test below.
  let stack: CallhooksStack;
  const assets = new Map<CallhooksFunction, { readonly bundle: string; readonly contents: Bundle }>();
  beforeAll(() => {
    const synthesized = synth({ bundling: true, outdir });
    stack = synthesized.stack;
    const resources = synthesized.template.toJSON().Resources;
    for (const [, fn] of functionsOf(stack)) {
      const metadata = z
        .object({ [ASSET_RESOURCE_METADATA_PATH_KEY]: z.string() })
        .parse(resources[logicalIdOf(fn)].Metadata);
      const assetDir = path.join(outdir, metadata[ASSET_RESOURCE_METADATA_PATH_KEY]);
      assets.set(fn, {
        bundle: path.join(assetDir, 'index.mjs'),
        contents: bundleOf(path.join(assetDir, 'index.meta.json')),
      });
    }
  }, 240_000);

  const assetOf = (fn: CallhooksFunction) => {
    const asset = assets.get(fn);
    if (!asset) throw new Error(`no asset for ${fn.node.path}`);
    return asset;
  };
  const contentsOf = (fn: CallhooksFunction) => assetOf(fn).contents;

  it('bundles every function with the local esbuild into a small ESM asset', { timeout: 60_000 }, () => {
    for (const [name, fn] of functionsOf(stack)) {
      // Act
      const { bundle, contents } = assetOf(fn);

      // Assess
      expect(existsSync(bundle), `${name}: ${bundle}`).toBe(true);
      expect(statSync(bundle).size, `${name}: bundle bytes`).toBeLessThan(MAX_BUNDLE_BYTES);
      expect(existsSync(`${bundle}.map`), `${name}: source map`).toBe(true);
      // The ESM bundle loads (the banner's `require` serves the CommonJS parts) and exports the handler.
      expect(handlerTypeOf(bundle), `${name}: handler`).toBe('function');
      // zod's locales come in with `import { z } from 'zod'`: ~450 KB nobody reads. (Where modules are
      // imported lazily, as the renormaliser's adapters are, a few bytes of their index stay: no locale.)
      expect(
        [...contents.inputs].filter((input) => /zod\/.*locales\/(?!en\.|index\.)/.test(input)),
        `${name}: zod locales`,
      ).toEqual([]);
    }
  });

  it("gives each vendor's function its own vendor's adapter and entry, and nothing of another vendor", () => {
    for (const [vendor, fn] of stack.vendorFunctions) {
      // Act
      const contents = contentsOf(fn);
      const files = vendorFilesOf(contents);

      // Assess
      expect([...files.keys()], vendor).toEqual([vendor]);
      expect([...(files.get(vendor) ?? [])], vendor).toEqual(
        expect.arrayContaining(['meta.ts', 'connection.ts', 'index.ts', 'handler.ts']),
      );
      // Neither the list (every vendor's connection spec) nor the loaders (every vendor's adapter).
      expect(contents.inputs.has(VENDOR_LIST), vendor).toBe(false);
      expect(contents.inputs.has(VENDOR_LOADERS), vendor).toBe(false);
    }
  });

  it("gives the connections API, the call-control API and the sweeper the list's light modules of every vendor, no vendor code", () => {
    for (const [name, fn] of [
      ['connections', stack.connectionsFunction],
      // Render rules come with a vendor's meta.ts: which steps it can play, never how it renders them.
      ['call control', stack.callControlFunction],
      ['sweeper', stack.sweeperFunction],
    ] as const) {
      // Act
      const contents = contentsOf(fn);
      const files = vendorFilesOf(contents);

      // Assess: each vendor's meta.ts and connection.ts (and what they import), nothing more of it.
      expect([...files.keys()].sort(), name).toEqual(Object.keys(vendors).sort());
      for (const [vendor, ofVendor] of files) {
        expect([...ofVendor], `${name} ${vendor}`).toEqual(expect.arrayContaining([...VENDOR_LIGHT_FILES]));
      }
      expect(beyondLightModules(contents), name).toEqual([]);
      expect(vendorCodeIn(contents), name).toEqual([]);
    }
  });

  it("gives the renormaliser every vendor's adapter, and no vendor's Lambda entry", () => {
    // Act
    const contents = contentsOf(stack.renormaliseFunction);

    // Assess
    const files = vendorFilesOf(contents);
    expect([...files.keys()].sort()).toEqual(Object.keys(vendors).sort());
    for (const [vendor, ofVendor] of files) {
      expect(ofVendor.has('index.ts'), vendor).toBe(true);
      expect(ofVendor.has('handler.ts'), vendor).toBe(false);
    }
  });

  it('gives every other function nothing of the vendors', () => {
    const vendorAware = new Set<CallhooksFunction>([
      ...stack.vendorFunctions.values(),
      stack.connectionsFunction,
      stack.callControlFunction,
      stack.sweeperFunction,
      stack.renormaliseFunction,
    ]);
    for (const [name, fn] of functionsOf(stack)) {
      if (vendorAware.has(fn)) continue;
      expect(
        [...contentsOf(fn).inputs].filter((input) => input.startsWith(VENDORS_DIR)),
        name,
      ).toEqual([]);
    }
  });
});
