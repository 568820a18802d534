/**
 * The Huawei ODFS Lambda end to end in memory: the token endpoint, token checks on every turn, lock-step
 * resends, the loop guard, the hang-up, and refusals in Huawei's shape with nothing published.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { dialog, json, text, withToken } from './fixtures';
import { APP_KEY, APP_SECRET, answerOf, createHarness } from './harness';

afterEach(() => {
  vi.unstubAllEnvs();
});

const TokenAnswer = z.object({
  errorCode: z.number(),
  errorMsg: z.string(),
  authToken: z.string(),
  expireTime: z.number(),
});
const TokenError = z.object({ errorCode: z.number(), errorMsg: z.string() });

const DIALOG = [
  { action: 'prompt', promptType: 2, promptText: 'Press 1 for an agent.', modelType: '1011201' },
  { action: 'transfer', transType: 1, routeValue: '123456789' },
];

describe('gettoken', () => {
  it('issues a random token with the connection’s lifetime, stored only as a digest', async () => {
    // Prepare
    const odfs = createHarness({ tokenTtlSeconds: 1800 });

    // Act
    const first = await odfs.call('gettoken', json('constructed-gettoken.json'));
    const second = await odfs.call('gettoken', json('constructed-gettoken.json'));

    // Assess
    expect(first.status).toBe(200);
    const a = TokenAnswer.parse(first.json);
    const b = TokenAnswer.parse(second.json);
    expect(a).toMatchObject({ errorCode: 0, errorMsg: 'success', expireTime: 1800 });
    expect(a.authToken).toMatch(/^[\w-]{43}$/);
    expect(b.authToken).not.toBe(a.authToken);
    const stored = JSON.stringify([...odfs.scratch.items]);
    expect(stored).not.toContain(a.authToken);
    expect(stored).not.toContain(APP_SECRET);
    expect(odfs.published).toHaveLength(0);
  });

  it.each([
    ['a wrong appSecret', { appKey: APP_KEY, appSecret: 'wrong-api-password-0001' }],
    ['a wrong appKey', { appKey: 'tenant0002', appSecret: APP_SECRET }],
    ['no appSecret', { appKey: APP_KEY }],
    ['a body that is not JSON', 'appKey=tenant0001'],
  ])('refuses %s with 401 and a non-zero errorCode, issuing nothing', async (_case, body) => {
    const odfs = createHarness();

    const reply = await odfs.call('gettoken', body);

    expect(reply.status).toBe(401);
    const refused = TokenError.parse(reply.json);
    expect(refused.errorCode).toBe(2);
    expect(refused.errorMsg).toMatch(/appKey|appSecret/);
    expect(reply.json).not.toHaveProperty('authToken');
    expect(reply.json).not.toHaveProperty('expireTime');
    expect(reply.text).not.toContain(APP_SECRET);
    expect(odfs.scratch.keys('TOKEN')).toHaveLength(0);
  });

  it('answers an unknown connection with 404 in gettoken’s shape', async () => {
    const odfs = createHarness();

    const reply = await odfs.call('gettoken', json('constructed-gettoken.json'), {
      connectionId: 'con_nope',
    });

    expect(reply.status).toBe(404);
    expect(TokenError.parse(reply.json).errorCode).toBe(3);
  });
});

describe('dialog authentication', () => {
  it.each([
    ['missing', undefined, /auth_token is missing/],
    ['unknown', 'not-a-token-we-issued', /unknown or expired/],
    [
      'Huawei’s sample token',
      'eyJhbGciOiJSUzI1NiJ9.eyJpYXQiOjE1MzgwMzg5MzUsImV4cCI6MTUzODA0MjUzNSwian',
      /unknown or expired/,
    ],
  ])(
    'refuses a %s auth_token with 401, a non-zero ret, and nothing published or remembered',
    async (_case, token, message) => {
      const odfs = createHarness({ dialog: DIALOG });

      const reply = await odfs.call('process', dialog('constructed-inaction-8-init.json', token));

      expect(reply.status).toBe(401);
      expect(answerOf(reply)).toMatchObject({
        ret: 2,
        userid: '1528780879-9581',
        outaction: 10,
        error: { code: 'unauthenticated' },
      });
      expect(answerOf(reply).error?.message).toMatch(message);
      expect(odfs.published).toHaveLength(0);
      expect(odfs.scratch.keys('TURN')).toHaveLength(0);
      expect(odfs.scratch.keys('ANSWER')).toHaveLength(0);
    },
  );

  it('refuses the verbatim inaction 9 sample, which carries no auth_token', async () => {
    const odfs = createHarness();

    const reply = await odfs.call('process', text('inaction-9-asr-text.json'));

    expect(reply.status).toBe(401);
    expect(odfs.published).toHaveLength(0);
  });

  it('refuses a token once it has expired, and a token of another connection', async () => {
    const odfs = createHarness({ dialog: DIALOG, tokenTtlSeconds: 60 });
    const other = createHarness({ dialog: DIALOG }, undefined, 'con_huawei_other');
    const token = await odfs.token();

    const live = await odfs.call('process', dialog('constructed-inaction-8-init.json', token));
    const elsewhere = await other.call('process', dialog('constructed-inaction-8-init.json', token));
    odfs.advance(61_000);
    const expired = await odfs.call('process', dialog('constructed-inaction-9-dtmf.json', token));

    expect(live.status).toBe(200);
    expect(elsewhere.status).toBe(401);
    expect(other.published).toHaveLength(0);
    expect(expired.status).toBe(401);
    expect(answerOf(expired).error?.message).toMatch(/unknown or expired/);
    expect(odfs.published.every((event) => event.vendorEventType === 'inaction=8')).toBe(true);
  });

  it('answers a body that is not JSON with 401 (nothing to authenticate) and a schema violation with 400', async () => {
    const odfs = createHarness();
    const token = await odfs.token();

    const garbage = await odfs.call('process', '{ "userid": ');
    const invalid = await odfs.call(
      'process',
      withToken({ userid: 'u1', inaction: 12, inparams: {} }, token),
    );

    expect(garbage.status).toBe(401);
    expect(answerOf(garbage)).toMatchObject({ ret: 2, userid: '' });
    expect(invalid.status).toBe(400);
    expect(answerOf(invalid)).toMatchObject({ ret: 1, userid: 'u1', error: { code: 'invalid_request' } });
    expect(answerOf(invalid).error?.message).toMatch(/inaction 12/);
    expect(odfs.published).toHaveLength(0);
  });

  it('answers an unknown connection with 404 and ret 3', async () => {
    const odfs = createHarness();

    const reply = await odfs.call('process', dialog('constructed-inaction-8-init.json', 'x'), {
      connectionId: 'con_nope',
    });

    expect(reply.status).toBe(404);
    expect(answerOf(reply)).toMatchObject({ ret: 3, userid: '1528780879-9581' });
  });

  it('gives a clean hang-up and publishes nothing when the connection store is unreachable', async () => {
    const odfs = createHarness();
    odfs.connections.unreachable = true;

    const reply = await odfs.call('process', dialog('constructed-inaction-8-init.json', 'x'));

    expect(reply.status).toBe(200);
    expect(answerOf(reply)).toEqual({
      ret: 0,
      userid: '1528780879-9581',
      outaction: 10,
      outparams: { call_id: '1528780879-9581', release_reason: '1' },
    });
    expect(odfs.published).toHaveLength(0);
  });
});

describe('lock-step turns', () => {
  it('answers a resend with the identical bytes and republishes the identical events', async () => {
    // Prepare
    const odfs = createHarness({ dialog: DIALOG });
    const token = await odfs.token();
    await odfs.call('process', dialog('constructed-inaction-8-init.json', token));
    const before = odfs.published.length;

    // Act: the same turn three times: resent to the same function (answered from its memory), then a
    // minute later with a freshly obtained token to a function that has just started (from the stores).
    const first = await odfs.call('process', dialog('constructed-inaction-9-dtmf.json', token));
    const resent = await odfs.call('process', dialog('constructed-inaction-9-dtmf.json', token));
    odfs.advance(60_000);
    odfs.coldStart();
    const refreshed = await odfs.call(
      'process',
      dialog('constructed-inaction-9-dtmf.json', await odfs.token()),
    );

    // Assess
    expect(answerOf(first).outaction).toBe(11);
    expect(resent.text).toBe(first.text);
    expect(refreshed.text).toBe(first.text);
    const turnEvents = odfs.published.slice(before);
    const ids = (i: number) =>
      turnEvents.slice(i * 3, i * 3 + 3).map((e) => [e.eventId, e.type, e.occurredAt]);
    expect(turnEvents).toHaveLength(6);
    expect(ids(1)).toEqual(ids(0));
  });

  it('does not advance the dialog on a resend: the next turn still gets the next step', async () => {
    const odfs = createHarness({ dialog: DIALOG });
    const token = await odfs.token();

    const init = await odfs.call('process', dialog('constructed-inaction-8-init.json', token));
    await odfs.call('process', dialog('constructed-inaction-8-init.json', token));
    const next = await odfs.call('process', dialog('constructed-inaction-9-dtmf.json', token));

    expect(answerOf(init)).toMatchObject({ outaction: 9, outparams: { inter_idx: '1' } });
    expect(answerOf(next)).toMatchObject({
      outaction: 11,
      outparams: { inter_idx: '2', route_value: '123456789' },
    });
  });

  it('serves the V2 route (gray routing by vdnId) with the same logic and the same call state', async () => {
    const odfs = createHarness({ dialog: DIALOG });
    const token = await odfs.token();

    const v1 = await odfs.call('process', dialog('constructed-inaction-8-init.json', token));
    const v2 = await odfs.call('processV2', dialog('constructed-inaction-9-dtmf.json', token), {
      vdnId: '42',
    });
    const v2resent = await odfs.call('processV2', dialog('constructed-inaction-8-init.json', token), {
      vdnId: '42',
    });

    expect(answerOf(v1).outaction).toBe(9);
    expect(answerOf(v2).outaction).toBe(11);
    expect(v2resent.text).toBe(v1.text);
  });

  it('hangs up past the turn cap with release_reason 1 and flags the session', async () => {
    const odfs = createHarness({ maxTurns: 2, dialog: Array.from({ length: 5 }, () => DIALOG[0]) });
    const token = await odfs.token();
    const turn = (i: number) => {
      const body = dialog('constructed-inaction-9-playover.json', token);
      return {
        ...body,
        inparams: { ...z.record(z.string(), z.unknown()).parse(body.inparams), inter_idx: String(i) },
      };
    };

    const answers = [answerOf(await odfs.call('process', dialog('constructed-inaction-8-init.json', token)))];
    for (const i of [1, 2, 3]) answers.push(answerOf(await odfs.call('process', turn(i))));

    expect(answers.map((answer) => answer.outaction)).toEqual([9, 9, 10, 10]);
    expect(answers[2]).toMatchObject({ outparams: { release_reason: '1', inter_idx: '3' } });
    expect(
      odfs.published.find((e) => e.type === 'action.responded' && e.error?.code === 'turn_cap'),
    ).toBeDefined();
  });

  it('answers an ASR result whose inter_no is longer than 16 characters with the next step, not a hang-up', async () => {
    const odfs = createHarness({ dialog: DIALOG });
    const token = await odfs.token();
    await odfs.call('process', dialog('constructed-inaction-8-init.json', token));

    const reply = await odfs.call('process', dialog('constructed-inaction-9-asr-long-inter-no.json', token));

    expect(reply.status).toBe(200);
    expect(answerOf(reply)).toMatchObject({
      ret: 0,
      outaction: 11,
      outparams: { route_value: '123456789', inter_idx: '2' },
    });
    expect(odfs.published.find((e) => e.type === 'input.received')).toMatchObject({
      input: { kind: 'speech', value: '帮我查一下我的话费' },
    });
  });

  it('answers input=hangup with outaction 10 and ends the leg and the session', async () => {
    const odfs = createHarness({ dialog: DIALOG, timeZone: 'Asia/Shanghai' });
    const token = await odfs.token();
    await odfs.call('process', dialog('constructed-inaction-8-init.json', token));
    odfs.advance(90_000);

    const reply = await odfs.call('process', dialog('constructed-inaction-9-hangup.json', token));

    expect(reply.status).toBe(200);
    expect(answerOf(reply)).toEqual({
      ret: 0,
      userid: '1528780879-9581',
      outaction: 10,
      outparams: {
        call_id: '1528780879-9581',
        call_sor_id: '13500000001',
        call_dst_id: '10086',
        start_time: '2026030116:00:00',
        end_time: '2026030116:01:30',
        release_reason: '0',
        inter_idx: '2',
        entrance_id: '03',
        suilu_region_id: '025',
      },
    });
    const ended = odfs.published.filter((e) => e.type === 'leg.ended' || e.type === 'session.ended');
    expect(ended.map((e) => [e.type, e.disposition])).toEqual([
      ['leg.ended', 'completed'],
      ['session.ended', 'completed'],
    ]);
  });
});
