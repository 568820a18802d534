/**
 * How `npm start` prints what happens: one short line per webhook and per warning or error (`text`, the
 * default), or every line as the JSON object it is (`json`, for tools). The handlers log Powertools JSON, as
 * on Lambda; in text these become one line each too.
 */
import * as z from 'zod';

export const logFormats = ['text', 'json'] as const;
export type LogFormat = (typeof logFormats)[number];

export class LogFormatError extends Error {}

/** `--log-format` wins over `CALLHOOKS_LOG_FORMAT`; text when neither is given. */
export function logFormatOf(flag: string | undefined, env: string | undefined): LogFormat {
  const asked = (flag ?? env)?.trim().toLowerCase() || 'text';
  const format = logFormats.find((f) => f === asked);
  if (!format) {
    throw new LogFormatError(
      `${flag === undefined ? 'CALLHOOKS_LOG_FORMAT' : '--log-format'} must be text or json, not ${asked}`,
    );
  }
  return format;
}

/** A webhook as the local runtime answered it (see `webhookLog` in local/runtime.ts). */
const WebhookLine = z.object({
  message: z.literal('webhook'),
  time: z.string(),
  vendor: z.string(),
  route: z.string(),
  status: z.number(),
  ms: z.number(),
  connectionId: z.string().optional(),
  sessionId: z.string().optional(),
});

/** Anything else the runtime, its queues, its bus or a handler (Powertools) logs. */
const OtherLine = z.looseObject({
  level: z.string().optional(),
  message: z.string().optional(),
  time: z.string().optional(),
  timestamp: z.string().optional(),
  service: z.string().optional(),
  component: z.string().optional(),
});

const LEVELS: readonly string[] = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL'];
const SHOWN_AS: Record<string, string> = { CRITICAL: 'ERROR', WARNING: 'WARN' };

/** The level of a line, upper-cased whatever case its author used. */
export function levelOf(line: Record<string, unknown>): string {
  const level = String(line.level ?? 'INFO').toUpperCase();
  return SHOWN_AS[level] ?? level;
}

/** Lines at or above `minimum` are printed; warnings and errors always are. */
export function shown(line: Record<string, unknown>, minimum: string): boolean {
  const rank = (level: string) => {
    const index = LEVELS.indexOf(level);
    return index < 0 ? 1 : index;
  };
  return rank(levelOf(line)) >= Math.min(rank(minimum.toUpperCase()), rank('WARN'));
}

/**
 * The runtime's own lines (server, bus, queues, sweeper): each webhook at INFO, warnings and errors always,
 * and their other INFO lines (a duplicate send ignored, a queue restored) only at DEBUG.
 */
export function shownFromRuntime(line: Record<string, unknown>, minimum: string): boolean {
  if (line.message === 'webhook') return shown(line, minimum);
  return shown(line, minimum.toUpperCase() === 'DEBUG' ? 'DEBUG' : 'WARN');
}

const clock = (iso: string | undefined) => {
  const date = iso ? new Date(iso) : new Date();
  return (Number.isNaN(date.getTime()) ? new Date() : date).toISOString().slice(11, 23);
};

const scalar = (value: unknown) => {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
};

/** One line, no colour: `12:00:01.234  8x8  POST /v1/hooks/8x8/{connectionId}  200  12 ms  con_… ses_…`. */
export function textLine(line: Record<string, unknown>): string {
  const webhook = WebhookLine.safeParse(line);
  if (webhook.success) {
    const w = webhook.data;
    return [
      clock(w.time),
      w.vendor.padEnd(11),
      w.route.padEnd(46),
      String(w.status).padStart(3),
      `${String(Math.round(w.ms)).padStart(5)} ms`,
      w.connectionId ?? '-',
      w.sessionId ?? '-',
    ].join('  ');
  }
  const other = OtherLine.parse(line);
  const { level: _level, message, time, timestamp, service, component, ...rest } = other;
  // Powertools' own attributes that say nothing a person reading locally needs.
  for (const noise of ['sampling_rate', 'xray_trace_id', 'function_request_id', 'cold_start'])
    delete rest[noise];
  for (const noise of ['function_arn', 'function_memory_size', 'function_name']) delete rest[noise];
  const details = Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${scalar(value)}`)
    .join(' ');
  return [clock(time ?? timestamp), levelOf(line).padEnd(5), service ?? component ?? 'runtime', message ?? '']
    .concat(details ? [details] : [])
    .join('  ');
}

/** A Powertools log line as a handler wrote it (one JSON object per line), or undefined. */
export function handlerLogOf(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{"')) return undefined;
  try {
    const parsed = OtherLine.safeParse(JSON.parse(text));
    return parsed.success && parsed.data.level && parsed.data.service ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
