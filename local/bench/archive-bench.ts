/**
 * Archive benchmarks (run by `npm run bench` in its own process):
 * - throughput of one large streamed file through the real archive path (`archiveMediaFile`: manifest
 *   look-up → media source fetch under the SSRF guard → S3 store streaming into lib-storage multipart with
 *   SHA-256 on the way → self-copy for the checksum metadata → manifest record), as a ratio to a raw
 *   lib-storage `Upload` of the same HTTP body (node:http response piped straight in, no hashing, no
 *   manifest) against the same s3rver with the same part and queue size. The two sides alternate within
 *   each round (the order flips every round), so both meet the same machine noise; each round's ratio is
 *   kept and the median and minimum reported;
 * - peak RSS of an archive process for a small file (64 MiB), half the large one and the large one, each
 *   measured in a fresh child process (`rss-child`, below): the kernel's high-water mark (`VmHWM` of
 *   `/proc/self/status`) read at the end, with a 20 ms `process.memoryUsage().rss` sampler beside it. Three
 *   set-ups: everything in the child (HTTP media server, s3rver, dynalite and the archive); the archive alone
 *   in the child with the servers in this process (what a Lambda would hold); and, for reference, the raw
 *   `Upload` alone in the child.
 *
 * The media is served by a local node:http server from one pseudo-random 1 MiB block repeated (generated
 * on the fly: nothing of the file's size exists on disk or in memory). s3rver keeps objects in a temporary
 * directory; every object is deleted after its run.
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { archiveMediaFile, type MediaFileAsset } from '../../functions/archive/file-archiver.js';
import { ArchiveManifest } from '../../functions/archive/manifest.js';
import { createMediaSource, mediaPolicyFor } from '../../functions/archive/media-source.js';
import { createS3ArchiveStore } from '../../functions/archive/s3-store.js';
import type { MediaSource } from '../../functions/archive/types.js';
import { resources } from '../../lib/resources.js';
import { createDynamoTables } from '../dynamo-tables.js';
import { listenOnLoopback, loopbackHost } from '../listen.js';
import { median, round } from './stats.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const thisFile = fileURLToPath(import.meta.url);
const MiB = 1024 * 1024;
const bucket = 'archive-bench';
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const region = 'us-east-1';

export interface ArchiveBenchOptions {
  /** Size of the file of the throughput rounds and of the large RSS measurement, in MiB. */
  readonly sizeMiB: number;
  /** Rounds of the throughput comparison (each round runs both sides once). */
  readonly rounds: number;
  /**
   * Size of the small RSS measurement, in MiB; RSS is also measured at half of `sizeMiB`, to show where it
   * levels off. @default min(64, sizeMiB)
   */
  readonly smallSizeMiB?: number;
  /** Fresh child processes per size and set-up for the RSS figures (the highest is kept). @default 2 */
  readonly rssRuns?: number;
  /** Part size of both sides. @default 8 MiB (the store's default) */
  readonly partSizeBytes?: number;
  /** Parts in flight on both sides. @default 4 (the store's default) */
  readonly queueSize?: number;
}

/** One throughput round: both sides once, in `order`. */
export interface ArchiveRound {
  readonly round: number;
  readonly order: 'archive-first' | 'raw-first';
  readonly archiveMiBps: number;
  readonly rawMiBps: number;
  /** archive MiB/s ÷ raw MiB/s of this round. */
  readonly ratio: number;
  readonly archiveSeconds: number;
  readonly rawSeconds: number;
  /** Seconds the archive side spent in its serial tail: CompleteMultipartUpload and the self-copy. */
  readonly archiveCompleteSeconds: number;
  readonly archiveCopySeconds: number;
  /** Seconds the raw side spent in CompleteMultipartUpload (s3rver concatenates the parts on disk). */
  readonly rawCompleteSeconds: number;
}

export type RssSetup = 'all-in-child' | 'archive-only' | 'raw-only';
const rssSetups: readonly RssSetup[] = ['all-in-child', 'archive-only', 'raw-only'];

/** One peak-RSS measurement, in a fresh child process. */
export interface RssMeasurement {
  /**
   * - `all-in-child`: media server, s3rver, dynalite and the archive path, all in the child;
   * - `archive-only`: the archive path alone in the child (servers in the bench process), as a Lambda holds it;
   * - `raw-only`: the raw lib-storage `Upload` alone in the child (the reference: what lib-storage itself holds).
   */
  readonly setup: RssSetup;
  readonly sizeMiB: number;
  /** `VmHWM` of `/proc/self/status` at the end (the kernel's peak resident set), MiB. */
  readonly vmHwmMiB: number;
  /** Highest `process.memoryUsage().rss` seen by the 20 ms sampler during the archive, MiB. */
  readonly sampledPeakMiB: number;
  /** RSS once everything was set up, just before the archive started, MiB. */
  readonly baselineMiB: number;
  /** Throughput of that run (one run, cold process: indicative only). */
  readonly miBps: number;
}

export interface ArchiveBenchResult {
  readonly sizeMiB: number;
  readonly smallSizeMiB: number;
  /** Sizes of the RSS measurements, ascending: small, half of `sizeMiB`, `sizeMiB`. */
  readonly rssSizesMiB: readonly number[];
  readonly partSizeMiB: number;
  readonly queueSize: number;
  /** 1-minute load average when the bench started (the machine is shared). */
  readonly loadAverageAtStart: number;
  readonly rounds: readonly ArchiveRound[];
  readonly ratio: { readonly median: number; readonly min: number; readonly max: number };
  readonly archiveMiBps: { readonly median: number };
  readonly rawMiBps: { readonly median: number };
  /** Read-only ceilings on the same server, one run each: where the archive side's time goes. */
  readonly ceilings: {
    /** node:http response drained, no S3 (the raw side's source). */
    readonly httpDrainMiBps: number;
    /** The media source's body drained, no S3. */
    readonly mediaSourceDrainMiBps: number;
    /** The media source's body drained through SHA-256, no S3. */
    readonly mediaSourceSha256MiBps: number;
  };
  readonly rss: {
    readonly method: string;
    readonly runs: readonly RssMeasurement[];
    /**
     * Per set-up: per size the highest VmHWM and growth over the baseline; `ratio` is largest ÷ smallest size,
     * the median of the runs' own ratios (each run's children measured one after the other), `ratioMax` the
     * highest of them (the target is a ceiling).
     */
    readonly summary: ReadonlyArray<{
      readonly setup: RssSetup;
      readonly bySize: ReadonlyArray<{
        readonly sizeMiB: number;
        readonly peakMiB: number;
        readonly growthMiB: number;
        /** Throughput of each run (cold child processes; servers elsewhere except for `all-in-child`). */
        readonly miBps: readonly number[];
      }>;
      readonly ratio: number;
      readonly ratioMax: number;
    }>;
  };
  readonly seconds: number;
}

// ---------------------------------------------------------------------------------------------------------
// The media: one pseudo-random MiB, repeated, served over node:http.

/** A deterministic pseudo-random 1 MiB block (xorshift32), the same in every process. */
const makeBlock = (): Buffer => {
  const words = new Uint32Array(MiB / 4);
  let x = 0x9e3779b9;
  for (let i = 0; i < words.length; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  const bytes = Buffer.from(words.buffer);
  // An ID3v2 header first: the archive checks that what it stores as `.mp3` starts as audio does.
  bytes.set([0x49, 0x44, 0x33, 0x04, 0, 0, 0, 0, 0, 0]);
  return bytes;
};
const block = makeBlock();

/** SHA-256 (hex) of the first `bytes` bytes of the served stream. */
const expectedSha256 = (bytes: number): string => {
  const hash = createHash('sha256');
  for (let sent = 0; sent < bytes; sent += block.length) {
    hash.update(block.subarray(0, Math.min(block.length, bytes - sent)));
  }
  return hash.digest('hex');
};

/** Serves `GET /media/<bytes>.mp3`: that many bytes of the repeated block, with Content-Length. */
const startMediaServer = async (): Promise<{ base: string; server: Server }> => {
  const server = createServer((req, res) => {
    const match = /^\/media\/(\d+)\.mp3$/.exec(req.url ?? '');
    if (match === null) {
      res.writeHead(404).end();
      return;
    }
    const size = Number(match[1]);
    res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': String(size) });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        if (res.destroyed) return;
        const length = Math.min(block.length, size - sent);
        sent += length;
        if (!res.write(length === block.length ? block : block.subarray(0, length))) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
  const port = await listenOnLoopback(server, 0);
  return { base: `http://${loopbackHost}:${port}`, server };
};

// ---------------------------------------------------------------------------------------------------------
// Emulators: s3rver (objects in a temporary directory) and dynalite (in memory) for the manifest.

interface Backend {
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  close(): Promise<void>;
}

const closeServer = (server: Server): Promise<void> =>
  new Promise((resolveClose, reject) => {
    server.close((error) => (error ? reject(error) : resolveClose()));
    server.closeAllConnections();
  });

const startBackend = async (): Promise<Backend> => {
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynamoPort = await listenOnLoopback(dynamo, 0);
  const dynamoEndpoint = `http://${loopbackHost}:${dynamoPort}`;
  const setupClient = new DynamoDBClient({ region, endpoint: dynamoEndpoint, credentials });
  try {
    await createDynamoTables(setupClient);
  } finally {
    setupClient.destroy();
  }
  const directory = mkdtempSync(join(tmpdir(), 'interview-sync-archive-bench-s3-'));
  const s3rver = new S3rver({
    address: loopbackHost,
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await s3rver.run();
  return {
    s3Endpoint: `http://${loopbackHost}:${port}`,
    dynamoEndpoint,
    async close() {
      s3rver.httpServer?.closeAllConnections();
      await s3rver.close();
      await closeServer(dynamo);
      rmSync(directory, { recursive: true, force: true });
    },
  };
};

/** Seconds spent per S3 command (only the serial ones are read), collected per run. */
type CommandTimes = Map<string, number>;

interface Clients {
  readonly s3: S3Client;
  readonly manifest: ArchiveManifest;
  /** Replaced at the start of each run; the timing middleware adds to it. */
  times: CommandTimes;
  destroy(): void;
}

/** The clients as the archive Lambda builds them (`platform/clients.ts`), pointed at the emulators. */
const createClients = (backend: Pick<Backend, 's3Endpoint' | 'dynamoEndpoint'>): Clients => {
  const s3 = new S3Client({ region, endpoint: backend.s3Endpoint, credentials, forcePathStyle: true });
  const dynamo = new DynamoDBClient({ region, endpoint: backend.dynamoEndpoint, credentials });
  const clients: Clients = {
    s3,
    manifest: new ArchiveManifest({ client: dynamo, tableName: resources.ledgerTable.name }),
    times: new Map(),
    destroy() {
      s3.destroy();
      dynamo.destroy();
    },
  };
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const started = performance.now();
      try {
        return await next(args);
      } finally {
        const name = context.commandName ?? '';
        clients.times.set(name, (clients.times.get(name) ?? 0) + (performance.now() - started) / 1000);
      }
    },
    { step: 'initialize', name: 'archiveBenchTiming' },
  );
  return clients;
};

// ---------------------------------------------------------------------------------------------------------
// The two sides.

interface SideOptions {
  readonly clients: Clients;
  readonly mediaBase: string;
  readonly bytes: number;
  readonly partSizeBytes: number;
  readonly queueSize: number;
}

interface SideRun {
  readonly seconds: number;
  readonly key: string;
  readonly size: number;
  readonly sha256?: string;
  readonly times: CommandTimes;
}

const mediaUrlOf = (base: string, bytes: number): string => `${base}/media/${bytes}.mp3`;

/** The media source of the archive Lambda in local mode, allowed to reach exactly the media server. */
const mediaSourceFor = (mediaBase: string): MediaSource => {
  const host = new URL(mediaBase).host;
  return createMediaSource({
    policy: mediaPolicyFor(
      'round0',
      { micro1: [], round0: [host] },
      { allowHttp: true, allowPrivateAddresses: true },
    ),
  });
};

/** The real archive path, as `functions/archive.ts` runs a `file` task (source and store per task). */
const runArchiveSide = async (options: SideOptions): Promise<SideRun> => {
  const { clients, mediaBase, bytes } = options;
  const interviewKey = `bench-${randomUUID()}`;
  const asset: MediaFileAsset = {
    kind: 'file',
    name: 'question_bench',
    key: `interviews/${interviewKey}/question_bench.mp3`,
    sourceUrl: mediaUrlOf(mediaBase, bytes),
    contentType: 'audio/mpeg',
  };
  clients.times = new Map();
  const started = performance.now();
  const store = createS3ArchiveStore({
    s3: clients.s3,
    bucket,
    manifest: clients.manifest,
    vendor: 'round0',
    interviewKey,
    partSizeBytes: options.partSizeBytes,
    queueSize: options.queueSize,
  });
  const object = await archiveMediaFile({ asset, source: mediaSourceFor(mediaBase), store });
  const seconds = (performance.now() - started) / 1000;
  return { seconds, key: object.key, size: object.size, sha256: object.sha256, times: clients.times };
};

const httpGet = (url: string): Promise<IncomingMessage> =>
  new Promise((resolveGet, reject) => {
    get(url, (response) => {
      if (response.statusCode !== 200) {
        response.destroy();
        reject(new Error(`GET ${url}: HTTP ${response.statusCode}`));
      } else resolveGet(response);
    }).once('error', reject);
  });

/** The floor: the HTTP response piped straight into lib-storage's `Upload`, nothing else. */
const runRawSide = async (options: SideOptions): Promise<SideRun> => {
  const { clients, mediaBase, bytes } = options;
  const key = `raw/${randomUUID()}.mp3`;
  clients.times = new Map();
  const started = performance.now();
  const body = await httpGet(mediaUrlOf(mediaBase, bytes));
  await new Upload({
    client: clients.s3,
    params: { Bucket: bucket, Key: key, Body: body },
    partSize: options.partSizeBytes,
    queueSize: options.queueSize,
  }).done();
  const seconds = (performance.now() - started) / 1000;
  const times = clients.times;
  const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return { seconds, key, size: head.ContentLength ?? -1, times };
};

const removeObject = async (clients: Clients, key: string): Promise<void> => {
  await clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
};

/** Fails unless the bucket is empty again (s3rver would otherwise fill the disk over the rounds). */
const assertBucketEmpty = async (clients: Clients): Promise<void> => {
  const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  if ((listed.KeyCount ?? 0) > 0)
    throw new Error(`bucket not empty after cleanup: ${listed.KeyCount} objects`);
};

const mibps = (bytes: number, seconds: number): number => bytes / MiB / seconds;

const drain = async (body: NodeJS.ReadableStream, hash?: boolean): Promise<void> => {
  const digest = hash ? createHash('sha256') : undefined;
  await pipeline(
    body,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        digest?.update(chunk);
        callback();
      },
    }),
  );
};

// ---------------------------------------------------------------------------------------------------------
// Peak RSS: one fresh child process per measurement.

interface RssChildConfig {
  /** What the child runs: the archive path, or the raw `Upload` (the reference). @default 'archive' */
  readonly side?: 'archive' | 'raw';
  readonly sizeMiB: number;
  readonly partSizeBytes: number;
  readonly queueSize: number;
  /** Servers run by the parent; absent: the child starts its own. */
  readonly external?: {
    readonly mediaBase: string;
    readonly s3Endpoint: string;
    readonly dynamoEndpoint: string;
  };
}

interface RssChildResult {
  readonly vmHwmKiB: number;
  readonly sampledPeakBytes: number;
  readonly baselineBytes: number;
  readonly seconds: number;
  readonly size: number;
  /** Absent for the raw side (nothing hashes it). */
  readonly sha256?: string;
  readonly key: string;
}

const statusKiB = (field: string): number => {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (match === null) throw new Error(`/proc/self/status has no ${field}`);
  return Number(match[1]);
};

/** The child's side: set up, archive once while sampling RSS, print the figures as one JSON line. */
const runRssChild = async (config: RssChildConfig): Promise<void> => {
  const media = config.external === undefined ? await startMediaServer() : undefined;
  const backend = config.external === undefined ? await startBackend() : undefined;
  const mediaBase = config.external?.mediaBase ?? media?.base ?? '';
  const clients = createClients(config.external ?? (backend as Backend));
  const baselineBytes = process.memoryUsage().rss;
  let sampledPeakBytes = baselineBytes;
  const sampler = setInterval(() => {
    sampledPeakBytes = Math.max(sampledPeakBytes, process.memoryUsage().rss);
  }, 20);
  let run: SideRun;
  try {
    run = await (config.side === 'raw' ? runRawSide : runArchiveSide)({
      clients,
      mediaBase,
      bytes: config.sizeMiB * MiB,
      partSizeBytes: config.partSizeBytes,
      queueSize: config.queueSize,
    });
  } finally {
    clearInterval(sampler);
  }
  sampledPeakBytes = Math.max(sampledPeakBytes, process.memoryUsage().rss);
  const vmHwmKiB = statusKiB('VmHWM');
  const result: RssChildResult = {
    vmHwmKiB,
    sampledPeakBytes,
    baselineBytes,
    seconds: run.seconds,
    size: run.size,
    sha256: run.sha256,
    key: run.key,
  };
  // The parent deletes the object when it runs the servers; here they go with the child.
  clients.destroy();
  if (media !== undefined) await closeServer(media.server);
  await backend?.close();
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
};

const execFileAsync = promisify(execFile);

/** Runs one RSS measurement in a fresh process (asynchronously: the parent may be serving it). */
const measureRss = async (config: RssChildConfig): Promise<RssChildResult> => {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--import', 'tsx', thisFile, 'rss-child', JSON.stringify(config)],
    {
      cwd: root,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      maxBuffer: 16 * MiB,
    },
  );
  const last = stdout.trim().split('\n').at(-1) ?? '{}';
  return JSON.parse(last) as RssChildResult;
};

// ---------------------------------------------------------------------------------------------------------

const log = (message: string): void => {
  process.stderr.write(`archive bench: ${message}\n`);
};

/** Runs the throughput rounds, the ceilings and the RSS measurements (see the module comment). */
export const runArchiveBench = async (options: ArchiveBenchOptions): Promise<ArchiveBenchResult> => {
  const benchStarted = performance.now();
  const sizeMiB = options.sizeMiB;
  // Above one part (8 MiB by default), or the store sends one PutObject and there is no multipart to compare.
  if (!Number.isInteger(sizeMiB) || sizeMiB < 16)
    throw new RangeError(`archive bench size ${sizeMiB} MiB: 16 or more`);
  const smallSizeMiB = options.smallSizeMiB ?? Math.min(64, sizeMiB);
  const rssSizesMiB = [...new Set([smallSizeMiB, Math.round(sizeMiB / 2), sizeMiB])]
    .filter((size) => size >= smallSizeMiB)
    .sort((x, y) => x - y);
  const rounds = Math.max(1, options.rounds);
  // Five, as every other figure's rounds: the ratio is read against a 1.2 ceiling, by its median and its worst.
  const rssRuns = Math.max(1, options.rssRuns ?? 5);
  const partSizeBytes = options.partSizeBytes ?? 8 * MiB;
  const queueSize = options.queueSize ?? 4;
  const bytes = sizeMiB * MiB;
  const loadAverageAtStart = round(loadavg()[0] ?? 0, 2);

  // s3rver writes each object twice (parts, then the assembled object) before its parts are removed.
  const free = statfsSync(tmpdir());
  const freeBytes = free.bavail * free.bsize;
  if (freeBytes < 4 * bytes) {
    throw new Error(
      `${tmpdir()} has ${Math.round(freeBytes / MiB)} MiB free; the bench needs ${4 * sizeMiB}`,
    );
  }

  const media = await startMediaServer();
  const backend = await startBackend();
  const clients = createClients(backend);
  const side = { clients, mediaBase: media.base, partSizeBytes, queueSize };
  try {
    log(`computing the expected SHA-256 of ${sizeMiB} MiB`);
    const expected = new Map<number, string>();
    for (const size of new Set([bytes, ...rssSizesMiB.map((mib) => mib * MiB)])) {
      expected.set(size, expectedSha256(size));
    }
    const check = (run: SideRun, size: number, what: string): void => {
      if (run.size !== size) throw new Error(`${what}: stored ${run.size} bytes, expected ${size}`);
      if (run.sha256 !== undefined && run.sha256 !== expected.get(size)) {
        throw new Error(`${what}: SHA-256 ${run.sha256} is not the served bytes'`);
      }
    };

    // Warm-up (not reported): JIT, sockets, s3rver's first writes, on both sides.
    const warmBytes = Math.min(64, sizeMiB) * MiB;
    for (const run of [runArchiveSide, runRawSide]) {
      const warm = await run({ ...side, bytes: warmBytes });
      await removeObject(clients, warm.key);
    }
    await assertBucketEmpty(clients);

    const results: ArchiveRound[] = [];
    for (let index = 0; index < rounds; index += 1) {
      const order = index % 2 === 0 ? 'archive-first' : 'raw-first';
      const sides = order === 'archive-first' ? (['archive', 'raw'] as const) : (['raw', 'archive'] as const);
      const runs: Partial<Record<'archive' | 'raw', SideRun>> = {};
      for (const which of sides) {
        const run = await (which === 'archive' ? runArchiveSide : runRawSide)({ ...side, bytes });
        check(run, bytes, `${which} side, round ${index + 1}`);
        await removeObject(clients, run.key);
        await assertBucketEmpty(clients);
        runs[which] = run;
        log(`round ${index + 1} ${which}: ${mibps(bytes, run.seconds).toFixed(1)} MiB/s`);
      }
      const archive = runs.archive as SideRun;
      const raw = runs.raw as SideRun;
      results.push({
        round: index + 1,
        order,
        archiveMiBps: round(mibps(bytes, archive.seconds)),
        rawMiBps: round(mibps(bytes, raw.seconds)),
        ratio: round(raw.seconds / archive.seconds, 3),
        archiveSeconds: round(archive.seconds, 2),
        rawSeconds: round(raw.seconds, 2),
        archiveCompleteSeconds: round(archive.times.get('CompleteMultipartUploadCommand') ?? 0, 2),
        archiveCopySeconds: round(archive.times.get('CopyObjectCommand') ?? 0, 2),
        rawCompleteSeconds: round(raw.times.get('CompleteMultipartUploadCommand') ?? 0, 2),
      });
    }
    const ratios = results.map((r) => r.ratio);

    log('ceilings (reads only, no S3)');
    const timeDrain = async (open: () => Promise<NodeJS.ReadableStream>, hash?: boolean) => {
      const started = performance.now();
      await drain(await open(), hash);
      return round(mibps(bytes, (performance.now() - started) / 1000));
    };
    const url = mediaUrlOf(media.base, bytes);
    const ceilings = {
      httpDrainMiBps: await timeDrain(() => httpGet(url)),
      mediaSourceDrainMiBps: await timeDrain(async () => (await mediaSourceFor(media.base).fetch(url)).body),
      mediaSourceSha256MiBps: await timeDrain(
        async () => (await mediaSourceFor(media.base).fetch(url)).body,
        true,
      ),
    };

    const rssRunsDone: RssMeasurement[] = [];
    for (let run = 0; run < rssRuns; run += 1) {
      for (const setup of rssSetups) {
        for (const size of rssSizesMiB) {
          const child = await measureRss({
            side: setup === 'raw-only' ? 'raw' : 'archive',
            sizeMiB: size,
            partSizeBytes,
            queueSize,
            ...(setup !== 'all-in-child'
              ? {
                  external: {
                    mediaBase: media.base,
                    s3Endpoint: backend.s3Endpoint,
                    dynamoEndpoint: backend.dynamoEndpoint,
                  },
                }
              : {}),
          });
          check({ ...child, times: new Map() }, size * MiB, `RSS child ${setup} ${size} MiB`);
          if (setup !== 'all-in-child') {
            await removeObject(clients, child.key);
            await assertBucketEmpty(clients);
          }
          const measurement: RssMeasurement = {
            setup,
            sizeMiB: size,
            vmHwmMiB: round(child.vmHwmKiB / 1024),
            sampledPeakMiB: round(child.sampledPeakBytes / MiB),
            baselineMiB: round(child.baselineBytes / MiB),
            miBps: round(mibps(size * MiB, child.seconds)),
          };
          rssRunsDone.push(measurement);
          log(`RSS ${setup} ${size} MiB: VmHWM ${measurement.vmHwmMiB} MiB`);
        }
      }
    }
    const peakOf = (setup: RssSetup, size: number) =>
      rssRunsDone.filter((m) => m.setup === setup && m.sizeMiB === size);
    const summary = rssSetups.map((setup) => {
      const bySize = rssSizesMiB.map((size) => {
        const runs = peakOf(setup, size);
        return {
          sizeMiB: size,
          peakMiB: Math.max(...runs.map((m) => m.vmHwmMiB)),
          growthMiB: round(Math.max(...runs.map((m) => m.vmHwmMiB - m.baselineMiB))),
          miBps: runs.map((m) => m.miBps),
        };
      });
      // Run by run: run i's largest file against run i's smallest.
      const smallest = peakOf(setup, rssSizesMiB[0] ?? Number.NaN);
      const largest = peakOf(setup, rssSizesMiB.at(-1) ?? Number.NaN);
      const ratios = largest.map((m, run) => m.vmHwmMiB / (smallest[run]?.vmHwmMiB ?? Number.NaN));
      return { setup, bySize, ratio: round(median(ratios), 3), ratioMax: round(Math.max(...ratios), 3) };
    });

    return {
      sizeMiB,
      smallSizeMiB,
      rssSizesMiB,
      partSizeMiB: round(partSizeBytes / MiB, 2),
      queueSize,
      loadAverageAtStart,
      rounds: results,
      ratio: {
        median: round(median(ratios), 3),
        min: round(Math.min(...ratios), 3),
        max: round(Math.max(...ratios), 3),
      },
      archiveMiBps: { median: round(median(results.map((r) => r.archiveMiBps))) },
      rawMiBps: { median: round(median(results.map((r) => r.rawMiBps))) },
      ceilings,
      rss: {
        method: `VmHWM (the kernel's high-water mark of the resident set, /proc/self/status) read as the child ends, ${rssRuns} runs per size and set-up, the highest shown (a 20 ms process.memoryUsage().rss sampler stayed within ${round(Math.max(...rssRunsDone.map((m) => m.vmHwmMiB - m.sampledPeakMiB)))} MiB below it)`,
        runs: rssRunsDone,
        summary,
      },
      seconds: round((performance.now() - benchStarted) / 1000),
    };
  } finally {
    clients.destroy();
    await closeServer(media.server);
    await backend.close();
  }
};

// The child-process entry of one RSS measurement: `node --import tsx local/bench/archive-bench.ts rss-child '<json>'`.
if (process.argv[2] === 'rss-child' && resolve(process.argv[1] ?? '') === thisFile) {
  await runRssChild(JSON.parse(process.argv[3] ?? '{}') as RssChildConfig);
  process.exit(0);
}
