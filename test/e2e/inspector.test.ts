/**
 * The inspector page, driven in headless Chromium (Debian's chromium, through playwright-core): it signs in
 * with the link `npm start` prints, shows 8x8 and MessageBird webhooks as they arrive, opens one into its
 * request → events → answer with no credential anywhere, and draws its session's legs on a timeline.
 * Screenshots are kept in test/artifacts/ (git-ignored).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { LegView } from '../../shared/call-state';
import { type Connections, createConnections, type RunResult, runTraffic } from '../../tools/traffic';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const WebhookList = z.object({ webhooks: z.array(z.object({ id: z.string() })) });
const WRONG_SECRET = 'Bearer not-the-8x8-secret-but-still-a-credential';

let runtime: TestRuntime;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH.`);
  mkdirSync(ARTIFACTS, { recursive: true });
  [runtime, browser] = await Promise.all([
    startTestRuntime(),
    chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] }),
  ]);
  page = await browser.newPage({ viewport: { width: 1480, height: 1000 } });
});

afterAll(async () => {
  await browser?.close();
  await runtime?.close();
});

async function screenshot(name: string) {
  const path = `${ARTIFACTS}${name}`;
  await page.screenshot({ path, fullPage: true });
  console.log(`inspector screenshot: ${path}`);
}

describe('the inspector page', () => {
  let run: RunResult;
  let connections: Connections;
  /** The webhook opened, whose session is drawn. */
  let openedRequestId: string;

  it('signs in with the printed link, which then leaves the address bar and works no more', async () => {
    const link = runtime.runtime.inspectorUrl();
    await page.goto(link);

    expect(page.url()).toBe(`${runtime.url}/`);
    await expect.poll(() => page.locator('#live-text').textContent()).toBe('Live');
    expect(await page.locator('#empty').isVisible()).toBe(true);

    const stranger = await browser.newPage();
    await stranger.goto(link);
    await stranger.locator('#signin').waitFor();
    expect(await stranger.locator('#main').isVisible()).toBe(false);
    await stranger.fill('#token', 'a-wrong-token');
    await stranger.click('button[type=submit]');
    await expect.poll(() => stranger.locator('#signin-error').textContent()).toContain('not the API token');
    await stranger.screenshot({ path: `${ARTIFACTS}inspector-signin.png` });
    await stranger.fill('#token', runtime.apiToken);
    await stranger.click('button[type=submit]');
    await stranger.locator('#main').waitFor();
    await stranger.close();
  });

  it('shows webhooks of two vendors as they arrive, newest first', async () => {
    // Set in this document: still there at the end, so nothing was reloaded.
    await page.evaluate("document.body.dataset.sameDocument = 'yes'");
    connections = await createConnections(runtime.url, runtime.apiToken, ['8x8', 'messagebird']);
    run = await runTraffic({
      baseUrl: runtime.url,
      apiToken: runtime.apiToken,
      connections,
      vendors: ['8x8', 'messagebird'],
      calls: 2,
      seed: 'e2e-inspector',
      outcomes: ['answered'],
      concurrency: 4,
    });
    const rejected = await fetch(`${runtime.url}/v1/hooks/8x8/${connections.get('8x8')?.id}`, {
      method: 'POST',
      headers: { authorization: WRONG_SECRET, 'content-type': 'application/json' },
      body: '{"eventType":"CALL_STATUS"}',
    });
    expect(rejected.status).toBe(401);
    await runtime.settle();

    const rows = page.locator('#webhooks tr');
    await expect.poll(() => rows.count()).toBe(run.deliveries.length + 1);
    expect(await page.locator('body').getAttribute('data-same-document')).toBe('yes');
    expect(await page.locator('#empty').isVisible()).toBe(false);
    expect(await page.locator('#webhooks tr[data-vendor="8x8"]').count()).toBeGreaterThan(0);
    expect(await page.locator('#webhooks tr[data-vendor="messagebird"]').count()).toBeGreaterThan(0);
    const first = rows.first();
    expect(await first.getAttribute('data-vendor')).toBe('8x8');
    expect(await first.locator('.verdict').textContent()).toBe('401unauthenticated');
    // Some twenty webhooks: a few seconds on an idle machine, much longer on one shared with other test runs.
  }, 90_000);

  it('opens a webhook into its raw request, its canonical events and its answer', async () => {
    // On a loaded machine a live answer may go out without its events (by design, past the publish
    // budget): open an 8x8 webhook whose events were published, its call action if it can.
    const published = runtime.published();
    const withEvents = run.deliveries.filter(
      (d) => d.vendor === '8x8' && d.status === 200 && published.some((e) => e.requestId === d.requestId),
    );
    const live = withEvents.find((d) => d.live) ?? withEvents[0];
    if (!live?.requestId) throw new Error('no 8x8 webhook of the run had its events published');
    openedRequestId = live.requestId;
    const events = published.filter((event) => event.requestId === live.requestId);

    await page.locator(`#webhooks tr[data-request-id="${live.requestId}"] td.time a`).click();
    const detail = page.locator('#detail');
    await expect
      .poll(() => detail.locator('[aria-label="request line"]').textContent())
      .toMatch(/^POST \/v1\/hooks\/8x8\/con_/);
    expect(await detail.locator('[aria-label="request headers"] th').allTextContents()).toContain(
      'content-type',
    );
    expect(await detail.locator('[aria-label="request body"]').textContent()).toContain('"eventType"');
    expect(await detail.locator('.meta').textContent()).toContain(live.requestId);
    await expect.poll(() => detail.locator('[aria-label="canonical events"] li').count()).toBe(events.length);
    expect(await detail.locator('[aria-label="canonical events"] .type').allTextContents()).toEqual(
      expect.arrayContaining([...new Set(events.map((event) => event.type))]),
    );
    expect(await detail.locator('[aria-label="answer status"]').textContent()).toMatch(/^200 · \d+ ms$/);
    if (live.live)
      expect(await detail.locator('[aria-label="answer body"]').textContent()).toContain('"callflow"');
    // Tall enough for the whole detail panel (it scrolls on its own in a smaller window).
    await page.setViewportSize({ width: 1480, height: 1500 });
    await screenshot('inspector-webhook.png');
    await page.setViewportSize({ width: 1480, height: 1000 });
  });

  it('shows no credential: not the 8x8 header (right or wrong), MessageBird’s key or signature, the API token', async () => {
    const secrets = [
      WRONG_SECRET,
      runtime.apiToken,
      ...[...connections.values()].map((c) =>
        c.secrets.vendor === '8x8'
          ? c.secrets.httpAuthHeader
          : c.secrets.vendor === 'messagebird'
            ? c.secrets.signingKey
            : '',
      ),
    ].filter(Boolean);
    expect(secrets).toHaveLength(4);
    // Everything the page can show: every webhook's detail as its API serves it to the signed-in page.
    // page.request carries the page's own cookie.
    const list = WebhookList.parse(
      await (await page.request.get(`${runtime.url}/__inspector/api/webhooks`)).json(),
    );
    const details = await Promise.all(
      list.webhooks.map(async ({ id }) =>
        (await page.request.get(`${runtime.url}/__inspector/api/webhooks/${id}`)).text(),
      ),
    );
    const shown = details.join('\n');
    expect(details).toHaveLength(run.deliveries.length + 1);
    expect(shown).toContain('"method":"POST"');
    for (const secret of secrets) expect(shown).not.toContain(secret.replace(/^Bearer /, ''));
    expect(shown).not.toMatch(/"(authorization|messagebird-signature-jwt)"/i);
    // A MessageBird signature is a JWT: none is shown anywhere.
    expect(shown).not.toMatch(/eyJ[\w-]+\.eyJ/);

    await page.locator('#webhooks tr').first().locator('td.time a').click();
    const detail = page.locator('#detail');
    await expect.poll(() => detail.locator('[aria-label="answer status"]').textContent()).toMatch(/^401/);
    expect(await detail.locator('[aria-label="request headers"] th').allTextContents()).not.toContain(
      'authorization',
    );
    expect(await detail.locator('[aria-label="canonical events"]').count()).toBe(0);
  });

  it('draws the session of a webhook as legs on a timeline, as GET /v1/calls/{id} returns them', async () => {
    await page.locator(`#webhooks tr[data-request-id="${openedRequestId}"] td.time a`).click();
    await page.locator('#detail .sessions a').first().click();

    const sessionId = decodeURIComponent(new URL(page.url()).hash.replace('#/sessions/', ''));
    const call = await runtime.api('GET', `/v1/calls/${encodeURIComponent(sessionId)}`);
    expect(call.status).toBe(200);
    const legs = z.object({ legs: LegView.array() }).parse(call.json).legs;
    expect(legs.length).toBeGreaterThan(0);

    const drawn = page.locator('#detail svg.timeline g.leg');
    await expect.poll(() => drawn.count()).toBe(legs.length);
    for (const leg of legs) {
      const row = page.locator(`#detail svg.timeline g.leg[data-leg="${leg.legId}"]`);
      const segments = await row
        .locator('rect')
        .evaluateAll((rects) => rects.map((r) => r.getAttribute('data-segment')));
      expect(segments).toContain(leg.answeredAt ? 'talking' : 'setup');
      expect(
        await page.locator(`#detail table.legs tr[data-leg="${leg.legId}"] td`).nth(1).textContent(),
      ).toBe(leg.state);
    }
    await screenshot('inspector.png');
  });

  it('lets its cookie read webhooks and calls only; everything else still wants the bearer token', async () => {
    const anonymous = await fetch(`${runtime.url}/__inspector/api/webhooks`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 'unauthenticated' } });
    expect((await fetch(`${runtime.url}/v1/calls/cs_none`)).status).toBe(401);

    expect((await page.request.get(`${runtime.url}/v1/calls/cs_none`)).status()).toBe(404);
    const write = await page.request.post(`${runtime.url}/v1/connections`, {
      data: { vendor: 'focalscope', name: 'by cookie', auth: {} },
    });
    expect(write.status()).toBe(401);
    expect((await page.request.get(`${runtime.url}/v1/connections`)).status()).toBe(401);
    expect((await page.request.get(`${runtime.url}/__local/metrics`)).status()).toBe(401);
  });
});
