/**
 * Behaviours of the Greenhouse adapter that greenhouse.test.ts's contract tests left open (helper-182's review by
 * mutation found each change to them passing every test). Each test names the production failure it guards
 * against.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createGreenhouseAdapter } from '../../../functions/ats/greenhouse/adapter.js';
import {
  type FakeGreenhouse,
  type FakeGreenhouseOptions,
  startFakeGreenhouse,
} from '../../../local/fakes/greenhouse.js';
import { aContext, greenhouseCredentials as credentials, fastHttp, recordingSleep } from './factories.js';

const seed: FakeGreenhouseOptions['seed'] = {
  candidates: [{ id: 11, email_addresses: [{ value: 'ada@example.com', type: 'personal' }] }],
  applications: [{ id: 101, candidate_id: 11, job_id: 7, stage_id: 500, status: 'active' }],
  jobInterviewStages: [
    { id: 500, name: 'Application Review', job_id: 7, priority: 0 },
    { id: 501, name: 'AI Screen Done', job_id: 7, priority: 1 },
  ],
};

describe('Greenhouse adapter: edge cases', () => {
  let fake: FakeGreenhouse;
  const requestsTo = (path: string) => fake.state.requests.filter((r) => r.path === path);

  beforeEach(async () => {
    fake = await startFakeGreenhouse({ seed });
  });

  afterEach(async () => {
    await fake.close();
  });

  it('reaches its token endpoint on another host than the API under the SSRF guard the worker always sets', async () => {
    // Prepare: as deployed, auth.greenhouse.io and harvest.greenhouse.io are two hosts; here 127.0.0.1 and
    // localhost (the same fake), with the worker's URL policy (relaxed only for http and loopback)
    const port = new URL(fake.url).port;
    const ats = createGreenhouseAdapter(
      {
        baseUrl: `http://127.0.0.1:${port}/v3`,
        authUrl: `http://localhost:${port}/token`,
        userId: '42',
        http: fastHttp,
      },
      credentials,
      { sleep: recordingSleep().sleep, urlPolicy: { allowHttp: true, allowPrivateAddresses: true } },
    );

    // Act
    const match = await ats.findApplication({ atsApplicationId: '101' });

    // Assess
    expect(match).toEqual({ candidateId: '11', applicationId: '101' });
    expect(requestsTo('/token').map((r) => r.status)).toEqual([200]);
  });

  it('moves an application whose stage at the interview’s start is unknown (no fromStageId) from where it is', async () => {
    // Prepare: the sync passes no fromStageId when it has no stage recorded for the application
    const ats = createGreenhouseAdapter(
      { baseUrl: `${fake.url}/v3`, authUrl: `${fake.url}/token`, userId: '42', http: fastHttp },
      credentials,
      { sleep: recordingSleep().sleep },
    );

    // Act
    const outcome = await ats.moveStage?.(
      { candidateId: '11', applicationId: '101' },
      { toStageId: '501' },
      aContext(),
    );

    // Assess
    expect(outcome).toBe('moved');
    expect(fake.currentStageOf(101)).toBe(501);
    expect(requestsTo('/v3/applications/101/move').map((r) => r.body)).toEqual([
      { from_stage_id: 500, to_stage_id: 501 },
    ]);
  });

  it('holds a later request until the Retry-After of a 429 has passed, not a tenth of it', async () => {
    // Prepare: a clock that stands still, so the pause left is exactly what the 429 asked for
    const sleeps = recordingSleep();
    const ats = createGreenhouseAdapter(
      { baseUrl: `${fake.url}/v3`, authUrl: `${fake.url}/token`, userId: '42', http: fastHttp },
      credentials,
      { sleep: sleeps.sleep, now: () => 1_800_000_000_000 },
    );
    await ats.findApplication({ atsApplicationId: '101' });
    fake.failNext({
      status: 429,
      headers: { 'retry-after': '5' },
      body: { errors: [{ message: 'rate limit exceeded' }] },
      match: (r) => r.path === '/v3/applications',
    });
    await ats.findApplication({ atsApplicationId: '101' });
    sleeps.calls.length = 0;

    // Act: another request, while the window the 429 named is still running
    await ats.currentStage?.({ candidateId: '11', applicationId: '101' });

    // Assess: it waited out the 5 s before it was sent
    expect(sleeps.calls).toEqual([5_000]);
  });
});
