/**
 * The archive queue: one message per asset to archive (`ArchiveTask`), so a long recording never delays the
 * events queue and each asset is retried on its own. Tasks are small (URLs and keys), far below SQS's limit.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ArchiveTask } from '../archive/types.js';
import { QueueUnavailableError } from './errors.js';
import { sqsSafeJson } from './event-queue.js';

/** SQS's most entries per `SendMessageBatch`. */
const maxBatchEntries = 10;

/**
 * Sends `tasks` to the archive queue, ten per request: one sender alone, as {@link ArchiveTaskBatcher} sends
 * a lone record's (at once, no wait).
 * @throws {QueueUnavailableError} (transient) when SQS refuses any entry: the event is retried and sends again;
 * archiving is idempotent per object, so a task sent twice costs a skipped re-check, not a second copy.
 */
export const sendArchiveTasks = (
  sqs: SQSClient,
  queueUrl: string,
  tasks: readonly ArchiveTask[],
): Promise<void> => new ArchiveTaskBatcher(sqs, queueUrl, 1).send(tasks);

/** Most bytes of message bodies put in one `SendMessageBatch` (SQS's limit for a batch's payload). */
const maxBatchBytes = 256 * 1024;

interface WaitingSend {
  readonly tasks: readonly ArchiveTask[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The archive tasks of one worker invocation's records, sent together: as few `SendMessageBatch` requests
 * as their count allows (ten entries each), where each event sent its own — on a busy queue a tenth of the
 * requests, SQS's $0.40 per million each (BENCHMARKS.md, cost). A record's {@link send} waits until every
 * record of the invocation still running is waiting too (a record that ends without tasks says so with
 * {@link finished}), or `maxWaitMs` after the first one began to wait, so a slow record (an ATS write, a
 * vendor API) holds the others' writes back by that much at most. A lone record sends at once.
 *
 * Each {@link send} resolves once SQS accepted all of its tasks, and fails (with
 * {@link QueueUnavailableError} for a refused entry, the request's own error otherwise) when any was not: the caller's event is then retried and sends them all
 * again (archiving is idempotent per object), exactly as when it sent alone; a crash before the send leaves
 * the event unfinished, one after it leaves tasks that a retry sends again.
 */
export class ArchiveTaskBatcher {
  readonly #sqs: SQSClient;
  readonly #queueUrl: string;
  readonly #maxWaitMs: number;
  #running: number;
  #waiting: WaitingSend[] = [];
  #timer: NodeJS.Timeout | undefined;

  /** `records`: how many records of the invocation will either {@link send} or be {@link finished}. */
  constructor(sqs: SQSClient, queueUrl: string, records: number, maxWaitMs = 50) {
    this.#sqs = sqs;
    this.#queueUrl = queueUrl;
    this.#running = records;
    this.#maxWaitMs = maxWaitMs;
  }

  /** Sends `tasks` with the other records' (see the class). */
  send(tasks: readonly ArchiveTask[]): Promise<void> {
    if (tasks.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ tasks, resolve, reject });
      if (!this.#flushIfAllWait()) this.#timer ??= setTimeout(() => this.#flush(), this.#maxWaitMs);
    });
  }

  /** One record of the invocation ended (whatever its outcome): the others no longer wait for it. */
  finished(): void {
    this.#running = Math.max(0, this.#running - 1);
    this.#flushIfAllWait();
  }

  #flushIfAllWait(): boolean {
    if (this.#waiting.length === 0 || this.#waiting.length < this.#running) return false;
    this.#flush();
    return true;
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const waiting = this.#waiting;
    this.#waiting = [];
    void this.#sendAll(waiting);
  }

  async #sendAll(waiting: readonly WaitingSend[]): Promise<void> {
    try {
      await this.#sendEach(waiting);
    } catch (error) {
      // Never left waiting (until Lambda's timeout fails the whole batch): whatever went wrong fails them all.
      for (const send of waiting) send.reject(error);
    }
  }

  async #sendEach(waiting: readonly WaitingSend[]): Promise<void> {
    const entries = waiting.flatMap((send, owner) =>
      // Ids from a payload may hold U+FFFE/U+FFFF, which SQS refuses raw: the task would fail its event for ever.
      send.tasks.map((task) => ({ owner, body: sqsSafeJson(task) })),
    );
    const failures = new Map<number, unknown>();
    const chunks: Array<typeof entries> = [];
    let chunkBytes = 0;
    for (const entry of entries) {
      const bytes = Buffer.byteLength(entry.body);
      const chunk = chunks.at(-1);
      if (chunk === undefined || chunk.length >= maxBatchEntries || chunkBytes + bytes > maxBatchBytes) {
        chunks.push([entry]);
        chunkBytes = bytes;
      } else {
        chunk.push(entry);
        chunkBytes += bytes;
      }
    }
    await Promise.all(
      chunks.map(async (chunk) => {
        try {
          const { Failed = [] } = await this.#sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: this.#queueUrl,
              Entries: chunk.map((entry, index) => ({ Id: String(index), MessageBody: entry.body })),
            }),
          );
          for (const failed of Failed) {
            const owner = chunk[Number(failed.Id)]?.owner;
            if (owner !== undefined && !failures.has(owner))
              failures.set(owner, new QueueUnavailableError('the archive queue refused a task'));
          }
        } catch (error) {
          // As it came (a throttle, a timeout): what the worker logs and classifies.
          for (const entry of chunk) if (!failures.has(entry.owner)) failures.set(entry.owner, error);
        }
      }),
    );
    waiting.forEach((send, owner) => {
      if (failures.has(owner)) send.reject(failures.get(owner));
      else send.resolve();
    });
  }
}
