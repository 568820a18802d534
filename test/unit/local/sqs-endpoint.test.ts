/**
 * SQS's AWS JSON 1.0 protocol over the local durable queues, exercised end to end by the real SQSClient
 * (with its MD5 checks on) against a node:http server on loopback, plus the wire details the SDK hides.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  TooManyEntriesInBatchRequest,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DurableQueue, md5OfMessageAttributes } from '../../../local/durable-queue';
import { handleSqsHttp } from '../../../local/sqs-endpoint';

let server: Server;
let endpoint: string;
let queues: Map<string, DurableQueue>;
let client: SQSClient;

function addQueue(
  name: string,
  options: { visibilityTimeoutMs?: number; maxReceiveCount?: number; dlq?: string } = {},
) {
  const deadLetter = options.dlq === undefined ? undefined : queues.get(options.dlq);
  const queue = DurableQueue.open({
    name,
    fifo: name.endsWith('.fifo'),
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? 30_000,
    ...(deadLetter ? { deadLetter, maxReceiveCount: options.maxReceiveCount ?? 3 } : {}),
  });
  queues.set(name, queue);
  return queue;
}

beforeEach(async () => {
  queues = new Map();
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [
          name,
          Array.isArray(value) ? value.join(', ') : value,
        ]),
      );
      void handleSqsHttp((name) => queues.get(name), Buffer.concat(chunks).toString('utf8'), headers).then(
        (reply) => response.writeHead(reply.status, reply.headers).end(reply.body),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server is not listening on TCP');
  endpoint = `http://127.0.0.1:${address.port}`;
  client = new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterEach(async () => {
  client.destroy();
  for (const queue of queues.values()) queue.close();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
});

const urlOf = (name: string) => `${endpoint}/000000000000/${name}`;
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

async function post(target: string | undefined, body: unknown) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', ...(target ? { 'x-amz-target': target } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, json: await response.json() };
}

describe('MD5 of message attributes', () => {
  it('matches digests published by other SQS implementations', () => {
    // Vectors from independent SQS emulators' tests (sqslite, and a Node SNS/SQS emulator).
    expect(
      md5OfMessageAttributes({
        ordinal: { DataType: 'Number', StringValue: '1' },
        category: { DataType: 'String', StringValue: 'test' },
      }),
    ).toBe('d21ae90c49061e927f57df5f5d72be1f');
    expect(md5OfMessageAttributes({ SellerName: { DataType: 'String', StringValue: 'Example Store' } })).toBe(
      'cd28f3b68aeee4b2eac9c66f2f694b58',
    );
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });
});

describe('the real SQSClient against the local endpoint', () => {
  it('resolves a queue URL, sends with attributes, receives, and deletes', async () => {
    const queue = addQueue('callhooks-work');
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: 'callhooks-work' }));
    expect(QueueUrl).toBe(urlOf('callhooks-work'));

    const MessageAttributes = {
      vendor: { DataType: 'String', StringValue: 'messagebird' },
      attempt: { DataType: 'Number', StringValue: '2' },
      raw: { DataType: 'Binary', BinaryValue: Uint8Array.of(0, 1, 2, 255) },
    };
    const sent = await client.send(
      new SendMessageCommand({ QueueUrl, MessageBody: '{"type":"leg.answered"}', MessageAttributes }),
    );
    expect(sent.MD5OfMessageBody).toBe(md5('{"type":"leg.answered"}'));
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(queue.peek().map((m) => m.messageId)).toEqual([sent.MessageId]);

    const received = await client.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const message = received.Messages?.[0];
    expect(message).toMatchObject({
      MessageId: sent.MessageId,
      Body: '{"type":"leg.answered"}',
      MD5OfBody: md5('{"type":"leg.answered"}'),
      MD5OfMessageAttributes: sent.MD5OfMessageAttributes,
      Attributes: {
        ApproximateReceiveCount: '1',
        SenderId: '000000000000',
        SentTimestamp: expect.any(String),
      },
      MessageAttributes: {
        vendor: { DataType: 'String', StringValue: 'messagebird' },
        attempt: { DataType: 'Number', StringValue: '2' },
        raw: { DataType: 'Binary', BinaryValue: Uint8Array.of(0, 1, 2, 255) },
      },
    });
    expect(message?.Attributes?.MessageGroupId).toBeUndefined();

    await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message?.ReceiptHandle }));
    expect(queue.peek()).toEqual([]);
  });

  it('returns only the attributes asked for', async () => {
    addQueue('callhooks-work');
    const QueueUrl = urlOf('callhooks-work');
    await client.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: 'x',
        MessageAttributes: {
          'trace.id': { DataType: 'String', StringValue: 't' },
          tenant: { DataType: 'String', StringValue: 'acme' },
        },
      }),
    );
    const { Messages } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MessageAttributeNames: ['trace.*'],
        MessageSystemAttributeNames: ['SentTimestamp'],
      }),
    );
    expect(Object.keys(Messages?.[0]?.MessageAttributes ?? {})).toEqual(['trace.id']);
    expect(Messages?.[0]?.MD5OfMessageAttributes).toBe(
      md5OfMessageAttributes({ 'trace.id': { DataType: 'String', StringValue: 't' } }),
    );
    expect(Object.keys(Messages?.[0]?.Attributes ?? {})).toEqual(['SentTimestamp']);
  });

  it('sends a batch and reports each failed entry in place', async () => {
    const queue = addQueue('callhooks-state.fifo');
    const QueueUrl = urlOf('callhooks-state.fifo');
    const result = await client.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'first', MessageBody: 'a1', MessageGroupId: 'a', MessageDeduplicationId: 'e1' },
          { Id: 'no-group', MessageBody: 'lost', MessageDeduplicationId: 'e2' },
          { Id: 'second', MessageBody: 'a2', MessageGroupId: 'a', MessageDeduplicationId: 'e3' },
          { Id: 'delayed', MessageBody: 'b1', MessageGroupId: 'b', DelaySeconds: 5 },
          { Id: 'bad-chars', MessageBody: 'nul\u0000', MessageGroupId: 'b' },
        ],
      }),
    );
    expect(result.Successful?.map((entry) => entry.Id)).toEqual(['first', 'second']);
    expect(result.Successful?.[0]).toMatchObject({
      MD5OfMessageBody: md5('a1'),
      SequenceNumber: expect.any(String),
    });
    expect(result.Failed).toEqual([
      {
        Id: 'no-group',
        SenderFault: true,
        Code: 'MissingParameter',
        Message: 'The request must contain the parameter MessageGroupId.',
      },
      {
        Id: 'delayed',
        SenderFault: true,
        Code: 'InvalidParameterValue',
        Message: expect.stringMatching(/DelaySeconds/),
      },
      { Id: 'bad-chars', SenderFault: true, Code: 'InvalidMessageContents', Message: expect.any(String) },
    ]);
    expect(queue.peek().map((m) => m.body)).toEqual(['a1', 'a2']);
  });

  it('refuses invalid batches as a whole', async () => {
    addQueue('callhooks-work');
    const QueueUrl = urlOf('callhooks-work');
    const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ Id: `m${i}`, MessageBody: 'x' }));
    await expect(
      client.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries(11) })),
    ).rejects.toBeInstanceOf(TooManyEntriesInBatchRequest);
    await expect(client.send(new SendMessageBatchCommand({ QueueUrl, Entries: [] }))).rejects.toMatchObject({
      name: 'EmptyBatchRequest',
    });
    await expect(
      client.send(new SendMessageBatchCommand({ QueueUrl, Entries: [...entries(1), ...entries(1)] })),
    ).rejects.toMatchObject({ name: 'BatchEntryIdsNotDistinct' });
    await expect(
      client.send(
        new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'not valid!', MessageBody: 'x' }] }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidBatchEntryId' });
    const half = 'x'.repeat(512 * 1024 + 1);
    await expect(
      client.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: [
            { Id: 'a', MessageBody: half },
            { Id: 'b', MessageBody: half },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'BatchRequestTooLong' });
  });

  it('accepts a message of exactly 1 MiB and refuses one byte more', async () => {
    addQueue('callhooks-work');
    const QueueUrl = urlOf('callhooks-work');
    const mib = 'x'.repeat(1024 * 1024);
    await expect(client.send(new SendMessageCommand({ QueueUrl, MessageBody: mib }))).resolves.toMatchObject({
      MD5OfMessageBody: md5(mib),
    });
    await expect(
      client.send(new SendMessageCommand({ QueueUrl, MessageBody: `${mib}x` })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringMatching(/shorter than 1048576 bytes/),
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('delivers FIFO groups in order, blocks a group in flight, and deduplicates', async () => {
    addQueue('callhooks-state.fifo');
    const QueueUrl = urlOf('callhooks-state.fifo');
    const send = (body: string, group: string) =>
      client.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageGroupId: group }));
    const a1 = await send('a1', 'a');
    await send('b1', 'b');
    await send('a2', 'a');
    // Content-based deduplication: the same body again is the same message.
    expect((await send('a1', 'a')).MessageId).toBe(a1.MessageId);

    const receive = (max: number) =>
      client.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: max,
          MessageSystemAttributeNames: ['All'],
        }),
      );
    const first = await receive(1);
    expect(first.Messages?.map((m) => m.Body)).toEqual(['a1']);
    expect(first.Messages?.[0]?.Attributes).toMatchObject({
      MessageGroupId: 'a',
      SequenceNumber: a1.SequenceNumber,
      MessageDeduplicationId: createHash('sha256').update('a1').digest('hex'),
    });
    expect((await receive(10)).Messages?.map((m) => m.Body)).toEqual(['b1']);
    expect((await receive(10)).Messages ?? []).toEqual([]);

    await client.send(
      new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first.Messages?.[0]?.ReceiptHandle }),
    );
    expect((await receive(10)).Messages?.map((m) => m.Body)).toEqual(['a2']);
  });

  it('reports the queue attributes', async () => {
    addQueue('callhooks-dlq');
    const queue = addQueue('callhooks-work', {
      visibilityTimeoutMs: 45_000,
      dlq: 'callhooks-dlq',
      maxReceiveCount: 5,
    });
    queue.send('in flight');
    queue.receive(1);
    for (const body of ['v1', 'v2', 'v3']) queue.send(body);
    queue.send('delayed', { delayMs: 60_000 });
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: urlOf('callhooks-work'), AttributeNames: ['All'] }),
    );
    expect(Attributes).toMatchObject({
      ApproximateNumberOfMessages: '3',
      ApproximateNumberOfMessagesNotVisible: '1',
      ApproximateNumberOfMessagesDelayed: '1',
      VisibilityTimeout: '45',
      MaximumMessageSize: '1048576',
      QueueArn: 'arn:aws:sqs:us-east-1:000000000000:callhooks-work',
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:callhooks-dlq',
        maxReceiveCount: 5,
      }),
    });
    expect(Attributes?.FifoQueue).toBeUndefined();
    const some = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: urlOf('callhooks-work'),
        AttributeNames: ['ApproximateNumberOfMessagesDelayed'],
      }),
    );
    expect(some.Attributes).toEqual({ ApproximateNumberOfMessagesDelayed: '1' });
    await expect(
      client.send(
        new GetQueueAttributesCommand({
          QueueUrl: urlOf('callhooks-work'),
          // @ts-expect-error: not an attribute name, which is the point
          AttributeNames: ['NoSuchAttribute'],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidAttributeName' });
  });

  it('waits for a message with long polling and answers as soon as one is sent', async () => {
    const queue = addQueue('callhooks-work');
    const started = performance.now();
    const polled = client.send(
      new ReceiveMessageCommand({ QueueUrl: urlOf('callhooks-work'), WaitTimeSeconds: 5 }),
    );
    setTimeout(() => queue.send('arrived'), 50);
    const { Messages } = await polled;
    expect(Messages?.map((m) => m.Body)).toEqual(['arrived']);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('changes visibility, deletes in batches, and refuses bad receipt handles', async () => {
    const queue = addQueue('callhooks-work');
    const QueueUrl = urlOf('callhooks-work');
    queue.send('a');
    queue.send('b');
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }),
    );
    expect(Messages).toHaveLength(2);
    await client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: Messages[0]?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    expect(queue.stats()).toMatchObject({ visible: 1, inFlight: 1 });

    const deleted = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'b', ReceiptHandle: Messages[1]?.ReceiptHandle },
          { Id: 'junk', ReceiptHandle: 'junk' },
        ],
      }),
    );
    expect(deleted.Successful).toEqual([{ Id: 'b' }]);
    expect(deleted.Failed).toEqual([
      { Id: 'junk', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: expect.any(String) },
    ]);
    expect(queue.peek().map((m) => m.body)).toEqual(['a']);

    await expect(
      client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'junk' })),
    ).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
    await expect(
      client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl,
          ReceiptHandle: Messages[1]?.ReceiptHandle,
          VisibilityTimeout: 5,
        }),
      ),
    ).rejects.toMatchObject({ name: 'MessageNotInflight' });
  });

  it('answers a queue that does not exist with QueueDoesNotExist', async () => {
    const error: unknown = await client
      .send(new SendMessageCommand({ QueueUrl: urlOf('nope'), MessageBody: 'x' }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(QueueDoesNotExist);
    expect(error).toMatchObject({
      message: 'The specified queue does not exist.',
      $metadata: { httpStatusCode: 400 },
      Code: 'AWS.SimpleQueueService.NonExistentQueue',
    });
    await expect(client.send(new GetQueueUrlCommand({ QueueName: 'nope' }))).rejects.toBeInstanceOf(
      QueueDoesNotExist,
    );
  });
});

describe('wire details', () => {
  it('answers errors in the JSON shape with the query-compatible code in a header', async () => {
    addQueue('callhooks-state.fifo');
    const reply = await post('AmazonSQS.SendMessage', {
      QueueUrl: urlOf('callhooks-state.fifo'),
      MessageBody: 'x',
    });
    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(reply.headers.get('x-amzn-query-error')).toBe('MissingParameter;Sender');
    expect(reply.json).toEqual({
      __type: 'com.amazonaws.sqs#MissingParameter',
      message: 'The request must contain the parameter MessageGroupId.',
    });

    const missing = await post('AmazonSQS.GetQueueUrl', { QueueName: 'nope' });
    expect(missing.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
    expect(missing.json).toMatchObject({ __type: 'com.amazonaws.sqs#QueueDoesNotExist' });
  });

  it('refuses out-of-range receive parameters, malformed bodies and operations it does not have', async () => {
    addQueue('callhooks-work');
    const QueueUrl = urlOf('callhooks-work');
    const tooMany = await post('AmazonSQS.ReceiveMessage', { QueueUrl, MaxNumberOfMessages: 11 });
    expect(tooMany.json).toMatchObject({
      __type: 'com.amazonaws.sqs#InvalidParameterValue',
      message: expect.stringMatching(/MaxNumberOfMessages.*between 1 and 10/),
    });
    const longWait = await post('AmazonSQS.ReceiveMessage', { QueueUrl, WaitTimeSeconds: 21 });
    expect(longWait.json).toMatchObject({ __type: 'com.amazonaws.sqs#InvalidParameterValue' });
    const malformed = await post('AmazonSQS.SendMessage', '{"QueueUrl": ');
    expect(malformed.json).toMatchObject({ __type: 'com.amazon.coral.service#SerializationException' });
    const wrongType = await post('AmazonSQS.SendMessage', { QueueUrl, MessageBody: 5 });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json).toMatchObject({ __type: 'com.amazon.coral.service#SerializationException' });
    const createQueue = await post('AmazonSQS.CreateQueue', { QueueName: 'x' });
    expect(createQueue.json).toMatchObject({ __type: 'com.amazonaws.sqs#UnsupportedOperation' });
    const queryProtocol = await post(undefined, 'Action=SendMessage');
    expect(queryProtocol.status).toBe(400);
    expect(queryProtocol.headers.get('x-amzn-query-error')).toBe(
      'AWS.SimpleQueueService.UnsupportedOperation;Sender',
    );
  });

  it('builds queue URLs from the configured endpoint', async () => {
    addQueue('callhooks-work');
    const reply = await handleSqsHttp(
      (name) => queues.get(name),
      JSON.stringify({ QueueName: 'callhooks-work' }),
      { 'X-Amz-Target': 'AmazonSQS.GetQueueUrl' },
      { endpoint: 'http://127.0.0.1:3000/' },
    );
    expect(JSON.parse(reply.body)).toEqual({ QueueUrl: 'http://127.0.0.1:3000/000000000000/callhooks-work' });
  });
});
