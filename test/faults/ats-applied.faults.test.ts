/**
 * The ATS applies a write and its answer is lost (a 500 after the write landed: the fake applies it, then
 * answers 500), through the whole local pipeline with the generic adapter and a Standard Webhooks receiver.
 * The worker cannot know the write landed: it must send it again, under the same `webhook-id`, so that the
 * receiver (which drops a repeated id, as the Standard Webhooks spec asks) keeps each write once. A worker
 * that made a new id per attempt would have the receiver apply the write twice.
 */
import type { GenericAtsEvent } from '../../functions/ats/generic/adapter.js';
import { eventually } from '../integration/local/factories.js';
import { audit } from './audit.js';
import { completedEffects, type FaultsWorld, round0Ended, startFaultsWorld } from './harness.js';

let world: FaultsWorld;

beforeAll(async () => {
  world = await startFaultsWorld({ workerVisibilityTimeoutSeconds: 3, maxReceiveCount: 10 });
});

afterAll(async () => {
  await world?.stop();
});

describe('the ATS applies a write and answers 500 (local runtime, generic adapter, receiver fake)', () => {
  it('sends each such write again under the same webhook-id, so the receiver keeps every effect once', async () => {
    // Prepare: the first three writes are applied, then answered 500
    const lostAnswers = 3;
    world.receiver.faults.add({ method: 'POST', status: 500, when: 'after', times: lostAnswers });
    const interviews = ['applied-500-a', 'applied-500-b'];

    // Act
    for (const id of interviews) {
      expect((await world.deliver('round0', await round0Ended(id))).status).toBe(202);
    }
    await eventually(
      () =>
        expect(
          world.receiver.log.entries.filter((entry) => entry.fault === 'after' && entry.status === 500),
        ).toHaveLength(lostAnswers),
      20_000,
    );

    // Assess: each effect kept once by a receiver that drops repeated ids, nothing lost or dead-lettered
    await audit(world, {
      effects: interviews.flatMap((id) => completedEffects('round0', id)),
      byWebhookId: true,
    });
    // Assess: the writes whose answer was lost were sent again, each under its first id
    const verified = world.receiver.state.deliveries.filter((delivery) => delivery.verified);
    const idsByEffect = new Map<string, Set<string>>();
    for (const delivery of verified) {
      const key = (delivery.payload as GenericAtsEvent).eventKey;
      idsByEffect.set(key, (idsByEffect.get(key) ?? new Set()).add(delivery.id));
    }
    expect([...idsByEffect].filter(([, ids]) => ids.size !== 1)).toEqual([]);
    expect(verified.filter((delivery) => delivery.duplicate)).toHaveLength(lostAnswers);
  }, 150_000); // above the sum of its waits: a slow run fails with the audit's difference, not jest's timeout
});
