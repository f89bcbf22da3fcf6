/**
 * The fault suite's world: `npm start`'s runtime (emulators, the real ingest, worker and archive handlers)
 * with the generic ATS adapter posting every write to a Standard Webhooks receiver fake. Each write is one
 * signed POST naming its effect (`<vendor>:<interview key>:<write key>`), so the receiver's deliveries are
 * the ATS effects the audit counts: a write made twice shows up twice.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ArchiveManifest } from '../../functions/archive/manifest.js';
import type { GenericAtsEvent } from '../../functions/ats/generic/adapter.js';
import { resources } from '../../lib/resources.js';
import { localAws } from '../../local/emulators.js';
import { type FakeRound0Api, round0InterviewFromWebhook } from '../../local/fakes/round0-api.js';
import { type FakeWebhookReceiver, startFakeWebhookReceiver } from '../../local/fakes/webhook-receiver.js';
import { type LocalLog, silentLog } from '../../local/log.js';
import { listRawEvents, readRawEvents } from '../../local/ops/raw-store.js';
import { type LocalPipeline, type LocalPipelineOptions, startLocalPipeline } from '../../local/runtime.js';
import { runtimeInfoFor, writeRuntimeInfo } from '../../local/runtime-info.js';
import { type SentEvent, sendEvent } from '../../local/send.js';
import {
  type Fixture,
  type FixtureJson,
  fixtureNamed,
  loadFixtures,
  s3For,
  setIntegrationSecrets,
  setSecretsSection,
} from '../e2e/helpers.js';

/** The archive manifest of the world's pipeline (its dynalite), as the archive function records it. */
export const archiveManifestOf = (world: FaultsWorld): ArchiveManifest =>
  new ArchiveManifest({
    client: new DynamoDBClient({
      region: localAws.region,
      endpoint: world.pipeline.endpoints.dynamodb,
      credentials: localAws.credentials,
    }),
    tableName: resources.ledgerTable.name,
  });

/**
 * The dedupe keys of `vendor`'s deliveries in the world's raw event store, kept by the worker alone or in a
 * batch object, read as the replay and erase tools read them.
 */
export const rawEventKeysOf = async (
  world: FaultsWorld,
  vendor: 'round0' | 'micro1',
): Promise<Set<string>> => {
  const s3 = s3For(world.pipeline);
  try {
    const { objects } = await listRawEvents(s3, resources.bucket.name, { vendors: [vendor] });
    const stored = await Promise.all(objects.map((ref) => readRawEvents(s3, resources.bucket.name, ref)));
    return new Set(
      stored
        .flatMap((held) => held?.events ?? [])
        .flatMap((raw) => (raw?.vendor === vendor ? [raw.dedupeKey] : [])),
    );
  } finally {
    s3.destroy();
  }
};

/** What only the ROUND0 API's copy of an interview says (its webhook says otherwise). */
export const fromTheRound0Api = 'Feedback read from the ROUND0 API.';

/**
 * The webhook of a completed ROUND0 interview, and the API's copy of it (no audio, the first feedback
 * {@link fromTheRound0Api}) served by `api` and kept in `interviews`, which outlive the API's restarts.
 */
export const round0EndedServedBy = async (
  api: FakeRound0Api,
  interviews: Record<string, unknown>,
  id: string,
): Promise<string> => {
  const webhook = await round0Ended(id);
  const { body } = round0InterviewFromWebhook(JSON.parse(webhook), {
    audioBaseUrl: 'https://unused.invalid',
  });
  const responses = body.responses as Array<Record<string, unknown>>;
  for (const response of responses) delete response.audio_url;
  (responses[0] as Record<string, unknown>).feedback = fromTheRound0Api;
  interviews[id] = body;
  api.state.interviews.set(id, body);
  return webhook;
};

/** The ATS writes made for an interview so far, repeats included (`id`: ROUND0's, or micro1's `report:<id>`). */
export const atsWritesOf = (world: FaultsWorld, id: string, vendor: 'round0' | 'micro1' = 'round0') =>
  world.receiver.state.deliveries
    .map((delivery) => delivery.payload as GenericAtsEvent | undefined)
    .filter((payload) => payload?.eventKey.startsWith(`${vendor}:${id}:`));

/** The stage a completed interview moves to, so every completed interview makes three writes. */
export const completedStageId = 'stage-screened';

export interface FaultsWorld {
  readonly pipeline: LocalPipeline;
  readonly receiver: FakeWebhookReceiver;
  /** Temporary directory: the secrets file and the runtime info `runOpsCommand` reads. */
  readonly dir: string;
  /** Dedupe keys of every delivery the ingest acknowledged (202): none of them may be lost. */
  readonly acknowledged: Set<string>;
  /** The local runtime's error lines (`message: error`), e.g. an invocation that ran into its timeout. */
  readonly runtimeErrors: string[];
  /** Sends a body as the vendor would (signed, or with the micro1 token) and records a 202's key. */
  deliver(vendor: 'round0' | 'micro1', body: string): Promise<SentEvent>;
  stop(): Promise<void>;
}

export interface FaultsWorldOptions extends Omit<LocalPipelineOptions, 'secretsFile' | 'log'> {
  /** Members added to the integration secret besides the receiver's signing secret. */
  readonly integration?: Readonly<Record<string, unknown>>;
  /** Members added to the vendor API secret (the keys the vendor API fakes expect). */
  readonly vendorApi?: Readonly<Record<string, unknown>>;
  /** How long the worker waits for one ATS request. @default 2000 */
  readonly atsTimeoutMs?: number;
}

/**
 * Starts the receiver and a pipeline whose worker writes to it, with quiet logs. `options` adds to or
 * overrides the pipeline's settings (queue timings, media, a worker that does not run…); `env` the
 * handlers' environment.
 */
export const startFaultsWorld = async ({
  integration = {},
  vendorApi = {},
  atsTimeoutMs = 2000,
  ...options
}: FaultsWorldOptions = {}): Promise<FaultsWorld> => {
  const dir = await mkdtemp(join(tmpdir(), 'faults-'));
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const receiver = await startFakeWebhookReceiver({ secret });
  let pipeline: LocalPipeline | undefined;
  const runtimeErrors: string[] = [];
  const log: LocalLog = {
    ...silentLog,
    error: (message, fields) => {
      runtimeErrors.push(`${message}: ${String(fields?.error ?? '')}`);
    },
  };
  try {
    pipeline = await startLocalPipeline({
      worker: { maxBatchingWindowSeconds: 0 },
      ...options,
      secretsFile: join(dir, 'secrets.local.json'),
      log,
      env: {
        POWERTOOLS_LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'true',
        ATS_ADAPTER: 'generic',
        // Two attempts per request: a 429 whose Retry-After fits (1 s) is waited out in-process, a longer
        // one goes back to the queue. A 500 on a POST is never retried in-process (it may have landed).
        ATS_CONFIG: JSON.stringify({
          url: `${receiver.url}/hooks/ats`,
          http: { maxAttempts: 2, timeoutMs: atsTimeoutMs, maxRetryAfterSeconds: 1 },
        }),
        ATS_COMPLETED_STAGE_ID: completedStageId,
        ...options.env,
      },
    });
    // Before any event: the worker caches the integration secret once read.
    await setIntegrationSecrets(pipeline.secretsFile.path, {
      ...integration,
      ats: { signingSecret: secret },
    });
    await setSecretsSection(pipeline.secretsFile.path, 'vendorApi', vendorApi);
    await writeRuntimeInfo(dir, runtimeInfoFor(pipeline));
  } catch (error) {
    await pipeline?.stop();
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const started = pipeline;
  const acknowledged = new Set<string>();
  return {
    pipeline: started,
    receiver,
    dir,
    acknowledged,
    runtimeErrors,
    deliver: async (vendor, body) => {
      const sent = await sendEvent({
        vendor,
        body,
        baseUrl: started.url,
        secret: started.secrets.webhook.round0SigningSecrets[0],
        token: started.secrets.webhook.micro1Tokens[0],
      });
      if (sent.status === 202) acknowledged.add((JSON.parse(sent.body) as { id: string }).id);
      return sent;
    },
    stop: async () => {
      await started.stop();
      await receiver.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

let fixtures: Fixture[] | undefined;
const fixture = async (vendor: 'round0' | 'micro1', name: string): Promise<FixtureJson> => {
  fixtures ??= await loadFixtures();
  return structuredClone(fixtureNamed(fixtures, vendor, name).json);
};

/**
 * A ROUND0 `interview_ended` of interview `interviewId` (event `evt_<interviewId>`), its answers without
 * audio (nothing to archive unless a test wants it), changed by `change`.
 */
export const round0Ended = async (
  interviewId: string,
  change: (json: FixtureJson) => void = () => {},
): Promise<string> => {
  const json = await fixture('round0', 'interview_ended');
  json.id = `evt_${interviewId}`;
  json.data.interview.id = interviewId;
  json.data.candidate.email = `${interviewId}@example.com`;
  for (const response of json.data.responses) delete response.audio_url;
  change(json);
  return JSON.stringify(json);
};

/** A micro1 `interview_report.created` of report `reportId`, without media unless `change` adds some. */
export const micro1Report = async (
  reportId: string,
  change: (json: FixtureJson) => void = () => {},
): Promise<string> => {
  const json = await fixture('micro1', 'interview_report.created');
  json.data.report_id = reportId;
  json.data.interview_id = `interview-${reportId}`;
  json.data.ats_job_application_id = `app-${reportId}`;
  delete json.data.report_url;
  delete json.data.interview_recording_url;
  change(json);
  return JSON.stringify(json);
};

/** The ATS effects of a completed interview: its status, its note and its stage move, each once. */
export const completedEffects = (vendor: 'round0' | 'micro1', interviewKey: string): string[] => [
  `${vendor}:${interviewKey}:status:completed`,
  `${vendor}:${interviewKey}:note`,
  `${vendor}:${interviewKey}:stage:${completedStageId}`,
];
