/**
 * What the local runtime gives the archive: its queues (URLs and ARNs), the handler environment the CDK
 * stack gives the functions, and — with the media fake — vendor API fakes whose media URLs point at real
 * media on 127.0.0.1. No poller runs here (`startWorker: false`); the handlers' own behaviour is tested
 * elsewhere. One pipeline per test file (the handlers keep the configuration they were imported with).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { resources } from '../../../lib/resources.js';
import { ffmpegAvailable } from '../../../local/media/generate.js';
import { describeLostMessages, type LocalPipeline, startLocalPipeline } from '../../../local/runtime.js';
import { runtimeInfoFor } from '../../../local/runtime-info.js';

/** Shared by test runs: the media is made once per machine, not once per run. */
const mediaCache = join(tmpdir(), 'interview-sync-media-cache');

let pipeline: LocalPipeline;
let tempDir: string;

beforeAll(async () => {
  if (!(await ffmpegAvailable())) {
    throw new Error('these tests need ffmpeg on the PATH: apt-get install -y ffmpeg');
  }
  tempDir = await mkdtemp(join(tmpdir(), 'runtime-test-'));
  pipeline = await startLocalPipeline({
    secretsFile: join(tempDir, 'secrets.local.json'),
    dataDir: join(tempDir, 'data'),
    startWorker: false,
    vendorApis: true,
    media: { dir: mediaCache },
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  await rm(tempDir, { recursive: true, force: true });
});

const media = () => {
  if (pipeline.media === undefined) throw new Error('the media fake did not start');
  return pipeline.media;
};

describe('local runtime: archive queues', () => {
  it('exposes the archive queue and its DLQ by URL and ARN, beside the events queues', () => {
    // Assess
    expect(pipeline.queueUrls.archive).toMatch(new RegExp(`/${resources.archiveQueue.name}$`));
    expect(pipeline.queueUrls.archiveDeadLetter).toMatch(
      new RegExp(`/${resources.archiveDeadLetterQueue.name}$`),
    );
    expect(pipeline.queueArns).toEqual({
      events: expect.stringMatching(new RegExp(`:${resources.eventsQueue.name}$`)),
      deadLetter: expect.stringMatching(new RegExp(`:${resources.deadLetterQueue.name}$`)),
      archive: expect.stringMatching(new RegExp(`:${resources.archiveQueue.name}$`)),
      archiveDeadLetter: expect.stringMatching(new RegExp(`:${resources.archiveDeadLetterQueue.name}$`)),
    });
  });

  it('gives the handlers the archive settings the stack gives the functions, the media fake allowed', () => {
    // Prepare
    const mediaHost = new URL(media().url).host;

    // Assess
    expect(pipeline.env).toMatchObject({
      ARCHIVE_QUEUE_URL: pipeline.queueUrls.archive,
      ARCHIVE_DEAD_LETTER_QUEUE_URL: pipeline.queueUrls.archiveDeadLetter,
      ARCHIVE_VARIANTS: 'highest',
    });
    expect(JSON.parse(pipeline.env.ARCHIVE_MEDIA_HOSTS ?? '')).toEqual({
      micro1: ['micro1.ai', '*.micro1.ai', mediaHost],
      round0: ['storage.round0.io', mediaHost],
    });
    expect(process.env.ARCHIVE_QUEUE_URL).toBe(pipeline.queueUrls.archive);
  });

  it('gives the log adapter, named by no one, its file under the pipeline’s data directory', () => {
    // Assess
    expect(pipeline.env.ATS_ADAPTER).toBe('log');
    expect(JSON.parse(pipeline.env.ATS_CONFIG ?? '')).toEqual({
      path: join(tempDir, 'data', 'ats-writes.jsonl'),
    });
  });

  it('records the media fake in the runtime info, for `npm run send` to fill in {{media}}', () => {
    // Assess
    expect(runtimeInfoFor(pipeline).mediaUrl).toBe(media().url);
  });
});

describe('local runtime: vendor API fakes point at the media fake', () => {
  const round0Interview = async (id: string) => {
    const response = await fetch(`${pipeline.vendorApiUrls?.round0}/api/v1/interviews/${id}`, {
      headers: { authorization: `Bearer ${pipeline.secrets.vendorApi.round0ApiKey}` },
    });
    return (await response.json()) as { responses: { question_id: string; audio_url: string }[] };
  };

  it('serves the interview_ended sample with both of its answers, whichever sample was read last', async () => {
    // Act
    const interview = await round0Interview('660f9511-f30c-52e5-b827-557766551111');

    // Assess
    expect(interview.responses.map((response) => response.question_id)).toEqual([
      '880h1733-h52e-74g7-d049-779988773333',
      '990i2844-i63f-85h8-e150-880099884444',
    ]);
  });

  it('hands out fresh signed audio URLs (24 h) of real MP3s on the media fake', async () => {
    // Prepare
    const now = Math.floor(Date.now() / 1000);

    // Act
    const interview = await round0Interview('660f9511-f30c-52e5-b827-557766551111');
    const downloads = await Promise.all(
      interview.responses.map(async (response) => {
        const audio = await fetch(response.audio_url);
        return {
          status: audio.status,
          type: audio.headers.get('content-type'),
          bytes: (await audio.arrayBuffer()).byteLength,
        };
      }),
    );

    // Assess
    for (const response of interview.responses) {
      const url = new URL(response.audio_url);
      expect(url.origin).toBe(media().url);
      expect(Number(url.searchParams.get('expires'))).toBeGreaterThanOrEqual(now + 24 * 3600);
      expect(Number(url.searchParams.get('expires'))).toBeLessThanOrEqual(now + 24 * 3600 + 5);
    }
    for (const download of downloads) {
      expect(download).toEqual({ status: 200, type: 'audio/mpeg', bytes: expect.any(Number) });
      expect(download.bytes).toBeGreaterThan(1000);
    }
  });

  it('knows the media fixture report, its URLs on the media fake', async () => {
    // Act
    const response = await fetch(
      `${pipeline.vendorApiUrls?.micro1}/interview/reports?keyword=Local%20Media`,
      {
        headers: { 'x-api-key': pipeline.secrets.vendorApi.micro1ApiKey ?? '' },
      },
    );
    const { data } = (await response.json()) as {
      data: { report_id: string; report_url: string; interview_recording_url: string }[];
    };

    // Assess
    expect(data.map((report) => report.report_id)).toEqual(['LocalMedia']);
    expect(data[0]?.report_url).toBe(media().micro1Urls('LocalMedia').report);
    expect(data[0]?.interview_recording_url).toBe(media().micro1Urls('LocalMedia').screen);
  });
});

describe('local runtime: stopping', () => {
  it('says which messages the in-memory SQS emulator loses with the stop, and where to get them again', async () => {
    // Prepare: an event on its DLQ and two archive tasks waiting (no poller runs here)
    await pipeline.sqs.send(
      new SendMessageCommand({ QueueUrl: pipeline.queueUrls.deadLetter, MessageBody: '{}' }),
    );
    for (const body of ['{"a":1}', '{"a":2}'])
      await pipeline.sqs.send(
        new SendMessageCommand({ QueueUrl: pipeline.queueUrls.archive, MessageBody: body }),
      );

    // Act
    const { lostMessages } = await pipeline.stop();

    // Assess
    expect(lostMessages).toEqual({ deadLetter: 1, archive: 2 });
    const told = describeLostMessages(lostMessages) ?? '';
    expect(told).toContain('events DLQ 1, archive queue 2');
    expect(told).toContain('npm run ops -- replay --vendor');
    expect(describeLostMessages({})).toBeUndefined();
  });
});
