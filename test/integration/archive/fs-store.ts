/**
 * An `ArchiveStore` test double on the filesystem: each object is a file at its key under `dir` (so an
 * archived HLS copy can be played with ffprobe from there), hashed while streaming, recorded in a Map once
 * complete. It also notes what each `put` received — a stream or a buffer — so tests can tell that segments
 * were never buffered whole. The real store (S3 multipart + manifest) is tested elsewhere.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll } from '@jest/globals';
import type { HlsAsset } from '../../../functions/archive/hls-archiver.js';
import type { ArchivedObject, ArchiveStore } from '../../../functions/archive/types.js';

export class FsArchiveStore implements ArchiveStore {
  /** The manifest: objects completely stored. */
  readonly records = new Map<string, ArchivedObject>();
  /** Keys in the order `put` was called (failed puts included). */
  readonly puts: string[] = [];
  /** What the last `put` of each key received. */
  readonly bodies = new Map<string, 'stream' | 'buffer'>();

  constructor(readonly dir: string) {}

  /** The file holding `key`. */
  pathOf(key: string): string {
    return join(this.dir, ...key.split('/'));
  }

  /** SHA-256 (hex) and size of the file holding `key`, read back from disk. */
  async stored(key: string): Promise<{ sha256: string; size: number }> {
    const bytes = await readFile(this.pathOf(key));
    return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
  }

  async archived(key: string): Promise<ArchivedObject | undefined> {
    return this.records.get(key);
  }

  async forget(key: string): Promise<void> {
    this.records.delete(key);
  }

  async put(
    key: string,
    body: Readable | Buffer,
    meta: { readonly contentType: string; readonly sourceUrl: string },
  ): Promise<ArchivedObject> {
    this.puts.push(key);
    this.bodies.set(key, Buffer.isBuffer(body) ? 'buffer' : 'stream');
    const path = this.pathOf(key);
    // Written aside and renamed when complete, as a multipart upload is completed or aborted: a failed put
    // leaves no object behind.
    const partial = `${path}.partial`;
    await mkdir(dirname(path), { recursive: true });
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    try {
      await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, meter, createWriteStream(partial));
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    const record: ArchivedObject = { key, size, sha256: hash.digest('hex'), ...meta };
    this.records.set(key, record);
    return record;
  }
}

/**
 * For a file of archiveHlsRecording tests: a scratch directory (`hls-archiver-{name}-…`) made before its
 * tests and removed after them (the call adds both hooks). Each call of the function it returns gives a store
 * in a directory of its own and a screen recording read from `sourceUrl`, archived under `prefix`
 * (`interviews/{name}-{n}/screen/`).
 */
export const hlsScratchRuns = (name: string) => {
  let root = '';
  let run = 0;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), `hls-archiver-${name}-`));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  return (sourceUrl: string) => {
    run += 1;
    const prefix = `interviews/${name}-${run}/screen/`;
    const asset: HlsAsset = { kind: 'hls', name: 'screen', keyPrefix: prefix, sourceUrl };
    return { store: new FsArchiveStore(join(root, String(run))), asset, prefix };
  };
};
