/**
 * The Huawei ODFS adapter. Three routes under the connection's base URL: gettoken (appKey + appSecret →
 * a token), and the dialog endpoint in its V1 and V2 (`/{vdnId}`, gray routing) forms, which run the same
 * logic. A dialog request authenticates by the token in its own body, so authentication reads the raw
 * JSON itself before anything is parsed; every answer and every refusal is in Huawei's shape.
 */
import {
  defineRoute,
  type ParseResult,
  parseJsonBody,
  type VendorAdapter,
  type VendorRoute,
} from '../adapter';
import { callIdOf, checkAuthToken, checkCredentials, issueToken, userIdOf, withoutAuthToken } from './auth';
import { type HuaweiOdfsSecrets, type HuaweiOdfsSettings, huaweiOdfsConnection } from './connection';
import { huaweiOdfsMeta } from './meta';
import { dialogRejection, fallbackReply, tokenRejection, tokenReply } from './respond';
import { DialogRequest, GetTokenRequest } from './schema';
import { answerTurn, renormaliseTurn, turnKeyOf } from './turns';

export function parseDialogRequest(body: Buffer): ParseResult<DialogRequest> {
  return parseJsonBody(body, DialogRequest, 'ODFS dialog request');
}

export function parseTokenRequest(body: Buffer): ParseResult<GetTokenRequest> {
  return parseJsonBody(body, GetTokenRequest, 'gettoken request');
}

const gettoken = defineRoute<GetTokenRequest, HuaweiOdfsSecrets, HuaweiOdfsSettings>({
  name: 'gettoken',
  authenticate: (request, _context, credentials) => checkCredentials(request.body, credentials),
  parse: (request) => parseTokenRequest(request.body),
  handle: async (_input, context) => {
    const issued = await issueToken(context.store, context.settings.tokenTtlSeconds, context.receivedAt);
    return { events: [], reply: tokenReply(issued.authToken, issued.expireTime) };
  },
  reject: (rejection) => tokenRejection(rejection),
  // Its body is the IVR's credential, and it makes no events: there is nothing to keep.
  keepRaw: false,
});

function dialogRoute(name: 'process' | 'processV2'): VendorRoute<HuaweiOdfsSecrets, HuaweiOdfsSettings> {
  return defineRoute<DialogRequest, HuaweiOdfsSecrets, HuaweiOdfsSettings>({
    name,
    authenticate: (request, context) =>
      checkAuthToken(request.body, context.store, context.receivedAt, context.connection.id),
    parse: (request) => parseDialogRequest(request.body),
    handle: (input, context) => answerTurn(input, context),
    renormalise: (input, decision, context) => renormaliseTurn(input, decision, context.settings),
    reject: (rejection, request) => dialogRejection(rejection, userIdOf(request.body)),
    // The IVR plays one outaction per answer: an apology would bring it back to what cannot answer now.
    fallback: (request) => fallbackReply(userIdOf(request.body), callIdOf(request.body)),
    resendKey: (request) => {
      const parsed = parseDialogRequest(request.body);
      return parsed.ok ? turnKeyOf(parsed.value) : undefined;
    },
    redactBody: withoutAuthToken,
  });
}

export const huaweiOdfs: VendorAdapter<HuaweiOdfsSecrets, HuaweiOdfsSettings> = {
  meta: huaweiOdfsMeta,
  connection: huaweiOdfsConnection,
  routes: [gettoken, dialogRoute('process'), dialogRoute('processV2')],
};
