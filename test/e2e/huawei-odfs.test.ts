/**
 * Huawei ODFS through the local runtime: the IVR gets a token, plays a whole call turn by turn (init, DTMF,
 * transfer, hang-up) with resends, replays it duplicated and shuffled, and the read API shows the call
 * ended as transferred with both legs ended. Forged and unauthenticated requests publish nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { LegView, SessionView } from '../../shared/call-state';
import { CallEvent } from '../../shared/events';
import { fixtureFolder, fixtureJson } from '../support/fixtures';
import { duplicatedAndShuffled, startTestRuntime, type TestRuntime } from '../support/runtime';

const APP_KEY = 'tenant0001';
const APP_SECRET = 'example-api-password-0001';
const USERID = '1700000000-4242';

const JsonObject = z.record(z.string(), z.unknown());
type JsonObject = z.infer<typeof JsonObject>;
const Answer = z.object({
  ret: z.union([z.number(), z.string()]),
  userid: z.string(),
  outaction: z.union([z.number(), z.string()]),
  outparams: z.record(z.string(), z.string()),
});
const Detail = SessionView.extend({ legs: z.array(LegView), timeline: z.array(CallEvent) });

let runtime: TestRuntime;
let base: string;

const post = (path: string, body: unknown) =>
  runtime.request(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=UTF-8' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const sendTurn = (body: unknown) => post('/oifde/rest/crs/process', body);

async function token(appSecret = APP_SECRET): Promise<string> {
  const reply = await post('/oifde/rest/api/gettoken', { appKey: APP_KEY, appSecret });
  expect(reply.status).toBe(200);
  return z
    .object({ errorCode: z.literal(0), authToken: z.string(), expireTime: z.literal(3600) })
    .parse(reply.json).authToken;
}

/** Shanghai wall-clock `yyyyMMddHH:mm:ss` ↔ instants, by hand (UTC+8, no daylight saving). */
const SHANGHAI_MS = 8 * 3_600_000;
const fromShanghai = (value: string) =>
  Date.UTC(
    +value.slice(0, 4),
    +value.slice(4, 6) - 1,
    +value.slice(6, 8),
    +value.slice(8, 10),
    +value.slice(11, 13),
    +value.slice(14, 16),
  ) - SHANGHAI_MS;
const toShanghai = (ms: number) => {
  const iso = new Date(ms + SHANGHAI_MS).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}:${iso.slice(14, 16)}:${iso.slice(17, 19)}`;
};
const TIME_FIELDS = ['begin_play', 'end_play', 'result_time', 'begin_trans', 'end_trans'];

/** The lifecycle as the IVR would send it today: its token, and its clock moved to end a second ago. */
function lifecycle(authToken: string): { name: string; body: JsonObject }[] {
  const calls = fixtureFolder('huawei-odfs', 'lifecycle').map(({ name, text }) => ({
    name,
    body: JsonObject.parse(JSON.parse(text)),
  }));
  const times = calls.flatMap(({ body }) =>
    TIME_FIELDS.flatMap((field) => {
      const value = JsonObject.parse(body.inparams)[field];
      return typeof value === 'string' ? [fromShanghai(value)] : [];
    }),
  );
  const shift = Date.now() - 1000 - Math.max(...times);
  return calls.map(({ name, body }) => {
    const inparams = JsonObject.parse(body.inparams);
    for (const field of TIME_FIELDS) {
      const value = inparams[field];
      if (typeof value === 'string') inparams[field] = toShanghai(fromShanghai(value) + shift);
    }
    return { name, body: { ...body, inparams: { ...inparams, auth_token: authToken } } };
  });
}

let connectionId: string;

beforeAll(async () => {
  runtime = await startTestRuntime();
  const connection = await runtime.createConnection(fixtureJson('huawei-odfs', 'connection.json'));
  base = connection.webhookUrls.odfsBase ?? '';
  connectionId = connection.id;
});

afterAll(async () => {
  await runtime?.close();
});

describe('Huawei ODFS through the local runtime', () => {
  it('names one base URL for the IVR, below which Huawei’s own paths are served', () => {
    expect(base).toMatch(/\/v1\/hooks\/huawei-odfs\/con_[\w-]+$/);
  });

  it('plays a whole call with resends, then a duplicated and shuffled replay, into one ended, transferred session', async () => {
    // Prepare
    const calls = lifecycle(await token());
    const inputTime = JsonObject.parse(calls[1]?.body.inparams).result_time;

    // Act: each turn in lock-step, each resent once; an old turn resent late as well.
    const answers = new Map<string, string>();
    for (const { name, body } of calls) {
      const reply = await sendTurn(body);
      const resent = await sendTurn(body);
      expect(reply.status, name).toBe(200);
      expect(resent.text, name).toBe(reply.text);
      answers.set(name, reply.text);
    }
    const late = await sendTurn(calls[0]?.body);
    const replay = duplicatedAndShuffled(calls, 20260301);
    const replayed = [];
    for (const { name, body } of replay) replayed.push({ name, text: (await sendTurn(body)).text });
    await runtime.settle();

    // Assess: the answers, turn by turn.
    const answer = (name: string) => Answer.parse(JSON.parse(answers.get(name) ?? 'null'));
    expect(answer('01-inaction-8-init.json')).toMatchObject({
      ret: 0,
      userid: USERID,
      outaction: 9,
      outparams: { inter_idx: '1', prompt_type: '2', model_type: '1010101' },
    });
    expect(answer('02-inaction-9-dtmf.json')).toMatchObject({
      outaction: 11,
      outparams: { inter_idx: '2', trans_type: '1', route_value: '123456789', calling_num: '13500000001' },
    });
    expect(answer('03-inaction-11-transferred.json')).toMatchObject({
      outaction: 10,
      outparams: { inter_idx: '3', release_reason: '0' },
    });
    expect(answer('04-inaction-9-hangup.json')).toMatchObject({
      outaction: 10,
      outparams: { inter_idx: '4', call_sor_id: '13500000001' },
    });
    expect(late.text).toBe(answers.get('01-inaction-8-init.json'));
    for (const { name, text } of replayed) expect(text, name).toBe(answers.get(name));

    // Assess: the call as the read API shows it.
    const found = await runtime.api(
      'GET',
      `/v1/calls?connectionId=${connectionId}&vendorSessionId=${USERID}`,
    );
    expect(found.status).toBe(200);
    const items = z.object({ items: z.array(SessionView) }).parse(found.json).items;
    expect(items).toHaveLength(1);
    const detail = await runtime.api('GET', `/v1/calls/${items[0]?.sessionId}`);
    expect(detail.status).toBe(200);
    const call = Detail.parse(detail.json);
    expect(call).toMatchObject({
      vendor: 'huawei-odfs',
      tenantId: 'acme',
      vendorSessionId: USERID,
      status: 'ended',
      disposition: 'transferred',
      direction: 'inbound',
      from: { raw: '13500000001', e164: '+8613500000001' },
      to: { raw: '4008001234' },
      legCount: 2,
    });
    const ivr = call.legs.find((leg) => leg.vendorLegId === USERID);
    const target = call.legs.find((leg) => leg.vendorLegId === `${USERID}:transfer:1`);
    expect(ivr).toMatchObject({
      state: 'ended',
      disposition: 'transferred',
      direction: 'inbound',
      relatedLegId: target?.legId,
    });
    expect(target).toMatchObject({
      state: 'ended',
      disposition: 'completed',
      direction: 'outbound',
      to: { raw: '123456789' },
    });

    // The DTMF happened when the IVR's Shanghai clock said so.
    const input = call.timeline.find((event) => event.type === 'input.received');
    expect(input).toMatchObject({ input: { kind: 'dtmf', value: '1' } });
    expect(typeof inputTime === 'string' && input?.occurredAt).toBe(
      typeof inputTime === 'string' && new Date(fromShanghai(inputTime)).toISOString(),
    );

    // The IVR answered the caller when it asked for the dialog (inaction 8): the call is answered, then.
    const init = call.timeline.find((event) => event.type === 'session.started');
    expect(call.timeline.filter((event) => event.type === 'leg.answered')).toEqual([
      expect.objectContaining({ legId: ivr?.legId, occurredAt: init?.occurredAt }),
    ]);
    expect(ivr?.answeredAt).toBe(init?.occurredAt);
    expect(call.answeredAt).toBe(init?.occurredAt);

    // Every event once, however often its turn was sent: 4 turns → 5 + 3 + 4 + 4 events.
    expect(new Set(call.timeline.map((event) => event.eventId)).size).toBe(call.timeline.length);
    expect(call.timeline).toHaveLength(16);
    expect(call.timeline.filter((event) => event.type === 'action.responded')).toHaveLength(4);
    expect(runtime.deadLetters()).toBe(0);
  });

  it('serves the V2 path (gray routing by vdnId) with the same logic', async () => {
    const authToken = await token();
    const init = JsonObject.parse(fixtureJson('huawei-odfs', 'constructed-inaction-8-init.json'));

    const reply = await post('/oifde/rest/v2/crs/process/100', {
      ...init,
      userid: 'v2-call-1',
      inparams: { ...JsonObject.parse(init.inparams), auth_token: authToken },
    });

    expect(reply.status).toBe(200);
    expect(Answer.parse(reply.json)).toMatchObject({
      ret: 0,
      userid: 'v2-call-1',
      outaction: 9,
      outparams: { inter_idx: '1' },
    });
  });

  it('refuses a wrong appSecret, and a missing, unknown or forged auth_token, publishing nothing', async () => {
    await runtime.settle();
    const before = runtime.published().length;
    const init = JsonObject.parse(fixtureJson('huawei-odfs', 'constructed-inaction-8-init.json'));
    const withToken = (value: string | undefined) => {
      const { auth_token: _t, ...inparams } = JsonObject.parse(init.inparams);
      return {
        ...init,
        userid: 'forged-1',
        inparams: value === undefined ? inparams : { ...inparams, auth_token: value },
      };
    };

    const wrongSecret = await post('/oifde/rest/api/gettoken', {
      appKey: APP_KEY,
      appSecret: 'not-the-api-password',
    });
    const missing = await sendTurn(withToken(undefined));
    const unknown = await sendTurn(
      withToken('eyJhbGciOiJSUzI1NiJ9.eyJpYXQiOjE1MzgwMzg5MzUsImV4cCI6MTUzODA0MjUzNSwian'),
    );
    const forged = await sendTurn(withToken(`${await token()}x`));
    await runtime.settle();

    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.json).toMatchObject({ errorCode: 2, errorMsg: 'appKey or appSecret is wrong.' });
    for (const reply of [missing, unknown, forged]) {
      expect(reply.status).toBe(401);
      expect(reply.json).toMatchObject({
        ret: 2,
        userid: 'forged-1',
        outaction: 10,
        error: { code: 'unauthenticated' },
      });
    }
    expect(runtime.published().length).toBe(before);
    const found = await runtime.api('GET', `/v1/calls?connectionId=${connectionId}&vendorSessionId=forged-1`);
    expect(found.json).toMatchObject({ items: [] });
  });

  it('answers a request Huawei would never send with 400 in its own shape, publishing nothing', async () => {
    await runtime.settle();
    const before = runtime.published().length;

    const reply = await sendTurn({
      userid: 'bad-1',
      inaction: 9,
      inparams: { auth_token: await token(), input: '1' },
    });
    await runtime.settle();

    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ ret: 1, userid: 'bad-1', error: { code: 'invalid_request' } });
    expect(runtime.published().length).toBe(before);
  });
});
