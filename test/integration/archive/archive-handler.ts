/**
 * What the files that run the real archive handler (functions/archive.ts) share. Each imports the handler in
 * a file of its own (its clients and secret caches are made once per module), after setting the environment
 * it reads at import time to {@link archiveHandlerEnv}.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ArchiveManifest } from '../../../functions/archive/manifest.js';
import type { ArchiveAsset, ArchiveTask } from '../../../functions/archive/types.js';
import type { createArchiveHandler } from '../../../functions/archive.js';
import { envNames } from '../../../functions/platform/env.js';
import { resources } from '../../../lib/resources.js';
import type { LocalEmulators } from '../../../local/emulators.js';
import { round0InterviewFromWebhook, startFakeRound0Api } from '../../../local/fakes/round0-api.js';
import { sqsRecord } from '../../helpers/sqs-records.js';
import { fixtureBody } from '../../unit/enrichment/factories.js';

/**
 * A secrets file holding the webhook secrets alone (the archive reads none of them, but the file must be
 * valid): no vendor API key, so no ROUND0 URL refresh. `remove` deletes it with its directory.
 */
export const webhookOnlySecretsFile = (prefix: string): { secretsFile: string; remove: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const secretsFile = join(dir, 'secrets.local.json');
  writeFileSync(
    secretsFile,
    JSON.stringify({ webhook: { round0SigningSecrets: ['s'], micro1Tokens: ['x'.repeat(32)] } }),
  );
  return { secretsFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
};

/** The handler's environment against `emulators`, as deployed but for the local relaxation; `overrides` last. */
export const archiveHandlerEnv = (
  emulators: LocalEmulators,
  secretsFile: string,
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> => ({
  ...emulators.env,
  [envNames.ledgerTableName]: resources.ledgerTable.name,
  [envNames.bucketName]: resources.bucket.name,
  [envNames.queueUrl]: emulators.queueUrls.events,
  [envNames.archiveQueueUrl]: emulators.queueUrls.archive,
  [envNames.archiveDeadLetterQueueUrl]: emulators.queueUrls.archiveDeadLetter,
  [envNames.localSecretsFile]: secretsFile,
  // Media may come from 127.0.0.1 over http here (the local relaxation admits loopback).
  [envNames.outboundAllowLocal]: 'true',
  [envNames.archiveMediaHosts]: JSON.stringify({ micro1: ['127.0.0.1'], round0: ['127.0.0.1'] }),
  // As deployed: the archive queue's maxReceiveCount, the archive's last receive.
  [envNames.archiveQueueMaxReceiveCount]: String(resources.archiveQueue.maxReceiveCount),
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  ...overrides,
});

/** Ends the handler's clients (made once per module) after a file's tests. */
export const destroyHandlerClients = (clients: typeof import('../../../functions/platform/clients.js')) => {
  clients.dynamoDbClient().destroy();
  clients.sqsClient().destroy();
  clients.s3Client().destroy();
};

/**
 * The handler a file's tests invoke: the environment set to {@link archiveHandlerEnv} against `emulators`,
 * with a {@link webhookOnlySecretsFile} (named after `secretsPrefix`) and `overrides`, then the handler
 * imported and made, with the archive's `manifest` read through the handler's own DynamoDB client. `close`
 * ends the handler's clients and removes the secrets file.
 */
export const startArchiveHandler = async (
  emulators: LocalEmulators,
  secretsPrefix: string,
  overrides: Readonly<Record<string, string>> = {},
) => {
  const { secretsFile, remove } = webhookOnlySecretsFile(secretsPrefix);
  Object.assign(process.env, archiveHandlerEnv(emulators, secretsFile, overrides));
  const archive = await import('../../../functions/archive.js');
  const clients = await import('../../../functions/platform/clients.js');
  return {
    handler: archive.createArchiveHandler(),
    manifest: new ArchiveManifest({
      client: clients.dynamoDbClient(),
      tableName: resources.ledgerTable.name,
    }),
    close: () => {
      destroyHandlerClients(clients);
      remove();
    },
  };
};

/** One invocation of `handler` with `task` at its `receiveCount`, `remainingMs` of Lambda time left. */
export const invokeArchive = async (
  handler: ReturnType<typeof createArchiveHandler>,
  task: ArchiveTask,
  { receiveCount = 1, remainingMs = 900_000 }: { receiveCount?: number; remainingMs?: number } = {},
): Promise<string[]> => {
  // Lambda's clock: the time left shrinks as the invocation runs.
  const endsAt = Date.now() + remainingMs;
  const context = {
    functionName: 'interview-sync-archive',
    awsRequestId: `req-${task.interviewKey}-${receiveCount}`,
    getRemainingTimeInMillis: () => Math.max(0, endsAt - Date.now()),
  } as unknown as Context;
  const record = sqsRecord(JSON.stringify(task), receiveCount, {}, 'interview-sync-archive-tasks');
  const event: SQSEvent = { Records: [record] };
  const response = (await handler(event, context)) as SQSBatchResponse;
  return response.batchItemFailures.map((failure) => failure.itemIdentifier);
};

/** A micro1 task for `asset` alone in its batch, of the interview `report:{id}`. */
const micro1Task = (id: string, asset: ArchiveAsset): ArchiveTask => ({
  schemaVersion: 1,
  vendor: 'micro1',
  interviewKey: `report:${id}`,
  interviewId: id,
  batchId: `batch-${id}`,
  batchAssets: [asset.name],
  asset,
});

/** A micro1 task for the report (a PDF) at `{mediaOrigin}/report.pdf`. */
export const micro1ReportTask = (id: string, mediaOrigin: string): ArchiveTask =>
  micro1Task(id, {
    kind: 'file',
    name: 'report',
    key: `interviews/report:${id}/report.pdf`,
    sourceUrl: `${mediaOrigin}/report.pdf`,
    contentType: 'application/pdf',
  });

/** A micro1 task for the screen recording (HLS) at `{origin}/{id}/index.m3u8`. */
export const micro1RecordingTask = (id: string, origin: string): ArchiveTask =>
  micro1Task(id, {
    kind: 'hls',
    name: 'screen',
    keyPrefix: `interviews/report:${id}/screen/`,
    sourceUrl: `${origin}/${id}/index.m3u8`,
  });

/** Receives (and deletes) what waits on `queueUrl`, with the messages' attributes: one receive of 1 s. */
export const takeMessages = async (emulators: LocalEmulators, queueUrl: string): Promise<Message[]> => {
  const { Messages = [] } = await emulators.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      MessageAttributeNames: ['All'],
    }),
  );
  for (const message of Messages) {
    await emulators.sqs.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
    );
  }
  return Messages;
};

/**
 * A task for the audio of one ROUND0 answer (`questionId` of `round0InterviewId`) whose queued URL,
 * `sourceUrl`, has expired: the archive asks ROUND0's API for a fresh one.
 */
export const expiredRound0AudioTask = (
  interviewKey: string,
  answer: { readonly round0InterviewId: string; readonly questionId: string; readonly sourceUrl: string },
): ArchiveTask => ({
  schemaVersion: 1,
  vendor: 'round0',
  interviewKey,
  interviewId: answer.round0InterviewId,
  batchId: `batch-${interviewKey}`,
  batchAssets: ['answer-1'],
  asset: {
    kind: 'file',
    name: 'answer-1',
    key: `interviews/${interviewKey}/question_${answer.questionId}.mp3`,
    sourceUrl: answer.sourceUrl,
    contentType: 'audio/mpeg',
    refresh: { round0InterviewId: answer.round0InterviewId, questionId: answer.questionId },
  },
});

/**
 * ROUND0's API (the fake, knowing `apiKey` only) holding the sample interview, and a storage host that
 * answers 403, as ROUND0's storage does past an audio URL's 24 h: `audioTask` archives the first answer's
 * audio from its expired URL.
 */
export const startExpiredRound0Audio = async (apiKey: string) => {
  const round0Api = await startFakeRound0Api({ apiKey });
  const interview = round0InterviewFromWebhook(fixtureBody('round0', 'interview_ended'), {
    audioBaseUrl: round0Api.url,
  });
  round0Api.state.interviews.set(interview.id, interview.body);
  const [firstAnswer] = interview.body.responses as Array<{ question_id: string }>;
  const expiredHost = createServer((_request, response) => response.writeHead(403).end());
  await new Promise<void>((resolve) => expiredHost.listen(0, '127.0.0.1', resolve));
  const expiredUrl = `http://127.0.0.1:${(expiredHost.address() as AddressInfo).port}/expired.mp3`;
  return {
    round0Api,
    audioTask: (interviewKey: string): ArchiveTask =>
      expiredRound0AudioTask(interviewKey, {
        round0InterviewId: interview.id,
        questionId: firstAnswer?.question_id ?? '',
        sourceUrl: expiredUrl,
      }),
    close: async () => {
      await round0Api.close();
      await new Promise((resolve) => expiredHost.close(resolve));
    },
  };
};
