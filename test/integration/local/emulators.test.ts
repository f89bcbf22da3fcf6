import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { sendToDeadLetterQueue } from '../../../functions/queue/dead-letter.js';
import { resources } from '../../../lib/resources.js';
import { type LocalEmulators, localAws, startEmulators } from '../../../local/emulators.js';
import { LocalPipelineError } from '../../../local/errors.js';
import { queueCounts } from '../../../local/queue-depth.js';

const clientsFor = (emulators: LocalEmulators) => ({
  dynamodb: new DynamoDBClient({
    region: localAws.region,
    endpoint: emulators.endpoints.dynamodb,
    credentials: localAws.credentials,
  }),
  s3: new S3Client({
    region: localAws.region,
    endpoint: emulators.endpoints.s3,
    credentials: localAws.credentials,
    forcePathStyle: true,
  }),
});

describe('local emulators', () => {
  let emulators: LocalEmulators;
  beforeAll(async () => {
    emulators = await startEmulators();
  });
  afterAll(async () => {
    await emulators.close();
  });

  it('creates the events queue with the settings and redrive policy of lib/resources.ts', async () => {
    // Act
    const { Attributes = {} } = await emulators.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: emulators.queueUrls.events, AttributeNames: ['All'] }),
    );

    // Assess
    expect(Attributes.VisibilityTimeout).toBe(String(resources.eventsQueue.visibilityTimeoutSeconds));
    expect(Attributes.MessageRetentionPeriod).toBe(String(resources.eventsQueue.retentionSeconds));
    expect(Attributes.MaximumMessageSize).toBe(String(resources.eventsQueue.maxMessageBytes));
    expect(JSON.parse(Attributes.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: emulators.queueArns.deadLetter,
      maxReceiveCount: resources.eventsQueue.maxReceiveCount,
    });
    expect(emulators.queueUrls.events).toMatch(new RegExp(`/${resources.eventsQueue.name}$`));
    expect(emulators.queueUrls.deadLetter).toMatch(new RegExp(`/${resources.deadLetterQueue.name}$`));
  });

  it('dead-letters a message the ingest inlined at the limit, with the failure attributes added', async () => {
    // Prepare: body + the ingest's attributes at the events queue's limit (what the ingest still inlines).
    // The emulator's own default is 1 MiB, so this shows the path works; test/infra pins the DLQs' size.
    const attributes = { vendor: { DataType: 'String', StringValue: 'round0' } };
    const body = 'x'.repeat(resources.eventsQueue.maxMessageBytes - 'vendor'.length - 'String'.length - 6);
    await emulators.sqs.send(
      new SendMessageCommand({
        QueueUrl: emulators.queueUrls.events,
        MessageBody: body,
        MessageAttributes: attributes,
      }),
    );

    // Act
    const send = sendToDeadLetterQueue(
      emulators.sqs,
      emulators.queueUrls.deadLetter,
      { body, attributes },
      { errorName: 'AtsPermanentError', reason: 'r'.repeat(1024) },
    );

    // Assess
    await expect(send).resolves.toBeUndefined();
    const { Messages = [] } = await emulators.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: emulators.queueUrls.deadLetter,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 1,
      }),
    );
    expect(Messages.map((m) => [m.Body?.length, m.MessageAttributes?.failureErrorName?.StringValue])).toEqual(
      [[body.length, 'AtsPermanentError']],
    );
  });

  it('creates the archive queue with the settings of lib/resources.ts, redriving to its own DLQ', async () => {
    // Act
    const { Attributes = {} } = await emulators.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: emulators.queueUrls.archive, AttributeNames: ['All'] }),
    );
    const { Attributes: dlq = {} } = await emulators.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: emulators.queueUrls.archiveDeadLetter,
        AttributeNames: ['All'],
      }),
    );

    // Assess
    expect(Attributes.VisibilityTimeout).toBe(String(resources.archiveQueue.visibilityTimeoutSeconds));
    expect(Attributes.MessageRetentionPeriod).toBe(String(resources.archiveQueue.retentionSeconds));
    expect(JSON.parse(Attributes.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: emulators.queueArns.archiveDeadLetter,
      maxReceiveCount: resources.archiveQueue.maxReceiveCount,
    });
    expect(dlq.MessageRetentionPeriod).toBe(String(resources.archiveDeadLetterQueue.retentionSeconds));
    expect(dlq.MaximumMessageSize).toBe(String(resources.archiveDeadLetterQueue.maxMessageBytes));
    expect(emulators.queueUrls.archive).toMatch(new RegExp(`/${resources.archiveQueue.name}$`));
    expect(emulators.queueUrls.archiveDeadLetter).toMatch(
      new RegExp(`/${resources.archiveDeadLetterQueue.name}$`),
    );
    expect(emulators.queueArns.archive).toMatch(new RegExp(`:${resources.archiveQueue.name}$`));
  });

  it('creates the tables and the bucket', async () => {
    // Prepare
    const { dynamodb, s3 } = clientsFor(emulators);

    // Act
    const tables = await Promise.all(
      [resources.ledgerTable.name].map((TableName) => dynamodb.send(new DescribeTableCommand({ TableName }))),
    );
    const bucket = s3.send(new HeadBucketCommand({ Bucket: resources.bucket.name }));

    // Assess
    expect(tables.map(({ Table }) => Table?.TableStatus)).toEqual(['ACTIVE']);
    await expect(bucket).resolves.toBeDefined();
    dynamodb.destroy();
    s3.destroy();
  });

  it('returns the env the functions need to reach the emulators', () => {
    // Assess
    expect(emulators.env).toEqual({
      AWS_REGION: localAws.region,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL_SQS: emulators.endpoints.sqs,
      AWS_ENDPOINT_URL_DYNAMODB: emulators.endpoints.dynamodb,
      AWS_ENDPOINT_URL_S3: emulators.endpoints.s3,
      S3_FORCE_PATH_STYLE: 'true',
    });
    expect(process.env.AWS_ENDPOINT_URL_SQS).not.toBe(emulators.endpoints.sqs);
  });
});

describe('local emulators with shortened archive-queue settings', () => {
  it('dead-letters an archive task after the given receives', async () => {
    // Prepare
    const emulators = await startEmulators({
      archiveQueue: { visibilityTimeoutSeconds: 1, maxReceiveCount: 2 },
    });
    const { sqs, queueUrls } = emulators;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrls.archive, MessageBody: '{"task":1}' }));

    // Act: two receives that never delete, each waiting out the 1 s visibility timeout
    const receives: number[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrls.archive, WaitTimeSeconds: 2 }),
      );
      receives.push(Messages.length);
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }
    const { Messages: third = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrls.archive, WaitTimeSeconds: 1 }),
    );
    const { Messages: dead = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrls.archiveDeadLetter, WaitTimeSeconds: 1 }),
    );
    await emulators.close();

    // Assess
    expect(receives).toEqual([1, 1]);
    expect(third).toHaveLength(0);
    expect(dead.map((message) => message.Body)).toEqual(['{"task":1}']);
  });
});

describe('the SQS emulator against SQS semantics', () => {
  it('counts receives only: a ChangeMessageVisibility between them adds none (local/patch-emulators.mjs)', async () => {
    // Prepare: the worker gives a throttled event back with ChangeMessageVisibility after each receive
    const emulators = await startEmulators({ eventsQueue: { maxReceiveCount: 3 } });
    const { sqs, queueUrls } = emulators;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrls.events, MessageBody: '{"event":1}' }));

    // Act: three receives, each given back for 1 s
    const counts: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrls.events,
          WaitTimeSeconds: 3,
          // Both names: SQS renamed AttributeNames, and local-aws-sqs only reads the old one.
          AttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const [message] = Messages;
      counts.push(message?.Attributes?.ApproximateReceiveCount ?? 'none');
      if (message?.ReceiptHandle === undefined) break;
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrls.events,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 1,
        }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const { Messages: dead = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrls.deadLetter, WaitTimeSeconds: 2 }),
    );
    await emulators.close();

    // Assess: receives 1, 2, 3 as SQS counts them (unpatched: 1, 3, then dead-lettered), then the DLQ
    expect(counts).toEqual(['1', '2', '3']);
    expect(dead.map((message) => message.Body)).toEqual(['{"event":1}']);
  });
});

describe('the SQS emulator counts visible and in-flight messages apart, as SQS does (local/patch-emulators.mjs)', () => {
  it('gives ApproximateNumberOfMessages as the visible messages only', async () => {
    // Prepare: three messages, one of them received (in flight)
    const emulators = await startEmulators();
    const { sqs, queueUrls } = emulators;
    for (const n of [1, 2, 3]) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrls.events, MessageBody: `{"event":${n}}` }));
    }
    await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrls.events,
        MaxNumberOfMessages: 1,
        VisibilityTimeout: 60,
      }),
    );

    // Act
    const counts = await queueCounts(sqs, queueUrls.events);
    await emulators.close();

    // Assess (unpatched: visible 3, the one in flight counted twice by a depth adding both)
    expect(counts).toEqual({ visible: 2, inFlight: 1 });
  });
});

describe('the SQS emulator counts a message in bytes, as SQS does (local/patch-emulators.mjs)', () => {
  it('refuses a body over the queue maximum in UTF-8 bytes though under it in characters', async () => {
    // Prepare: '€' is 3 bytes in UTF-8, one UTF-16 unit; the events queue takes 256 KiB
    const emulators = await startEmulators();
    const { sqs, queueUrls } = emulators;
    const limit = resources.eventsQueue.maxMessageBytes;
    const over = '€'.repeat(Math.floor(limit / 3) + 10); // ~limit + 30 bytes, a third of it in characters
    const under = '€'.repeat(Math.floor(limit / 3) - 10);

    // Act
    const single = await sqs
      .send(new SendMessageCommand({ QueueUrl: queueUrls.events, MessageBody: over }))
      .then(() => 'sent')
      .catch((error: Error) => error.name);
    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrls.events,
        Entries: [
          { Id: 'over', MessageBody: over },
          { Id: 'under', MessageBody: under },
        ],
      }),
    );
    await emulators.close();

    // Assess: unpatched, both sends of `over` passed
    expect(Buffer.byteLength(over)).toBeGreaterThan(limit);
    expect(over.length).toBeLessThan(limit);
    expect(single).toMatch(/InvalidParameterValue|InvalidParameterValueException/);
    expect(batch.Failed?.map((entry) => entry.Id)).toEqual(['over']);
    expect(batch.Successful?.map((entry) => entry.Id)).toEqual(['under']);
  });

  it('counts a string attribute value and a whole batch in UTF-8 bytes too', async () => {
    // Prepare: a short body whose attribute value is over the message maximum in bytes, under it in characters;
    // and ten bodies each under the maximum whose sum is over SendMessageBatch's 1 MiB in bytes only
    const emulators = await startEmulators();
    const { sqs, queueUrls } = emulators;
    const limit = resources.eventsQueue.maxMessageBytes;
    const heavyValue = '€'.repeat(Math.floor(limit / 3) + 10);
    const tenthOfOverOneMiB = '€'.repeat(Math.floor((1024 * 1024) / 30) + 10); // ~105 KB in bytes, 35 K characters
    const attributes = { note: { DataType: 'String', StringValue: heavyValue } };

    // Act
    const single = await sqs
      .send(
        new SendMessageCommand({
          QueueUrl: queueUrls.events,
          MessageBody: '{}',
          MessageAttributes: attributes,
        }),
      )
      .then(() => 'sent')
      .catch((error: Error) => error.name);
    const entry = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrls.events,
        Entries: [{ Id: 'heavy', MessageBody: '{}', MessageAttributes: attributes }],
      }),
    );
    const wholeBatch = await sqs
      .send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrls.events,
          Entries: Array.from({ length: 10 }, (_, index) => ({
            Id: String(index),
            MessageBody: tenthOfOverOneMiB,
          })),
        }),
      )
      .then(() => 'sent')
      .catch((error: Error) => error.name);
    await emulators.close();

    // Assess: unpatched, all three were accepted
    expect(heavyValue.length).toBeLessThan(limit);
    expect(10 * Buffer.byteLength(tenthOfOverOneMiB)).toBeGreaterThan(1024 * 1024);
    expect(10 * tenthOfOverOneMiB.length).toBeLessThan(1024 * 1024);
    expect(Buffer.byteLength(tenthOfOverOneMiB)).toBeLessThan(limit);
    expect(single).toMatch(/InvalidParameterValue|InvalidParameterValueException/);
    expect(entry.Failed?.map((failed) => failed.Id)).toEqual(['heavy']);
    expect(wholeBatch).toMatch(/BatchRequestTooLong/);
  });
});

describe('the S3 emulator against S3 semantics', () => {
  it('refuses a request with no signature (403 AccessDenied) and serves a signed one (local/patch-emulators.mjs)', async () => {
    // Prepare: an object written with the emulator's credentials
    const emulators = await startEmulators();
    const { s3 } = clientsFor(emulators);
    const key = 'claim-checks/unsigned.json';
    await s3.send(new PutObjectCommand({ Bucket: resources.bucket.name, Key: key, Body: '{"a":1}' }));
    const url = `${emulators.endpoints.s3}/${resources.bucket.name}/${key}`;

    // Act: the same object fetched without credentials, and written without them
    const read = await fetch(url);
    const readBody = await read.text();
    const write = await fetch(url, { method: 'PUT', body: '{"a":2}' });
    await write.text();
    const signed = await s3.send(new GetObjectCommand({ Bucket: resources.bucket.name, Key: key }));
    const signedBody = await signed.Body?.transformToString();
    await emulators.close();

    // Assess: refused as a private bucket refuses it (unpatched: 200 and the object); the object unchanged
    expect(read.status).toBe(403);
    expect(readBody).toContain('<Code>AccessDenied</Code>');
    expect(readBody).not.toContain('"a":1');
    expect(write.status).toBe(403);
    expect(signedBody).toBe('{"a":1}');
  });

  it('lists a folder whose keys are nested deeper as a common prefix of the root (local/patch-emulators.mjs)', async () => {
    // Prepare: keys one and two levels below their top-level folder, and one at the root
    const emulators = await startEmulators();
    const { s3 } = clientsFor(emulators);
    const bucket = resources.bucket.name;
    for (const key of ['exports/2026-12/a.json', 'claim-checks/b.json', 'top.json'])
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{}' }));

    // Act
    const root = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: '', Delimiter: '/' }));
    await emulators.close();

    // Assess: as S3 answers (unpatched: no `exports/`)
    expect(root.CommonPrefixes?.map((common) => common.Prefix).sort()).toEqual(['claim-checks/', 'exports/']);
    expect(root.Contents?.map((object) => object.Key)).toEqual(['top.json']);
  });
});

describe('local emulators with a data directory', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'emulators-data-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps DynamoDB items and S3 objects across a restart', async () => {
    // Prepare
    const first = await startEmulators({ dataDir });
    const before = clientsFor(first);
    await before.dynamodb.send(
      new PutItemCommand({
        TableName: resources.ledgerTable.name,
        Item: { pk: { S: 'interview#1' }, sk: { S: 'state' }, note: { S: 'kept' } },
      }),
    );
    await before.s3.send(
      new PutObjectCommand({ Bucket: resources.bucket.name, Key: 'claim-checks/a.json', Body: '{}' }),
    );
    before.dynamodb.destroy();
    before.s3.destroy();
    await first.close();

    // Act
    const second = await startEmulators({ dataDir });
    const after = clientsFor(second);
    const item = await after.dynamodb.send(
      new GetItemCommand({
        TableName: resources.ledgerTable.name,
        Key: { pk: { S: 'interview#1' }, sk: { S: 'state' } },
      }),
    );
    const object = await after.s3.send(
      new GetObjectCommand({ Bucket: resources.bucket.name, Key: 'claim-checks/a.json' }),
    );
    const objectBody = await object.Body?.transformToString();
    after.dynamodb.destroy();
    after.s3.destroy();
    await second.close();

    // Assess
    expect(item.Item?.note).toEqual({ S: 'kept' });
    expect(objectBody).toBe('{}');
  });

  it("makes the data directory the owner's only: it holds candidates' deliveries and recordings", async () => {
    // Prepare: a directory others may read
    await chmod(dataDir, 0o755);

    // Act
    const emulators = await startEmulators({ dataDir });
    const mode = (await stat(dataDir)).mode & 0o777;
    await emulators.close();

    // Assess
    expect(mode).toBe(0o700);
  });

  it('refuses a second set of emulators on a data directory in use', async () => {
    // Prepare
    const first = await startEmulators({ dataDir });

    // Act
    const second = startEmulators({ dataDir });

    // Assess
    await expect(second).rejects.toThrow(LocalPipelineError);
    await first.close();
  });
});
