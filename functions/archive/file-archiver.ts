/**
 * Archives one media file (a ROUND0 answer's MP3, a micro1 report's PDF): streamed from the source straight
 * into the store, never held whole.
 *
 * ROUND0's `audio_url` expires 24 h after issue (vendors/round0.md): a task that waited in the queue, or is
 * redelivered a day later, meets a refusal. For an asset with `refresh`, the caller can hand in
 * `refreshUrl`, which fetches the interview again from ROUND0's API and returns this question's fresh URL;
 * the archiver calls it once and retries once. Anything else fails as the `MediaSource` threw it.
 *
 * What the source answers is checked by its first bytes (`media-type.ts`) before it is stored: a PDF must be
 * a PDF, an answer's audio audio, so that an HTML page answered 200 fails the task instead of being archived.
 */
import type { Readable } from 'node:stream';
import { isExpiredUrlError, MediaUrlExpiredError, refusedAsExpired } from './errors.js';
import { checkedMediaBody } from './media-type.js';
import type { ArchiveAsset, ArchivedObject, ArchiveStore, MediaResponse, MediaSource } from './types.js';
import { withoutQuery } from './types.js';

/** An asset of kind `file`. */
export type MediaFileAsset = Extract<ArchiveAsset, { readonly kind: 'file' }>;

export interface ArchiveMediaFileOptions {
  readonly asset: MediaFileAsset;
  readonly source: MediaSource;
  readonly store: ArchiveStore;
  /**
   * Returns a fresh URL for the asset (ROUND0: fetch the interview again, take this question's `audio_url`),
   * or `undefined` when the vendor no longer lists one. Called at most once, and only when the asset has
   * `refresh` and its URL was refused with 403/404/410 or answered with a page (200 "link expired").
   * @default undefined — a refused URL fails the task
   */
  readonly refreshUrl?: () => Promise<string | undefined>;
}

/**
 * Streams `asset.sourceUrl` into `asset.key`, unless the store already holds it.
 *
 * @example
 * ```ts
 * const object = await archiveMediaFile({
 *   asset, // { kind: 'file', key: 'interviews/{id}/question_q1.mp3', refresh: { round0InterviewId, questionId }, … }
 *   source,
 *   store,
 *   // ROUND0's API read again: this question's `audio_url`
 *   refreshUrl: () => freshRound0AudioUrl(round0InterviewId, questionId),
 * });
 * ```
 * @returns the object as the store recorded it (size and SHA-256 of the stored bytes).
 * @throws {MediaUrlExpiredError} when the URL was refused as expired and the one refresh did not help.
 * @throws {UnexpectedMediaTypeError} when the source answered with something else (an HTML page, say) than
 * the asset's type; nothing is stored.
 * @throws what the `MediaSource` or the store threw, otherwise (transient or permanent, as they classify it).
 */
export const archiveMediaFile = async (options: ArchiveMediaFileOptions): Promise<ArchivedObject> => {
  const { asset, store } = options;
  const done = await store.archived(asset.key);
  if (done) return done;

  const { response, body, contentType } = await fetchWithOneRefresh(options);
  try {
    // The type the bytes were found to be: answer audio that is WAV or M4A is not stored as `audio/mpeg`.
    return await store.put(asset.key, body, {
      contentType,
      sourceUrl: withoutQuery(response.url || asset.sourceUrl),
    });
  } catch (error) {
    // The store may fail before reading the body to its end: release the connection.
    body.destroy();
    response.body.destroy();
    throw error;
  }
};

/**
 * The response and its body, checked before anything is stored: a page answered 200 in place of the file,
 * once recorded in the manifest, would be skipped by every re-run and never replaced.
 */
const fetchChecked = async (
  source: MediaSource,
  url: string,
  asset: MediaFileAsset,
): Promise<CheckedResponse> => {
  const response = await source.fetch(url);
  return { response, ...(await checkedMediaBody(response, asset.key, asset.contentType)) };
};

interface CheckedResponse {
  readonly response: MediaResponse;
  readonly body: Readable;
  /** What the body was found to be (media-type.ts). */
  readonly contentType: string;
}

const fetchWithOneRefresh = async ({
  asset,
  source,
  refreshUrl,
}: ArchiveMediaFileOptions): Promise<CheckedResponse> => {
  try {
    return await fetchChecked(source, asset.sourceUrl, asset);
  } catch (error) {
    if (!refusedAsExpired(error) || asset.refresh === undefined || refreshUrl === undefined) throw error;
  }
  // Errors of the refresh itself (ROUND0's API down) propagate as they are: transient ones retry the task,
  // which refreshes again.
  const freshUrl = await refreshUrl();
  if (freshUrl === undefined) {
    throw new MediaUrlExpiredError(asset.key, 'the vendor lists no fresh URL for it');
  }
  try {
    return await fetchChecked(source, freshUrl, asset);
  } catch (error) {
    if (!isExpiredUrlError(error)) throw error;
    throw new MediaUrlExpiredError(asset.key, 'the refreshed URL was refused too', { cause: error });
  }
};
