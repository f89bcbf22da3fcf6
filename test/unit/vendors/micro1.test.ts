import { contentDedupeKey, parseVendorEvent } from '../../../functions/vendors/index.js';
import { micro1DateToIso } from '../../../functions/vendors/micro1/schema.js';
import { type EventChanges, type Json, micro1Event, receivedAt } from './factories.js';

const parse = (body: unknown) => parseVendorEvent('micro1', body, receivedAt);

function parsedEvent(body: unknown) {
  const result = parse(body);
  if (!result.ok) throw new Error(`Expected the body to be accepted: ${JSON.stringify(result.issues)}`);
  return result.event;
}

describe('micro1 events: rejected bodies', () => {
  it.each<[string, Json, string]>([
    [
      'resume_score as a number',
      micro1Event('applicant.completed', { set: { 'data.resume_score': 99.99 } }),
      'data.resume_score',
    ],
    [
      'resume_score that is not decimal',
      micro1Event('applicant.created', { set: { 'data.resume_score': 'high' } }),
      'data.resume_score',
    ],
    [
      'date_modified in ISO format',
      micro1Event('applicant.updated', { set: { 'data.date_modified': '2100-01-01T00:00:00Z' } }),
      'data.date_modified',
    ],
    [
      'date_modified on no calendar',
      micro1Event('applicant.updated', { set: { 'data.date_modified': '2024-02-30 10:00:00' } }),
      'data.date_modified',
    ],
    [
      'no date_modified on an applicant event',
      micro1Event('applicant.invited', { remove: ['data.date_modified'] }),
      'data.date_modified',
    ],
    [
      'no micro1_job_application_id',
      micro1Event('applicant.created', { remove: ['data.micro1_job_application_id'] }),
      'data.micro1_job_application_id',
    ],
    [
      'date_started without seconds',
      micro1Event('interview.started', { set: { 'data.date_started': '2024-01-01 10:00' } }),
      'data.date_started',
    ],
    [
      'an interview_id longer than a ledger key allows on interview_report.created',
      micro1Event('interview_report.created', { set: { 'data.interview_id': 'i'.repeat(2100) } }),
      'data.interview_id',
    ],
    [
      'an interview_id longer than a ledger key allows on interview.completed',
      micro1Event('interview.started', {
        set: { event: 'interview.completed', 'data.interview_id': 'i'.repeat(2100) },
      }),
      'data.interview_id',
    ],
    [
      'a candidate_id longer than a ledger key allows on interview_report.created',
      micro1Event('interview_report.created', { set: { 'data.candidate_id': 'c'.repeat(256) } }),
      'data.candidate_id',
    ],
    [
      'no interview_id on interview.started',
      micro1Event('interview.started', { remove: ['data.interview_id'] }),
      'data.interview_id',
    ],
    [
      'no candidate_id on interview.started',
      micro1Event('interview.started', { remove: ['data.candidate_id'] }),
      'data.candidate_id',
    ],
    [
      'report_date with a time',
      micro1Event('interview_report.created', { set: { 'data.report_date': '2024-01-01 00:00:00' } }),
      'data.report_date',
    ],
    [
      'report_date in US format',
      micro1Event('interview_report.created', { set: { 'data.report_date': '01/01/2024' } }),
      'data.report_date',
    ],
    [
      'ai_match_score as a string',
      micro1Event('interview_report.created', { set: { 'data.ai_match_score': '85' } }),
      'data.ai_match_score',
    ],
    [
      'a transcript entry that is not an object',
      micro1Event('interview_report.created', { set: { 'data.interview_transcript.0': 'hi' } }),
      'data.interview_transcript.0',
    ],
    [
      'no report_id on a report',
      micro1Event('interview_report.created', { remove: ['data.report_id'] }),
      'data.report_id',
    ],
    [
      'no report_id on a recording',
      micro1Event('interview_recording.completed', { remove: ['data.report_id'] }),
      'data.report_id',
    ],
    [
      'no recording URL',
      micro1Event('interview_webcam_recording.completed', {
        remove: ['data.interview_webcam_recording_url'],
      }),
      'data.interview_webcam_recording_url',
    ],
    [
      'proctoring_score as a string',
      micro1Event('proctoring_score.completed', { set: { 'data.proctoring_score': '85' } }),
      'data.proctoring_score',
    ],
    [
      'no proctoring_score',
      micro1Event('proctoring_score.completed', { remove: ['data.proctoring_score'] }),
      'data.proctoring_score',
    ],
    [
      'proctoring_score above 100',
      micro1Event('proctoring_score.completed', { set: { 'data.proctoring_score': 120 } }),
      'data.proctoring_score',
    ],
    [
      'an ATS id that is an object',
      micro1Event('applicant.created', { set: { 'data.ats_job_id': { id: 1 } } }),
      'data.ats_job_id',
    ],
    ['no event', micro1Event('applicant.created', { remove: ['event'] }), 'event'],
    ['an empty event', micro1Event('applicant.created', { set: { event: '' } }), 'event'],
    ['no data', micro1Event('applicant.created', { remove: ['data'] }), 'data'],
    [
      'data as an array',
      micro1Event('applicant.created', { set: { event: 'some.new_event', data: [] } }),
      'data',
    ],
  ])('refuses %s at its path', (_, body, path) => {
    // Act
    const result = parse(body);

    // Assess
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((issue) => issue.path)).toEqual([path]);
  });
});

describe('micro1 events: accepted variations', () => {
  it.each<[string, string, EventChanges]>([
    ['a null resume_score (not scored yet)', 'applicant.created', { set: { 'data.resume_score': null } }],
    ['an integral resume_score string', 'applicant.completed', { set: { 'data.resume_score': '85' } }],
    [
      'null ATS ids',
      'applicant.updated',
      { set: { 'data.ats_job_id': null, 'data.ats_job_application_id': null } },
    ],
    ['a null date_started', 'interview.started', { set: { 'data.date_started': null } }],
    [
      'a null proctoring score on a report',
      'interview_report.created',
      { set: { 'data.proctoring_score': null } },
    ],
  ])('accepts %s', (_, type, changes) => {
    // Act
    const result = parse(micro1Event(type, changes));

    // Assess
    expect(result.ok).toBe(true);
  });

  it('reads the e-mail from email_id on applicant events and candidate_email_id on interview events', () => {
    // Act
    const applicant = parsedEvent(micro1Event('applicant.created'));
    const interview = parsedEvent(micro1Event('interview.started'));

    // Assess
    expect(applicant.candidate.email).toBe('john.doe@test.com');
    expect(interview.candidate.email).toBe('john.doe@micro1.ai');
  });

  it('omits null ATS ids and reads integer ATS ids as strings', () => {
    // Prepare
    const withNulls = micro1Event('applicant.created', {
      set: { 'data.ats_job_id': null, 'data.ats_job_application_id': null },
    });
    const withNumbers = micro1Event('applicant.created', {
      set: { 'data.ats_job_id': 4001, 'data.ats_job_application_id': 90210 },
    });

    // Act
    const fromNulls = parsedEvent(withNulls).candidate;
    const fromNumbers = parsedEvent(withNumbers).candidate;

    // Assess
    expect(fromNulls).not.toHaveProperty('atsJobId');
    expect(fromNulls).not.toHaveProperty('atsApplicationId');
    expect(fromNumbers).toMatchObject({ atsJobId: '4001', atsApplicationId: '90210' });
  });

  it('takes occurredAt from the most specific date present', () => {
    // Prepare
    const onlyCreated = micro1Event('interview_report.created', {
      set: { 'data.date_created': '2024-03-04 05:06:07' },
      remove: ['data.date_modified'],
    });
    const onlyReportDate = micro1Event('interview_report.created', {
      remove: ['data.date_modified', 'data.date_created'],
    });

    // Act
    const fromCreated = parsedEvent(onlyCreated).occurredAt;
    const fromReportDate = parsedEvent(onlyReportDate).occurredAt;

    // Assess: a report day is no time (its midnight would date the report up to a day early)
    expect(fromCreated).toBe('2024-03-04T05:06:07.000Z');
    expect(fromReportDate).toBeUndefined();
  });

  it('passes unknown fields through untouched at every level', () => {
    // Prepare
    const body = micro1Event('interview_report.created', {
      set: {
        webhook_version: 3,
        'data.culture_fit': { rating: 'A', notes: ['a', 'b'] },
        'data.interview_transcript.0.confidence': 0.98,
        'data.proctoring_violations.0.severity': null,
      },
    });
    const pristine = structuredClone(body);

    // Act
    const event = parsedEvent(body);

    // Assess
    expect(event.payload).toStrictEqual(pristine);
    expect(event.payload).toBe(body);
  });
});

describe('micro1 interview.completed (undocumented payload)', () => {
  it('keys on interview and candidate ids when it has them', () => {
    // Prepare
    const body = micro1Event('interview.started', {
      set: { event: 'interview.completed', 'data.date_completed': 'sometime' },
    });

    // Act
    const event = parsedEvent(body);

    // Assess
    expect(event).toMatchObject({
      known: true,
      type: 'interview.completed',
      dedupeKey:
        'micro1:interview.completed:123c4567-e89b-12d3-a456-426614174000:123a4567-e89b-12d3-a456-426614174000',
      occurredAt: '2024-01-01T10:00:00.000Z',
      interviewId: '123c4567-e89b-12d3-a456-426614174000',
    });
  });

  it('dates a completion by its date_completed when it carries a readable one, else by its start', () => {
    // Prepare
    const completed = (dateCompleted: string) =>
      micro1Event('interview.started', {
        set: { event: 'interview.completed', 'data.date_completed': dateCompleted },
      });

    // Act
    const readable = parsedEvent(completed('2024-01-01 10:45:00')).occurredAt;
    const unreadable = parsedEvent(completed('sometime')).occurredAt;

    // Assess
    expect(readable).toBe('2024-01-01T10:45:00.000Z');
    expect(unreadable).toBe('2024-01-01T10:00:00.000Z');
  });

  it('accepts a payload without ids or readable dates and keys it on a content hash', () => {
    // Prepare
    const body = { event: 'interview.completed', data: { date_started: '01/01/2024 10:00', score: 'n/a' } };

    // Act
    const event = parsedEvent(body);

    // Assess
    expect(event.known).toBe(true);
    expect(event.dedupeKey).toMatch(/^micro1:interview\.completed:sha256:[0-9a-f]{64}$/);
    expect(event).not.toHaveProperty('occurredAt');
    expect(event).not.toHaveProperty('interviewId');
  });
});

describe('micro1 events of unknown types', () => {
  it('queues them as not known with a content-hash key', () => {
    // Prepare
    const body = { event: 'interview.cancelled', data: { interview_id: 'i-1', candidate_email_id: 'a@b.c' } };

    // Act
    const event = parsedEvent(body);

    // Assess
    expect(event).toStrictEqual({
      schemaVersion: 1,
      vendor: 'micro1',
      type: 'interview.cancelled',
      known: false,
      dedupeKey: expect.stringMatching(/^micro1:interview\.cancelled:sha256:[0-9a-f]{64}$/),
      receivedAt: '2024-06-01T12:00:00.000Z',
      interviewId: 'i-1',
      candidate: { email: 'a@b.c' },
      payload: body,
    });
  });
});

describe('micro1 dedupe keys', () => {
  it('gives a redelivery the same key', () => {
    // Act
    const first = parsedEvent(micro1Event('interview_recording.completed'));
    const again = parsedEvent(micro1Event('interview_recording.completed'));

    // Assess
    expect(again.dedupeKey).toBe(first.dedupeKey);
  });

  it('gives applicant.updated with a new date_modified a new key', () => {
    // Prepare
    const later = micro1Event('applicant.updated', { set: { 'data.date_modified': '2100-01-02 08:00:00' } });

    // Act
    const first = parsedEvent(micro1Event('applicant.updated'));
    const second = parsedEvent(later);

    // Assess
    expect(second.dedupeKey).toBe(
      'micro1:applicant.updated:123b4567-e89b-12d3-a456-426614174000:2100-01-02 08:00:00',
    );
    expect(second.dedupeKey).not.toBe(first.dedupeKey);
  });

  it('keeps the event type in the key, so two events about one report stay distinct', () => {
    // Act
    const recording = parsedEvent(micro1Event('interview_recording.completed'));
    const webcam = parsedEvent(micro1Event('interview_webcam_recording.completed'));

    // Assess
    expect(recording.dedupeKey).not.toBe(webcam.dedupeKey);
  });

  it('keeps two events apart whose ids differ only in where a colon falls, and ordinary ids as they were', () => {
    // Prepare
    const started = (interviewId: string, candidateId: string) =>
      micro1Event('interview.started', {
        set: { 'data.interview_id': interviewId, 'data.candidate_id': candidateId },
      });
    const applicant = (applicationId: string) =>
      micro1Event('applicant.updated', {
        set: { 'data.micro1_job_application_id': applicationId, 'data.date_modified': '2100-01-02 08:00:00' },
      });

    // Act
    const keys = [
      started('a:b', 'c'),
      started('a', 'b:c'),
      started('a%3Ab', 'c'),
      applicant('a:2100-01-02 08'),
      applicant('a'),
    ].map((body) => parsedEvent(body).dedupeKey);
    const ordinary = parsedEvent(started('int-1', 'cand-1')).dedupeKey;

    // Assess
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys[0]).toBe('micro1:interview.started:a%3Ab:c');
    expect(ordinary).toBe('micro1:interview.started:int-1:cand-1');
  });

  it('hashes the body as parsed: a `__proto__` key valibot drops still tells two events apart', () => {
    // Prepare
    const first = JSON.parse('{"event":"x.y","data":{"a":1,"__proto__":{"n":1}}}') as unknown;
    const second = JSON.parse('{"event":"x.y","data":{"a":1,"__proto__":{"n":2}}}') as unknown;
    const plain = { event: 'x.y', data: { a: 1 } };

    // Act
    const [firstKey, secondKey, plainKey] = [first, second, plain].map((body) => parsedEvent(body).dedupeKey);

    // Assess
    expect(firstKey).not.toBe(secondKey);
    expect(firstKey).not.toBe(plainKey);
    expect(plainKey).toBe(contentDedupeKey('micro1', 'x.y', plain));
  });

  it('hashes unknown events independently of key order but not of content', () => {
    // Prepare
    const body = { event: 'x.y', data: { a: 1, nested: { b: [1, 2], c: null } } };
    const reordered = { data: { nested: { c: null, b: [1, 2] }, a: 1 }, event: 'x.y' };
    const changed = { event: 'x.y', data: { a: 1, nested: { b: [2, 1], c: null } } };

    // Act
    const [key, reorderedKey, changedKey] = [body, reordered, changed].map((b) => parsedEvent(b).dedupeKey);

    // Assess
    expect(reorderedKey).toBe(key);
    expect(changedKey).not.toBe(key);
  });
});

describe('micro1DateToIso', () => {
  it.each([
    ['2024-01-01 10:00:00', '2024-01-01T10:00:00.000Z'],
    ['2024-02-29 23:59:59', '2024-02-29T23:59:59.000Z'],
    ['2024-01-01', '2024-01-01T00:00:00.000Z'],
    ['2023-02-29 00:00:00', undefined],
    ['2024-01-01 24:00:00', undefined],
    ['2024-01-01T10:00:00', undefined],
    ['2024-1-1 10:00:00', undefined],
    ['', undefined],
  ])('reads %p as %p (UTC)', (text, iso) => {
    // Act
    const result = micro1DateToIso(text);

    // Assess
    expect(result).toBe(iso);
  });
});
