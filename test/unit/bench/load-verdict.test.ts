/**
 * `npm run load`'s verdict (local/load/run.ts `loadPassed`): its exit code is 0 only when nothing was lost,
 * nothing done twice, nothing refused, every note had the vendor API's data, and the queues drained before
 * the audit.
 */
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
const audit = { notesWithoutApiData: [] };

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
        audit: { notesWithoutApiData: ['round0:i-1:note'] },
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
});
