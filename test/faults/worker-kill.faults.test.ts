/**
 * The worker process killed mid-batch (SIGKILL, as when Lambda's sandbox dies), through the local pipeline
 * with the worker's event source in a child process (`worker-process.ts`):
 * - one batch of three events, two of them synced and recorded, the third waiting on an ATS write the
 *   receiver holds. Nothing of the batch was deleted from the queue; a new worker process gets all three
 *   back after the visibility timeout, skips the two done (ledger dedupe) and, once the dead attempt's
 *   claims have expired, makes the third's writes;
 * - killed between an ATS write and its record: the receiver has applied a write and holds its answer, the
 *   worker waits for it and has recorded nothing. The new worker process sends it again under the same
 *   `webhook-id` (it cannot know it landed), and the receiver, which drops a repeated id, keeps it once.
 * The same window on Lever, where a retry looks for the note's marker and reads the stage instead of
 * writing again: worker-kill-lever.faults.test.ts. In-process: effects.e2e, effects-generic.e2e.
 */
import { once } from 'node:events';
import type { GenericAtsEvent } from '../../functions/ats/generic/adapter.js';
import { eventually } from '../integration/local/factories.js';
import { appliedEffects, audit, readLedger } from './audit.js';
import { completedEffects, type FaultsWorld, round0Ended, startFaultsWorld } from './harness.js';
import { workerProcesses } from './worker-processes.js';

const { messagesOnQueue, load: loadWorkerProcess, killAll } = workerProcesses(() => world);

let world: FaultsWorld;
/** Every effect the receiver must have applied by now, across the scenarios of this file. */
const expectedEffects: string[] = [];

beforeAll(async () => {
  world = await startFaultsWorld({
    // The worker runs in child processes only.
    startWorker: false,
    workerVisibilityTimeoutSeconds: 3,
    // Claims of a dead attempt expire before its messages come back, as deployed (lease < visibility).
    env: { CLAIM_LEASE_SECONDS: '2' },
    // The held write stays held until the kill: with the harness's 2 s the worker gave up on it and retried
    // it, and the batch could end before the kill (no longer mid-batch).
    atsTimeoutMs: 30_000,
  });
});

afterAll(async () => {
  killAll();
  await world?.stop();
});

describe('the worker process killed mid-batch (local runtime, worker in a child process)', () => {
  it('loses nothing and writes every effect once when the worker dies with a batch in flight', async () => {
    // Prepare: three events queued while no worker runs; the receiver holds the first write it gets
    const hold = world.receiver.faults.hold({ method: 'POST' });
    const interviews = ['kill-a', 'kill-b', 'kill-c'];
    for (const id of interviews)
      expect((await world.deliver('round0', await round0Ended(id))).status).toBe(202);

    // Act: a worker takes the batch; it is killed once two events are synced and recorded, while the
    // third one's first write is held in the ATS (its successor is loaded meanwhile, not polling yet)
    // The first receives with 15 s: the queue's 3 s could run out on a slow machine before two events are
    // synced, and the batch would come back (to that same worker) before the kill.
    const [first, second] = await Promise.all([loadWorkerProcess(15), loadWorkerProcess()]);
    first.stdin?.write('go\n');
    await hold.reached;
    await eventually(async () => {
      const { doneEvents } = await readLedger(world);
      expect([...world.acknowledged].filter((key) => doneEvents.has(key))).toHaveLength(2);
    }, 20_000);
    const applied = appliedEffects(world);
    // Still mid-batch: the three messages received, none deleted, the third's write held
    expect((await messagesOnQueue()).inFlight).toBe(3);
    first.kill('SIGKILL');
    await once(first, 'exit');

    // Assess: the batch never returned, so none of its messages was deleted: all three come back
    expect(applied).toHaveLength(6);
    await eventually(
      async () => expect(await messagesOnQueue()).toEqual({ visible: 3, inFlight: 0 }),
      30_000,
    );

    // Act: the new worker process polls
    second.stdin?.write('go\n');

    // Assess: all three processed, each write once, nothing dead-lettered
    expectedEffects.push(...interviews.flatMap((id) => completedEffects('round0', id)));
    await audit(world, { effects: expectedEffects });
    second.kill('SIGTERM');
    expect((await once(second, 'exit'))[0]).toBe(0);
  }, 150_000); // above the sum of its waits: a slow run fails with the audit's difference, not jest's timeout

  it('keeps a status write the receiver applied before the worker died unanswered once: sent again under its webhook-id', async () => {
    // Prepare: one event queued while no worker runs; the receiver applies the first write it gets (the
    // status) and holds its answer
    const hold = world.receiver.faults.hold({ method: 'POST', after: 'apply' });
    const interview = 'kill-applied';
    const sent = await world.deliver('round0', await round0Ended(interview));
    expect(sent.status).toBe(202);
    const dedupeKey = (JSON.parse(sent.body) as { id: string }).id;
    const statusEffect = `round0:${interview}:status:completed`;
    const deliveriesOf = (key: string) =>
      world.receiver.state.deliveries.filter(
        (delivery) => delivery.verified && (delivery.payload as GenericAtsEvent).eventKey === key,
      );

    // Act: a worker takes the event; it is killed while it waits for the answer of a write the receiver
    // applied (its successor is loaded meanwhile, not polling yet)
    const [first, second] = await Promise.all([loadWorkerProcess(15), loadWorkerProcess()]);
    first.stdin?.write('go\n');
    await hold.reached;
    // In the window: the receiver applied and kept the status write, sent no answer, and the ledger
    // records neither the write nor the event
    expect(deliveriesOf(statusEffect)).toMatchObject([{ status: 204, duplicate: false }]);
    const [applied] = deliveriesOf(statusEffect);
    expect(world.receiver.state.accepted).toContain(applied);
    const held = world.receiver.log.entries.at(-1);
    expect({ method: held?.method, applied: held?.applied, answered: held?.status !== undefined }).toEqual({
      method: 'POST',
      applied: true,
      answered: false,
    });
    const ledger = await readLedger(world);
    expect({
      recorded: ledger.doneEffects.includes(statusEffect),
      done: ledger.doneEvents.has(dedupeKey),
    }).toEqual({ recorded: false, done: false });
    expect((await messagesOnQueue()).inFlight).toBe(1);
    first.kill('SIGKILL');
    await once(first, 'exit');
    // The receiver answers now, on a connection that died with the worker: the answer is lost
    hold.release();

    // Assess: the message comes back
    await eventually(
      async () => expect(await messagesOnQueue()).toEqual({ visible: 1, inFlight: 0 }),
      30_000,
    );

    // Act: the new worker process polls
    second.stdin?.write('go\n');

    // Assess: processed, each effect kept once by a receiver that drops repeated ids, nothing dead-lettered
    expectedEffects.push(...completedEffects('round0', interview));
    await audit(world, { effects: expectedEffects, byWebhookId: true });
    // Assess: the status write was sent again (the worker cannot know it landed) under its first id
    expect(deliveriesOf(statusEffect).map(({ id, duplicate }) => ({ id, duplicate }))).toEqual([
      { id: applied?.id, duplicate: false },
      { id: applied?.id, duplicate: true },
    ]);
    second.kill('SIGTERM');
    expect((await once(second, 'exit'))[0]).toBe(0);
  }, 150_000); // above the sum of its waits: a slow run fails with the audit's difference, not jest's timeout
});
