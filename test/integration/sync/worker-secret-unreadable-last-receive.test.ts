/**
 * On the queue's last receive, an event the ATS refuses while the secret cannot be read
 * again is dead-lettered with its reason (a retry there would leave SQS to move it without one).
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from '@jest/globals';
import { startRotationWorld } from './secret-rotation-world.js';
import { round0 } from './world.js';

const keys = { round0Api: 'round0-last-receive-key', micro1Api: 'micro1-last-receive-key' };
const world = await startRotationWorld({
  accepted: { ...keys, ats: 'lever-key-new' },
  initial: { ...keys, ats: 'lever-key-old' },
  secretsCacheSeconds: 1,
});
afterAll(() => world.close());

describe('worker handler when the ATS refuses its key on the last receive', () => {
  it('dead-letters the event with its reason instead of retrying it, though the secret cannot be read', async () => {
    // Prepare: the old key cached; the secret made unreadable while the event is enriched
    const event = round0('interview_ended', {
      eventId: 'evt_last_receive',
      interviewId: 'int-last-receive',
      email: 'ada@example.com',
    });
    const held = world.round0Api.faults.hold({ method: 'GET', path: /^\/api\/v1\/interviews\// });
    const invocation = world.invoke(event, 10);
    await held.reached;
    writeFileSync(world.secretsFile, 'not json');
    held.release();

    // Act
    const failed = await invocation;

    // Assess
    expect(failed).toEqual([]);
    expect(await world.deadLetters()).toEqual([expect.objectContaining({ errorName: 'AtsPermanentError' })]);
  });
});
