/**
 * The real archive handler (functions/archive.ts) against a DynamoDB that accepts its requests and stops
 * answering (a proxy in front of the emulator that holds them; S3 and SQS are the emulators): the manifest's
 * requests are aborted before the invocation's end, so the task is given back (a batch item failure, its
 * queue retries it) with a log line saying why, where each request's three 5 s attempts ran the invocation
 * past its timeout (Lambda would have killed it: no log line, no metric, the task back only after the
 * queue's 90-minute visibility timeout). Its own file: the handler's clients are made once per module, from
 * the environment.
 */
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { ArchiveManifest } from '../../../functions/archive/manifest.js';
import type { ArchiveTask } from '../../../functions/archive/types.js';
import { resources } from '../../../lib/resources.js';
import { localAws, startEmulators } from '../../../local/emulators.js';
import { captureOutput } from '../../helpers/captured-output.js';
import { invokeArchive, micro1ReportTask, startArchiveHandler } from './archive-handler.js';
import { startReportHost } from './media-server.js';

// Prepare (once): emulators, a DynamoDB proxy that can stop answering, a media host serving a small report,
// the handler's environment
const emulators = await startEmulators();
const dynamoDb = new URL(emulators.endpoints.dynamodb);

/** Whether a request (its `x-amz-target` and body) starts the stall: it and every later one are held. */
let stallsAt: (target: string, body: string) => boolean = () => false;
let stalled = false;
/** The operations held unanswered, in order (`PutItem`, `UpdateItem`…). */
const held: string[] = [];
const heldResponses = new Set<ServerResponse>();
const forward = (request: IncomingMessage, body: Buffer, response: ServerResponse) => {
  const upstream = httpRequest(
    {
      host: dynamoDb.hostname,
      port: dynamoDb.port,
      method: request.method,
      path: request.url,
      headers: request.headers,
    },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  upstream.on('error', () => response.destroy());
  upstream.end(body);
};
const dynamoDbProxy = createHttpServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    const target = String(request.headers['x-amz-target'] ?? '');
    if (stalled || stallsAt(target, body.toString('utf8'))) {
      stalled = true;
      held.push(target.replace(/^DynamoDB_\d+\./, ''));
      heldResponses.add(response);
      return;
    }
    forward(request, body, response);
  });
});
await new Promise<void>((resolve) => dynamoDbProxy.listen(0, '127.0.0.1', resolve));
const media = await startReportHost();
const { handler, close: closeHandler } = await startArchiveHandler(emulators, 'archive-dynamodb-stall-', {
  AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(dynamoDbProxy.address() as AddressInfo).port}`,
  POWERTOOLS_LOG_LEVEL: 'WARN',
});
// Reads the table past the proxy.
const dynamoDbClient = new DynamoDBClient({
  endpoint: emulators.endpoints.dynamodb,
  region: localAws.region,
  credentials: localAws.credentials,
});
const manifest = new ArchiveManifest({ client: dynamoDbClient, tableName: resources.ledgerTable.name });

/** Answers again: held requests are dropped (their clients gave up on them), later ones forwarded. */
const answerAgain = () => {
  stalled = false;
  stallsAt = () => false;
  held.length = 0;
  for (const response of heldResponses) response.destroy();
  heldResponses.clear();
};

afterEach(answerAgain);

afterAll(async () => {
  closeHandler();
  dynamoDbClient.destroy();
  dynamoDbProxy.closeAllConnections();
  await new Promise<void>((resolve) => dynamoDbProxy.close(() => resolve()));
  await media.close();
  await emulators.close();
});

/**
 * Lambda time the invocations have: the media deadline at 9 s (a tenth before the end), the manifest's at
 * 9.5 s (a twentieth), less than one DynamoDB request's three 5 s attempts. The 500 ms after the manifest's
 * deadline are the room a loaded machine's timers need to answer within the invocation's time.
 */
const remainingMs = 10_000;

/** One invocation of `task` with {@link remainingMs} left, its output captured, and how long it took. */
const invokeTimed = async (task: ArchiveTask) => {
  const started = Date.now();
  const {
    result: failures,
    stdout,
    stderr,
  } = await captureOutput(() => invokeArchive(handler, task, { remainingMs }));
  return { failures, stdout, stderr, elapsedMs: Date.now() - started };
};

describe('archive handler: a DynamoDB that stops answering', () => {
  it('gives the task back with why before its timeout when the manifest’s record hangs, and the retry archives it', async () => {
    // Prepare: DynamoDB answers the lease, then holds the object's record and everything after it
    const task = micro1ReportTask('ddb-stall-record', media.origin);
    stallsAt = (target, body) => target.endsWith('.PutItem') && body.includes('"interviews/');

    // Act
    const { failures, stdout, stderr, elapsedMs } = await invokeTimed(task);

    // Assess: answered within the invocation's time, the task failed (retried by its queue), said why
    expect(held[0]).toBe('PutItem');
    expect(elapsedMs).toBeLessThan(remainingMs);
    expect(failures).toHaveLength(1);
    expect(`${stdout}${stderr}`).toMatch(/"message":"archive task will be retried".*"error":"AbortError"/);

    // Act: DynamoDB answers again; the queue delivers the task again. The lease the first attempt could not
    // give up (its release was held too) runs until that invocation's end: a task past its waits (as after
    // the visibility timeout, when the lease is long over) archives regardless.
    answerAgain();
    const retried = await captureOutput(() =>
      invokeArchive(handler, { ...task, deferrals: 8 }, { receiveCount: 2 }),
    );

    // Assess: archived and recorded by the retry
    expect(retried.result).toEqual([]);
    expect((await manifest.list(task.vendor, task.interviewKey)).map((entry) => entry.key)).toEqual([
      task.asset.kind === 'file' ? task.asset.key : '',
    ]);
  }, 60_000);

  it('gives the task back with why before its timeout when DynamoDB hangs from the lease on', async () => {
    // Prepare: every request held, the asset's lease the first
    const task = micro1ReportTask('ddb-stall-lease', media.origin);
    stallsAt = () => true;

    // Act
    const { failures, stdout, stderr, elapsedMs } = await invokeTimed(task);

    // Assess
    expect(held[0]).toBe('UpdateItem');
    expect(elapsedMs).toBeLessThan(remainingMs);
    expect(failures).toHaveLength(1);
    expect(`${stdout}${stderr}`).toMatch(/"message":"archive task will be retried".*"error":"AbortError"/);
  }, 60_000);

  it('gives a task that failed for good back with why before its timeout when its park hangs', async () => {
    // Prepare: a task whose URL the guard refuses (permanent: parked, then dead-lettered), DynamoDB holding the
    // park and everything after it
    const task = micro1ReportTask('ddb-stall-park', media.origin);
    const refused: ArchiveTask = {
      ...task,
      asset: { ...task.asset, sourceUrl: 'http://169.254.169.254/latest/meta-data/report.pdf' },
    };
    stallsAt = (target, body) => target.endsWith('.PutItem') && body.includes('"PARKED#');

    // Act
    const { failures, stdout, stderr, elapsedMs } = await invokeTimed(refused);

    // Assess: the park was the request held; the invocation answered in its time, the task given back to be
    // parked by a retry
    expect(held[0]).toBe('PutItem');
    expect(elapsedMs).toBeLessThan(remainingMs);
    expect(failures).toHaveLength(1);
    expect(`${stdout}${stderr}`).not.toMatch(/TimeoutError/);
  }, 60_000);
});
