import { MissingInterviewKeyError } from '../../../functions/ledger/errors.js';
import { interviewKeyOf, lifecycleOf } from '../../../functions/ledger/lifecycle.js';
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

describe('interviewKeyOf', () => {
  it('keys ROUND0 events by data.interview.id', () => {
    // Prepare
    const event = round0Event({ interviewId: 'test-interview-id' });

    // Act
    const key = interviewKeyOf(event);

    // Assess
    expect(key).toBe('test-interview-id');
  });

  it('keys every micro1 event type by candidate_id, whichever other ids it carries', () => {
    // Prepare: the id sets of the vendor's samples
    const candidate = 'c0ffee00-0000-4000-8000-000000000001';
    const events = [
      micro1Event('applicant.created', { candidate_id: candidate, micro1_job_application_id: 'app-1' }),
      micro1Event('interview.started', { candidate_id: candidate, interview_id: 'int-1' }),
      micro1Event('interview_report.created', {
        candidate_id: candidate,
        report_id: 'h0gqkAcaDJ',
        interview_id: 'x',
      }),
      micro1Event('interview_recording.completed', { candidate_id: candidate, report_id: 'ABCD1234' }),
    ];

    // Act
    const keys = events.map(interviewKeyOf);

    // Assess
    expect(new Set(keys)).toEqual(new Set([candidate]));
  });

  it('falls back to the envelope ids when the payload lacks them', () => {
    // Prepare
    const round0 = round0Event({ interviewId: 'from-envelope', payload: { data: {} } });
    const micro1 = micro1Event('interview.started', {}, { candidate: { vendorId: 'cand-envelope' } });

    // Act
    const keys = [interviewKeyOf(round0), interviewKeyOf(micro1)];

    // Assess
    expect(keys).toEqual(['from-envelope', 'cand-envelope']);
  });

  it('throws a permanent MissingInterviewKeyError when no id is present', () => {
    // Prepare
    const event = micro1Event('proctoring_score.completed', { candidate_id: '' });

    // Act
    const act = () => interviewKeyOf(event);

    // Assess
    expect(act).toThrow(MissingInterviewKeyError);
    expect(() => interviewKeyOf(event)).toThrow(expect.objectContaining({ transient: false }));
  });
});
