/**
 * The vendors' checks the other vendors tests leave open: token rotation in either order, the issues a
 * refused body is named by (never a payload's own key, never hundreds of them), a number too long to be
 * read, an empty media URL, and empty text read as absent.
 */
import { describe, expect, it } from '@jest/globals';
import {
  generateWebhookToken,
  nonFiniteNumberPath,
  parseVendorEvent,
  verifyMicro1Token,
} from '../../../functions/vendors/index.js';
import { micro1Event, receivedAt, round0Event } from './factories.js';

describe('verifyMicro1Token during a rotation', () => {
  it('accepts the first of two configured tokens as well as the second', () => {
    // Prepare
    const current = generateWebhookToken();
    const previous = generateWebhookToken();

    // Act
    const first = verifyMicro1Token(current, [current, previous]);
    const second = verifyMicro1Token(previous, [current, previous]);

    // Assess
    expect([first, second]).toEqual([true, true]);
  });
});

describe('the issues of a refused body', () => {
  it('names a number too large to be read under a payload’s own key as *, never the key (it may be an e-mail)', () => {
    // Prepare: answers keyed by the candidate's e-mail, one holding a number that reads as Infinity
    const text = '{"data":{"answers":{"jane.doe@example.com":{"score":1e999}}}}';

    // Act
    const path = nonFiniteNumberPath(text, JSON.parse(text));

    // Assess
    expect(path).toBe('data.answers.*.score');
  });

  it('reports at most 20 issues however many fields fail', () => {
    // Prepare: 50 answers with a score out of range
    const body = round0Event('interview_ended', {
      set: { 'data.responses': Array.from({ length: 50 }, () => ({ score: 500 })) },
    });

    // Act
    const result = parseVendorEvent('round0', body, receivedAt);

    // Assess
    expect(result.ok ? [] : result.issues).toHaveLength(20);
  });
});

describe('ids and types that become keys', () => {
  it('refuses an event type longer than 100 characters, which would name keys and logs', () => {
    // Prepare: an unknown type, otherwise accepted with `known: false`
    const body = round0Event('interview_started', { set: { type: 't'.repeat(101) } });

    // Act
    const result = parseVendorEvent('round0', body, receivedAt);

    // Assess
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual(['type']);
  });

  it.each([
    ['round0', 'interview_ended', 'id'],
    ['round0', 'interview_ended', 'type'],
    ['micro1', 'interview_report.created', 'data.report_id'],
    ['micro1', 'interview.started', 'data.interview_id'],
  ] as const)('refuses a %s %s whose %s is only whitespace, naming the field', (vendor, type, path) => {
    // Prepare: a key of blanks names nothing (a dedupe key ending in spaces, an API path that can only 404)
    const body =
      vendor === 'round0'
        ? round0Event(type, { set: { [path]: '   ' } })
        : micro1Event(type, { set: { [path]: ' ' } });

    // Act
    const result = parseVendorEvent(vendor, body, receivedAt);

    // Assess
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual([path]);
  });

  it('keys an undocumented micro1 interview.completed with a blank interview id by its content, not by the blank', () => {
    // Prepare
    const body = micro1Event('interview.started', {
      set: { event: 'interview.completed', 'data.interview_id': ' ' },
    });

    // Act
    const result = parseVendorEvent('micro1', body, receivedAt);

    // Assess
    expect(result.ok ? result.event.dedupeKey : undefined).toMatch(
      /^micro1:interview\.completed:sha256:[0-9a-f]{64}$/,
    );
  });

  it('refuses an ATS id that is a number but not an integer, naming the field', () => {
    // Prepare
    const body = micro1Event('applicant.created', { set: { 'data.ats_job_id': 1.5 } });

    // Act
    const result = parseVendorEvent('micro1', body, receivedAt);

    // Assess
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual(['data.ats_job_id']);
  });
});

describe('nonFiniteNumberPath', () => {
  it('finds a number written with so many digits that it reads as Infinity, without an exponent', () => {
    // Prepare: 400 digits, past the largest double
    const text = `{"data":{"n":${'9'.repeat(400)}}}`;

    // Act
    const path = nonFiniteNumberPath(text, JSON.parse(text));

    // Assess
    expect(path).toBe('data.n');
  });
});

describe('micro1 recording events', () => {
  it.each([
    ['interview_recording.completed', 'data.interview_recording_url'],
    ['interview_webcam_recording.completed', 'data.interview_webcam_recording_url'],
  ])('refuses %s with an empty media URL, naming the field', (type, path) => {
    // Prepare
    const body = micro1Event(type, { set: { [path]: '' } });

    // Act
    const result = parseVendorEvent('micro1', body, receivedAt);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual([path]);
  });
});

describe('empty text in a payload', () => {
  it('reads an empty e-mail or name as absent, so the envelope carries no empty candidate field', () => {
    // Prepare
    const body = round0Event('interview_started', {
      set: { 'data.candidate.email': '', 'data.candidate.name': '' },
    });

    // Act
    const result = parseVendorEvent('round0', body, receivedAt);

    // Assess
    expect(result.ok).toBe(true);
    expect(result.ok ? result.event.candidate : undefined).toStrictEqual({ vendorId: expect.any(String) });
  });

  it('falls back to a micro1 applicant’s email_id when candidate_email_id is empty', () => {
    // Prepare
    const body = micro1Event('applicant.created', {
      set: { 'data.candidate_email_id': '', 'data.email_id': 'jane@example.com' },
    });

    // Act
    const result = parseVendorEvent('micro1', body, receivedAt);

    // Assess
    expect(result.ok ? result.event.candidate.email : undefined).toBe('jane@example.com');
  });
});
