import { type CandidateRef, parseVendorEvent } from '../../../functions/vendors/index.js';
import { loadFixtures } from '../../helpers/fixtures.js';
import { receivedAt } from './factories.js';

interface Expected {
  readonly dedupeKey: string;
  readonly occurredAt?: string;
  readonly interviewId?: string;
  readonly candidate: CandidateRef;
  /** The vendor's dashboard test event. */
  readonly test?: true;
}

const jane: CandidateRef = {
  email: 'jane@example.com',
  name: 'Jane Smith',
  vendorId: '770g0622-g41d-63f6-c938-668877662222',
};
const applicant = (event: string): Expected => ({
  dedupeKey: `micro1:${event}:123b4567-e89b-12d3-a456-426614174000:2100-01-01 00:00:00`,
  occurredAt: '2100-01-01T00:00:00.000Z',
  candidate: {
    email: 'john.doe@test.com',
    name: 'John Doe',
    vendorId: '123c4567-e89b-12d3-a456-426614174000',
    atsApplicationId: 'TEST123',
    atsJobId: 'TESTJOBID456',
  },
});
const mediaEvent = (event: string): Expected => ({
  dedupeKey: `micro1:${event}:ABCD1234`,
  candidate: { vendorId: '123e4567-e89b-12d3-a456-426614174000' },
});

/** What each vendor sample must normalise to (keyed `vendor/name`). */
const expectations: Record<string, Expected> = {
  'round0/interview_started': {
    dedupeKey: 'round0:evt_550e8400e29b41d4a716446655440000',
    occurredAt: '2021-12-20T11:33:20.000Z',
    interviewId: '660f9511-f30c-52e5-b827-557766551111',
    candidate: jane,
  },
  'round0/interview_ended': {
    dedupeKey: 'round0:evt_660f9511f30c52e5b827557766551111',
    occurredAt: '2021-12-20T11:58:40.000Z',
    interviewId: '660f9511-f30c-52e5-b827-557766551111',
    candidate: jane,
  },
  'round0/test_interview_ended': {
    dedupeKey: 'round0:evt_test_123456789',
    occurredAt: '2021-12-20T11:33:20.000Z',
    interviewId: 'test-interview-id',
    candidate: { email: 'test@example.com', name: 'Test Candidate', vendorId: 'test-candidate-id' },
    test: true,
  },
  'micro1/applicant.completed': applicant('applicant.completed'),
  'micro1/applicant.created': applicant('applicant.created'),
  'micro1/applicant.invited': applicant('applicant.invited'),
  'micro1/applicant.updated': applicant('applicant.updated'),
  'micro1/interview.started': {
    dedupeKey:
      'micro1:interview.started:123c4567-e89b-12d3-a456-426614174000:123a4567-e89b-12d3-a456-426614174000',
    occurredAt: '2024-01-01T10:00:00.000Z',
    interviewId: '123c4567-e89b-12d3-a456-426614174000',
    // `ats_job_application_id` is null in the sample: absent, not null, in the envelope.
    candidate: {
      email: 'john.doe@micro1.ai',
      name: 'John Doe',
      vendorId: '123a4567-e89b-12d3-a456-426614174000',
      atsJobId: 'JOB123TEST',
    },
  },
  'micro1/interview_report.created': {
    dedupeKey: 'micro1:interview_report.created:h0gqkAcaDJ',
    occurredAt: '2021-01-01T00:00:00.000Z',
    interviewId: '123e4567-e89b-12d3-a456-426614174000',
    candidate: {
      email: 'john.doe@micro1.ai',
      name: 'John Doe',
      vendorId: '123e4567-e89b-12d3-a456-426614174000',
      atsApplicationId: 'ABCD1234',
      atsJobId: 'ABCD1234',
    },
  },
  'micro1/interview_recording.completed': mediaEvent('interview_recording.completed'),
  'micro1/interview_webcam_recording.completed': mediaEvent('interview_webcam_recording.completed'),
  'micro1/proctoring_score.completed': mediaEvent('proctoring_score.completed'),
};

const fixtures = loadFixtures();

describe('vendor samples', () => {
  it('has an expectation for every sample and a sample for every expectation', () => {
    // Act
    const names = fixtures.map((sample) => `${sample.vendor}/${sample.name}`);

    // Assess
    expect(names.sort()).toEqual(Object.keys(expectations).sort());
  });

  it.each(fixtures.map((sample) => [`${sample.vendor}/${sample.name}`, sample] as const))(
    '%s is accepted and normalised',
    (key, sample) => {
      // Prepare
      const expected = expectations[key];
      const pristine = structuredClone(sample.body);

      // Act
      const result = parseVendorEvent(sample.vendor, sample.body, receivedAt);

      // Assess
      expect(result).toStrictEqual({
        ok: true,
        event: {
          schemaVersion: 1,
          vendor: sample.vendor,
          type: sample.name.replace(/^test_/, ''),
          known: true,
          receivedAt: '2024-06-01T12:00:00.000Z',
          ...(sample.vendor === 'round0' ? { vendorEventId: (sample.body as { id: string }).id } : {}),
          ...expected,
          payload: pristine,
        },
      });
      if (result.ok) expect(result.event.payload).toBe(sample.body);
    },
  );
});
