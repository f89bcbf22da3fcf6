/**
 * Internal events the archive puts on the events queue, so that what it learns reaches the ATS through the
 * same path as a vendor's late parts (the sync's plan): `archive.completed` when every asset of a batch is
 * archived. A parked archive task travels as `archive.task` when an operator replays it: the worker sends it
 * back to the archive queue.
 */
import type { InterviewEvent } from '../vendors/envelope.js';
import { archiveSegment } from './tasks.js';
import { type ArchiveTask, archiveRoot } from './types.js';

export const archiveEventTypes = {
  completed: 'archive.completed',
  task: 'archive.task',
} as const;

/** What an `archive.completed` event says (no PII: ids, a location and counts). */
export interface ArchiveCompletedPayload {
  readonly interviewKey: string;
  readonly interviewId: string;
  readonly batchId: string;
  /** `s3://<bucket>/interviews/<id>/`. */
  readonly location: string;
  /** A link a recruiter's browser can open (the S3 console's view of the prefix). */
  readonly link: string;
}

/** The `archive.completed` event of a task's batch (deduplicated by batch: one per batch, however often sent). */
export const archiveCompletedEvent = (
  task: ArchiveTask,
  location: { readonly bucket: string; readonly region: string },
  now: Date,
): InterviewEvent => {
  // The prefix the objects are stored under (`tasks.ts`): an id made safe for a key is not the raw id.
  const prefix = `${archiveRoot}${archiveSegment(task.interviewId)}/`;
  const payload: ArchiveCompletedPayload = {
    interviewKey: task.interviewKey,
    interviewId: task.interviewId,
    batchId: task.batchId,
    location: `s3://${location.bucket}/${prefix}`,
    link: `https://s3.console.aws.amazon.com/s3/buckets/${encodeURIComponent(location.bucket)}?region=${encodeURIComponent(location.region)}&prefix=${encodeURIComponent(prefix)}`,
  };
  return {
    schemaVersion: 1,
    vendor: task.vendor,
    type: archiveEventTypes.completed,
    known: true,
    dedupeKey: `${task.vendor}:${archiveEventTypes.completed}:${task.interviewKey}:${task.batchId}`,
    occurredAt: now.toISOString(),
    receivedAt: now.toISOString(),
    candidate: {},
    payload,
  };
};

/** A parked archive task as an envelope (what the parking lot and its replay carry). */
export const archiveTaskEvent = (task: ArchiveTask, now: Date): InterviewEvent => ({
  schemaVersion: 1,
  vendor: task.vendor,
  type: archiveEventTypes.task,
  known: true,
  dedupeKey: `${task.vendor}:${archiveEventTypes.task}:${task.interviewKey}:${task.batchId}:${task.asset.name}`,
  receivedAt: now.toISOString(),
  candidate: {},
  payload: task,
});
