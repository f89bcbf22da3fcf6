/**
 * `npm run ops -- redrive` interrupted by Ctrl-C, as an operator runs it (bin/ops.ts in its own process,
 * against the emulators' queues named by flags): it stops between two batches, makes what it received
 * visible again, says what is left and exits 1. Before, Node's default exit left every received message
 * hidden on the DLQ for the run's visibility timeout (5 minutes plus a second per message, up to 12 hours).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type LocalEmulators, localAws, startEmulators } from '../../../local/emulators.js';
import { queueCounts, queueDepth } from '../../../local/queue-depth.js';
import { eventually } from '../local/factories.js';
import { round0 } from '../sync/world.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const deadLetters = 1500;

let emulators: LocalEmulators;

beforeAll(async () => {
  emulators = await startEmulators();
  for (let first = 0; first < deadLetters; first += 10) {
    await emulators.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: emulators.queueUrls.deadLetter,
        Entries: Array.from({ length: 10 }, (_, i) => ({
          Id: String(i),
          MessageBody: JSON.stringify({
            kind: 'event',
            event: round0('interview_ended', { eventId: `evt_ctrl_c_${first + i}` }),
          }),
        })),
      }),
    );
  }
});

afterAll(async () => {
  await emulators?.close();
});

describe('npm run ops -- redrive, interrupted', () => {
  it('stops between batches on Ctrl-C, leaves the rest visible on the DLQ, says so and exits 1', async () => {
    // Prepare: the CLI as an operator runs it, on the emulator's queues
    const { accessKeyId, secretAccessKey } = localAws.credentials;
    const child = spawn(
      'node_modules/.bin/tsx',
      [
        'bin/ops.ts',
        'redrive',
        'events',
        '--dlq-url',
        emulators.queueUrls.deadLetter,
        '--queue-url',
        emulators.queueUrls.events,
        '--region',
        localAws.region,
      ],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          AWS_ENDPOINT_URL_SQS: emulators.endpoints.sqs,
          AWS_ACCESS_KEY_ID: accessKeyId,
          AWS_SECRET_ACCESS_KEY: secretAccessKey,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    // Act: Ctrl-C once the first batches have moved
    await eventually(
      async () => expect(await queueDepth(emulators.sqs, emulators.queueUrls.events)).toBeGreaterThan(0),
      30_000,
    );
    child.kill('SIGINT');
    const exitCode = await exited;
    const moved = await queueDepth(emulators.sqs, emulators.queueUrls.events);
    const left = await queueCounts(emulators.sqs, emulators.queueUrls.deadLetter);

    // Assess: nothing hidden, nothing lost, and the rest said
    expect({ exitCode, stderr }).toMatchObject({
      exitCode: 1,
      stderr: expect.stringMatching(/stopping after this batch/),
    });
    expect(moved).toBeLessThan(deadLetters);
    expect(left).toEqual({ visible: deadLetters - moved, inFlight: 0 });
    expect(stdout).toContain(
      `interrupted: ${deadLetters - moved} message(s) it set out to move are still on the events DLQ, visible; run it again to move them`,
    );
  });
});
