/**
 * The real archive handler (functions/archive.ts) refreshing an expired ROUND0 audio URL from ROUND0's API
 * (the fake), against the local emulators: a key rotated in the vendor API secret since the handler's cache
 * read it is used at once, where the task was dead-lettered; an API that hangs ends with the invocation's
 * media requests, where it held the invocation for four 10 s attempts. Its own file: the handler's secret
 * cache starts cold.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { ArchiveTask } from '../../../functions/archive/types.js';
import { envNames } from '../../../functions/platform/env.js';
import { resources } from '../../../lib/resources.js';
import { startEmulators } from '../../../local/emulators.js';
import { round0InterviewFromWebhook, startFakeRound0Api } from '../../../local/fakes/round0-api.js';
import { sqsRecord } from '../../helpers/sqs-records.js';
import { fixtureBody } from '../../unit/enrichment/factories.js';

// Prepare (once): emulators, ROUND0's API knowing the new key only, a storage host whose old URLs expired,
// and the environment the archive handler reads at import time (the secrets file holds the old key)
const emulators = await startEmulators();
const round0Api = await startFakeRound0Api({ apiKey: 'round0-key-new' });
const interview = round0InterviewFromWebhook(fixtureBody('round0', 'interview_ended'), {
  audioBaseUrl: round0Api.url,
});
round0Api.state.interviews.set(interview.id, interview.body);
const [firstAnswer] = interview.body.responses as Array<{ question_id: string }>;
const expiredHost = createServer((_request, response) => response.writeHead(403).end());
await new Promise<void>((resolve) => expiredHost.listen(0, '127.0.0.1', resolve));
const expiredUrl = `http://127.0.0.1:${(expiredHost.address() as AddressInfo).port}/expired.mp3`;
const secretsDir = mkdtempSync(join(tmpdir(), 'archive-refresh-'));
const secretsFile = join(secretsDir, 'secrets.local.json');
const writeRound0Key = (round0ApiKey: string) =>
  writeFileSync(
    secretsFile,
    JSON.stringify({
      webhook: { round0SigningSecrets: ['s'], micro1Tokens: ['x'.repeat(32)] },
      vendorApi: { round0ApiKey },
    }),
  );
writeRound0Key('round0-key-old');
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

/** One invocation with `task`, given `remainingMs` of Lambda time: the failed records' ids. */
const invoke = async (task: ArchiveTask, remainingMs: number): Promise<string[]> => {
  const context = {
    functionName: 'interview-sync-archive',
    awsRequestId: `req-${task.interviewKey}`,
    getRemainingTimeInMillis: () => remainingMs,
  } as unknown as Context;
  const event: SQSEvent = {
    Records: [sqsRecord(JSON.stringify(task), 1, {}, 'interview-sync-archive-tasks')],
  };
  const response = (await handler(event, context)) as SQSBatchResponse;
  return response.batchItemFailures.map((failure) => failure.itemIdentifier);
};

const deadLetters = async () => {
  const { Messages = [] } = await emulators.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: emulators.queueUrls.archiveDeadLetter,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages;
};

const audioFetches = () => round0Api.requests.filter((request) => request.path.startsWith('/audio/'));

describe('archive handler refreshing an expired ROUND0 audio URL', () => {
  it('uses a key rotated in the secret since the handler read it: archived, not dead-lettered', async () => {
    // Prepare: while the handler asks the API with the old key it read, the key is rotated in the secret
    const held = round0Api.faults.hold({ method: 'GET', path: /^\/api\/v1\/interviews\// });
    const archived = invoke(audioTask('rotated'), 900_000);
    await held.reached;
    writeRound0Key('round0-key-new');
    held.release();

    // Act
    const failed = await archived;

    // Assess: refused once with the old key, then read with the new one and the fresh audio archived
    expect(failed).toEqual([]);
    expect(await deadLetters()).toEqual([]);
    const authorizations = round0Api.requests
      .filter((request) => request.path.startsWith('/api/v1/interviews/'))
      .map((request) => request.headers.authorization);
    expect(authorizations).toEqual(['Bearer round0-key-old', 'Bearer round0-key-new']);
    expect(audioFetches()).toHaveLength(1);
  });

  it('ends a refresh from an API that hangs with the invocation, and has the task retried', async () => {
    // Prepare: the API accepts the request and never answers; 3 s of Lambda time are left
    const held = round0Api.faults.hold({ method: 'GET', path: /^\/api\/v1\/interviews\// });
    const fetchesBefore = audioFetches().length;

    // Act
    const failed = await invoke(audioTask('hanging'), 3_000);
    held.abort();

    // Assess: the task failed alone (retried by its queue), nothing dead-lettered, nothing fetched
    expect(failed).toHaveLength(1);
    expect(await deadLetters()).toEqual([]);
    expect(audioFetches()).toHaveLength(fetchesBefore);
  }, 20_000); // the four 10 s attempts it made before would run past it
});
