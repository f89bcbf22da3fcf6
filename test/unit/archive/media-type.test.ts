import { Readable } from 'node:stream';
import { UnexpectedMediaTypeError } from '../../../functions/archive/errors.js';
import { checkedMediaBody, formatOf, looksLike, sniffBytes } from '../../../functions/archive/media-type.js';

const bytes = (...parts: Array<string | number[]>) =>
  Buffer.concat(
    parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))),
  );

const html = bytes('<!DOCTYPE html><html><head><title>Link expired</title></head></html>');

/** A response whose body yields `chunks`, then waits for `release` before it ends (so reading it all hangs). */
const heldResponse = (chunks: readonly Buffer[], contentType = 'application/octet-stream') => {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  async function* parts() {
    yield* chunks;
    await released;
    yield bytes('the end');
  }
  const body = Readable.from(parts(), { objectMode: false });
  return { response: { body, headers: new Headers({ 'content-type': contentType }) }, body, release };
};

const readAll = async (body: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

describe('looksLike', () => {
  it.each([
    ['a PDF', 'application/pdf', bytes('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj'), 'application/pdf'],
    [
      'a PDF whose header follows a BOM and a line',
      'application/pdf',
      bytes([0xef, 0xbb, 0xbf], 'x\n%PDF-1.4\n'),
      'application/pdf',
    ],
    ['an MP3 with an ID3v2 tag', 'audio/mpeg', bytes('ID3', [4, 0, 0, 0, 0, 0, 0]), 'audio/mpeg'],
    [
      'an MP3 starting with a frame (MPEG-1 layer III)',
      'audio/mpeg',
      bytes([0xff, 0xfb, 0x90, 0x64]),
      'audio/mpeg',
    ],
    ['ADTS AAC', 'audio/mpeg', bytes([0xff, 0xf1, 0x50, 0x80]), 'audio/aac'],
    ['an MP3 frame of MPEG-2 layer III', 'audio/mpeg', bytes([0xff, 0xf3, 0x90, 0x64]), 'audio/mpeg'],
    ['WAV', 'audio/mpeg', bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt '), 'audio/wav'],
    ['M4A', 'audio/mpeg', bytes([0, 0, 0, 0x20], 'ftypM4A '), 'audio/mp4'],
    ['WebM', 'audio/mpeg', bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f]), 'audio/webm'],
    ['Ogg', 'audio/mpeg', bytes('OggS', [0, 2]), 'audio/ogg'],
    ['FLAC', 'audio/mpeg', bytes('fLaC', [0, 0, 0, 0x22]), 'audio/flac'],
  ])('accepts %s as %s, found to be %s', (_what, expected, head, found) => {
    expect(looksLike(expected, head, null)).toBe(true);
    expect(formatOf(expected, head, null)).toBe(found);
  });

  it.each([
    ['an HTML page', 'application/pdf', html],
    ['an HTML page', 'audio/mpeg', html],
    ['a JSON error', 'audio/mpeg', bytes('{"error":"expired"}')],
    ['an empty body', 'application/pdf', Buffer.alloc(0)],
    ['an empty body', 'audio/mpeg', Buffer.alloc(0)],
    ['an MP3', 'application/pdf', bytes('ID3', [4, 0, 0])],
    ['a PDF', 'audio/mpeg', bytes('%PDF-1.7\n')],
    ['a PDF header beyond the first KiB', 'application/pdf', bytes(' '.repeat(sniffBytes), '%PDF-1.4')],
    ['a lone 0xFF', 'audio/mpeg', bytes([0xff])],
    // A UTF-16LE page starts with the byte-order mark FF FE: the sync bits of an MPEG layer I frame
    [
      'a UTF-16LE HTML page',
      'audio/mpeg',
      Buffer.from('\ufeff<html>This link has expired</html>', 'utf16le'),
    ],
    ['a frame header with the reserved MPEG version 01', 'audio/mpeg', bytes([0xff, 0xeb, 0x90, 0x64])],
    ['a frame header with the bad bitrate index 1111', 'audio/mpeg', bytes([0xff, 0xfb, 0xf0, 0x64])],
    ['a frame header with the reserved sampling rate 11', 'audio/mpeg', bytes([0xff, 0xfb, 0x9c, 0x64])],
    [
      'an ADTS header with a reserved sampling frequency index',
      'audio/mpeg',
      bytes([0xff, 0xf1, 0x7c, 0x80]),
    ],
  ])('refuses %s as %s', (_what, expected, head) => {
    expect(looksLike(expected, head, 'application/octet-stream')).toBe(false);
  });

  it.each([
    ['text/html; charset=utf-16'],
    ['text/plain'],
    ['application/json'],
    ['application/xml'],
    ['application/problem+json'],
  ])('refuses audio and PDF bytes answered as %s (a page or an error, whatever its first bytes)', (type) => {
    expect(looksLike('audio/mpeg', bytes('ID3', [4, 0, 0, 0, 0, 0, 0]), type)).toBe(false);
    expect(looksLike('audio/mpeg', bytes([0xff, 0xfb, 0x90, 0x64]), type)).toBe(false);
    expect(looksLike('application/pdf', bytes('%PDF-1.7\n'), type)).toBe(false);
  });

  it.each([['audio/mpeg'], ['application/octet-stream'], ['binary/octet-stream'], [null]])(
    'accepts audio answered as %s',
    (type) => {
      expect(looksLike('audio/mpeg', bytes([0xff, 0xfb, 0x90, 0x64]), type)).toBe(true);
    },
  );

  it('refuses only an HTML answer for a type it has no signatures for', () => {
    expect(looksLike('video/mp4', html, 'text/html; charset=utf-8')).toBe(false);
    expect(looksLike('video/mp4', bytes([0, 0, 0, 0x18], 'ftypmp42'), 'video/mp4')).toBe(true);
  });
});

describe('checkedMediaBody', () => {
  it('decides on the head alone and hands on the whole body, head included, as a stream', async () => {
    // Prepare: an MP3 arriving in small chunks, whose end is held back
    const chunks = [bytes('ID'), bytes('3', [4, 0]), Buffer.alloc(700, 1), Buffer.alloc(700, 2)];
    const { response, release } = heldResponse(chunks, 'audio/mpeg');

    // Act: resolves although the body has not ended (it would hang if it read the body whole)
    const { body: checked, contentType } = await checkedMediaBody(
      response,
      'interviews/i/question_q.mp3',
      'audio/mpeg',
    );
    release();
    const received = await readAll(checked);

    // Assess
    expect(checked).toBeInstanceOf(Readable);
    expect(contentType).toBe('audio/mpeg');
    expect(received).toEqual(Buffer.concat([...chunks, bytes('the end')]));
  });

  it('fails with the permanent UnexpectedMediaTypeError and releases the body when the head is a page', async () => {
    // Prepare: a page longer than the head, whose end is held back (only a destroy ends it)
    const page = Buffer.concat([html, Buffer.alloc(sniffBytes, 0x20)]);
    const { response, body } = heldResponse([page], 'text/html; charset=utf-8');

    // Act
    const failed = await checkedMediaBody(response, 'interviews/r/report.pdf', 'application/pdf').catch(
      (error: unknown) => error,
    );

    // Assess
    expect(failed).toBeInstanceOf(UnexpectedMediaTypeError);
    expect(failed).toMatchObject({
      name: 'UnexpectedMediaTypeError',
      transient: false,
      key: 'interviews/r/report.pdf',
      expected: 'application/pdf',
      received: 'text/html; charset=utf-8',
    });
    expect((failed as Error).message).toBe(
      'interviews/r/report.pdf: expected application/pdf, the source sent other bytes (content type text/html; charset=utf-8)',
    );
    expect(body.destroyed).toBe(true);
  });

  it('fails as the body failed when it breaks before the head is read', async () => {
    // Prepare
    const broken = new Error('socket hang up');
    const body = new Readable({
      read() {
        this.destroy(broken);
      },
    });

    // Act
    const failed = await checkedMediaBody({ body, headers: new Headers() }, 'k', 'audio/mpeg').catch(
      (error: unknown) => error,
    );

    // Assess
    expect(failed).toBe(broken);
  });
});
