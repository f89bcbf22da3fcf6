/**
 * The real archive handler (functions/archive.ts) refreshing an expired ROUND0 audio URL from ROUND0's API
 * (the fake), against the local emulators: a key rotated in the vendor API secret since the handler's cache
 * read it is used at once, where the task was dead-lettered; an API that hangs ends with the invocation's
 * media requests, where it held the invocation for four 10 s attempts. Its own file: the handler's secret
 * cache starts cold.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from '@jest/globals';
import type { ArchiveTask } from '../../../functions/archive/types.js';
import { envNames } from '../../../functions/platform/env.js';
import { startEmulators } from '../../../local/emulators.js';
import {
  archiveHandlerEnv,
  destroyHandlerClients,
  invokeArchive,
  startExpiredRound0Audio,
} from './archive-handler.js';

// Prepare (once): emulators, ROUND0's API knowing the new key only, a storage host whose old URLs expired,
// and the environment the archive handler reads at import time (the secrets file holds the old key)
const emulators = await startEmulators();
const { round0Api, audioTask, close: closeAudio } = await startExpiredRound0Audio('round0-key-new');
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
Object.assign(
  process.env,
  archiveHandlerEnv(emulators, secretsFile, { [envNames.round0ApiBaseUrl]: round0Api.url }),
);
const { createArchiveHandler } = await import('../../../functions/archive.js');
const clients = await import('../../../functions/platform/clients.js');
const handler = createArchiveHandler();

afterAll(async () => {
  destroyHandlerClients(clients);
  await closeAudio();
  await emulators.close();
  rmSync(secretsDir, { recursive: true, force: true });
});

/** One invocation with `task`, given `remainingMs` of Lambda time: the failed records' ids. */
const invoke = (task: ArchiveTask, remainingMs: number) => invokeArchive(handler, task, { remainingMs });

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
