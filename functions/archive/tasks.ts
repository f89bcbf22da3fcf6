/**
 * Which media an event asks to archive: one {@link ArchiveTask} per asset, keyed by the layout of
 * `types.ts`. Pure: the worker sends them to the archive queue.
 *
 * - ROUND0 `interview_ended` (enriched from ROUND0's API): each answer's `audio_url` →
 *   `interviews/{interview_id}/question_{question_id}.mp3`, with what the archiver needs to refresh an expired
 *   URL (`answer_{n}.mp3`, n its 1-based position, for an answer without question_id: not refreshable; a
 *   question's k-th answer, k > 1, `question_{question_id}~{k}.mp3`).
 * - micro1 `interview_report.created`: `report_url` (PDF) and `interview_recording_url` (HLS, screen);
 *   `interview_recording.completed` the screen recording, `interview_webcam_recording.completed` the webcam's.
 *   micro1's interview is its report: `interviews/{report_id}/…`.
 *
 * Enqueued at least once (a retried event enqueues again): archiving is idempotent per object (the manifest),
 * and a batch reports its completion once.
 */
import { createHash } from 'node:crypto';
import type { EnrichedInterview } from '../enrichment/enriched-interview.js';
import type { InterviewEvent } from '../vendors/envelope.js';
import { type ArchiveAsset, type ArchiveTask, archiveRoot } from './types.js';

/**
 * An id as one path segment of an archive key. Vendor ids are ids, but the payload is not ours: anything but
 * `A-Za-z0-9._-` becomes `_`, the length is bounded (S3 keys hold 1,024 bytes), and `.`/`..` would be path
 * steps to anything that maps keys to files (s3rver, a sync to disk). An id changed on the way gets `~` and
 * 16 hex digits of its SHA-256, so two ids never share a key: `a b` and `a_b` did, and the second
 * interview's audio overwrote the first's (or, two questions of one interview, was taken for it and never
 * archived). An id kept as it is (ROUND0's UUIDs, micro1's report ids) keeps the key it always had.
 */
export const archiveSegment = (value: string): string => {
  const safe = value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 128);
  if (safe === value && !/^\.*$/.test(safe)) return safe;
  return `${safe}~${createHash('sha256').update(value).digest('hex').slice(0, 16)}`;
};

const round0Assets = (interviewId: string, enriched: EnrichedInterview): ArchiveAsset[] => {
  // Answers so far to each question: ROUND0 does not say a question_id is answered once per interview, and
  // the archiver skips a key it holds, so one key per question lost a second answer's audio.
  const answersByQuestion = new Map<string, number>();
  return (enriched.responses ?? []).flatMap((response) => {
    const { questionId } = response;
    // Counted before answers without audio are dropped, as `freshAudioUrlOf` counts.
    const occurrence = questionId === undefined ? 0 : (answersByQuestion.get(questionId) ?? 0) + 1;
    if (questionId !== undefined) answersByQuestion.set(questionId, occurrence);
    if (response.audioUrl === undefined) return [];
    // An answer without question_id is named by its position under another prefix: `question_n1` could be
    // the key of a real question id `n1`, and one answer's audio would then be taken for the other's. A
    // question's first answer keeps the key it always had; a later one gets `~{occurrence}`, which no
    // `archiveSegment` output ends with (its `~` is followed by 16 hex digits), so no question id meets it.
    const name =
      questionId === undefined
        ? `answer_${response.index}`
        : `question_${archiveSegment(questionId)}${occurrence === 1 ? '' : `~${occurrence}`}`;
    return [
      {
        kind: 'file' as const,
        name,
        key: `${archiveRoot}${archiveSegment(interviewId)}/${name}.mp3`,
        sourceUrl: response.audioUrl,
        contentType: 'audio/mpeg',
        ...(questionId === undefined
          ? {}
          : {
              refresh: {
                round0InterviewId: interviewId,
                questionId,
                ...(occurrence === 1 ? {} : { occurrence }),
              },
            }),
      },
    ];
  });
};

/**
 * The fresh `audio_url` of the answer `refresh` names, in the interview read again from ROUND0's API: the
 * `occurrence`-th answer to its question (the first by default), counted as {@link archiveTasksOf} counts.
 */
export const freshAudioUrlOf = (
  responses: ReadonlyArray<{ readonly question_id?: string | null; readonly audio_url?: string | null }>,
  refresh: { readonly questionId: string; readonly occurrence?: number },
): string | undefined =>
  responses.filter((response) => response.question_id === refresh.questionId)[(refresh.occurrence ?? 1) - 1]
    ?.audio_url ?? undefined;

const micro1Assets = (
  reportId: string,
  event: InterviewEvent,
  enriched: EnrichedInterview,
): ArchiveAsset[] => {
  const root = `${archiveRoot}${archiveSegment(reportId)}/`;
  const assets: ArchiveAsset[] = [];
  if (event.type === 'interview_report.created' && enriched.reportUrl !== undefined) {
    assets.push({
      kind: 'file',
      name: 'report',
      key: `${root}report.pdf`,
      sourceUrl: enriched.reportUrl,
      contentType: 'application/pdf',
    });
  }
  const screen = enriched.recordingUrls?.screen;
  if (screen !== undefined && event.type !== 'interview_webcam_recording.completed') {
    assets.push({ kind: 'hls', name: 'screen', keyPrefix: `${root}screen/`, sourceUrl: screen });
  }
  const webcam = enriched.recordingUrls?.webcam;
  if (webcam !== undefined && event.type === 'interview_webcam_recording.completed') {
    assets.push({ kind: 'hls', name: 'webcam', keyPrefix: `${root}webcam/`, sourceUrl: webcam });
  }
  return assets;
};

/** The id an interview's objects are stored under: ROUND0's interview id, micro1's report id. */
export const archiveIdOf = (event: InterviewEvent, interviewKey: string): string | undefined => {
  if (event.vendor === 'round0') return interviewKey;
  return interviewKey.startsWith('report:') ? interviewKey.slice('report:'.length) : undefined;
};

/** The archive tasks of `event` (none for events without media). */
export const archiveTasksOf = (
  event: InterviewEvent,
  interviewKey: string,
  enriched: EnrichedInterview,
  candidate?: string,
): ArchiveTask[] => {
  const interviewId = archiveIdOf(event, interviewKey);
  if (interviewId === undefined) return [];
  const assets =
    event.vendor === 'round0'
      ? event.type === 'interview_ended'
        ? round0Assets(interviewId, enriched)
        : []
      : micro1Assets(interviewId, event, enriched);
  if (assets.length === 0) return [];
  // The batch is named by what it archives, so the same assets enqueued again form the same batch.
  const batchAssets = assets.map((asset) => asset.name);
  const batchId = `archive:${createHash('sha256')
    .update(assets.map((asset) => (asset.kind === 'file' ? asset.key : asset.keyPrefix)).join('\n'))
    .digest('hex')
    .slice(0, 16)}`;
  return assets.map((asset) => ({
    schemaVersion: 1,
    vendor: event.vendor,
    interviewKey,
    interviewId,
    batchId,
    batchAssets,
    asset,
    ...(candidate === undefined ? {} : { candidate }),
  }));
};
