/** The names of callhooks' metrics: one definition, read by the functions (shared/metrics.ts) and the stack's alarms. */
export const METRICS_NAMESPACE = 'callhooks';

export const metricNames = [
  /** A webhook answered 2xx: its events are on the bus or in the outbox. */
  'WebhooksAccepted',
  /** A webhook refused with a 4xx (dimension `reason`: unauthenticated, invalid_webhook, …). */
  'WebhooksRejected',
  /** A webhook answered 503 because neither the bus nor the outbox took its events: the vendor retries. */
  'WebhooksRetryLater',
  'EventsPublished',
  /** Events (and raw requests) the bus or the requests table did not take in time, held by the outbox. */
  'EventsToOutbox',
  /** A live call answered with the connection's fallback because deciding or recording could not finish. */
  'LiveFallbackAnswers',
  /** A live call was answered but neither the bus nor the outbox took its events. */
  'EventsUnrecorded',
  'RawRequestsKept',
  /** The outbox delivered what it held. */
  'OutboxDelivered',
  'OutboxFailures',
  'EventsFolded',
  'EventsDuplicate',
  'SessionsRefolded',
  /** Events of an erased session (a replay, a redrive, a renormalisation) the fold dropped. */
  'EventsOfErasedSessions',
  'FoldErrors',
  'SessionsSwept',
  'EventsRenormalised',
  /** A webhook verified, by which secret matched (dimension `matched`: current, or previous during a rotation's grace). */
  'SecretMatched',
] as const;
export type MetricName = (typeof metricNames)[number];

/** Durations in milliseconds: how long a webhook took to be accepted, and a live call's answer. */
export const timingNames = ['LiveAnswerMs', 'AcceptMs'] as const;
export type TimingName = (typeof timingNames)[number];
