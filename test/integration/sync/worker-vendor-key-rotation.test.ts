/**
 * The real worker handler when micro1's API refuses its key while a report that lacks parts is enriched: a
 * key rotated in the secret since this container cached it is retried with the new one, so the parts only
 * the API has reach the note; it would otherwise be synced once, from the webhook alone, for good. Its own
 * file (secret-rotation-world.ts): the worker's secret cache starts cold.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { micro1ReportFromWebhook } from '../../../local/fakes/micro1-api.js';
import { fixtureBody } from '../../unit/enrichment/factories.js';
import { startRotationWorld } from './secret-rotation-world.js';
import { envelope } from './world.js';

const keys = { ats: 'lever-key', round0Api: 'round0-rotation-key' };
// micro1 knows the new key only: the old one was revoked when it was rotated.
const world = await startRotationWorld({
  accepted: { ...keys, micro1Api: 'micro1-key-new' },
  initial: { ...keys, micro1Api: 'micro1-key-old' },
});
afterAll(() => world.close());

describe('worker handler when a vendor API refuses its key', () => {
  it('retries a report refused with a micro1 key the secret no longer holds, and notes the transcript only the API had', async () => {
    // Prepare: the API has the whole report; the webhook lacks its transcript. While the worker asks the API
    // (with the old key it read), the key is rotated in the secret
    world.micro1Api.state.reports.push(
      micro1ReportFromWebhook(fixtureBody('micro1', 'interview_report.created')),
    );
    const report = envelope('micro1', 'interview_report.created', { remove: ['data.interview_transcript'] });
    const held = world.micro1Api.faults.hold({ method: 'GET', path: /^\/interview\/reports/ });
    const first = world.invoke(report, 1);
    await held.reached;
    world.writeSecrets({ ...keys, micro1Api: 'micro1-key-new' });
    held.release();

    // Act
    const failedFirst = await first;
    const notesAfterFirst = world.lever.state.notes.filter(
      (note) => note.opportunityId === 'ABCD1234',
    ).length;
    const failedRetry = await world.invoke(report, 2);

    // Assess: nothing written from the webhook alone; the retry's note carries the API's transcript
    expect(failedFirst).toHaveLength(1);
    expect(notesAfterFirst).toBe(0);
    expect(await world.deadLetters()).toEqual([]);
    expect(failedRetry).toEqual([]);
    const notes = world.lever.state.notes.filter((note) => note.opportunityId === 'ABCD1234');
    expect(notes).toHaveLength(1);
    expect(JSON.stringify(notes[0])).toContain('Transcript');
  });
});
