/**
 * `npm start`'s whole loop on random ports: HTTP → ingest → SQS → local event source mapping → worker.
 * Every sample is delivered; the worker must take each off the queue without dead-lettering any.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLog } from '../../local/log.js';
import { queueDepth } from '../../local/queue-depth.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/runtime.js';
import { sendEvent } from '../../local/send.js';
import { eventually } from '../integration/local/factories.js';
import { loadFixtures } from './helpers.js';

let pipeline: LocalPipeline;
let tempDir: string;

beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'pipeline-e2e-'));
  pipeline = await startLocalPipeline({
    secretsFile: join(tempDir, 'secrets.local.json'),
    dataDir: join(tempDir, 'data'),
    workerVisibilityTimeoutSeconds: 2,
    worker: { maxBatchingWindowSeconds: 0 },
    log: silentLog,
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
});

afterAll(async () => {
  await pipeline?.stop();
  await rm(tempDir, { recursive: true, force: true });
});

/** Messages on a queue, visible or being processed. */
const messagesOn = (queueUrl: string) => queueDepth(pipeline.sqs, queueUrl);

describe('local pipeline end to end (worker on)', () => {
  it('delivers every sample through the worker and leaves both queues empty', async () => {
    // Prepare
    const fixtures = await loadFixtures();

    // Act
    const responses = await Promise.all(
      fixtures.map((fixture) =>
        sendEvent({
          vendor: fixture.vendor,
          body: fixture.raw,
          baseUrl: pipeline.url,
          secret: pipeline.secrets.webhook.round0SigningSecrets[0],
          token: pipeline.secrets.webhook.micro1Tokens[0],
        }),
      ),
    );

    // Assess
    expect(responses.map((response) => response.status)).toEqual(fixtures.map(() => 202));
    await eventually(async () => expect(await messagesOn(pipeline.queueUrls.events)).toBe(0), 20_000);
    expect(await messagesOn(pipeline.queueUrls.deadLetter)).toBe(0);
  });
});
