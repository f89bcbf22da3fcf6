import { type EnrichmentClients, enrichEvent } from '../../../functions/enrichment/enrich.js';
import {
  UnreadableEventPayloadError,
  VendorApiAuthError,
  VendorApiRequestError,
  VendorApiResponseError,
  VendorResourceNotFoundError,
} from '../../../functions/enrichment/errors.js';
import type { Micro1Report, Micro1ReportLookup } from '../../../functions/enrichment/micro1-api.js';
import type { Round0Interview } from '../../../functions/enrichment/round0-api.js';
import { ResponseTooLargeError, UrlRefusedError } from '../../../functions/platform/errors.js';
import { HttpTransientError } from '../../../functions/platform/http.js';
import { micro1ReportFromWebhook } from '../../../local/fakes/micro1-api.js';
import { round0InterviewFromWebhook } from '../../../local/fakes/round0-api.js';
import { loadFixtures } from '../../helpers/fixtures.js';
import { dataOf, fixtureBody, fixtureEvent, interviewEventOf } from './factories.js';

/** A ROUND0 client stub answering `answer` and recording the ids asked for. */
function round0Stub(answer: () => Promise<Round0Interview>) {
  const calls: string[] = [];
  const client: NonNullable<EnrichmentClients['round0']> = {
    getInterview: (id) => {
      calls.push(id);
      return answer();
    },
  };
  return { client, calls };
}

/** A micro1 client stub answering `answer` and recording the lookups. */
function micro1Stub(answer: () => Promise<Micro1Report>) {
  const calls: Micro1ReportLookup[] = [];
  const client: NonNullable<EnrichmentClients['micro1']> = {
    getReport: (lookup) => {
      calls.push(lookup);
      return answer();
    },
  };
  return { client, calls };
}

/** What the ROUND0 API returns for the `interview_ended` fixture: fresh audio URLs, as the fake serves it. */
const round0ApiInterview = (change?: (body: Record<string, unknown>) => void): Round0Interview => {
  const { body } = round0InterviewFromWebhook(fixtureBody('round0', 'interview_ended'), {
    audioBaseUrl: 'https://api.example/fresh',
  });
  change?.(body);
  return body as Round0Interview;
};

const transientError = () => new HttpTransientError('round0 GET: HTTP 503', { operation: 'x', status: 503 });

describe('enrichEvent', () => {
  it.each(loadFixtures().map((fixture) => [fixture.vendor, fixture.name] as const))(
    'maps the %s %s fixture without any client',
    async (vendor, name) => {
      // Prepare
      const event = fixtureEvent(vendor, name);

      // Act
      const enriched = await enrichEvent(event);

      // Assess
      expect(enriched).toMatchObject({ vendor, eventType: event.type, source: 'webhook' });
      expect(enriched.status).not.toBe('unknown');
      expect(Object.values(enriched)).not.toContain(undefined);
    },
  );

  describe('ROUND0', () => {
    it('maps interview_started from the webhook without calling the API', async () => {
      // Prepare
      const stub = round0Stub(async () => round0ApiInterview());

      // Act
      const enriched = await enrichEvent(fixtureEvent('round0', 'interview_started'), {
        round0: stub.client,
      });

      // Assess
      expect(stub.calls).toEqual([]);
      expect(enriched).toStrictEqual({
        vendor: 'round0',
        eventType: 'interview_started',
        status: 'in_progress',
        source: 'webhook',
        interviewId: '660f9511-f30c-52e5-b827-557766551111',
        startedAt: '2024-01-16T14:30:00.000Z',
        job: { title: 'Senior Frontend Developer', department: 'Engineering', location: 'Remote' },
      });
    });

    it('uses the webhook answers of interview_ended when no API key is configured', async () => {
      // Act
      const enriched = await enrichEvent(fixtureEvent('round0', 'interview_ended'));

      // Assess
      expect(enriched).toMatchObject({
        status: 'completed',
        source: 'webhook',
        completedAt: '2024-01-16T14:52:00.000Z',
      });
      expect(enriched.responses).toHaveLength(2);
      expect(enriched.responses?.[0]).toStrictEqual({
        index: 1,
        questionId: '880h1733-h52e-74g7-d049-779988773333',
        question: 'Describe your experience with React hooks.',
        questionType: 'technical',
        answer: "I've been using React hooks extensively for the past three years...",
        score: 85,
        feedback: expect.stringContaining('Strong understanding of React hooks'),
        durationSeconds: 145,
        answeredAt: '2024-01-16T14:33:25.000Z',
        audioUrl: 'https://storage.round0.io/audio/abc123.mp3',
      });
    });

    it('prefers the API interview on interview_ended, completing each answer from the webhook', async () => {
      // Prepare
      const stub = round0Stub(async () =>
        round0ApiInterview((body) => {
          const [first] = body.responses as Record<string, unknown>[];
          if (first) first.feedback = null;
          body.job = { title: 'Staff Frontend Developer' };
        }),
      );
      const event = fixtureEvent('round0', 'interview_ended');

      // Act
      const enriched = await enrichEvent(event, { round0: stub.client });

      // Assess
      expect(stub.calls).toEqual([event.interviewId]);
      expect(enriched.source).toBe('api');
      expect(enriched.job).toStrictEqual({ title: 'Staff Frontend Developer' });
      expect(enriched.responses?.map((response) => response.audioUrl)).toEqual([
        `https://api.example/fresh/audio/${event.interviewId}/1.mp3`,
        `https://api.example/fresh/audio/${event.interviewId}/2.mp3`,
      ]);
      // The API sent no feedback for the first answer; the webhook's fills the gap.
      expect(enriched.responses?.[0]?.feedback).toContain('Strong understanding of React hooks');
    });

    it('takes answers the webhook did not carry from the API', async () => {
      // Prepare: the dashboard's test event has one answer; the API knows two.
      const event = fixtureEvent('round0', 'test_interview_ended');
      const { body } = round0InterviewFromWebhook(event.payload, { audioBaseUrl: 'https://api.example' });
      const stub = round0Stub(async () => body as Round0Interview);

      // Act
      const enriched = await enrichEvent(event, { round0: stub.client });

      // Assess
      expect(enriched.source).toBe('api');
      expect(enriched.responses?.map((response) => response.index)).toEqual([1, 2]);
      expect(enriched.responses?.every((response) => response.audioUrl !== undefined)).toBe(true);
    });

    it('keeps the webhook answers when the API returns none', async () => {
      // Prepare
      const stub = round0Stub(async () => ({ responses: [] }));

      // Act
      const enriched = await enrichEvent(fixtureEvent('round0', 'interview_ended'), { round0: stub.client });

      // Assess
      expect(enriched.source).toBe('api');
      expect(enriched).not.toHaveProperty('apiNotFound');
      expect(enriched.responses?.[1]?.audioUrl).toBe('https://storage.round0.io/audio/def456.mp3');
    });

    it('falls back to the webhook, flagged, when the API does not know the interview', async () => {
      // Prepare
      const stub = round0Stub(async () => {
        throw new VendorResourceNotFoundError('round0', 'interview');
      });

      // Act
      const enriched = await enrichEvent(fixtureEvent('round0', 'test_interview_ended'), {
        round0: stub.client,
      });

      // Assess
      expect(stub.calls).toEqual(['test-interview-id']);
      expect(enriched.source).toBe('webhook');
      expect(enriched.apiNotFound).toBe(true);
      expect(enriched.responses).toStrictEqual([
        {
          index: 1,
          questionId: 'test-question-1',
          question: 'Test question?',
          questionType: 'technical',
          answer: 'This is a test response.',
          durationSeconds: 120,
          answeredAt: '2024-01-16T14:33:00.000Z',
        },
      ]);
    });

    it.each([
      ['a transient failure', transientError()],
      ['an auth failure', new VendorApiAuthError('round0', 401)],
    ])('propagates %s so the message is retried or dead-lettered', async (_label, error) => {
      // Prepare
      const stub = round0Stub(async () => {
        throw error;
      });

      // Act
      const result = enrichEvent(fixtureEvent('round0', 'interview_ended'), { round0: stub.client });

      // Assess
      await expect(result).rejects.toBe(error);
    });

    it('maps an event type it does not know from what the webhook carries', async () => {
      // Prepare
      const event = fixtureEvent('round0', 'interview_started', (body) => {
        body.type = 'interview_expired';
      });
      const stub = round0Stub(async () => round0ApiInterview());

      // Act
      const enriched = await enrichEvent({ ...event, known: false }, { round0: stub.client });

      // Assess
      expect(stub.calls).toEqual([]);
      expect(enriched).toMatchObject({
        eventType: 'interview_expired',
        status: 'unknown',
        source: 'webhook',
      });
    });

    it('puts the webhook answers the API does not list where the webhook has them, around the API’s', async () => {
      // Prepare: the webhook has three answers; the lagging API lists the second only.
      const event = fixtureEvent('round0', 'interview_ended', (body) => {
        const [first, second] = dataOf(body).responses as Record<string, unknown>[];
        dataOf(body).responses = [first, second, { ...first, question_id: 'q-3', transcript: 'Third.' }];
      });
      const stub = round0Stub(async () =>
        round0ApiInterview((body) => {
          body.responses = (body.responses as unknown[]).slice(1);
        }),
      );

      // Act
      const enriched = await enrichEvent(event, { round0: stub.client });

      // Assess: numbered as the candidate answered them
      expect(enriched.source).toBe('api');
      expect(enriched.responses?.map(({ index, questionId }) => ({ index, questionId }))).toEqual([
        { index: 1, questionId: '880h1733-h52e-74g7-d049-779988773333' },
        { index: 2, questionId: '990i2844-i63f-85h8-e150-880099884444' },
        { index: 3, questionId: 'q-3' },
      ]);
      // The API's answer keeps its fresh audio URL; the webhook-only ones keep theirs.
      expect(enriched.responses?.map((response) => response.audioUrl)).toEqual([
        'https://storage.round0.io/audio/abc123.mp3',
        `https://api.example/fresh/audio/${event.interviewId}/2.mp3`,
        'https://storage.round0.io/audio/abc123.mp3',
      ]);
    });

    it('numbers a webhook answer the API skips between two it lists in its place, not last', async () => {
      // Prepare: the webhook answers Q1, Q2, Q3; the API lists Q1 and Q3
      const event = fixtureEvent('round0', 'interview_ended', (body) => {
        const [first] = dataOf(body).responses as Record<string, unknown>[];
        dataOf(body).responses = ['q-1', 'q-2', 'q-3'].map((id) => ({
          ...first,
          question_id: id,
          question_text: `Question ${id}?`,
        }));
      });
      const stub = round0Stub(async () =>
        round0ApiInterview((body) => {
          const [first] = body.responses as Record<string, unknown>[];
          body.responses = ['q-1', 'q-3'].map((id) => ({
            ...first,
            question_id: id,
            question_text: `Question ${id}?`,
          }));
        }),
      );

      // Act
      const enriched = await enrichEvent(event, { round0: stub.client });

      // Assess
      expect(enriched.responses?.map(({ index, questionId }) => ({ index, questionId }))).toEqual([
        { index: 1, questionId: 'q-1' },
        { index: 2, questionId: 'q-2' },
        { index: 3, questionId: 'q-3' },
      ]);
    });

    it('keeps the webhook’s text where the API’s is blank (an answer listed before its transcript)', async () => {
      // Prepare: the API lists the first answer with an empty transcript and a blank question
      const event = fixtureEvent('round0', 'interview_ended');
      const webhookFirst = (
        dataOf(JSON.parse(JSON.stringify(event.payload))).responses as Record<string, unknown>[]
      )[0] as Record<string, unknown>;
      const stub = round0Stub(async () =>
        round0ApiInterview((body) => {
          const [first, ...rest] = body.responses as Record<string, unknown>[];
          body.responses = [{ ...first, transcript: '', question_text: '  ' }, ...rest];
        }),
      );

      // Act
      const enriched = await enrichEvent(event, { round0: stub.client });

      // Assess
      expect(enriched.responses?.[0]).toMatchObject({
        answer: webhookFirst.transcript,
        question: webhookFirst.question_text,
      });
      expect(webhookFirst.transcript).not.toBe('');
    });

    it('completes each answer to a question answered twice (a retake) from the webhook’s answer in the same place', async () => {
      // Prepare: the webhook's two answers to one question, each with its audio; the API lists both without
      const event = fixtureEvent('round0', 'interview_ended', (body) => {
        const [first] = dataOf(body).responses as Record<string, unknown>[];
        dataOf(body).responses = [
          { ...first, transcript: 'First take.', audio_url: 'https://storage.round0.io/audio/take-1.mp3' },
          { ...first, transcript: 'Retake.', audio_url: 'https://storage.round0.io/audio/take-2.mp3' },
        ];
      });
      const stub = round0Stub(async () =>
        round0ApiInterview((body) => {
          const [first] = body.responses as Record<string, unknown>[];
          body.responses = [
            { ...first, audio_url: null },
            { ...first, audio_url: null },
          ];
        }),
      );

      // Act
      const enriched = await enrichEvent(event, { round0: stub.client });

      // Assess: the first take's audio stays the first answer's (archived as question_<id>.mp3), the retake's the second's
      expect(enriched.source).toBe('api');
      expect(enriched.responses?.map((response) => response.audioUrl)).toEqual([
        'https://storage.round0.io/audio/take-1.mp3',
        'https://storage.round0.io/audio/take-2.mp3',
      ]);
    });

    it('completes the one answer the API lists to a question answered twice from the webhook’s latest take', async () => {
      // Prepare: the webhook's two takes; the API shows the retake alone, without audio
      const event = fixtureEvent('round0', 'interview_ended', (body) => {
        const [first] = dataOf(body).responses as Record<string, unknown>[];
        dataOf(body).responses = [
          { ...first, transcript: 'First take.', audio_url: 'https://storage.round0.io/audio/take-1.mp3' },
          { ...first, transcript: 'Retake.', audio_url: 'https://storage.round0.io/audio/take-2.mp3' },
        ];
      });
      const stub = round0Stub(async () =>
        round0ApiInterview((body) => {
          const [first] = body.responses as Record<string, unknown>[];
          body.responses = [{ ...first, transcript: 'Retake.', audio_url: null }];
        }),
      );

      // Act
      const enriched = await enrichEvent(event, { round0: stub.client });

      // Assess: the retake's audio beside the retake's transcript
      expect(enriched.responses?.map((response) => [response.answer, response.audioUrl])).toEqual([
        ['Retake.', 'https://storage.round0.io/audio/take-2.mp3'],
      ]);
    });

    it('adds no webhook answer when the API’s answers have no question ids: none could be told apart from the API’s', async () => {
      // Prepare: the API lists the same answers without ids (the client reads an id of another type as none)
      const event = fixtureEvent('round0', 'interview_ended');
      const stub = round0Stub(async () =>
        round0ApiInterview((body) => {
          body.responses = (body.responses as Record<string, unknown>[]).map(
            ({ question_id: _id, ...response }) => response,
          );
        }),
      );

      // Act
      const enriched = await enrichEvent(event, { round0: stub.client });

      // Assess: the API's answers, each once
      const apiAnswers = (round0ApiInterview().responses as unknown[]).length;
      expect(enriched.source).toBe('api');
      expect(enriched.responses).toHaveLength(apiAnswers);
    });

    it('an API answer without an id is matched to the webhook’s by question text, and the webhook’s answers the lagging API lacks are still added (each once)', async () => {
      // Prepare: the webhook has three answers; the lagging API lists the first two, the first without its id
      const event = fixtureEvent('round0', 'interview_ended', (body) => {
        const [first, second] = dataOf(body).responses as Record<string, unknown>[];
        dataOf(body).responses = [
          first,
          second,
          { ...first, question_id: 'q-3', question_text: 'And a third question?', transcript: 'Third.' },
        ];
      });
      const [firstId, secondId] = (
        dataOf(fixtureBody('round0', 'interview_ended')).responses as { question_id: string }[]
      ).map((response) => response.question_id);
      const stub = round0Stub(async () =>
        round0ApiInterview((body) => {
          const [first, second] = body.responses as Record<string, unknown>[];
          body.responses = [{ ...first, question_id: null }, second];
        }),
      );

      // Act
      const enriched = await enrichEvent(event, { round0: stub.client });

      // Assess: three answers, none twice; the id-less API answer completed from the webhook's (its id too)
      expect(enriched.source).toBe('api');
      expect(enriched.responses?.map(({ index, questionId }) => ({ index, questionId }))).toEqual([
        { index: 1, questionId: firstId },
        { index: 2, questionId: secondId },
        { index: 3, questionId: 'q-3' },
      ]);
      expect(enriched.responses?.[2]?.answer).toBe('Third.');
    });

    it('maps interview_started whose responses are not a list, as ingest accepts it', async () => {
      // Prepare: ingest checks responses on interview_ended only.
      const event = fixtureEvent('round0', 'interview_started', (body) => {
        dataOf(body).responses = {};
        dataOf(body).job = 'Senior Frontend Developer';
      });

      // Act
      const enriched = await enrichEvent(event);

      // Assess
      expect(enriched).toStrictEqual({
        vendor: 'round0',
        eventType: 'interview_started',
        status: 'in_progress',
        source: 'webhook',
        interviewId: '660f9511-f30c-52e5-b827-557766551111',
        startedAt: '2024-01-16T14:30:00.000Z',
      });
    });

    it('leaves out answers that are not objects and badly typed answer fields, keeping the rest', async () => {
      // Prepare
      const event = fixtureEvent('round0', 'interview_ended', (body) => {
        const [first, second] = dataOf(body).responses as Record<string, unknown>[];
        // (A score of another type never gets here: the ingest range-checks interview_ended's scores.)
        dataOf(body).responses = [
          null,
          { ...first, duration_seconds: 'long', question_type: 7 },
          'x',
          second,
        ];
      });

      // Act
      const enriched = await enrichEvent(event);

      // Assess
      expect(enriched.responses?.map((response) => response.index)).toEqual([1, 2]);
      expect(enriched.responses?.[0]).not.toHaveProperty('durationSeconds');
      expect(enriched.responses?.[0]).not.toHaveProperty('questionType');
      expect(enriched.responses?.[0]?.answer).toContain('React hooks');
      expect(enriched.responses?.[1]?.score).toBe(92);
    });

    it('refuses a payload whose data is not an object, naming only the path', async () => {
      // Prepare
      const event = fixtureEvent('round0', 'interview_ended', (body) => {
        body.data = 'a transcript';
      });

      // Act
      const result = enrichEvent(event);

      // Assess
      await expect(result).rejects.toBeInstanceOf(UnreadableEventPayloadError);
      await expect(result).rejects.toMatchObject({ paths: ['data'] });
    });
  });

  describe('micro1', () => {
    const withoutTranscript = (body: Record<string, unknown>) => {
      delete dataOf(body).interview_transcript;
    };

    it('maps a complete interview_report.created from the webhook without calling the API', async () => {
      // Prepare
      const stub = micro1Stub(async () =>
        micro1ReportFromWebhook(fixtureBody('micro1', 'interview_report.created')),
      );

      // Act
      const enriched = await enrichEvent(fixtureEvent('micro1', 'interview_report.created'), {
        micro1: stub.client,
      });

      // Assess
      expect(stub.calls).toEqual([]);
      expect(enriched).toStrictEqual({
        vendor: 'micro1',
        eventType: 'interview_report.created',
        status: 'completed',
        source: 'webhook',
        interviewId: '123e4567-e89b-12d3-a456-426614174000',
        reportId: 'h0gqkAcaDJ',
        interviewName: 'Full Stack Engineer Interview',
        interviewDate: '2024-01-01',
        transcript: [{ atSeconds: 100, speaker: 'interviewer', text: 'Can you tell me about yourself?' }],
        skills: [
          {
            skill: 'React.js',
            rating: 'Senior',
            feedback: expect.stringContaining('FastAPI performance'),
            atSeconds: 100,
          },
        ],
        softSkills: [
          {
            skill: 'Overall',
            rating: 'B1',
            feedback: expect.stringContaining('clear and organized'),
            subScores: {
              vocabulary: 'Candidate demonstrated a good vocabulary.',
              grammar: 'Candidate demonstrated a good grammar.',
              critical_thinking: 'Candidate demonstrated a good critical thinking.',
            },
          },
        ],
        codingEvaluation: { rating: 'Senior', feedback: expect.any(String) },
        customExerciseEvaluation: { rating: 'Senior', feedback: expect.any(String) },
        customQuestions: [
          {
            question: 'Are you willing to relocate?',
            answer: 'Yes, I am willing to relocate',
            rating: 'Great Answer',
            feedback: 'Candidate is willing to relocate with a 20% chance',
          },
        ],
        proctoring: {
          score: 85,
          violations: [
            { type: 'tab_switch', value: '3', description: expect.stringContaining('tab switches') },
          ],
        },
        aiMatchScore: 85,
        recordingUrls: { screen: 'https://micro1.ai/interview/h0gqkAcaDJ.m3u8' },
        reportUrl: 'https://micro1.ai/report/h0gqkAcaDJ.pdf',
      });
    });

    it('fetches the report when the webhook lacks the transcript, and takes only what is missing', async () => {
      // Prepare
      const stub = micro1Stub(async () => ({
        ...micro1ReportFromWebhook(fixtureBody('micro1', 'interview_report.created')),
        ai_match_score: 10,
      }));
      const event = fixtureEvent('micro1', 'interview_report.created', withoutTranscript);

      // Act
      const enriched = await enrichEvent(event, { micro1: stub.client });

      // Assess
      expect(stub.calls).toEqual([
        {
          reportId: 'h0gqkAcaDJ',
          interviewId: '123e4567-e89b-12d3-a456-426614174000',
          candidateId: '123e4567-e89b-12d3-a456-426614174000',
        },
      ]);
      expect(enriched.source).toBe('webhook');
      expect(enriched.filledFromApi).toEqual(['transcript']);
      expect(enriched.transcript?.map((line) => line.speaker)).toEqual(['interviewer', 'candidate']);
      expect(enriched.aiMatchScore).toBe(85);
    });

    it('fills a missing proctoring score and recording URL while keeping what the webhook had', async () => {
      // Prepare
      const stub = micro1Stub(async () =>
        micro1ReportFromWebhook(fixtureBody('micro1', 'interview_report.created')),
      );
      const event = fixtureEvent('micro1', 'interview_report.created', (body) => {
        const data = dataOf(body);
        delete data.proctoring_score;
        data.interview_recording_url = null;
        data.proctoring_violations = [];
      });

      // Act
      const enriched = await enrichEvent(event, { micro1: stub.client });

      // Assess
      expect(enriched.filledFromApi).toEqual(['proctoring', 'recordingUrls']);
      // The webhook's empty list went with its missing score (proctoring not finished): the API's is taken.
      expect(enriched.proctoring).toStrictEqual({
        score: 85,
        violations: [
          {
            type: 'tab_switch',
            value: '3',
            description: '3 tab switches detected, indicating multitasking or external searches.',
          },
        ],
      });
      expect(enriched.recordingUrls).toStrictEqual({
        screen: 'https://micro1.ai/interview/h0gqkAcaDJ.m3u8',
        screenPlayer: 'https://zara.micro1.ai/ai-interview-videos/h0gqkAcaDJ',
      });
    });

    it('keeps the violations the webhook listed beside a missing score, taking only the score from the API', async () => {
      // Prepare
      const stub = micro1Stub(async () =>
        micro1ReportFromWebhook(fixtureBody('micro1', 'interview_report.created')),
      );
      const event = fixtureEvent('micro1', 'interview_report.created', (body) => {
        const data = dataOf(body);
        delete data.proctoring_score;
        data.proctoring_violations = [{ type: 'eye_movement', value: '2', description: 'looked away' }];
      });

      // Act
      const enriched = await enrichEvent(event, { micro1: stub.client });

      // Assess
      expect(enriched.proctoring).toStrictEqual({
        score: 85,
        violations: [{ type: 'eye_movement', value: '2', description: 'looked away' }],
      });
    });

    it('keeps the webhook data when no API key is configured', async () => {
      // Act
      const enriched = await enrichEvent(
        fixtureEvent('micro1', 'interview_report.created', withoutTranscript),
      );

      // Assess
      expect(enriched.source).toBe('webhook');
      expect(enriched).not.toHaveProperty('transcript');
      expect(enriched).not.toHaveProperty('filledFromApi');
      expect(enriched).not.toHaveProperty('apiNotFound');
    });

    it('keeps the webhook data, flagged, when the API does not list the report', async () => {
      // Prepare
      const stub = micro1Stub(async () => {
        throw new VendorResourceNotFoundError('micro1', 'report');
      });

      // Act
      const enriched = await enrichEvent(
        fixtureEvent('micro1', 'interview_report.created', withoutTranscript),
        {
          micro1: stub.client,
        },
      );

      // Assess
      expect(stub.calls).toHaveLength(1);
      expect(enriched).not.toHaveProperty('transcript');
      expect(enriched.skills).toHaveLength(1);
      expect(enriched.apiNotFound).toBe(true);
    });

    it.each([
      ['a refused key', new VendorApiAuthError('micro1', 403), 'VendorApiAuthError'],
      ['a refused request', new VendorApiRequestError('micro1', 400), 'VendorApiRequestError'],
      ['a body of another shape', new VendorApiResponseError('micro1', 'bad'), 'VendorApiResponseError'],
      [
        'a redirect the URL guard refuses',
        new UrlRefusedError('refused', {
          operation: 'GET',
          reason: 'cross-origin-redirect',
          host: 'cdn.example',
        }),
        'UrlRefusedError',
      ],
      [
        'a body over the size limit',
        new ResponseTooLargeError('too large', { operation: 'GET', status: 200, maxBytes: 16 }),
        'ResponseTooLargeError',
      ],
    ])('keeps the webhook report, naming the failure, after %s of the API', async (_label, error, name) => {
      // Prepare
      const stub = micro1Stub(async () => {
        throw error;
      });

      // Act
      const enriched = await enrichEvent(
        fixtureEvent('micro1', 'interview_report.created', withoutTranscript),
        { micro1: stub.client },
      );

      // Assess
      expect(stub.calls).toHaveLength(1);
      expect(enriched).toMatchObject({ source: 'webhook', apiFailure: name, aiMatchScore: 85 });
      expect(enriched.skills).toHaveLength(1);
      expect(enriched).not.toHaveProperty('transcript');
      expect(enriched).not.toHaveProperty('apiNotFound');
      expect(enriched).not.toHaveProperty('filledFromApi');
    });

    it.each([
      ['a transient failure', transientError()],
      ['anything else', new TypeError('fetch failed')],
    ])(
      'propagates %s of the API (the event is retried: the note, written once, would miss the part for good)',
      async (_label, error) => {
        // Prepare
        const stub = micro1Stub(async () => {
          throw error;
        });

        // Act
        const failure = await enrichEvent(
          fixtureEvent('micro1', 'interview_report.created', withoutTranscript),
          {
            micro1: stub.client,
          },
        ).catch((e: unknown) => e);

        // Assess
        expect(failure).toBe(error);
      },
    );

    it.each([
      [
        'a numeric skill rating',
        (data: Record<string, unknown>) => {
          const [skill] = data.technical_skills_evaluation as { ai_evaluation: Record<string, unknown> }[];
          if (skill) skill.ai_evaluation.rating = 4;
        },
        {
          skills: [{ skill: 'React.js', feedback: expect.stringContaining('FastAPI'), atSeconds: 100 }],
        },
      ],
      [
        'a coding evaluation "N/A"',
        (data: Record<string, unknown>) => {
          data.coding_skills_evaluation = 'N/A';
        },
        {
          codingEvaluation: undefined,
          customExerciseEvaluation: { rating: 'Senior', feedback: expect.any(String) },
        },
      ],
      [
        'violations mixed with values that are not objects',
        (data: Record<string, unknown>) => {
          data.proctoring_violations = ['tab_switch', ...(data.proctoring_violations as unknown[]), null];
        },
        {
          proctoring: {
            score: 85,
            violations: [expect.objectContaining({ type: 'tab_switch', value: '3' })],
          },
        },
      ],
      [
        'custom question evaluations that are not a list',
        (data: Record<string, unknown>) => {
          data.custom_question_evaluation = { question_text: 'Are you willing to relocate?' };
        },
        { customQuestions: undefined },
      ],
      [
        'a numeric recording player URL',
        (data: Record<string, unknown>) => {
          data.interview_recording_player_url = 1;
        },
        { recordingUrls: { screen: 'https://micro1.ai/interview/h0gqkAcaDJ.m3u8' } },
      ],
    ])(
      'maps a report with %s, as ingest accepts it, rendering what is readable',
      async (_label, change, expected) => {
        // Prepare
        const event = fixtureEvent('micro1', 'interview_report.created', (body) => change(dataOf(body)));
        const complete = await enrichEvent(fixtureEvent('micro1', 'interview_report.created'));

        // Act
        const enriched = await enrichEvent(event);

        // Assess: the odd part reads as absent (or without its odd items), the rest as in the unchanged report.
        const want = Object.entries({ ...complete, ...expected }).filter(([, value]) => value !== undefined);
        expect(enriched).toStrictEqual(Object.fromEntries(want));
      },
    );

    it('maps interview.started whose status is not a text, as ingest accepts it', async () => {
      // Prepare
      const event = fixtureEvent('micro1', 'interview.started', (body) => {
        dataOf(body).status = 1;
      });

      // Act
      const enriched = await enrichEvent(event);

      // Assess
      expect(enriched).toStrictEqual(await enrichEvent(fixtureEvent('micro1', 'interview.started')));
    });

    it('refuses a payload whose data is not an object, naming only the path', async () => {
      // Prepare
      const event = fixtureEvent('micro1', 'interview.started', (body) => {
        body.data = 'Backend Developer Interview';
      });

      // Act
      const result = enrichEvent(event);

      // Assess
      await expect(result).rejects.toBeInstanceOf(UnreadableEventPayloadError);
      await expect(result).rejects.toMatchObject({ paths: ['data'] });
    });

    it('maps interview.started', async () => {
      // Act
      const enriched = await enrichEvent(fixtureEvent('micro1', 'interview.started'));

      // Assess
      expect(enriched).toStrictEqual({
        vendor: 'micro1',
        eventType: 'interview.started',
        status: 'in_progress',
        source: 'webhook',
        interviewId: '123c4567-e89b-12d3-a456-426614174000',
        interviewName: 'Backend Developer Interview',
        startedAt: '2024-01-01T10:00:00.000Z',
        job: { title: 'Backend Developer' },
      });
    });

    it('maps the undocumented interview.completed like interview.started', async () => {
      // Prepare
      const payload = fixtureBody('micro1', 'interview.started', (body) => {
        body.event = 'interview.completed';
        dataOf(body).date_completed = '2024-01-01 10:25:00';
      });

      // Act
      const enriched = await enrichEvent(interviewEventOf('micro1', payload, { known: false }));

      // Assess
      expect(enriched).toMatchObject({ status: 'completed', completedAt: '2024-01-01T10:25:00.000Z' });
    });

    it.each([
      [
        'interview_recording.completed',
        {
          screen: 'https://url_to_interview_recording.m3u8',
          screenPlayer: 'https://zara.micro1.ai/ai-interview-videos/ABCDXYZ',
        },
      ],
      [
        'interview_webcam_recording.completed',
        {
          webcam: 'https://url_to_interview_webcam_recording.m3u8',
          webcamPlayer: 'https://zara.micro1.ai/ai-interview-videos/ABCDXYZ',
        },
      ],
    ])('maps %s to its recording URLs without calling the API', async (name, recordingUrls) => {
      // Prepare
      const stub = micro1Stub(async () => ({}));

      // Act
      const enriched = await enrichEvent(fixtureEvent('micro1', name), { micro1: stub.client });

      // Assess
      expect(stub.calls).toEqual([]);
      expect(enriched).toStrictEqual({
        vendor: 'micro1',
        eventType: name,
        status: 'completed',
        source: 'webhook',
        reportId: 'ABCD1234',
        recordingUrls,
      });
    });

    it('maps proctoring_score.completed', async () => {
      // Act
      const enriched = await enrichEvent(fixtureEvent('micro1', 'proctoring_score.completed'));

      // Assess
      expect(enriched).toMatchObject({ reportId: 'ABCD1234', proctoring: { score: 85 } });
      expect(enriched.proctoring).not.toHaveProperty('violations');
    });

    it.each([
      ['applicant.created', 'applied'],
      ['applicant.updated', 'applied'],
      ['applicant.completed', 'applied'],
      ['applicant.invited', 'invited'],
    ])('maps %s with its resume score as a number', async (name, status) => {
      // Act
      const enriched = await enrichEvent(fixtureEvent('micro1', name));

      // Assess
      expect(enriched).toStrictEqual({
        vendor: 'micro1',
        eventType: name,
        status,
        source: 'webhook',
        job: { title: 'Test Engineer' },
        resumeScore: 99.99,
        resumeUrl: 'https://example.com/john-doe-resume.pdf',
        applicationStage: 'Test Stage',
      });
    });
  });
});
