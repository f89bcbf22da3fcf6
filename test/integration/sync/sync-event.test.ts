import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createAtsAdapter } from '../../../functions/ats/index.js';
import type { AtsLogLine } from '../../../functions/ats/log/adapter.js';
import { notifySlack } from '../../../functions/ats/slack.js';
import { UnmatchedCandidateError } from '../../../functions/sync/errors.js';
import { type SyncDeps, syncInterviewEvent } from '../../../functions/sync/sync-event.js';
import { type InterviewEvent, parseVendorEvent } from '../../../functions/vendors/index.js';
import { type FakeSlack, startFakeSlack } from '../../../local/fakes/slack.js';
import { loadFixtures } from '../../helpers/fixtures.js';
import { type Json, receivedAt, withChanges } from '../../unit/vendors/factories.js';
import {
  anOpportunity,
  completedTag,
  crashingAfterNote,
  envelope,
  eventually,
  inProgressTag,
  round0,
  SimulatedCrashError,
  type SyncWorld,
  sleep,
  startSyncWorld,
  withDelays,
} from './world.js';

const sampleInterview = '660f9511-f30c-52e5-b827-557766551111';
const micro1Candidate = '123e4567-e89b-12d3-a456-426614174000';

const noteMarker = (scope: string) => `ref: interview-sync:${scope}`;

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

/**
 * Every vendor sample as ingest would queue it, plus each ROUND0 sample delivered again later with a new
 * `created` (a redelivery: same event id, so the same dedupe key). The micro1 samples give every event type
 * a different `candidate_id`; one candidate's events carry one id, so `interview.started` is aligned to the
 * report's candidate (the applicant samples stay another candidate, with no ATS effect).
 */
const sampleDeliveries = (): Array<{ label: string; event: InterviewEvent }> => {
  const deliveries = loadFixtures().map((fixture) => {
    const changes =
      fixture.vendor === 'micro1' && fixture.name === 'interview.started'
        ? { set: { 'data.candidate_id': micro1Candidate } }
        : {};
    const parsed = parseVendorEvent(fixture.vendor, withChanges(fixture.body as Json, changes), receivedAt);
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
  it('turns every vendor sample, in any order and delivered twice, into one note per completed interview', async () => {
    const deliveries = sampleDeliveries();
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(deliveries, { minLength: deliveries.length, maxLength: deliveries.length }),
        async (order) => {
          // Prepare
          const run = await startSyncWorld();
          try {
            const processEvent = run.deduper().processOnce((event) => syncInterviewEvent(event, run.deps()));
            const processed: string[] = [];
            const parked: typeof order = [];

            // Act
            for (const delivery of order) {
              try {
                const { duplicate } = await processEvent(delivery.event);
                if (!duplicate) processed.push(delivery.event.dedupeKey);
              } catch (error) {
                // What the worker parks: micro1 recording events carry no e-mail or ATS id, so one that
                // arrives before its interview's other events cannot be matched yet.
                if (!(error instanceof UnmatchedCandidateError)) throw error;
                parked.push(delivery);
              }
            }
            // An operator replays what was parked once the report has been synced.
            for (const delivery of parked) {
              const { duplicate } = await processEvent(delivery.event);
              if (!duplicate) processed.push(delivery.event.dedupeKey);
            }
            const second = await Promise.all(order.map(({ event }) => processEvent(event)));

            // Assess
            expect(
              parked.every((p) => /^micro1\/interview_(webcam_)?recording\.completed$/.test(p.label)),
            ).toBe(true);
            const keys = new Set(order.map(({ event }) => event.dedupeKey));
            expect(processed.sort()).toEqual([...keys].sort());
            expect(second.every((outcome) => outcome.duplicate)).toBe(true);
            expect(run.lever.state.notes).toHaveLength(3);
            expect(noteBodies(run, 'opp-jane')).toEqual([
              expect.stringContaining(noteMarker(`round0:${sampleInterview}`)),
            ]);
            expect(noteBodies(run, 'opp-test')).toEqual([
              expect.stringContaining(noteMarker('round0:test-interview-id')),
            ]);
            expect(noteBodies(run, 'ABCD1234')).toEqual([
              expect.stringContaining(noteMarker(`micro1:${micro1Candidate}`)),
            ]);
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

describe('syncInterviewEvent (dynalite, Lever fake)', () => {
  let world: SyncWorld;

  beforeEach(async () => {
    world = await startSyncWorld();
  });

  afterEach(async () => {
    await world.close();
  });

  it('recognises a ROUND0 redelivery with a new timestamp as a duplicate', async () => {
    // Prepare
    const processEvent = world.deduper().processOnce((event) => syncInterviewEvent(event, world.deps()));
    const first = round0('interview_ended', { created: 1_640_001_520 });
    const redelivery = round0('interview_ended', { created: 1_640_009_999 });

    // Act
    const outcomes = [await processEvent(first), await processEvent(redelivery)];

    // Assess
    expect(redelivery.dedupeKey).toBe(first.dedupeKey);
    expect(outcomes.map((o) => o.duplicate)).toEqual([false, true]);
    expect(outcomes[0]?.result.effects).toEqual({ 'ats.status': 'ran', 'ats.note': 'ran' });
    expect(world.notesOf('opp-jane')).toHaveLength(1);
    // The stored result is the small summary the type declares, not the interview's whole state.
    expect(Object.keys(outcomes[1]?.result ?? {}).sort()).toEqual([
      'advanced',
      'effects',
      'interviewKey',
      'outcome',
      'stale',
      'status',
    ]);
  });

  it('posts no second note for a second interview_ended of the same interview with a new event id', async () => {
    // Prepare
    const deps = world.deps();
    await syncInterviewEvent(round0('interview_ended'), deps);

    // Act
    const again = await syncInterviewEvent(round0('interview_ended', { eventId: 'evt_second' }), deps);

    // Assess
    expect(again.effects).toEqual({ 'ats.status': 'superseded', 'ats.note': 'skipped' });
    expect(world.notesOf('opp-jane')).toHaveLength(1);
    expect(requestsMatching(world, 'POST', '/notes')).toHaveLength(1);
  });

  it('does not write "in progress" for an interview_started processed after interview_ended', async () => {
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
    expect(tagWrites(world, 'opp-jane')).not.toContain(`+${inProgressTag}`);
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

          // Act
          await Promise.all(events.map((event) => syncInterviewEvent(event, deps)));

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

describe('syncInterviewEvent after a crash (dynalite, Lever fake)', () => {
  let world: SyncWorld;

  afterEach(async () => {
    await world.close();
  });

  it('finds the note a crashed attempt posted instead of posting it again', async () => {
    // Prepare
    world = await startSyncWorld();
    const crashing = world.deps({ ats: crashingAfterNote(world.ats) });
    const processEvent = world.deduper().processOnce((event) => syncInterviewEvent(event, crashing));
    const ended = round0('interview_ended');
    await expect(processEvent(ended)).rejects.toThrow(SimulatedCrashError);
    expect(world.notesOf('opp-jane')).toHaveLength(1);

    // Act
    const retry = await processEvent(ended);

    // Assess
    expect(retry.duplicate).toBe(false);
    expect(retry.result.effects['ats.note']).toBe('ran');
    expect(world.notesOf('opp-jane')).toHaveLength(1);
    expect(requestsMatching(world, 'POST', '/notes')).toHaveLength(1);
    // The retry reconciled: it read the notes and found its marker.
    expect(requestsMatching(world, 'GET', '/opportunities/opp-jane/notes')).toHaveLength(1);
  });

  it('finds the note of an attempt killed mid-flight once its leases have run out', async () => {
    // Prepare
    world = await startSyncWorld({ effectLeaseMs: 200 });
    const leaseMs = 200;
    const killed = world.deps({
      ats: crashingAfterNote(world.ats, { mode: 'hang' }),
      options: { statusLeaseMs: leaseMs },
    });
    const ended = round0('interview_ended');
    // The killed process never returns: its promise is left pending on purpose.
    void world
      .deduper({ fallbackLeaseMs: leaseMs })
      .processOnce((event) => syncInterviewEvent(event, killed))(ended);
    await eventually(() => world.notesOf('opp-jane').length === 1);
    await sleep(leaseMs + 100);
    const restarted = world.deps({ options: { statusLeaseMs: leaseMs } });

    // Act
    const retry = await world
      .deduper({ fallbackLeaseMs: leaseMs })
      .processOnce((event) => syncInterviewEvent(event, restarted))(ended);

    // Assess
    expect(retry).toMatchObject({ duplicate: false, result: { effects: { 'ats.note': 'ran' } } });
    expect(world.notesOf('opp-jane')).toHaveLength(1);
    expect(requestsMatching(world, 'POST', '/notes')).toHaveLength(1);
  });

  it('repeats no effect when the worker dies after the sync but before the event is recorded', async () => {
    // Prepare
    world = await startSyncWorld();
    const deps = world.deps({ options: { completedStageId: 'stage-screened' } });
    let crashes = 1;
    const processEvent = world.deduper().processOnce(async (event) => {
      const result = await syncInterviewEvent(event, deps);
      if (crashes-- > 0) throw new SimulatedCrashError('before the idempotency record completed');
      return result;
    });
    const ended = round0('interview_ended');
    await expect(processEvent(ended)).rejects.toThrow(SimulatedCrashError);

    // Act
    const retry = await processEvent(ended);

    // Assess
    expect(retry).toEqual({
      duplicate: false,
      result: expect.objectContaining({
        effects: { 'ats.status': 'superseded', 'ats.note': 'skipped', 'ats.stage': 'skipped' },
      }),
    });
    expect(world.notesOf('opp-jane')).toHaveLength(1);
    expect(requestsMatching(world, 'PUT', '/stage')).toHaveLength(1);
    expect(world.lever.state.opportunities.find((o) => o.id === 'opp-jane')?.stage).toBe('stage-screened');
    expect(tagWrites(world, 'opp-jane')).toEqual([`+${completedTag}`, `-${inProgressTag}`]);
  });
});

describe('syncInterviewEvent: finding the candidate (dynalite, Lever fake)', () => {
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

  it('needs no lookup for a late start of an unmatched candidate, so it is not parked a second time', async () => {
    // Prepare
    const deps = world.deps();
    const email = 'nobody@example.com';
    await expect(syncInterviewEvent(round0('interview_ended', { email }), deps)).rejects.toThrow(
      UnmatchedCandidateError,
    );
    const requestsBefore = world.lever.state.requests.length;

    // Act
    const late = await syncInterviewEvent(round0('interview_started', { email }), deps);

    // Assess
    expect(late).toMatchObject({ stale: true, effects: {} });
    expect(world.lever.state.requests).toHaveLength(requestsBefore);
  });

  it('matches a micro1 recording event through the match its report remembered, without a lookup', async () => {
    // Prepare
    const deps = world.deps();
    await syncInterviewEvent(envelope('micro1', 'interview_report.created'), deps);
    const requestsBefore = world.lever.state.requests.length;

    // Act
    const recording = await syncInterviewEvent(envelope('micro1', 'interview_recording.completed'), deps);

    // Assess
    expect(recording).toMatchObject({ advanced: true, effects: { 'ats.status': 'superseded' } });
    expect(world.lever.state.requests.slice(requestsBefore).filter((r) => r.method === 'GET')).toEqual([]);
    expect(world.tagsOf('ABCD1234')).toEqual([completedTag]);
  });

  it('lets a recording event that got ahead of the report wait for it, then marks the record completed', async () => {
    // Prepare
    const deps = world.deps();
    const recording = envelope('micro1', 'interview_recording.completed');
    const requestsBefore = world.lever.state.requests.length;

    // Act
    const early = await syncInterviewEvent(recording, deps);
    const requestsAfterEarly = world.lever.state.requests.length;
    const report = await syncInterviewEvent(envelope('micro1', 'interview_report.created'), deps);
    const replayed = await syncInterviewEvent(recording, deps);

    // Assess: the early recording neither looked anything up nor was parked as unmatched
    expect(early).toMatchObject({
      outcome: 'synced',
      effects: {},
      reason: expect.stringContaining('awaiting'),
    });
    expect(requestsAfterEarly).toBe(requestsBefore);
    expect(report).toMatchObject({ stale: true, effects: { 'ats.status': 'ran', 'ats.note': 'ran' } });
    expect(replayed.effects).toEqual({ 'ats.status': 'superseded' });
    expect(world.tagsOf('ABCD1234')).toEqual([completedTag]);
    expect(world.notesOf('ABCD1234')).toHaveLength(1);
  });
});

describe('syncInterviewEvent: stage and score field (log adapter)', () => {
  let world: SyncWorld;
  let dir: string;

  beforeEach(async () => {
    world = await startSyncWorld();
    dir = await mkdtemp(join(tmpdir(), 'sync-log-'));
  });

  afterEach(async () => {
    await world.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('moves the stage and sets the score field once, whatever is retried or redelivered', async () => {
    // Prepare
    const path = join(dir, 'ats-writes.jsonl');
    const deps: SyncDeps = world.deps({
      ats: createAtsAdapter('log', { path }, undefined),
      options: { completedStageId: 'stage-screened', scoreFieldId: 'field-score' },
    });
    let crashes = 1;
    const processEvent = world.deduper().processOnce(async (event) => {
      const result = await syncInterviewEvent(event, deps);
      if (event.type === 'interview_ended' && crashes-- > 0) {
        throw new SimulatedCrashError('before the idempotency record completed');
      }
      return result;
    });
    const ended = round0('interview_ended');

    // Act
    await processEvent(round0('interview_started'));
    await expect(processEvent(ended)).rejects.toThrow(SimulatedCrashError);
    await processEvent(ended);
    await processEvent(ended);
    await processEvent(round0('interview_ended', { eventId: 'evt_resent_with_new_id' }));

    // Assess
    const lines = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AtsLogLine);
    expect(lines.map((line) => `${line.action} ${line.summary}`)).toEqual([
      'status status: in_progress',
      'status status: completed',
      'note note: 3 sections, 9 items, 0 links',
      'stage stage: stage-screened',
      // the average of the sample's scores, 85 and 92, rounded: "89"
      'field field: field-score (2 chars)',
    ]);
    expect(lines.every((line) => line.eventKey.startsWith(`round0:${sampleInterview}:`))).toBe(true);
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
    world = await startSyncWorld();
    slack = await startFakeSlack();
    deps = world.deps({
      notify: (notification) =>
        notifySlack(slack.webhookUrl, notification, { minIntervalMs: 0, baseDelayMs: 1, maxAttempts: 2 }),
    });
  });

  afterEach(async () => {
    await slack.close();
    await world.close();
  });

  const texts = () => slack.state.messages.map((message) => message.text);

  it('announces the start and the completion once each', async () => {
    // Prepare
    const processEvent = world.deduper().processOnce((event) => syncInterviewEvent(event, deps));

    // Act
    await processEvent(round0('interview_started'));
    await processEvent(round0('interview_started'));
    await processEvent(round0('interview_ended'));
    await processEvent(round0('interview_ended', { eventId: 'evt_second_ended' }));

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

  it('retries a failed notification with its event without repeating the ATS writes', async () => {
    // Prepare
    slack.failNext({ status: 500, times: 2 });
    const ended = round0('interview_ended');
    await expect(syncInterviewEvent(ended, deps)).rejects.toMatchObject({ name: 'AtsTransientError' });

    // Act
    const retry = await syncInterviewEvent(ended, deps);

    // Assess
    expect(retry.effects).toEqual({
      'ats.status': 'superseded',
      'ats.note': 'skipped',
      'notify.completed': 'ran',
    });
    expect(texts()).toEqual(['Jane Smith (Senior Frontend Developer): AI screening completed']);
    expect(world.notesOf('opp-jane')).toHaveLength(1);
  });
});
