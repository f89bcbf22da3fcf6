/**
 * Recognising a vendor's test delivery ("send test webhook" in its dashboard) by what the vendor's docs say
 * marks it — and never a real event: every sample in `/work/shared/fixtures` and `local/fixtures` other
 * than ROUND0's documented test event, and any event with real-shaped ids, is not a test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { type VendorName, vendorNames } from '../../../functions/vendors/envelope.js';
import { isTestDelivery, parseVendorEvent } from '../../../functions/vendors/index.js';
import { fixturesDir } from '../../helpers/fixtures.js';
import { micro1Event, receivedAt, round0Event } from './factories.js';

/** The vendors' samples as handed to us (`/work/shared/fixtures`), when present on this machine. */
const sharedFixturesDir = '/work/shared/fixtures';

/** Every sample body under `dir/<vendor>/*.json`, named `<vendor>/<file>`. */
const samplesIn = (dir: string): Array<[string, VendorName, unknown]> =>
  vendorNames.flatMap((vendor) => {
    let files: string[];
    try {
      files = readdirSync(join(dir, vendor)).filter((file) => file.endsWith('.json'));
    } catch {
      return [];
    }
    return files.map((file): [string, VendorName, unknown] => [
      `${vendor}/${file}`,
      vendor,
      JSON.parse(readFileSync(join(dir, vendor, file), 'utf8')),
    ]);
  });

/** ROUND0's documented test event (its guide's "Use the Dashboard to send test events"). */
const documentedTest = 'round0/test_interview_ended.json';

const realSamples = [...samplesIn(fixturesDir), ...samplesIn(sharedFixturesDir)].filter(
  ([name]) => name !== documentedTest,
);

describe('test deliveries: ROUND0', () => {
  it('recognises the documented test event (evt_test_… id, test-… ids)', () => {
    // Act / Assess
    expect(isTestDelivery('round0', round0Event('test_interview_ended'))).toBe(true);
  });

  it.each([
    ['an interview_started test', round0Event('interview_started', { set: { id: 'evt_test_987654321' } })],
    [
      'an evt_test_ id on a real-shaped interview',
      round0Event('interview_ended', { set: { id: 'evt_test_0a1b2c3d' } }),
    ],
    [
      'the guide’s test-… interview and candidate ids without the evt_test_ prefix',
      round0Event('test_interview_ended', { set: { id: 'evt_123456789' } }),
    ],
  ])('recognises %s', (_, body) => {
    // Act / Assess
    expect(isTestDelivery('round0', body)).toBe(true);
  });

  it.each([
    [
      'a test-… interview id alone',
      round0Event('interview_ended', { set: { 'data.interview.id': 'test-interview-id' } }),
    ],
    [
      'a test-… candidate id alone',
      round0Event('interview_ended', { set: { 'data.candidate.id': 'test-candidate-id' } }),
    ],
    ['test in the middle of an id', round0Event('interview_ended', { set: { id: 'evt_latest_1' } })],
    ['no id at all', round0Event('interview_ended', { remove: ['id'] })],
  ])('does not take %s for a test', (_, body) => {
    // Act / Assess
    expect(isTestDelivery('round0', body)).toBe(false);
  });

  it('never takes an event with real-shaped ids (evt_ + 32 hex, UUIDs) for a test', () => {
    // Prepare
    const hex = (length: number) =>
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
    const uuid = fc.uuid();

    // Act / Assess
    fc.assert(
      fc.property(hex(32), uuid, uuid, (eventHex, interviewId, candidateId) => {
        const body = round0Event('interview_ended', {
          set: { id: `evt_${eventHex}`, 'data.interview.id': interviewId, 'data.candidate.id': candidateId },
        });
        expect(isTestDelivery('round0', body)).toBe(false);
      }),
    );
  });

  it('flags the parsed envelope `test: true` for a test, and leaves a real event unflagged', () => {
    // Act
    const test = parseVendorEvent('round0', round0Event('test_interview_ended'), receivedAt);
    const real = parseVendorEvent('round0', round0Event('interview_ended'), receivedAt);

    // Assess
    expect(test.ok && test.event.test).toBe(true);
    expect(real.ok && 'test' in real.event).toBe(false);
  });

  it('still refuses an invalid test event: it is validated like any other', () => {
    // Act
    const result = parseVendorEvent(
      'round0',
      round0Event('test_interview_ended', { remove: ['data.interview.id'] }),
      receivedAt,
    );

    // Assess
    expect(result.ok).toBe(false);
  });
});

describe('test deliveries: micro1', () => {
  it('recognises none, not even a sample full of TEST values (micro1 documents no test deliveries)', () => {
    // Prepare: the applicant samples carry `TEST123`, `TESTJOBID456`, `Test Engineer`, `john.doe@test.com`
    const body = micro1Event('applicant.created', { set: { 'data.candidate_id': 'test-candidate-id' } });

    // Act / Assess
    expect(isTestDelivery('micro1', body)).toBe(false);
  });
});

describe('test deliveries: the vendors’ real samples', () => {
  it('has samples from both the repository and the shared vendor facts', () => {
    // Assess: the local fixtures alone hold 11 real samples (the shared copy is optional on a machine)
    expect(realSamples.length).toBeGreaterThanOrEqual(11);
  });

  it.each(realSamples)('%s is not a test delivery', (_, vendor, body) => {
    // Act
    const parsed = parseVendorEvent(vendor, body, receivedAt);

    // Assess
    expect(isTestDelivery(vendor, body)).toBe(false);
    expect(parsed.ok && 'test' in parsed.event).toBe(false);
  });
});
