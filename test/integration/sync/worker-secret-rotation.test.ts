/**
 * The real worker handler when the ATS refuses its key: a key rotated in the secret since this container
 * cached it is retried with the new one (not dead-lettered); a refused key the secret still holds is
 * dead-lettered as before. Its own file (secret-rotation-world.ts): the worker's secret cache starts cold.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { startRotationWorld } from './secret-rotation-world.js';
import { round0 } from './world.js';

const keys = { round0Api: 'round0-rotation-key', micro1Api: 'micro1-rotation-key' };
// The ATS knows the new key only: the old one was revoked when it was rotated.
const world = await startRotationWorld({
  accepted: { ...keys, ats: 'lever-key-new' },
  initial: { ...keys, ats: 'lever-key-old' },
});
afterAll(() => world.close());

const endedFor = (name: 'ada' | 'bob') =>
  round0('interview_ended', {
    eventId: `evt_${name}`,
    interviewId: `int-${name}`,
    email: `${name}@example.com`,
  });

describe('worker handler when the ATS refuses its key', () => {
  it('retries an event refused with a key the secret no longer holds, with the new key, instead of dead-lettering it', async () => {
    // Prepare: the worker reads the old key (and caches it for 5 minutes); while the event is being
    // enriched, the key is rotated in the secret; the ATS then refuses the old key
    const event = endedFor('ada');
    const held = world.round0Api.faults.hold({ method: 'GET', path: /^\/api\/v1\/interviews\// });
    const first = world.invoke(event, 1);
    await held.reached;
    world.writeSecrets({ ...keys, ats: 'lever-key-new' });
    held.release();

    // Act
    const failedFirst = await first;
    const dlqAfterFirst = await world.deadLetters();
    const failedRetry = await world.invoke(event, 2);

    // Assess: retried (not dead-lettered), then synced with the new key
    expect(failedFirst).toHaveLength(1);
    expect(dlqAfterFirst).toEqual([]);
    expect(failedRetry).toEqual([]);
    expect(world.lever.state.notes.filter((note) => note.opportunityId === 'opp-ada')).toHaveLength(1);
    expect(world.lever.state.requests.filter((request) => request.status === 401).length).toBeGreaterThan(0);
  });

  it('dead-letters an event refused with the key the secret still holds, as a configuration to fix', async () => {
    // Prepare: the ATS refuses the current key
    world.lever.failNext({
      status: 401,
      times: 1,
      match: (request) => request.query.email === 'bob@example.com',
    });

    // Act
    const failed = await world.invoke(endedFor('bob'), 1);
    const dlq = await world.deadLetters();

    // Assess: one outcome, so a failure shows what happened instead (one fresh-CI run, not reproduced in
    // twelve, saw neither a failure nor a dead letter)
    const bobRequests = world.lever.state.requests
      .filter((request) => request.query.email === 'bob@example.com')
      .map((request) => `${request.method} ${request.path} ${request.status}`);
    expect({ failed, dlq, bobRequests }).toEqual({
      failed: [],
      dlq: [{ errorName: 'AtsPermanentError' }],
      bobRequests: ['GET /v1/opportunities 401'],
    });
  });
});
