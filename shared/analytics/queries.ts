/**
 * The named queries analysts start from, each written once against the views (shared/analytics/views.ts) in
 * SQL that Athena (Trino) and DuckDB both accept: the CDK stack saves them as Athena named queries and
 * `npm run analytics` runs them in DuckDB, from this one text.
 *
 * Portable on purpose: ratios cast to DOUBLE before dividing (Trino divides integers as integers), times
 * subtract with date_diff, conditional counts are count(CASE … END) (DuckDB's count_if gives NULL, not 0,
 * when every condition is NULL), no WITH (Athena's copy puts the views there), and every ORDER BY is total,
 * so both engines print the same rows in the same order.
 */

export interface NamedQuery {
  readonly name: string;
  /** What it counts, for `--list` and the Athena console. */
  readonly description: string;
  readonly sql: string;
}

export const namedQueries: readonly NamedQuery[] = [
  {
    name: 'calls_per_day',
    description: 'Calls per vendor, tenant and UTC day (by start), with how many were answered',
    sql: `SELECT
  CAST(started_at AS DATE) AS call_date,
  vendor,
  tenant_id,
  count(*) AS calls,
  count(CASE WHEN answered_at IS NOT NULL THEN 1 END) AS answered
FROM sessions
GROUP BY CAST(started_at AS DATE), vendor, tenant_id
ORDER BY call_date, vendor, tenant_id`,
  },
  {
    name: 'answer_rate',
    description: 'Share of ended calls that were answered (any leg answered), per vendor and direction',
    sql: `SELECT
  vendor,
  coalesce(direction, 'unknown') AS direction,
  count(*) AS ended_calls,
  count(CASE WHEN answered_at IS NOT NULL THEN 1 END) AS answered,
  round(CAST(count(CASE WHEN answered_at IS NOT NULL THEN 1 END) AS DOUBLE) / count(*), 3) AS answer_rate
FROM sessions
WHERE status = 'ended'
GROUP BY vendor, coalesce(direction, 'unknown')
ORDER BY vendor, direction`,
  },
  {
    name: 'ring_and_talk_time',
    description:
      'Average ring time (ringing, or its creation where the vendor reports no ringing, to answer) and talk time (the answered leg duration) of answered legs, per vendor',
    sql: `SELECT
  s.vendor,
  count(*) AS answered_legs,
  round(avg(date_diff('millisecond', coalesce(l.ringing_at, l.created_at), l.answered_at)) / 1000.0, 1) AS avg_ring_sec,
  round(avg(l.duration_sec), 1) AS avg_talk_sec
FROM legs l
JOIN sessions s ON s.session_id = l.session_id
WHERE l.answered_at IS NOT NULL
GROUP BY s.vendor
ORDER BY s.vendor`,
  },
  {
    name: 'missed_and_abandoned',
    description:
      'Ended calls no leg answered, per vendor and direction: missed (no one answered: missed, no_answer) and abandoned (the caller gave up: canceled)',
    sql: `SELECT
  vendor,
  coalesce(direction, 'unknown') AS direction,
  count(*) AS ended_calls,
  count(CASE WHEN answered_at IS NULL THEN 1 END) AS unanswered,
  count(CASE WHEN answered_at IS NULL AND disposition IN ('missed', 'no_answer') THEN 1 END) AS missed,
  count(CASE WHEN answered_at IS NULL AND disposition = 'canceled' THEN 1 END) AS abandoned
FROM sessions
WHERE status = 'ended'
GROUP BY vendor, coalesce(direction, 'unknown')
ORDER BY vendor, direction`,
  },
  {
    name: 'dispositions',
    description: 'Calls per vendor and disposition (active calls as "active")',
    sql: `SELECT
  vendor,
  CASE WHEN status = 'active' THEN 'active' ELSE coalesce(disposition, 'unknown') END AS disposition,
  count(*) AS calls
FROM sessions
GROUP BY vendor, CASE WHEN status = 'active' THEN 'active' ELSE coalesce(disposition, 'unknown') END
ORDER BY vendor, disposition`,
  },
  {
    name: 'action_fallback_rate',
    description:
      'Call-action answers (action.responded) per vendor and the share that were the safe fallback instead of the call flow the connection sets',
    sql: `SELECT
  vendor,
  count(*) AS answers,
  count(CASE WHEN action_source = 'fallback' THEN 1 END) AS fallbacks,
  round(CAST(count(CASE WHEN action_source = 'fallback' THEN 1 END) AS DOUBLE) / count(*), 3) AS fallback_rate
FROM events
WHERE type = 'action.responded'
GROUP BY vendor
ORDER BY vendor`,
  },
  {
    name: 'busiest_numbers',
    description:
      'The ten numbers in most calls, as caller or called party (E.164 where known, else as the vendor wrote it; keyed hashes where the deployment hashes numbers)',
    sql: `SELECT
  tenant_id,
  number,
  count(*) AS calls,
  count(CASE WHEN side = 'from' THEN 1 END) AS as_caller,
  count(CASE WHEN side = 'to' THEN 1 END) AS as_called
FROM (
  SELECT tenant_id, coalesce(from_e164, from_raw) AS number, 'from' AS side FROM sessions
  UNION ALL
  SELECT tenant_id, coalesce(to_e164, to_raw) AS number, 'to' AS side FROM sessions
) parties
WHERE number IS NOT NULL
GROUP BY tenant_id, number
ORDER BY calls DESC, tenant_id, number
LIMIT 10`,
  },
  {
    name: 'closed_by_sweeper',
    description:
      'Ended calls per vendor, and how many the callhooks sweeper closed because the vendor went silent (disposition inferred)',
    sql: `SELECT
  vendor,
  count(*) AS ended_calls,
  count(CASE WHEN closed_by = 'sweeper' THEN 1 END) AS closed_by_sweeper,
  round(CAST(count(CASE WHEN closed_by = 'sweeper' THEN 1 END) AS DOUBLE) / count(*), 3) AS sweeper_share
FROM sessions
WHERE status = 'ended'
GROUP BY vendor
ORDER BY vendor`,
  },
];

export function namedQuery(name: string): NamedQuery | undefined {
  return namedQueries.find((query) => query.name === name);
}
