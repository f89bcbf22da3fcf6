/**
 * Real, decodable media for the local fakes and the tests, made with ffmpeg (Debian's `ffmpeg` package;
 * `.ci/run` installs it): MP3 answers like ROUND0's, HLS recordings like micro1's (MPEG-TS and fMP4
 * segments, AES-128, byte ranges, a master playlist with two variants) and a small PDF report. Each call
 * writes into a directory of its own and takes about half a second (notes/toolchain.md).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Whether ffmpeg is on the PATH (tests that need it say so clearly instead of failing obscurely). */
export const ffmpegAvailable = async (): Promise<boolean> =>
  run('ffmpeg', ['-version']).then(
    () => true,
    () => false,
  );

const ffmpeg = async (args: readonly string[], cwd: string): Promise<void> => {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { cwd });
};

/** Writes `seconds` of a sine tone as MP3 to `file`. */
export const makeMp3 = async (file: string, seconds = 2, frequency = 440): Promise<void> => {
  await ffmpeg(
    [
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=${frequency}:duration=${seconds}`,
      '-c:a',
      'libmp3lame',
      '-q:a',
      '6',
      file,
    ],
    '.',
  );
};

/** A tone in the container and codec ffmpeg picks for `file`'s extension (`.wav`, `.m4a`, `.flac`, …). */
export const makeAudio = async (file: string, seconds = 2): Promise<void> => {
  await ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, file], '.');
};

/** The kinds of HLS media playlist {@link makeHls} writes. */
export type HlsKind = 'ts' | 'fmp4' | 'aes' | 'byterange';

export interface MadeHls {
  /** Directory of the playlist and its files. */
  readonly dir: string;
  /** File name of the media playlist inside `dir`. */
  readonly playlist: string;
  /** Frames of video encoded (25 fps), what `ffprobe -count_frames` must find in a faithful copy. */
  readonly frames: number;
}

/**
 * Writes a VOD HLS rendition of a test pattern with sound into `dir`: `index.m3u8` and its segments
 * (`seg_N.ts`, or `init.mp4` + `seg_N.m4s`, or one `all.ts` with byte ranges, or encrypted `seg_N.ts` with
 * `key.bin`).
 */
export const makeHls = async (
  dir: string,
  options: { readonly kind?: HlsKind; readonly seconds?: number; readonly size?: string } = {},
): Promise<MadeHls> => {
  const kind = options.kind ?? 'ts';
  const seconds = options.seconds ?? 6;
  await mkdir(dir, { recursive: true });
  const args = [
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=${options.size ?? '160x120'}:rate=25`,
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440',
    '-t',
    String(seconds),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-g',
    '25',
    '-c:a',
    'aac',
    '-f',
    'hls',
    '-hls_time',
    '2',
    '-hls_playlist_type',
    'vod',
  ];
  if (kind === 'fmp4') {
    args.push(
      '-hls_segment_type',
      'fmp4',
      '-hls_fmp4_init_filename',
      'init.mp4',
      '-hls_segment_filename',
      'seg_%d.m4s',
    );
  } else if (kind === 'byterange') {
    args.push('-hls_flags', 'single_file', '-hls_segment_filename', 'all.ts');
  } else {
    args.push('-hls_segment_filename', 'seg_%d.ts');
  }
  if (kind === 'aes') {
    const key = randomBytes(16);
    await writeFile(join(dir, 'key.bin'), key);
    // key info file: URI written into the playlist, path of the key, IV
    await writeFile(
      join(dir, 'key.info'),
      `key.bin\n${join(dir, 'key.bin')}\n${randomBytes(16).toString('hex')}\n`,
    );
    args.push('-hls_key_info_file', 'key.info');
  }
  args.push('index.m3u8');
  await ffmpeg(args, dir);
  return { dir, playlist: 'index.m3u8', frames: seconds * 25 };
};

/**
 * Writes a master playlist `master.m3u8` in `dir` listing `variants` (each a media playlist URI relative to
 * `dir`, or absolute) with their bandwidths.
 */
export const writeMasterPlaylist = async (
  dir: string,
  variants: ReadonlyArray<{ readonly uri: string; readonly bandwidth: number; readonly resolution?: string }>,
  name = 'master.m3u8',
): Promise<string> => {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3'];
  for (const variant of variants) {
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${variant.bandwidth}${variant.resolution ? `,RESOLUTION=${variant.resolution}` : ''}`,
      variant.uri,
    );
  }
  await writeFile(join(dir, name), `${lines.join('\n')}\n`);
  return name;
};

/** A minimal valid one-page PDF ("AI interview report"), byte offsets computed so readers accept it. */
export const makePdf = (title = 'AI interview report'): Buffer => {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    '',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  const text = `BT /F1 14 Tf 20 70 Td (${title.replace(/[()\\]/g, '')}) Tj ET`;
  objects[3] = `<< /Length ${text.length} >>\nstream\n${text}\nendstream`;
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(Buffer.byteLength(body));
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body);
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
};

/**
 * What `ffprobe` reads from a playlist (decoding every frame; AES keys and relative URIs resolved from the
 * playlist's directory): the video frame count and the duration in seconds. Rejects when a segment or key
 * is missing or wrong.
 */
export const probeHls = async (
  playlist: string,
  options: {
    /** ffprobe's `-protocol_whitelist`: local files only by default (no network), `http,tcp,crypto,data` for a server. */
    readonly protocols?: string;
  } = {},
): Promise<{ frames: number; duration: number }> => {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-protocol_whitelist',
    options.protocols ?? 'file,crypto,data',
    '-allowed_extensions',
    'ALL',
    '-select_streams',
    'v:0',
    '-count_frames',
    '-show_entries',
    'stream=nb_read_frames:format=duration',
    '-of',
    'json',
    playlist,
  ]);
  const parsed = JSON.parse(stdout) as {
    streams?: Array<{ nb_read_frames?: string }>;
    format?: { duration?: string };
  };
  return {
    frames: Number(parsed.streams?.[0]?.nb_read_frames ?? Number.NaN),
    duration: Number(parsed.format?.duration ?? Number.NaN),
  };
};
