/**
 * The vendor's API refusing the worker's key for good, through the local pipeline with the ROUND0 API fake
 * (`interview_ended`): a refusal (403) of one interview's read, then a key the API does not know at all
 * (401). A refused key is not retried: the worker dead-letters the event on its first receive (parked as
 * failed), with nothing written to the ATS — the note must not be written from the webhook alone — and
 * nothing else affected. Once the refusal is fixed, `ops redrive events` brings it home: every effect
 * once, synced from the API's data; a second redrive finds the DLQ empty and a replay of the window
 * repeats nothing.
 * Related, not repeated here: the API down for a window (vendor-api.faults), the ATS refusing an event for
 * good (ats.faults), a key rotated in the secret while the container's cache still held the old one
 * (integration/sync/worker-secret-rotation and worker-vendor-key-rotation).
 */
import { type FakeRound0Api, startFakeRound0Api } from '../../local/fakes/round0-api.js';
import { runOpsCommand } from '../../local/ops.js';
import type { SentEvent } from '../../local/send.js';
import { audit } from './audit.js';
import {
  atsWritesOf,
  completedEffects,
  type FaultsWorld,
  fromTheRound0Api,
  round0EndedServedBy,
  startFaultsWorld,
} from './harness.js';

/** The key the worker is configured with. */
const apiKey = 'round0-faults-key';

let world: FaultsWorld;
let round0Api: FakeRound0Api;
/** The interviews the API serves, kept across its restarts. */
const interviews: Record<string, unknown> = {};
/** Every effect the ATS must have by now, across the scenarios of this file. */
const expectedEffects: string[] = [];

beforeAll(async () => {
  round0Api = await startFakeRound0Api({ apiKey, interviews });
  // Redelivery after 3 s, as in the other fault suites: a refused key is answered at once (a 4xx is never
  // retried in-process), so no invocation here comes near it.
  world = await startFaultsWorld({
    workerVisibilityTimeoutSeconds: 3,
    maxReceiveCount: 10,
    env: { ROUND0_API_BASE_URL: round0Api.url },
    vendorApi: { round0ApiKey: apiKey },
  });
});

afterAll(async () => {
  await world?.stop();
  await round0Api?.close();
});

/** A completed interview's webhook; the API serves its copy. */
const interview = (id: string): Promise<string> => round0EndedServedBy(round0Api, interviews, id);

const dedupeKeyOf = (sent: SentEvent): string => (JSON.parse(sent.body) as { id: string }).id;

/** Delivers a webhook and expects it acknowledged; its dedupe key. */
const deliver = async (webhook: string): Promise<string> => {
  const sent = await world.deliver('round0', webhook);
  expect(sent.status).toBe(202);
  return dedupeKeyOf(sent);
};

/** The ATS writes made for an interview so far, repeats included. */
const writesOf = (id: string) => atsWritesOf(world, id);

const noteOf = (id: string) =>
  writesOf(id).find((write) => write?.type === 'interview-sync.note')?.note?.text;

/** Reads of one interview from the API, as the fake's log has them. */
const readsOf = (id: string) => ({ method: 'GET', path: new RegExp(`/interviews/${id}$`) });

/** The lines `ops parked failed` lists for ROUND0 events (each names its dedupe key and reason). */
const parkedFailed = async (): Promise<string[]> => {
  const parked = await runOpsCommand(['parked', 'failed'], world.dir);
  expect(parked.exitCode).toBe(0);
  return parked.lines.filter((line) => line.includes('  round0  '));
};

describe('the vendor API refusing the key for good (local runtime, ROUND0 API fake)', () => {
  it('dead-letters only the interview whose read is refused, writing nothing of it; redrive syncs it from the API once fixed, each effect once', async () => {
    // Prepare: the API refuses the key for one interview (403) until the refusal is fixed
    const refusedWebhook = await interview('key-403');
    const fineWebhook = await interview('key-fine');
    round0Api.faults.add({
      ...readsOf('key-403'),
      status: 403,
      when: 'before',
      times: Number.MAX_SAFE_INTEGER,
    });
    const since = new Date(Date.now() - 1000).toISOString();

    // Act
    const refused = await deliver(refusedWebhook);
    await deliver(fineWebhook);

    // Assess: the fine one synced, each effect once; the refused one dead-lettered alone, nothing of it
    // written (no status either: enrichment comes before any write), read once (a refused key is not
    // retried), and parked as failed
    expectedEffects.push(...completedEffects('round0', 'key-fine'));
    await audit(world, { effects: expectedEffects, deadLettered: [refused] });
    expect(writesOf('key-403')).toEqual([]);
    expect(round0Api.log.count({ ...readsOf('key-403'), applied: false })).toBe(1);
    expect(noteOf('key-fine')).toContain(fromTheRound0Api);
    expect(await parkedFailed()).toEqual([expect.stringContaining(`  ${refused}  — round0 API refused`)]);

    // Act: the refusal is fixed; the operator redrives the DLQ
    round0Api.faults.clear();
    const redrive = await runOpsCommand(['redrive', 'events'], world.dir);

    // Assess: home, every effect once, the note from the API's data; its parked copy forgotten
    expect(redrive.exitCode).toBe(0);
    expect(redrive.lines[0]).toBe('moved 1 of 1 message(s) from the events DLQ to the events queue');
    expect(redrive.lines).toContain('  1 × round0 API refused the API key (HTTP 403)');
    expectedEffects.push(...completedEffects('round0', 'key-403'));
    await audit(world, { effects: expectedEffects });
    expect(round0Api.log.count(readsOf('key-403'))).toBeGreaterThanOrEqual(1);
    expect(noteOf('key-403')).toContain(fromTheRound0Api);
    expect(await parkedFailed()).toEqual([]);

    // Act: the operator redrives again, then replays the window from the raw event store
    const again = await runOpsCommand(['redrive', 'events'], world.dir);
    const replay = await runOpsCommand(['replay', '--vendor', 'round0', '--since', since], world.dir);

    // Assess: nothing left to move; both deliveries acknowledged as duplicates: no effect
    expect(again.exitCode).toBe(0);
    expect(again.lines[0]).toBe('the events dead-letter queue is empty');
    expect(replay.exitCode).toBe(0);
    expect(replay.lines[0]).toMatch(/^sent 2 round0 event\(s\) to the events queue /);
    await audit(world, { effects: expectedEffects });
  }, 150_000); // above the sum of its waits: a slow run fails with the audit's difference, not jest's timeout

  it('dead-letters an interview while the API does not know the key (401), and redrive syncs it from the API once it does', async () => {
    // Prepare: the API started again on its port, knowing another key than the worker's
    const webhook = await interview('key-401');
    const port = Number(new URL(round0Api.url).port);
    await round0Api.close();
    round0Api = await startFakeRound0Api({ apiKey: 'round0-other-key', interviews, port });

    // Act
    const refused = await deliver(webhook);

    // Assess: dead-lettered on its first read, nothing of it written, nothing else written again
    await audit(world, { effects: expectedEffects, deadLettered: [refused] });
    expect(writesOf('key-401')).toEqual([]);
    expect(round0Api.log.entries.filter((entry) => entry.status === 401)).toHaveLength(1);

    // Act: the API knows the worker's key again; the operator redrives the DLQ
    await round0Api.close();
    round0Api = await startFakeRound0Api({ apiKey, interviews, port });
    const redrive = await runOpsCommand(['redrive', 'events'], world.dir);

    // Assess: home, every effect once, the note from the API's data
    expect(redrive.exitCode).toBe(0);
    expect(redrive.lines[0]).toBe('moved 1 of 1 message(s) from the events DLQ to the events queue');
    expect(redrive.lines).toContain('  1 × round0 API refused the API key (HTTP 401)');
    expectedEffects.push(...completedEffects('round0', 'key-401'));
    await audit(world, { effects: expectedEffects });
    expect(noteOf('key-401')).toContain(fromTheRound0Api);
    expect(await parkedFailed()).toEqual([]);
  }, 150_000); // above the sum of its waits: a slow run fails with the audit's difference, not jest's timeout
});
