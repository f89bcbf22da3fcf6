/**
 * Every ATS effect exactly once through the generic adapter, end to end through `npm start`'s runtime
 * (HTTP → ingest → SQS → event source → worker) against the Standard Webhooks receiver fake: each write is
 * one signed POST whose `webhook-id` is derived from its effect key, so a retry of a write repeats its id
 * (the receiver deduplicates on it) and two different writes never share one. Covered: a status per step,
 * redelivered vendor events, the worker killed after a status write, the receiver answering 502 after
 * accepting a note, and a micro1 candidate with two reports.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GenericAtsEvent, genericWebhookId } from '../../functions/ats/generic/adapter.js';
import {
  type FakeWebhookReceiver,
  type ReceivedDelivery,
  startFakeWebhookReceiver,
} from '../../local/fakes/webhook-receiver.js';
import { queueDepth } from '../../local/queue-depth.js';
import type { LocalPipeline } from '../../local/runtime.js';
import { eventually } from '../integration/local/factories.js';
import {
  type Fixture,
  type FixtureJson,
  fixtureNamed,
  loadFixtures,
  sendFixture,
  settled,
  startKillablePipeline,
  workerKills,
} from './helpers.js';

/** The receiver's shared secret: `whsec_` and the base64 of 32 random bytes (Standard Webhooks). */
const signingSecret = `whsec_${randomBytes(32).toString('base64')}`;
const hookPath = '/hooks/ats';

/** Keys of the writes the next kill targets; each key is killed once (after its ATS call, before its record). */
const { killOnce, killed, killAfterWrite } = workerKills();
/** One-shot hooks run after the ATS write of a key returned, the worker going on (used to time a fault). */
const afterOnce = new Map<string, () => void>();

let pipeline: LocalPipeline;
let receiver: FakeWebhookReceiver;
let tempDir: string;
let fixtures: Fixture[];

beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'effects-generic-e2e-'));
  fixtures = await loadFixtures();
  receiver = await startFakeWebhookReceiver({ secret: signingSecret });
  pipeline = await startKillablePipeline({
    secretsFile: join(tempDir, 'secrets.local.json'),
    afterWrite: (key) => {
      const hook = afterOnce.get(key);
      afterOnce.delete(key);
      hook?.();
      return killAfterWrite(key);
    },
    env: {
      ATS_ADAPTER: 'generic',
      ATS_CONFIG: JSON.stringify({
        url: `${receiver.url}${hookPath}`,
        http: { maxAttempts: 1, timeoutMs: 1500 },
      }),
    },
    integration: { ats: { signingSecret } },
  });
});

afterAll(async () => {
  await pipeline?.stop();
  await receiver?.close();
  await rm(tempDir, { recursive: true, force: true });
});

/** Sends a fixture with `change` applied to a copy of its JSON. */
const send = (vendor: 'round0' | 'micro1', name: string, change: (json: FixtureJson) => void) =>
  sendFixture(pipeline, fixtureNamed(fixtures, vendor, name), change);

/** A ROUND0 event `name` with event id `eventId` about interview `interviewId`. */
const round0 = (name: 'interview_started' | 'interview_ended', eventId: string, interviewId: string) =>
  send('round0', name, (json) => {
    json.id = eventId;
    json.data.interview.id = interviewId;
  });

/** A micro1 report `reportId` of candidate `cand-john`'s interview `interviewId`, for `applicationId`. */
const micro1Report = (reportId: string, interviewId: string, applicationId: string) =>
  send('micro1', 'interview_report.created', (json) => {
    json.data.report_id = reportId;
    json.data.interview_id = interviewId;
    json.data.candidate_id = 'cand-john';
    json.data.ats_job_application_id = applicationId;
  });

const payloadOf = (delivery: ReceivedDelivery) => delivery.payload as GenericAtsEvent;

/** Every verified delivery the receiver got (repeats included) whose effect key starts with `prefix`. */
const deliveriesOf = (prefix: string) =>
  receiver.state.deliveries.filter((d) => d.verified && payloadOf(d).eventKey.startsWith(prefix));
const ofType = (deliveries: readonly ReceivedDelivery[], type: GenericAtsEvent['type']) =>
  deliveries.filter((d) => payloadOf(d).type === type);

describe('effects end to end (local runtime, generic adapter, Standard Webhooks receiver)', () => {
  it('delivers in_progress and completed under different webhook ids, and one note, each named by its key', async () => {
    // Prepare
    const interview = 'interview-generic-steps';

    // Act
    await round0('interview_started', 'evt_generic_steps_start', interview);
    await settled(pipeline);
    await round0('interview_ended', 'evt_generic_steps_end', interview);
    await settled(pipeline);

    // Assess
    const deliveries = deliveriesOf(`round0:${interview}:`);
    expect(deliveries.every((d) => d.path === hookPath && d.status === 204 && !d.duplicate)).toBe(true);
    const statuses = ofType(deliveries, 'interview-sync.status');
    expect(statuses.map((d) => payloadOf(d).status)).toEqual(['in_progress', 'completed']);
    expect(statuses.map((d) => payloadOf(d).eventKey)).toEqual([
      `round0:${interview}:status:in_progress`,
      `round0:${interview}:status:completed`,
    ]);
    const [started, completed] = statuses as [ReceivedDelivery, ReceivedDelivery];
    expect(started.id).not.toBe(completed.id);
    expect(started.id).toBe(genericWebhookId(`round0:${interview}:status:in_progress`, 'status'));
    expect(completed.id).toBe(genericWebhookId(`round0:${interview}:status:completed`, 'status'));
    const notes = ofType(deliveries, 'interview-sync.note');
    expect(notes).toHaveLength(1);
    expect(payloadOf(notes[0] as ReceivedDelivery).eventKey).toBe(`round0:${interview}:note`);
    expect(payloadOf(notes[0] as ReceivedDelivery).note?.text).toContain(
      `interview-sync:round0:${interview}`,
    );
    // Every write has a webhook id of its own.
    expect(new Set(deliveries.map((d) => d.id)).size).toBe(deliveries.length);
  });

  it('sends nothing more when each ROUND0 event is delivered twice', async () => {
    // Prepare
    const interview = 'interview-generic-twice';
    await round0('interview_started', 'evt_generic_twice_start', interview);
    await settled(pipeline);
    await round0('interview_ended', 'evt_generic_twice_end', interview);
    await settled(pipeline);
    const before = deliveriesOf(`round0:${interview}:`).length;
    const totalBefore = receiver.state.deliveries.length;

    // Act: the same two events again, same event ids
    await round0('interview_started', 'evt_generic_twice_start', interview);
    await round0('interview_ended', 'evt_generic_twice_end', interview);
    await settled(pipeline);

    // Assess
    expect(before).toBeGreaterThanOrEqual(3);
    expect(receiver.state.deliveries).toHaveLength(totalBefore);
    expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.deadLetter)).toBe(0);
  });

  it('re-sends the completed status under the same webhook id after a kill, and the note once', async () => {
    // Prepare: kill after the status write, the first of interview_ended's writes. The note comes after it,
    // so the killed attempt never sent it and the redelivery sends it once. (Killed after the note instead,
    // the retry would post the note again: generic has no `hasNote` to look for it, and relies on the
    // receiver deduplicating on the repeated webhook id; the count of note deliveries would then be two.)
    const interview = 'interview-generic-killed';
    const statusKey = `round0:${interview}:status:completed`;
    killOnce.add('status:completed');

    // Act
    await round0('interview_ended', 'evt_generic_killed', interview);
    await eventually(() => expect(killOnce.size).toBe(0), 60_000);
    await settled(pipeline);

    // Assess
    expect(killed).toEqual(['status:completed']);
    const deliveries = deliveriesOf(`round0:${interview}:`);
    const statuses = ofType(deliveries, 'interview-sync.status');
    expect(statuses.map((d) => [payloadOf(d).eventKey, d.duplicate, d.status])).toEqual([
      [statusKey, false, 204],
      [statusKey, true, 204],
    ]);
    expect(statuses[0]?.id).toBe(genericWebhookId(statusKey, 'status'));
    expect(statuses[1]?.id).toBe(statuses[0]?.id);
    const notes = ofType(deliveries, 'interview-sync.note');
    expect(notes).toHaveLength(1);
    expect(notes[0]?.duplicate).toBe(false);
    expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.deadLetter)).toBe(0);
  });

  it('re-sends a note the receiver accepted but answered 502 for under the same webhook id', async () => {
    // Prepare: the fault is added once the status write (the write before the note) has returned, so the
    // next POST to the receiver is this interview's note and nothing else: every delivery goes to one path,
    // no other event is in flight (each test waits for the queue to drain), and one event's writes are
    // made one after the other.
    const interview = 'interview-generic-502';
    afterOnce.set('status:completed', () =>
      receiver.faults.add({ method: 'POST', path: /^\/hooks\/ats$/, status: 502, when: 'after' }),
    );

    // Act
    await round0('interview_ended', 'evt_generic_502', interview);
    await settled(pipeline);

    // Assess
    expect(afterOnce.size).toBe(0);
    expect(receiver.faults.pending()).toBe(0);
    // The receiver accepted the first note (its own answer, 204, was replaced by the 502 the worker saw).
    expect(receiver.log.entries.filter((e) => e.fault === 'after').map((e) => [e.path, e.status])).toEqual([
      [hookPath, 502],
    ]);
    const notes = ofType(deliveriesOf(`round0:${interview}:`), 'interview-sync.note');
    expect(notes.map((d) => d.duplicate)).toEqual([false, true]);
    expect(notes[0]?.id).toBe(genericWebhookId(`round0:${interview}:note`, 'note'));
    expect(notes[1]?.id).toBe(notes[0]?.id);
    const accepted = receiver.state.accepted.filter(
      (d) =>
        payloadOf(d).eventKey.startsWith(`round0:${interview}:`) &&
        payloadOf(d).type === 'interview-sync.note',
    );
    expect(accepted).toHaveLength(1);
    expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.deadLetter)).toBe(0);
  });

  it('gives each of a micro1 candidate’s two reports its own note on its own application', async () => {
    // Act
    await micro1Report('rep-generic-a', 'interview-generic-a', 'app-generic-a');
    await micro1Report('rep-generic-b', 'interview-generic-b', 'app-generic-b');
    await settled(pipeline);

    // Assess
    const notes = ofType(deliveriesOf('micro1:report:rep-generic-'), 'interview-sync.note');
    const byKey = Object.fromEntries(notes.map((d) => [payloadOf(d).eventKey, d]));
    expect(Object.keys(byKey).sort()).toEqual([
      'micro1:report:rep-generic-a:note',
      'micro1:report:rep-generic-b:note',
    ]);
    expect(notes).toHaveLength(2);
    expect(notes.every((d) => d.status === 204 && !d.duplicate)).toBe(true);
    const a = byKey['micro1:report:rep-generic-a:note'] as ReceivedDelivery;
    const b = byKey['micro1:report:rep-generic-b:note'] as ReceivedDelivery;
    expect(a.id).not.toBe(b.id);
    expect(payloadOf(a).candidate.atsApplicationId).toBe('app-generic-a');
    expect(payloadOf(b).candidate.atsApplicationId).toBe('app-generic-b');
  });
});
