/**
 * The vendor list (functions/vendors/vendors.ts) against what it stands for: the vendor folders, the ids of
 * the canonical event, the code loaded on demand (code.ts), and everything derived from it.
 */
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { vendorCode } from '../../../functions/vendors/code';
import { httpRoutesOf } from '../../../functions/vendors/meta';
import { byVendor, handlerEntryOf, vendorList, vendors } from '../../../functions/vendors/vendors';
import { routeTable } from '../../../functions/vendors/webhook';
import { repoRoot } from '../../../infra/function';
import { vendorRoutes } from '../../../local/runtime';
import { vendorIds } from '../../../shared/events';
import { hookRoutePath, routeKey } from '../../../shared/routes';
import { vendorTraffic } from '../../../tools/traffic/vendors/index';

const listed = Object.keys(vendors).sort();
const vendorsDir = path.join(repoRoot, 'functions/vendors');

describe('the vendor list', () => {
  it('has every vendor folder under functions/vendors/, and a folder for each of its vendors', () => {
    // Act
    const folders = readdirSync(vendorsDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();

    // Assess
    expect(folders).toEqual(listed);
    for (const { meta } of vendorList) {
      for (const file of ['meta.ts', 'connection.ts', 'index.ts', 'handler.ts']) {
        expect(existsSync(path.join(vendorsDir, meta.id, file)), `${meta.id}/${file}`).toBe(true);
      }
      expect(existsSync(path.join(repoRoot, handlerEntryOf(meta.id))), meta.id).toBe(true);
    }
  });

  it('has exactly the vendor ids of the canonical event, each under its own meta', () => {
    expect([...vendorIds].sort()).toEqual(listed);
    expect(vendorList.map((vendor) => vendor.meta.id)).toEqual(Object.keys(vendors));
    for (const [id, vendor] of Object.entries(vendors)) expect(vendor.meta.id).toBe(id);
  });

  it('loads for each vendor the adapter of that vendor, built on the meta and connection listed', async () => {
    expect(Object.keys(vendorCode).sort()).toEqual(listed);
    for (const { meta, connection } of vendorList) {
      // Act
      const adapter = await vendorCode[meta.id].adapter();

      // Assess: the very modules of the list, and a route implemented for every route of the meta.
      expect(adapter.meta, meta.id).toBe(meta);
      expect(
        adapter.open((typed) => typed.connection),
        meta.id,
      ).toBe(connection);
      expect(
        adapter.open((typed) => [...routeTable(typed).keys()]),
        meta.id,
      ).toEqual(httpRoutesOf(meta).map(routeKey));
    }
  });

  it('gives the local runtime exactly the webhook routes of the listed vendors, to each its own vendor', async () => {
    // Prepare: the routes, worked out again from the metas.
    const expected = vendorList.flatMap(({ meta }) =>
      meta.routes.flatMap((route) =>
        route.methods.map((method) => ({
          method,
          path: hookRoutePath(meta.id, route.path),
          target: meta.id,
        })),
      ),
    );

    // Act
    const routes = await vendorRoutes((meta) => meta.id);

    // Assess
    expect(routes).toEqual(expected);
    expect(new Set(routes.map((route) => route.target))).toEqual(new Set(listed));
  });

  it('derives tables keyed by vendor with an entry for each vendor', () => {
    // Act
    const staleAfter = byVendor((vendor) => vendor.meta.staleAfterMinutes);

    // Assess
    expect(Object.keys(staleAfter).sort()).toEqual(listed);
    for (const { meta } of vendorList) expect(staleAfter[meta.id]).toBe(meta.staleAfterMinutes);
  });

  it('is matched by the traffic generator, which plays each vendor from outside with its own modules', () => {
    expect(Object.keys(vendorTraffic).sort()).toEqual(listed);
    for (const [id, traffic] of Object.entries(vendorTraffic)) expect(traffic.vendor).toBe(id);
  });
});
