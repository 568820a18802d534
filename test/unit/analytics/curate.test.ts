/**
 * The analysts' copy of an item: only the exported attributes of its type, numbers as keyed hashes when a
 * key is given, names dropped; and a whole gzip'd data file curated line by line as the AWS function does.
 */
import { createHmac } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { curateDataFile, partitionsToDrop } from '../../../functions/analytics/publish-export';
import { curateItem, hashPhoneNumber, type Item } from '../../../shared/analytics/curate';
import { attributeAt, exportedItems, phoneNumberPaths } from '../../../shared/analytics/items';
import { SessionView } from '../../../shared/call-state';

const KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const party = (raw: string, e164: string, name: string) => ({
  M: { raw: { S: raw }, e164: { S: e164 }, name: { S: name }, extension: { S: '101' } },
});
const session: Item = {
  PK: { S: 'SESSION#cs_1' },
  SK: { S: 'META' },
  kind: { S: 'session' },
  sessionId: { S: 'cs_1' },
  vendor: { S: '8x8' },
  status: { S: 'ended' },
  from: party('0045 30 00 00 01', '+4530000001', 'Ada Lovelace'),
  durationSec: { N: '42' },
  recordings: {
    L: [{ M: { status: { S: 'available' }, at: { S: '2026-03-01T10:00:00.000Z' }, secret: { S: 'x' } } }],
  },
  fold: { M: { startedFrom: party('+4530000001', '+4530000001', 'Ada') } },
  applied: { L: [{ S: 'e1|0|t' }] },
  needsRefold: { BOOL: true },
  expiresAt: { N: '1800000000' },
  GSI3PK: { S: 'OPEN#1' },
};

describe('curateItem', () => {
  it('keeps the view attributes and drops the fold, its bookkeeping, the index keys and the TTL', () => {
    const curated = curateItem(session);
    expect(Object.keys(curated ?? {}).sort()).toEqual(
      ['PK', 'SK', 'kind', 'sessionId', 'vendor', 'status', 'from', 'durationSec', 'recordings'].sort(),
    );
    expect(curated?.recordings).toEqual({
      L: [{ M: { status: { S: 'available' }, at: { S: '2026-03-01T10:00:00.000Z' } } }],
    });
    expect(curated?.from).toEqual(session.from);
  });

  it('replaces numbers by their keyed hash, the same for the same number, and drops names', () => {
    const curated = curateItem(session, { hashKey: KEY });
    const hmac = (value: string) =>
      `hmac:${createHmac('sha256', KEY).update(value).digest('hex').slice(0, 32)}`;
    expect(curated?.from).toEqual({
      M: { raw: { S: hmac('0045 30 00 00 01') }, e164: { S: hmac('+4530000001') }, extension: { S: '101' } },
    });
    expect(hashPhoneNumber(KEY, '+4530000001')).toBe(hmac('+4530000001'));
    expect(hashPhoneNumber(Buffer.from('another key'), '+4530000001')).not.toBe(hmac('+4530000001'));
    expect(JSON.stringify(curated)).not.toContain('4530000001');
  });

  it('exports no item of a kind it does not know', () => {
    expect(curateItem({ PK: { S: 'X' }, SK: { S: 'Y' }, kind: { S: 'connection' } })).toBeUndefined();
  });

  it('derives each item type from its view, and names only paths that exist', () => {
    expect(Object.keys(exportedItems.session)).toEqual(
      expect.arrayContaining(Object.keys(SessionView.shape)),
    );
    expect(attributeAt(exportedItems.session, ['startedAt'])).toEqual({ type: 'S', time: true });
    expect(attributeAt(exportedItems.leg, ['sipCode'])).toEqual({ type: 'N', integer: true });
    for (const path of [...phoneNumberPaths.hash, ...phoneNumberPaths.drop]) {
      const somewhere = Object.values(exportedItems).some((attributes) => attributeAt(attributes, path));
      expect(somewhere, path.join('.')).toBe(true);
    }
  });
});

describe('curateDataFile', () => {
  it('curates every line of a gzip’d export file, split anywhere, and reports its count and MD5', async () => {
    const lines = [
      JSON.stringify({ Item: session }),
      JSON.stringify({ Item: { ...session, sessionId: { S: 'cs_ünïcode_☎' } } }),
      JSON.stringify({ Item: { PK: { S: 'X' }, SK: { S: 'Y' }, kind: { S: 'other' } } }),
    ];
    const gz = gzipSync(`${lines.join('\n')}\n`);
    // One byte at a time: every chunk boundary, multi-byte characters included.
    const source = Readable.from([...gz].map((byte) => Buffer.from([byte])));
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    });

    const result = await curateDataFile(source, sink, { hashKey: KEY });

    const out = gunzipSync(Buffer.concat(chunks)).toString('utf8').trim().split('\n');
    expect(result.itemCount).toBe(2);
    expect(out).toHaveLength(2);
    expect(out[1]).toContain('cs_ünïcode_☎');
    expect(out.join('')).not.toContain('"fold"');
  });
});

describe('partitionsToDrop', () => {
  it('drops the partitions of exports older than the retention', () => {
    const now = new Date('2026-03-10T00:00:00.000Z');
    expect(
      partitionsToDrop(
        ['2026-02-01T02:15:00.000Z', '2026-03-05T02:15:00.000Z', '2026-03-09T02:15:00.000Z'],
        now,
        7,
      ),
    ).toEqual(['2026-02-01T02:15:00.000Z']);
  });
});
