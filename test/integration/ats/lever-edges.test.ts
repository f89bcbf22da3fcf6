/**
 * Behaviours of the Lever adapter that lever.test.ts's contract tests left open (helper-182's review by
 * mutation found each change to them passing every test). Each test names the production failure it guards
 * against.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AtsTransientError } from '../../../functions/ats/errors.js';
import { createLeverAdapter } from '../../../functions/ats/lever/adapter.js';
import { type FakeLever, startFakeLever } from '../../../local/fakes/lever.js';
import { aContext, anOpportunity, aScreeningNote, fastHttp, recordingSleep } from './factories.js';

describe('Lever adapter: edge cases', () => {
  let fake: FakeLever;
  const requestsTo = (path: string) => fake.state.requests.filter((r) => r.path === path);
  const adapterFor = (config: Record<string, unknown> = {}) =>
    createLeverAdapter(
      { baseUrl: `${fake.url}/v1`, performAs: 'user-1', http: fastHttp, ...config },
      { apiKey: 'lever-key' },
      { sleep: recordingSleep().sleep },
    );

  beforeEach(async () => {
    fake = await startFakeLever({
      seed: { users: ['user-1'], stages: ['stage-applied'], opportunities: [anOpportunity()] },
    });
  });

  afterEach(async () => {
    await fake.close();
  });

  it('posts the note as secret when noteSecret is configured', async () => {
    // Prepare: a customer that keeps AI screening notes to fewer users
    const ats = adapterFor({ noteSecret: true });

    // Act
    await ats.addNote({ candidateId: 'contact-1', applicationId: 'opp-1' }, aScreeningNote(), aContext());

    // Assess
    expect(fake.state.notes.map((note) => note.secret)).toEqual([true]);
  });

  it('moves an opportunity whose stage at the interview’s start is unknown (no fromStageId)', async () => {
    // Prepare: the sync passes no fromStageId when it has no stage recorded for the opportunity
    fake.state.stages.push('stage-screened');
    const ats = adapterFor();

    // Act
    const outcome = await ats.moveStage?.(
      { candidateId: 'contact-1', applicationId: 'opp-1' },
      { toStageId: 'stage-screened' },
      aContext(),
    );

    // Assess
    expect(outcome).toBe('moved');
    expect(fake.state.opportunities[0]?.stage).toBe('stage-screened');
  });

  it('finds the opportunity when the event’s address differs from Lever’s only in letter case', async () => {
    // Prepare: the vendor sends the address as the candidate typed it; Lever keeps its own spelling
    const ats = adapterFor();

    // Act
    const match = await ats.findApplication({ email: 'Ada@Example.COM' });

    // Assess
    expect(match).toEqual({ candidateId: 'contact-1', applicationId: 'opp-1' });
  });

  it('fails a status tag write that got no answer without resending it (it could land after the next status)', async () => {
    // Prepare: the first addTags is held past the client's timeout; the client would have 3 attempts
    const held = fake.faults.hold({ method: 'POST', path: /\/addTags$/ });
    const ats = adapterFor({ http: { timeoutMs: 300, maxAttempts: 3, baseDelayMs: 1 } });

    // Act
    const error = await ats
      .setStatus({ candidateId: 'contact-1', applicationId: 'opp-1' }, 'in_progress', aContext())
      .catch((e: unknown) => e);
    const resent = requestsTo('/v1/opportunities/opp-1/addTags').length;
    held.release();

    // Assess: sent once, and failed as transient for the sync to settle
    expect(error).toBeInstanceOf(AtsTransientError);
    expect(held.count).toBe(1);
    expect(resent).toBe(0);
  });
});
