/**
 * `npm run load`'s verdict (local/load/run.ts `loadPassed`): its exit code is 0 only when nothing was lost,
 * nothing done twice, nothing refused, every note had the vendor API's data, and the queues drained before
 * the audit.
 */
import { statusRegressionsOf } from '../../../local/load/audit.js';
import { type LoadSummary, loadPassed } from '../../../local/load/run.js';

const clean: LoadSummary = {
  sent: 30,
  accepted: 30,
  non2xx: 0,
  lost: 0,
  duplicateEffects: 0,
  expectedEffects: 40,
  drainSeconds: 2.1,
  p50Ms: 4,
  p99Ms: 20,
  eventsPerSecond: 300,
};
const audit = { notesWithoutApiData: [], statusRegressions: [] };

describe('load verdict', () => {
  it('passes a clean audit of drained queues', () => {
    // Assess
    expect(loadPassed({ summary: clean, drained: true, idMismatches: 0, audit })).toBe(true);
  });

  it('fails a clean audit when the queues never drained: what is left could make effects it never saw', () => {
    // Assess
    expect(loadPassed({ summary: clean, drained: false, idMismatches: 0, audit })).toBe(false);
  });

  it('fails when a 202 named another event than the one sent', () => {
    // Assess
    expect(loadPassed({ summary: clean, drained: true, idMismatches: 1, audit })).toBe(false);
  });

  it("fails when a note was written without the vendor API's view of its interview", () => {
    // Assess
    expect(
      loadPassed({
        summary: clean,
        drained: true,
        idMismatches: 0,
        audit: { notesWithoutApiData: ['round0:i-1:note'], statusRegressions: [] },
      }),
    ).toBe(false);
  });

  it.each([
    ['lost', { lost: 1 }],
    ['duplicateEffects', { duplicateEffects: 1 }],
    ['non2xx', { non2xx: 1 }],
  ] as const)('fails on %s', (_name, change) => {
    // Assess
    expect(loadPassed({ summary: { ...clean, ...change }, drained: true, idMismatches: 0, audit })).toBe(
      false,
    );
  });

  it('fails when an interview\'s ATS record got "in progress" after "completed"', () => {
    // Assess
    expect(
      loadPassed({
        summary: clean,
        drained: true,
        idMismatches: 0,
        audit: { notesWithoutApiData: [], statusRegressions: ['round0:i-1:status:in_progress'] },
      }),
    ).toBe(false);
  });
});

describe('statusRegressionsOf (the load audit, from the ATS file alone)', () => {
  it('finds "in progress" written after "completed" for the same interview, across its items (micro1)', () => {
    // Prepare: interview 0 (ROUND0) in order; interview 1 (micro1: session and report items) backwards;
    // interview 2 completed before another interview's start
    const interviewOf = new Map([
      ['round0:i-0:status:in_progress', 0],
      ['round0:i-0:status:completed', 0],
      ['micro1:session:s-1:c-1:status:in_progress', 1],
      ['micro1:report:r-1:status:completed', 1],
      ['round0:i-2:status:completed', 2],
      ['round0:i-3:status:in_progress', 3],
    ]);
    const lines = [
      'round0:i-0:status:in_progress',
      'round0:i-0:status:completed',
      'micro1:report:r-1:status:completed',
      'round0:i-2:status:completed',
      'round0:i-3:status:in_progress',
      'micro1:session:s-1:c-1:status:in_progress',
    ].map((eventKey) => ({ eventKey }));

    // Act / Assess
    expect(statusRegressionsOf(lines, interviewOf)).toEqual(['micro1:session:s-1:c-1:status:in_progress']);
  });
});
