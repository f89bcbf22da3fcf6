/**
 * The vendors' APIs down, through the local pipeline with the API fakes the worker enriches from: ROUND0's
 * (`interview_ended`) refusing connections (the fake stopped, then started again on its port), answering 503
 * for a window, then resetting every connection for one (each attempt counted); micro1's (a report lacking its transcript) answering 503 for a window.
 * Enrichment is retried (in-process, then by the queue); nothing reaches the ATS while the API is down — the
 * note must not be written from the webhook alone — and once it is back every event is synced from the
 * API's data, each effect once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type FakeMicro1Api,
  micro1ReportFromWebhook,
  startFakeMicro1Api,
} from '../../local/fakes/micro1-api.js';
import { type FakeRound0Api, startFakeRound0Api } from '../../local/fakes/round0-api.js';
import { eventually } from '../integration/local/factories.js';
import { audit } from './audit.js';
import {
  atsWritesOf,
  completedEffects,
  type FaultsWorld,
  fromTheRound0Api,
  micro1Report,
  round0EndedServedBy,
  startFaultsWorld,
} from './harness.js';

const apiKey = 'round0-faults-key';
const micro1ApiKey = 'micro1-faults-key';
/** The transcript line only the micro1 API's copy of a report has (`micro1ReportFromWebhook` adds it). */
const micro1ApiLine = 'I build web applications and enjoy making them fast and accessible.';

let world: FaultsWorld;
let round0Api: FakeRound0Api;
let micro1Api: FakeMicro1Api;
/** The interviews the API serves, kept across its restarts. */
const interviews: Record<string, unknown> = {};
const expectedEffects: string[] = [];

beforeAll(async () => {
  round0Api = await startFakeRound0Api({ apiKey, interviews });
  micro1Api = await startFakeMicro1Api({ apiKey: micro1ApiKey });
  world = await startFaultsWorld({
    workerVisibilityTimeoutSeconds: 3,
    maxReceiveCount: 10,
    env: { ROUND0_API_BASE_URL: round0Api.url, MICRO1_API_BASE_URL: micro1Api.url },
    vendorApi: { round0ApiKey: apiKey, micro1ApiKey },
  });
});

afterAll(async () => {
  await world?.stop();
  await round0Api?.close();
  await micro1Api?.close();
});

/** A completed interview's webhook; the API serves its copy. */
const interview = (id: string): Promise<string> => round0EndedServedBy(round0Api, interviews, id);

/** The ATS writes made for an interview so far (`id`: ROUND0's interview id, or micro1's `report:<id>`). */
const writesOf = (id: string, vendor: 'round0' | 'micro1' = 'round0') => atsWritesOf(world, id, vendor);

describe('the vendor API down (local runtime, ROUND0 API fake)', () => {
  it('retries enrichment while the API refuses connections, and syncs from it once it is back', async () => {
    // Prepare
    const webhook = await interview('api-refused');
    const port = Number(new URL(round0Api.url).port);
    await round0Api.close();

    // Act: delivered while the API is down for longer than a delivery's in-process retries and a redelivery
    expect((await world.deliver('round0', webhook)).status).toBe(202);
    await sleep(4000);
    const writesWhileDown = writesOf('api-refused');
    round0Api = await startFakeRound0Api({ apiKey, interviews, port });

    // Assess: nothing written from the webhook alone; then every effect once, the note from the API
    expect(writesWhileDown).toEqual([]);
    expectedEffects.push(...completedEffects('round0', 'api-refused'));
    await audit(world, { effects: expectedEffects });
    expect(round0Api.log.count({ method: 'GET', path: /\/interviews\/api-refused$/ })).toBeGreaterThanOrEqual(
      1,
    );
    expect(
      writesOf('api-refused').find((write) => write?.type === 'interview-sync.note')?.note?.text,
    ).toContain(fromTheRound0Api);
  }, 150_000); // above the sum of its waits: a slow run fails with the audit's difference, not jest's timeout

  it('retries enrichment while the API answers 503 for a window, and syncs from it once it recovers', async () => {
    // Prepare
    const webhook = await interview('api-503');
    round0Api.faults.add({ method: 'GET', status: 503, when: 'before', times: Number.MAX_SAFE_INTEGER });

    // Act: the window lasts until the API refused more reads than one delivery makes (four attempts)
    expect((await world.deliver('round0', webhook)).status).toBe(202);
    await eventually(
      () => expect(round0Api.log.count({ method: 'GET', applied: false })).toBeGreaterThanOrEqual(5),
      20_000,
    );
    const writesWhileDown = writesOf('api-503');
    round0Api.faults.clear();

    // Assess
    expect(writesWhileDown).toEqual([]);
    expectedEffects.push(...completedEffects('round0', 'api-503'));
    await audit(world, { effects: expectedEffects });
    expect(writesOf('api-503').find((write) => write?.type === 'interview-sync.note')?.note?.text).toContain(
      fromTheRound0Api,
    );
  }, 150_000); // above the sum of its waits: a slow run fails with the audit's difference, not jest's timeout

  it('retries enrichment while the API resets every connection for a window, each attempt counted, and syncs from it after', async () => {
    // Prepare
    const webhook = await interview('api-reset');
    const reads = { method: 'GET', path: /\/interviews\/api-reset$/ };
    round0Api.faults.add({ ...reads, status: 'reset', when: 'before', times: Number.MAX_SAFE_INTEGER });

    // Act: the window lasts until the API dropped more reads than one delivery makes (four attempts), so
    // the event was attempted during the outage, in-process and by the queue
    expect((await world.deliver('round0', webhook)).status).toBe(202);
    await eventually(
      () => expect(round0Api.log.count({ ...reads, applied: false })).toBeGreaterThanOrEqual(5),
      20_000,
    );
    const writesWhileDown = writesOf('api-reset');
    round0Api.faults.clear();

    // Assess
    expect(writesWhileDown).toEqual([]);
    expectedEffects.push(...completedEffects('round0', 'api-reset'));
    await audit(world, { effects: expectedEffects });
    expect(
      writesOf('api-reset').find((write) => write?.type === 'interview-sync.note')?.note?.text,
    ).toContain(fromTheRound0Api);
  }, 150_000); // above the sum of its waits: a slow run fails with the audit's difference, not jest's timeout

  it("retries a micro1 report's enrichment while the API answers 503 for a window, and fills its missing part from it once it recovers", async () => {
    // Prepare: a report whose webhook lacks the transcript; the API's copy has it
    const webhook = await micro1Report('Api503', (json) => {
      delete json.data.interview_transcript;
    });
    micro1Api.state.reports.push(micro1ReportFromWebhook(JSON.parse(webhook)));
    micro1Api.faults.add({ method: 'GET', status: 503, when: 'before', times: Number.MAX_SAFE_INTEGER });

    // Act: the window lasts until the API refused more reads than one delivery makes
    expect((await world.deliver('micro1', webhook)).status).toBe(202);
    await eventually(
      () => expect(micro1Api.log.count({ method: 'GET', applied: false })).toBeGreaterThanOrEqual(5),
      20_000,
    );
    const writesWhileDown = writesOf('report:Api503', 'micro1');
    micro1Api.faults.clear();

    // Assess: nothing written from the webhook alone while the API was down; then every effect once, the
    // note with the API's transcript
    expect(writesWhileDown).toEqual([]);
    expectedEffects.push(...completedEffects('micro1', 'report:Api503'));
    await audit(world, { effects: expectedEffects });
    expect(
      writesOf('report:Api503', 'micro1').find((write) => write?.type === 'interview-sync.note')?.note?.text,
    ).toContain(micro1ApiLine);
  }, 150_000); // above the sum of its waits: a slow run fails with the audit's difference, not jest's timeout
});
