/**
 * `syncInterviewEvent` against dynalite and the ATS fakes: every ATS write exactly once, on the right
 * interview, whatever the order, the duplicates, the races and the crashes.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { archiveCompletedEvent, archiveTaskEvent } from '../../../functions/archive/events.js';
import type { ArchiveTask } from '../../../functions/archive/types.js';
import { AtsTransientError } from '../../../functions/ats/errors.js';
import { createAtsAdapter } from '../../../functions/ats/index.js';
import type { AtsLogLine } from '../../../functions/ats/log/adapter.js';
import { emailPseudonym } from '../../../functions/ats/pseudonym.js';
import { notifySlack } from '../../../functions/ats/slack.js';
import type { AtsAdapter } from '../../../functions/ats/types.js';
import { InterviewLedger, interviewStatePk } from '../../../functions/ledger/interview-ledger.js';
import type { CrashPoints } from '../../../functions/sync/apply.js';
import { UnmatchedCandidateError } from '../../../functions/sync/errors.js';
import { classifyFailure } from '../../../functions/sync/failures.js';
import { type SyncDeps, type SyncResult, syncInterviewEvent } from '../../../functions/sync/sync-event.js';
import { type InterviewEvent, parseVendorEvent } from '../../../functions/vendors/index.js';
import { countDynamoDbRequests, totalRequests } from '../../../local/dynamo-request-counter.js';
import { type FakeSlack, startFakeSlack } from '../../../local/fakes/slack.js';
import { type FakeWebhookReceiver, startFakeWebhookReceiver } from '../../../local/fakes/webhook-receiver.js';
import { loadFixtures } from '../../helpers/fixtures.js';
import { type Json, receivedAt, withChanges } from '../../unit/vendors/factories.js';
import {
  aGate,
  anOpportunity,
  completedTag,
  crashingAfterNote,
  envelope,
  eventually,
  inProgressTag,
  ledgerTable,
  round0,
  type SyncWorld,
  sleep,
  startSyncWorld,
  withDelays,
} from './world.js';

const sampleInterview = '660f9511-f30c-52e5-b827-557766551111';
/** The micro1 sample report and the ids its interview's other events are aligned to. */
const micro1Report = 'h0gqkAcaDJ';
const micro1Candidate = '123e4567-e89b-12d3-a456-426614174000';
const micro1Interview = '123e4567-e89b-12d3-a456-426614174000';
const screenPlayer = 'https://zara.micro1.ai/ai-interview-videos/ABCDXYZ';
const webcamPlayer = 'https://zara.micro1.ai/ai-interview-videos/WEBCAM1';

const markerLine = (key: string) => `ref: interview-sync:${key}`;

/** The note bodies of an opportunity (Lever keeps the text in `fields[0].value`). */
const noteBodies = (world: SyncWorld, opportunityId: string) =>
  world.notesOf(opportunityId).map((note) => note.fields.map((field) => field.value).join('\n'));

/** Tag writes on an opportunity, in the order the fake received them. */
const tagWrites = (world: SyncWorld, opportunityId: string) =>
  world.lever.state.requests
    .filter((r) => r.path.startsWith(`/v1/opportunities/${opportunityId}/`) && r.path.endsWith('Tags'))
    .map((r) => `${r.path.endsWith('addTags') ? '+' : '-'}${(r.body as { tags: string[] }).tags.join(',')}`);

const requestsMatching = (world: SyncWorld, method: string, pathPart: string) =>
  world.lever.state.requests.filter((r) => r.method === method && r.path.includes(pathPart));

/** A micro1 event of the sample report's interview (or of `reportId`, with `set` applied). */
const micro1 = (type: string, set: Record<string, Json> = {}): InterviewEvent =>
  envelope('micro1', type, {
    set: {
      ...(type === 'interview.started'
        ? { 'data.interview_id': micro1Interview, 'data.candidate_id': micro1Candidate }
        : { 'data.report_id': micro1Report, 'data.candidate_id': micro1Candidate }),
      ...set,
    },
  });

/** Where an attempt is killed: after a write's claim, just before its ATS call, or right after the call. */
type KillPoint = keyof CrashPoints;

/**
 * `ledger` whose commits go through `commit`, given the commit's number (from 1) and a function that sends
 * it to `ledger`; reads, settles and closes are `ledger`'s own. `commits()`: how many were made.
 */
const withCommits = (
  ledger: InterviewLedger,
  commit: (nth: number, send: () => Promise<boolean>) => Promise<boolean>,
) => {
  let commits = 0;
  const wrapped = Object.assign(Object.create(Object.getPrototypeOf(ledger)), ledger, {
    read: ledger.read.bind(ledger),
    settle: ledger.settle.bind(ledger),
    close: ledger.close.bind(ledger),
    commit: async (...args: Parameters<InterviewLedger['commit']>) => {
      commits += 1;
      return commit(commits, () => ledger.commit(...args));
    },
  }) as InterviewLedger;
  return { ledger: wrapped, commits: () => commits };
};

/**
 * `ledger` whose `nth` commit never answers (the process dies there); the others go through. `commits()`:
 * how many were sent.
 */
const aLedgerDyingAtCommit = (ledger: InterviewLedger, nth: number) =>
  withCommits(ledger, (n, send) => (n === nth ? new Promise<boolean>(() => undefined) : send()));

/** The error of a DynamoDB request whose answer was lost for good (the SDK gave up). */
const answerLost = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });

/** `ledger` whose `nth` commit lands but the caller never hears so (it throws {@link answerLost}). */
const aLedgerLosingTheAnswerOfCommit = (ledger: InterviewLedger, nth: number) =>
  withCommits(ledger, async (n, send) => {
    const committed = await send();
    if (n === nth) throw answerLost();
    return committed;
  }).ledger;

/**
 * Runs `event` in an attempt that is killed at `point` of the write `key` (or the first whose key matches;
 * after its ATS call unless said), then lets its leases run out.
 */
const killedAttempt = async (
  event: InterviewEvent,
  deps: SyncDeps,
  key: string | RegExp,
  leaseMs: number,
  point: KillPoint = 'afterWrite',
): Promise<void> => {
  let reached = false;
  const isKey = (written: string) => (typeof key === 'string' ? written === key : key.test(written));
  void syncInterviewEvent(event, {
    ...deps,
    crashPoints: {
      // The first time the write gets there, the attempt stops for good (a promise never settled).
      [point]: (written: string) => {
        if (!isKey(written) || reached) return undefined;
        reached = true;
        return new Promise<never>(() => undefined);
      },
    },
  });
  await eventually(() => reached, 5000);
  await sleep(leaseMs + 50);
};

/**
 * Every vendor sample as ingest would queue it, plus each ROUND0 sample delivered again later with a new
 * `created` (a redelivery: same event id). micro1's samples give each event type other ids; one interview's
 * events share them, so the session, recording and proctoring samples are aligned to the sample report.
 */
const sampleDeliveries = (): Array<{ label: string; event: InterviewEvent }> => {
  const aligned: Record<string, Record<string, Json>> = {
    'interview.started': { 'data.interview_id': micro1Interview, 'data.candidate_id': micro1Candidate },
    'interview_recording.completed': { 'data.report_id': micro1Report },
    'interview_webcam_recording.completed': {
      'data.report_id': micro1Report,
      'data.interview_webcam_recording_player_url': webcamPlayer,
    },
    'proctoring_score.completed': { 'data.report_id': micro1Report },
  };
  const deliveries = loadFixtures().map((fixture) => {
    const set = fixture.vendor === 'micro1' ? (aligned[fixture.name] ?? {}) : {};
    const parsed = parseVendorEvent(fixture.vendor, withChanges(fixture.body as Json, { set }), receivedAt);
    if (!parsed.ok) throw new Error(`${fixture.path} does not parse`);
    return { label: `${fixture.vendor}/${fixture.name}`, event: parsed.event };
  });
  const redeliveries = loadFixtures()
    .filter((fixture) => fixture.vendor === 'round0')
    .map((fixture) => {
      const body = fixture.body as { created: number };
      const parsed = parseVendorEvent(
        'round0',
        withChanges(fixture.body as Json, { set: { created: body.created + 3600 } }),
        new Date(receivedAt.getTime() + 3_600_000),
      );
      if (!parsed.ok) throw new Error(`${fixture.path} does not parse`);
      return { label: `round0/${fixture.name} (redelivered)`, event: parsed.event };
    });
  return [...deliveries, ...redeliveries];
};

describe('syncInterviewEvent with every vendor sample (dynalite, Lever fake)', () => {
  it('writes each note, part and status once, whatever the order and the duplicates', async () => {
    const deliveries = sampleDeliveries();
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(deliveries, { minLength: deliveries.length, maxLength: deliveries.length }),
        async (order) => {
          // Prepare
          const run = await startSyncWorld();
          try {
            const deps = run.deps();
            const processed: string[] = [];

            // Act
            for (const delivery of order) {
              const outcome = await syncInterviewEvent(delivery.event, deps);
              if (outcome.outcome !== 'duplicate') processed.push(delivery.event.dedupeKey);
            }
            const second = await Promise.all(order.map(({ event }) => syncInterviewEvent(event, deps)));

            // Assess: every event processed once, every later delivery a duplicate
            const keys = new Set(order.map(({ event }) => event.dedupeKey));
            expect(processed.sort()).toEqual([...keys].sort());
            // (micro1's applicant events change nothing the ATS shows: ignored on every delivery)
            expect(second.every((o) => o.outcome === 'duplicate' || o.outcome === 'ignored')).toBe(true);
            expect(noteBodies(run, 'opp-jane')).toEqual([
              expect.stringContaining(markerLine(`round0:${sampleInterview}`)),
            ]);
            expect(noteBodies(run, 'opp-test')).toEqual([
              expect.stringContaining(markerLine('round0:test-interview-id')),
            ]);
            // micro1: one note for the report; each recording's link in exactly one note (the note itself
            // when the recording came first, else its follow-up).
            const micro1Notes = noteBodies(run, 'ABCD1234');
            expect(
              micro1Notes.filter((body) =>
                body.trimEnd().endsWith(markerLine(`micro1:report:${micro1Report}`)),
              ),
            ).toHaveLength(1);
            expect(micro1Notes.filter((body) => body.includes(screenPlayer))).toHaveLength(1);
            expect(micro1Notes.filter((body) => body.includes(webcamPlayer))).toHaveLength(1);
            for (const opportunityId of ['opp-jane', 'opp-test', 'ABCD1234']) {
              expect(run.tagsOf(opportunityId)).toEqual([completedTag]);
              // Once completed, never "in progress" again.
              const writes = tagWrites(run, opportunityId);
              expect(writes.slice(writes.indexOf(`+${completedTag}`))).not.toContain(`+${inProgressTag}`);
            }
          } finally {
            await run.close();
          }
        },
      ),
      { numRuns: 6 },
    );
  });
});

describe('syncInterviewEvent: the right interview, each write named by its content', () => {
  let world: SyncWorld;

  afterEach(async () => {
    await world.close();
  });

  it('gives each of a micro1 candidate’s two interviews its own note and status on its own application', async () => {
    // Prepare: one candidate, two jobs, two reports
    world = await startSyncWorld({
      opportunities: [
        anOpportunity({ id: 'opp-backend', contact: 'contact-john', emails: ['john.doe@micro1.ai'] }),
        anOpportunity({ id: 'opp-frontend', contact: 'contact-john', emails: ['john.doe@micro1.ai'] }),
      ],
    });
    const deps = world.deps();
    const first = micro1('interview_report.created', {
      'data.report_id': 'report-backend',
      'data.ats_job_application_id': 'opp-backend',
      'data.ats_job_id': 'job-backend',
    });
    const second = micro1('interview_report.created', {
      'data.report_id': 'report-frontend',
      'data.interview_id': 'interview-frontend',
      'data.ats_job_application_id': 'opp-frontend',
      'data.ats_job_id': 'job-frontend',
    });

    // Act
    const results = [await syncInterviewEvent(first, deps), await syncInterviewEvent(second, deps)];

    // Assess
    expect(results.map((r) => r.effects)).toEqual([
      { 'status:completed': 'ran', note: 'ran' },
      { 'status:completed': 'ran', note: 'ran' },
    ]);
    expect(noteBodies(world, 'opp-backend')).toEqual([
      expect.stringContaining(markerLine('micro1:report:report-backend')),
    ]);
    expect(noteBodies(world, 'opp-frontend')).toEqual([
      expect.stringContaining(markerLine('micro1:report:report-frontend')),
    ]);
    expect(world.tagsOf('opp-backend')).toEqual([completedTag]);
    expect(world.tagsOf('opp-frontend')).toEqual([completedTag]);
  });

  describe('generic receiver (Standard Webhooks)', () => {
    let receiver: FakeWebhookReceiver;
    let generic: AtsAdapter;
    const secret = `whsec_${Buffer.from('a-32-byte-long-signing-secret!!!').toString('base64')}`;

    beforeEach(async () => {
      world = await startSyncWorld({ leaseMs: 300 });
      receiver = await startFakeWebhookReceiver({ secret });
      generic = createAtsAdapter(
        'generic',
        { url: `${receiver.url}/hooks/ats`, http: { maxAttempts: 1, timeoutMs: 2000 } },
        { signingSecret: secret },
      );
    });

    afterEach(async () => {
      await receiver.close();
    });

    const statusDeliveries = () =>
      receiver.state.deliveries
        .filter((d) => (d.payload as { type?: string }).type === 'interview-sync.status')
        .map((d) => ({ id: d.id, status: (d.payload as { status: string }).status, duplicate: d.duplicate }));

    it('sends "in progress" and "completed" under two webhook ids, so a deduplicating receiver keeps both', async () => {
      // Prepare
      const deps = world.deps({ ats: generic });

      // Act
      await syncInterviewEvent(round0('interview_started'), deps);
      await syncInterviewEvent(round0('interview_ended'), deps);

      // Assess
      const statuses = statusDeliveries();
      expect(statuses.map((s) => s.status)).toEqual(['in_progress', 'completed']);
      // The receiver finds its record by the e-mail the events carry (the ledger never stores it).
      expect(
        receiver.state.deliveries.map(
          (d) => (d.payload as { candidate: { email?: string } }).candidate.email,
        ),
      ).toEqual(['jane@example.com', 'jane@example.com', 'jane@example.com']);
      expect(new Set(statuses.map((s) => s.id)).size).toBe(2);
      expect(statuses.every((s) => !s.duplicate)).toBe(true);
    });

    it('repeats a write’s webhook id when a killed attempt’s write is retried', async () => {
      // Prepare: the attempt dies after the receiver got the status
      const deps = world.deps({ ats: generic });
      const ended = round0('interview_ended');
      await killedAttempt(ended, deps, 'status:completed', 300);

      // Act
      await syncInterviewEvent(ended, deps);

      // Assess: sent twice, same id: the receiver's dedupe drops the repeat
      const statuses = statusDeliveries();
      expect(statuses).toHaveLength(2);
      expect(statuses[0]?.id).toBe(statuses[1]?.id);
      expect(statuses[1]?.duplicate).toBe(true);
    });

    it('sends a part that arrived between a note and its repeat as a follow-up: the receiver keeps the first note', async () => {
      // Prepare: the report's note reaches the receiver, then the attempt crashes; the proctoring score arrives
      const deps = world.deps({ ats: generic });
      const report = envelope('micro1', 'interview_report.created', {
        set: { 'data.report_id': micro1Report, 'data.candidate_id': micro1Candidate },
        remove: ['data.proctoring_score'],
      });
      await expect(
        syncInterviewEvent(report, { ...deps, ats: crashingAfterNote(generic) }),
      ).rejects.toThrow();
      await syncInterviewEvent(micro1('proctoring_score.completed', { 'data.proctoring_score': 91 }), deps);

      // Act: the report is delivered again; the note is sent again (no way to look), under the same id
      await syncInterviewEvent(report, deps);

      // Assess: the repeat, which carries the score, is a duplicate the receiver drops; the score still
      // reaches it, once, in a delivery it keeps
      const kept = receiver.state.accepted.map((delivery) => JSON.stringify(delivery.payload));
      const notes = receiver.state.deliveries.filter(
        (d) => (d.payload as { type?: string }).type === 'interview-sync.note',
      );
      expect(notes.length).toBeGreaterThanOrEqual(2);
      expect(notes[1]?.duplicate).toBe(true);
      expect(kept.filter((payload) => payload.includes('Proctoring score: 91/100'))).toHaveLength(1);
    });
  });
});

describe('syncInterviewEvent: races and late parts (dynalite, Lever fake)', () => {
  let world: SyncWorld;

  beforeEach(async () => {
    world = await startSyncWorld();
  });

  afterEach(async () => {
    await world.close();
  });

  it('still marks the record completed when a recording advanced the interview while the report looked it up', async () => {
    // Prepare: the report's lookup waits until the recording has been processed (the forced interleaving)
    const recordingProcessed = aGate();
    const gated: AtsAdapter = {
      ...world.ats,
      async findApplication(lookup) {
        await recordingProcessed.opened;
        return world.ats.findApplication(lookup);
      },
    };
    const deps = world.deps({ ats: gated });
    const report = micro1('interview_report.created');
    const recording = micro1('interview_recording.completed');

    // Act
    const reporting = syncInterviewEvent(report, deps);
    await sleep(50);
    const recorded = await syncInterviewEvent(recording, deps);
    recordingProcessed.open();
    const reported = await reporting;

    // Assess
    expect(recorded.reason).toContain('awaiting the candidate identity');
    expect(reported.stale).toBe(true);
    expect(reported.effects).toMatchObject({ 'status:completed': 'ran', note: 'ran' });
    expect(world.tagsOf('ABCD1234')).toEqual([completedTag]);
    expect(noteBodies(world, 'ABCD1234')).toEqual([expect.stringContaining(screenPlayer)]);
  });

  it('gives a proctoring score and recordings that arrive after the note one follow-up each', async () => {
    // Prepare
    const deps = world.deps();
    await syncInterviewEvent(micro1('interview_report.created'), deps);
    const late = [
      micro1('proctoring_score.completed', { 'data.proctoring_score': 62 }),
      micro1('interview_recording.completed'),
      micro1('interview_webcam_recording.completed', {
        'data.interview_webcam_recording_player_url': webcamPlayer,
      }),
    ];

    // Act
    const results = [];
    for (const event of late) results.push(await syncInterviewEvent(event, deps));
    for (const event of late) results.push(await syncInterviewEvent(event, deps));

    // Assess
    expect(results.map((r) => r.outcome)).toEqual([
      'synced',
      'synced',
      'synced',
      'duplicate',
      'duplicate',
      'duplicate',
    ]);
    expect(results.slice(0, 3).map((r) => r.effects)).toEqual([
      { 'proctoring:62': 'ran' },
      { 'recording:screen': 'ran' },
      { 'recording:webcam': 'ran' },
    ]);
    const bodies = noteBodies(world, 'ABCD1234');
    expect(bodies).toHaveLength(4);
    expect(bodies.filter((b) => b.includes('Proctoring score: 62/100'))).toHaveLength(1);
    expect(bodies.filter((b) => b.includes(screenPlayer))).toHaveLength(1);
    expect(bodies.filter((b) => b.includes(webcamPlayer))).toHaveLength(1);
    expect(bodies[1]).toContain(markerLine(`micro1:report:${micro1Report}:proctoring:62`));
  });

  it('stops after four rounds when another writer merges a new part during each, the event recorded done', async () => {
    // Prepare: before each of the report's settles, another writer merges a new proctoring score into the
    // item (as a score event would), so each round leaves the report a follow-up to make in the next
    const report = envelope('micro1', 'interview_report.created', {
      set: { 'data.report_id': micro1Report, 'data.candidate_id': micro1Candidate },
      remove: ['data.proctoring_score'],
    });
    const scores = [71, 72, 73, 74, 75, 76, 77, 78];
    const merged: number[] = [];
    const racing = Object.assign(Object.create(Object.getPrototypeOf(world.ledger)), world.ledger, {
      read: world.ledger.read.bind(world.ledger),
      commit: world.ledger.commit.bind(world.ledger),
      close: world.ledger.close.bind(world.ledger),
      settle: async (...args: Parameters<InterviewLedger['settle']>) => {
        const score = scores[merged.length];
        const [vendor, interviewKey] = args;
        const current = await world.ledger.read(vendor, interviewKey);
        if (score !== undefined && current !== undefined) {
          const fields = { ...current.fields, proctoringScore: score };
          if (await world.ledger.commit({ ...current, fields }, current.version)) merged.push(score);
        }
        return world.ledger.settle(...args);
      },
    }) as InterviewLedger;

    // Act
    const reported = await syncInterviewEvent(report, world.deps({ ledger: racing }));

    // Assess: the note and a follow-up in each of rounds 2 to 4, for the score merged during the round before;
    // the fourth round records the event done anyway (the score merged during it is its own event's to post)
    expect(reported.outcome).toBe('synced');
    expect(merged).toEqual([71, 72, 73, 74]);
    expect(reported.effects).toMatchObject({
      'proctoring:71': 'ran',
      'proctoring:72': 'ran',
      'proctoring:73': 'ran',
    });
    expect(reported.effects).not.toHaveProperty(['proctoring:74']);
    const bodies = noteBodies(world, 'ABCD1234');
    expect(bodies).toHaveLength(4);
    expect(bodies.slice(1).map((body) => /Proctoring score: (\d+)/.exec(body)?.[1])).toEqual([
      '71',
      '72',
      '73',
    ]);
    const item = await world.ledger.read('micro1', reported.interviewKey ?? '');
    const records = Object.entries(item?.events ?? {}).filter(([key]) => key.includes('interview_report'));
    expect(records.map(([, record]) => record.done)).toEqual([true]);
  });

  it('includes parts that arrived before the report in its note, with no follow-up', async () => {
    // Prepare
    const deps = world.deps();
    await syncInterviewEvent(micro1('proctoring_score.completed', { 'data.proctoring_score': 62 }), deps);
    await syncInterviewEvent(micro1('interview_recording.completed'), deps);

    // Act
    const reported = await syncInterviewEvent(micro1('interview_report.created'), deps);

    // Assess
    expect(reported.effects).toEqual({ 'status:completed': 'ran', note: 'ran' });
    const [note] = noteBodies(world, 'ABCD1234');
    expect(noteBodies(world, 'ABCD1234')).toHaveLength(1);
    expect(note).toContain('Proctoring score: 62/100');
    expect(note).toContain(screenPlayer);
  });

  it('writes nothing for a late interview_started, not even a lookup', async () => {
    // Prepare
    const deps = world.deps();
    await syncInterviewEvent(round0('interview_ended'), deps);
    const requestsBefore = world.lever.state.requests.length;

    // Act
    const late = await syncInterviewEvent(round0('interview_started'), deps);

    // Assess
    expect(late).toMatchObject({ stale: true, advanced: false, effects: {} });
    expect(world.lever.state.requests.slice(requestsBefore)).toEqual([]);
    expect(world.tagsOf('opp-jane')).toEqual([completedTag]);
  });

  it('lets a micro1 report close its session, so a late interview.started writes no "in progress"', async () => {
    // Prepare
    const deps = world.deps();
    await syncInterviewEvent(micro1('interview_report.created'), deps);
    const requestsBefore = world.lever.state.requests.length;

    // Act
    const late = await syncInterviewEvent(micro1('interview.started'), deps);

    // Assess
    expect(late.effects).toEqual({});
    expect(world.lever.state.requests.slice(requestsBefore)).toEqual([]);
    expect(world.tagsOf('ABCD1234')).toEqual([completedTag]);
  });

  it('ends "completed" however interview_started and interview_ended interleave', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          inProgressDelay: fc.nat(40),
          completedDelay: fc.nat(40),
          lookupDelays: fc.array(fc.nat(20), { minLength: 2, maxLength: 2 }),
          endedFirst: fc.boolean(),
        }),
        async ({ inProgressDelay, completedDelay, lookupDelays, endedFirst }) => {
          // Prepare
          round += 1;
          const opportunityId = `opp-round-${round}`;
          const email = `round-${round}@example.com`;
          world.lever.state.opportunities.push(
            anOpportunity({ id: opportunityId, contact: `contact-${round}`, emails: [email] }),
          );
          const lookups = [...lookupDelays];
          const ats = withDelays(world.ats, (call) =>
            call.method === 'findApplication'
              ? (lookups.shift() ?? 0)
              : call.status === 'in_progress'
                ? inProgressDelay
                : completedDelay,
          );
          const deps = world.deps({ ats });
          const interviewId = `int-round-${round}`;
          const started = round0('interview_started', { eventId: `evt_s${round}`, interviewId, email });
          const ended = round0('interview_ended', { eventId: `evt_e${round}`, interviewId, email });
          const events = endedFirst ? [ended, started] : [started, ended];

          // Act: a busy status makes an attempt retry, as SQS would redeliver it
          const settle = async (event: InterviewEvent): Promise<SyncResult> => {
            for (;;) {
              try {
                return await syncInterviewEvent(event, deps);
              } catch (error) {
                if ((error as Error).name !== 'EffectBusyError') throw error;
              }
            }
          };
          await Promise.all(events.map(settle));

          // Assess
          expect(world.tagsOf(opportunityId)).toEqual([completedTag]);
          const writes = tagWrites(world, opportunityId);
          expect(writes.slice(writes.indexOf(`+${completedTag}`))).not.toContain(`+${inProgressTag}`);
          expect(world.notesOf(opportunityId)).toHaveLength(1);
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('syncInterviewEvent after a crash (dynalite, ATS fakes)', () => {
  const leaseMs = 300;
  let world: SyncWorld;

  beforeEach(async () => {
    world = await startSyncWorld({ leaseMs });
  });

  afterEach(async () => {
    await world.close();
  });

  it('finds the note an attempt killed after posting it had posted, instead of posting it again', async () => {
    // Prepare
    const deps = world.deps();
    const ended = round0('interview_ended');
    await killedAttempt(ended, deps, 'note', leaseMs);
    expect(world.notesOf('opp-jane')).toHaveLength(1);

    // Act
    const retry = await syncInterviewEvent(ended, deps);

    // Assess
    expect(retry.effects.note).toBe('found');
    expect(world.notesOf('opp-jane')).toHaveLength(1);
    // One look by each attempt: the first because the ledger had no record of the interview yet, the
    // retry because the first never recorded the note's end.
    expect(requestsMatching(world, 'GET', '/opportunities/opp-jane/notes')).toHaveLength(2);
  });

  it('posts the note once after a kill between its claim and its call', async () => {
    // Prepare
    const deps = world.deps();
    const ended = round0('interview_ended');
    await killedAttempt(ended, deps, 'note', leaseMs, 'beforeWrite');
    expect(world.notesOf('opp-jane')).toHaveLength(0);

    // Act
    const retry = await syncInterviewEvent(ended, deps);

    // Assess
    expect(retry.outcome).toBe('synced');
    expect(retry.effects.note).toBe('ran');
    expect(world.notesOf('opp-jane')).toHaveLength(1);
    expect(world.tagsOf('opp-jane')).toEqual([completedTag]);
  });

  it('posts the follow-up a found note lacks after a crash between its rounds', async () => {
    // Prepare: the report's note lands but its answer is lost (recorded failed, without the proctoring
    // score); the score arrives and merges; the report's retry finds its note, settles, and dies at the
    // commit that would claim the follow-up; its leases run out
    const deps = world.deps();
    const report = envelope('micro1', 'interview_report.created', {
      set: { 'data.report_id': micro1Report, 'data.candidate_id': micro1Candidate },
      remove: ['data.proctoring_score'],
    });
    await expect(
      syncInterviewEvent(report, { ...deps, ats: crashingAfterNote(world.ats) }),
    ).rejects.toThrow();
    await syncInterviewEvent(micro1('proctoring_score.completed', { 'data.proctoring_score': 91 }), deps);
    const dying = aLedgerDyingAtCommit(world.ledger, 2);
    void syncInterviewEvent(report, { ...deps, ledger: dying.ledger });
    await eventually(() => dying.commits() === 2, 5000);
    await sleep(leaseMs + 50);

    // Act: SQS delivers the report again
    const retry = await syncInterviewEvent(report, deps);

    // Assess
    expect(retry.outcome).toBe('synced');
    expect(retry.effects).toEqual({ 'proctoring:91': 'ran' });
    const bodies = noteBodies(world, 'ABCD1234');
    expect(bodies).toHaveLength(2);
    expect(bodies.filter((body) => body.includes('Proctoring score: 91/100'))).toHaveLength(1);
  });

  it('posts the note once when its answer is lost (a 500 after Lever stored it)', async () => {
    // Prepare: Lever's own error after storing the note (it is done with the request: no settling time)
    world.lever.faults.add({ method: 'POST', path: /\/notes$/, status: 500, when: 'after' });
    const deps = world.deps();
    const ended = round0('interview_ended');
    await expect(syncInterviewEvent(ended, deps)).rejects.toThrow();

    // Act
    const retry = await syncInterviewEvent(ended, deps);

    // Assess
    expect(retry.effects).toEqual({ note: 'found' });
    expect(world.notesOf('opp-jane')).toHaveLength(1);
  });

  it('gives back its claims when its claim commit landed but its answer was lost for good, so the redelivery goes on at once', async () => {
    // Prepare: the interview is known (its start synced); the commit that claims the end's status and note
    // lands, and the attempt never hears so
    const deps = world.deps();
    await syncInterviewEvent(round0('interview_started'), deps);
    const losingLedger = aLedgerLosingTheAnswerOfCommit(world.ledger, 1);
    const ended = round0('interview_ended');
    await expect(syncInterviewEvent(ended, { ...deps, ledger: losingLedger })).rejects.toMatchObject({
      name: 'TimeoutError',
    });

    // Act: SQS delivers it again at once, well within the lease
    const retry = await syncInterviewEvent(ended, deps);

    // Assess: nothing was tried, so nothing is checked: the writes are made, once
    expect(retry.effects).toMatchObject({ 'status:completed': 'ran', note: 'ran' });
    expect(world.notesOf('opp-jane')).toHaveLength(1);
    expect(requestsMatching(world, 'GET', '/opportunities/opp-jane/notes')).toHaveLength(0);
  });

  it('posts the note once when its call timed out and lands late, even for a duplicate delivery arriving meanwhile', async () => {
    // Prepare: Lever holds the note's POST past the client's timeout (2 s here); the attempt fails unanswered
    const held = world.lever.faults.hold({ method: 'POST', path: /\/notes$/ });
    const deps = world.deps({ options: { unansweredSettleMs: 1_500, waitMs: 200 } });
    const ended = round0('interview_ended');
    await expect(syncInterviewEvent(ended, deps)).rejects.toMatchObject({ name: 'AtsTransientError' });

    // Act: a duplicate delivery at once, while the note is still on its way; then the note lands; then a
    // delivery once the unanswered call has had its time
    const duplicate = await syncInterviewEvent(ended, deps).catch((error: Error) => error.name);
    const notesWhileOnItsWay = world.notesOf('opp-jane').length;
    held.release();
    await eventually(() => world.notesOf('opp-jane').length === 1, 3000);
    await sleep(1_500);
    const later = await syncInterviewEvent(ended, deps);

    // Assess: the duplicate waited instead of checking for the note and posting it again
    expect(duplicate).toBe('EffectBusyError');
    expect(notesWhileOnItsWay).toBe(0);
    expect(later.effects.note).toBe('found');
    expect(world.notesOf('opp-jane')).toHaveLength(1);
  });

  it('holds the next status while an unanswered status request may still land, so "completed" is the last', async () => {
    // Prepare: Lever holds the first addTags ("in progress") past the client's timeout (2 s here); the
    // attempt fails unanswered, with no resend of its own that could succeed and hide it
    const held = world.lever.faults.hold({ method: 'POST', path: /\/addTags$/ });
    // Settling long enough that the end, tried at once, meets it on a loaded machine too
    const settleMs = 5_000;
    const deps = world.deps({ options: { unansweredSettleMs: settleMs, waitMs: 200 } });
    const started = round0('interview_started');
    const ended = round0('interview_ended');
    await expect(syncInterviewEvent(started, deps)).rejects.toMatchObject({ name: 'AtsTransientError' });

    // Act: the end at once, while the tag is on its way; the tag lands; both events retried once settled
    const endedAtOnce = await syncInterviewEvent(ended, deps).catch((error: Error) => error.name);
    held.release();
    await eventually(() => world.tagsOf('opp-jane').includes(inProgressTag), 3000);
    await sleep(settleMs);
    const endedLater = await syncInterviewEvent(ended, deps);
    await syncInterviewEvent(started, deps);

    // Assess: the end waited for the start's tag to land, then replaced it
    expect(endedAtOnce).toBe('EffectBusyError');
    expect(endedLater.effects['status:completed']).toBe('ran');
    expect(world.tagsOf('opp-jane')).toEqual([completedTag]);
  });

  it('moves the stage once after a kill between the move and its record, and never from another stage', async () => {
    // Prepare
    const deps = world.deps({ options: { completedStageId: 'stage-screened' } });
    await syncInterviewEvent(round0('interview_started'), deps);
    const ended = round0('interview_ended');
    await killedAttempt(ended, deps, 'stage:stage-screened', leaseMs);

    // Act
    const retry = await syncInterviewEvent(ended, deps);

    // Assess
    expect(retry.effects['stage:stage-screened']).toBe('already-there');
    expect(requestsMatching(world, 'PUT', '/stage')).toHaveLength(1);
    expect(world.lever.state.opportunities.find((o) => o.id === 'opp-jane')?.stage).toBe('stage-screened');
  });

  it('makes a stage move killed between its claim and its call once its lease is out', async () => {
    // Prepare
    const deps = world.deps({ options: { completedStageId: 'stage-screened' } });
    await syncInterviewEvent(round0('interview_started'), deps);
    const opportunity = world.lever.state.opportunities.find((o) => o.id === 'opp-jane');
    const before = opportunity?.stage;
    const ended = round0('interview_ended');
    await killedAttempt(ended, deps, 'stage:stage-screened', leaseMs, 'beforeWrite');
    expect(requestsMatching(world, 'PUT', '/stage')).toHaveLength(0);

    // Act
    const retry = await syncInterviewEvent(ended, deps);

    // Assess
    expect(before).not.toBe('stage-screened');
    expect(retry.effects['stage:stage-screened']).toBe('ran');
    expect(requestsMatching(world, 'PUT', '/stage')).toHaveLength(1);
    expect(opportunity?.stage).toBe('stage-screened');
  });

  it('leaves a stage a recruiter chose after the interview started', async () => {
    // Prepare
    const deps = world.deps({ options: { completedStageId: 'stage-screened' } });
    await syncInterviewEvent(round0('interview_started'), deps);
    const opportunity = world.lever.state.opportunities.find((o) => o.id === 'opp-jane');
    if (opportunity === undefined) throw new Error('no opp-jane');
    opportunity.stage = 'stage-onsite';

    // Act
    const ended = await syncInterviewEvent(round0('interview_ended'), deps);

    // Assess
    expect(ended.effects['stage:stage-screened']).toBe('moved-on');
    expect(requestsMatching(world, 'PUT', '/stage')).toHaveLength(0);
    expect(opportunity.stage).toBe('stage-onsite');
  });

  it('re-applies a status after a kill, ending in the same tags (tags are idempotent)', async () => {
    // Prepare
    const deps = world.deps();
    const ended = round0('interview_ended');
    await killedAttempt(ended, deps, 'status:completed', leaseMs);

    // Act
    await syncInterviewEvent(ended, deps);

    // Assess
    expect(world.tagsOf('opp-jane')).toEqual([completedTag]);
    expect(world.notesOf('opp-jane')).toHaveLength(1);
  });

  it('posts a follow-up killed between its claim and its call once', async () => {
    // Prepare
    const deps = world.deps();
    await syncInterviewEvent(micro1('interview_report.created'), deps);
    const recording = micro1('interview_recording.completed');
    await killedAttempt(recording, deps, 'recording:screen', leaseMs, 'beforeWrite');
    expect(noteBodies(world, 'ABCD1234').filter((b) => b.includes(screenPlayer))).toHaveLength(0);

    // Act
    const retry = await syncInterviewEvent(recording, deps);

    // Assess
    expect(retry.effects).toEqual({ 'recording:screen': 'ran' });
    expect(noteBodies(world, 'ABCD1234').filter((b) => b.includes(screenPlayer))).toHaveLength(1);
  });

  it('posts a follow-up once after a kill between the post and its record', async () => {
    // Prepare
    const deps = world.deps();
    await syncInterviewEvent(micro1('interview_report.created'), deps);
    const recording = micro1('interview_recording.completed');
    await killedAttempt(recording, deps, 'recording:screen', leaseMs);

    // Act
    const retry = await syncInterviewEvent(recording, deps);

    // Assess
    expect(retry.effects).toEqual({ 'recording:screen': 'found' });
    expect(noteBodies(world, 'ABCD1234').filter((b) => b.includes(screenPlayer))).toHaveLength(1);
  });

  it('keeps the note’s record as long as the interview: a re-sent interview_ended after the event dedupe is gone posts nothing', async () => {
    // Prepare: the note is posted; later the interview's item is gone (expired) and the vendor re-sends
    const deps = world.deps();
    await syncInterviewEvent(round0('interview_ended'), deps);
    const resent = round0('interview_ended', { eventId: 'evt_resent_months_later' });
    const afterExpiry = () =>
      world.dynamo.client.send(
        new DeleteCommand({
          TableName: ledgerTable,
          Key: { pk: interviewStatePk('round0', sampleInterview), sk: 'STATE' },
        }),
      );

    // Act
    const sameItem = await syncInterviewEvent(resent, deps);
    await afterExpiry();
    const expiredItem = await syncInterviewEvent(round0('interview_ended', { eventId: 'evt_third' }), deps);

    // Assess
    expect(sameItem.effects).toEqual({});
    expect(expiredItem.effects.note).toBe('found');
    expect(world.notesOf('opp-jane')).toHaveLength(1);
  });

  it('checks for the note after an expired item’s first attempt failed before posting it: it may date from the item’s earlier life', async () => {
    // Prepare: the note is posted; the item expires; the vendor re-sends and the status write fails first
    const ats = createAtsAdapter(
      'lever',
      {
        baseUrl: `${world.lever.url}/v1`,
        performAs: 'user-1',
        rateLimit: { perSecond: 1000, burst: 1000, maxConcurrent: 8 },
        http: { timeoutMs: 2000, maxAttempts: 1, baseDelayMs: 1 },
      },
      { apiKey: 'lever-key' },
    );
    const deps = world.deps({ ats });
    await syncInterviewEvent(round0('interview_ended'), deps);
    await world.dynamo.client.send(
      new DeleteCommand({
        TableName: ledgerTable,
        Key: { pk: interviewStatePk('round0', sampleInterview), sk: 'STATE' },
      }),
    );
    const resent = round0('interview_ended', { eventId: 'evt_resent_months_later' });
    world.lever.faults.add({ method: 'POST', path: /addTags$/, status: 503, when: 'before' });
    await expect(syncInterviewEvent(resent, deps)).rejects.toMatchObject({ name: 'AtsTransientError' });

    // Act
    const retry = await syncInterviewEvent(resent, deps);

    // Assess
    expect(retry.effects).toMatchObject({ 'status:completed': 'ran', note: 'found' });
    expect(world.notesOf('opp-jane')).toHaveLength(1);
  });

  it('keeps the claims of a lost claim commit that created an expired interview’s item again, so the redelivery checks for the note', async () => {
    // Prepare: the note is posted; the item expires; the vendor re-sends, and the commit that creates the
    // item again (claiming the status and the note) lands but its answer is lost for good
    const deps = world.deps();
    await syncInterviewEvent(round0('interview_ended'), deps);
    await world.dynamo.client.send(
      new DeleteCommand({
        TableName: ledgerTable,
        Key: { pk: interviewStatePk('round0', sampleInterview), sk: 'STATE' },
      }),
    );
    const resent = round0('interview_ended', { eventId: 'evt_resent_months_later' });
    const losingLedger = aLedgerLosingTheAnswerOfCommit(world.ledger, 1);
    await expect(syncInterviewEvent(resent, { ...deps, ledger: losingLedger })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    await sleep(leaseMs + 50);

    // Act: SQS delivers it again once the claims' lease is out
    const retry = await syncInterviewEvent(resent, deps);

    // Assess: the claims were left unfinished, so the note of the item's earlier life is looked for and found
    expect(retry.effects.note).toBe('found');
    expect(world.notesOf('opp-jane')).toHaveLength(1);
  });
});

describe('syncInterviewEvent: exactly once under generated faults (dynalite, Lever and Slack fakes)', () => {
  // Short times so each generated run takes about a second, in the deployed order: the Lever calls' timeout;
  // the lease of an attempt's claims, past any call (deployed: 120 s against 10 s calls and a 60 s worker);
  // the settling time of an unanswered call, past the latest late landing below.
  const atsTimeoutMs = 300;
  const leaseMs = 1_000;
  const latestLandingMs = 600;
  const settleMs = 800;
  let world: SyncWorld;
  let slack: FakeSlack;

  beforeEach(async () => {
    world = await startSyncWorld({ leaseMs });
    slack = await startFakeSlack();
  });

  afterEach(async () => {
    await slack.close();
    await world.close();
  });

  type LedgerFault = { commit: number; kind: 'lands, answer lost' | 'not sent' };
  type NoteFault =
    | { kind: 'none' }
    | { kind: 'no answer, lands late'; landsAfterMs: number }
    | { kind: 'answered after storing'; status: 500 | 502 };

  /** Faults that fired, by kind: a generated case whose fault never fires proves nothing. */
  const fired = new Map<string, number>();
  const count = (kind: string) => fired.set(kind, (fired.get(kind) ?? 0) + 1);

  /** The ledger of the first attempt: its `commit`-th commit fails as `kind` says (DynamoDB lost). */
  const faultyLedger = (fault: LedgerFault) =>
    withCommits(world.ledger, async (n, send) => {
      if (n !== fault.commit) return send();
      if (fault.kind === 'lands, answer lost' && !(await send())) return false;
      count(`commit ${fault.commit}: ${fault.kind}`);
      throw answerLost();
    }).ledger;

  it('writes the status, posts the note and sends the notification once each, whatever fails and however duplicates overlap', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          // Always one (runs without are other tests' business): the first delivery commits twice when
          // nothing races it, its claims and then its notification's (only once its note went through,
          // hence the second more often).
          ledgerFault: fc.record({
            commit: fc.constantFrom(1, 2, 2),
            kind: fc.constantFrom('lands, answer lost' as const, 'not sent' as const),
          }),
          noteFault: fc.oneof(
            fc.constant<NoteFault>({ kind: 'none' }),
            fc
              .integer({ min: atsTimeoutMs + 50, max: latestLandingMs })
              .map((landsAfterMs): NoteFault => ({ kind: 'no answer, lands late', landsAfterMs })),
            fc
              .constantFrom(500 as const, 502 as const)
              .map((status): NoteFault => ({ kind: 'answered after storing', status })),
          ),
          duplicateDelaysMs: fc.array(fc.nat(400), { maxLength: 3 }),
          started: fc.boolean(),
        }),
        async ({ ledgerFault, noteFault, duplicateDelaysMs, started }) => {
          // Prepare: an interview of its own; its start synced or not; the faults armed
          run += 1;
          const opportunityId = `opp-faults-${run}`;
          const email = `faults-${run}@example.com`;
          world.lever.state.opportunities.push(
            anOpportunity({ id: opportunityId, contact: `contact-faults-${run}`, emails: [email] }),
          );
          const ats = createAtsAdapter(
            'lever',
            {
              baseUrl: `${world.lever.url}/v1`,
              performAs: 'user-1',
              rateLimit: { perSecond: 1000, burst: 1000, maxConcurrent: 8 },
              http: { timeoutMs: atsTimeoutMs, maxAttempts: 2, baseDelayMs: 1 },
            },
            { apiKey: 'lever-key' },
          );
          const deps = world.deps({
            ats,
            notify: (notification) =>
              notifySlack(slack.webhookUrl, notification, {
                minIntervalMs: 0,
                baseDelayMs: 1,
                maxAttempts: 3,
              }),
            options: { unansweredSettleMs: settleMs, waitMs: 100 },
          });
          const interviewId = `int-faults-${run}`;
          if (started)
            await syncInterviewEvent(
              round0('interview_started', { eventId: `evt_fs${run}`, interviewId, email }),
              deps,
            );
          const messagesBefore = slack.state.messages.length;
          const ended = round0('interview_ended', { eventId: `evt_fe${run}`, interviewId, email });
          const notesPath = new RegExp(`/opportunities/${opportunityId}/notes$`);
          const landing =
            noteFault.kind === 'no answer, lands late'
              ? (() => {
                  const held = world.lever.faults.hold({ method: 'POST', path: notesPath });
                  // Released in any case: a run that never posts the note (a bug) fails on the count below.
                  const giveUp = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
                  return Promise.race([held.reached.then(() => count('note: no answer, lands late')), giveUp])
                    .then(() => sleep(noteFault.landsAfterMs))
                    .then(() => held.release());
                })()
              : undefined;
          if (noteFault.kind === 'answered after storing')
            world.lever.faults.add({
              method: 'POST',
              path: notesPath,
              status: noteFault.status,
              when: 'after',
            });

          // Act: the first delivery with the faulty ledger, its duplicates with a sound one; each is
          // delivered again, as SQS would, until it is done
          const deliver = async (faulty: boolean, delayMs: number) => {
            await sleep(delayMs);
            const deadline = Date.now() + 20_000;
            let attemptDeps = faulty ? { ...deps, ledger: faultyLedger(ledgerFault) } : deps;
            for (;;) {
              try {
                return (await syncInterviewEvent(ended, attemptDeps)).outcome;
              } catch (error) {
                // What the worker would dead-letter is a failure here, not a reason to try again.
                if (classifyFailure(error).kind !== 'transient' || Date.now() > deadline) throw error;
                attemptDeps = deps;
                await sleep(50);
              }
            }
          };
          const outcomes = await Promise.all([
            deliver(true, 0),
            ...duplicateDelaysMs.map((delayMs) => deliver(false, delayMs)),
          ]);
          await landing;
          world.lever.faults.clear();

          // Assess: one note, "completed" only, one announcement of it
          expect(outcomes.every((outcome) => outcome === 'synced' || outcome === 'duplicate')).toBe(true);
          expect(world.notesOf(opportunityId)).toHaveLength(1);
          expect(world.tagsOf(opportunityId)).toEqual([completedTag]);
          expect(slack.state.messages.slice(messagesBefore).map((m) => m.text)).toEqual([
            'Jane Smith (Senior Frontend Developer): AI screening completed',
          ]);
        },
      ),
      { numRuns: 30 },
    );

    // Assess: the faults did fire — each kind of the first commit, a notification claim's commit (raced by
    // a duplicate it does not happen), a note landing late — in some case
    const kinds = [...fired.keys()];
    expect(kinds).toEqual(
      expect.arrayContaining([
        'commit 1: lands, answer lost',
        'commit 1: not sent',
        'note: no answer, lands late',
      ]),
    );
    expect(kinds.filter((kind) => kind.startsWith('commit 2:'))).not.toEqual([]);
  }, 120_000);
});

/** The Lever adapter on `world`'s fake, adding links (one attempt per call, no waiting). */
const leverAddingLinks = (world: SyncWorld, timeoutMs = 2000) =>
  createAtsAdapter(
    'lever',
    {
      baseUrl: `${world.lever.url}/v1`,
      performAs: 'user-1',
      addLinks: true,
      rateLimit: { perSecond: 1000, burst: 1000, maxConcurrent: 8 },
      http: { timeoutMs, maxAttempts: 1, baseDelayMs: 1 },
    },
    { apiKey: 'lever-key' },
  );

describe('syncInterviewEvent: Lever links (own effect)', () => {
  let world: SyncWorld;

  beforeEach(async () => {
    world = await startSyncWorld();
  });

  afterEach(async () => {
    await world.close();
  });

  it('adds the links after a failed addLinks without posting the note again', async () => {
    // Prepare
    const ats = leverAddingLinks(world);
    const deps = world.deps({ ats });
    world.lever.faults.add({ method: 'POST', path: /addLinks$/, status: 500, when: 'before' });
    const report = micro1('interview_report.created');
    await expect(syncInterviewEvent(report, deps)).rejects.toThrow();

    // Act
    const retry = await syncInterviewEvent(report, deps);

    // Assess
    expect(Object.entries(retry.effects)).toEqual([[expect.stringMatching(/^links:/), 'ran']]);
    expect(world.notesOf('ABCD1234')).toHaveLength(1);
    const opportunity = world.lever.state.opportunities.find((o) => o.id === 'ABCD1234');
    expect(opportunity?.links).toEqual(['https://micro1.ai/report/h0gqkAcaDJ.pdf']);
  });

  it('adds no link twice after a kill between addLinks and its record', async () => {
    // Prepare: a world of its own, with short leases
    const leaseMs = 300;
    const killWorld = await startSyncWorld({ leaseMs });
    try {
      const ats = leverAddingLinks(killWorld);
      const deps = killWorld.deps({ ats });
      const report = micro1('interview_report.created');
      await killedAttempt(report, deps, /^links:/, leaseMs);
      const addLinks = () => killWorld.lever.state.requests.filter((r) => r.path.endsWith('/addLinks'));
      expect(addLinks()).toHaveLength(1);

      // Act
      const retry = await syncInterviewEvent(report, deps);

      // Assess: the round's writes were all unfinished: the note was found, and the links read, none
      // missing, so none added
      expect(retry.effects).toMatchObject({ 'status:completed': 'ran', note: 'found' });
      expect(addLinks()).toHaveLength(1);
      const opportunity = killWorld.lever.state.opportunities.find((o) => o.id === 'ABCD1234');
      expect(opportunity?.links).toEqual(['https://micro1.ai/report/h0gqkAcaDJ.pdf']);
      expect(killWorld.notesOf('ABCD1234')).toHaveLength(1);
    } finally {
      await killWorld.close();
    }
  });

  it("adds a recording's links while another set is being added only once that one is done: no link twice", async () => {
    // Prepare: the note and the report's link written; the screen recording's links write is held at its
    // POST, after it read which links the record lacks
    const ats = leverAddingLinks(world, 5000);
    const deps = world.deps({ ats, options: { waitMs: 300 } });
    await syncInterviewEvent(micro1('interview_report.created'), deps);
    const hold = world.lever.faults.hold({ method: 'POST', path: /addLinks$/ });
    const recording = syncInterviewEvent(micro1('interview_recording.completed'), deps);
    await hold.reached;
    const webcam = micro1('interview_webcam_recording.completed', {
      'data.interview_webcam_recording_player_url': webcamPlayer,
    });

    // Act: the webcam's links while the screen's are in flight, then again once they landed
    const whileHeld = syncInterviewEvent(webcam, deps);
    const busy = await whileHeld.then(
      () => 'synced',
      (error: Error) => error.name,
    );
    hold.release();
    await recording;
    const retried = await syncInterviewEvent(webcam, deps);

    // Assess: each link once
    expect(busy).toBe('EffectBusyError');
    expect(retried.outcome).toBe('synced');
    const opportunity = world.lever.state.opportunities.find((o) => o.id === 'ABCD1234');
    expect(opportunity?.links).toEqual([
      'https://micro1.ai/report/h0gqkAcaDJ.pdf',
      screenPlayer,
      webcamPlayer,
    ]);
  });
});

describe('syncInterviewEvent: unmatched candidates', () => {
  let world: SyncWorld;

  beforeEach(async () => {
    world = await startSyncWorld();
  });

  afterEach(async () => {
    await world.close();
  });

  it('reports a candidate whose e-mail is not in the ATS as unmatched, writing nothing', async () => {
    // Prepare
    const ended = round0('interview_ended', { email: 'nobody@example.com' });

    // Act
    const sync = syncInterviewEvent(ended, world.deps());

    // Assess
    await expect(sync).rejects.toThrow(UnmatchedCandidateError);
    await expect(sync).rejects.toMatchObject({ reason: 'no candidate with this e-mail' });
    expect(world.lever.state.notes).toEqual([]);
    expect(world.lever.state.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('looks the candidate up without the stray spaces a vendor left around the e-mail', async () => {
    // Prepare
    const ended = round0('interview_ended', { email: ' jane@example.com ' });

    // Act
    const result = await syncInterviewEvent(ended, world.deps());

    // Assess
    expect(result.effects).toMatchObject({ note: 'ran' });
    const lookups = world.lever.state.requests.filter((r) => r.path === '/v1/opportunities' && r.query.email);
    expect(lookups.map((r) => r.query.email)).toEqual(['jane@example.com']);
  });

  it('processes a parked event again on replay, once the candidate exists', async () => {
    // Prepare
    const deps = world.deps();
    const email = 'later@example.com';
    const ended = round0('interview_ended', { email });
    await expect(syncInterviewEvent(ended, deps)).rejects.toThrow(UnmatchedCandidateError);
    world.lever.state.opportunities.push(
      anOpportunity({ id: 'opp-later', contact: 'c-later', emails: [email] }),
    );

    // Act
    const replayed = await syncInterviewEvent(ended, deps);

    // Assess
    expect(replayed.effects).toEqual({ 'status:completed': 'ran', note: 'ran' });
    expect(world.notesOf('opp-later')).toHaveLength(1);
  });
  it('records a late interview_started behind a parked interview_ended done, looking nobody up nor parking it', async () => {
    // Prepare: the end parked for a candidate not found; its start arrives late
    const deps = world.deps();
    const email = 'nobody@example.com';
    await expect(syncInterviewEvent(round0('interview_ended', { email }), deps)).rejects.toThrow(
      UnmatchedCandidateError,
    );
    const before = world.lever.state.requests.length;

    // Act
    const late = await syncInterviewEvent(round0('interview_started', { email }), deps);

    // Assess: behind the interview, it raises nothing itself (no lookup, no second unmatched park)
    expect(late).toMatchObject({
      outcome: 'synced',
      reason: 'behind the interview: left to the event that moved it on',
    });
    expect(world.lever.state.requests.slice(before)).toEqual([]);
  });
});

describe('syncInterviewEvent: DynamoDB requests per event', () => {
  let world: SyncWorld;

  beforeEach(async () => {
    world = await startSyncWorld();
  });

  afterEach(async () => {
    await world.close();
  });

  it('costs 3 requests for a fresh event (4 for a micro1 report) and 1 for a duplicate', async () => {
    // Prepare
    const counter = countDynamoDbRequests(world.dynamo.client);
    const deps = world.deps();
    const events = [
      round0('interview_started'),
      round0('interview_ended'),
      micro1('interview.started'),
      micro1('interview_report.created'),
      micro1('interview_recording.completed'),
      micro1('proctoring_score.completed', { 'data.proctoring_score': 50 }),
    ];
    counter.take();

    // Act
    const fresh: number[] = [];
    const duplicate: number[] = [];
    for (const event of events) {
      await syncInterviewEvent(event, deps);
      fresh.push(totalRequests(counter.take()));
      await syncInterviewEvent(event, deps);
      duplicate.push(totalRequests(counter.take()));
    }

    // Assess
    // Each type's own count, as README's "Apply" step and the cost model state it (a bound on the largest
    // let a start or an end grow to 4 unseen).
    expect(fresh).toEqual([3, 3, 3, 4, 3, 3]);
    expect(duplicate).toEqual(events.map(() => 1));
  });
});

describe('syncInterviewEvent: stage and score field (log adapter)', () => {
  let world: SyncWorld;
  let dir: string;

  beforeEach(async () => {
    world = await startSyncWorld({ leaseMs: 300 });
    dir = await mkdtemp(join(tmpdir(), 'sync-log-'));
  });

  afterEach(async () => {
    await world.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('moves the stage and sets the score field once, whatever is killed, retried or redelivered', async () => {
    // Prepare
    const path = join(dir, 'ats-writes.jsonl');
    const deps: SyncDeps = world.deps({
      ats: createAtsAdapter('log', { path }, undefined),
      options: { completedStageId: 'stage-screened', scoreFieldId: 'field-score' },
    });
    const ended = round0('interview_ended');

    // Act
    await syncInterviewEvent(round0('interview_started'), deps);
    await killedAttempt(ended, deps, 'field:field-score:89', 300);
    await syncInterviewEvent(ended, deps);
    await syncInterviewEvent(ended, deps);
    await syncInterviewEvent(round0('interview_ended', { eventId: 'evt_resent_with_new_id' }), deps);

    // Assess
    const lines = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AtsLogLine);
    expect(lines.map((line) => `${line.action} ${line.eventKey.split(':').slice(2).join(':')}`)).toEqual([
      'status status:in_progress',
      'status status:completed',
      'note note',
      'stage stage:stage-screened',
      // the average of the sample's scores, 85 and 92, rounded: 89 — written again after the kill
      'field field:field-score:89',
      // The killed attempt recorded none of its writes: the retry finds the note by its marker and sets the
      // status, stage and field again — idempotent writes; the log adapter cannot read stages, so its move
      // is unconditional (Lever, Greenhouse and Ashby read the stage first: see the tests above).
      'status status:completed',
      'stage stage:stage-screened',
      'field field:field-score:89',
    ]);
    expect(lines.find((line) => line.action === 'note')?.marker).toBe(
      `interview-sync:round0:${sampleInterview}`,
    );
  });
});

describe('syncInterviewEvent: Slack (Slack fake)', () => {
  let world: SyncWorld;
  let slack: FakeSlack;
  let deps: SyncDeps;

  beforeEach(async () => {
    world = await startSyncWorld({ leaseMs: 300 });
    slack = await startFakeSlack();
    deps = world.deps({
      notify: (notification) =>
        notifySlack(slack.webhookUrl, notification, { minIntervalMs: 0, baseDelayMs: 1, maxAttempts: 3 }),
    });
  });

  afterEach(async () => {
    await slack.close();
    await world.close();
  });

  const texts = () => slack.state.messages.map((message) => message.text);

  it('announces the start and the completion once each', async () => {
    // Act
    await syncInterviewEvent(round0('interview_started'), deps);
    await syncInterviewEvent(round0('interview_started'), deps);
    await syncInterviewEvent(round0('interview_ended'), deps);
    await syncInterviewEvent(round0('interview_ended', { eventId: 'evt_second_ended' }), deps);

    // Assess
    expect(texts()).toEqual([
      'Jane Smith (Senior Frontend Developer): AI screening in progress',
      'Jane Smith (Senior Frontend Developer): AI screening completed',
    ]);
  });

  it('says nothing for a start that arrives after the completion', async () => {
    // Act
    await syncInterviewEvent(round0('interview_ended'), deps);
    await syncInterviewEvent(round0('interview_started'), deps);

    // Assess
    expect(texts()).toEqual(['Jane Smith (Senior Frontend Developer): AI screening completed']);
  });

  it('still notifies when its own round is raced by another writer after the event was recorded done', async () => {
    // Prepare: the commit that claims the notification (the event's second round) loses a race once, as if
    // another event of the interview had written just before
    const raced = withCommits(world.ledger, async (n, send) => (n === 2 ? false : send()));

    // Act
    const ended = await syncInterviewEvent(round0('interview_ended'), { ...deps, ledger: raced.ledger });

    // Assess
    expect(raced.commits()).toBe(3);
    expect(ended.effects['notify:completed']).toBe('ran');
    expect(texts()).toEqual(['Jane Smith (Senior Frontend Developer): AI screening completed']);
  });

  /**
   * A ledger on its own client whose every commit and settle lands in dynalite and loses its answer once (a
   * reset connection), so the SDK's retry strategy resends it; `meanwhile` runs before each resend, with the
   * write's table and key. Returns the ledger, the tokens of the writes it lost and the client.
   */
  const aLedgerLosingEachFirstAnswer = (
    meanwhile?: (write: Pick<UpdateItemCommand['input'], 'TableName' | 'Key'>, lost: number) => Promise<void>,
  ) => {
    const client = new DynamoDBClient({
      endpoint: world.dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const lost = new Set<string>();
    client.middlewareStack.add(
      (next) => async (args) => {
        const output = await next(args);
        const sent = (args.request as { body?: unknown }).body;
        const body = sent instanceof Uint8Array ? Buffer.from(sent).toString('utf8') : String(sent ?? '');
        const token = /:commitToken":\{"S":"([^"]+)"/.exec(body)?.[1];
        if (token !== undefined && !lost.has(token)) {
          lost.add(token);
          await meanwhile?.(
            JSON.parse(body) as Pick<UpdateItemCommand['input'], 'TableName' | 'Key'>,
            lost.size,
          );
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }
        return output;
      },
      { step: 'deserialize', name: 'loseEachCommitsFirstAnswer' },
    );
    return { ledger: new InterviewLedger({ client, tableName: ledgerTable }), lost, client };
  };

  it('announces the completion on time when the answers of its ledger writes were lost and the SDK resent them', async () => {
    // Prepare: each commit and settle reaches dynalite and lands, its answer is lost as a reset connection,
    // and the SDK's retry strategy resends it (the resend fails the condition the first send met)
    const { ledger, lost, client } = aLedgerLosingEachFirstAnswer();

    // Act
    const ended = await syncInterviewEvent(round0('interview_ended'), { ...deps, ledger });

    // Assess: both rounds' commits and settles (status and note, then the notification) were resent
    expect(lost.size).toBe(4);
    expect(ended.effects).toMatchObject({
      'status:completed': 'ran',
      note: 'ran',
      'notify:completed': 'ran',
    });
    expect(texts()).toEqual(['Jane Smith (Senior Frontend Developer): AI screening completed']);
    client.destroy();
  });

  it('announces the completion on time when another event wrote the interview before each lost ledger write was resent', async () => {
    // Prepare: as above, and before each resend another event of the interview writes the item (its own
    // commit token and version): the token alone no longer tells the resent write it landed
    const { ledger, lost, client } = aLedgerLosingEachFirstAnswer(async ({ TableName, Key }, count) => {
      await world.dynamo.client.send(
        new UpdateItemCommand({
          TableName,
          Key,
          UpdateExpression: 'SET #token = :token, #events.#other = :other ADD #version :one',
          ExpressionAttributeNames: {
            '#token': 'commitToken',
            '#events': 'events',
            '#other': `another-event-${count}`,
            '#version': 'version',
          },
          ExpressionAttributeValues: {
            ':token': { S: `another-write-${count}` },
            ':other': { M: { advanced: { BOOL: false }, done: { BOOL: true } } },
            ':one': { N: '1' },
          },
        }),
      );
    });

    // Act
    const ended = await syncInterviewEvent(round0('interview_ended'), { ...deps, ledger });

    // Assess: the commits and settles of the rounds, each resent. The settle after the notification finds
    // the item written by another event since its claim (a write it did not plan might have left it more to
    // do), so it keeps the event's claim, and a third round records the event done: 6 writes, not 4.
    expect(lost.size).toBe(6);
    expect(ended.effects).toMatchObject({
      'status:completed': 'ran',
      note: 'ran',
      'notify:completed': 'ran',
    });
    expect(texts()).toEqual(['Jane Smith (Senior Frontend Developer): AI screening completed']);
    client.destroy();
  });

  it('sends the notification after a crash between the status write’s round and the notification’s', async () => {
    // Prepare: the first attempt writes the status and the note, settles, and dies at the commit that would
    // claim the notification; its leases run out
    const ended = round0('interview_ended');
    const dying = aLedgerDyingAtCommit(world.ledger, 2);
    void syncInterviewEvent(ended, { ...deps, ledger: dying.ledger });
    // The second commit starts once the first round is settled (the note's record, the event's claim renewed)
    await eventually(() => dying.commits() === 2, 5000);
    await sleep(300 + 50);

    // Act: SQS delivers the event again
    const retry = await syncInterviewEvent(ended, deps);

    // Assess
    expect(retry.outcome).toBe('synced');
    expect(retry.effects).toEqual({ 'notify:completed': 'ran' });
    expect(texts()).toEqual(['Jane Smith (Senior Frontend Developer): AI screening completed']);
    expect(world.notesOf('opp-jane')).toHaveLength(1);
  });

  it('gives its claim back when its second round fails before claiming, so the redelivery goes on at once', async () => {
    // Prepare: the commit that would claim the notification (the second round) fails, as when DynamoDB
    // throttles past the SDK's retries; the first round's writes were recorded and the event kept its claim
    const failingLedger = withCommits(world.ledger, async (n, send) => {
      if (n === 2)
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
          name: 'ProvisionedThroughputExceededException',
        });
      return send();
    }).ledger;
    const ended = round0('interview_ended');
    await expect(syncInterviewEvent(ended, { ...deps, ledger: failingLedger })).rejects.toMatchObject({
      name: 'ProvisionedThroughputExceededException',
    });

    // Act: SQS delivers it again at once, well within the first attempt's lease
    const retry = await syncInterviewEvent(ended, deps);

    // Assess: not held by the attempt that gave up; the notification sent once, the note not repeated
    expect(retry.effects).toEqual({ 'notify:completed': 'ran' });
    expect(texts()).toEqual(['Jane Smith (Senior Frontend Developer): AI screening completed']);
    expect(world.notesOf('opp-jane')).toHaveLength(1);
  });

  it('gives back the notification it claimed when the claim landed but its answer was lost for good, so the redelivery sends it', async () => {
    // Prepare: the commit that claims the notification (the second round) lands in DynamoDB, but the
    // attempt never hears so (the SDK gave up on a lost answer); nothing was sent
    const losingLedger = aLedgerLosingTheAnswerOfCommit(world.ledger, 2);
    const ended = round0('interview_ended');
    await expect(syncInterviewEvent(ended, { ...deps, ledger: losingLedger })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(texts()).toEqual([]);

    // Act: SQS delivers it again at once
    const retry = await syncInterviewEvent(ended, deps);

    // Assess: the claim was given back untried, so the notification goes, once
    expect(retry.effects).toEqual({ 'notify:completed': 'ran' });
    expect(texts()).toEqual(['Jane Smith (Senior Frontend Developer): AI screening completed']);
    expect(world.notesOf('opp-jane')).toHaveLength(1);
  });

  it('keeps the event claimed with its claims when their give-back fails too, so a duplicate delivery does not record it done without them', async () => {
    // Prepare: the commit that claims the notification (the second round) lands unheard, and the give-back
    // of that claim fails as well (throttled); the event's own claim would then be released alone
    const losing = withCommits(world.ledger, async (n, send) => {
      const committed = await send();
      if (n === 2) throw answerLost();
      return committed;
    }).ledger;
    let settles = 0;
    const throttledGiveBack = Object.assign(losing, {
      settle: async (...args: Parameters<InterviewLedger['settle']>) => {
        const [, , settlement] = args;
        if (
          Object.keys(settlement.effects).length > 0 &&
          settlement.event?.leaseUntil === 0 &&
          settles++ === 0
        ) {
          throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
            name: 'ThrottlingException',
          });
        }
        return world.ledger.settle(...args);
      },
    }) as InterviewLedger;
    const ended = round0('interview_ended');
    await expect(syncInterviewEvent(ended, { ...deps, ledger: throttledGiveBack })).rejects.toMatchObject({
      name: 'TimeoutError',
    });

    // Act: a duplicate delivery within the lease, then one after it
    const duplicate = await syncInterviewEvent(ended, deps).catch((error: Error) => error);
    await sleep(300 + 50);
    const later = await syncInterviewEvent(ended, deps);

    // Assess: the duplicate waits (transient) instead of recording the event done over the live claim; once
    // the lease ran out the claimed, unsent notification reads as uncertain (sent at most once), not "held"
    expect(settles).toBe(1);
    expect(duplicate).toMatchObject({ name: 'EventInProgressError' });
    expect(later.effects).toEqual({ 'notify:completed': 'uncertain' });
    expect(texts()).toEqual([]);
  });

  it('sends a notification at most once when Slack answers 502 after posting it', async () => {
    // Prepare
    slack.faults.add({ method: 'POST', status: 502, when: 'after' });
    const ended = round0('interview_ended');

    // Act
    const first = await syncInterviewEvent(ended, deps);
    const again = await syncInterviewEvent(ended, deps);

    // Assess
    expect(first.effects['notify:completed']).toBe('uncertain');
    expect(again.outcome).toBe('duplicate');
    expect(texts()).toEqual(['Jane Smith (Senior Frontend Developer): AI screening completed']);
  });

  it('loses a notification killed between its claim and its POST rather than risk sending it twice', async () => {
    // Prepare
    const ended = round0('interview_ended');
    await killedAttempt(ended, deps, 'notify:completed', 300, 'beforeWrite');

    // Act
    const retry = await syncInterviewEvent(ended, deps);

    // Assess
    // Slack has no idempotency key: a claimed notification is never sent by another attempt (at most
    // once, `apply.ts`), so the one the killed attempt never sent is lost; the ATS writes stand.
    expect(retry.effects).toEqual({ 'notify:completed': 'uncertain' });
    expect(texts()).toEqual([]);
    expect(world.tagsOf('opp-jane')).toEqual([completedTag]);
    expect(world.notesOf('opp-jane')).toHaveLength(1);
  });

  it('does not notify again after a kill between the notification and its record', async () => {
    // Prepare
    const ended = round0('interview_ended');
    await killedAttempt(ended, deps, 'notify:completed', 300);

    // Act
    const retry = await syncInterviewEvent(ended, deps);

    // Assess
    // The notification was claimed alone, after the writes it announces were recorded: the retry finds
    // only it unfinished and does not send it again.
    expect(retry.effects).toEqual({ 'notify:completed': 'uncertain' });
    expect(texts()).toHaveLength(1);
  });

  it('records a notification Slack refused for good (404 no_service) as refused, and the event done with its ATS writes', async () => {
    // Prepare: the webhook was revoked at Slack
    slack.failNext({ status: 404, body: 'no_service', times: 5 });
    const ended = round0('interview_ended');

    // Act
    const first = await syncInterviewEvent(ended, deps);
    const redelivery = await syncInterviewEvent(ended, deps);

    // Assess: not failed (a revoked webhook must not dead-letter every event), not sent again
    expect(first.effects).toMatchObject({ 'notify:completed': 'refused', note: 'ran' });
    expect(world.tagsOf('opp-jane')).toEqual([completedTag]);
    expect(world.notesOf('opp-jane')).toHaveLength(1);
    expect(redelivery.outcome).toBe('duplicate');
    expect(slack.state.requests).toHaveLength(1);
    expect(texts()).toEqual([]);
  });

  it('retries a notification Slack refused with 429 with its event, without repeating the ATS writes', async () => {
    // Prepare
    slack.faults.add({ method: 'POST', status: 429, retryAfterSeconds: 0, when: 'before', times: 5 });
    const ended = round0('interview_ended');
    await expect(syncInterviewEvent(ended, deps)).rejects.toMatchObject({ name: 'AtsTransientError' });

    // Act
    const retry = await syncInterviewEvent(ended, deps);

    // Assess
    expect(retry.effects).toEqual({ 'notify:completed': 'ran' });
    expect(texts()).toEqual(['Jane Smith (Senior Frontend Developer): AI screening completed']);
    expect(world.notesOf('opp-jane')).toHaveLength(1);
  });
});

describe('syncInterviewEvent: what a micro1 report takes over from its session', () => {
  let world: SyncWorld;
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sync-session-'));
  });

  afterEach(async () => {
    await world.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** micro1's interview.started / interview.completed of the sample report's interview: an e-mail only. */
  const session = (event: 'interview.started' | 'interview.completed') =>
    micro1('interview.started', {
      event,
      'data.candidate_email_id': 'john.doe@micro1.ai',
      ...(event === 'interview.completed' ? { 'data.date_started': '2024-01-01 10:30:00' } : {}),
    });

  it('ignores an interview.completed without the session’s ids (nothing to key it by), where it was dead-lettered', async () => {
    // Prepare: the shape a capture of micro1's docs shows, the recording's ids only
    world = await startSyncWorld();
    const deps = world.deps();
    const withoutIds = envelope('micro1', 'interview.started', {
      set: {
        event: 'interview.completed',
        'data.report_id': micro1Report,
        'data.candidate_id': micro1Candidate,
      },
      remove: ['data.interview_id'],
    });

    // Act
    const result = await syncInterviewEvent(withoutIds, deps);

    // Assess: no item, no ATS write; the report then writes "completed" and its note as ever
    expect(result).toMatchObject({ outcome: 'ignored', effects: {} });
    expect(await world.ledger.read('micro1', `report:${micro1Report}`)).toBeUndefined();
    expect(world.lever.state.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    const report = await syncInterviewEvent(micro1('interview_report.created'), deps);
    expect(report.effects).toMatchObject({ 'status:completed': 'ran', note: 'ran' });
  });

  it('writes "completed" to the application the report names when the session’s e-mail found another', async () => {
    // Prepare: the candidate's newer application is what an e-mail lookup finds; the report names the older
    world = await startSyncWorld({
      opportunities: [
        anOpportunity({
          id: 'ABCD1234',
          contact: 'contact-john',
          emails: ['john.doe@micro1.ai'],
          createdAt: 1,
        }),
        anOpportunity({
          id: 'opp-newer',
          contact: 'contact-john',
          emails: ['john.doe@micro1.ai'],
          createdAt: 2,
        }),
      ],
    });
    const deps = world.deps();
    await syncInterviewEvent(session('interview.started'), deps);
    await syncInterviewEvent(session('interview.completed'), deps);
    expect(world.tagsOf('opp-newer')).toEqual([completedTag]);

    // Act
    const report = await syncInterviewEvent(micro1('interview_report.created'), deps);

    // Assess: the report's own application is marked completed and gets the note
    expect(report.effects).toEqual({ 'status:completed': 'ran', note: 'ran' });
    expect(world.tagsOf('ABCD1234')).toEqual([completedTag]);
    expect(world.notesOf('ABCD1234')).toHaveLength(1);
  });

  it('does not make the stage move or the status write again that the session made on the same record', async () => {
    // Prepare
    world = await startSyncWorld();
    const path = join(dir, 'ats-writes.jsonl');
    const deps = world.deps({
      ats: createAtsAdapter('log', { path }, undefined),
      options: { completedStageId: 'stage-screened' },
    });
    await syncInterviewEvent(session('interview.started'), deps);
    await syncInterviewEvent(session('interview.completed'), deps);

    // Act
    const report = await syncInterviewEvent(micro1('interview_report.created'), deps);

    // Assess: one status "completed" and one stage move in all, the session's
    expect(report.effects).toEqual({ note: 'ran', 'links:40c985078dd4': 'ran' });
    const actions = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as AtsLogLine).action);
    expect(actions).toEqual(['status', 'status', 'stage', 'note', 'links']);
  });

  it('moves the stage from where the session found it, so a recruiter’s move between the start and the report stands', async () => {
    // Prepare: the session read the stage at the interview's start; a recruiter then moved the application on
    world = await startSyncWorld();
    const deps = world.deps({ options: { completedStageId: 'stage-screened' } });
    await syncInterviewEvent(session('interview.started'), deps);
    const opportunity = world.lever.state.opportunities.find((o) => o.id === 'ABCD1234');
    if (opportunity === undefined) throw new Error('no ABCD1234');
    expect(opportunity.stage).not.toBe('stage-onsite');
    opportunity.stage = 'stage-onsite';

    // Act
    const report = await syncInterviewEvent(micro1('interview_report.created'), deps);

    // Assess: the recruiter's stage stands, and no move was sent
    expect(report.effects['stage:stage-screened']).toBe('moved-on');
    expect(opportunity.stage).toBe('stage-onsite');
    expect(requestsMatching(world, 'PUT', '/stage')).toHaveLength(0);
  });

  it('waits for the session’s stage move in flight before the report closes it, so the stage moves once', async () => {
    // Prepare: the session's "completed" lands and its stage move is refused (a 503: not made), so the
    // retry of interview.completed claims the move alone; it makes it and is held before recording it
    world = await startSyncWorld();
    const path = join(dir, 'ats-writes.jsonl');
    const logAts = createAtsAdapter('log', { path }, undefined);
    let refuseMove = true;
    const ats: AtsAdapter = {
      ...logAts,
      async moveStage(...args) {
        if (refuseMove) {
          refuseMove = false;
          throw new AtsTransientError('log: 503', { adapter: 'log', status: 503 });
        }
        return (logAts.moveStage as NonNullable<AtsAdapter['moveStage']>)(...args);
      },
    };
    const deps = world.deps({ ats, options: { completedStageId: 'stage-screened', waitMs: 200 } });
    await syncInterviewEvent(session('interview.started'), deps);
    await expect(syncInterviewEvent(session('interview.completed'), deps)).rejects.toMatchObject({
      name: 'AtsTransientError',
    });
    const retryHeld = aGate();
    let moved = false;
    const retry = syncInterviewEvent(session('interview.completed'), {
      ...deps,
      crashPoints: {
        afterWrite: async (key) => {
          if (key !== 'stage:stage-screened') return;
          moved = true;
          await retryHeld.opened;
        },
      },
    });
    try {
      await eventually(() => moved, 5000);

      // Act: the report while the session's move is unrecorded; the session's retry records it; the report again
      const busy = await syncInterviewEvent(micro1('interview_report.created'), deps).then(
        () => 'synced',
        (error: Error) => error.name,
      );
      retryHeld.open();
      const retried = await retry;
      const report = await syncInterviewEvent(micro1('interview_report.created'), deps);

      // Assess: the report waited, then took the session's move over instead of making it again
      expect(busy).toBe('EffectBusyError');
      expect(retried.effects).toEqual({ 'stage:stage-screened': 'ran' });
      expect(report.effects).not.toHaveProperty(['stage:stage-screened']);
      const actions = (await readFile(path, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as AtsLogLine).action);
      expect(actions.filter((action) => action === 'stage')).toHaveLength(1);
    } finally {
      retryHeld.open();
      await retry.catch(() => undefined);
    }
  });

  /** Notifies through `slack` in one attempt: a 429 is the notification's failure. */
  const notifyOnce = (slack: FakeSlack) => (notification: Parameters<typeof notifySlack>[1]) =>
    notifySlack(slack.webhookUrl, notification, { minIntervalMs: 0, baseDelayMs: 1, maxAttempts: 1 });

  it('announces "completed" when the session’s notification was still to come when the report closed it', async () => {
    // Prepare: Slack refuses the session's "completed" (429): its event is to be retried
    world = await startSyncWorld();
    const slack = await startFakeSlack();
    try {
      const deps = world.deps({
        notify: notifyOnce(slack),
      });
      await syncInterviewEvent(session('interview.started'), deps);
      slack.faults.add({ method: 'POST', status: 429, retryAfterSeconds: 0, when: 'before', times: 1 });
      await expect(syncInterviewEvent(session('interview.completed'), deps)).rejects.toMatchObject({
        name: 'AtsTransientError',
      });

      // Act: the report arrives before the retry
      const report = await syncInterviewEvent(micro1('interview_report.created'), deps);
      const retry = await syncInterviewEvent(session('interview.completed'), deps);

      // Assess: "in progress" and "completed", once each
      expect(report.effects).toMatchObject({ 'notify:completed': 'ran' });
      expect(retry.effects).toEqual({});
      expect(slack.state.messages.map((message) => message.text)).toEqual([
        expect.stringContaining('in progress'),
        expect.stringContaining('completed'),
      ]);
    } finally {
      await slack.close();
    }
  });

  it('waits for the session’s "in progress" notification in flight before the report closes it, so Slack shows "completed" last', async () => {
    // Prepare: the session's "in progress" is on its way to Slack (held at a gate) when the report arrives
    world = await startSyncWorld();
    const slack = await startFakeSlack();
    const sendHeld = aGate();
    const sending = aGate();
    try {
      const deps = world.deps({
        options: { waitMs: 300 },
        notify: async (notification) => {
          if (notification.status === 'in_progress') {
            sending.open();
            await sendHeld.opened;
          }
          return notifyOnce(slack)(notification);
        },
      });
      const started = syncInterviewEvent(session('interview.started'), deps);
      await sending.opened;

      // Act: the report while the send is in flight; the send lands; the report comes again
      const busyOutcome = await syncInterviewEvent(micro1('interview_report.created'), deps).then(
        () => 'synced',
        (error: Error) => error.name,
      );
      sendHeld.open();
      await started;
      const report = await syncInterviewEvent(micro1('interview_report.created'), deps);

      // Assess: the report waited, then announced "completed" after "in progress", once each
      expect(busyOutcome).toBe('EffectBusyError');
      expect(report.effects).toMatchObject({ 'notify:completed': 'ran' });
      expect(slack.state.messages.map((message) => message.text)).toEqual([
        expect.stringContaining('in progress'),
        expect.stringContaining('completed'),
      ]);
    } finally {
      sendHeld.open();
      await slack.close();
    }
  });

  it('waits for the session’s notification in flight before the report closes it, and announces "completed" when it failed', async () => {
    // Prepare: the session's "completed" is on its way to Slack (held at a gate) when the report arrives
    world = await startSyncWorld();
    const slack = await startFakeSlack();
    const sendHeld = aGate();
    const sending = aGate();
    try {
      const deps = world.deps({
        options: { waitMs: 300 },
        notify: async (notification) => {
          if (notification.status === 'completed' && slack.state.messages.length === 1) {
            sending.open();
            await sendHeld.opened;
          }
          return notifyOnce(slack)(notification);
        },
      });
      await syncInterviewEvent(session('interview.started'), deps);
      const completed = syncInterviewEvent(session('interview.completed'), deps);
      await sending.opened;

      // Act: the report while the send is in flight; then Slack refuses it (429) and the report comes again
      const busy = syncInterviewEvent(micro1('interview_report.created'), deps);
      const busyOutcome = await busy.then(
        () => 'synced',
        (error: Error) => error.name,
      );
      slack.faults.add({ method: 'POST', status: 429, retryAfterSeconds: 0, when: 'before', times: 1 });
      sendHeld.open();
      await expect(completed).rejects.toMatchObject({ name: 'AtsTransientError' });
      const report = await syncInterviewEvent(micro1('interview_report.created'), deps);
      const retry = await syncInterviewEvent(session('interview.completed'), deps);

      // Assess: the report waited, then announced "completed" itself; once each in all
      expect(busyOutcome).toBe('EffectBusyError');
      expect(report.effects).toMatchObject({ 'notify:completed': 'ran' });
      expect(retry.effects).toEqual({});
      expect(slack.state.messages.map((message) => message.text)).toEqual([
        expect.stringContaining('in progress'),
        expect.stringContaining('completed'),
      ]);
    } finally {
      sendHeld.open();
      await slack.close();
    }
  });
});

describe('syncInterviewEvent: archive (tasks out, completion back through the late-parts path)', () => {
  let world: SyncWorld;
  let sent: ArchiveTask[];
  let deps: SyncDeps;

  beforeEach(async () => {
    world = await startSyncWorld();
    sent = [];
    deps = world.deps({
      archive: async (tasks) => {
        sent.push(...tasks);
      },
    });
  });

  afterEach(async () => {
    await world.close();
  });

  const completedFor = (tasks: readonly ArchiveTask[]) => {
    const [task] = tasks;
    if (task === undefined) throw new Error('no task');
    return archiveCompletedEvent(task, { bucket: 'archive-bucket', region: 'eu-west-1' }, receivedAt);
  };

  it('sends one task per answer of an ended interview, and none for a duplicate or a start', async () => {
    // Act
    await syncInterviewEvent(round0('interview_started'), deps);
    await syncInterviewEvent(round0('interview_ended'), deps);
    await syncInterviewEvent(round0('interview_ended'), deps);

    // Assess
    expect(sent.map((task) => task.asset.name)).toEqual([
      'question_880h1733-h52e-74g7-d049-779988773333',
      'question_990i2844-i63f-85h8-e150-880099884444',
    ]);
  });

  it('gives the ATS the archive’s location once, as a follow-up after the note', async () => {
    // Prepare
    await syncInterviewEvent(micro1('interview_report.created'), deps);
    const reportBatch = completedFor(sent);
    await syncInterviewEvent(micro1('interview_recording.completed'), deps);
    const recordingBatch = completedFor(sent.slice(2));

    // Act
    const first = await syncInterviewEvent(reportBatch, deps);
    const again = await syncInterviewEvent(reportBatch, deps);
    const later = await syncInterviewEvent(recordingBatch, deps);

    // Assess
    expect(first.effects).toEqual({ archive: 'ran' });
    expect(again.outcome).toBe('duplicate');
    expect(later.effects).toEqual({});
    const archiveNotes = noteBodies(world, 'ABCD1234').filter((body) => body.includes('s3://archive-bucket'));
    expect(archiveNotes).toHaveLength(1);
    expect(archiveNotes[0]).toContain(
      'Recordings and report archived at s3://archive-bucket/interviews/h0gqkAcaDJ/',
    );
    expect(archiveNotes[0]).toContain(
      'https://s3.console.aws.amazon.com/s3/buckets/archive-bucket?region=eu-west-1',
    );
  });

  it('puts the archive in the note itself when it completed before the report was synced', async () => {
    // Prepare: the recording's batch completes before the report arrives
    await syncInterviewEvent(micro1('interview_recording.completed'), deps);
    const early = await syncInterviewEvent(completedFor(sent), deps);

    // Act
    const reported = await syncInterviewEvent(micro1('interview_report.created'), deps);

    // Assess
    expect(early.reason).toContain('awaiting the candidate identity');
    expect(reported.effects).toEqual({ 'status:completed': 'ran', note: 'ran' });
    expect(noteBodies(world, 'ABCD1234')).toEqual([expect.stringContaining('s3.console.aws.amazon.com')]);
  });

  it('names the candidate on the tasks of a recording event, which carries no e-mail, from its interview', async () => {
    // Prepare
    const pseudonymKey = 'a-test-pseudonym-key-of-32-chars-or-more';
    const withKey = world.deps({
      archive: async (tasks) => {
        sent.push(...tasks);
      },
      options: { pseudonymKey },
    });
    await syncInterviewEvent(envelope('micro1', 'interview_report.created'), withKey);
    const fromReport = [...new Set(sent.map((task) => task.candidate))];
    sent = [];
    const webcam = envelope('micro1', 'interview_webcam_recording.completed', {
      set: { 'data.report_id': 'h0gqkAcaDJ' },
    });

    // Act
    await syncInterviewEvent(webcam, withKey);

    // Assess
    expect(webcam.candidate.email).toBeUndefined();
    expect(fromReport).toEqual([emailPseudonym('john.doe@micro1.ai', pseudonymKey)]);
    expect(sent.map((task) => [task.asset.name, task.candidate])).toEqual([['webcam', fromReport[0]]]);
  });

  it('sends a replayed parked archive task back to the archive queue, and nothing else', async () => {
    // Prepare
    await syncInterviewEvent(round0('interview_ended'), deps);
    const [task] = sent;
    if (task === undefined) throw new Error('no task');
    sent = [];
    const requestsBefore = world.lever.state.requests.length;

    // Act
    const replayed = await syncInterviewEvent(archiveTaskEvent(task, receivedAt), deps);

    // Assess
    expect(replayed.reason).toBe('archive task sent back to the archive queue');
    expect(sent).toEqual([task]);
    expect(world.lever.state.requests).toHaveLength(requestsBefore);
  });
});
