/**
 * The world of the erase tests (`privacy.test.ts`, `erase-dlq.test.ts`): `npm start`'s pipeline with the
 * vendor API and media fakes, the clients that read its table and bucket, and two ROUND0 candidates — Jane
 * (the fixtures' interview), whom the tests erase, and another, of whom everything must stay.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, type GetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { expect } from '@jest/globals';
import { interviewStatePk } from '../../../functions/ledger/interview-ledger.js';
import type { VendorName } from '../../../functions/vendors/envelope.js';
import { resources } from '../../../lib/resources.js';
import { localAws } from '../../../local/emulators.js';
import { silentLog } from '../../../local/log.js';
import { queueDepth } from '../../../local/queue-depth.js';
import { type LocalPipeline, startLocalPipeline } from '../../../local/runtime.js';
import { runtimeInfoFor, writeRuntimeInfo } from '../../../local/runtime-info.js';
import { sendEvent } from '../../../local/send.js';
import {
  asRealRound0Event,
  type Fixture,
  type FixtureJson,
  fixtureNamed,
  loadFixtures,
  s3For,
  settled,
} from '../../e2e/helpers.js';
import { eventually } from '../local/factories.js';
import { ensureRawEvent } from './raw-events.js';

export const bucket = resources.bucket.name;
export const table = resources.ledgerTable.name;

/** The fixtures' candidate, the one erased. */
export const jane = {
  email: 'jane@example.com',
  name: 'Jane Smith',
  interviewId: '660f9511-f30c-52e5-b827-557766551111',
  candidateId: '770g0622-g41d-63f6-c938-668877662222',
  endedKey: 'round0:evt_660f9511f30c52e5b827557766551111',
  startedKey: 'round0:evt_550e8400e29b41d4a716446655440000',
};

/** The other candidate: ROUND0's dashboard test event made a real one ({@link EraseWorld.othersEnded}). */
export const other = { email: 'test@example.com', name: 'Test Candidate', interviewId: 'test-interview-id' };

export interface EraseWorld {
  /** The pipeline's data directory (its runtime info, for `runOpsCommand`). */
  readonly tempDir: string;
  readonly pipeline: LocalPipeline;
  readonly fixtures: Fixture[];
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly ledger: DynamoDBDocumentClient;
  /** Sends a body as the vendor would (202 expected), and makes sure its raw event is stored. */
  deliver(vendor: VendorName, json: FixtureJson): Promise<void>;
  /** A copy of a fixture's JSON, to change at will. */
  fixtureJson(vendor: VendorName, name: string): FixtureJson;
  /** The other candidate's interview: ROUND0's dashboard test event made a real one (a test is not synced). */
  othersEnded(): FixtureJson;
  /** The interview's state item in the ledger. */
  stateOf(vendor: VendorName, interviewKey: string): Promise<GetCommandOutput['Item']>;
  /** Both queues empty, twice in a row (the archive may publish an event after the events queue emptied). */
  quiet(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the pipeline in a fresh directory named after `prefix`, with short visibility timeouts and
 * `env` for the handlers (logs and metrics are off).
 */
export const startEraseWorld = async (
  prefix: string,
  env: Readonly<Record<string, string>> = {},
): Promise<EraseWorld> => {
  const tempDir = await mkdtemp(join(tmpdir(), prefix));
  const fixtures = await loadFixtures();
  const pipeline = await startLocalPipeline({
    dataDir: tempDir,
    secretsFile: join(tempDir, 'secrets.local.json'),
    vendorApis: true,
    media: true,
    workerVisibilityTimeoutSeconds: 2,
    worker: { maxBatchingWindowSeconds: 0 },
    archiveQueue: { visibilityTimeoutSeconds: 2, maxReceiveCount: 3 },
    log: silentLog,
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', ...env },
  });
  await writeRuntimeInfo(tempDir, runtimeInfoFor(pipeline));
  const s3 = s3For(pipeline);
  const dynamodb = new DynamoDBClient({
    region: localAws.region,
    endpoint: pipeline.endpoints.dynamodb,
    credentials: localAws.credentials,
  });
  const ledger = DynamoDBDocumentClient.from(dynamodb);
  const fixtureJson = (vendor: VendorName, name: string): FixtureJson =>
    structuredClone(fixtureNamed(fixtures, vendor, name).json);

  return {
    tempDir,
    pipeline,
    fixtures,
    s3,
    dynamodb,
    ledger,
    async deliver(vendor, json) {
      const body = Buffer.from(JSON.stringify(json));
      const sent = await sendEvent({
        vendor,
        body,
        baseUrl: pipeline.url,
        secret: pipeline.secrets.webhook.round0SigningSecrets[0],
        token: pipeline.secrets.webhook.micro1Tokens[0],
      });
      expect(sent.status).toBe(202);
      await ensureRawEvent(s3, bucket, vendor, body);
    },
    fixtureJson,
    othersEnded() {
      const json = fixtureJson('round0', 'test_interview_ended');
      asRealRound0Event(json);
      return json;
    },
    async stateOf(vendor, interviewKey) {
      const { Item } = await ledger.send(
        new GetCommand({
          TableName: table,
          Key: { pk: interviewStatePk(vendor, interviewKey), sk: 'STATE' },
          ConsistentRead: true,
        }),
      );
      return Item;
    },
    async quiet() {
      for (let i = 0; i < 2; i++) {
        await settled(pipeline);
        await eventually(
          async () => expect(await queueDepth(pipeline.sqs, pipeline.queueUrls.archive)).toBe(0),
          30_000,
        );
      }
    },
    async stop() {
      s3.destroy();
      dynamodb.destroy();
      await pipeline.stop();
      await rm(tempDir, { recursive: true, force: true });
    },
  };
};

/** Fails when `text` names either candidate (e-mail or name), or any of `more`. */
export const expectNoPii = (text: string, more: readonly string[] = []): void => {
  for (const pii of [jane.email, jane.name, other.email, other.name, ...more]) {
    expect(text.toLowerCase()).not.toContain(pii.toLowerCase());
  }
};
