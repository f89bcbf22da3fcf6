/**
 * The real archive handler (functions/archive.ts) on a task's last receive while DynamoDB is unreachable:
 * the manifest's lease fails (transient) and so does the park, on the same table. The task is dead-lettered
 * with its reason, as the worker does, rather than thrown for SQS to move it without one and nothing parked.
 * Its own file: the handler's clients are made once per module from the environment, DynamoDB's a closed port.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { ArchiveTask } from '../../../functions/archive/types.js';
import { envNames } from '../../../functions/platform/env.js';
import { resources } from '../../../lib/resources.js';
import { startEmulators } from '../../../local/emulators.js';
import { captureMetrics, valuesOf } from '../../unit/platform/emf.js';
import { archiveHandlerEnv, destroyHandlerClients, invokeArchive } from './archive-handler.js';

// Prepare (once): emulators, and the environment the archive handler reads at import time, with DynamoDB
// pointed at a port nothing listens on
const emulators = await startEmulators();
const secretsDir = mkdtempSync(join(tmpdir(), 'archive-park-fails-'));
const secretsFile = join(secretsDir, 'secrets.local.json');
writeFileSync(
  secretsFile,
  JSON.stringify({ webhook: { round0SigningSecrets: ['s'.repeat(8)], micro1Tokens: ['x'.repeat(32)] } }),
);
const lastReceive = resources.archiveQueue.maxReceiveCount;
Object.assign(
  process.env,
  archiveHandlerEnv(emulators, secretsFile, {
    AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
    [envNames.archiveQueueMaxReceiveCount]: String(lastReceive),
    POWERTOOLS_METRICS_DISABLED: 'false',
  }),
);
const { createArchiveHandler } = await import('../../../functions/archive.js');
const clients = await import('../../../functions/platform/clients.js');
const handler = createArchiveHandler();

afterAll(async () => {
  destroyHandlerClients(clients);
  await emulators.close();
  rmSync(secretsDir, { recursive: true, force: true });
});

const task: ArchiveTask = {
  schemaVersion: 1,
  vendor: 'micro1',
  interviewKey: 'report:R7',
  interviewId: 'R7',
  batchId: 'batch-R7',
  batchAssets: ['report'],
  asset: {
    kind: 'file',
    name: 'report',
    key: 'interviews/R7/report.pdf',
    sourceUrl: 'http://127.0.0.1:9/report.pdf',
    contentType: 'application/pdf',
  },
};

const invoke = (receiveCount: number) => invokeArchive(handler, task, { receiveCount });

describe('archive handler with DynamoDB unreachable', () => {
  it('retries the task before its last receive, counting no failure', async () => {
    // Act
    const { result: failed, metrics } = await captureMetrics(() => invoke(1));

    // Assess
    expect(failed).toHaveLength(1);
    expect(valuesOf(metrics, 'ArchiveFailed', { service: 'interview-sync-archive' })).toEqual([]);
  });

  it('dead-letters the task with its reason on its last receive, though it cannot be parked', async () => {
    // Act
    const { result: failed, metrics } = await captureMetrics(() => invoke(lastReceive));

    // Assess: acknowledged, in the archive DLQ with the reason, counted once
    expect(failed).toEqual([]);
    const { Messages = [] } = await emulators.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: emulators.queueUrls.archiveDeadLetter,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    expect(Messages.map((message) => JSON.parse(message.Body ?? '{}'))).toEqual([task]);
    expect(Messages[0]?.MessageAttributes?.failureReason?.StringValue).toMatch(
      new RegExp(`^gave up after ${lastReceive} attempts; the last failed with `),
    );
    expect(
      valuesOf(metrics, 'ArchiveFailed', { service: 'interview-sync-archive', vendor: 'micro1' }),
    ).toEqual([1]);
  });
});
