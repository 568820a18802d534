/** Typed access to events/huawei-odfs/: raw text, JSON objects, and dialog requests carrying a given token. */
import * as z from 'zod';
import { fixtureFolder, fixtureText } from '../../../support/fixtures';

const VENDOR = 'huawei-odfs';
export const JsonObject = z.record(z.string(), z.unknown());
export type JsonObject = z.infer<typeof JsonObject>;

export function text(name: string): string {
  return fixtureText(VENDOR, name);
}

export function json(name: string): JsonObject {
  return JsonObject.parse(JSON.parse(text(name)));
}

/** A dialog request fixture with its inparams.auth_token replaced (or removed when token is undefined). */
export function dialog(name: string, token: string | undefined): JsonObject {
  return withToken(json(name), token);
}

export function withToken(body: JsonObject, token: string | undefined): JsonObject {
  const inparams = JsonObject.parse(body.inparams ?? {});
  const { auth_token: _old, ...rest } = inparams;
  return { ...body, inparams: token === undefined ? rest : { ...rest, auth_token: token } };
}

export function lifecycle(): { name: string; body: JsonObject }[] {
  return fixtureFolder(VENDOR, 'lifecycle').map(({ name, text }) => ({
    name,
    body: JsonObject.parse(JSON.parse(text)),
  }));
}
