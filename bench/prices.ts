/**
 * Public AWS prices for US East (N. Virginia), on-demand, first tier, in dollars: every price the bench's
 * cost model (bench/cost.ts) uses, with the page it comes from. Check them against the pages before
 * quoting a bill; other regions cost more.
 *
 * As of 2 December 2026. They were read from copies of the AWS pricing pages below and from reports of
 * them dated March–June 2026 (this machine cannot reach the live pages), and agree with the DynamoDB
 * figures in docs/capacity.md.
 */
export const PRICES_AS_OF = '2026-12-02';

export const prices = {
  /** HTTP API, per request (first 300 million a month; metered in 512 KB increments). */
  apiGatewayHttpRequest: {
    usd: 1.0 / 1e6,
    source: 'https://aws.amazon.com/api-gateway/pricing/',
  },
  /** Lambda, per request, either architecture. */
  lambdaRequest: { usd: 0.2 / 1e6, source: 'https://aws.amazon.com/lambda/pricing/' },
  /** Lambda on arm64 (Graviton), per GB-second (first 7.5 billion GB-s a month), billed per 1 ms. */
  lambdaArmGbSecond: { usd: 0.0000133334, source: 'https://aws.amazon.com/lambda/pricing/' },
  /** EventBridge custom events put on a bus, per event (each 64 KB chunk of an entry is one event). */
  eventBridgePutEvent: { usd: 1.0 / 1e6, source: 'https://aws.amazon.com/eventbridge/pricing/' },
  /** DynamoDB on-demand, Standard table class, per write request unit. */
  dynamoWriteUnit: { usd: 0.625 / 1e6, source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/' },
  /** DynamoDB on-demand, Standard table class, per read request unit. */
  dynamoReadUnit: { usd: 0.125 / 1e6, source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/' },
  /** CloudWatch Logs, Standard log class, per GB ingested. */
  logsIngestionGb: { usd: 0.5, source: 'https://aws.amazon.com/cloudwatch/pricing/' },
  /** SQS standard queue, per request (each 64 KB chunk of a payload is one request). */
  sqsStandardRequest: { usd: 0.4 / 1e6, source: 'https://aws.amazon.com/sqs/pricing/' },
  /** SQS FIFO queue, per request. */
  sqsFifoRequest: { usd: 0.5 / 1e6, source: 'https://aws.amazon.com/sqs/pricing/' },
} as const;

export type PriceName = keyof typeof prices;
