// The inspector page's script (local/inspector/server.ts serves it): the recent webhooks, live over
// Server-Sent Events; one webhook's request → events → answer; a call session's legs on a timeline.
// Everything shown comes from vendors' requests, so it is only ever set as text, never as HTML.

const SVG = 'http://www.w3.org/2000/svg';
const VERDICTS = {
  answered: 'answered',
  accepted: 'accepted',
  fallback: 'fallback',
  rejected: 'rejected',
  retry: 'retry later',
  failed: 'failed',
};

const state = {
  /** @type {Map<string, object>} newest first by insertion into `order` */
  webhooks: new Map(),
  order: [],
  selected: undefined,
  stream: undefined,
  refreshTimer: undefined,
  /** How many the runtime keeps (its snapshot says). */
  capacity: 200,
  unannounced: 0,
  announceTimer: undefined,
};

const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text nodes). */
function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function s(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value !== undefined) node.setAttribute(name, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
}

const pad = (n, width = 2) => String(n).padStart(width, '0');

function clock(iso) {
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function shortId(id) {
  return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-5)}` : id;
}

function announce(text) {
  $('announcer').textContent = text;
}

function setLive(stateName, text) {
  $('live').dataset.state = stateName;
  $('live-text').textContent = text;
}

async function getJson(path) {
  const response = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => undefined);
  return { status: response.status, body };
}

// --- signing in ----------------------------------------------------------------------------------------

function showSignIn(message) {
  state.stream?.close();
  state.stream = undefined;
  $('main').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = message ?? '';
  setLive('lost', 'Signed out');
  $('token').focus();
}

async function signIn(event) {
  event.preventDefault();
  const token = $('token').value.trim();
  const response = await fetch('/__inspector/api/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  $('token').value = '';
  if (response.ok) {
    start();
    return;
  }
  const body = await response.json().catch(() => undefined);
  $('signin-error').textContent = body?.error?.message ?? `Sign-in failed (${response.status}).`;
}

// --- the list ------------------------------------------------------------------------------------------

/** The status and verdict; in the list, an error's code stands for its verdict (the colour tells which). */
function verdictBadge(summary, full) {
  const v = summary.verdict;
  const label = VERDICTS[v.kind] ?? v.kind;
  const why = v.code && v.kind !== 'answered' && v.kind !== 'accepted' ? v.code : undefined;
  return h(
    'span',
    { class: 'verdict', 'data-kind': v.kind, title: why ? `${label}: ${why}` : label },
    h('span', { class: 'status' }, String(summary.status)),
    why ? (full ? `${label} · ${why}` : why) : label,
  );
}

function vendorTag(vendor) {
  return h('span', { class: 'vendor', 'data-vendor': vendor }, vendor);
}

function row(summary) {
  const open = () => {
    location.hash = `#/webhooks/${summary.id}`;
  };
  return h(
    'tr',
    {
      'data-id': summary.id,
      'data-request-id': summary.requestId,
      'data-vendor': summary.vendor,
      'aria-current': state.selected === summary.id ? 'true' : undefined,
      onclick: (event) => {
        if (!(event.target instanceof HTMLAnchorElement)) open();
      },
    },
    h(
      'td',
      { class: 'time' },
      h(
        'a',
        {
          href: `#/webhooks/${summary.id}`,
          'aria-label': `${summary.vendor} ${summary.route} at ${clock(summary.receivedAt)}, ${summary.status}`,
        },
        clock(summary.receivedAt),
      ),
    ),
    h('td', {}, vendorTag(summary.vendor)),
    h('td', { class: 'conn', title: summary.connectionId }, `…${summary.connectionId.slice(-6)}`),
    h(
      'td',
      {},
      summary.route,
      summary.live ? h('span', { class: 'badge', title: 'answers a live call' }, ' live') : '',
    ),
    h('td', {}, verdictBadge(summary)),
    h('td', { class: 'num' }, `${summary.ms} ms`),
    h('td', { class: 'num' }, String(summary.eventCount)),
  );
}

function renderList() {
  $('webhooks').replaceChildren(...state.order.map((id) => row(state.webhooks.get(id))));
  showCount();
}

function showCount() {
  $('empty').hidden = state.order.length > 0;
  $('count').textContent = `Newest first · ${state.order.length} kept (the last ${state.capacity} at most)`;
}

function upsert(summary) {
  const known = state.webhooks.has(summary.id);
  state.webhooks.set(summary.id, summary);
  const body = $('webhooks');
  if (known) {
    document.querySelector(`tr[data-id="${CSS.escape(summary.id)}"]`)?.replaceWith(row(summary));
  } else {
    // Newest first by arrival: a slow answer is listed where its request came in.
    const found = state.order.findIndex((id) => state.webhooks.get(id).receivedAt <= summary.receivedAt);
    const at = found < 0 ? state.order.length : found;
    state.order.splice(at, 0, summary.id);
    const tr = row(summary);
    tr.classList.add('fresh');
    body.insertBefore(tr, body.children[at] ?? null);
    // As many as the runtime keeps: the oldest goes, here as there.
    while (state.order.length > state.capacity) {
      state.webhooks.delete(state.order.pop());
      body.lastElementChild?.remove();
    }
    showCount();
    announceNew();
  }
  refreshOpenView(summary);
}

/** At most one announcement every two seconds, however fast webhooks come. */
function announceNew() {
  state.unannounced++;
  if (state.announceTimer) return;
  state.announceTimer = setTimeout(() => {
    announce(state.unannounced === 1 ? '1 new webhook' : `${state.unannounced} new webhooks`);
    state.unannounced = 0;
    state.announceTimer = undefined;
  }, 2000);
}

// --- live updates --------------------------------------------------------------------------------------

function connect() {
  state.stream?.close();
  const stream = new EventSource('/__inspector/api/stream');
  state.stream = stream;
  stream.addEventListener('open', () => setLive('live', 'Live'));
  stream.addEventListener('snapshot', (event) => {
    const { capacity, webhooks: list } = JSON.parse(event.data);
    state.capacity = capacity;
    state.webhooks = new Map(list.map((summary) => [summary.id, summary]));
    state.order = list.map((summary) => summary.id);
    renderList();
    route();
  });
  stream.addEventListener('webhook', (event) => upsert(JSON.parse(event.data)));
  stream.addEventListener('error', async () => {
    setLive('lost', 'Reconnecting…');
    if (stream.readyState === EventSource.CLOSED) {
      const check = await getJson('/__inspector/api/webhooks').catch(() => undefined);
      if (check?.status === 401) showSignIn('Your session ended (the runtime restarted?). Sign in again.');
      else setTimeout(connect, 2000);
    }
  });
}

/** The open view shows this webhook, or its session: read it again, at most every 300 ms. */
function refreshOpenView(summary) {
  const [kind, id] = currentRoute();
  const concerned =
    (kind === 'webhooks' && id === summary.id) || (kind === 'sessions' && summary.sessionIds.includes(id));
  if (!concerned) return;
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => route({ keepFocus: true }), 300);
}

// --- one webhook ---------------------------------------------------------------------------------------

function prettyBody(text, contentType) {
  if (text === undefined || text === '') return '(empty)';
  if (/json/i.test(contentType ?? '') || /^\s*[[{]/.test(text)) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  }
  return text;
}

function headerTable(headers, label) {
  const names = Object.keys(headers).sort();
  if (names.length === 0) return h('p', { class: 'note' }, 'No headers.');
  return h(
    'table',
    { class: 'headers', 'aria-label': label },
    h(
      'tbody',
      {},
      names.map((name) => h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, headers[name]))),
    ),
  );
}

function requestSection(detail) {
  const req = detail.request;
  const target = `${req.method} ${req.path}${req.query ? `?${req.query}` : ''}`;
  return h(
    'section',
    { 'aria-labelledby': 'request-heading' },
    h(
      'h3',
      { id: 'request-heading' },
      h('span', { class: 'step', 'aria-hidden': 'true' }, '1'),
      'Raw request',
      req.kept
        ? h('span', { class: 'badge', title: 'as the requests table keeps it' }, 'kept')
        : h(
            'span',
            { class: 'badge', title: 'rejected or not kept: captured by the local runtime' },
            'not kept',
          ),
    ),
    h(
      'p',
      { class: 'note' },
      'Authorization, cookies, signatures and tokens are removed; secret URL segments are shown by name.',
    ),
    h('pre', { class: 'request-line', 'aria-label': 'request line' }, target),
    headerTable(req.headers, 'request headers'),
    req.withheld
      ? h('p', { class: 'note' }, `Body ${req.withheld}.`)
      : h(
          'pre',
          { 'aria-label': 'request body' },
          req.bodyEncoding === 'base64'
            ? `(base64) ${req.body}`
            : prettyBody(req.body, req.headers['content-type']),
        ),
  );
}

function eventsSection(detail) {
  return h(
    'section',
    { 'aria-labelledby': 'events-heading' },
    h(
      'h3',
      { id: 'events-heading' },
      h('span', { class: 'step', 'aria-hidden': 'true' }, '2'),
      `Canonical events (${detail.events.length})`,
    ),
    detail.events.length === 0
      ? h(
          'p',
          { class: 'note' },
          detail.status >= 300
            ? 'None: a refused webhook publishes nothing.'
            : 'None published for this request.',
        )
      : h(
          'ol',
          { class: 'events', 'aria-label': 'canonical events' },
          detail.events.map((event) =>
            h(
              'li',
              {},
              h(
                'details',
                {},
                h(
                  'summary',
                  {},
                  h('span', { class: 'type' }, event.type),
                  event.state ? h('span', { class: 'badge' }, event.state) : '',
                  event.disposition ? h('span', { class: 'badge' }, event.disposition) : '',
                  h('span', { class: 'when' }, clock(event.occurredAt)),
                  event.legId
                    ? h('span', { class: 'leg', title: event.legId }, `leg ${shortId(event.legId)}`)
                    : '',
                ),
                h('pre', {}, JSON.stringify(event, null, 2)),
              ),
            ),
          ),
        ),
    detail.sessionIds.length
      ? h(
          'ul',
          { class: 'sessions', 'aria-label': 'call sessions of these events' },
          detail.sessionIds.map((id) =>
            h(
              'li',
              {},
              h(
                'a',
                { class: 'button', href: `#/sessions/${encodeURIComponent(id)}` },
                `Session timeline ${shortId(id)}`,
              ),
            ),
          ),
        )
      : '',
  );
}

function answerSection(detail) {
  const answer = detail.answer;
  return h(
    'section',
    { 'aria-labelledby': 'answer-heading' },
    h(
      'h3',
      { id: 'answer-heading' },
      h('span', { class: 'step', 'aria-hidden': 'true' }, '3'),
      'Answer sent back',
    ),
    answer
      ? [
          h(
            'pre',
            { class: 'request-line', 'aria-label': 'answer status' },
            `${answer.status} · ${detail.ms} ms`,
          ),
          headerTable(answer.headers, 'answer headers'),
          answer.withheld
            ? h('p', { class: 'note' }, `Body ${answer.withheld}.`)
            : h('pre', { 'aria-label': 'answer body' }, prettyBody(answer.body, answer.contentType)),
        ]
      : h('p', { class: 'note' }, 'The function did not answer in time; the runtime answered 503.'),
  );
}

function showWebhook(detail) {
  const panel = $('detail');
  panel.replaceChildren(
    h(
      'h2',
      { id: 'detail-heading' },
      vendorTag(detail.vendor),
      ` ${detail.route} `,
      verdictBadge(detail, true),
    ),
    h(
      'p',
      { class: 'meta' },
      h('span', {}, `${clock(detail.receivedAt)} · ${detail.ms} ms`),
      h('span', { class: 'conn', title: detail.connectionId }, detail.connectionId),
      detail.requestId ? h('span', { class: 'conn', title: 'x-callhooks-request-id' }, detail.requestId) : '',
    ),
    requestSection(detail),
    eventsSection(detail),
    answerSection(detail),
  );
}

// --- one session ---------------------------------------------------------------------------------------

const SEGMENTS = [
  { key: 'setup', label: 'set up' },
  { key: 'ringing', label: 'ringing' },
  { key: 'talking', label: 'answered' },
  { key: 'held', label: 'held / parked' },
];

/** A leg's stretches, from its timestamps and its events: set up → ringing → answered (held in between). */
function segmentsOf(leg, events, end) {
  const t = (iso) => (iso ? Date.parse(iso) : undefined);
  const created = t(leg.createdAt);
  const ringing = t(leg.ringingAt);
  const answered = t(leg.answeredAt);
  const ended = t(leg.endedAt) ?? end;
  const out = [];
  const push = (key, from, to) => {
    if (from !== undefined && to !== undefined && to >= from) out.push({ key, from, to });
  };
  push('setup', created, ringing ?? answered ?? ended);
  if (ringing !== undefined) push('ringing', ringing, answered ?? ended);
  if (answered !== undefined) {
    let from = answered;
    let heldSince;
    for (const event of events) {
      const at = Date.parse(event.occurredAt);
      if (at < answered || at > ended) continue;
      if ((event.type === 'leg.held' || event.type === 'leg.parked') && heldSince === undefined) {
        push('talking', from, at);
        heldSince = at;
      } else if ((event.type === 'leg.resumed' || event.type === 'leg.answered') && heldSince !== undefined) {
        push('held', heldSince, at);
        heldSince = undefined;
        from = at;
      }
    }
    if (heldSince !== undefined) push('held', heldSince, ended);
    else push('talking', from, ended);
  }
  return out;
}

function partyText(party) {
  return party ? (party.e164 ?? party.raw ?? party.name ?? '?') : '?';
}

function timeline(call) {
  const legs = call.legs ?? [];
  const events = call.timeline ?? [];
  const times = [
    Date.parse(call.startedAt),
    ...legs.flatMap((leg) => [leg.createdAt, leg.endedAt].filter(Boolean).map((iso) => Date.parse(iso))),
    ...events.map((event) => Date.parse(event.occurredAt)),
  ].filter((n) => Number.isFinite(n));
  const start = Math.min(...times);
  const last = call.status === 'active' ? Math.max(Date.now(), ...times) : Math.max(...times);
  const span = Math.max(1000, last - start);
  const width = Math.max(480, Math.round($('detail').clientWidth - 40));
  const labelWidth = 210;
  const rowHeight = 40;
  const top = 24;
  const plot = width - labelWidth - 16;
  const x = (at) => labelWidth + ((at - start) / span) * plot;
  const height = top + legs.length * rowHeight + 12;

  const svg = s('svg', {
    class: 'timeline',
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-labelledby': 'timeline-title',
  });
  svg.append(
    s(
      'title',
      { id: 'timeline-title' },
      `Legs of session ${call.sessionId} over ${Math.round(span / 100) / 10} s: ${legs
        .map((leg) => `${leg.legId} ${leg.state}${leg.disposition ? ` (${leg.disposition})` : ''}`)
        .join('; ')}`,
    ),
  );
  const axis = s('g', { class: 'axis' });
  const step = niceStep(span / 6);
  for (let at = 0; at <= span; at += step) {
    axis.append(
      s('line', { x1: x(start + at), x2: x(start + at), y1: top - 6, y2: height - 6 }),
      s('text', { x: x(start + at), y: 14, 'text-anchor': 'middle' }, `+${formatSpan(at)}`),
    );
  }
  svg.append(axis);
  legs.forEach((leg, index) => {
    const y = top + index * rowHeight;
    const own = events.filter((event) => event.legId === leg.legId);
    const g = s('g', { class: 'leg', 'data-leg': leg.legId });
    g.append(
      s(
        'text',
        { class: 'leg-label', x: 8, y: y + 15 },
        `${leg.direction === 'outbound' ? '↗' : '↘'} ${shortId(leg.vendorLegId ?? leg.legId)}`,
      ),
      s('text', { x: 8, y: y + 31 }, `${partyText(leg.from)} → ${partyText(leg.to)}`),
    );
    for (const seg of segmentsOf(leg, own, last)) {
      g.append(
        s(
          'rect',
          {
            class: `seg seg-${seg.key}`,
            'data-segment': seg.key,
            x: x(seg.from),
            y: y + 9,
            width: Math.max(2, x(seg.to) - x(seg.from)),
            height: 18,
            rx: 3,
          },
          s('title', {}, `${seg.key}: ${formatSpan(seg.to - seg.from)}`),
        ),
      );
    }
    for (const event of own) {
      const at = x(Date.parse(event.occurredAt));
      g.append(
        s(
          'line',
          { class: 'tick', x1: at, x2: at, y1: y + 5, y2: y + 31 },
          s('title', {}, `${event.type} ${clock(event.occurredAt)}`),
        ),
      );
    }
    svg.append(g);
  });
  return svg;
}

function niceStep(raw) {
  const steps = [
    100, 250, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000, 1800000, 3600000,
  ];
  return steps.find((candidate) => candidate >= raw) ?? 3600000 * Math.ceil(raw / 3600000);
}

function formatSpan(ms) {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60000) return `${Math.round(ms / 100) / 10}s`;
  const minutes = Math.floor(ms / 60000);
  return `${minutes}m${pad(Math.round((ms % 60000) / 1000))}s`;
}

function summaryItem(label, value) {
  return value === undefined || value === ''
    ? ''
    : h('div', {}, h('dt', {}, label), h('dd', {}, String(value)));
}

function showSession(call) {
  const legs = call.legs ?? [];
  const ofSession = state.order
    .map((id) => state.webhooks.get(id))
    .filter((summary) => summary.sessionIds.includes(call.sessionId));
  $('detail').replaceChildren(
    h(
      'p',
      { class: 'meta' },
      h('a', { href: state.selected ? `#/webhooks/${state.selected}` : '#' }, '← back to the webhook'),
    ),
    h(
      'h2',
      { id: 'detail-heading' },
      vendorTag(call.vendor),
      ' Call session ',
      h('span', { class: 'conn', title: call.sessionId }, shortId(call.sessionId)),
    ),
    h(
      'dl',
      { class: 'summary-grid' },
      summaryItem('Status', call.status),
      summaryItem('Disposition', call.disposition),
      summaryItem('Direction', call.direction),
      summaryItem('From', call.from ? partyText(call.from) : undefined),
      summaryItem('To', call.to ? partyText(call.to) : undefined),
      summaryItem('Started', clock(call.startedAt)),
      summaryItem('Duration', call.durationSec === undefined ? undefined : `${call.durationSec} s`),
      summaryItem('Legs', legs.length),
      summaryItem('Events', call.eventCount),
    ),
    h('h3', { id: 'timeline-heading' }, 'Legs on a timeline'),
    h(
      'ul',
      { class: 'legend', 'aria-label': 'legend' },
      SEGMENTS.map((seg) => h('li', { 'data-swatch': seg.key }, seg.label)),
      h('li', { 'data-swatch': 'event' }, 'an event'),
    ),
    timeline(call),
    h(
      'table',
      { class: 'legs', 'aria-labelledby': 'timeline-heading' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Leg', 'State', 'Disposition', 'From → to', 'Answered', 'Ended', 'Duration'].map((t) =>
            h('th', { scope: 'col' }, t),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        legs.map((leg) =>
          h(
            'tr',
            { 'data-leg': leg.legId },
            h('td', { class: 'mono', title: leg.legId }, shortId(leg.vendorLegId ?? leg.legId)),
            h('td', {}, leg.state),
            h('td', {}, leg.disposition ?? ''),
            h('td', {}, `${partyText(leg.from)} → ${partyText(leg.to)}`),
            h('td', { class: 'mono' }, leg.answeredAt ? clock(leg.answeredAt) : '—'),
            h('td', { class: 'mono' }, leg.endedAt ? clock(leg.endedAt) : '—'),
            h('td', {}, leg.durationSec === undefined ? '' : `${leg.durationSec} s`),
          ),
        ),
      ),
    ),
    h('h3', {}, `Webhooks of this session kept here (${ofSession.length})`),
    h(
      'ul',
      { class: 'chips', 'aria-label': 'webhooks of this session' },
      ofSession.map((summary) =>
        h(
          'li',
          {},
          h(
            'a',
            { class: 'chip', href: `#/webhooks/${summary.id}` },
            `${clock(summary.receivedAt)} ${summary.route} ${summary.status}`,
          ),
        ),
      ),
    ),
  );
}

// --- routing -------------------------------------------------------------------------------------------

function currentRoute() {
  const [, kind, id] = /^#\/(webhooks|sessions)\/(.+)$/.exec(location.hash) ?? [];
  return [kind, id ? decodeURIComponent(id) : undefined];
}

function placeholder(title, text) {
  $('detail').replaceChildren(h('h2', { id: 'detail-heading' }, title), h('p', { class: 'hint' }, text));
}

async function route(options = {}) {
  const [kind, id] = currentRoute();
  if (kind === 'webhooks') {
    state.selected = id;
    for (const tr of document.querySelectorAll('#webhooks tr')) {
      if (tr.dataset.id === id) tr.setAttribute('aria-current', 'true');
      else tr.removeAttribute('aria-current');
    }
    const { status, body } = await getJson(`/__inspector/api/webhooks/${encodeURIComponent(id)}`);
    if (status === 401) return showSignIn();
    if (status !== 200) return placeholder('Webhook not kept', body?.error?.message ?? `Error ${status}.`);
    showWebhook(body);
  } else if (kind === 'sessions') {
    const { status, body } = await getJson(`/v1/calls/${encodeURIComponent(id)}`);
    if (status === 401) return showSignIn();
    if (status === 404)
      return placeholder(
        'Session not folded yet',
        'Its events are on their way to the calls table; this view updates as they arrive.',
      );
    if (status !== 200) return placeholder('Session unavailable', body?.error?.message ?? `Error ${status}.`);
    showSession(body);
  } else {
    return;
  }
  if (!options.keepFocus) $('detail').focus({ preventScroll: true });
}

async function start() {
  $('signin').hidden = true;
  const { status } = await getJson('/__inspector/api/webhooks').catch(() => ({ status: 0 }));
  if (status === 401) return showSignIn();
  $('main').hidden = false;
  connect();
}

window.addEventListener('hashchange', () => route());
document.addEventListener('DOMContentLoaded', () => {
  $('signin-form').addEventListener('submit', signIn);
  start();
});
