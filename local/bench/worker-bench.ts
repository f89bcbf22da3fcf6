/**
 * Worker benchmarks (run by `npm run bench` in its own process): events per second through the whole
 * local pipeline (HTTP → ingest → SQS → worker → log adapter), and DynamoDB requests per event for a
 * fresh event and for a duplicate delivery of it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dynamoDbClient } from '../../functions/platform/clients.js';
import { countDynamoDbRequests, totalRequests } from '../dynamo-request-counter.js';
import { silentLog } from '../log.js';
import { queueDepth } from '../queue-depth.js';
import { startLocalPipeline } from '../runtime.js';
import { sendEvent } from '../send.js';
import { round } from './stats.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

const total = totalRequests;

export interface WorkerBenchResult {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly atsWrites: number;
  readonly dynamoDbPerEvent: {
    readonly fresh: number;
    readonly duplicate: number;
    readonly freshByCommand: Record<string, number>;
    readonly duplicateByCommand: Record<string, number>;
  };
}

export const runWorkerBench = async (options: { events: number }): Promise<WorkerBenchResult> => {
  const dir = mkdtempSync(join(tmpdir(), 'interview-sync-worker-bench-'));
  const atsLog = join(dir, 'ats-writes.jsonl');
  const pipeline = await startLocalPipeline({
    secretsFile: join(dir, 'secrets.local.json'),
    // The archive's own DynamoDB requests (manifest, parking) would be counted with the worker's.
    startArchive: false,
    log: silentLog,
    env: {
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
      ATS_ADAPTER: 'log',
      ATS_CONFIG: JSON.stringify({ path: atsLog }),
    },
  });
  try {
    const counter = countDynamoDbRequests(dynamoDbClient());
    const secret = pipeline.secrets.webhook.round0SigningSecrets[0] ?? '';
    const template = JSON.parse(
      readFileSync(join(root, 'local/fixtures/round0/interview_ended.json'), 'utf8'),
    );
    // N completed interviews, each a distinct event id and interview id.
    const bodies = Array.from({ length: options.events }, () => {
      const event = structuredClone(template);
      event.id = `evt_${randomBytes(16).toString('hex')}`;
      event.data.interview.id = randomUUID();
      return JSON.stringify(event);
    });

    const lines = async () =>
      (await readFile(atsLog, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    const queueDrained = async () => (await queueDepth(pipeline.sqs, pipeline.queueUrls.events)) === 0;
    const sendAll = async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < bodies.length) {
            const body = bodies[next++] as string;
            const sent = await sendEvent({ vendor: 'round0', body, baseUrl: pipeline.url, secret });
            if (sent.status !== 202) throw new Error(`ingest answered ${sent.status}`);
          }
        }),
      );
    };
    const waitUntil = async (done: () => Promise<boolean>) => {
      while (!(await done())) await new Promise((resolve) => setTimeout(resolve, 20));
    };

    // Fresh: every interview gets a status and a note (2 ATS writes).
    const started = performance.now();
    await sendAll();
    await waitUntil(async () => (await lines()) >= 2 * options.events && (await queueDrained()));
    const seconds = (performance.now() - started) / 1000;
    const fresh = counter.take();
    const atsWrites = await lines();

    // Duplicates: the same events again (ROUND0 redelivery: same id, new signature timestamp).
    await sendAll();
    await waitUntil(queueDrained);
    const duplicate = counter.take();
    if ((await lines()) !== atsWrites) throw new Error('a duplicate produced an ATS write');

    return {
      events: options.events,
      seconds: round(seconds, 2),
      eventsPerSecond: round(options.events / seconds),
      atsWrites,
      dynamoDbPerEvent: {
        fresh: round(total(fresh) / options.events, 2),
        duplicate: round(total(duplicate) / options.events, 2),
        freshByCommand: fresh,
        duplicateByCommand: duplicate,
      },
    };
  } finally {
    await pipeline.stop();
  }
};
