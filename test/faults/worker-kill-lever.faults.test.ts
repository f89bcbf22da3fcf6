/**
 * The worker process killed between an ATS write and its record (SIGKILL, as when Lambda's sandbox dies),
 * on Lever, through the local pipeline with the worker's event source in a child process
 * (`worker-process.ts`): the Lever fake has applied a note (and, for another event of the batch, a stage
 * move) and holds the answers, the worker waits for them and has recorded nothing in the ledger. A new
 * worker process gets the batch back; its retries must not write again: a note is looked for by its marker
 * (found: not posted again), the stage is read (already there: not moved again). Its own file because a
 * process runs one local pipeline, and this one's ATS is Lever, not the receiver of the fault harness.
 * The receiver's side of this window, and the kill with a batch in flight: worker-kill.faults.test.ts.
 * In-process: effects.e2e.
 */
import { once } from 'node:events';
import { screeningStatusLabels } from '../../functions/ats/types.js';
import { type FakeLever, startFakeLever } from '../../local/fakes/lever.js';
import { queueDepth } from '../../local/queue-depth.js';
import { opportunity, setIntegrationSecrets } from '../e2e/helpers.js';
import { eventually } from '../integration/local/factories.js';
import { effectDifference, readLedger } from './audit.js';
import {
  completedEffects,
  completedStageId,
  type FaultsWorld,
  round0Ended,
  startFaultsWorld,
} from './harness.js';
import { workerProcesses } from './worker-processes.js';

const { messagesOnQueue, load: loadWorkerProcess, killAll } = workerProcesses(() => world);

let world: FaultsWorld;
let lever: FakeLever;
/** The opportunity of each interview, found by the candidate's e-mail (`<interview>@example.com`). */
const opportunities: Readonly<Record<string, string>> = {
  'kill-note': 'opp-kill-note',
  'kill-stage': 'opp-kill-stage',
};

beforeAll(async () => {
  lever = await startFakeLever({
    seed: {
      users: ['recruiter-1'],
      stages: ['stage-applied', completedStageId],
      opportunities: Object.entries(opportunities).map(([interview, id]) =>
        opportunity(id, `${interview}@example.com`),
      ),
    },
  });
  world = await startFaultsWorld({
    // The worker runs in child processes only.
    startWorker: false,
    workerVisibilityTimeoutSeconds: 3,
    env: {
      // Claims of a dead attempt expire before its messages come back, as deployed (lease < visibility).
      CLAIM_LEASE_SECONDS: '2',
      ATS_ADAPTER: 'lever',
      ATS_CONFIG: JSON.stringify({
        baseUrl: `${lever.url}/v1`,
        performAs: 'recruiter-1',
        // The held writes stay held until the kill: with a short timeout the worker gave up on them and
        // retried them, and the batch could end before the kill (no longer mid-write).
        http: { maxAttempts: 2, timeoutMs: 30_000 },
      }),
    },
  });
  // Lever's key in place of the receiver's signing secret, before any worker process reads it.
  await setIntegrationSecrets(world.pipeline.secretsFile.path, { ats: { apiKey: 'lever-key' } });
});

afterAll(async () => {
  killAll();
  await world?.stop();
  await lever?.close();
});

const interviewOf = (opportunityId: string) =>
  Object.entries(opportunities).find(([, id]) => id === opportunityId)?.[0] ?? opportunityId;
const opportunityOf = (interview: string) =>
  lever.state.opportunities.find((o) => o.id === opportunities[interview]);

/**
 * The effects Lever holds, as the audit's keys (`<vendor>:<interview>:<write key>`): one per note posted
 * and one per stage move applied, repeats included. (A status is a tag: added twice, it is one state.)
 */
const leverEffects = (): string[] => [
  ...lever.state.notes.map((note) => `round0:${interviewOf(note.opportunityId)}:note`),
  ...lever.state.requests.flatMap((request) => {
    const moved = /\/opportunities\/([^/]+)\/stage$/.exec(request.path);
    if (request.method !== 'PUT' || !moved || (request.status ?? 500) >= 300) return [];
    const { stage } = request.body as { stage: string };
    return [`round0:${interviewOf(moved[1] ?? '')}:stage:${stage}`];
  }),
];

/**
 * The fault suite's audit (`audit.ts`) for this world, whose ATS is Lever, not the receiver: nothing in
 * flight or dead-lettered, zero lost, each note and stage move once in Lever, each status tag set, and the
 * ledger recording exactly the effects of `interviews` done; still so after the audit's quiet time.
 */
const leverAudit = async (interviews: readonly string[]) => {
  const { sqs, queueUrls } = world.pipeline;
  const check = async () => {
    expect({
      events: await queueDepth(sqs, queueUrls.events, { includeDelayed: true }),
      archive: await queueDepth(sqs, queueUrls.archive, { includeDelayed: true }),
      deadLetter: await queueDepth(sqs, queueUrls.deadLetter),
      archiveDeadLetter: await queueDepth(sqs, queueUrls.archiveDeadLetter),
    }).toEqual({ events: 0, archive: 0, deadLetter: 0, archiveDeadLetter: 0 });
    const ledger = await readLedger(world);
    const lost = [...world.acknowledged].filter((key) => !ledger.doneEvents.has(key)).sort();
    expect({ lost }).toEqual({ lost: [] });
    const expected = interviews.flatMap((id) => [
      `round0:${id}:note`,
      `round0:${id}:stage:${completedStageId}`,
    ]);
    expect({ ats: effectDifference(leverEffects(), expected) }).toEqual({
      ats: { missing: [], unexpected: [] },
    });
    expect(
      interviews.map((id) => ({ id, stage: opportunityOf(id)?.stage, tags: opportunityOf(id)?.tags })),
    ).toEqual(
      interviews.map((id) => ({ id, stage: completedStageId, tags: [screeningStatusLabels.completed] })),
    );
    expect([...ledger.doneEffects].sort()).toEqual(
      interviews.flatMap((id) => completedEffects('round0', id)).sort(),
    );
    // Nothing went to the harness's receiver: Lever is this world's ATS.
    expect(world.receiver.state.deliveries).toEqual([]);
  };
  await eventually(check, 30_000);
  await new Promise((resolve) => setTimeout(resolve, 3_500));
  await check();
};

describe('the worker process killed after Lever applied a write, before its answer (local runtime, Lever fake, worker in a child process)', () => {
  it('posts each note and moves each stage once when the worker dies after Lever applied them, before their answers', async () => {
    // Prepare: two events queued while no worker runs; Lever applies kill-note's note and kill-stage's
    // stage move (its last write, after its note) and holds their answers
    const noteHold = lever.faults.hold({
      method: 'POST',
      path: /\/opportunities\/opp-kill-note\/notes$/,
      after: 'apply',
    });
    const stageHold = lever.faults.hold({
      method: 'PUT',
      path: /\/opportunities\/opp-kill-stage\/stage$/,
      after: 'apply',
    });
    const interviews = Object.keys(opportunities);
    for (const id of interviews)
      expect((await world.deliver('round0', await round0Ended(id))).status).toBe(202);

    // Act: a worker takes the batch; it is killed while it waits for both answers (its successor is loaded
    // meanwhile, not polling yet)
    const [first, second] = await Promise.all([loadWorkerProcess(15), loadWorkerProcess()]);
    first.stdin?.write('go\n');
    await Promise.all([noteHold.reached, stageHold.reached]);
    // In the window: Lever applied both held writes (and kill-stage's note before its move), answered
    // neither, and the ledger records none of the batch's writes or events; both messages in flight
    expect(leverEffects().sort()).toEqual(
      [
        'round0:kill-note:note',
        'round0:kill-stage:note',
        `round0:kill-stage:stage:${completedStageId}`,
      ].sort(),
    );
    expect(opportunityOf('kill-stage')?.stage).toBe(completedStageId);
    expect(
      lever.log.entries
        .filter((entry) => entry.applied && entry.status === undefined)
        .map((entry) => `${entry.method} ${entry.path}`)
        .sort(),
    ).toEqual(['POST /v1/opportunities/opp-kill-note/notes', 'PUT /v1/opportunities/opp-kill-stage/stage']);
    const ledger = await readLedger(world);
    expect({ doneEffects: ledger.doneEffects, doneEvents: [...ledger.doneEvents] }).toEqual({
      doneEffects: [],
      doneEvents: [],
    });
    expect((await messagesOnQueue()).inFlight).toBe(2);
    first.kill('SIGKILL');
    await once(first, 'exit');
    // Lever answers now, on connections that died with the worker: the answers are lost
    noteHold.release();
    stageHold.release();

    // Assess: the batch never returned: both messages come back
    await eventually(
      async () => expect(await messagesOnQueue()).toEqual({ visible: 2, inFlight: 0 }),
      30_000,
    );

    // Act: the new worker process polls
    second.stdin?.write('go\n');

    // Assess: both processed; the notes found by their markers and the stage found moved, not written again
    await leverAudit(interviews);
    second.kill('SIGTERM');
    expect((await once(second, 'exit'))[0]).toBe(0);
  }, 150_000); // above the sum of its waits: a slow run fails with the audit's difference, not jest's timeout
});
