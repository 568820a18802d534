/**
 * Replay reads the fixtures as their vendor sends them: each lifecycle file becomes a request our own
 * parser accepts, naming the session the fixture is about; connection bodies and our own answers are
 * skipped, with the reason.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseWebhook as parseEightByEight } from '../../../functions/vendors/8x8/index';
import { parseWebhook as parseFocalScope } from '../../../functions/vendors/focalscope/index';
import { parseDialogRequest } from '../../../functions/vendors/huawei-odfs/index';
import { parseEvents } from '../../../functions/vendors/messagebird/index';
import { parseNotification } from '../../../functions/vendors/ringcentral/index';
import type { VendorId } from '../../../shared/events';
import { type FixtureFile, type ReplayItem, replayItemOf } from '../../../tools/traffic/replay';
import { fixturePath } from '../../support/fixtures';

function folder(vendor: string, name: string): FixtureFile[] {
  const dir = fixturePath(vendor, name);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => ({
      path: `${dir}/${entry.name}`,
      name: entry.name,
      text: readFileSync(`${dir}/${entry.name}`, 'utf8'),
      explicit: false,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function accepted(vendor: VendorId, item: ReplayItem): boolean {
  if ('skip' in item) return false;
  const body = Buffer.from(item.request.body ?? '');
  switch (vendor) {
    case '8x8':
      return parseEightByEight(body).ok;
    case 'messagebird':
      return item.request.route === 'events' ? parseEvents(body).ok : item.request.route === 'callFlow';
    case 'huawei-odfs':
      return parseDialogRequest(body).ok;
    case 'ringcentral':
      return parseNotification(body).ok;
    case 'focalscope':
      return parseFocalScope(item.request.query ?? '').ok;
  }
}

describe('replayItemOf', () => {
  it.each([
    ['8x8', 'lifecycle', ['1f048a84-ea6d-11ee-911b-078f7290bf52']],
    ['messagebird', 'constructed-lifecycle', ['8c3b5c4e-2d1a-4f5b-9a7e-3f0c1d2e4a10']],
    ['huawei-odfs', 'lifecycle', ['1700000000-4242']],
    ['ringcentral', 'lifecycle', ['s-a6abd24ca6774373a8120a3390d3cbe8']],
    ['focalscope', 'lifecycle', ['5d0c3a8e-2f1b-4c7e-9a51-0b6f2d9e7c41']],
  ] as const)('sends every file of %s/%s as a request for its call', (vendor, name, sessions) => {
    const items = folder(vendor, name).map((file) => replayItemOf(vendor, file));

    expect(items.length).toBeGreaterThan(0);
    for (const item of items) {
      expect(accepted(vendor, item), item.file.name).toBe(true);
      if (!('skip' in item)) expect(item.vendorSessionIds, item.file.name).toEqual(sessions);
    }
  });

  it.each([
    [
      '8x8',
      ['connection.json', 'vca-response-makecall.published.txt', 'vca-ivr-action-completed.published.txt'],
    ],
    ['huawei-odfs', ['connection.json', 'constructed-gettoken.json', 'response-outaction-9-prompt.json']],
    [
      'messagebird',
      [
        'callflow-api-example.json',
        'payload-leg-hangup.json',
        'webhook-signature-jwt-reference.published.txt',
      ],
    ],
    ['ringcentral', ['connection.json', 'presence-ringing.published.txt']],
    ['focalscope', ['README.md']],
  ] as const)('skips what %s does not send, saying why', (vendor, names) => {
    const files = folder(vendor, '.').filter((file) => names.some((n) => n === file.name));

    expect(files.map((f) => f.name).sort()).toEqual([...names].sort());
    for (const file of files)
      expect(replayItemOf(vendor, file), file.name).toMatchObject({ skip: expect.any(String) });
  });

  it('sends a published sample that is not JSON when it is named on its own', () => {
    const [file] = folder('ringcentral', '.').filter((f) => f.name === 'presence-ringing.published.txt');
    if (!file) throw new Error('fixture missing');

    expect(replayItemOf('ringcentral', { ...file, explicit: true })).toMatchObject({
      request: { method: 'POST' },
    });
  });

  it('reads a Flow Builder fetch query as a GET of the call flow', () => {
    const [file] = folder('messagebird', '.').filter((f) => f.name === 'constructed-fetch-inbound.query.txt');
    if (!file) throw new Error('fixture missing');

    expect(replayItemOf('messagebird', file)).toMatchObject({
      request: { method: 'GET', route: 'callFlow', query: expect.stringContaining('callID=') },
      vendorSessionIds: ['8c3b5c4e-2d1a-4f5b-9a7e-3f0c1d2e4a10'],
    });
  });
});
