/**
 * Whether a media response holds the asset it should, told by its first bytes ("magic numbers"): a sign-in
 * or "link expired" HTML page served with 200 must not be stored as `report.pdf` or `question_x.mp3`, where
 * it would look archived for good. Only the head of the body is read (at most {@link sniffBytes}, about one
 * network chunk); the body is handed on as a stream, head included, never held whole.
 *
 * Written here rather than with `file-type`: that library sniffs hundreds of formats from up to 4 KiB and
 * answers "which format", while the archive asks "is it one of these few", with a rule per expected type.
 */
import { Readable } from 'node:stream';
import { UnexpectedMediaTypeError } from './errors.js';
import type { MediaResponse } from './types.js';

/**
 * Bytes read before deciding. A PDF reader finds the `%PDF-` header anywhere in the first 1,024 bytes (the
 * PDF reference's implementation notes; some generators put a BOM or a line before it), so that much is read.
 */
export const sniffBytes = 1024;

type Signature = (head: Buffer) => boolean;

const at = (head: Buffer, offset: number, text: string): boolean =>
  head.subarray(offset, offset + text.length).equals(Buffer.from(text, 'latin1'));

const pdf: Signature = (head) => head.subarray(0, sniffBytes).includes('%PDF-', 0, 'latin1');

/** The 11 set bits that start an MPEG audio frame (MP3) and an ADTS frame (AAC). */
const frameSync: Signature = (head) =>
  head.length >= 2 && head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0;

/**
 * An ADTS (AAC) frame header: 12 sync bits, layer `00` (reserved in MPEG audio, so told apart), and a
 * sampling frequency index of 0-12 (13-15 are reserved).
 */
const adtsFrame: Signature = (head) =>
  head.length >= 3 &&
  head[0] === 0xff &&
  ((head[1] ?? 0) & 0xf6) === 0xf0 &&
  (((head[2] ?? 0) >> 2) & 0x0f) <= 12;

/**
 * An MPEG audio frame header (MP3 is layer III), none of its fields reserved: version `01`, layer `00`,
 * bitrate index `1111`, sampling rate `11`. Two sync bytes alone are what a UTF-16LE page starts with (its
 * byte-order mark `FF FE`): the reserved values refuse most such pages, the content type the rest.
 */
const mpegFrame: Signature = (head) => {
  if (head.length < 3 || !frameSync(head)) return false;
  const [second = 0, third = 0] = [head[1], head[2]];
  return (
    ((second >> 3) & 3) !== 1 && ((second >> 1) & 3) !== 0 && third >> 4 !== 0xf && ((third >> 2) & 3) !== 3
  );
};

/** A format an asset may come in: the content type it is stored with, and how its first bytes look. */
interface Format {
  readonly contentType: string;
  readonly matches: Signature;
}

/**
 * Answer audio. ROUND0 documents no audio format (vendors/round0.md; its samples name `.mp3`, hence the
 * `.mp3` key): an MP3 starts with an ID3v2 tag or an MPEG frame (11 sync bits, which ADTS AAC shares). The
 * other containers a recording service may hand out (WAV, MP4/M4A, WebM, Ogg, FLAC) are accepted too: this
 * check refuses pages, not codecs, and refusing real audio would lose the answer for good. Each is stored
 * with its own content type, so the object says what it holds whatever its key's extension.
 */
const audio: readonly Format[] = [
  { contentType: 'audio/mpeg', matches: (head) => at(head, 0, 'ID3') },
  { contentType: 'audio/aac', matches: adtsFrame },
  { contentType: 'audio/mpeg', matches: mpegFrame },
  { contentType: 'audio/wav', matches: (head) => at(head, 0, 'RIFF') && at(head, 8, 'WAVE') },
  { contentType: 'audio/mp4', matches: (head) => at(head, 4, 'ftyp') },
  {
    contentType: 'audio/webm',
    matches: (head) => head.subarray(0, 4).equals(Buffer.from([0x1a, 0x45, 0xdf, 0xa3])),
  },
  { contentType: 'audio/ogg', matches: (head) => at(head, 0, 'OggS') },
  { contentType: 'audio/flac', matches: (head) => at(head, 0, 'fLaC') },
];

/** What an asset of each content type may be (the types `tasks.ts` gives file assets). */
const formats: ReadonlyMap<string, readonly Format[]> = new Map([
  ['application/pdf', [{ contentType: 'application/pdf', matches: pdf }]],
  ['audio/mpeg', audio],
]);

/**
 * The content type of what `head` (the first bytes of a body, all of it when shorter than
 * {@link sniffBytes}) is, when it may be an asset of `expected` type; `undefined` when it may not. For a
 * type without known signatures only an HTML answer is refused, and the answer is `expected`.
 */
export const formatOf = (
  expected: string,
  head: Buffer,
  responseContentType: string | null,
): string | undefined => {
  const accepted = formats.get(expected);
  if (accepted === undefined) return isPage(responseContentType) ? undefined : expected;
  // A text or markup answer is a page or an error, whatever its first bytes look like: no recording service
  // labels audio or a PDF so.
  if (isTextual(responseContentType)) return undefined;
  return accepted.find((format) => format.matches(head))?.contentType;
};

const isPage = (contentType: string | null) => /^\s*text\/html\b/i.test(contentType ?? '');

const isTextual = (contentType: string | null) =>
  /^\s*(text\/|application\/(json|xml|xhtml\+xml|problem\+json)\b)/i.test(contentType ?? '');

/** Whether `head` may be an asset of `expected` type ({@link formatOf}). */
export const looksLike = (expected: string, head: Buffer, responseContentType: string | null): boolean =>
  formatOf(expected, head, responseContentType) !== undefined;

/**
 * The response's body, checked: its head is read and compared with what an asset of `expected` type starts
 * with, and a stream of the whole body (head included) is returned with the content type it was found to
 * be (`audio/wav` for a WAV answer expected as `audio/mpeg`; `expected` when only pages are told apart).
 *
 * @throws {UnexpectedMediaTypeError} when the head is not of that type (an empty body included); the body is
 * destroyed, so the connection is released.
 * @throws what reading the head threw (the source's own classification: timeout, size cap, reset).
 */
export const checkedMediaBody = async (
  response: Pick<MediaResponse, 'body' | 'headers'>,
  key: string,
  expected: string,
): Promise<{ readonly body: Readable; readonly contentType: string }> => {
  const { body } = response;
  const contentType = response.headers.get('content-type');
  if (!formats.has(expected)) return notAPage(response, key, expected);
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const head: Buffer[] = [];
  let size = 0;
  let ended = false;
  // Read until a signature matches (no signature matches a shorter head than it needs, so more bytes never
  // undo a match), the head is long enough to refuse, or the body ended.
  let found = formatOf(expected, Buffer.alloc(0), contentType);
  while (size < sniffBytes && found === undefined) {
    const { done, value } = await chunks.next();
    if (done) {
      ended = true;
      break;
    }
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value);
    head.push(bytes);
    size += bytes.length;
    found = formatOf(expected, Buffer.concat(head), contentType);
  }
  if (found === undefined) {
    body.destroy();
    // The header is the vendor's, not the candidate's: bounded, and safe to name in a parked reason.
    throw new UnexpectedMediaTypeError(key, expected, (contentType ?? 'none').slice(0, 100));
  }
  return {
    body: Readable.from(headThenRest(head, ended ? undefined : chunks, body), { objectMode: false }),
    contentType: found,
  };
};

/**
 * The response's body unread, unless it was answered as an HTML page: what can be checked of a body whose
 * bytes may be anything (an HLS segment, which may be encrypted, whatever its extension says). The body goes
 * on as it came, not re-wrapped chunk by chunk on the archive's hot path.
 *
 * @throws {UnexpectedMediaTypeError} for an HTML answer; the body is destroyed.
 */
export const notAPage = (
  response: Pick<MediaResponse, 'body' | 'headers'>,
  key: string,
  expected: string,
): { readonly body: Readable; readonly contentType: string } => {
  const contentType = response.headers.get('content-type');
  if (!isPage(contentType)) return { body: response.body, contentType: expected };
  response.body.destroy();
  throw new UnexpectedMediaTypeError(key, expected, (contentType ?? 'none').slice(0, 100));
};

/** The head again, then the rest of the body; a consumer that stops early destroys the body. */
async function* headThenRest(
  head: readonly Buffer[],
  rest: AsyncIterator<Buffer | string> | undefined,
  body: Readable,
): AsyncGenerator<Buffer> {
  try {
    yield* head;
    if (rest === undefined) return;
    for (;;) {
      const { done, value } = await rest.next();
      if (done) return;
      yield Buffer.isBuffer(value) ? value : Buffer.from(value);
    }
  } finally {
    body.destroy();
  }
}
