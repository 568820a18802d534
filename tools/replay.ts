/**
 * `npm run replay`: sends fixture files to callhooks exactly as the vendor would — signed, tokened or
 * queried the vendor's way — to a connection it creates (and whose secret it prints) or to one you name
 * with its secret, then says which call sessions they touched and how to read them back.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as z from 'zod';
import { vendorEntryOf } from '../functions/vendors/vendors';
import { runningRuntime } from '../local/runtime-file';
import type { VendorId } from '../shared/events';
import { sessionIdFor } from '../shared/ids';
import { hookUrl } from '../shared/routes';
import { CommandError, commandLine, main, ms, targetOf, UsageError, vendorOf } from './cli';
import { authenticatorFor, type Connection, createConnection, type VendorSecrets } from './traffic';
import { callApi, send } from './traffic/http';
import { type LocalTarget, waitIdle } from './traffic/local-control';
import { type FixtureFile, replayItemOf } from './traffic/replay';

const USAGE = `usage: npm run replay -- <vendor> <file or folder> [--target URL] [--token T]
         [--connection ID (--secret S | --signing-key K | --app-key K --app-secret S)]

  <vendor>        8x8, messagebird, huawei-odfs, ringcentral or focalscope
  --target        the callhooks API (default $CALLHOOKS_TARGET, else the npm start running here,
                  else http://127.0.0.1:3000)
  --token         the API token (default $CALLHOOKS_API_TOKEN, else that of the npm start running
                  here); needed to create a connection
  --connection    send to this connection instead of creating one; its secret is then needed:
    --secret        8x8's Authorization value, RingCentral's verification token, or FocalScope's URL
                    token (or its whole webhook URL)
    --signing-key   MessageBird's signing key
    --app-key, --app-secret   Huawei ODFS's appKey and appSecret`;

/** The files to replay, in name order, and the folders inside that are left for a replay of their own. */
async function filesOf(path: string): Promise<{ files: FixtureFile[]; folders: string[] }> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new UsageError(`no such file or folder: ${path}`);
  if (info.isFile()) {
    return {
      files: [{ path, name: basename(path), text: await readFile(path, 'utf8'), explicit: true }],
      folders: [],
    };
  }
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const files: FixtureFile[] = [];
  const folders: string[] = [];
  for (const entry of entries) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) folders.push(full);
    else if (entry.isFile() && !entry.name.startsWith('.')) {
      files.push({ path: full, name: entry.name, text: await readFile(full, 'utf8'), explicit: false });
    }
  }
  return { files, folders };
}

function secretsFrom(
  vendor: VendorId,
  values: Readonly<Record<string, string | boolean | undefined>>,
): VendorSecrets {
  const need = (flag: string) => {
    const value = values[flag];
    if (typeof value !== 'string' || value === '')
      throw new UsageError(`--connection needs --${flag}: callhooks never returns a connection's secrets`);
    return value;
  };
  switch (vendor) {
    case '8x8':
      return { vendor, httpAuthHeader: need('secret') };
    case 'ringcentral':
      return { vendor, verificationToken: need('secret') };
    case 'messagebird':
      return { vendor, signingKey: need('signing-key') };
    case 'huawei-odfs':
      return { vendor, appKey: need('app-key'), appSecret: need('app-secret') };
    case 'focalscope':
      return { vendor };
  }
}

/** The connection's URLs, rebuilt from the target: the API shows FocalScope's token only at creation. */
function namedConnection(
  vendor: VendorId,
  id: string,
  target: string,
  values: Readonly<Record<string, string | boolean | undefined>>,
): Connection {
  const { meta } = vendorEntryOf(vendor);
  const secret = typeof values.secret === 'string' ? values.secret : '';
  const token = secret.startsWith('http') ? (secret.split('/').pop() ?? '') : secret;
  if (vendor === 'focalscope' && !token)
    throw new UsageError('--connection needs --secret: the FocalScope URL token');
  const webhookUrls = Object.fromEntries(
    Object.entries(meta.webhookUrls).map(([name, path]) => [
      name,
      hookUrl(target, vendor, id, path, { token }),
    ]),
  );
  return { id, vendor, name: id, tenantId: '', webhookUrls, secrets: secretsFrom(vendor, values) };
}

/** Waits for the local runtime to fold what it took; false where there is none (a deployed stack). */
async function settledLocally(target: LocalTarget): Promise<boolean> {
  try {
    return await waitIdle(target, 30_000);
  } catch {
    return false;
  }
}

const Session = z.object({
  status: z.string(),
  disposition: z.string().optional(),
  legs: z.array(z.object({ state: z.string(), disposition: z.string().optional() })),
});

/** `ended completed, legs ended/completed ended/completed`: the session as the read API shows it. */
async function stateOf(target: string, token: string, sessionId: string): Promise<string> {
  const reply = await callApi(fetch, target, token, 'GET', `/v1/calls/${encodeURIComponent(sessionId)}`, {
    accept: [200, 404],
  }).catch(() => undefined);
  const session = Session.safeParse(reply?.json);
  if (!session.success) return reply?.status === 404 ? 'not in the call state yet' : '';
  const { status, disposition, legs } = session.data;
  const legStates = legs.map((leg) => `${leg.state}/${leg.disposition ?? '-'}`).join(' ');
  return `${status}${disposition ? ` ${disposition}` : ''}, legs ${legStates || '(none)'}`;
}

function describeSecret(connection: Connection): string {
  const s = connection.secrets;
  switch (s.vendor) {
    case '8x8':
      return `--secret '${s.httpAuthHeader}' (its Authorization value)`;
    case 'ringcentral':
      return `--secret ${s.verificationToken} (its Verification-Token)`;
    case 'messagebird':
      return `--signing-key ${s.signingKey}`;
    case 'huawei-odfs':
      return `--app-key ${s.appKey} --app-secret ${s.appSecret}`;
    case 'focalscope':
      return `--secret ${connection.webhookUrls.webhook ?? ''} (its webhook URL; the token is its last part)`;
  }
}

async function replay(): Promise<number> {
  const { values, positionals } = commandLine({
    options: {
      target: { type: 'string' },
      token: { type: 'string' },
      connection: { type: 'string' },
      secret: { type: 'string' },
      'signing-key': { type: 'string' },
      'app-key': { type: 'string' },
      'app-secret': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [vendorName, path, ...extra] = positionals;
  if (!path || extra.length) throw new UsageError('give a vendor and one file or folder');
  const vendor = vendorOf(vendorName);
  // Without --target or --token: the `npm start` running here (.local/runtime.json), its URL and token.
  const running = runningRuntime();
  const target = targetOf(
    values.target ?? process.env.CALLHOOKS_TARGET ?? running?.url,
    'http://127.0.0.1:3000',
  );
  const token =
    values.token ?? process.env.CALLHOOKS_API_TOKEN ?? (running?.url === target ? running.token : undefined);
  const { files, folders } = await filesOf(path);

  let connection: Connection;
  if (values.connection) {
    connection = namedConnection(vendor, values.connection, target, values);
    if (token) {
      // Say so now if the connection is not this vendor's, rather than with a 404 per file.
      const reply = await callApi(
        fetch,
        target,
        token,
        'GET',
        `/v1/connections/${encodeURIComponent(values.connection)}`,
      );
      const shown = reply.json;
      if (typeof shown === 'object' && shown !== null && 'vendor' in shown && shown.vendor !== vendor) {
        throw new CommandError(
          `connection ${values.connection} is for ${String(shown.vendor)}, not ${vendor}`,
        );
      }
    }
  } else {
    if (!token)
      throw new UsageError(
        'no API token to create a connection with: pass --token, or --connection with its secret',
      );
    connection = await createConnection(target, token, vendor, { name: `replay ${path}` });
    console.log(`created ${vendor} connection ${connection.id}`);
    console.log(`  to replay to it again: --connection ${connection.id} ${describeSecret(connection)}`);
  }

  const auth = authenticatorFor(connection, {
    now: () => new Date(),
    getToken: async (request) => {
      const outcome = await send(fetch, request, 10_000);
      console.log(
        `${outcome.ok ? String(outcome.status).padEnd(4) : 'ERR '}  ${ms(outcome.latencyMs).padStart(7)}  gettoken`,
      );
      return outcome;
    },
  });
  for (const folder of folders) console.log(`skip      ${folder}/ (a folder: replay it on its own)`);
  const touched = new Set<string>();
  let failures = 0;
  for (const file of files) {
    const item = replayItemOf(vendor, file);
    if ('skip' in item) {
      console.log(`skip      ${file.path} (${item.skip})`);
      continue;
    }
    let signed = await auth.sign(item.request);
    let outcome = await send(fetch, signed, 10_000);
    if (await auth.stale(outcome, signed)) {
      signed = await auth.sign(item.request);
      outcome = await send(fetch, signed, 10_000);
    }
    if (!outcome.ok) {
      failures++;
      console.log(`ERR   ${ms(outcome.latencyMs).padStart(7)}  ${file.path}: ${outcome.error}`);
      continue;
    }
    const ok = outcome.status >= 200 && outcome.status < 300;
    if (!ok) failures++;
    const detail = ok ? '' : `  ${outcome.text.replace(/\s+/g, ' ').slice(0, 160)}`;
    console.log(
      `${String(outcome.status).padEnd(4)}  ${ms(outcome.latencyMs).padStart(7)}  ${file.path}${detail}`,
    );
    if (ok) for (const id of item.vendorSessionIds) touched.add(id);
  }

  if (touched.size) {
    // The local runtime folds what it acknowledged a moment later: wait for it, so the state shown is final.
    const settled = token && (await settledLocally({ baseUrl: target, apiToken: token }));
    console.log(`\nsessions touched (${touched.size})${settled ? ', once the local runtime settled' : ''}:`);
    for (const vendorSessionId of touched) {
      const sessionId = sessionIdFor(connection.id, vendorSessionId);
      const state = token ? await stateOf(target, token, sessionId) : '';
      console.log(`  ${sessionId}  (${vendor} session ${vendorSessionId})${state ? `  ${state}` : ''}`);
    }
    const first = sessionIdFor(connection.id, [...touched][0] ?? '');
    console.log('\nread one back with:');
    const bearer = token === process.env.CALLHOOKS_API_TOKEN ? '$CALLHOOKS_API_TOKEN' : '$TOKEN';
    console.log(`  curl -s -H "Authorization: Bearer ${bearer}" ${target}/v1/calls/${first}`);
  } else {
    console.log('\nno call session was touched');
  }
  return failures === 0 ? 0 : 1;
}

main('replay', USAGE, replay);
