/**
 * Huawei ODFS wire formats: the token request, the dialog request the IVR sends each turn, and the
 * outparams we answer with. Huawei's samples quote numbers as strings ("inter_idx": "1") while its tables
 * say int, so every number is accepted in either form; unknown fields are kept, not refused, because
 * Huawei adds fields per scenario (channelType, responseStyle, queue info, ...). A field is limited in
 * length only where Huawei documents a limit (README "Huawei" §4, field limits): a request the IVR may send
 * is never refused over a limit of ours, since a refusal hangs up on the caller.
 */
import * as z from 'zod';

/** An integer sent as a JSON number or as a string of digits. */
const Integer = z
  .union([
    z.int(),
    z
      .string()
      .trim()
      .regex(/^-?\d+$/, 'an integer, as a number or a string of digits'),
  ])
  .transform(Number);

/** An optional integer: Huawei writes an unset field as "" (as its samples do), which counts as absent. */
const OptionalInteger = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
  Integer.optional(),
);

/** Text that Huawei may also send as a bare number (caller numbers, access codes). */
const Text = (max?: number) =>
  z
    .union([z.string(), z.number()])
    .transform(String)
    .pipe(max === undefined ? z.string() : z.string().max(max, `at most ${max} characters`));

/** The call ids and numbers Huawei limits to 64 characters (call_dst_id to 20, real_callee and cti_callid to 32). */
const HUAWEI_ID_MAX = 64;
/** inaction 9's `input`: "The value can contain a maximum of 1024 characters." */
const HUAWEI_INPUT_MAX = 1024;

export const GetTokenRequest = z.object({
  appKey: z.string().min(1).max(64),
  appSecret: z.string().min(1).max(256),
});
export type GetTokenRequest = z.infer<typeof GetTokenRequest>;

export const inactions = [7, 8, 9, 11, 13] as const;

const InParams = z.looseObject({
  call_id: Text(HUAWEI_ID_MAX).optional(),
  call_sor_id: Text(HUAWEI_ID_MAX).optional(),
  call_dst_id: Text(HUAWEI_ID_MAX).optional(),
  real_callee: Text(HUAWEI_ID_MAX).optional(),
  cti_callid: Text(HUAWEI_ID_MAX).optional(),
  auth_token: Text().optional(),
  suilu_region_id: Text().optional(),
  entrance_id: Text().optional(),
  mediaType: Text().optional(),
  /** 0 text, 1 audio, 3 video. */
  call_media_type: Text().optional(),
  channelType: Text().optional(),
  /** 1 ASR or text, 2 DTMF, 3 no input / play only, 4 recording ended, 5 virtual-human stream, -1 others. */
  flow_result_type: OptionalInteger,
  input: Text(HUAWEI_INPUT_MAX).optional(),
  recordFileName: Text().optional(),
  /** The inter_idx of our previous answer, echoed. */
  inter_idx: OptionalInteger.pipe(z.int().nonnegative().optional()),
  inter_no: Text().optional(),
  begin_play: Text().optional(),
  end_play: Text().optional(),
  result_time: Text().optional(),
  begin_trans: Text().optional(),
  end_trans: Text().optional(),
  /** 0 success, anything else failure. */
  trans_result: OptionalInteger,
  record_result: Text().optional(),
});

const ExtParams = z.looseObject({
  transin_data: Text().optional(),
  /** The IVR's hang-up cause: 0 normal end of flow, 1 system error, 2 the user hung up. */
  release_reason: OptionalInteger,
});

export const DialogRequest = z
  .object({
    userid: Text(HUAWEI_ID_MAX).pipe(z.string().min(1, 'userid is required')),
    inaction: Integer.pipe(
      z.literal([...inactions], {
        error: (issue) => `inaction ${String(issue.input)} is not one the ODFS answers (7, 8, 9, 11, 13)`,
      }),
    ),
    seat: Text().optional(),
    inparams: InParams,
    extparams: ExtParams.nullish(),
  })
  .superRefine((request, ctx) => {
    // Only what is needed to understand the turn is required; the rest of Huawei's "mandatory" list is
    // taken when present, so a field the IVR leaves out never ends a live call.
    const p = request.inparams;
    const require = (field: keyof typeof p, why: string) => {
      if (p[field] === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['inparams', field],
          message: `required for inaction ${request.inaction} (${why})`,
        });
    };
    if (request.inaction === 8) {
      require('call_sor_id', 'the caller');
      require('call_dst_id', 'the access code called');
    }
    if (request.inaction === 9) {
      require('flow_result_type', 'what kind of result this is');
      require('input', 'the result itself');
    }
    if (request.inaction === 11 && !isHangupInput(p.input))
      require('trans_result', 'whether the transfer worked');
  });
export type DialogRequest = z.infer<typeof DialogRequest>;

/** The IVR reports the caller's hang-up as inaction 9 or 11 with input `hangup`. */
export function isHangupInput(input: string | undefined): boolean {
  return input?.trim().toLowerCase() === 'hangup';
}

// ---- What we answer (outparams are strings throughout, as in every Huawei sample). ----

export const PromptOutParams = z.object({
  call_id: z.string(),
  prompt_type: z.string(),
  prompt_wav: z.string(),
  prompt_text: z.string(),
  language: z.string(),
  inter_idx: z.string(),
  model_type: z.string(),
  timeout: z.string(),
  collectTimeout: z.string().optional(),
  tone: z.string(),
  grammar: z.string(),
});
export type PromptOutParams = z.infer<typeof PromptOutParams>;

export const TransferOutParams = z.object({
  call_id: z.string(),
  call_sor_id: z.string(),
  calling_num: z.string(),
  trans_type: z.string(),
  route_value: z.string(),
  inter_idx: z.string(),
  trans_idx: z.string(),
  trans_data: z.string().optional(),
});
export type TransferOutParams = z.infer<typeof TransferOutParams>;

export const HangupOutParams = z.object({
  call_id: z.string(),
  call_sor_id: z.string(),
  call_dst_id: z.string(),
  start_time: z.string(),
  end_time: z.string(),
  /** 0 normal end, 1 the flow hit an exception (our loop guard). */
  release_reason: z.string(),
  inter_idx: z.string().optional(),
  entrance_id: z.string().optional(),
  suilu_region_id: z.string().optional(),
});
export type HangupOutParams = z.infer<typeof HangupOutParams>;

export const RecognitionOutParams = z.object({
  call_id: z.string(),
  /** 0 no recognition result yet, 1 there is one. */
  recognize_type: z.string(),
});
export type RecognitionOutParams = z.infer<typeof RecognitionOutParams>;
