import { enrichEvent } from '../../../functions/enrichment/enrich.js';
import { VendorApiRequestError, VendorApiResponseError } from '../../../functions/enrichment/errors.js';
import { Micro1ApiClient } from '../../../functions/enrichment/micro1-api.js';
import { Round0ApiClient } from '../../../functions/enrichment/round0-api.js';
import { HttpTransientError } from '../../../functions/platform/http.js';
import { classifyFailure } from '../../../functions/sync/failures.js';
import { fixtureEvent } from './factories.js';

/** Options of a client whose every request is answered with `status` and `body`, without a network. */
const answering = (status: number, body: string) => ({
  baseUrl: 'https://vendor.example',
  apiKey: 'key',
  http: {
    maxAttempts: 1,
    fetch: async () => new Response(body, { status, headers: { 'content-type': 'application/json' } }),
  },
});

describe('vendor API error mapping', () => {
  it('treats micro1 answering 200 with status false as a bad response', async () => {
    // Prepare
    const client = new Micro1ApiClient(answering(200, '{"status":false,"message":"Invalid request"}'));

    // Act
    const result = client.listReports({ interviewId: 'i-1' });

    // Assess
    await expect(result).rejects.toBeInstanceOf(VendorApiResponseError);
    await expect(result).rejects.toThrow(/status false/);
  });

  it('reads status "false" as a string (the sibling schema’s form) as status false, and "true" as success', async () => {
    // Prepare
    const refused = new Micro1ApiClient(answering(200, '{"status":"false","message":"Invalid request"}'));
    const fine = new Micro1ApiClient(answering(200, '{"status":"true","data":[]}'));

    // Act
    const refusedResult = refused.listReports({ interviewId: 'i-1' });
    const fineResult = await fine.listReports({ interviewId: 'i-1' });

    // Assess
    await expect(refusedResult).rejects.toThrow(/status false/);
    expect(fineResult).toEqual([]);
  });

  it('quotes neither the vendor’s message nor the body in what becomes a logged reason', async () => {
    // Prepare: a message echoing the request, and a 2xx body that is not JSON
    const echoing = new Micro1ApiClient(
      answering(200, '{"status":false,"message":"no report for jane@example.com"}'),
    );
    const broken = new Micro1ApiClient(answering(200, '<html>jane@example.com</html>'));

    // Act
    const errors = await Promise.all([
      echoing.listReports().catch((error: unknown) => error),
      broken.listReports().catch((error: unknown) => error),
    ]);

    // Assess
    expect(errors[0]).toBeInstanceOf(VendorApiResponseError);
    expect(errors[1]).toBeInstanceOf(HttpTransientError);
    for (const error of errors) {
      let text = '';
      for (let e: unknown = error; e instanceof Error; e = e.cause) text += `${e.message}\n`;
      expect(text).not.toContain('jane');
    }
  });

  it('keeps micro1 error messages on a refused request (400)', async () => {
    // Prepare
    const client = new Micro1ApiClient(answering(400, '{"status":false,"message":"Invalid request"}'));

    // Act
    const result = client.listReports();

    // Assess
    await expect(result).rejects.toBeInstanceOf(VendorApiRequestError);
    await expect(result).rejects.toMatchObject({ status: 400, vendorMessage: 'Invalid request' });
  });

  it.each([
    ['a maintenance page', 200, '<html>maintenance</html>'],
    ['an empty answer', 200, ''],
  ])(
    'retries a ROUND0 2xx that is not JSON (%s): a page in front of the API, not its answer',
    async (_label, status, body) => {
      // Prepare
      const client = new Round0ApiClient(answering(status, body));

      // Act
      const error = await client.getInterview('i-1').catch((caught: unknown) => caught);

      // Assess: transient, so the event is retried (and not dead-lettered on its first receive)
      expect(error).toBeInstanceOf(HttpTransientError);
      expect(error).toMatchObject({ message: expect.stringMatching(/not JSON/), status });
      expect(classifyFailure(error).kind).toBe('transient');
    },
  );

  it('retries a micro1 report whose API answers a 2xx that is not JSON, instead of writing it without the API’s parts', async () => {
    // Prepare: a report webhook without its transcript (the API would add it)
    const client = new Micro1ApiClient(answering(200, '<html>challenge</html>'));
    const event = fixtureEvent('micro1', 'interview_report.created', (payload) => {
      const data = payload.data as Record<string, unknown>;
      delete data.interview_transcript;
    });

    // Act
    const result = enrichEvent(event, { micro1: client });

    // Assess
    await expect(result).rejects.toBeInstanceOf(HttpTransientError);
  });

  it('refuses a ROUND0 interview answer that names another interview, so its answers never reach this one', async () => {
    // Prepare
    const other = { responses: [{ question_id: 'zz', transcript: 'Another candidate.', score: 5 }] };
    const byId = new Round0ApiClient(answering(200, JSON.stringify({ id: 'other', ...other })));
    const byNested = new Round0ApiClient(
      answering(200, JSON.stringify({ interview: { id: 'other' }, ...other })),
    );
    const own = new Round0ApiClient(
      answering(200, JSON.stringify({ id: 'i-1', interview: { id: 'i-1' }, ...other })),
    );
    const unnamed = new Round0ApiClient(answering(200, JSON.stringify(other)));

    // Act
    const refused = [byId.getInterview('i-1'), byNested.getInterview('i-1')];
    const read = await Promise.all([own.getInterview('i-1'), unnamed.getInterview('i-1')]);

    // Assess: permanent (another try gets the same answer); an answer naming none is read
    for (const result of refused) {
      await expect(result).rejects.toBeInstanceOf(VendorApiResponseError);
      await expect(result).rejects.toThrow(/names another interview/);
    }
    for (const interview of read) expect(interview.responses).toHaveLength(1);
  });
});

describe('vendor API bodies with badly typed optional fields', () => {
  it('reads a ROUND0 answer with an odd optional field without it, but refuses a score that is not a number', async () => {
    // Prepare: an unreadable score would silently change the mean written to the ATS's score field
    const answer = { question_id: 'q-1', transcript: 'An answer.', duration_seconds: 'long' };
    const odd = new Round0ApiClient(answering(200, JSON.stringify({ responses: [answer], job: 'Engineer' })));
    const badScore = new Round0ApiClient(
      answering(200, JSON.stringify({ responses: [{ ...answer, score: '85' }] })),
    );

    // Act
    const interview = await odd.getInterview('i-1');
    const refused = badScore.getInterview('i-1');

    // Assess
    expect(interview.responses).toEqual([{ question_id: 'q-1', transcript: 'An answer.' }]);
    expect(interview.job).toBeUndefined();
    await expect(refused).rejects.toBeInstanceOf(VendorApiResponseError);
  });

  it('refuses a ROUND0 API score outside 0–100 (another scale would change the mean in the ATS score field)', async () => {
    // Prepare
    const answer = { question_id: 'q-1', transcript: 'An answer.' };
    const scores = [850, -1, 100.5];

    // Act
    const results = scores.map((score) =>
      new Round0ApiClient(answering(200, JSON.stringify({ responses: [{ ...answer, score }] }))).getInterview(
        'i-1',
      ),
    );
    const edges = await new Round0ApiClient(
      answering(
        200,
        JSON.stringify({
          responses: [
            { ...answer, score: 0 },
            { ...answer, score: 100 },
          ],
        }),
      ),
    ).getInterview('i-1');

    // Assess
    for (const result of results) await expect(result).rejects.toBeInstanceOf(VendorApiResponseError);
    expect(edges.responses.map((response) => response.score)).toEqual([0, 100]);
  });

  it('reads ROUND0 answers of null as no answer, instead of refusing the interview, but refuses a body without responses', async () => {
    // Prepare
    const answer = { question_id: 'q-1', transcript: 'An answer.' };
    const withNullItem = new Round0ApiClient(answering(200, JSON.stringify({ responses: [null, answer] })));
    const nullList = new Round0ApiClient(answering(200, JSON.stringify({ id: 'i-1', responses: null })));
    const wrapped = new Round0ApiClient(answering(200, JSON.stringify({ data: { responses: [answer] } })));

    // Act
    const read = await Promise.all([withNullItem, nullList].map((client) => client.getInterview('i-1')));
    const refused = wrapped.getInterview('i-1');

    // Assess
    expect(read.map((interview) => interview.responses)).toEqual([[answer], []]);
    await expect(refused).rejects.toBeInstanceOf(VendorApiResponseError);
  });

  it('reads a micro1 report with a numeric rating and a coding evaluation "N/A", keeping the rest', async () => {
    // Prepare
    const report = {
      report_id: 'r-1',
      coding_skills_evaluation: 'N/A',
      technical_skills_evaluation: [
        { skill: 'React.js', ai_evaluation: { rating: 4, feedback: 'Good.' } },
        7,
      ],
    };
    const client = new Micro1ApiClient(answering(200, JSON.stringify({ status: true, data: [report] })));

    // Act
    const reports = await client.listReports({ interviewId: 'i-1' });

    // Assess
    expect(reports).toEqual([
      {
        report_id: 'r-1',
        technical_skills_evaluation: [{ skill: 'React.js', ai_evaluation: { feedback: 'Good.' } }],
      },
    ]);
  });
});
