/**
 * Archives an HLS recording (micro1's screen and webcam recordings, vendors/micro1.md: a master or a media
 * playlist, MPEG-TS or fMP4 segments) so that the archived copy plays from the archive alone:
 *
 * 1. The entry playlist is read (small, capped) and parsed with hls-parser. A master's variants are followed —
 *    by default only the highest-BANDWIDTH one — together with the alternate renditions (`EXT-X-MEDIA` with a
 *    URI, e.g. a separate audio track) that the followed variants name. A media playlist is variant `v0`.
 * 2. Every object a media playlist names — segments, `EXT-X-MAP` init segments, AES-128 keys — is streamed
 *    from the source into the store under the layout of `types.ts` (`v{n}/seg_{s}.{ext}`, `init_{s}.{ext}`,
 *    `key_{s}.key`, s a media sequence number), at most `concurrency` at a time, each skipped when the store already holds it from that URL.
 *    Segments marked `EXT-X-GAP` (media the source does not have) are not fetched; the copy keeps them as gaps.
 * 3. Only then are the playlists written, rewritten with relative URIs: each media playlist at
 *    `v{n}/index.m3u8`, then the entry at `index.m3u8`. Written last, a stored entry playlist means a
 *    complete archive; a task that failed half-way resumes where it stopped, fetching only what is missing.
 *    A media playlist without `EXT-X-ENDLIST` (a recording still being written, perhaps listing nothing yet)
 *    gets its segments stored and no playlist written: the task fails as transient
 *    ({@link RecordingInProgressError}) and a retry finishes it once the vendor has.
 *
 * Byte ranges (`EXT-X-BYTERANGE`, and `BYTERANGE` of `EXT-X-MAP`): each range is fetched on its own with a
 * `Range` request and archived as its own object, and the rewritten playlist names whole objects. Fetching
 * each distinct file once and keeping the ranges would save requests, but one object per segment keeps the
 * layout's `seg_{s}` meaning one segment for every kind of recording, keeps resuming and parallelism at
 * segment granularity (a one-hour recording in a single file would otherwise be one all-or-nothing
 * upload, longer than an invocation may run), and yields playlists without byte ranges that every player
 * reads. Range support is not an extra demand on the source: players fetch byte-range playlists exactly this
 * way. Each range's length is checked again while streaming, so a body cut short or longer than the range
 * fails the task instead of storing a segment that does not play. A server that ignores `Range` (200 with
 * the whole file) does not fail it: the media source cuts the range out of that answer (media-source.ts,
 * `sliceOf`), reading the file from its start to the range's end and cancelling the rest. That is correct
 * but costly: against such a server a recording in one file is downloaded from its start once per range,
 * on average half the file per segment (a one-hour recording of 1,800 ranges reads the file ~900 times).
 *
 * Variables (`EXT-X-DEFINE`, RFC 8216bis §4.3: `NAME`/`VALUE`, `QUERYPARAM` from the query of the URL the
 * playlist was read from, `IMPORT` from the master) are substituted into each playlist's text before it is
 * parsed, so every URI is resolved with its values; the definitions are left out of the archived copies, whose
 * URIs name archived objects. A reference to a variable not defined fails the playlist (InvalidPlaylistError).
 *
 * Playlists are read whole (they are small); segments are streamed, never buffered; keys (16 bytes) are
 * read whole to check their length. A key of another length answered as an HTML page (a sign-in or "link
 * expired" page served 200) is refused as a page, like a segment, so the playlists are read again for fresh
 * URLs; of another length otherwise, it is refused for its size.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { pipeline, type Readable, Transform } from 'node:stream';
import HLS, { type types } from 'hls-parser';
import { HttpTransientError } from '../platform/http.js';
import {
  ArchiveError,
  InvalidPlaylistError,
  RecordingInProgressError,
  refusedAsExpired,
  UnexpectedMediaSizeError,
} from './errors.js';
import { notAPage } from './media-type.js';
import type { ArchiveAsset, ArchivedObject, ArchiveStore, MediaSource } from './types.js';
import { withoutQuery } from './types.js';

/** An asset of kind `hls`. */
export type HlsAsset = Extract<ArchiveAsset, { readonly kind: 'hls' }>;

/** Which variants of a master playlist to archive. */
export type HlsVariantSelection = 'highest' | 'all';

export interface ArchiveHlsRecordingOptions {
  readonly asset: HlsAsset;
  readonly source: MediaSource;
  readonly store: ArchiveStore;
  /**
   * `'highest'`: only the variant with the highest `BANDWIDTH` (the recording at its best, a fraction of the
   * bytes of all variants), the master rewritten to list it alone; `'all'`: every variant. Ignored for a
   * media playlist. I-frame-only variants are never archived (trick play only; they index the same media).
   * @default 'highest'
   */
  readonly variants?: HlsVariantSelection;
  /**
   * Objects fetched and stored at the same time (segments, init segments, keys; then variant playlists).
   * @default 4
   */
  readonly concurrency?: number;
  /**
   * Largest playlist read, in bytes (read whole). A VOD playlist of a one-hour recording in 2-second segments
   * is about 100 KB with relative URIs, but about 1.1 MB when each segment is an absolute signed URL of ~600
   * bytes: 8 MiB holds over seven hours of those, and anything larger is not a recording's playlist.
   * @default 8 MiB
   */
  readonly maxPlaylistBytes?: number;
  /**
   * Most URIs (segments, or a master's variants) one playlist may list, counted before it is parsed: 8 MiB of
   * one-line segments is ~650,000 of them, whose parse alone took 550 MiB, and four such playlists of one
   * recording ran the archive out of its 2 GiB. A ten-hour recording in 2-second segments lists 18,000.
   * @default 20,000
   */
  readonly maxPlaylistEntries?: number;
  /**
   * Most media playlists (variants and their renditions) one recording may name: all are read and planned
   * before any segment is fetched. A recording has a few (`'all'` of a six-rung ladder with audio: ~8).
   * @default 16
   */
  readonly maxMediaPlaylists?: number;
}

/** The defaults of {@link ArchiveHlsRecordingOptions} (the tests assert each). */
export const hlsArchiverDefaults = {
  variants: 'highest',
  concurrency: 4,
  maxPlaylistBytes: 8 * 1024 * 1024,
  maxPlaylistEntries: 20_000,
  maxMediaPlaylists: 16,
} as const satisfies Required<
  Pick<
    ArchiveHlsRecordingOptions,
    'variants' | 'concurrency' | 'maxPlaylistBytes' | 'maxPlaylistEntries' | 'maxMediaPlaylists'
  >
>;

/** Content type of archived playlists (RFC 8216 §4). */
export const playlistContentType = 'application/vnd.apple.mpegurl';

/** Content type of archived keys: raw bytes, never meant to be rendered. */
export const keyContentType = 'application/octet-stream';

/**
 * Content types by extension. fMP4 segments (`.m4s`) are stored as `video/mp4` rather than the registered
 * `video/iso.segment`: players ignore a segment's content type, while `video/mp4` is what tools reading the
 * archive (the S3 console, browsers, download tools) know, and it is exact for the init segment, a complete
 * MP4 header — one type for the pair.
 */
const mediaContentTypes: ReadonlyMap<string, string> = new Map([
  ['ts', 'video/mp2t'],
  ['m4s', 'video/mp4'],
  ['mp4', 'video/mp4'],
  ['m4v', 'video/mp4'],
  ['cmfv', 'video/mp4'],
  ['m4a', 'audio/mp4'],
  ['cmfa', 'audio/mp4'],
  ['aac', 'audio/aac'],
  ['mp3', 'audio/mpeg'],
  ['ac3', 'audio/ac3'],
  ['ec3', 'audio/eac3'],
  ['vtt', 'text/vtt'],
  ['webvtt', 'text/vtt'],
]);

/** Length of an AES-128 key of KEYFORMAT "identity" (RFC 8216 §5.2: a 16-octet binary key). */
const identityKeyBytes = 16;
/** Keys are read whole: a bound for those of other KEYFORMATs, whose length the archiver cannot check. */
const maxKeyBytes = 64 * 1024;

/**
 * Archives the recording `asset.sourceUrl` under `asset.keyPrefix`.
 *
 * @example
 * ```ts
 * const objects = await archiveHlsRecording({
 *   asset: { kind: 'hls', name: 'screen', keyPrefix: 'interviews/h0gqkAcaDJ/screen/', sourceUrl },
 *   source,
 *   store,
 * });
 * // objects: every segment, init segment and key, then `…/v{n}/index.m3u8`, then `…/screen/index.m3u8`
 * ```
 * @returns every archived object (whether stored now or found archived), the entry playlist last.
 * @throws {InvalidPlaylistError} when a playlist is not HLS, does not parse, is too large, or is finished
 * and lists nothing (or only gaps).
 * @throws {UnexpectedMediaSizeError} when a byte range or a key has another length than the playlist says.
 * @throws {UnexpectedMediaTypeError} when a segment, an init section or a key of the wrong length is answered
 * with an HTML page, again after the playlists were read once more.
 * @throws {RecordingInProgressError} (transient) when a media playlist has no end yet; what it lists is stored.
 * @throws what the `MediaSource` or the store threw, as they threw it (transient or permanent).
 */
export const archiveHlsRecording = async (options: ArchiveHlsRecordingOptions): Promise<ArchivedObject[]> => {
  const { asset, source, store } = options;
  const selection = options.variants ?? hlsArchiverDefaults.variants;
  const concurrency = options.concurrency ?? hlsArchiverDefaults.concurrency;
  const maxPlaylistBytes = options.maxPlaylistBytes ?? hlsArchiverDefaults.maxPlaylistBytes;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const entryKey = `${asset.keyPrefix}index.m3u8`;
  const limits = {
    maxBytes: maxPlaylistBytes,
    maxEntries: options.maxPlaylistEntries ?? hlsArchiverDefaults.maxPlaylistEntries,
  };
  const maxMediaPlaylists = options.maxMediaPlaylists ?? hlsArchiverDefaults.maxMediaPlaylists;
  const readPlaylist = (url: string, key: string, imported?: Variables) =>
    fetchPlaylist(source, url, key, limits, imported);

  /** Whether a segment, key or init section was refused the way an expired signed URL is. */
  let objectRefusedAsExpired = false;
  /**
   * Set once this task is about to overwrite an object archived before from another URL (the playlist now
   * names other URLs): the stored playlists would no longer describe what is stored. The entry's record is
   * withdrawn first (awaited before any overwrite), so neither this run nor a later one, should this one
   * fail half way, takes the mixed copy for a complete archive; the entry is recorded again only once the
   * whole new copy is stored.
   */
  let withdrawingEntry: Promise<void> | undefined;
  const replacing = () => {
    withdrawingEntry ??= store.forget(entryKey);
    return withdrawingEntry;
  };
  const fallback = <T>(read: () => Promise<T>) =>
    withdrawingEntry !== undefined ? read() : withArchivedFallback(store, entryKey, read);
  const archivePass = async (): Promise<ArchivedObject[]> => {
    // The recording was archived whole before (its entry playlist is stored last) and the vendor no longer
    // serves it (the URL expired, the recording was removed): nothing is left to do. Without this a task run
    // again (a duplicate task, or the retry of one whose completion was not recorded) failed for good over a
    // complete archive.
    const entry = await fallback(() => readPlaylist(asset.sourceUrl, entryKey));
    if (!('playlist' in entry)) return [entry];
    let mediaSources: MediaPlaylistSource[];
    let renderEntry: (plans: readonly PlannedMediaPlaylist[]) => string;
    if (entry.playlist.isMasterPlaylist) {
      const master = planMaster(entry.playlist, entry.url, selection, entryKey);
      if (master.sources.length > maxMediaPlaylists) {
        throw new InvalidPlaylistError(
          entryKey,
          `names ${master.sources.length} media playlists (variants and renditions), more than ${maxMediaPlaylists}`,
        );
      }
      mediaSources = master.sources;
      renderEntry = master.render;
    } else {
      mediaSources = [{ dir: 'v0/', playlist: entry.playlist, url: entry.url }];
      // The entry is the media playlist itself, its URIs reaching into v0/.
      renderEntry = ([only]) => only?.render('v0/') ?? '';
    }

    // As for the entry: a complete archive whose media playlists the vendor no longer serves (the master is
    // still served, its variants' URLs expired) is complete, not failed.
    const plans = await fallback(() =>
      runBounded(
        mediaSources.map((media) => async () => {
          const key = `${asset.keyPrefix}${media.dir}index.m3u8`;
          const read = media.playlist
            ? { playlist: media.playlist, url: media.url }
            : await readPlaylist(media.url, key, entry.variables);
          if (read.playlist.isMasterPlaylist) {
            throw new InvalidPlaylistError(key, 'a master playlist where a media playlist must be');
          }
          return planMediaPlaylist(read.playlist, read.url, asset.keyPrefix, media.dir, key);
        }),
        concurrency,
      ),
    );
    if (!Array.isArray(plans)) return [plans];

    // A recording still being written: keep what it lists so far (a retry fetches only what was added) and
    // write no playlist, which would make a copy that ends early look complete.
    const unfinished = plans.find((plan) => !plan.finished);
    const objects = await runBounded(
      plans
        .flatMap((plan) => plan.objects)
        .map(
          (object) => () =>
            archiveObject(object, source, store, replacing).catch((error: unknown) => {
              const refused = refusedAsExpired(error);
              objectRefusedAsExpired ||= refused;
              // A live playlist may list a segment its CDN does not serve yet (a 404 at an edge): the
              // recording is in progress, retried later, not refused for good.
              if (refused && unfinished !== undefined) {
                throw new RecordingInProgressError(unfinished.key, { cause: error });
              }
              throw error;
            }),
        ),
      concurrency,
    );
    if (unfinished !== undefined) throw new RecordingInProgressError(unfinished.key);

    // Playlists last, the entry after the media playlists: each names only objects already stored.
    const playlists: ArchivedObject[] = [];
    for (const plan of plans) {
      playlists.push(await putPlaylist(store, plan.key, plan.render(''), plan.sourceUrl));
    }
    playlists.push(await putPlaylist(store, entryKey, renderEntry(plans), withoutQuery(entry.url)));
    return [...objects, ...playlists];
  };
  try {
    return await archivePass();
  } catch (error) {
    if (!objectRefusedAsExpired) throw error;
  }
  // Signed segment URLs (a CDN's short-lived tokens) can expire while a long recording is read: the
  // playlists are read once more, for fresh ones, and only what is still missing is fetched (an archived
  // object is matched by its URL without the query). Refused again, the refusal stands.
  objectRefusedAsExpired = false;
  return archivePass();
};

type Playlist = types.MasterPlaylist | types.MediaPlaylist;

/** A media playlist to archive: its directory under the key prefix, its URL, and its text when already read. */
interface MediaPlaylistSource {
  /** `v{n}/` (variant n of the source master, v0 for a media playlist) or `r{n}/` (alternate rendition n). */
  readonly dir: string;
  readonly url: string;
  readonly playlist?: Playlist;
}

/** One object a media playlist names. */
interface PlannedObject {
  readonly key: string;
  /** Absolute source URL. */
  readonly url: string;
  readonly range?: types.Byterange;
  readonly contentType: string;
  /** Keys are read whole (and checked for length); everything else is streamed. */
  readonly isKey: boolean;
  readonly expectedBytes?: number;
}

interface PlannedMediaPlaylist {
  readonly key: string;
  readonly sourceUrl: string;
  readonly objects: readonly PlannedObject[];
  /** Whether the playlist will not change ({@link isFinished}). */
  readonly finished: boolean;
  /** The playlist rewritten to name the archived objects, relative URIs prefixed with `base`. */
  readonly render: (base: string) => string;
}

/** A playlist's variables (`EXT-X-DEFINE`) by name. */
type Variables = ReadonlyMap<string, string>;

const fetchPlaylist = async (
  source: MediaSource,
  url: string,
  key: string,
  limits: { readonly maxBytes: number; readonly maxEntries: number },
  /** The master's variables, for a media playlist it names (`IMPORT`). */
  imported?: Variables,
): Promise<{ playlist: Playlist; url: string; variables: Variables }> => {
  const response = await source.fetch(url);
  const bytes = await readAtMost(response.body, limits.maxBytes);
  if (bytes === undefined) throw new InvalidPlaylistError(key, `larger than ${limits.maxBytes} bytes`);
  // Relative URIs resolve against where the playlist came from after redirects (RFC 8216 §4.1, RFC 3986
  // §5.1.3); `url` only when a source does not report it.
  const base = response.url || url;
  const context = { urls: [base, url], imported, maxBytes: limits.maxBytes };
  return { ...parsePlaylist(bytes, key, limits.maxEntries, context), url: base };
};

/** The URI lines of a playlist's text (RFC 8216 §4.1: a line that is neither blank nor starts with `#`). */
const uriLineCount = (text: string): number => {
  let count = 0;
  for (const line of text.split('\n')) if (line.trim() !== '' && !line.startsWith('#')) count += 1;
  return count;
};

const parsePlaylist = (
  bytes: Buffer,
  key: string,
  maxEntries: number,
  context: VariableContext,
): { playlist: Playlist; variables: Variables } => {
  const decoded = bytes.toString('utf8');
  const raw = decoded.startsWith('\uFEFF') ? decoded.slice(1) : decoded;
  // hls-parser's default (lenient) mode only logs a missing header and parses on: check it here, as it is
  // what tells an HLS playlist from an HTML error page or a video file (RFC 8216 §4.3.1.1).
  if (!raw.startsWith('#EXTM3U')) throw new InvalidPlaylistError(key, 'no #EXTM3U header: not HLS');
  const { text, variables } = withVariablesSubstituted(raw, key, context);
  // Counted before parsing: the parse of an oversized list is what costs the memory.
  const entries = uriLineCount(text);
  if (entries > maxEntries)
    throw new InvalidPlaylistError(key, `lists ${entries} URIs, more than ${maxEntries}`);
  let playlist: Playlist;
  try {
    playlist = parseQuietly(withIdentityKeysOnly(text));
  } catch (error) {
    // The parser's message may quote playlist lines (signed URIs): kept in `cause`, out of the message.
    throw new InvalidPlaylistError(key, 'does not parse', { cause: error });
  }
  if (playlist.isMasterPlaylist) {
    if (!playlist.variants.some(isPlayableVariant)) throw new InvalidPlaylistError(key, 'lists no variants');
    return { playlist, variables };
  }
  // Tags after the last URI (a live LL-HLS playlist's `EXT-X-PART`s and `EXT-X-PRELOAD-HINT` of the segment
  // being written, an `EXTINF` or `EXT-X-PROGRAM-DATE-TIME` written before its URI, a `DISCONTINUITY` before
  // the end tag) make the parser add a last segment without URI. It is no segment yet: dropped, so a playlist
  // in progress is archived as one (and retried) rather than refused for good as naming a URI-less entry.
  // Not in a finished playlist whose last `EXTINF` lacks its URI: a segment is missing there, and the copy
  // would look complete one segment short (refused below, as an entry without URI).
  const last = playlist.segments.at(-1);
  const uriless = last !== undefined && (typeof last.uri !== 'string' || last.uri === '');
  if (uriless && (!isFinished(playlist) || last.duration === undefined)) playlist.segments.pop();
  if (isFinished(playlist) && !playlist.segments.some((segment) => !segment.gap)) {
    // Only a finished playlist is refused for it: a live one lists nothing before its first segment is
    // written, and is archived as a recording in progress (retried) like one that lists a few.
    throw new InvalidPlaylistError(
      key,
      playlist.segments.length === 0 ? 'lists no segments' : 'lists only gap segments',
    );
  }
  return { playlist, variables };
};

/** Where a playlist's variables come from besides its own `NAME`/`VALUE` definitions. */
interface VariableContext {
  /** The URLs the playlist was read from (after redirects, then as asked for): `QUERYPARAM` reads their query. */
  readonly urls: readonly string[];
  /** The master playlist's variables (`IMPORT`); none for the entry playlist. */
  readonly imported: Variables | undefined;
  /** Largest text once substituted: a short reference to a long value, repeated, grows without bound. */
  readonly maxBytes: number;
}

/** A Variable Reference (RFC 8216bis §4.3). */
const variableReference = /\{\$([A-Za-z0-9_-]+)\}/g;

/**
 * `text` with each Variable Reference (`{$name}`) in its URI lines and tags replaced by the variable's value
 * (RFC 8216bis §4.3, `EXT-X-DEFINE` §4.4.2.3), and its `EXT-X-DEFINE` lines left out, with the variables they
 * define. hls-parser keeps definitions and substitutes nothing: a URI naming a variable (a signed token passed
 * on from the playlist's URL by `QUERYPARAM`) was fetched literally and refused. Left out, the definitions do
 * not reach the archived copy, which needs none, and where a `QUERYPARAM` would make it unplayable (its URL in
 * the archive has no query). A reference to a variable not defined before it fails the playlist, as the spec
 * requires of a client.
 */
const withVariablesSubstituted = (text: string, key: string, context: VariableContext) => {
  const variables = new Map<string, string>();
  if (!text.includes('{$') && !text.includes('#EXT-X-DEFINE:')) return { text, variables };
  const invalid = (reason: string) => new InvalidPlaylistError(key, reason);
  let size = 0;
  const substitute = (_reference: string, name: string): string => {
    const value = variables.get(name);
    if (value === undefined) throw invalid(`uses the variable ${name}, not defined before`);
    size += value.length;
    if (size > context.maxBytes) throw invalid(`over ${context.maxBytes} bytes with variables substituted`);
    return value;
  };
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    size += line.length + 1;
    if (!line.startsWith('#EXT-X-DEFINE:')) {
      // Tags and URI lines; a comment stays as it is.
      lines.push(
        line.startsWith('#') && !line.startsWith('#EXT') ? line : line.replace(variableReference, substitute),
      );
      continue;
    }
    const attributes = new Map(Array.from(line.matchAll(/([A-Z0-9-]+)="([^"]*)"/g), ([, k, v]) => [k, v]));
    const [name, value] = attributes.has('NAME')
      ? [attributes.get('NAME'), attributes.get('VALUE')]
      : attributes.has('IMPORT')
        ? [attributes.get('IMPORT'), context.imported?.get(attributes.get('IMPORT') as string)]
        : [attributes.get('QUERYPARAM'), queryParameter(context.urls, attributes.get('QUERYPARAM'))];
    // A value goes into the text before it is parsed: nothing in it may end a quoted string or a line, or
    // refer on to a variable (substitution is not recursive: the copy would keep the reference).
    if (name === undefined || value === undefined || variables.has(name) || /["\r\n]|\{\$/.test(value)) {
      throw invalid(`an EXT-X-DEFINE of ${name ?? 'nothing'} that defines no usable variable`);
    }
    variables.set(name, value);
  }
  return { text: lines.join('\n'), variables };
};

/**
 * The first value of the query parameter `name` in the first of `urls` that has it, percent-decoded as the
 * spec asks of `QUERYPARAM` (RFC 3986): a `+` stays a `+`, as a signed token's base64 needs, where form
 * decoding (URLSearchParams) would make it a space. `undefined` when none has it or it does not decode.
 */
const queryParameter = (urls: readonly string[], name: string | undefined): string | undefined => {
  for (const url of urls) {
    for (const pair of new URL(url).search.slice(1).split('&')) {
      const [field = '', value = ''] = pair.split(/=(.*)/s);
      if (percentDecoded(field) === name) return percentDecoded(value);
    }
  }
  return undefined;
};

const percentDecoded = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
};

/**
 * hls-parser in its lenient mode: a vendor's packager that gets a nicety of the spec wrong (an
 * `EXT-X-VERSION` lower than its tags need) still makes a playable recording worth archiving; what the
 * archive needs is checked here instead. `silent` keeps the parser's complaints off the console; options are
 * module-wide, so they are restored (parsing is synchronous: nothing else runs in between).
 */
const parseQuietly = (text: string): Playlist => {
  const { silent } = HLS.getOptions();
  HLS.setOptions({ silent: true });
  try {
    return HLS.parse(text);
  } finally {
    HLS.setOptions({ silent });
  }
};

/**
 * Whether a media playlist will not change: `EXT-X-ENDLIST`, or `EXT-X-PLAYLIST-TYPE:VOD` (RFC 8216
 * §4.3.3.5: a VOD playlist cannot change, even if a packager left the end tag out).
 */
const isFinished = (playlist: types.MediaPlaylist): boolean =>
  playlist.endlist || playlist.playlistType === 'VOD';

const isPlayableVariant = (variant: types.Variant): boolean =>
  !variant.isIFrameOnly && typeof variant.uri === 'string' && variant.uri !== '';

const resolveUri = (uri: string | undefined, base: string, key: string): string => {
  if (typeof uri !== 'string' || uri === '') throw new InvalidPlaylistError(key, 'an entry without URI');
  try {
    return new URL(uri, base).href;
  } catch (error) {
    throw new InvalidPlaylistError(key, 'a URI that does not resolve', { cause: error });
  }
};

/**
 * The variants (and the renditions they name) to archive, and the master rewritten to list only them.
 * Variant `n` is its position among the source master's variants, rendition `n` its position among the
 * distinct renditions with a URI in order of appearance: both stable whatever the selection.
 */
const planMaster = (
  master: types.MasterPlaylist,
  baseUrl: string,
  selection: HlsVariantSelection,
  key: string,
): { sources: MediaPlaylistSource[]; render: () => string } => {
  const playable = master.variants
    .map((variant, index) => ({ variant, index }))
    .filter(({ variant }) => isPlayableVariant(variant));
  const highest = playable.reduce<(typeof playable)[number] | undefined>(
    (best, candidate) =>
      best === undefined || candidate.variant.bandwidth > best.variant.bandwidth ? candidate : best,
    undefined,
  );
  const selected = selection === 'all' ? playable : highest === undefined ? [] : [highest];

  const renditionIds = new Map<string, number>();
  for (const variant of master.variants) {
    for (const rendition of renditionsOf(variant)) {
      const id = renditionId(rendition);
      if (!renditionIds.has(id)) renditionIds.set(id, renditionIds.size);
    }
  }

  const sources: MediaPlaylistSource[] = [];
  const renditionDirs = new Map<string, string>();
  for (const { variant, index } of selected) {
    sources.push({ dir: `v${index}/`, url: resolveUri(variant.uri, baseUrl, key) });
    for (const rendition of renditionsOf(variant)) {
      const id = renditionId(rendition);
      if (renditionDirs.has(id)) continue;
      const dir = `r${renditionIds.get(id)}/`;
      renditionDirs.set(id, dir);
      sources.push({ dir, url: resolveUri(rendition.uri, baseUrl, key) });
    }
  }

  const render = (): string => {
    for (const { variant, index } of selected) {
      variant.uri = `v${index}/index.m3u8`;
      for (const rendition of renditionsOf(variant)) {
        rendition.uri = `${renditionDirs.get(renditionId(rendition))}index.m3u8`;
      }
    }
    master.variants = selected.map(({ variant }) => variant);
    // Session keys only let players preload the media playlists' keys, and session data or content steering
    // by URI would point back at the source: the archived media playlists carry everything needed.
    master.sessionKeyList = [];
    master.sessionDataList = master.sessionDataList.filter((data) => data.uri === undefined);
    master.contentSteering = undefined;
    return HLS.stringify(master);
  };
  return { sources, render };
};

/** Alternate renditions with their own media playlist (closed captions never have one). */
const renditionsOf = (variant: types.Variant): types.Rendition[] =>
  [...variant.audio, ...variant.video, ...variant.subtitles].filter(
    (rendition) => typeof rendition.uri === 'string' && rendition.uri !== '',
  );

/** TYPE, GROUP-ID and NAME identify a rendition (RFC 8216 §4.3.4.1.1: NAME is unique within its group). */
const renditionId = (rendition: types.Rendition): string =>
  `${rendition.type}\u0000${rendition.groupId}\u0000${rendition.name}`;

const planMediaPlaylist = (
  playlist: types.MediaPlaylist,
  baseUrl: string,
  keyPrefix: string,
  dir: string,
  key: string,
): PlannedMediaPlaylist => {
  const objects: PlannedObject[] = [];
  const segmentNames: string[] = [];
  // Keys and init segments are shared by many segments: one object per distinct source (URL, and range).
  const keyNamesByUrl = new Map<string, string>();
  const keyNames = new Map<types.Key, string>();
  const initNamesBySource = new Map<string, string>();
  const initNames = new Map<types.MediaInitializationSection, string>();
  // Names of the keys and init sections fetched: those a segment that is not a gap needs.
  const fetched = new Set<string>();

  const sequences = sequenceNumbersOf(playlist);
  for (const [index, segment] of playlist.segments.entries()) {
    // Objects are named by the media sequence number of the segment (of the first segment using it, for keys
    // and init sections), which the segment keeps for the life of the playlist (RFC 8216 §6.2.1), not by
    // its position: a live playlist that slides between two runs moves segment n to another position, and a
    // resume would have kept another segment's bytes under the name (the source URL check cannot tell
    // segments that differ only by query string or byte range apart).
    const sequence = sequences[index] as number;
    // An `EXT-X-GAP` segment is missing media: clients must not load it (RFC 8216bis, EXT-X-GAP), and its
    // URI is usually not served at all — fetched, its 404 failed the whole recording for good. It is named
    // (`seg_{n}`, never stored) and keeps its tag in the copy, so the timeline stays that of the source:
    // players skip the gap, and nothing after it shifts, as it would were it cut out at a discontinuity.
    const gap = segment.gap === true;
    const encryption = segment.key;
    // A key given inline (`data:`) travels in the playlist itself: nothing to fetch, and the copy keeps it.
    const inlineKey = encryption?.uri !== undefined && /^data:/i.test(encryption.uri.trim());
    if (encryption?.uri !== undefined && encryption.method !== 'NONE' && !inlineKey) {
      const url = resolveUri(encryption.uri, baseUrl, key);
      // A DRM key server (FairPlay `skd:`, any scheme but HTTP): no key a copy could play with is to be had.
      // Said as such, never fetched (the URL guard would count it as an SSRF attempt).
      const scheme = new URL(url).protocol;
      if (scheme !== 'https:' && scheme !== 'http:') {
        throw new InvalidPlaylistError(
          key,
          `a key served over ${scheme} (${encryption.method}${encryption.format === undefined ? '' : `, ${encryption.format}`}): DRM-protected media cannot be archived`,
        );
      }
      let name = keyNamesByUrl.get(url);
      if (name === undefined) {
        name = `key_${sequence}.key`;
        keyNamesByUrl.set(url, name);
      }
      if (!gap && !fetched.has(name)) {
        fetched.add(name);
        const identity = encryption.format === undefined || encryption.format === 'identity';
        objects.push({
          key: `${keyPrefix}${dir}${name}`,
          url,
          contentType: keyContentType,
          isKey: true,
          ...(identity ? { expectedBytes: identityKeyBytes } : {}),
        });
      }
      // Named even when only gaps use it: the copy must never point back at the source.
      keyNames.set(encryption, name);
    }

    // Typed as always present; the parser leaves it null for segments without EXT-X-MAP.
    const init = segment.map as types.MediaInitializationSection | null | undefined;
    if (init) {
      const url = resolveUri(init.uri, baseUrl, key);
      // An EXT-X-MAP byte range without offset starts at 0 (the parser marks it -1).
      const range = init.byterange && {
        length: init.byterange.length,
        offset: Math.max(init.byterange.offset, 0),
      };
      const sourceId = range ? `${url} ${range.offset}:${range.length}` : url;
      const extension = mediaExtension(url, 'mp4');
      let name = initNamesBySource.get(sourceId);
      if (name === undefined) {
        name = `init_${sequence}.${extension}`;
        initNamesBySource.set(sourceId, name);
      }
      if (!gap && !fetched.has(name)) {
        fetched.add(name);
        objects.push({
          key: `${keyPrefix}${dir}${name}`,
          url,
          ...(range ? { range: checkedRange(range, key) } : {}),
          contentType: contentTypeOf(extension),
          isKey: false,
        });
      }
      initNames.set(init, name);
    }

    const url = resolveUri(segment.uri, baseUrl, key);
    // Without a recognisable extension: fMP4 when the segment has an init section, else MPEG-TS (HLS's
    // original container).
    const extension = mediaExtension(url, init ? 'm4s' : 'ts');
    const name = `seg_${sequence}.${extension}`;
    segmentNames.push(name);
    if (gap) continue;
    const range = segment.byterange as types.Byterange | undefined; // typed as always present
    objects.push({
      key: `${keyPrefix}${dir}${name}`,
      url,
      ...(range ? { range: checkedRange(range, key) } : {}),
      contentType: contentTypeOf(extension),
      isKey: false,
    });
  }

  const render = (base: string): string => {
    for (const [index, segment] of playlist.segments.entries()) {
      segment.uri = `${base}${segmentNames[index]}`;
      // Each range is its own object now (see the header); typed as always present, absent at run time.
      (segment as { byterange?: types.Byterange }).byterange = undefined;
      // Low-latency parts point at the source; the whole segments are archived.
      segment.parts = [];
    }
    for (const [encryption, name] of keyNames) encryption.uri = `${base}${name}`; // IV and method stay
    for (const [init, name] of initNames) {
      init.uri = `${base}${name}`;
      init.byterange = undefined;
    }
    playlist.prefetchSegments = [];
    playlist.renditionReports = [];
    // Rendered only when finished: a VOD playlist without its end tag gets one, or players (ffmpeg among
    // them) read the copy as live and wait for segments that never come.
    playlist.endlist = true;
    return withSourceKeyMapOrder(HLS.stringify(playlist), playlist.source);
  };
  return {
    key: `${keyPrefix}${dir}index.m3u8`,
    sourceUrl: withoutQuery(baseUrl),
    objects,
    finished: isFinished(playlist),
    render,
  };
};

/**
 * Each segment's media sequence number, which names its objects. Numbers that do not run one by one (an
 * `EXT-X-MEDIA-SEQUENCE` repeated after a segment, which the lenient parser applies from there on, or none
 * at all) would give two segments one name, and one would be lost: such a playlist's segments are numbered
 * by position from its first number instead (0 when that is not usable either).
 */
const sequenceNumbersOf = (playlist: types.MediaPlaylist): number[] => {
  const numbers = playlist.segments.map((segment) => segment.mediaSequenceNumber as number | undefined);
  const usable = (n: number | undefined): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  if (numbers.every((n, at) => usable(n) && (at === 0 || n === (numbers[at - 1] as number) + 1))) {
    return numbers as number[];
  }
  const first = numbers[0] ?? playlist.mediaSequenceBase;
  const base = usable(first) ? first : 0;
  return playlist.segments.map((_, at) => base + at);
};

/** KEYFORMAT of an EXT-X-KEY line ("identity" when it names none, RFC 8216 §4.3.2.4). */
const keyFormatOf = (line: string): string =>
  /KEYFORMAT="([^"]*)"/.exec(line)?.[1]?.toLowerCase() ?? 'identity';

/**
 * `text` with, wherever several EXT-X-KEY tags apply to the same segments (one per KEYFORMAT, RFC 8216
 * §4.3.2.4) and one of them is an identity key, the others left out: hls-parser keeps only the last key tag
 * of a segment, so a DRM key (FairPlay `skd:`) listed after the identity key hid it, and the recording was
 * refused as DRM-protected or not depending on the tags' order. The copy plays with the identity key.
 */
const withIdentityKeysOnly = (text: string): string => {
  if (!/KEYFORMAT=/i.test(text)) return text;
  return segmentBlocks(text)
    .map((block) => {
      const keys = block.filter(isKeyTag);
      if (keys.length < 2 || !keys.some((line) => keyFormatOf(line) === 'identity')) return block;
      return block.filter((line) => !isKeyTag(line) || keyFormatOf(line) === 'identity');
    })
    .map((block) => block.join('\n'))
    .join('\n');
};

/** A media playlist's lines cut after each segment URI: the tags leading to segment n, then its URI. */
const segmentBlocks = (text: string): string[][] => {
  const blocks: string[][] = [[]];
  for (const line of text.split(/\r?\n/)) {
    (blocks.at(-1) as string[]).push(line);
    if (line.trim() !== '' && !line.startsWith('#')) blocks.push([]);
  }
  return blocks;
};
const isKeyTag = (line: string) => line.startsWith('#EXT-X-KEY:');
const isMapTag = (line: string) => line.startsWith('#EXT-X-MAP:');

/**
 * hls-parser writes a segment's EXT-X-KEY lines before its EXT-X-MAP whatever the source's order, and the
 * order means something: a key applies to the init sections declared after it (RFC 8216 §4.3.2.4). An
 * unencrypted init section declared before the segments' key would read as encrypted in the copy, which
 * would then not play. In each segment whose source declared its MAP before its KEY, the MAP is put back
 * first; nothing else moves.
 */
const withSourceKeyMapOrder = (rendered: string, source: string | undefined): string => {
  if (source === undefined) return rendered;
  const mapFirst = segmentBlocks(source).map((block) => {
    const map = block.findIndex(isMapTag);
    const key = block.findIndex(isKeyTag);
    return map !== -1 && key !== -1 && map < key;
  });
  if (!mapFirst.includes(true)) return rendered;
  return segmentBlocks(rendered)
    .flatMap((block, index) => {
      const firstKey = block.findIndex(isKeyTag);
      if (mapFirst[index] !== true || firstKey === -1) return block;
      const maps = block.filter((line, at) => isMapTag(line) && at > firstKey);
      if (maps.length === 0) return block;
      const rest = block.filter((line, at) => !(isMapTag(line) && at > firstKey));
      return [...rest.slice(0, firstKey), ...maps, ...rest.slice(firstKey)];
    })
    .join('\n');
};

const checkedRange = (range: types.Byterange, key: string): types.Byterange => {
  // A missing offset the parser could not infer stays -1 in its lenient mode.
  if (
    !Number.isSafeInteger(range.length) ||
    range.length <= 0 ||
    !Number.isSafeInteger(range.offset) ||
    range.offset < 0
  ) {
    throw new InvalidPlaylistError(key, 'a byte range without valid length and offset');
  }
  return { length: range.length, offset: range.offset };
};

/** The URL path's extension when it is a known media one (the archive key keeps it), else `fallback`. */
const mediaExtension = (url: string, fallback: string): string => {
  const extension = posix.extname(new URL(url).pathname).slice(1).toLowerCase();
  return mediaContentTypes.has(extension) ? extension : fallback;
};

const contentTypeOf = (extension: string): string =>
  mediaContentTypes.get(extension) ?? 'application/octet-stream';

const archiveObject = async (
  object: PlannedObject,
  source: MediaSource,
  store: ArchiveStore,
  /** Awaited before an object archived from another URL is fetched again (and overwritten). */
  replacing: () => Promise<void>,
): Promise<ArchivedObject> => {
  const done = await store.archived(object.key);
  // Kept only when it came from the URL the playlist names now, resolved against where the playlist itself
  // was found: a playlist URL that leads to another recording by the retry names other segment URLs, and the
  // old recording's segments are not kept in the new one's copy. An object behind a redirect of its own is
  // recorded under the URL the playlist names, so a resume skips it (recorded under the redirect's target, it
  // never matched: every retry fetched the whole recording again).
  // A byte range is checked by its length too: ranges of one file share its URL.
  if (
    done !== undefined &&
    done.sourceUrl === withoutQuery(object.url) &&
    (object.range === undefined || done.size === object.range.length)
  ) {
    return done;
  }
  if (done !== undefined) await replacing();
  const response = await source.fetch(object.url, object.range);
  const meta = { contentType: object.contentType, sourceUrl: withoutQuery(object.url) };
  if (object.isKey) {
    const bytes = await readAtMost(response.body, maxKeyBytes);
    const expected = object.expectedBytes;
    if (bytes === undefined || (expected !== undefined && bytes.length !== expected)) {
      // Keys are not checked for a page before they are read: the length is what tells a key (raw bytes,
      // whatever its server labels them). Of the wrong length and answered as HTML, it is a page served 200
      // in place of the key, most likely where a signed URL expired: refused as a page (notAPage throws), as
      // a segment is, so the playlists are read again for fresh URLs (`refusedAsExpired`).
      notAPage(response, object.key, object.contentType);
      throw new UnexpectedMediaSizeError(
        object.key,
        expected ?? maxKeyBytes,
        bytes?.length ?? maxKeyBytes + 1,
      );
    }
    return store.put(object.key, bytes, meta);
  }
  // A page answered 200 in place of a segment (a sign-in or "link expired" page) is refused, not stored:
  // segments may be encrypted (an AES-128 `.mp3` segment has no MP3 header), so only an HTML answer is told
  // apart, whatever the extension (media-type.ts).
  const { body: checked } = notAPage(response, object.key, object.contentType);
  // No segment or init section is empty: an empty 200 (a CDN glitch) stored would be skipped by every resume.
  const body = sizeChecked(checked, object.key, object.range?.length);
  try {
    return await store.put(object.key, body, meta);
  } catch (error) {
    // The store may stop before reading the body to its end: release the connection.
    response.body.destroy();
    throw error;
  }
};

/**
 * `body` passed through unchanged, failing with {@link UnexpectedMediaSizeError} as soon as it exceeds
 * `bytes`, or when it ends short of them (without `bytes`: when it ends empty, which no segment or init
 * section is): the store sees the error and records nothing.
 */
const sizeChecked = (body: Readable, key: string, bytes?: number): Readable => {
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      const over = bytes !== undefined && received > bytes;
      callback(over ? new UnexpectedMediaSizeError(key, bytes, received) : null, chunk);
    },
    flush(callback) {
      const whole = bytes === undefined ? received > 0 : received === bytes;
      callback(whole ? null : new UnexpectedMediaSizeError(key, bytes ?? 1, received));
    },
  });
  // pipeline destroys both streams on an error of either, and the error reaches whoever reads `counter`.
  return pipeline(body, counter, () => {});
};

/** The whole body when it has at most `maxBytes`, else `undefined` (reading stops there). */
const readAtMost = async (body: Readable, maxBytes: number): Promise<Buffer | undefined> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    size += bytes.length;
    if (size > maxBytes) {
      body.destroy();
      return undefined;
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
};

/** Stores a rewritten playlist unless the store holds these very bytes already (a re-run writes nothing). */
const putPlaylist = async (
  store: ArchiveStore,
  key: string,
  text: string,
  sourceUrl: string,
): Promise<ArchivedObject> => {
  const bytes = Buffer.from(text, 'utf8');
  const done = await store.archived(key);
  if (done?.sha256 === createHash('sha256').update(bytes).digest('hex')) return done;
  return store.put(key, bytes, { contentType: playlistContentType, sourceUrl });
};

/**
 * Runs `tasks` with at most `concurrency` in flight, results in task order. After the first failure no
 * further task starts, and the error is thrown once the running ones have settled, so nothing is still
 * writing to the store when the caller sees the failure. Written here rather than with `bottleneck` or
 * `p-limit` because of that rule: with `Promise.all` over a limiter the rejection arrives while uploads run
 * on, and queued tasks keep starting.
 */
const runBounded = async <T>(tasks: ReadonlyArray<() => Promise<T>>, concurrency: number): Promise<T[]> => {
  const results = new Array<T>(tasks.length);
  let next = 0;
  let failure: { readonly error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined) {
      const index = next++;
      const task = tasks[index];
      if (task === undefined) return;
      try {
        results[index] = await task();
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
};

/**
 * `read()`, or — when it fails for good and the store holds the entry playlist, i.e. the archive is whole —
 * that entry's record. A transient failure is thrown as it is and retried: the recording may have changed.
 */
const withArchivedFallback = async <T>(
  store: ArchiveStore,
  entryKey: string,
  read: () => Promise<T>,
): Promise<T | ArchivedObject> => {
  try {
    return await read();
  } catch (error) {
    const archived = isTransient(error) ? undefined : await store.archived(entryKey);
    if (archived !== undefined) return archived;
    throw error;
  }
};

/** Whether a failure may pass by itself (the media source's transient HTTP errors, transient archive errors). */
const isTransient = (error: unknown): boolean =>
  error instanceof HttpTransientError || (error instanceof ArchiveError && error.transient);
