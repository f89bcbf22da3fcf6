/** Helpers for the end-to-end tests that drive the local pipeline over HTTP. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { InterviewEvent, QueueMessage, VendorName } from '../../functions/vendors/envelope.js';
import { localAws } from '../../local/emulators.js';
import type { FakeLeverOpportunity } from '../../local/fakes/lever.js';
import { silentLog } from '../../local/log.js';
import { queueCounts, queueDepth } from '../../local/queue-depth.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/runtime.js';
import { fixturesDir, listFixtures, sendEvent } from '../../local/send.js';
import { eventually } from '../integration/local/factories.js';

export interface Fixture {
  readonly vendor: VendorName;
  readonly name: string;
  /** The file's bytes, sent as they are. */
  readonly raw: Buffer;
  readonly json: Record<string, unknown>;
}

/** A fixture's JSON, edited in place by a test before sending (its shape is the vendor's sample). */
// biome-ignore lint/suspicious/noExplicitAny: vendor sample JSON is edited freely in tests
export type FixtureJson = any;

/** Every sample payload under `local/fixtures`. */
export const loadFixtures = async (): Promise<Fixture[]> => {
  const names = await listFixtures();
  const fixtures = await Promise.all(
    Object.entries(names).flatMap(([vendor, files]) =>
      files.map(async (name) => {
        const raw = await readFile(join(fixturesDir, vendor, `${name}.json`));
        return { vendor: vendor as VendorName, name, raw, json: JSON.parse(raw.toString('utf8')) };
      }),
    ),
  );
  return fixtures;
};

export interface QueuedMessage {
  readonly message: QueueMessage;
  readonly attributes: Record<string, string | undefined>;
}

/**
 * A queue's counts once the emulator has applied the releases it answered: local-aws-sqs makes a message
 * given `VisibilityTimeout: 0` visible on a 0 ms timer, not at once, so a count read right after a release
 * could still see it in flight (seen once in a full run). The emulator runs in this process and timers fire
 * in order of their due time, so waiting on a later one lets those run first.
 */
export const settledQueueCounts = async (
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number }> => {
  await new Promise((resolve) => setTimeout(resolve, 5));
  return queueCounts(sqs, queueUrl);
};

/**
 * Takes every message off a queue (nothing else consumes it while the worker is off), so each test
 * starts from an empty queue and sees exactly what it caused.
 */
export const drainQueue = async (sqs: SQSClient, queueUrl: string): Promise<QueuedMessage[]> => {
  const drained: QueuedMessage[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return drained;
    for (const message of Messages) {
      drained.push({
        message: JSON.parse(message.Body ?? 'null') as QueueMessage,
        attributes: Object.fromEntries(
          Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]),
        ),
      });
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
};

/** An S3 client for the pipeline's s3rver. */
export const s3For = (pipeline: LocalPipeline): S3Client =>
  new S3Client({
    region: localAws.region,
    endpoint: pipeline.endpoints.s3,
    forcePathStyle: true,
    credentials: localAws.credentials,
  });

/** The envelope a queue message stands for, following a claim check into S3 (it holds the whole message). */
export const envelopeOf = async (message: QueueMessage, s3: S3Client): Promise<InterviewEvent> => {
  if (message.kind === 'event') return message.event;
  const object = await s3.send(new GetObjectCommand({ Bucket: message.bucket, Key: message.key }));
  const content = JSON.parse((await object.Body?.transformToString('utf8')) ?? 'null') as QueueMessage;
  if (content.kind !== 'event') throw new Error(`a claim check holding a ${content.kind} message`);
  return content.event;
};

/** A ROUND0 `interview_ended` body grown to about `bytes` by repeating its answers (still schema-valid). */
export const round0BodyOfSize = (fixture: Fixture, bytes: number): string => {
  const data = fixture.json.data as { responses: unknown[] };
  const [answer] = data.responses;
  const answerBytes = Buffer.byteLength(JSON.stringify(answer)) + 1;
  const responses = Array.from({ length: Math.ceil(bytes / answerBytes) }, () => answer);
  return JSON.stringify({ ...fixture.json, data: { ...data, responses } });
};

/** The fixture `vendor`/`name` among `fixtures`. */
export const fixtureNamed = (fixtures: readonly Fixture[], vendor: string, name: string): Fixture => {
  const found = fixtures.find((f) => f.vendor === vendor && f.name === name);
  if (found === undefined) throw new Error(`no fixture ${vendor}/${name}`);
  return found;
};

/**
 * Turns ROUND0's dashboard test event (`test_interview_ended`) into a real event of the same interview: an
 * `evt_` + hex id and a UUID candidate, so it is no test delivery (`functions/vendors/test-delivery.ts`)
 * and is synced. For tests that want a second ROUND0 interview the vendor API fake knows
 * (`test-interview-id`, seeded from the fixture).
 */
export const asRealRound0Event = (json: FixtureJson): void => {
  json.id = 'evt_7e57000000000000000000000000000a';
  json.data.candidate.id = realRound0CandidateId;
};

/** The candidate id {@link asRealRound0Event} gives the test event. */
export const realRound0CandidateId = '7e570000-0000-4000-8000-00000000000a';

/** Sends `fixture` to the pipeline with `change` applied to a copy of its JSON, and expects it accepted. */
export const sendFixture = async (
  pipeline: LocalPipeline,
  fixture: Fixture,
  change: (json: FixtureJson) => void = () => {},
): Promise<void> => {
  const json = structuredClone(fixture.json);
  change(json);
  const sent = await sendEvent({
    vendor: fixture.vendor,
    body: JSON.stringify(json),
    baseUrl: pipeline.url,
    secret: pipeline.secrets.webhook.round0SigningSecrets[0],
    token: pipeline.secrets.webhook.micro1Tokens[0],
  });
  expect(sent.status).toBe(202);
};

/** Waits (30 s at most) until the pipeline's events queue is empty: the worker is done with what was sent. */
export const settled = async (pipeline: LocalPipeline): Promise<void> =>
  eventually(async () => {
    expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.events)).toBe(0);
  }, 30_000);

/** A Lever fake's opportunity of the person with `email`, in `stage-applied`, without tags or links. */
export const opportunity = (id: string, email: string): FakeLeverOpportunity => ({
  id,
  contact: `contact-${id}`,
  emails: [email],
  stage: 'stage-applied',
  tags: [],
  links: [],
  archived: null,
  createdAt: 1_700_000_000_000,
});

/**
 * Sets members of the integration secret in the secrets file (e.g. the ATS credentials): the worker reads
 * the file, so the pipeline must have started (it creates the file) before this.
 */
export const setIntegrationSecrets = (
  secretsFile: string,
  integration: Readonly<Record<string, unknown>>,
): Promise<void> => setSecretsSection(secretsFile, 'integration', integration);

/** Adds `values` to one section of the local secrets file (`vendorApi`: the vendor API keys). */
export const setSecretsSection = async (
  secretsFile: string,
  section: 'integration' | 'vendorApi',
  values: Readonly<Record<string, unknown>>,
): Promise<void> => {
  const file = JSON.parse(await readFile(secretsFile, 'utf8'));
  file[section] = { ...file[section], ...values };
  await writeFile(secretsFile, JSON.stringify(file));
};

/**
 * Kills of the worker after chosen ATS writes, for `workerHandler.crashPoints.afterWrite`: each key added to
 * `killOnce` is killed once, after its ATS call and before its ledger record, and then listed in `killed`.
 * A kill: the invocation never returns (the runtime times it out, as Lambda would), its claims stay
 * recorded until their lease runs out, and SQS redelivers the message.
 */
export const workerKills = () => {
  const killOnce = new Set<string>();
  const killed: string[] = [];
  const killAfterWrite = (key: string): Promise<never> | undefined => {
    if (!killOnce.delete(key)) return undefined;
    killed.push(key);
    return new Promise<never>(() => undefined);
  };
  return { killOnce, killed, killAfterWrite };
};

/**
 * Starts a local pipeline whose worker a test may kill after a write (`afterWrite`, see `workerKills`),
 * with ATS settings `env`, then adds `integration` to the integration secret. The invocation times out
 * after 2 s; the claims outlive that timeout and end before the 3 s redelivery, as deployed (120 s / 60 s /
 * 360 s).
 */
export const startKillablePipeline = async (options: {
  readonly secretsFile: string;
  readonly afterWrite: (key: string) => Promise<never> | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly integration: Readonly<Record<string, unknown>>;
}): Promise<LocalPipeline> => {
  const pipeline = await startLocalPipeline({
    secretsFile: options.secretsFile,
    workerVisibilityTimeoutSeconds: 3,
    workerTimeoutSeconds: 2,
    worker: { maxBatchingWindowSeconds: 0 },
    workerHandler: { crashPoints: { afterWrite: options.afterWrite } },
    log: silentLog,
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      CLAIM_LEASE_SECONDS: '2',
      UNANSWERED_SETTLE_SECONDS: '1',
      ...options.env,
    },
  });
  try {
    await setIntegrationSecrets(options.secretsFile, options.integration);
  } catch (error) {
    await pipeline.stop();
    throw error;
  }
  return pipeline;
};
