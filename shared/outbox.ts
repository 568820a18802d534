/**
 * The outbox: an SQS queue that holds what a webhook could not record in time (events the bus did not take,
 * a raw request the requests table did not take), so a 2xx never depends on the bus and the table both
 * answering at once. A small function (functions/outbox) drains it into the bus and the table; its
 * dead-letter queue is alarmed and can be redriven.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { CallEvent } from './events';
import { RawRequest } from './raw-requests';

export const OutboxMessage = z.object({
  events: z.array(CallEvent),
  raw: RawRequest.optional(),
});
export type OutboxMessage = z.infer<typeof OutboxMessage>;

/** SQS takes messages up to 1 MiB; a message is split well before that. */
const MAX_MESSAGE_BYTES = 900 * 1024;

/** The message(s) that hold `message`: one, unless it is too large for one. */
export function outboxMessages(message: OutboxMessage): OutboxMessage[] {
  if (Buffer.byteLength(JSON.stringify(message)) <= MAX_MESSAGE_BYTES) return [message];
  const out: OutboxMessage[] = message.raw ? [{ events: [], raw: message.raw }] : [];
  let current: CallEvent[] = [];
  let bytes = 0;
  for (const event of message.events) {
    const size = Buffer.byteLength(JSON.stringify(event));
    if (current.length > 0 && bytes + size > MAX_MESSAGE_BYTES) {
      out.push({ events: current });
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length) out.push({ events: current });
  return out;
}

export class OutboxSender {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(message: OutboxMessage, signal?: AbortSignal): Promise<void> {
    await Promise.all(
      outboxMessages(message).map((part) =>
        this.client.send(
          new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(part) }),
          signal ? { abortSignal: signal } : {},
        ),
      ),
    );
  }
}
