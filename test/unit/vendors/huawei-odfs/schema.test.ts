/**
 * Huawei's published samples against our wire schemas: every request sample parses (numbers quoted or not),
 * what we need to understand a turn is required, and Huawei's own response samples fit the outparams we
 * render — field names and string typing — while the malformed ones stay documentation only.
 */
import { describe, expect, it } from 'vitest';
import { parseDialogRequest } from '../../../../functions/vendors/huawei-odfs/index';
import {
  HangupOutParams,
  PromptOutParams,
  RecognitionOutParams,
  TransferOutParams,
} from '../../../../functions/vendors/huawei-odfs/schema';
import { JsonObject, json, text } from './fixtures';

const parse = (body: unknown) => parseDialogRequest(Buffer.from(JSON.stringify(body)));

describe('dialog requests', () => {
  it.each([
    ['inaction-7-recording-start.json', 7],
    ['inaction-13-recognition-poll.json', 13],
    ['inaction-9-asr-text.json', 9],
    ['constructed-inaction-8-init.json', 8],
    ['constructed-inaction-11-transfer-ok.json', 11],
    ['constructed-inaction-9-asr-long-inter-no.json', 9],
  ])('parses %s', (name, inaction) => {
    // Prepare / Act
    const parsed = parseDialogRequest(Buffer.from(text(name)));

    // Assess
    expect(parsed.ok && parsed.value.inaction).toBe(inaction);
    expect(parsed.ok && parsed.value.userid).toBe('1528780879-9581');
  });

  it('reads the ASR sample’s quoted numbers and keeps Huawei’s extra fields', () => {
    const parsed = parseDialogRequest(Buffer.from(text('inaction-9-asr-text.json')));

    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.inparams.flow_result_type).toBe(1);
    expect(parsed.value.inparams.inter_idx).toBe(1);
    expect(parsed.value.inparams.input).toBe('帮我查一下我的话费');
    expect(parsed.value.extparams?.transin_data).toBe('95,22714,0,,1,1,,test_gdj_01005');
    expect(parsed.value.extparams?.queueIndex).toBe('2');
  });

  it('reads numbers sent unquoted exactly as quoted ones', () => {
    const quoted = parse(json('constructed-inaction-9-dtmf.json'));
    const unquoted = parse(json('constructed-inaction-9-dtmf-unquoted-numbers.json'));

    expect(quoted.ok && unquoted.ok).toBe(true);
    if (!quoted.ok || !unquoted.ok) return;
    expect(unquoted.value).toEqual(quoted.value);
  });

  it('accepts inaction as a string, as Huawei quotes its numbers', () => {
    const parsed = parse({ ...json('inaction-7-recording-start.json'), inaction: '7' });
    expect(parsed.ok && parsed.value.inaction).toBe(7);
  });

  it.each([
    [{ inaction: 12 }, 'inaction', /inaction 12 is not one the ODFS answers/],
    [{ inaction: 'eight' }, 'inaction', /integer/],
    [{ userid: '' }, 'userid', /userid is required/],
    [{ userid: 'x'.repeat(65) }, 'userid', /at most 64/],
    [{ inparams: 'none' }, 'inparams', /object/],
  ])('refuses %j with a 400 naming %s', (change, path, message) => {
    const parsed = parse({ ...json('constructed-inaction-8-init.json'), ...change });

    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues?.some((issue) => issue.path === path && message.test(issue.message))).toBe(true);
    expect(parsed.message).toMatch(/^Not a valid ODFS dialog request: /);
  });

  it.each([
    ['constructed-inaction-8-init.json', 'call_sor_id'],
    ['constructed-inaction-8-init.json', 'call_dst_id'],
    ['constructed-inaction-9-dtmf.json', 'flow_result_type'],
    ['constructed-inaction-9-dtmf.json', 'input'],
    ['constructed-inaction-11-transfer-ok.json', 'trans_result'],
  ])('requires %s’s inparams.%s, which the turn cannot be understood without', (name, field) => {
    const body = json(name);
    const { [field]: _dropped, ...inparams } = JsonObject.parse(body.inparams);

    const parsed = parse({ ...body, inparams });

    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues?.map((issue) => issue.path)).toContain(`inparams.${field}`);
  });

  it('does not need trans_result on the hang-up the IVR sends after our outaction 10', () => {
    const parsed = parse({ userid: 'u1', inaction: 11, inparams: { call_id: 'u1', input: 'hangup' } });
    expect(parsed.ok).toBe(true);
  });

  it.each([
    ['inparams', 'inter_no', 200],
    ['inparams', 'begin_play', 64],
    ['inparams', 'end_play', 64],
    ['inparams', 'result_time', 64],
    ['inparams', 'begin_trans', 64],
    ['inparams', 'end_trans', 64],
    ['inparams', 'entrance_id', 64],
    ['inparams', 'mediaType', 64],
    ['inparams', 'call_media_type', 64],
    ['inparams', 'channelType', 64],
    ['inparams', 'suilu_region_id', 200],
    ['inparams', 'recordFileName', 4096],
    ['inparams', 'record_result', 4096],
    ['extparams', 'transin_data', 10_000],
  ])('sets no length limit of its own on %s.%s, which Huawei documents none for', (part, field, length) => {
    const body = json('constructed-inaction-9-asr-long-inter-no.json');
    const value = 'x'.repeat(length);

    const parsed = parse({ ...body, [part]: { ...JsonObject.parse(body[part] ?? {}), [field]: value } });

    expect(parsed.ok, parsed.ok ? '' : parsed.message).toBe(true);
    expect(
      parsed.ok && JsonObject.parse(parsed.value[part === 'inparams' ? 'inparams' : 'extparams'])[field],
    ).toBe(value);
  });

  it('keeps the limits Huawei does document: input 1024 characters, ids 64', () => {
    const body = json('constructed-inaction-9-asr-long-inter-no.json');
    const inparams = JsonObject.parse(body.inparams);

    const longest = parse({ ...body, inparams: { ...inparams, input: 'x'.repeat(1024) } });
    const tooLong = parse({ ...body, inparams: { ...inparams, input: 'x'.repeat(1025) } });
    const longId = parse({ ...body, inparams: { ...inparams, call_id: 'x'.repeat(65) } });

    expect(longest.ok).toBe(true);
    expect(tooLong.ok || tooLong.issues?.map((i) => [i.path, i.message])).toEqual([
      ['inparams.input', 'at most 1024 characters'],
    ]);
    expect(longId.ok || longId.issues?.map((i) => i.path)).toEqual(['inparams.call_id']);
  });

  it('reads an optional number Huawei leaves empty ("") as absent, and numbers of any length', () => {
    const body = json('constructed-inaction-9-asr-long-inter-no.json');
    const inparams = JsonObject.parse(body.inparams);

    const parsed = parse({
      ...body,
      inparams: { ...inparams, inter_idx: '', trans_result: '4294967295' },
      extparams: { release_reason: ' ' },
    });

    expect(parsed.ok, parsed.ok ? '' : parsed.message).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.inparams.inter_idx).toBeUndefined();
    expect(parsed.value.inparams.trans_result).toBe(4294967295);
    expect(parsed.value.extparams?.release_reason).toBeUndefined();
  });

  it('answers a body that is not JSON with a clear 400', () => {
    const parsed = parseDialogRequest(Buffer.from('{ "userid": "1", '));
    expect(parsed).toMatchObject({ ok: false, code: 'invalid_json' });
    expect(parseDialogRequest(Buffer.alloc(0))).toMatchObject({ ok: false, code: 'empty_body' });
  });
});

describe('Huawei’s response samples', () => {
  it.each([
    ['response-outaction-9-prompt.json', 9, PromptOutParams],
    ['response-outaction-11-transfer.json', 11, TransferOutParams],
    ['response-outaction-10-hangup.json', 10, HangupOutParams],
    ['response-outaction-13-no-result.json', '13', RecognitionOutParams],
  ] as const)(
    '%s fits the outparams we render, field for field and string for string',
    (name, outaction, schema) => {
      const sample = json(name);

      expect(sample.outaction).toBe(outaction);
      const parsed = schema.safeParse(sample.outparams);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    },
  );

  it('quotes ret and outaction in the outaction 7 and 13 samples, and not in the others', () => {
    expect(json('response-outaction-7.json')).toMatchObject({ ret: '0', outaction: '7', outparams: {} });
    expect(json('response-outaction-13-no-result.json')).toMatchObject({ ret: '0', outaction: '13' });
    expect(json('response-outaction-10-hangup.json').outaction).toBe(10);
  });

  it.each([
    ['response-outaction-9-prompt.published.txt', /Expecting ',' delimiter|Expected ',' or '}'/],
    ['response-outaction-12-query.published.txt', /Unexpected token|Expected/],
  ])('%s is not JSON as published (documentation only)', (name, message) => {
    expect(() => JSON.parse(text(name))).toThrow(message);
  });
});
