/**
 * The real archive handler (functions/archive.ts) refreshing an expired ROUND0 audio URL when its cached
 * vendor API secret holds no ROUND0 key: a key stored since (`ops setup --round0-api-key`, then a redrive,
 * inside the container's 5-minute cache) is read again and used, where the task was dead-lettered once more.
 * Its own file: the forced re-read is allowed once per 30 s per container, and the handler's cache starts cold.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import type { ArchiveTask } from '../../../functions/archive/types.js';
import { envNames } from '../../../functions/platform/env.js';
import { minFreshIntervalMs } from '../../../functions/platform/secrets.js';
import { startEmulators } from '../../../local/emulators.js';
import {
  archiveHandlerEnv,
  destroyHandlerClients,
  invokeArchive,
  startExpiredRound0Audio,
} from './archive-handler.js';

// Prepare (once): emulators, ROUND0's API, a storage host whose old URLs expired, and the environment the
// archive handler reads at import time (the secrets file holds no ROUND0 key yet)
const emulators = await startEmulators();
const { round0Api, audioTask, close: closeAudio } = await startExpiredRound0Audio('round0-key');
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
Object.assign(
  process.env,
  archiveHandlerEnv(emulators, secretsFile, { [envNames.round0ApiBaseUrl]: round0Api.url }),
);
const { createArchiveHandler } = await import('../../../functions/archive.js');
const clients = await import('../../../functions/platform/clients.js');
const handler = createArchiveHandler();

afterAll(async () => {
  jest.restoreAllMocks();
  destroyHandlerClients(clients);
  await closeAudio();
  await emulators.close();
  rmSync(secretsDir, { recursive: true, force: true });
});

/** One invocation with `task`: the failed records' ids. */
const invoke = (task: ArchiveTask) => invokeArchive(handler, task);

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
