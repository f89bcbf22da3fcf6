/**
 * In-process AWS emulators for the one-machine runtime: DynamoDB (dynalite), S3 (s3rver) and SQS
 * (local-aws-sqs), each on 127.0.0.1, provisioned with the queues, tables and bucket `lib/resources.ts`
 * describes. Nothing global is touched: the caller gets an env map to hand to the functions.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { createSqsServer } from 'local-aws-sqs';
import S3rver from 's3rver';
import { resources } from '../lib/resources.js';
import { createDynamoTables } from './dynamo-tables.js';
import { LocalPipelineError } from './errors.js';
import { listenOnLoopback, loopbackHost } from './listen.js';

const host = loopbackHost;

/**
 * The fake account the emulators live in. s3rver only accepts the `S3RVER` key pair (it checks
 * signatures); dynalite and local-aws-sqs accept any credentials, so one pair serves all three.
 */
export const localAws = {
  region: 'us-east-1',
  /** local-aws-sqs's default account id, which it puts in queue URLs and ARNs. */
  accountId: '123456789012',
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
} as const;

/** Ports of the three emulators; 0 picks a free port. */
export interface EmulatorPorts {
  /** @default 0 */
  readonly sqs?: number;
  /** @default 0 */
  readonly dynamodb?: number;
  /** @default 0 */
  readonly s3?: number;
}

export interface LocalEmulatorOptions {
  /**
   * Directory that keeps DynamoDB (`<dataDir>/dynamodb`) and S3 (`<dataDir>/s3`) content across restarts.
   * SQS is always in memory (local-aws-sqs cannot persist).
   * @default undefined — everything in memory (S3 in a temporary directory removed by `close()`)
   */
  readonly dataDir?: string;
  /** @default all 0 */
  readonly ports?: EmulatorPorts;
  /**
   * Events-queue settings that tests shorten; everything else comes from `lib/resources.ts`.
   * @default resources.eventsQueue.visibilityTimeoutSeconds and resources.eventsQueue.maxReceiveCount
   */
  readonly eventsQueue?: {
    readonly visibilityTimeoutSeconds?: number;
    readonly maxReceiveCount?: number;
  };
  /**
   * Archive-queue settings that tests shorten (its 90-minute visibility timeout would hold a failed task for
   * the whole test run); everything else comes from `lib/resources.ts`.
   * @default resources.archiveQueue.visibilityTimeoutSeconds and resources.archiveQueue.maxReceiveCount
   */
  readonly archiveQueue?: {
    readonly visibilityTimeoutSeconds?: number;
    readonly maxReceiveCount?: number;
  };
}

/** The queues of `lib/resources.ts`, by role (URLs or ARNs). */
export interface LocalQueues {
  /** Interview events, from the ingest (and the archive's internal events) to the worker. */
  readonly events: string;
  /** Events the worker gave up on. */
  readonly deadLetter: string;
  /** One task per asset to archive, from the worker to the archive. */
  readonly archive: string;
  /** Archive tasks the archive gave up on. */
  readonly archiveDeadLetter: string;
}

export interface LocalEmulators {
  readonly endpoints: { readonly sqs: string; readonly dynamodb: string; readonly s3: string };
  readonly queueUrls: LocalQueues;
  readonly queueArns: LocalQueues;
  /**
   * What a function needs in its environment to reach the emulators. The SDK v3 reads
   * `AWS_ENDPOINT_URL_<SERVICE>` itself; `S3_FORCE_PATH_STYLE` is read by our S3 client factory because
   * s3rver cannot serve virtual-hosted bucket names on 127.0.0.1.
   */
  readonly env: Readonly<Record<string, string>>;
  /** An SQS client bound to the emulator (destroyed by `close()`). */
  readonly sqs: SQSClient;
  /** The S3 emulator, which fault tests stop for a while (an S3 outage) and start again. */
  readonly s3Server: RestartableServer;
  /** The SQS emulator, likewise (an SQS outage): its queues and messages are kept in memory meanwhile. */
  readonly sqsServer: RestartableServer;
  /** Stops the three servers; in-memory data is gone afterwards. */
  close(): Promise<void>;
}

/** A server that can be stopped and started again on the same port, keeping its data (an outage). */
export interface RestartableServer {
  /** Stops answering: new connections are refused, open ones are closed. */
  stop(): Promise<void>;
  /** Listens again on the same port, with the data it had. */
  start(): Promise<void>;
}

const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Keep-alive sockets of the SDK clients would otherwise hold close() open.
    server.closeAllConnections();
  });

/** Starts dynalite, s3rver and local-aws-sqs and creates the resources of `lib/resources.ts`. */
export const startEmulators = async (options: LocalEmulatorOptions = {}): Promise<LocalEmulators> => {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    // Last started, first closed (the S3 server before its temporary directory); keep going when one
    // fails so no server is left listening, then report the first failure.
    let failure: unknown;
    for (const closer of closers.splice(0).reverse()) {
      await closer().catch((error: unknown) => {
        failure ??= error;
      });
    }
    if (failure !== undefined) throw failure;
  };
  try {
    if (options.dataDir !== undefined) await lockDataDir(options.dataDir, closers);
    const dynamodb = await startDynamoDb(options, closers);
    const s3 = await startS3(options, closers);
    const { sqs, queueUrls, queueArns } = await startSqs(options, closers);
    const endpoints = { sqs: sqs.endpoint, dynamodb, s3: s3.endpoint };
    const env: Record<string, string> = {
      AWS_REGION: localAws.region,
      AWS_ACCESS_KEY_ID: localAws.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localAws.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_S3: endpoints.s3,
      S3_FORCE_PATH_STYLE: 'true',
    };
    return {
      endpoints,
      queueUrls,
      queueArns,
      env,
      sqs: sqs.client,
      s3Server: s3.server,
      sqsServer: sqs.server,
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
};

/** Whether a process `pid` runs (one of another user's counts). */
export const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Claims the data directory for this process. LevelDB allows one process per directory, and dynalite
 * reports a second one only by crashing later ("Database is closed"), so say it up front instead.
 */
const lockDataDir = async (dataDir: string, closers: (() => Promise<void>)[]): Promise<void> => {
  // The owner's only: it holds candidates' deliveries, transcripts and recordings (s3rver writes 0644 files).
  // A directory someone else owns, or a shared one (sticky, like /tmp), is left as it is.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const { mode, uid } = await stat(dataDir);
  if (uid === process.getuid?.() && (mode & 0o1000) === 0 && (mode & 0o077) !== 0)
    await chmod(dataDir, 0o700);
  const lockFile = join(dataDir, 'emulators.pid');
  try {
    await writeFile(lockFile, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = Number(await readFile(lockFile, 'utf8').catch(() => ''));
    if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) {
      throw new LocalPipelineError(`${dataDir} is in use by process ${holder} (another npm start?)`);
    }
    await writeFile(lockFile, String(process.pid)); // left behind by a process that died
  }
  closers.push(() => rm(lockFile, { force: true }));
};

const startDynamoDb = async (options: LocalEmulatorOptions, closers: (() => Promise<void>)[]) => {
  const path = options.dataDir === undefined ? undefined : join(options.dataDir, 'dynamodb');
  if (path) await mkdir(path, { recursive: true });
  // Tables become ACTIVE at once: nothing local needs to wait out a CREATING phase.
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await listenOnLoopback(server, options.ports?.dynamodb ?? 0);
  closers.push(() => closeServer(server));
  const endpoint = `http://${host}:${port}`;
  const client = new DynamoDBClient({ region: localAws.region, endpoint, credentials: localAws.credentials });
  try {
    await createDynamoTables(client);
  } finally {
    client.destroy();
  }
  return endpoint;
};

const startS3 = async (options: LocalEmulatorOptions, closers: (() => Promise<void>)[]) => {
  let directory: string;
  if (options.dataDir === undefined) {
    directory = await mkdtemp(join(tmpdir(), 'interview-sync-s3-'));
    closers.push(() => rm(directory, { recursive: true, force: true }));
  } else {
    directory = join(options.dataDir, 's3');
    await mkdir(directory, { recursive: true });
  }
  const listen = async (port: number) => {
    const server = new S3rver({
      address: host,
      port,
      silent: true,
      directory,
      // The bucket exists on every start, like the deployed one (s3rver skips it when already there).
      configureBuckets: [{ name: resources.bucket.name }],
    });
    const address = await server.run();
    return { server, port: address.port };
  };
  let running: S3rver | undefined;
  const stop = async () => {
    const server = running;
    running = undefined;
    server?.httpServer?.closeAllConnections();
    await server?.close();
  };
  const first = await listen(options.ports?.s3 ?? 0);
  running = first.server;
  closers.push(stop);
  const server: RestartableServer = {
    stop,
    // Same port and directory: clients keep their endpoint, objects written before the outage are there.
    start: async () => {
      if (running === undefined) running = (await listen(first.port)).server;
    },
  };
  // No lifecycle rules locally (s3rver has none): claim-check objects are not expired.
  return { endpoint: `http://${host}:${first.port}`, server };
};

const startSqs = async (options: LocalEmulatorOptions, closers: (() => Promise<void>)[]) => {
  const server = await createSqsServer({
    port: options.ports?.sqs ?? 0,
    hostname: host,
    region: localAws.region,
    accountId: localAws.accountId,
  });
  let listening = true;
  closers.push(async () => {
    if (listening) await closeServer(server);
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://${host}:${port}`;
  // The same server listens again on its port: the queues live in its handler, not in the socket.
  const restartable: RestartableServer = {
    stop: async () => {
      if (!listening) return;
      listening = false;
      await closeServer(server);
    },
    start: async () => {
      if (listening) return;
      await new Promise<void>((resolve) => server.listen(port, host, resolve));
      listening = true;
    },
  };
  const client = new SQSClient({ region: localAws.region, endpoint, credentials: localAws.credentials });
  closers.push(async () => client.destroy());

  const { eventsQueue, deadLetterQueue, archiveQueue, archiveDeadLetterQueue } = resources;
  const deadLetter = await createQueue(client, deadLetterQueue.name, {
    MessageRetentionPeriod: String(deadLetterQueue.retentionSeconds),
    MaximumMessageSize: String(deadLetterQueue.maxMessageBytes),
  });
  const events = await createQueue(client, eventsQueue.name, {
    VisibilityTimeout: String(
      options.eventsQueue?.visibilityTimeoutSeconds ?? eventsQueue.visibilityTimeoutSeconds,
    ),
    MessageRetentionPeriod: String(eventsQueue.retentionSeconds),
    MaximumMessageSize: String(eventsQueue.maxMessageBytes),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: deadLetter.arn,
      maxReceiveCount: options.eventsQueue?.maxReceiveCount ?? eventsQueue.maxReceiveCount,
    }),
  });
  const archiveDeadLetter = await createQueue(client, archiveDeadLetterQueue.name, {
    MessageRetentionPeriod: String(archiveDeadLetterQueue.retentionSeconds),
    MaximumMessageSize: String(archiveDeadLetterQueue.maxMessageBytes),
  });
  const archive = await createQueue(client, archiveQueue.name, {
    VisibilityTimeout: String(
      options.archiveQueue?.visibilityTimeoutSeconds ?? archiveQueue.visibilityTimeoutSeconds,
    ),
    MessageRetentionPeriod: String(archiveQueue.retentionSeconds),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: archiveDeadLetter.arn,
      maxReceiveCount: options.archiveQueue?.maxReceiveCount ?? archiveQueue.maxReceiveCount,
    }),
  });
  const queueUrls: LocalQueues = {
    events: events.url,
    deadLetter: deadLetter.url,
    archive: archive.url,
    archiveDeadLetter: archiveDeadLetter.url,
  };
  const queueArns: LocalQueues = {
    events: events.arn,
    deadLetter: deadLetter.arn,
    archive: archive.arn,
    archiveDeadLetter: archiveDeadLetter.arn,
  };
  return { sqs: { endpoint, client, server: restartable }, queueUrls, queueArns };
};

const createQueue = async (client: SQSClient, name: string, attributes: Record<string, string>) => {
  const { QueueUrl: url } = await client.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!url || !arn) throw new LocalPipelineError(`the SQS emulator did not return a URL and ARN for ${name}`);
  return { url, arn };
};
