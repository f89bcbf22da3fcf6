/** Waiting for the pipeline to finish what it accepted: its queues empty and staying empty. */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { queueDepth } from '../queue-depth.js';

/** Messages a queue holds: visible, in flight (received, not deleted) and delayed. */
export const messagesIn = (sqs: SQSClient, queueUrl: string): Promise<number> =>
  queueDepth(sqs, queueUrl, { includeDelayed: true });

export interface DrainOptions {
  readonly sqs: SQSClient;
  readonly queueUrls: readonly string[];
  /** How long every queue must stay empty (the archive queue fills behind the worker). @default 2000 */
  readonly stableMs?: number;
  readonly timeoutMs: number;
  /** Called about every 10 s with the messages left. */
  readonly onProgress?: (messages: number) => void;
}

export interface DrainResult {
  readonly drained: boolean;
  /** From the call until the queues were first seen empty for good (or the timeout). */
  readonly seconds: number;
  /** Messages left at the end (0 when drained). */
  readonly messages: number;
}

/** Polls the queues until all are empty for `stableMs`, or `timeoutMs` passes. */
export const waitForDrain = async (options: DrainOptions): Promise<DrainResult> => {
  const started = performance.now();
  const stableMs = options.stableMs ?? 2000;
  let emptySince: number | undefined;
  let lastProgress = started;
  for (;;) {
    const counts = await Promise.all(options.queueUrls.map((url) => messagesIn(options.sqs, url)));
    const messages = counts.reduce((sum, count) => sum + count, 0);
    const now = performance.now();
    if (messages > 0) emptySince = undefined;
    else emptySince ??= now;
    if (emptySince !== undefined && now - emptySince >= stableMs) {
      return { drained: true, seconds: (emptySince - started) / 1000, messages: 0 };
    }
    if (now - started >= options.timeoutMs) {
      return { drained: false, seconds: (now - started) / 1000, messages };
    }
    if (now - lastProgress >= 10_000) {
      options.onProgress?.(messages);
      lastProgress = now;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};
