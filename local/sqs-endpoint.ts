/**
 * SQS's AWS JSON 1.0 protocol over the local durable queues, for an HTTP server that the real SQSClient is
 * pointed at: SendMessage(Batch), ReceiveMessage (with long polling), DeleteMessage(Batch),
 * ChangeMessageVisibility, GetQueueUrl and GetQueueAttributes, with SQS's validation, its MD5 digests (which
 * the SDK checks) and its error shapes, including the query-compatible code the SDK reads from
 * `x-amzn-query-error`.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import {
  type DurableQueue,
  LOCAL_ACCOUNT,
  MAX_MESSAGE_BYTES,
  MAX_VISIBILITY_TIMEOUT_MS,
  type MessageAttributes,
  md5Hex,
  md5OfMessageAttributes,
  messageSize,
  QueueError,
  type ReceivedMessage,
} from './durable-queue';

export interface SqsHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Finds a queue by its name (the last segment of a queue URL). */
export type QueueLookup = (name: string) => DurableQueue | undefined;

export interface SqsEndpointOptions {
  /** The base of queue URLs (`<endpoint>/000000000000/<name>`); default: http:// and the request's Host. */
  readonly endpoint?: string | undefined;
}

const CONTENT_TYPE = 'application/x-amz-json-1.0';
const MAX_BATCH_ENTRIES = 10;
const MAX_WAIT_SECONDS = 20;
/** How often a long poll looks again for messages that became visible without a send (timeouts, delays). */
const LONG_POLL_TICK_MS = 50;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * An error as SQS answers it: the model's shape (`__type`), the query-protocol code and the status. Shapes
 * the model does not have (MissingParameter, InvalidParameterValue) keep their query code as their name,
 * which is what the SDK then names the error it throws.
 */
const ERRORS = {
  QueueDoesNotExist: { query: 'AWS.SimpleQueueService.NonExistentQueue', status: 400 },
  InvalidAddress: { query: 'InvalidAddress', status: 404 },
  ReceiptHandleIsInvalid: { query: 'ReceiptHandleIsInvalid', status: 404 },
  MessageNotInflight: { query: 'AWS.SimpleQueueService.MessageNotInflight', status: 400 },
  EmptyBatchRequest: { query: 'AWS.SimpleQueueService.EmptyBatchRequest', status: 400 },
  TooManyEntriesInBatchRequest: { query: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', status: 400 },
  BatchEntryIdsNotDistinct: { query: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', status: 400 },
  InvalidBatchEntryId: { query: 'AWS.SimpleQueueService.InvalidBatchEntryId', status: 400 },
  BatchRequestTooLong: { query: 'AWS.SimpleQueueService.BatchRequestTooLong', status: 400 },
  InvalidAttributeName: { query: 'InvalidAttributeName', status: 400 },
  InvalidMessageContents: { query: 'InvalidMessageContents', status: 400 },
  UnsupportedOperation: { query: 'AWS.SimpleQueueService.UnsupportedOperation', status: 400 },
  MissingParameter: { query: 'MissingParameter', status: 400 },
  InvalidParameterValue: { query: 'InvalidParameterValue', status: 400 },
} as const satisfies Record<string, { query: string; status: number }>;
type ErrorShape = keyof typeof ERRORS;

/** A request refused as a whole. */
class SqsFault extends Error {
  readonly shape: ErrorShape;
  constructor(shape: ErrorShape, message: string) {
    super(message);
    this.shape = shape;
  }
}

const missing = (parameter: string) =>
  new SqsFault('MissingParameter', `The request must contain the parameter ${parameter}.`);

const outOfRange = (parameter: string, value: number, reason: string) =>
  new SqsFault(
    'InvalidParameterValue',
    `Value ${value} for parameter ${parameter} is invalid. Reason: ${reason}`,
  );

// --- the operations' requests as the SDK serialises them; members this endpoint does not use are ignored ---

const WireAttribute = z.object({
  DataType: z.string().optional(),
  StringValue: z.string().optional(),
  BinaryValue: z.string().optional(),
});
const WireAttributes = z.record(z.string(), WireAttribute).optional();

const SendFields = {
  MessageBody: z.string().optional(),
  DelaySeconds: z.number().int().optional(),
  MessageAttributes: WireAttributes,
  MessageDeduplicationId: z.string().optional(),
  MessageGroupId: z.string().optional(),
};

const Requests = {
  SendMessage: z.object({ QueueUrl: z.string().optional(), ...SendFields }),
  SendMessageBatch: z.object({
    QueueUrl: z.string().optional(),
    Entries: z.array(z.object({ Id: z.string().optional(), ...SendFields })).optional(),
  }),
  ReceiveMessage: z.object({
    QueueUrl: z.string().optional(),
    AttributeNames: z.array(z.string()).optional(),
    MessageSystemAttributeNames: z.array(z.string()).optional(),
    MessageAttributeNames: z.array(z.string()).optional(),
    MaxNumberOfMessages: z.number().int().optional(),
    VisibilityTimeout: z.number().int().optional(),
    WaitTimeSeconds: z.number().int().optional(),
  }),
  DeleteMessage: z.object({ QueueUrl: z.string().optional(), ReceiptHandle: z.string().optional() }),
  DeleteMessageBatch: z.object({
    QueueUrl: z.string().optional(),
    Entries: z
      .array(z.object({ Id: z.string().optional(), ReceiptHandle: z.string().optional() }))
      .optional(),
  }),
  ChangeMessageVisibility: z.object({
    QueueUrl: z.string().optional(),
    ReceiptHandle: z.string().optional(),
    VisibilityTimeout: z.number().int().optional(),
  }),
  GetQueueUrl: z.object({ QueueName: z.string().optional(), QueueOwnerAWSAccountId: z.string().optional() }),
  GetQueueAttributes: z.object({
    QueueUrl: z.string().optional(),
    AttributeNames: z.array(z.string()).optional(),
  }),
};
type Operation = keyof typeof Requests;
const isOperation = (name: string): name is Operation => Object.hasOwn(Requests, name);

type SendEntry = z.infer<typeof Requests.SendMessage>;

interface Context {
  readonly queues: QueueLookup;
  readonly endpoint: string;
}

/**
 * Answers one SQS request. Header names are matched case-insensitively. Only ReceiveMessage with
 * WaitTimeSeconds waits; everything else settles at once.
 */
export async function handleSqsHttp(
  queues: QueueLookup,
  body: string,
  headers: Record<string, string | undefined>,
  options: SqsEndpointOptions = {},
): Promise<SqsHttpResponse> {
  const header = (name: string) => Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  const target = header('x-amz-target') ?? '';
  const operation = /^AmazonSQS\.(\w+)$/.exec(target)?.[1];
  if (operation === undefined) {
    return fault(
      new SqsFault(
        'UnsupportedOperation',
        `This endpoint speaks SQS's AWS JSON 1.0 protocol only (X-Amz-Target: AmazonSQS.<Operation>), not ${target || 'a request without X-Amz-Target'}.`,
      ),
    );
  }
  if (!isOperation(operation)) {
    return fault(
      new SqsFault('UnsupportedOperation', `The local SQS endpoint does not support ${operation}.`),
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(body.length === 0 ? '{}' : body);
  } catch {
    return serializationError('Request body is not valid JSON.');
  }
  const context: Context = {
    queues,
    endpoint: (options.endpoint ?? `http://${header('host') ?? 'localhost'}`).replace(/\/$/, ''),
  };
  try {
    return ok(await dispatch(operation, json, context));
  } catch (error) {
    if (error instanceof SqsFault) return fault(error);
    if (error instanceof QueueError) return fault(new SqsFault(error.code, error.message));
    if (error instanceof z.ZodError) return serializationError(z.prettifyError(error));
    return jsonResponse(500, { __type: 'com.amazonaws.sqs#InternalError', message: String(error) });
  }
}

async function dispatch(operation: Operation, json: unknown, context: Context): Promise<unknown> {
  switch (operation) {
    case 'SendMessage':
      return sendMessage(Requests.SendMessage.parse(json), context);
    case 'SendMessageBatch':
      return sendMessageBatch(Requests.SendMessageBatch.parse(json), context);
    case 'ReceiveMessage':
      return receiveMessage(Requests.ReceiveMessage.parse(json), context);
    case 'DeleteMessage': {
      const request = Requests.DeleteMessage.parse(json);
      const queue = queueOf(request.QueueUrl, context);
      if (request.ReceiptHandle === undefined) throw missing('ReceiptHandle');
      // A handle for a message that is gone, or was received again since, deletes nothing and is no error.
      queue.delete(request.ReceiptHandle);
      return {};
    }
    case 'DeleteMessageBatch':
      return deleteMessageBatch(Requests.DeleteMessageBatch.parse(json), context);
    case 'ChangeMessageVisibility': {
      const request = Requests.ChangeMessageVisibility.parse(json);
      const queue = queueOf(request.QueueUrl, context);
      if (request.ReceiptHandle === undefined) throw missing('ReceiptHandle');
      const seconds = visibilitySeconds(request.VisibilityTimeout);
      if (seconds === undefined) throw missing('VisibilityTimeout');
      if (!queue.changeVisibility(request.ReceiptHandle, seconds * 1000)) {
        throw new SqsFault(
          'MessageNotInflight',
          `Value ${request.ReceiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
        );
      }
      return {};
    }
    case 'GetQueueUrl': {
      const request = Requests.GetQueueUrl.parse(json);
      if (request.QueueName === undefined) throw missing('QueueName');
      if (context.queues(request.QueueName) === undefined) throw queueDoesNotExist();
      return { QueueUrl: `${context.endpoint}/${LOCAL_ACCOUNT}/${request.QueueName}` };
    }
    case 'GetQueueAttributes':
      return getQueueAttributes(Requests.GetQueueAttributes.parse(json), context);
  }
}

function queueDoesNotExist(): SqsFault {
  return new SqsFault('QueueDoesNotExist', 'The specified queue does not exist.');
}

/** The queue a QueueUrl names: by its last path segment, as the local runtime has one account. */
function queueOf(queueUrl: string | undefined, context: Context): DurableQueue {
  if (queueUrl === undefined) throw missing('QueueUrl');
  let name: string | undefined;
  try {
    name = new URL(queueUrl).pathname.split('/').filter(Boolean).pop();
  } catch {
    throw new SqsFault('InvalidAddress', `The address ${queueUrl} is not valid for this endpoint.`);
  }
  const queue = name === undefined ? undefined : context.queues(decodeURIComponent(name));
  if (queue === undefined) throw queueDoesNotExist();
  return queue;
}

function attributesOf(wire: SendEntry['MessageAttributes']): MessageAttributes {
  const attributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }> = {};
  for (const [name, value] of Object.entries(wire ?? {})) {
    if (value.DataType === undefined) {
      throw new SqsFault(
        'InvalidParameterValue',
        `The message attribute '${name}' must contain a non-empty message attribute type.`,
      );
    }
    attributes[name] = {
      DataType: value.DataType,
      ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { BinaryValue: value.BinaryValue } : {}),
    };
  }
  return attributes;
}

/** Sends one message; SQS's checks that need the queue are the queue's own (QueueError). */
function send(queue: DurableQueue, entry: Omit<SendEntry, 'QueueUrl'>) {
  if (entry.MessageBody === undefined) throw missing('MessageBody');
  const delaySeconds = entry.DelaySeconds ?? 0;
  if (delaySeconds < 0 || delaySeconds > 900) {
    throw outOfRange('DelaySeconds', delaySeconds, 'Must be >= 0 and <= 900.');
  }
  const attributes = attributesOf(entry.MessageAttributes);
  const result = queue.send(entry.MessageBody, {
    groupId: entry.MessageGroupId,
    deduplicationId: entry.MessageDeduplicationId,
    delayMs: delaySeconds * 1000,
    messageAttributes: attributes,
  });
  const md5OfAttributes = md5OfMessageAttributes(attributes);
  return {
    MessageId: result.messageId,
    // Of this request's body, which the SDK compares with what it sent (a duplicate's body may differ).
    MD5OfMessageBody: md5Hex(entry.MessageBody),
    ...(md5OfAttributes !== undefined ? { MD5OfMessageAttributes: md5OfAttributes } : {}),
    ...(result.sequenceNumber !== undefined ? { SequenceNumber: result.sequenceNumber } : {}),
  };
}

function sendMessage(request: SendEntry, context: Context) {
  return send(queueOf(request.QueueUrl, context), request);
}

/** SQS's checks of a batch as a whole, before any entry is looked at. */
function checkBatch<Entry extends { Id?: string | undefined }>(
  entries: Entry[] | undefined,
): asserts entries is (Entry & { Id: string })[] {
  if (entries === undefined || entries.length === 0) {
    throw new SqsFault(
      'EmptyBatchRequest',
      'There should be at least one SendMessageBatchRequestEntry in the request.',
    );
  }
  if (entries.length > MAX_BATCH_ENTRIES) {
    throw new SqsFault(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`,
    );
  }
  const seen = new Set<string>();
  for (const { Id } of entries) {
    if (Id === undefined || !BATCH_ENTRY_ID.test(Id)) {
      throw new SqsFault(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    }
    if (seen.has(Id)) throw new SqsFault('BatchEntryIdsNotDistinct', `Id ${Id} repeated.`);
    seen.add(Id);
  }
}

function failedEntry(id: string, error: unknown) {
  if (error instanceof QueueError)
    return { Id: id, SenderFault: true, Code: error.code, Message: error.message };
  if (error instanceof SqsFault)
    return { Id: id, SenderFault: true, Code: ERRORS[error.shape].query, Message: error.message };
  return { Id: id, SenderFault: false, Code: 'InternalError', Message: String(error) };
}

function sendMessageBatch(request: z.infer<typeof Requests.SendMessageBatch>, context: Context) {
  const queue = queueOf(request.QueueUrl, context);
  const entries = request.Entries;
  checkBatch(entries);
  const total = entries.reduce(
    (sum, entry) => sum + messageSize(entry.MessageBody ?? '', attributesOrEmpty(entry.MessageAttributes)),
    0,
  );
  if (total > MAX_MESSAGE_BYTES) {
    throw new SqsFault(
      'BatchRequestTooLong',
      `Batch requests cannot be longer than ${MAX_MESSAGE_BYTES} bytes. You have sent ${total} bytes.`,
    );
  }
  const Successful: unknown[] = [];
  const Failed: unknown[] = [];
  // In request order: for a FIFO queue that is the order the messages of a group are enqueued in.
  for (const entry of entries) {
    try {
      Successful.push({ Id: entry.Id, ...send(queue, entry) });
    } catch (error) {
      Failed.push(failedEntry(entry.Id, error));
    }
  }
  return { Successful, Failed };
}

/** For sizing only: an attribute without a type is refused later, per entry. */
function attributesOrEmpty(wire: SendEntry['MessageAttributes']): MessageAttributes {
  const attributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }> = {};
  for (const [name, value] of Object.entries(wire ?? {})) {
    attributes[name] = {
      DataType: value.DataType ?? '',
      ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { BinaryValue: value.BinaryValue } : {}),
    };
  }
  return attributes;
}

function deleteMessageBatch(request: z.infer<typeof Requests.DeleteMessageBatch>, context: Context) {
  const queue = queueOf(request.QueueUrl, context);
  const entries = request.Entries;
  checkBatch(entries);
  const Successful: unknown[] = [];
  const Failed: unknown[] = [];
  for (const entry of entries) {
    try {
      if (entry.ReceiptHandle === undefined) throw missing('ReceiptHandle');
      queue.delete(entry.ReceiptHandle);
      Successful.push({ Id: entry.Id });
    } catch (error) {
      Failed.push(failedEntry(entry.Id, error));
    }
  }
  return { Successful, Failed };
}

function visibilitySeconds(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const max = MAX_VISIBILITY_TIMEOUT_MS / 1000;
  if (value < 0 || value > max) throw outOfRange('VisibilityTimeout', value, `Must be >= 0 and <= ${max}.`);
  return value;
}

const SYSTEM_ATTRIBUTES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'DeadLetterQueueSourceArn',
] as const;

async function receiveMessage(request: z.infer<typeof Requests.ReceiveMessage>, context: Context) {
  const queue = queueOf(request.QueueUrl, context);
  const max = request.MaxNumberOfMessages ?? 1;
  if (max < 1 || max > MAX_BATCH_ENTRIES) {
    throw outOfRange('MaxNumberOfMessages', max, `Must be between 1 and ${MAX_BATCH_ENTRIES}, if provided.`);
  }
  const wait = request.WaitTimeSeconds ?? 0;
  if (wait < 0 || wait > MAX_WAIT_SECONDS) {
    throw outOfRange('WaitTimeSeconds', wait, `Must be >= 0 and <= ${MAX_WAIT_SECONDS}.`);
  }
  const seconds = visibilitySeconds(request.VisibilityTimeout);
  const receive = () => (seconds === undefined ? queue.receive(max) : queue.receive(max, seconds * 1000));
  let messages = receive();
  // Long polling: answer as soon as there is something, or when the wait is over.
  const deadline = Date.now() + wait * 1000;
  while (messages.length === 0 && Date.now() < deadline) {
    await changeOrTick(queue, Math.min(LONG_POLL_TICK_MS, deadline - Date.now()));
    messages = receive();
  }
  const system = new Set([...(request.AttributeNames ?? []), ...(request.MessageSystemAttributeNames ?? [])]);
  const wanted = (name: string) => system.has('All') || system.has(name);
  return {
    Messages: messages.map((message) =>
      wireMessage(queue, message, wanted, request.MessageAttributeNames ?? []),
    ),
  };
}

function changeOrTick(queue: DurableQueue, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    timer.unref();
    const unsubscribe = queue.subscribe(done);
  });
}

function wireMessage(
  queue: DurableQueue,
  message: ReceivedMessage,
  wanted: (name: string) => boolean,
  attributeNames: readonly string[],
) {
  const values: Record<(typeof SYSTEM_ATTRIBUTES)[number], string | undefined> = {
    SenderId: LOCAL_ACCOUNT,
    SentTimestamp: String(message.sentAt),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
    SequenceNumber: queue.fifo ? message.sequenceNumber : undefined,
    MessageDeduplicationId: queue.fifo ? message.deduplicationId : undefined,
    MessageGroupId: message.groupId,
    DeadLetterQueueSourceArn: message.deadLetterSourceArn,
  };
  const Attributes: Record<string, string> = {};
  for (const name of SYSTEM_ATTRIBUTES) {
    const value = values[name];
    if (value !== undefined && wanted(name)) Attributes[name] = value;
  }
  // SQS returns only the message attributes asked for: by name, `prefix.*`, or All / `.*`.
  const selected: Record<string, (typeof message.messageAttributes)[string]> = {};
  for (const [name, value] of Object.entries(message.messageAttributes)) {
    const asked = attributeNames.some(
      (pattern) =>
        pattern === 'All' ||
        pattern === '.*' ||
        pattern === name ||
        (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))),
    );
    if (asked) selected[name] = value;
  }
  const md5OfAttributes = md5OfMessageAttributes(selected);
  return {
    MessageId: message.messageId,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(Object.keys(Attributes).length > 0 ? { Attributes } : {}),
    ...(md5OfAttributes !== undefined
      ? { MD5OfMessageAttributes: md5OfAttributes, MessageAttributes: selected }
      : {}),
  };
}

/** The attribute names GetQueueAttributes knows; those this local queue has no value for are left out. */
const QUEUE_ATTRIBUTES = new Set([
  'All',
  'Policy',
  'VisibilityTimeout',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
  'ApproximateNumberOfMessagesDelayed',
  'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds',
  'RedrivePolicy',
  'FifoQueue',
  'ContentBasedDeduplication',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'DeduplicationScope',
  'FifoThroughputLimit',
  'RedriveAllowPolicy',
  'SqsManagedSseEnabled',
]);

function getQueueAttributes(request: z.infer<typeof Requests.GetQueueAttributes>, context: Context) {
  const queue = queueOf(request.QueueUrl, context);
  const names = request.AttributeNames ?? [];
  for (const name of names) {
    if (!QUEUE_ATTRIBUTES.has(name)) throw new SqsFault('InvalidAttributeName', `Unknown Attribute ${name}.`);
  }
  if (names.length === 0) return {};
  const stats = queue.stats();
  const values: Record<string, string | undefined> = {
    ApproximateNumberOfMessages: String(stats.visible),
    ApproximateNumberOfMessagesNotVisible: String(stats.inFlight),
    ApproximateNumberOfMessagesDelayed: String(stats.delayed),
    VisibilityTimeout: String(Math.round(queue.visibilityTimeoutMs / 1000)),
    MaximumMessageSize: String(MAX_MESSAGE_BYTES),
    MessageRetentionPeriod: String(Math.round(queue.retentionMs / 1000)),
    DelaySeconds: '0',
    ReceiveMessageWaitTimeSeconds: '0',
    QueueArn: queue.arn,
    SqsManagedSseEnabled: 'false',
    RedrivePolicy:
      queue.deadLetter === undefined
        ? undefined
        : JSON.stringify({
            deadLetterTargetArn: queue.deadLetter.arn,
            maxReceiveCount: queue.maxReceiveCount,
          }),
    FifoQueue: queue.fifo ? 'true' : undefined,
    ContentBasedDeduplication: queue.fifo ? 'true' : undefined,
    DeduplicationScope: queue.fifo ? 'queue' : undefined,
    FifoThroughputLimit: queue.fifo ? 'perQueue' : undefined,
  };
  const all = names.includes('All');
  const Attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && (all || names.includes(name))) Attributes[name] = value;
  }
  return { Attributes };
}

function jsonResponse(
  status: number,
  body: unknown,
  extraHeaders: Record<string, string> = {},
): SqsHttpResponse {
  return {
    status,
    headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': randomUUID(), ...extraHeaders },
    body: JSON.stringify(body),
  };
}

function ok(body: unknown): SqsHttpResponse {
  return jsonResponse(200, body);
}

function fault(error: SqsFault): SqsHttpResponse {
  const { query, status } = ERRORS[error.shape];
  return jsonResponse(
    status,
    { __type: `com.amazonaws.sqs#${error.shape}`, message: error.message },
    { 'x-amzn-query-error': `${query};Sender` },
  );
}

function serializationError(message: string): SqsHttpResponse {
  return jsonResponse(400, { __type: 'com.amazon.coral.service#SerializationException', message });
}
