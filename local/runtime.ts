/**
 * The whole pipeline on one machine: emulators → environment → the real ingest and worker handlers,
 * behind a local API Gateway and a local SQS event source mapping. `npm start` and the e2e tests use it.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { envNames } from '../functions/platform/env.js';
import { resources } from '../lib/resources.js';
import { type LocalHttpApi, startHttpApi } from './api-gateway.js';
import { type EmulatorPorts, type LocalEmulators, localAws, startEmulators } from './emulators.js';
import { LocalPipelineError } from './errors.js';
import type { LocalFunctionSettings } from './lambda-context.js';
import { consoleLog, type LocalLog } from './log.js';
import { defaultSecretsFilePath, ensureSecretsFile, type LocalSecrets } from './secrets-file.js';
import { type SqsPoller, startSqsPoller } from './sqs-poller.js';

/** The HTTP API's routes, as the CDK stack declares them (POST only). */
export const ingestRouteKeys = ['POST /webhooks/round0', 'POST /webhooks/micro1/{token}'] as const;

export interface LocalPipelineOptions {
  /**
   * Directory for DynamoDB and S3 data, kept across restarts (`npm start` uses `.data`).
   * @default undefined — in memory
   */
  readonly dataDir?: string;
  /** Port of the HTTP API. @default 0 (a free port) */
  readonly port?: number;
  /** Ports of the emulators. @default all 0 */
  readonly emulatorPorts?: EmulatorPorts;
  /** Secrets file, created with random secrets when missing. @default `<repo>/secrets.local.json` */
  readonly secretsFile?: string;
  /** Extra or overriding environment for the handlers (e.g. a low `MAX_BODY_BYTES` in tests). @default {} */
  readonly env?: Readonly<Record<string, string>>;
  /** Whether to poll the events queue with the worker; tests that count queued messages turn it off. @default true */
  readonly startWorker?: boolean;
  /**
   * Visibility timeout of the events queue, so failed batches come back quickly in tests.
   * @default resources.eventsQueue.visibilityTimeoutSeconds
   */
  readonly workerVisibilityTimeoutSeconds?: number;
  /** Receives before a message is dead-lettered. @default resources.eventsQueue.maxReceiveCount */
  readonly maxReceiveCount?: number;
  /** Event source mapping settings. @default resources.worker's batchSize, maxBatchingWindowSeconds, maxConcurrency */
  readonly worker?: {
    readonly batchSize?: number;
    readonly maxBatchingWindowSeconds?: number;
    readonly maxConcurrency?: number;
  };
  /** @default consoleLog */
  readonly log?: LocalLog;
}

export interface LocalPipeline {
  /** Base URL of the HTTP API, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The URLs to register with the vendors; micro1's carries the first configured token. */
  readonly webhookUrls: { readonly round0: string; readonly micro1: string };
  readonly secrets: LocalSecrets;
  /** Where the secrets live and whether this start created the file. */
  readonly secretsFile: { readonly path: string; readonly created: boolean };
  /** SQS client bound to the emulator, for tests and tools. */
  readonly sqs: SQSClient;
  readonly queueUrls: LocalEmulators['queueUrls'];
  readonly endpoints: LocalEmulators['endpoints'];
  /** Every variable written to `process.env` for the handlers. */
  readonly env: Readonly<Record<string, string>>;
  /** Stops accepting requests, drains HTTP requests and worker batches in flight, closes the emulators. */
  stop(): Promise<void>;
}

const functionSettings = (name: string, settings: { timeoutSeconds: number; memoryMb: number }) =>
  ({
    functionName: name,
    timeoutSeconds: settings.timeoutSeconds,
    memoryMb: settings.memoryMb,
    region: localAws.region,
    accountId: localAws.accountId,
  }) satisfies LocalFunctionSettings;

/**
 * The handlers read their configuration once, at import, and Node caches modules per process: a second
 * pipeline in the same process would run handlers wired to the first one's emulators. Jest gives each
 * test file its own module registry, so one pipeline per test file works.
 */
let started = false;

/** The environment the CDK stack gives the functions, pointed at the emulators. */
const handlerEnvironment = (
  emulators: LocalEmulators,
  secretsPath: string,
  overrides: Readonly<Record<string, string>>,
): Record<string, string> => ({
  ...emulators.env,
  [envNames.queueUrl]: emulators.queueUrls.events,
  [envNames.deadLetterQueueUrl]: emulators.queueUrls.deadLetter,
  [envNames.bucketName]: resources.bucket.name,
  [envNames.localSecretsFile]: secretsPath,
  // Empty = unset for the handlers' config reader: a real ARN left in the shell must not win over the file.
  [envNames.webhookSecretsArn]: '',
  [envNames.integrationSecretsArn]: '',
  [envNames.idempotencyTableName]: resources.idempotencyTable.name,
  [envNames.ledgerTableName]: resources.ledgerTable.name,
  [envNames.maxBodyBytes]: String(resources.ingest.maxBodyBytes),
  [envNames.sqsMaxMessageBytes]: String(resources.eventsQueue.maxMessageBytes),
  [envNames.signatureToleranceSeconds]: String(resources.ingest.signatureToleranceSeconds),
  [envNames.dedupeRetentionSeconds]: String(resources.worker.dedupeRetentionSeconds),
  // No ATS credentials are needed to try the pipeline: the log adapter prints what it would do.
  [envNames.atsAdapter]: 'log',
  // Lambda sets this for on-demand functions; Powertools reports cold starts only when it is set.
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  ...overrides,
});

/** Sets `values` in `process.env` and returns a function that restores what was there. */
const applyEnvironment = (values: Readonly<Record<string, string>>): (() => void) => {
  const previous = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  Object.assign(process.env, values);
  return () => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
};

/** Starts emulators, handlers, the HTTP API and (unless disabled) the worker's poller. */
export const startLocalPipeline = async (options: LocalPipelineOptions = {}): Promise<LocalPipeline> => {
  if (started) {
    throw new LocalPipelineError(
      'a local pipeline was already started in this process; the handlers keep the configuration they ' +
        'were imported with, so start one pipeline per process',
    );
  }
  started = true;
  const log = options.log ?? consoleLog;
  const secretsFile = await ensureSecretsFile(options.secretsFile ?? defaultSecretsFilePath);
  const emulators = await startEmulators({
    dataDir: options.dataDir,
    ports: options.emulatorPorts,
    eventsQueue: {
      visibilityTimeoutSeconds: options.workerVisibilityTimeoutSeconds,
      maxReceiveCount: options.maxReceiveCount,
    },
  });
  const env = handlerEnvironment(emulators, secretsFile.path, options.env ?? {});
  const restoreEnvironment = applyEnvironment(env);
  let api: LocalHttpApi | undefined;
  let poller: SqsPoller | undefined;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    // Idempotent: a second SIGTERM or a test's afterAll may call it again while it runs.
    stopping ??= (async () => {
      try {
        await api?.close();
        await poller?.stop();
      } finally {
        await emulators.close();
        restoreEnvironment();
      }
    })();
    return stopping;
  };

  try {
    // Imported only now: both handlers read process.env at module scope.
    const ingest = await import('../functions/ingest.js');
    const worker = await import('../functions/worker.js');
    api = await startHttpApi({
      routes: ingestRouteKeys,
      handler: ingest.handler,
      function: functionSettings('interview-sync-ingest', resources.ingest),
      port: options.port,
      log,
    });
    if (options.startWorker ?? true) {
      poller = startSqsPoller({
        sqs: emulators.sqs,
        queueUrl: emulators.queueUrls.events,
        queueArn: emulators.queueArns.events,
        handler: worker.handler,
        function: functionSettings('interview-sync-worker', resources.worker),
        ...options.worker,
        log,
      });
    }
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }

  const url = api.url;
  const micro1Token = secretsFile.secrets.webhook.micro1Tokens[0] ?? '';
  return {
    url,
    webhookUrls: {
      round0: `${url}/webhooks/round0`,
      micro1: `${url}/webhooks/micro1/${encodeURIComponent(micro1Token)}`,
    },
    secrets: secretsFile.secrets,
    secretsFile: { path: secretsFile.path, created: secretsFile.created },
    sqs: emulators.sqs,
    queueUrls: emulators.queueUrls,
    endpoints: emulators.endpoints,
    env,
    stop,
  };
};
