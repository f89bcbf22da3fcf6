/**
 * The real worker handler when the ATS refuses its key and the secret cannot be read again to learn whether
 * the key was rotated (Secrets Manager down): retried, not dead-lettered on the old value as if the secret
 * still held it, and only once the secret can be read again. Its own file (secret-rotation-world.ts): the
 * worker's secret cache starts cold.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from '@jest/globals';
import { startRotationWorld } from './secret-rotation-world.js';
import { round0 } from './world.js';

const keys = { round0Api: 'round0-unreadable-key', micro1Api: 'micro1-unreadable-key' };
// The ATS knows the new key only: the old one was revoked when it was rotated.
const world = await startRotationWorld({
  accepted: { ...keys, ats: 'lever-key-new' },
  initial: { ...keys, ats: 'lever-key-old' },
  // A value whose read failed is asked for again after min(30 s, the cache's age): 1 s here.
  secretsCacheSeconds: 1,
});
afterAll(() => world.close());

describe('worker handler when the ATS refuses its key and the secret cannot be read', () => {
  it('retries the event instead of dead-lettering it, not before the secret can be read again, and syncs it with the new key then', async () => {
    // Prepare: the worker reads the old key (and caches it); while the event is being enriched, the secret
    // becomes unreadable; the ATS then refuses the old key
    const event = round0('interview_ended', {
      eventId: 'evt_ada',
      interviewId: 'int-ada',
      email: 'ada@example.com',
    });
    const held = world.round0Api.faults.hold({ method: 'GET', path: /^\/api\/v1\/interviews\// });
    const first = world.invokeFromQueue(event);
    await held.reached;
    writeFileSync(world.secretsFile, 'not json');
    held.release();

    // Act
    const failedFirst = await first;
    const dlqAfterFirst = await world.deadLetters();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const backWithinSeconds = await world.eventsQueueGives();
    world.writeSecrets({ ...keys, ats: 'lever-key-new' });
    const failedRetry = await world.invoke(event, 2);

    // Assess: retried (the refusal may be the cache's), after the reader's 30 s rather than at once (every
    // receive meanwhile would meet the same failed read and the last dead-letter it), then synced
    expect(failedFirst).toHaveLength(1);
    expect(dlqAfterFirst).toEqual([]);
    expect(backWithinSeconds).toBe(false);
    expect(failedRetry).toEqual([]);
    expect(world.lever.state.notes.filter((note) => note.opportunityId === 'opp-ada')).toHaveLength(1);
  });
});
