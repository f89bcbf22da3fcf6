/**
 * Faults of the ATS, through the whole local pipeline (HTTP → ingest → SQS → worker → generic adapter →
 * Standard Webhooks receiver fake): a window of 500s, a window of 429s with `Retry-After`, and an event the
 * ATS refuses for good — dead-lettered alone, brought home by `ops redrive` once fixed, and left alone by
 * `ops replay` (with `--force`, only writes not recorded yet would be made: there are none).
 * Each scenario ends with the audit (`audit.ts`) over everything sent so far in this file.
 * Related, not repeated here: a worker killed between an ATS write and its record (effects.e2e,
 * effects-generic.e2e), a 502 after the ATS applied a write (same), a 500 mid-event (worker.e2e).
 */
import { runOpsCommand } from '../../local/ops.js';
import type { SentEvent } from '../../local/send.js';
import { eventually } from '../integration/local/factories.js';
import { audit } from './audit.js';
import { completedEffects, type FaultsWorld, round0Ended, startFaultsWorld } from './harness.js';

let world: FaultsWorld;
/** Every effect the ATS must have by now, across the scenarios of this file. */
const expectedEffects: string[] = [];

beforeAll(async () => {
  // Redelivery after 3 s: longer than any invocation here plus the 1 s local long poll (a message's
  // visibility starts when the emulator takes it, up to a second before the worker gets it), as the deployed
  // visibility timeout is longer than the worker's, so no message is ever processed twice at once.
  world = await startFaultsWorld({ workerVisibilityTimeoutSeconds: 3, maxReceiveCount: 10 });
});

afterAll(async () => {
  await world?.stop();
});

const dedupeKeyOf = (sent: SentEvent): string => (JSON.parse(sent.body) as { id: string }).id;

/** Delivers a ROUND0 `interview_ended` of each interview and expects each acknowledged. */
const deliverEnded = async (...interviewIds: string[]): Promise<string[]> => {
  const keys: string[] = [];
  for (const id of interviewIds) {
    const sent = await world.deliver('round0', await round0Ended(id));
    expect(sent.status).toBe(202);
    keys.push(dedupeKeyOf(sent));
  }
  return keys;
};

/** Receiver requests answered by an injected fault of `status`. */
const refusedWith = (status: number) =>
  world.receiver.log.entries.filter((entry) => entry.fault === 'before' && entry.status === status);

describe('faults of the ATS (local runtime, generic adapter, receiver fake)', () => {
  it('writes every effect once when the ATS answers 500 for a window, and dead-letters nothing', async () => {
    // Prepare: every delivery refused with 500 before the receiver applies it, until the window closes
    world.receiver.faults.add({
      method: 'POST',
      status: 500,
      when: 'before',
      times: Number.MAX_SAFE_INTEGER,
    });
    const interviews = ['ats-500-a', 'ats-500-b', 'ats-500-c'];

    // Act: the window lasts until the ATS has refused two writes per event (SQS redelivered them)
    await deliverEnded(...interviews);
    await eventually(() => expect(refusedWith(500).length).toBeGreaterThanOrEqual(6), 20_000);
    world.receiver.faults.clear();

    // Assess
    expectedEffects.push(...interviews.flatMap((id) => completedEffects('round0', id)));
    await audit(world, { effects: expectedEffects });
  }, 150_000); // above the sum of its waits: a slow run fails with the audit's difference, not jest's timeout

  it('sends nothing before a 429’s Retry-After has elapsed, in-process or through the queue, and writes every effect once', async () => {
    // Prepare: a 429 asking for 1 s (waited in-process), another (the second attempt: the worker gives the
    // message back to the queue for 1 s), then one asking for 4 s, longer than the adapter waits in-process
    // and than the queue's 3 s visibility timeout: the worker must delay the redelivery itself
    const askedSeconds = [1, 1, 4];
    for (const retryAfterSeconds of askedSeconds) {
      world.receiver.faults.add({ method: 'POST', status: 429, retryAfterSeconds, when: 'before' });
    }
    const mark = world.receiver.log.entries.length;

    // Act: one interview, so every request after a 429 comes from the client it throttled
    await deliverEnded('ats-429');
    expectedEffects.push(...completedEffects('round0', 'ats-429'));
    await audit(world, { effects: expectedEffects });

    // Assess: on the receiver's clock, each 429 is followed by the next request no sooner than it asked
    const requests = world.receiver.log.entries.slice(mark);
    const waitedMs = requests.flatMap((entry, index) => {
      const next = requests[index + 1];
      return entry.status === 429 && next !== undefined ? [next.at - entry.at] : [];
    });
    expect(waitedMs).toHaveLength(askedSeconds.length);
    askedSeconds.forEach((seconds, index) => {
      expect(waitedMs[index]).toBeGreaterThanOrEqual(seconds * 1000);
    });
  }, 150_000); // above the sum of its waits: a slow run fails with the audit's difference, not jest's timeout

  it('dead-letters only the event the ATS refuses for good; redrive brings it home once fixed, replay repeats nothing', async () => {
    // Prepare: the receiver refuses one interview's note with 422 (a permanent refusal) until it is fixed
    let refusing = true;
    world.receiver.failNext({
      status: 422,
      times: Number.MAX_SAFE_INTEGER,
      match: (delivery) =>
        refusing && (delivery.payload as { eventKey?: string }).eventKey === 'round0:ats-refused:note',
    });
    const since = new Date(Date.now() - 1000).toISOString();

    // Act
    const [refused] = await deliverEnded('ats-refused', 'ats-fine');

    // Assess: only the refused event dead-lettered; its status write (made before the note) stands
    expectedEffects.push(...completedEffects('round0', 'ats-fine'), 'round0:ats-refused:status:completed');
    await audit(world, { effects: expectedEffects, deadLettered: [refused as string] });

    // Act: the ATS is fixed; the operator redrives the DLQ
    refusing = false;
    const redrive = await runOpsCommand(['redrive', 'events'], world.dir);

    // Assess: home, and only the writes it had not made are made
    expect(redrive.exitCode).toBe(0);
    expect(redrive.lines[0]).toBe('moved 1 of 1 message(s) from the events DLQ to the events queue');
    expectedEffects.push('round0:ats-refused:note', `round0:ats-refused:stage:stage-screened`);
    await audit(world, { effects: expectedEffects });

    // Act: the operator replays the window from the raw event store
    const replay = await runOpsCommand(['replay', '--vendor', 'round0', '--since', since], world.dir);

    // Assess: both deliveries sent again and acknowledged as duplicates: no effect
    expect(replay.exitCode).toBe(0);
    expect(replay.lines[0]).toMatch(/^sent 2 round0 event\(s\) to the events queue /);
    await audit(world, { effects: expectedEffects });

    // Act: forced, each gets a new dedupe key and is processed again
    const forced = await runOpsCommand(
      ['replay', '--vendor', 'round0', '--since', since, '--force'],
      world.dir,
    );

    // Assess: processed (their new keys done), but every write was recorded: nothing written again
    expect(forced.lines[0]).toMatch(/^sent 2 round0 event\(s\) to the events queue /);
    const report = await audit(world, { effects: expectedEffects });
    expect([...report.processed].filter((key) => key.includes('#replay-')).sort()).toEqual([
      expect.stringMatching(/^round0:evt_ats-fine#replay-/),
      expect.stringMatching(/^round0:evt_ats-refused#replay-/),
    ]);
  }, 150_000); // above the sum of its waits: a slow run fails with the audit's difference, not jest's timeout
});
