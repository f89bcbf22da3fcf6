/**
 * The whole pipeline on one machine: emulators → environment → the real ingest and worker handlers,
 * behind a local API Gateway and a local SQS event source mapping. `npm start` and the e2e tests use it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { envNames } from '../functions/platform/env.js';
import type { WorkerHandlerOptions } from '../functions/worker.js';
import { resources } from '../lib/resources.js';
import { type LocalHttpApi, startHttpApi } from './api-gateway.js';
import { createWorkerTap, type LocalConsole, startPipelineConsole } from './console/index.js';
import {
  type EmulatorPorts,
  type LocalEmulators,
  type LocalQueues,
  localAws,
  startEmulators,
} from './emulators.js';
import { LocalPipelineError } from './errors.js';
import { type MediaFake, type Round0Answer, startMediaFake } from './fakes/media.js';
import { micro1ReportFromWebhook, startFakeMicro1Api } from './fakes/micro1-api.js';
import { round0InterviewFromWebhook, startFakeRound0Api } from './fakes/round0-api.js';
import type { LocalFunctionSettings } from './lambda-context.js';
import { consoleLog, type LocalLog } from './log.js';
import { ffmpegAvailable } from './media/generate.js';
import { queueDepth } from './queue-depth.js';
import { defaultSecretsFilePath, ensureSecretsFile, type LocalSecrets } from './secrets-file.js';
import { fillMediaPlaceholder, mediaFixturesDir } from './send.js';
import { type SqsPoller, startSqsPoller } from './sqs-poller.js';

/** What the vendor API fakes know besides the samples (`npm run load` seeds its traffic's interviews). */
export interface VendorApiSeed {
  /** ROUND0 `GET /api/v1/interviews/{id}` bodies, by interview id. */
  readonly round0Interviews: Readonly<Record<string, Record<string, unknown>>>;
  /** micro1 reports, as items of `GET /interview/reports`. */
  readonly micro1Reports: readonly Record<string, unknown>[];
}

/** The HTTP API's routes, as the CDK stack declares them: a POST route per vendor, and `$default` for the rest. */
export const ingestRouteKeys = [
  'POST /webhooks/round0',
  'POST /webhooks/micro1/{token}',
  '$default',
] as const;

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
  /**
   * Extra or overriding environment for the handlers (e.g. a low `MAX_BODY_BYTES` in tests). `ATS_CONFIG`
   * defaults to the log adapter's file (`<dataDir>/ats-writes.jsonl`) when `ATS_ADAPTER` names none or the
   * log adapter; another adapter gets its own `ATS_CONFIG` or none. @default {}
   */
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
  /**
   * Settings of the archive queue that tests shorten (its own 90-minute visibility timeout would hold a
   * failed task for the whole test).
   * @default resources.archiveQueue.visibilityTimeoutSeconds and resources.archiveQueue.maxReceiveCount
   */
  readonly archiveQueue?: {
    readonly visibilityTimeoutSeconds?: number;
    readonly maxReceiveCount?: number;
  };
  /** Event source mapping settings. @default resources.worker's batchSize, maxBatchingWindowSeconds, maxConcurrency */
  readonly worker?: {
    readonly batchSize?: number;
    readonly maxBatchingWindowSeconds?: number;
    readonly maxConcurrency?: number;
  };
  /**
   * The worker's function timeout, so a test that kills an invocation (a crash point that never returns)
   * sees it fail quickly. @default resources.worker.timeoutSeconds
   */
  readonly workerTimeoutSeconds?: number;
  /**
   * The archive function's timeout, so a fault test sees a task stalled on a hanging media host time out
   * (and come back from the queue) quickly. @default resources.archive.timeoutSeconds
   */
  readonly archiveTimeoutSeconds?: number;
  /**
   * Whether to poll the archive queue with the archive handler (when the worker runs). The worker bench
   * turns it off so that its DynamoDB counts are the worker's alone. @default true
   */
  readonly startArchive?: boolean;
  /** Options of every worker handler (tests: crash points). @default {} */
  readonly workerHandler?: WorkerHandlerOptions;
  /**
   * Start local fakes of the ROUND0 and micro1 APIs (seeded from `local/fixtures`, and from `seed` when
   * given) and point the worker's enrichment at them, with the API keys of the secrets file. Off in most
   * tests, on for `npm start`.
   * @default false
   */
  readonly vendorApis?: boolean | { readonly seed?: VendorApiSeed };
  /**
   * Start the media fake (`local/fakes/media.ts`, needs ffmpeg): ROUND0 answer audio, micro1 recordings and
   * a report PDF on 127.0.0.1, which the ROUND0 API fake's `audio_url`s and the media fixtures point at and
   * `ARCHIVE_MEDIA_HOSTS` allows. The media is generated once into `dir` and reused by later starts.
   * @default false; `true` keeps the media in `<dataDir>/media` (a temporary directory without `dataDir`)
   */
  readonly media?: boolean | { readonly dir?: string };
  /**
   * Serve the local console (`local/console`) on 127.0.0.1: recent events, each interview's status and
   * effects, parked and dead-lettered events, archived media with players. The worker's deliveries are
   * tapped for it (type and time of each event). `npm start` turns it on.
   * @default false; `true` on a free port; `{ port }` on that port, or on a free one when it is taken
   */
  readonly console?: boolean | { readonly port?: number };
  /** @default consoleLog */
  readonly log?: LocalLog;
}

export interface StopOptions {
  /**
   * After the HTTP API stopped accepting, let the worker empty the events queue for up to this long
   * before stopping it: local SQS lives in memory, so what is still queued at exit is gone (on AWS it
   * would simply wait in the queue).
   * @default 0
   */
  readonly drainQueueMs?: number;
}

/** What a stop left behind. */
export interface StopSummary {
  /**
   * Messages (visible, in flight or delayed) each queue still held when the emulators closed, by queue,
   * for the queues that held any: the SQS emulator keeps them in memory only, so they are gone.
   */
  readonly lostMessages: Readonly<Partial<Record<keyof LocalQueues, number>>>;
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
  /** URLs of the events and archive queues and their DLQs. */
  readonly queueUrls: LocalEmulators['queueUrls'];
  /** ARNs of the same queues (what an SQS poller puts in its records' `eventSourceARN`). */
  readonly queueArns: LocalEmulators['queueArns'];
  readonly endpoints: LocalEmulators['endpoints'];
  /** The S3 emulator, which fault tests stop and start again on the same port (an S3 outage). */
  readonly s3Server: LocalEmulators['s3Server'];
  /** Base URLs of the vendor API fakes, when started. */
  readonly vendorApiUrls?: { readonly round0: string; readonly micro1: string };
  /** The media fake, when started: its URL, signed-URL helpers, fault switch and request log. */
  readonly media?: MediaFake;
  /** The local console's page, `http://127.0.0.1:<port>/console`, when started. */
  readonly consoleUrl?: string;
  /** Every variable written to `process.env` for the handlers. */
  readonly env: Readonly<Record<string, string>>;
  /** Stops accepting requests, drains HTTP requests and worker batches in flight, closes the emulators. */
  /** Stops everything; resolves with the messages the in-memory SQS emulator still held (lost with it). */
  stop(options?: StopOptions): Promise<StopSummary>;
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
  media: MediaFake | undefined,
  overrides: Readonly<Record<string, string>>,
): Record<string, string> => ({
  ...emulators.env,
  [envNames.queueUrl]: emulators.queueUrls.events,
  [envNames.deadLetterQueueUrl]: emulators.queueUrls.deadLetter,
  [envNames.archiveQueueUrl]: emulators.queueUrls.archive,
  [envNames.archiveDeadLetterQueueUrl]: emulators.queueUrls.archiveDeadLetter,
  [envNames.archiveMediaHosts]: JSON.stringify(archiveMediaHosts(media)),
  [envNames.archiveVariants]: resources.archive.variants,
  [envNames.bucketName]: resources.bucket.name,
  [envNames.localSecretsFile]: secretsPath,
  // Empty = unset for the handlers' config reader: a real ARN left in the shell must not win over the file.
  [envNames.webhookSecretsArn]: '',
  [envNames.integrationSecretsArn]: '',
  [envNames.vendorApiSecretsArn]: '',
  [envNames.ledgerTableName]: resources.ledgerTable.name,
  [envNames.maxBodyBytes]: String(resources.ingest.maxBodyBytes),
  [envNames.sqsMaxMessageBytes]: String(resources.eventsQueue.maxMessageBytes),
  [envNames.signatureToleranceSeconds]: String(resources.ingest.signatureToleranceSeconds),
  [envNames.ledgerRetentionSeconds]: String(resources.worker.ledgerRetentionSeconds),
  [envNames.claimLeaseSeconds]: String(resources.worker.claimLeaseSeconds),
  [envNames.unansweredSettleSeconds]: String(resources.worker.unansweredSettleSeconds),
  // No ATS credentials are needed to try the pipeline: the log adapter prints what it would do.
  [envNames.atsAdapter]: 'log',
  // The fakes listen on 127.0.0.1 over http: let outbound HTTP reach them (never set on AWS).
  [envNames.outboundAllowLocal]: 'true',
  // Lambda sets this for on-demand functions; Powertools reports cold starts only when it is set.
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  ...overrides,
});

/**
 * The deployed default hosts, plus the media fake's `127.0.0.1:<port>` for both vendors when it runs: the
 * media fixtures and the ROUND0 API fake point there, while a vendor sample's own URLs stay refused.
 */
const archiveMediaHosts = (media: MediaFake | undefined): Record<string, readonly string[]> => {
  const defaults = resources.archive.mediaHosts;
  if (media === undefined) return defaults;
  const host = new URL(media.url).host;
  return { micro1: [...defaults.micro1, host], round0: [...defaults.round0, host] };
};

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

/** Resolves once the events queue holds no message (visible or in flight), or after `timeoutMs`. */
const waitForEmptyQueue = async (emulators: LocalEmulators, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await queueDepth(emulators.sqs, emulators.queueUrls.events)) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

const queueLabels: Record<keyof LocalQueues, string> = {
  events: 'events queue',
  deadLetter: 'events DLQ',
  archive: 'archive queue',
  archiveDeadLetter: 'archive DLQ',
};

/**
 * What to tell the user about messages a stop lost with the in-memory SQS emulator, and where they can be
 * had again; `undefined` when none was.
 */
export const describeLostMessages = (lost: StopSummary['lostMessages']): string | undefined => {
  const counts = (Object.entries(lost) as Array<[keyof LocalQueues, number]>).map(
    ([queue, count]) => `${queueLabels[queue]} ${count}`,
  );
  if (counts.length === 0) return undefined;
  return [
    `lost with this stop (the SQS emulator keeps messages in memory only): ${counts.join(', ')}.`,
    'Deliveries the worker had received are in the raw event store: npm run ops -- replay --vendor <vendor>',
    '--since <ISO time> after the next npm start (--force to send their archive tasks again); events it gave',
    'up on are parked too: npm run ops -- parked failed.',
  ].join('\n');
};

/** The messages each queue holds (visible, in flight, delayed), for the queues that hold any. */
const heldMessages = async (
  emulators: LocalEmulators,
): Promise<Partial<Record<keyof LocalQueues, number>>> => {
  const held: Partial<Record<keyof LocalQueues, number>> = {};
  for (const [name, url] of Object.entries(emulators.queueUrls) as Array<[keyof LocalQueues, string]>) {
    const count = await queueDepth(emulators.sqs, url, { includeDelayed: true });
    if (count > 0) held[name] = count;
  }
  return held;
};

/**
 * Vendor samples of a vendor, parsed (the fakes are seeded from them); with the media fake running, the
 * media fixtures too, their `{{media}}` filled in.
 */
const samples = async (vendor: 'round0' | 'micro1', media?: MediaFake): Promise<unknown[]> => {
  const read = async (dir: string, fill: (text: string) => string) => {
    const files = (await readdir(dir).catch(() => [] as string[])).filter((file) => file.endsWith('.json'));
    return Promise.all(
      files.map(async (file) => JSON.parse(fill(await readFile(join(dir, file), 'utf8'))) as unknown),
    );
  };
  const asIs = (text: string) => text;
  const vendorSamples = await read(fileURLToPath(new URL(`./fixtures/${vendor}/`, import.meta.url)), asIs);
  if (media === undefined) return vendorSamples;
  return [
    ...vendorSamples,
    ...(await read(join(mediaFixturesDir, vendor), (text) => fillMediaPlaceholder(text, media.url))),
  ];
};

const responseCount = (body: unknown): number => {
  const responses = (body as { responses?: unknown } | undefined)?.responses;
  return Array.isArray(responses) ? responses.length : 0;
};

/**
 * Fakes of the vendors' APIs, seeded with the interviews and reports of the samples, so that
 * `npm run send -- round0 interview_ended` is enriched (and its audio served) as it would be on AWS.
 * With the media fake, each answer's `audio_url` is a signed URL of a real MP3 there, issued afresh on
 * every read. Without API keys in the secrets file (a file from an older version) enrichment uses the
 * webhook alone.
 */
const startVendorApis = async (
  secrets: LocalSecrets,
  media: MediaFake | undefined,
  seed: VendorApiSeed | undefined,
) => {
  const round0 = await startFakeRound0Api({
    apiKey: secrets.vendorApi.round0ApiKey ?? 'unset',
    ...(media === undefined ? {} : { issueAudioUrl: (url: string) => media.sign(url) }),
  });
  // The answers of the interviews as stored: each gets an MP3 on the media fake.
  const answersById = new Map<string, Round0Answer[]>();
  for (const sample of await samples('round0', media)) {
    const answers: Round0Answer[] = [];
    const { id, body } = round0InterviewFromWebhook(
      sample,
      media === undefined
        ? { audioBaseUrl: round0.url }
        : {
            audioUrl: (answer) => {
              answers.push(answer);
              // Stored unsigned: `issueAudioUrl` signs it on each read.
              return `${media.url}/round0/audio/${encodeURIComponent(answer.interviewId)}/${encodeURIComponent(answer.questionId)}.mp3`;
            },
          },
    );
    // Several samples describe one interview (`interview_started`, `interview_ended`): the one with the
    // most answers is the API's view, whatever order the directory lists them in.
    if (responseCount(body) >= responseCount(round0.state.interviews.get(id))) {
      round0.state.interviews.set(id, body);
      answersById.set(id, answers);
    }
  }
  await media?.addRound0Answers([...answersById.values()].flat());
  for (const [id, body] of Object.entries(seed?.round0Interviews ?? {}))
    round0.state.interviews.set(id, body);
  const micro1 = await startFakeMicro1Api({
    apiKey: secrets.vendorApi.micro1ApiKey ?? 'unset',
    reports: (await samples('micro1', media))
      .filter((sample) => (sample as { event?: unknown }).event === 'interview_report.created')
      .map((sample) => micro1ReportFromWebhook(sample))
      .concat(seed?.micro1Reports ?? []),
  });
  return {
    urls: { round0: round0.url, micro1: micro1.url },
    close: async () => {
      await Promise.all([round0.close(), micro1.close()]);
    },
  };
};

/** Whether the handlers' ATS is the log adapter: `env`'s `ATS_ADAPTER` unset, empty or `log`. */
const namesLogAdapter = (env: LocalPipelineOptions['env']): boolean =>
  (env?.[envNames.atsAdapter] || 'log') === 'log';

/** Where the media fake keeps its media: `media.dir`, else `<dataDir>/media`, else a temporary directory. */
const mediaDirOf = (options: LocalPipelineOptions): string | undefined => {
  if (typeof options.media === 'object' && options.media.dir !== undefined) return options.media.dir;
  return options.dataDir === undefined ? undefined : join(options.dataDir, 'media');
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
    archiveQueue: options.archiveQueue,
  });
  let media: MediaFake | undefined;
  let vendorApis: Awaited<ReturnType<typeof startVendorApis>> | undefined;
  try {
    if (options.media && !(await ffmpegAvailable())) {
      throw new LocalPipelineError(
        'the media fake needs ffmpeg on the PATH (Debian/Ubuntu: apt-get install -y ffmpeg)',
      );
    }
    media = options.media ? await startMediaFake({ dir: mediaDirOf(options) }) : undefined;
    vendorApis = options.vendorApis
      ? await startVendorApis(
          secretsFile.secrets,
          media,
          typeof options.vendorApis === 'object' ? options.vendorApis.seed : undefined,
        )
      : undefined;
  } catch (error) {
    await media?.close().catch(() => undefined);
    await emulators.close().catch(() => undefined);
    throw error;
  }
  const env = handlerEnvironment(emulators, secretsFile.path, media, {
    // The log adapter's lines go with the pipeline's data (a test's temporary directory), never into the
    // working directory's .data of a developer's own `npm start`. That path is the log adapter's setting
    // only: another adapter named without its ATS_CONFIG gets none (empty: unset for the worker, whatever
    // the shell holds), so the worker's configuration check says what it lacks.
    [envNames.atsConfig]: namesLogAdapter(options.env)
      ? JSON.stringify({
          path: join(options.dataDir ?? join(tmpdir(), `interview-sync-${process.pid}`), 'ats-writes.jsonl'),
        })
      : '',
    // The worker brings an event another attempt holds back sooner than the queue would, never later.
    [envNames.queueVisibilityTimeoutSeconds]: String(
      options.workerVisibilityTimeoutSeconds ?? resources.eventsQueue.visibilityTimeoutSeconds,
    ),
    // The queues' own redrive counts (tests shorten them), for each function's last receive.
    [envNames.queueMaxReceiveCount]: String(options.maxReceiveCount ?? resources.eventsQueue.maxReceiveCount),
    [envNames.archiveQueueMaxReceiveCount]: String(
      options.archiveQueue?.maxReceiveCount ?? resources.archiveQueue.maxReceiveCount,
    ),
    ...(vendorApis === undefined
      ? {}
      : {
          [envNames.round0ApiBaseUrl]: vendorApis.urls.round0,
          [envNames.micro1ApiBaseUrl]: vendorApis.urls.micro1,
        }),
    ...options.env,
  });
  const restoreEnvironment = applyEnvironment(env);
  let api: LocalHttpApi | undefined;
  let poller: SqsPoller | undefined;
  let archivePoller: SqsPoller | undefined;
  let localConsole: LocalConsole | undefined;
  const tap = options.console ? createWorkerTap() : undefined;

  let stopping: Promise<StopSummary> | undefined;
  const stop = (stopOptions: StopOptions = {}): Promise<StopSummary> => {
    // Idempotent: a second SIGTERM or a test's afterAll may call it again while it runs.
    stopping ??= (async () => {
      try {
        await api?.close();
        await localConsole?.close();
        if (poller !== undefined && (stopOptions.drainQueueMs ?? 0) > 0) {
          await waitForEmptyQueue(emulators, stopOptions.drainQueueMs ?? 0);
        }
        await poller?.stop();
        await archivePoller?.stop();
        return { lostMessages: await heldMessages(emulators).catch(() => ({})) };
      } finally {
        await emulators.close();
        await vendorApis?.close();
        await media?.close();
        restoreEnvironment();
      }
    })();
    return stopping;
  };

  try {
    // Imported only now: both handlers read process.env at module scope.
    const ingest = await import('../functions/ingest.js');
    const worker = await import('../functions/worker.js');
    const archive = await import('../functions/archive.js');
    api = await startHttpApi({
      routes: ingestRouteKeys,
      createHandler: ingest.createIngestHandler,
      function: functionSettings('interview-sync-ingest', resources.ingest),
      port: options.port,
      log,
    });
    if (options.startWorker ?? true) {
      poller = startSqsPoller({
        sqs: emulators.sqs,
        queueUrl: emulators.queueUrls.events,
        queueArn: emulators.queueArns.events,
        createHandler: () => {
          const handler = worker.createWorkerHandler(options.workerHandler);
          return tap === undefined ? handler : tap.wrap(handler);
        },
        function: {
          ...functionSettings('interview-sync-worker', resources.worker),
          ...(options.workerTimeoutSeconds === undefined
            ? {}
            : { timeoutSeconds: options.workerTimeoutSeconds }),
        },
        ...options.worker,
        log,
      });
      // The archive's own event source: one asset per batch, its own concurrency (lib/resources.ts).
      if (options.startArchive ?? true)
        archivePoller = startSqsPoller({
          sqs: emulators.sqs,
          queueUrl: emulators.queueUrls.archive,
          queueArn: emulators.queueArns.archive,
          createHandler: () => archive.createArchiveHandler(),
          function: {
            ...functionSettings('interview-sync-archive', resources.archive),
            ...(options.archiveTimeoutSeconds === undefined
              ? {}
              : { timeoutSeconds: options.archiveTimeoutSeconds }),
          },
          batchSize: resources.archive.batchSize,
          maxConcurrency: resources.archive.maxConcurrency,
          maxBatchingWindowSeconds: 0,
          log,
        });
    }
    if (options.console) {
      localConsole = await startPipelineConsole({
        endpoints: emulators.endpoints,
        queueUrls: emulators.queueUrls,
        sqs: emulators.sqs,
        ...(tap === undefined ? {} : { tap }),
        ...(typeof options.console === 'object' && options.console.port !== undefined
          ? { port: options.console.port }
          : {}),
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
    queueArns: emulators.queueArns,
    endpoints: emulators.endpoints,
    s3Server: emulators.s3Server,
    ...(vendorApis === undefined ? {} : { vendorApiUrls: vendorApis.urls }),
    ...(media === undefined ? {} : { media }),
    ...(localConsole === undefined ? {} : { consoleUrl: localConsole.url }),
    env,
    stop,
  };
};
