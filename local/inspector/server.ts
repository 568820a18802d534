/**
 * The inspector page of the local runtime, at `/`: recent webhooks as they arrive (Server-Sent Events),
 * each opened into its request, its canonical events and its answer, and a call session's legs on a
 * timeline (read from `GET /v1/calls/{sessionId}`). Plain HTML, CSS and JS from ./page, nothing built or
 * downloaded.
 *
 * Who may look: only this machine (the runtime listens on loopback, and the inspector answers only
 * loopback peers), and only a browser signed in with a session cookie (HttpOnly, SameSite=Strict). It is
 * set by opening the one-time link `npm start` prints (the code in it works once, then the page drops it
 * from the address bar), or by pasting the API token into the page's form. The token never travels in a
 * URL, and no page script can read the cookie. The cookie reads the webhooks kept here and `GET /v1/calls…`;
 * every other route still wants the bearer token.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import { adapterOf } from '../../functions/vendors/code';
import { httpRoutesOf } from '../../functions/vendors/meta';
import { vendorList } from '../../functions/vendors/vendors';
import { callEventContract } from '../../shared/events';
import { rawRequestContract } from '../../shared/raw-requests';
import { managementRoutes, routeKey } from '../../shared/routes';
import type { QueueTarget } from '../event-bus';
import { type Exchange, ExchangeRing, type InspectedRoute, type WebhookSummary } from './exchanges';

export const INSPECTOR_COOKIE = 'callhooks_inspector';
const ASSET_PREFIX = '/__inspector/';
const API_PREFIX = '/__inspector/api/';
/** The read routes the page may call with its cookie. */
const COOKIE_ROUTES: ReadonlySet<string> = new Set(
  managementRoutes.filter((route) => route.function === 'calls' && route.method === 'GET').map(routeKey),
);
const MAX_SESSIONS = 32;
const HEARTBEAT_MS = 15_000;

const page = (name: string) => readFileSync(new URL(`./page/${name}`, import.meta.url), 'utf8');
const ASSETS: Readonly<Record<string, { type: string; text: string }>> = {
  '/': { type: 'text/html; charset=utf-8', text: page('index.html') },
  [`${ASSET_PREFIX}inspector.css`]: { type: 'text/css; charset=utf-8', text: page('inspector.css') },
  [`${ASSET_PREFIX}inspector.js`]: { type: 'text/javascript; charset=utf-8', text: page('inspector.js') },
};
/** Nothing from elsewhere, no inline script, never framed, no referrer (the login link's code). */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const SignIn = z.object({ token: z.string().min(1) });

export interface Inspector {
  /** Serves `/`, the page's files and its API; false when the request is for none of them. */
  serve(req: IncomingMessage, res: ServerResponse, body: Buffer): boolean;
  /** Whether a request may call this route with the inspector's cookie in place of the bearer token. */
  admits(req: IncomingMessage, routeKey: string): boolean;
  /** A webhook the router answered; anything not a vendor route is ignored. */
  record(routeKey: string, exchange: Exchange): void;
  /** The bus rule's target: canonical events and kept requests, joined to their webhook. */
  readonly busTarget: QueueTarget;
  /** A link that signs one browser in, once: `npm start` prints it. */
  loginUrl(): string;
  close(): void;
}

export async function createInspector(options: {
  readonly baseUrl: string;
  readonly apiToken: string;
  readonly capacity?: number;
  readonly log?: (line: Record<string, unknown>) => void;
}): Promise<Inspector> {
  const log = options.log ?? (() => undefined);
  const routes = await inspectedRoutes();
  const ring = new ExchangeRing(options.capacity);
  const sessions = new Set<string>();
  const loginCodes = new Set<string>();
  const streams = new Set<ServerResponse>();
  const heartbeat = setInterval(() => {
    for (const stream of streams) stream.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const push = (summary: WebhookSummary) => {
    const frame = `event: webhook\ndata: ${JSON.stringify(summary)}\n\n`;
    for (const stream of streams) stream.write(frame);
  };

  const signedIn = (req: IncomingMessage) => {
    const sid = cookieOf(req, INSPECTOR_COOKIE);
    return sid !== undefined && sessions.has(sid);
  };

  const startSession = (res: ServerResponse) => {
    const sid = randomBytes(32).toString('base64url');
    sessions.add(sid);
    for (const old of sessions) {
      if (sessions.size <= MAX_SESSIONS) break;
      sessions.delete(old);
    }
    res.setHeader('set-cookie', `${INSPECTOR_COOKIE}=${sid}; HttpOnly; SameSite=Strict; Path=/`);
  };

  const sendJson = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  const api = (req: IncomingMessage, res: ServerResponse, method: string, path: string, body: Buffer) => {
    if (method === 'POST' && path === `${API_PREFIX}session`) {
      const ask = SignIn.safeParse(jsonOf(body));
      if (!ask.success) {
        sendJson(res, 400, { error: { code: 'invalid_request', message: 'Send {"token": "<API token>"}.' } });
      } else if (!sameSecret(ask.data.token, options.apiToken)) {
        sendJson(res, 401, {
          error: {
            code: 'unauthenticated',
            message: 'That is not the API token this runtime printed at start.',
          },
        });
      } else {
        startSession(res);
        sendJson(res, 200, { signedIn: true });
      }
      return;
    }
    if (!signedIn(req)) {
      sendJson(res, 401, {
        error: {
          code: 'unauthenticated',
          message: 'Open the inspector link npm start printed, or sign in with the API token.',
        },
      });
      return;
    }
    if (method === 'GET' && path === `${API_PREFIX}webhooks`) {
      sendJson(res, 200, { webhooks: ring.list() });
      return;
    }
    const one = method === 'GET' ? /^\/__inspector\/api\/webhooks\/([\w-]+)$/.exec(path) : null;
    if (one) {
      const detail = ring.get(one[1] ?? '');
      if (detail) sendJson(res, 200, detail);
      else
        sendJson(res, 404, {
          error: { code: 'not_found', message: `No webhook ${one[1]} among the recent ones kept here.` },
        });
      return;
    }
    if (method === 'GET' && path === `${API_PREFIX}stream`) {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      const snapshot = { capacity: ring.capacity, webhooks: ring.list() };
      res.write(`retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    sendJson(res, 404, { error: { code: 'not_found', message: `No inspector route ${method} ${path}.` } });
  };

  return {
    serve(req, res, body) {
      const method = (req.method ?? 'GET').toUpperCase();
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname;
      if (path !== '/' && !path.startsWith(ASSET_PREFIX)) return false;
      if (!isLoopback(req)) {
        sendJson(res, 403, {
          error: { code: 'forbidden', message: 'The inspector is shown on this machine only.' },
        });
        return true;
      }
      if (path.startsWith(API_PREFIX)) {
        api(req, res, method, path, body);
        return true;
      }
      const asset = ASSETS[path];
      if (!asset || (method !== 'GET' && method !== 'HEAD')) {
        sendJson(res, 404, { error: { code: 'not_found', message: `No route for ${method} ${path}.` } });
        return true;
      }
      const code = url.searchParams.get('login');
      if (path === '/' && code !== null) {
        // The code works once; the redirect takes it out of the address bar and the history.
        if (loginCodes.delete(code)) startSession(res);
        res.writeHead(303, { location: '/', ...PAGE_HEADERS });
        res.end();
        return true;
      }
      res.writeHead(200, { 'content-type': asset.type, ...PAGE_HEADERS });
      res.end(method === 'HEAD' ? undefined : asset.text);
      return true;
    },
    admits: (req, key) => COOKIE_ROUTES.has(key) && isLoopback(req) && signedIn(req),
    record(key, exchange) {
      const route = routes.get(key);
      if (!route) return;
      push(ring.record(exchange, route));
    },
    busTarget: {
      send(body) {
        try {
          const envelope: unknown = JSON.parse(body);
          if (typeof envelope !== 'object' || envelope === null || !('detail' in envelope)) return;
          const type = 'detail-type' in envelope ? envelope['detail-type'] : undefined;
          if (type !== callEventContract.detailType && type !== rawRequestContract.detailType) return;
          const changed = ring.observe(type, envelope.detail);
          if (changed) push(changed);
        } catch (error) {
          // What the inspector cannot read must never fail a PutEvents.
          log({
            level: 'WARN',
            component: 'inspector',
            message: 'bus event not shown',
            error: String(error),
          });
        }
      },
    },
    loginUrl() {
      const code = randomBytes(18).toString('base64url');
      loginCodes.add(code);
      return `${options.baseUrl}/?login=${code}`;
    },
    close() {
      clearInterval(heartbeat);
      for (const stream of streams) stream.end();
      streams.clear();
    },
  };
}

/** Every vendor route by its route key, with what its adapter says of keeping its body. */
export async function inspectedRoutes(): Promise<Map<string, InspectedRoute>> {
  const routes = new Map<string, InspectedRoute>();
  for (const { meta } of vendorList) {
    const adapter = await adapterOf(meta.id);
    const specs = adapter.open((typed) =>
      typed.routes.map((route) => ({
        name: route.name,
        keepRaw: route.keepRaw !== false,
        redactBody: route.redactBody,
      })),
    );
    for (const { route, method, path } of httpRoutesOf(meta)) {
      const spec = specs.find((candidate) => candidate.name === route.name);
      routes.set(routeKey({ method, path }), {
        vendor: meta.id,
        meta: route,
        keepRaw: spec?.keepRaw ?? false,
        redactBody: spec?.redactBody,
      });
    }
  }
  return routes;
}

function isLoopback(req: IncomingMessage): boolean {
  const peer = req.socket.remoteAddress ?? '';
  return peer === '::1' || peer.startsWith('127.') || peer.startsWith('::ffff:127.');
}

function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sameSecret(presented: string, expected: string): boolean {
  const a = Buffer.from(presented.trim());
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function jsonOf(body: Buffer): unknown {
  try {
    return body.byteLength ? JSON.parse(body.toString('utf8')) : undefined;
  } catch {
    return undefined;
  }
}
