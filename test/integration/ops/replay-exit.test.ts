/**
 * `npm run ops -- replay --vendor … --since …` against the local emulators (a stage as `npm start` leaves
 * it): a delivery of the vendor it cannot replay is said and makes the exit code 1, so a script does not take
 * a partial replay for complete; what is no delivery of the vendor is said only.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rawBatchKey } from '../../../functions/queue/raw-events.js';
import { resources } from '../../../lib/resources.js';
import type { LocalEmulators } from '../../../local/emulators.js';
import { runOpsCommand } from '../../../local/ops.js';
import { queueDepth } from '../../../local/queue-depth.js';
import { fixture } from '../../helpers/fixtures.js';
import { type EmulatorStage, startEmulatorStage } from './emulator-stage.js';
import { rawEventFor } from './raw-events.js';

const bucket = resources.bucket.name;

let emulators: LocalEmulators;
let dataDir: string;
let s3: S3Client;

let stage: EmulatorStage | undefined;

beforeAll(async () => {
  stage = await startEmulatorStage('ops-replay-exit-');
  ({ emulators, dataDir, s3 } = stage);
});

afterAll(async () => {
  await stage?.close();
});

describe('npm run ops -- replay from the raw event store', () => {
  it('exits 0 when every delivery of the vendor went, 1 when one could not be replayed (and says which)', async () => {
    // Prepare: on one day a batch of ROUND0's interview_ended beside an entry of a vendor this version does
    // not know; on the next, a ROUND0 delivery today's parser refuses (its interview id is a number)
    const day = (date: string) => new Date(`${date}T09:00:00.000Z`);
    const ended = rawEventFor(
      'round0',
      Buffer.from(fixture('round0', 'interview_ended').raw),
      day('2026-06-01'),
    );
    const put = (key: string, events: unknown[]) =>
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify({ schemaVersion: 2, events }),
        }),
      );
    const withForeign = rawBatchKey('2026-06-01', [ended.dedupeKey, 'acme:1']);
    await put(withForeign, [
      ended,
      { schemaVersion: 1, vendor: 'acme', dedupeKey: 'acme:1', receivedAt: day('2026-06-01').toISOString() },
    ]);
    const refusedKey = rawBatchKey('2026-06-02', ['round0:refused']);
    await put(refusedKey, [
      {
        ...ended,
        dedupeKey: 'round0:refused',
        receivedAt: day('2026-06-02').toISOString(),
        bodyBase64: Buffer.from(
          JSON.stringify({ event: 'interview_ended', data: { interview_id: 42 } }),
        ).toString('base64'),
      },
    ]);
    const replay = (since: string, until: string) =>
      runOpsCommand(['replay', '--vendor', 'round0', '--since', since, '--until', until], dataDir);

    // Act
    const whole = await replay('2026-06-01', '2026-06-01');
    const partial = await replay('2026-06-02', '2026-06-02');

    // Assess: the other vendor's entry is said, not a failure; the refused delivery is one
    expect(whole.lines[0]).toMatch(/^sent 1 round0 event\(s\)/);
    expect(whole.lines).toContain(`skipped ${withForeign}: not a stored delivery`);
    expect(whole.exitCode).toBe(0);
    expect(partial.lines.some((line) => line.startsWith(`skipped ${refusedKey}: `))).toBe(true);
    expect(partial.exitCode).toBe(1);
    expect(await queueDepth(emulators.sqs, emulators.queueUrls.events)).toBe(1);
  });
});
