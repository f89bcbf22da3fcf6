/**
 * The three bundles as a stage deploys them, run end to end: the CDK app is synthesised with bundling on
 * (local/bench/deployed.ts: `NodejsFunction`'s esbuild, the template's environment, `NODE_OPTIONS` such as
 * `--enable-source-maps` included) and each `index.mjs` is imported by a fresh `node` process with exactly
 * its function's environment, made runnable against the emulators and the vendor API fakes
 * (local/bench/function-env.ts, services in a child process of their own: local/bench/services-process.ts).
 * Then a ROUND0 `interview_ended` delivery goes through them as on AWS, each hand-off read from the
 * emulators rather than assumed: ingest (202, and 401 to a forged signature) → events queue → worker
 * (ledger, ATS writes of the deployed log adapter, raw event store, archive tasks) → archive queue → archive
 * (media in S3, the manifest, `archive.completed` back on the events queue).
 *
 * Why: every other test imports the TypeScript source (ts-jest, tsx), so a bundle that cannot load (a module
 * esbuild left out or could not resolve, a wrong `handler` export, an ESM/CJS interop error in a dependency,
 * a top-level await esbuild rejects, a dynamic import dropped) would pass `npm test` and fail on its first
 * invocation in Lambda. Only `npm run bench` imported the bundles before, and it asserted one status code.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ArchiveManifest } from '../../functions/archive/manifest.js';
import type { ArchiveTask } from '../../functions/archive/types.js';
import type { AtsLogLine } from '../../functions/ats/log/adapter.js';
import { interviewStatePk } from '../../functions/ledger/interview-ledger.js';
import type { RawEvent } from '../../functions/queue/raw-events.js';
import type { QueueMessage } from '../../functions/vendors/envelope.js';
import { resources } from '../../lib/resources.js';
import { type BenchChild, spawnBenchChild } from '../../local/bench/child.js';
import {
  type DeployedFunction,
  type DeployedStage,
  synthesizeDeployedStage,
} from '../../local/bench/deployed.js';
import { localFunctionEnvironment } from '../../local/bench/function-env.js';
import type { BenchServices } from '../../local/bench/services-process.js';
import { localAws } from '../../local/emulators.js';
import { ensureSecretsFile } from '../../local/secrets-file.js';
import { toSqsRecord } from '../../local/sqs-poller.js';
import { fixture } from '../helpers/fixtures.js';
import { round0Request } from '../helpers/signed-requests.js';
import { round0Event } from '../unit/handlers/http-api-events.js';

/** The stage `npm run bench` measures by default: production's settings. */
const stage = 'prod';

/**
 * The child that stands in for Lambda's Node runtime: imports the bundle (the INIT phase: a module that
 * cannot load fails here), then calls its `handler` once per event in turn, as one warm execution
 * environment would, each with a context whose remaining time counts down from the function's timeout.
 * The results go to fd 3; stdout and stderr are the function's log stream (the log adapter's ATS writes
 * among them, as deployed).
 */
const invokeScript = `
const [file, eventsJson, settingsJson] = process.argv.slice(1);
const { writeSync } = await import('node:fs');
const settings = JSON.parse(settingsJson);
const module = await import(file);
if (typeof module.handler !== 'function') throw new Error(file + ' exports no handler function');
const results = [];
for (const [index, event] of JSON.parse(eventsJson).entries()) {
  const deadline = Date.now() + settings.timeoutMs;
  const context = {
    functionName: settings.functionName, functionVersion: '$LATEST', memoryLimitInMB: String(settings.memoryMb),
    awsRequestId: 'deployed-bundle-' + index,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:' + settings.functionName,
    logGroupName: '/aws/lambda/' + settings.functionName, logStreamName: 'deployed-bundle',
    callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  results.push((await module.handler(event, context)) ?? null);
}
writeSync(3, JSON.stringify(results));
process.exit(0);
`;

interface Invocations<T> {
  /** The handler's result for each event, in order. */
  readonly results: T[];
  /** What the function printed (its log lines: Powertools writes warnings and errors to stderr). */
  readonly stdout: string;
  readonly stderr: string;
}

/** The longest a bundle's child may take (loading a bundle takes about a second): then it is killed. */
const invocationTimeoutMs = 60_000;

/**
 * Runs `fn`'s bundle in a fresh `node` with exactly `env` (plus PATH), calling its handler with each of
 * `events`; rejects with the child's stderr when it fails (a bundle that cannot load, a handler that throws).
 */
const invokeBundle = <T>(
  fn: DeployedFunction,
  env: Readonly<Record<string, string>>,
  events: readonly unknown[],
): Promise<Invocations<T>> =>
  new Promise((resolve, reject) => {
    const role = fn.role as Exclude<DeployedFunction['role'], 'minimal'>;
    const settings = {
      functionName: resources[role].serviceName,
      memoryMb: fn.memoryMb,
      timeoutMs: resources[role].timeoutSeconds * 1000,
    };
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        invokeScript,
        fn.bundle,
        JSON.stringify(events),
        JSON.stringify(settings),
      ],
      { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
    );
    let report = '';
    let stdout = '';
    let stderr = '';
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      report += chunk.toString('utf8');
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), invocationTimeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 || report === '') {
        // Each line cut short: Node quotes the failing line of the bundle, which is minified (one long line).
        const cut = (log: string) =>
          log
            .split('\n')
            .map((line) => (line.length > 300 ? `${line.slice(0, 300)}…` : line))
            .join('\n');
        // Node's exit code 13: the module's top-level await never settled (under -e, with no warning).
        const why = code === 13 ? '13: unsettled top-level await' : String(code ?? signal);
        reject(new Error(`the ${fn.role} bundle failed (${why}):\n${cut(stderr)}\n${cut(stdout)}`));
      } else resolve({ results: JSON.parse(report) as T[], stdout, stderr });
    });
  });

/** Every message a queue has visible now, each received (kept in flight, as Lambda's event source does). */
const receiveAll = async (sqs: SQSClient, queueUrl: string): Promise<Message[]> => {
  const received: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 600,
        MessageAttributeNames: ['All'],
        // Both names: SQS renamed AttributeNames, and local-aws-sqs only reads the old one.
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return received;
    received.push(...Messages);
  }
};

/** The SQS event Lambda's event source mapping builds from received messages of the queue `queueArn`. */
const sqsEventOf = (messages: readonly Message[], queueArn: string): SQSEvent => ({
  Records: messages.map((message) => toSqsRecord(message, queueArn, localAws.region)),
});

/** The log adapter's lines among a function's log lines (deployed, `ATS_CONFIG.path` is `stdout`). */
const atsLinesOf = (stdout: string): AtsLogLine[] =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{"at":'))
    .map((line) => JSON.parse(line) as AtsLogLine)
    .filter((line) => line.adapter === 'log');

/** The log lines of level WARN or above (Powertools JSON), which a clean run has none of. */
const problemsIn = (log: Invocations<unknown>): string[] =>
  `${log.stdout}\n${log.stderr}`.split('\n').filter((line) => /"level":"(WARN|ERROR|CRITICAL)"/.test(line));

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let scratch: string;
let servicesStarting: Promise<BenchChild> | undefined;
let info: BenchServices;
let deployed: DeployedStage;
let secretsFile: Awaited<ReturnType<typeof ensureSecretsFile>>;
let sqs: SQSClient;
let s3: S3Client;
let dynamodb: DynamoDBClient;
let ledger: DynamoDBDocumentClient;
let manifest: ArchiveManifest;

const envOf = (role: 'ingest' | 'worker' | 'archive') =>
  localFunctionEnvironment(deployed.functions[role], info, { secretsFile: secretsFile.path });

/** What each step hands to the next (a step whose predecessor failed says so instead of running). */
const handedOver: { eventMessage?: Message; signature?: string; archiveTasks?: Message[] } = {};

const ended = fixture('round0', 'interview_ended');
const endedJson = ended.body as {
  id: string;
  data: { interview: { id: string }; responses: Array<{ question_id: string }> };
};
const interviewId = endedJson.data.interview.id;
const dedupeKey = `round0:${endedJson.id}`;
const questionIds = endedJson.data.responses.map((response) => response.question_id);

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'deployed-bundles-e2e-'));
  secretsFile = await ensureSecretsFile(join(scratch, 'secrets.local.json'));
  // The services start in their own process while this one synthesises (esbuild, synchronous: ~10 s).
  servicesStarting = spawnBenchChild('local/bench/services-process.ts', {
    BENCH_SECRETS_FILE: secretsFile.path,
  });
  // The synth's output directory (bundles and source maps, ~15 MB) is made under `scratch`, removed below.
  deployed = synthesizeDeployedStage(stage, {}, scratch);
  const services = await servicesStarting;
  info = await services.call<BenchServices>('info');
  // The ROUND0 API fake knows the interview (the worker enriches from it) and serves its answers' audio.
  await services.call('seedRound0', [ended.raw]);
  const client = { region: localAws.region, credentials: localAws.credentials };
  sqs = new SQSClient({ ...client, endpoint: info.env.AWS_ENDPOINT_URL_SQS });
  s3 = new S3Client({ ...client, endpoint: info.env.AWS_ENDPOINT_URL_S3, forcePathStyle: true });
  dynamodb = new DynamoDBClient({ ...client, endpoint: info.env.AWS_ENDPOINT_URL_DYNAMODB });
  ledger = DynamoDBDocumentClient.from(dynamodb);
  manifest = new ArchiveManifest({ client: dynamodb, tableName: resources.ledgerTable.name });
}, 180_000);

afterAll(async () => {
  sqs?.destroy();
  s3?.destroy();
  dynamodb?.destroy();
  await (await servicesStarting?.catch(() => undefined))?.stop();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

describe(`the bundles as the ${stage} stage deploys them, end to end against the emulators`, () => {
  it('ingest: answers 202 to a signed ROUND0 delivery and 401 to a forged one, and queues the first only', async () => {
    // Prepare
    const secret = secretsFile.secrets.webhook.round0SigningSecrets[0] ?? '';
    const signed = round0Event(round0Request(ended.raw, { secret }));
    const forged = round0Event(round0Request(ended.raw, { secret: 'whsec_not_the_configured_secret' }));

    // Act
    const invocations = await invokeBundle<APIGatewayProxyStructuredResultV2>(
      deployed.functions.ingest,
      envOf('ingest'),
      [signed, forged],
    );
    const queued = await receiveAll(sqs, info.queueUrls.events);

    // Assess: the answers
    const [accepted, refused] = invocations.results;
    expect(accepted?.statusCode).toBe(202);
    expect(JSON.parse(String(accepted?.body))).toEqual({ received: true, id: dedupeKey });
    expect(refused?.statusCode).toBe(401);
    expect(refused?.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(String(refused?.body))).toMatchObject({ status: 401, title: 'Unauthorized' });
    // The refusal is the one warning in the function's log.
    expect(problemsIn(invocations)).toEqual([expect.stringContaining('"message":"webhook refused"')]);

    // Assess: one message on the events queue, the envelope of the signed delivery
    expect(queued).toHaveLength(1);
    const message = JSON.parse(queued[0]?.Body ?? 'null') as QueueMessage;
    expect(message.kind).toBe('event');
    if (message.kind !== 'event') return;
    expect(message.event).toMatchObject({
      vendor: 'round0',
      type: 'interview_ended',
      dedupeKey,
      interviewId,
    });
    handedOver.eventMessage = queued[0];
    handedOver.signature = signed.headers['x-webhook-signature'];
  });

  it('worker: syncs the queued event with no batch item failure: ledger, ATS writes, raw event store, archive tasks', async () => {
    // Prepare
    const eventMessage = handedOver.eventMessage;
    if (eventMessage === undefined) throw new Error('the ingest step queued no message');
    const env = envOf('worker');
    // The deployed default: the log adapter, printing its writes to the function's log (CloudWatch Logs).
    expect(env.ATS_ADAPTER).toBe('log');
    expect(JSON.parse(env.ATS_CONFIG ?? '{}')).toEqual({ path: 'stdout' });

    // Act
    const invocations = await invokeBundle<SQSBatchResponse>(deployed.functions.worker, env, [
      sqsEventOf([eventMessage], info.queueArns.events),
    ]);
    const { Item: state } = await ledger.send(
      new GetCommand({
        TableName: resources.ledgerTable.name,
        Key: { pk: interviewStatePk('round0', interviewId), sk: 'STATE' },
        ConsistentRead: true,
      }),
    );
    const { Contents: rawObjects = [] } = await s3.send(
      new ListObjectsV2Command({ Bucket: resources.bucket.name, Prefix: resources.bucket.rawEventsPrefix }),
    );
    const tasks = await receiveAll(sqs, info.queueUrls.archive);

    // Assess: the batch succeeded, nothing warned about
    expect(invocations.results).toEqual([{ batchItemFailures: [] }]);
    expect(problemsIn(invocations)).toEqual([]);

    // Assess: the ledger holds the interview with the event done
    expect(state?.events?.[dedupeKey]?.done).toBe(true);

    // Assess: the ATS got the interview's note (the log adapter's lines, in the function's log)
    const writes = atsLinesOf(invocations.stdout).filter((line) => line.interviewId === interviewId);
    expect(writes).toContainEqual(
      expect.objectContaining({
        action: 'note',
        vendor: 'round0',
        marker: `interview-sync:round0:${interviewId}`,
      }),
    );

    // Assess: the delivery is in the raw event store, byte for byte, with its signature
    expect(rawObjects).toHaveLength(1);
    const object = await s3.send(
      new GetObjectCommand({ Bucket: resources.bucket.name, Key: rawObjects[0]?.Key ?? '' }),
    );
    const raw = JSON.parse((await object.Body?.transformToString('utf8')) ?? 'null') as RawEvent;
    expect(raw).toMatchObject({ vendor: 'round0', type: 'interview_ended', dedupeKey });
    expect(Buffer.from(raw.bodyBase64, 'base64').toString('utf8')).toBe(ended.raw);
    expect(raw.headers['x-webhook-signature']).toBe(handedOver.signature);

    // Assess: one archive task per answer, its audio on the ROUND0 fake (where the worker read the interview)
    const archiveTasks = tasks.map((task) => JSON.parse(task.Body ?? 'null') as ArchiveTask);
    expect(archiveTasks.map((task) => task.asset.kind === 'file' && task.asset.key).sort()).toEqual(
      questionIds.map((id) => `interviews/${interviewId}/question_${id}.mp3`).sort(),
    );
    for (const task of archiveTasks) {
      expect(task).toMatchObject({ vendor: 'round0', interviewKey: interviewId, interviewId });
      expect(task.asset.sourceUrl.startsWith(`${info.vendorApiUrls.round0}/audio/`)).toBe(true);
    }
    handedOver.archiveTasks = tasks;
  });

  it('archive: archives each task’s audio to S3 with its manifest entry and reports the batch complete', async () => {
    // Prepare
    const tasks = handedOver.archiveTasks;
    if (tasks === undefined || tasks.length === 0) throw new Error('the worker step sent no archive task');
    const env = envOf('archive');
    // The audio is on the ROUND0 fake (plain http on 127.0.0.1), which the deployed SSRF guard refuses:
    // function-env adds OUTBOUND_ALLOW_LOCAL to a function whose template names ROUND0_API_BASE_URL, as the
    // archive's does (to refresh an expired audio URL), so the archive may fetch it. Checked, not assumed.
    expect(env.OUTBOUND_ALLOW_LOCAL).toBe('true');
    // Batch size 1, as deployed: one event per task, one after the other in the same execution environment.
    const events = tasks.map((task) => sqsEventOf([task], info.queueArns.archive));

    // Act
    const invocations = await invokeBundle<SQSBatchResponse>(deployed.functions.archive, env, events);
    const completed = await receiveAll(sqs, info.queueUrls.events);

    // Assess: every invocation succeeded, nothing warned about
    expect(invocations.results).toEqual(tasks.map(() => ({ batchItemFailures: [] })));
    expect(problemsIn(invocations)).toEqual([]);

    // Assess: each asset in S3 under the archive prefix, byte for byte as served, and in the manifest
    for (const task of tasks.map((message) => JSON.parse(message.Body ?? 'null') as ArchiveTask)) {
      if (task.asset.kind !== 'file') throw new Error(`unexpected ${task.asset.kind} asset`);
      const key = task.asset.key;
      expect(key.startsWith(`${resources.bucket.archivePrefix}${interviewId}/`)).toBe(true);
      const served = new Uint8Array(await (await fetch(task.asset.sourceUrl)).arrayBuffer());
      const head = await s3.send(new HeadObjectCommand({ Bucket: resources.bucket.name, Key: key }));
      const object = await s3.send(new GetObjectCommand({ Bucket: resources.bucket.name, Key: key }));
      const stored = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
      expect(head.ContentType).toBe('audio/mpeg');
      expect(sha256(stored)).toBe(sha256(served));
      expect(await manifest.get('round0', interviewId, key)).toMatchObject({
        key,
        size: stored.length,
        sha256: sha256(stored),
        contentType: 'audio/mpeg',
        sourceUrl: task.asset.sourceUrl,
      });
    }

    // Assess: the batch complete, the archive sent `archive.completed` to the events queue (for the worker)
    const [batchId] = new Set(
      tasks.map((message) => (JSON.parse(message.Body ?? 'null') as ArchiveTask).batchId),
    );
    expect(completed).toHaveLength(1);
    const message = JSON.parse(completed[0]?.Body ?? 'null') as QueueMessage;
    expect(message.kind === 'event' && message.event).toMatchObject({
      vendor: 'round0',
      type: 'archive.completed',
      dedupeKey: `round0:archive.completed:${interviewId}:${batchId}`,
      payload: { interviewId, batchId, location: `s3://${resources.bucket.name}/interviews/${interviewId}/` },
    });
  });
});
