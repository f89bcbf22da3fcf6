/**
 * Real HLS segments made by ffmpeg from its own test sources (Debian's ffmpeg, installed by `.ci/run`), for
 * tests where a real player (ffprobe) reads an archived recording: a picture without sound, or a tone.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const sources = {
  /** 4 s of H.264 test picture in MPEG-TS, no audio track. */
  video: [
    ...['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=4'],
    ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-f', 'mpegts'],
  ],
  /** 4 s of a 440 Hz tone in AAC (ADTS), as a separate audio rendition's segment. */
  audio: [...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=4'], ...['-c:a', 'aac', '-f', 'adts']],
} as const;

/** One segment of `kind`, made now. */
export const mediaSegment = async (kind: keyof typeof sources): Promise<Buffer> => {
  const dir = await mkdtemp(join(tmpdir(), 'media-segment-'));
  try {
    const file = join(dir, 'segment');
    await run('ffmpeg', ['-loglevel', 'error', '-y', ...sources[kind], file]);
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

/** The codec types of the streams ffprobe finds in `input` (a file or URL), each once. */
export const streamTypes = async (
  input: string,
  protocols = 'file,http,https,tcp,tls,crypto',
): Promise<Set<string>> => {
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-protocol_whitelist', protocols],
    ...['-show_entries', 'stream=codec_type', '-of', 'csv=p=0', input],
  ]);
  // (each stream is listed once per HLS program it is in)
  return new Set(stdout.split('\n').filter(Boolean));
};
