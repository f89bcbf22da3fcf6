/**
 * The real archive handler (functions/archive.ts) refreshing an expired ROUND0 audio URL when its cached
 * vendor API secret holds no ROUND0 key: a key stored since (`ops setup --round0-api-key`, then a redrive,
 * inside the container's 5-minute cache) is read again and used, where the task was dead-lettered once more.
 * Its own file: the forced re-read is allowed once per 30 s per container, and the handler's cache starts cold.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { ArchiveTask } from '../../../functions/archive/types.js';
import { envNames } from '../../../functions/platform/env.js';
import { minFreshIntervalMs } from '../../../functions/platform/secrets.js';
import { resources } from '../../../lib/resources.js';
import { startEmulators } from '../../../local/emulators.js';
import { round0InterviewFromWebhook, startFakeRound0Api } from '../../../local/fakes/round0-api.js';
import { sqsRecord } from '../../helpers/sqs-records.js';
import { fixtureBody } from '../../unit/enrichment/factories.js';

// Prepare (once): emulators, ROUND0's API, a storage host whose old URLs expired, and the environment the
// archive handler reads at import time (the secrets file holds no ROUND0 key yet)
const emulators = await startEmulators();
const round0Api = await startFakeRound0Api({ apiKey: 'round0-key' });
const interview = round0InterviewFromWebhook(fixtureBody('round0', 'interview_ended'), {
  audioBaseUrl: round0Api.url,
});
round0Api.state.interviews.set(interview.id, interview.body);
const [firstAnswer] = interview.body.responses as Array<{ question_id: string }>;
const expiredHost = createServer((_request, response) => response.writeHead(403).end());
await new Promise<void>((resolve) => expiredHost.listen(0, '127.0.0.1', resolve));
const expiredUrl = `http://127.0.0.1:${(expiredHost.address() as AddressInfo).port}/expired.mp3`;
const secretsDir = mkdtempSync(join(tmpdir(), 'archive-refresh-key-set-'));
const secretsFile = join(secretsDir, 'secrets.local.json');
const writeVendorApiSecret = (vendorApi: { round0ApiKey?: string }) =>
  writeFileSync(
    secretsFile,
    JSON.stringify({
      webhook: { round0SigningSecrets: ['s'.repeat(8)], micro1Tokens: ['x'.repeat(32)] },
      vendorApi,
    }),
  );
writeVendorApiSecret({});
Object.assign(process.env, emulators.env, {
  [envNames.ledgerTableName]: resources.ledgerTable.name,
  [envNames.bucketName]: resources.bucket.name,
  [envNames.queueUrl]: emulators.queueUrls.events,
  [envNames.archiveQueueUrl]: emulators.queueUrls.archive,
  [envNames.archiveDeadLetterQueueUrl]: emulators.queueUrls.archiveDeadLetter,
  [envNames.localSecretsFile]: secretsFile,
  [envNames.outboundAllowLocal]: 'true',
  [envNames.archiveMediaHosts]: JSON.stringify({ micro1: ['127.0.0.1'], round0: ['127.0.0.1'] }),
  [envNames.round0ApiBaseUrl]: round0Api.url,
  [envNames.archiveQueueMaxReceiveCount]: String(resources.archiveQueue.maxReceiveCount),
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
});
const { createArchiveHandler } = await import('../../../functions/archive.js');
const clients = await import('../../../functions/platform/clients.js');
const handler = createArchiveHandler();

afterAll(async () => {
  jest.restoreAllMocks();
  clients.dynamoDbClient().destroy();
  clients.sqsClient().destroy();
  clients.s3Client().destroy();
  await round0Api.close();
  await new Promise((resolve) => expiredHost.close(resolve));
  await emulators.close();
  rmSync(secretsDir, { recursive: true, force: true });
});

/** A task for the first answer's audio, whose queued URL has expired. */
const audioTask = (interviewKey: string): ArchiveTask => ({
  schemaVersion: 1,
  vendor: 'round0',
  interviewKey,
  interviewId: interview.id,
  batchId: `batch-${interviewKey}`,
  batchAssets: ['answer-1'],
  asset: {
    kind: 'file',
    name: 'answer-1',
    key: `interviews/${interviewKey}/question_${firstAnswer?.question_id}.mp3`,
    sourceUrl: expiredUrl,
    contentType: 'audio/mpeg',
    refresh: { round0InterviewId: interview.id, questionId: firstAnswer?.question_id ?? '' },
  },
});

/** One invocation with `task`: the failed records' ids. */
const invoke = async (task: ArchiveTask): Promise<string[]> => {
  const context = {
    functionName: 'interview-sync-archive',
    awsRequestId: `req-${task.interviewKey}`,
    getRemainingTimeInMillis: () => 900_000,
  } as unknown as Context;
  const event: SQSEvent = {
    Records: [sqsRecord(JSON.stringify(task), 1, {}, 'interview-sync-archive-tasks')],
  };
  const response = (await handler(event, context)) as SQSBatchResponse;
  return response.batchItemFailures.map((failure) => failure.itemIdentifier);
};

/** The dead-lettered tasks' interview keys (each received once, then deleted). */
const deadLetteredKeys = async (): Promise<string[]> => {
  const { Messages = [] } = await emulators.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: emulators.queueUrls.archiveDeadLetter,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      VisibilityTimeout: 600,
    }),
  );
  return Messages.map((message) => (JSON.parse(message.Body ?? '{}') as ArchiveTask).interviewKey);
};

describe('archive handler refreshing a ROUND0 audio URL without a ROUND0 key cached', () => {
  it('reads a key stored since the cached read and archives the redriven task', async () => {
    // Prepare: a first task finds no key (cached and re-read): dead-lettered, nothing asked of the API
    expect(await invoke(audioTask('before-key'))).toEqual([]);
    expect(await deadLetteredKeys()).toEqual(['before-key']);
    expect(round0Api.requests).toEqual([]);
    // The key is stored, and the redrive comes past the forced re-read's interval, inside the 5-minute cache
    writeVendorApiSecret({ round0ApiKey: 'round0-key' });
    const now = Date.now.bind(Date);
    jest.spyOn(Date, 'now').mockImplementation(() => now() + minFreshIntervalMs + 1_000);

    // Act
    const failed = await invoke(audioTask('after-key'));

    // Assess: the interview read with the stored key, the fresh audio fetched, nothing dead-lettered
    expect(failed).toEqual([]);
    expect(await deadLetteredKeys()).toEqual([]);
    const apiReads = round0Api.requests.filter((request) => request.path.startsWith('/api/v1/interviews/'));
    expect(apiReads.map((request) => request.headers.authorization)).toEqual(['Bearer round0-key']);
    expect(round0Api.requests.filter((request) => request.path.startsWith('/audio/'))).toHaveLength(1);
  });
});
