import { MissingInterviewKeyError } from '../../../functions/ledger/errors.js';
import { interviewKeyOf, lifecycleOf, sessionKeyOf } from '../../../functions/ledger/lifecycle.js';
import type { InterviewEvent } from '../../../functions/vendors/envelope.js';
import { micro1Event, round0Event } from './factories.js';

describe('lifecycleOf', () => {
  it.each([
    ['applicant.created', 1, 'applied'],
    ['applicant.invited', 2, 'invited'],
    ['interview.started', 3, 'in_progress'],
    ['interview.completed', 4, 'completed'],
    ['interview_report.created', 5, 'report_ready'],
    ['interview_recording.completed', 6, 'recording_ready'],
    ['interview_webcam_recording.completed', 6, 'recording_ready'],
  ])('ranks micro1 %s as %i (%s)', (type, rank, status) => {
    // Act
    const step = lifecycleOf(micro1Event(type));

    // Assess
    expect(step).toEqual({ rank, status });
  });

  it.each(['applicant.updated', 'applicant.completed', 'proctoring_score.completed'])(
    'treats micro1 %s as fields-only',
    (type) => {
      // Act
      const step = lifecycleOf(micro1Event(type));

      // Assess
      expect(step.rank).toBeUndefined();
    },
  );

  it.each([
    ['interview_started', 2, 'in_progress'],
    ['interview_ended', 3, 'completed'],
  ])('ranks ROUND0 %s as %i (%s)', (type, rank, status) => {
    // Act
    const step = lifecycleOf(round0Event({ type }));

    // Assess
    expect(step).toEqual({ rank, status });
  });

  it('treats an unknown type as fields-only, even one named like an Object.prototype member', () => {
    // Prepare
    const events = [round0Event({ type: 'interview_paused', known: false }), micro1Event('toString')];

    // Act
    const steps = events.map(lifecycleOf);

    // Assess
    expect(steps).toEqual([
      { rank: undefined, status: 'interview_paused' },
      { rank: undefined, status: 'toString' },
    ]);
  });
});

/** The ids micro1's samples carry per event type (`shared/seeds/micro1-event-types.md`). */
const ids = {
  candidate: 'c0ffee00-0000-4000-8000-000000000001',
  interview: 'c0ffee00-0000-4000-8000-0000000000aa',
  report: 'h0gqkAcaDJ',
  application: 'app-1',
};

const reportEventTypes = [
  'interview_report.created',
  'interview_recording.completed',
  'interview_webcam_recording.completed',
  'proctoring_score.completed',
];
const sessionEventTypes = ['interview.started', 'interview.completed'];
const applicantEventTypes = [
  'applicant.created',
  'applicant.invited',
  'applicant.updated',
  'applicant.completed',
];

/** Every id micro1 sends on any event: which one keys the item must depend on the type alone. */
const allIds = {
  candidate_id: ids.candidate,
  interview_id: ids.interview,
  report_id: ids.report,
  micro1_job_application_id: ids.application,
};

describe('interviewKeyOf', () => {
  it('keys ROUND0 events by data.interview.id', () => {
    // Prepare
    const events = ['interview_started', 'interview_ended'].map((type) =>
      round0Event({ type, interviewId: 'test-interview-id' }),
    );

    // Act
    const keys = events.map(interviewKeyOf);

    // Assess
    expect(keys).toEqual(['test-interview-id', 'test-interview-id']);
  });

  it('falls back to the envelope interview id for ROUND0 when the payload lacks it', () => {
    // Prepare
    const event = round0Event({ interviewId: 'from-envelope', payload: { data: {} } });

    // Act
    const key = interviewKeyOf(event);

    // Assess
    expect(key).toBe('from-envelope');
  });

  it.each(reportEventTypes)('keys micro1 %s by its report, whichever other ids it carries', (type) => {
    // Prepare
    const event = micro1Event(type, allIds);

    // Act
    const key = interviewKeyOf(event);

    // Assess
    expect(key).toBe(`report:${ids.report}`);
  });

  it('puts a report, its recordings and its proctoring score in one item (ids of the vendor samples)', () => {
    // Prepare: the recording and proctoring events carry only report_id and candidate_id
    const events = [
      micro1Event('interview_report.created', {
        report_id: ids.report,
        interview_id: ids.interview,
        candidate_id: ids.candidate,
      }),
      micro1Event('interview_recording.completed', { report_id: ids.report, candidate_id: ids.candidate }),
      micro1Event('interview_webcam_recording.completed', {
        report_id: ids.report,
        candidate_id: ids.candidate,
      }),
      micro1Event('proctoring_score.completed', { report_id: ids.report, candidate_id: ids.candidate }),
    ];

    // Act
    const keys = new Set(events.map(interviewKeyOf));

    // Assess
    expect(keys).toEqual(new Set([`report:${ids.report}`]));
  });

  it('gives two reports of one candidate two keys', () => {
    // Prepare: one candidate interviewing for two jobs
    const reports = ['rep-job-1', 'rep-job-2'].map((reportId) =>
      micro1Event('interview_report.created', { ...allIds, report_id: reportId }),
    );

    // Act
    const keys = reports.map(interviewKeyOf);

    // Assess
    expect(keys).toEqual(['report:rep-job-1', 'report:rep-job-2']);
  });

  it.each(sessionEventTypes)('keys micro1 %s by the candidate’s session of the interview', (type) => {
    // Prepare
    const event = micro1Event(type, allIds);

    // Act
    const key = interviewKeyOf(event);

    // Assess
    expect(key).toBe(`session:${ids.interview}:${ids.candidate}`);
  });

  it('gives two candidates of one interview two session keys', () => {
    // Prepare
    const events = ['cand-a', 'cand-b'].map((candidate) =>
      micro1Event('interview.started', { interview_id: ids.interview, candidate_id: candidate }),
    );

    // Act
    const keys = events.map(interviewKeyOf);

    // Assess
    expect(keys).toEqual([`session:${ids.interview}:cand-a`, `session:${ids.interview}:cand-b`]);
  });

  it('keeps two sessions apart whose ids differ only in where a colon falls', () => {
    // Prepare
    const started = (interview: string, candidate: string) =>
      micro1Event('interview.started', { interview_id: interview, candidate_id: candidate });
    const reportOf = (interview: string, candidate: string) =>
      micro1Event('interview_report.created', {
        ...allIds,
        interview_id: interview,
        candidate_id: candidate,
      });

    // Act
    const keys = [started('a:b', 'c'), started('a', 'b:c'), started('a%3Ab', 'c')].map(interviewKeyOf);
    const sessions = [reportOf('a:b', 'c'), reportOf('a', 'b:c')].map(sessionKeyOf);

    // Assess
    expect(keys).toEqual(['session:a%3Ab:c', 'session:a:b:c', 'session:a%253Ab:c']);
    expect(sessions).toEqual(keys.slice(0, 2));
  });

  it.each(applicantEventTypes)('keys micro1 %s by the micro1 job application', (type) => {
    // Prepare
    const event = micro1Event(type, allIds);

    // Act
    const key = interviewKeyOf(event);

    // Assess
    expect(key).toBe(`applicant:${ids.application}`);
  });

  it.each<readonly [string, InterviewEvent]>([
    ...reportEventTypes.map(
      (type) =>
        [`micro1 ${type} without report_id`, micro1Event(type, { ...allIds, report_id: undefined })] as const,
    ),
    [
      'micro1 interview_report.created with an empty report_id',
      micro1Event(reportEventTypes[0] as string, { ...allIds, report_id: '' }),
    ],
    ...sessionEventTypes.flatMap((type) => [
      [
        `micro1 ${type} without interview_id`,
        micro1Event(type, { ...allIds, interview_id: undefined }),
      ] as const,
      [`micro1 ${type} without candidate_id`, micro1Event(type, { ...allIds, candidate_id: '' })] as const,
    ]),
    ...applicantEventTypes.map(
      (type) =>
        [
          `micro1 ${type} without micro1_job_application_id`,
          micro1Event(type, { ...allIds, micro1_job_application_id: undefined }),
        ] as const,
    ),
    [
      'micro1 interview.started whose ids are only on the envelope',
      micro1Event(
        'interview.started',
        {},
        { interviewId: ids.interview, candidate: { vendorId: ids.candidate } },
      ),
    ],
    ['micro1 with no data at all', micro1Event('interview_report.created', {}, { payload: { event: 'x' } })],
    ['ROUND0 with no interview id anywhere', round0Event({ interviewId: '', payload: { data: {} } })],
  ])('throws a permanent MissingInterviewKeyError for %s', (_name, event) => {
    // Act
    const act = () => interviewKeyOf(event);

    // Assess
    expect(act).toThrow(MissingInterviewKeyError);
    expect(act).toThrow(
      expect.objectContaining({ transient: false, vendor: event.vendor, type: event.type }),
    );
  });
});

describe('sessionKeyOf', () => {
  it('names the session item a micro1 report closes: the key of that session’s interview.* events', () => {
    // Prepare
    const report = micro1Event('interview_report.created', allIds);
    const sessionEvents = sessionEventTypes.map((type) =>
      micro1Event(type, { interview_id: ids.interview, candidate_id: ids.candidate }),
    );

    // Act
    const sessionKey = sessionKeyOf(report);

    // Assess
    expect(sessionKey).toBe(`session:${ids.interview}:${ids.candidate}`);
    expect(sessionEvents.map(interviewKeyOf)).toEqual([sessionKey, sessionKey]);
    expect(sessionKey).not.toBe(interviewKeyOf(report));
  });

  it.each<readonly [string, InterviewEvent]>([
    [
      'a report without interview_id',
      micro1Event('interview_report.created', { ...allIds, interview_id: undefined }),
    ],
    [
      'a report without candidate_id',
      micro1Event('interview_report.created', { ...allIds, candidate_id: '' }),
    ],
    ...[...sessionEventTypes, ...applicantEventTypes, ...reportEventTypes.slice(1)].map(
      (type) => [`micro1 ${type}`, micro1Event(type, allIds)] as const,
    ),
    ...['interview_started', 'interview_ended'].map(
      (type) => [`ROUND0 ${type}`, round0Event({ type })] as const,
    ),
  ])('is undefined for %s', (_name, event) => {
    // Act
    const sessionKey = sessionKeyOf(event);

    // Assess
    expect(sessionKey).toBeUndefined();
  });
});
