/**
 * The archive queue: one message per asset to archive (`ArchiveTask`), so a long recording never delays the
 * events queue and each asset is retried on its own. Tasks are small (URLs and keys), far below SQS's limit.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ArchiveTask } from '../archive/types.js';
import { QueueUnavailableError } from './errors.js';

/** SQS's most entries per `SendMessageBatch`. */
const maxBatchEntries = 10;

/**
 * Sends `tasks` to the archive queue, ten per request.
 * @throws {QueueUnavailableError} (transient) when SQS refuses any entry: the event is retried and sends again;
 * archiving is idempotent per object, so a task sent twice costs a skipped re-check, not a second copy.
 */
export const sendArchiveTasks = async (
  sqs: SQSClient,
  queueUrl: string,
  tasks: readonly ArchiveTask[],
): Promise<void> => {
  for (let start = 0; start < tasks.length; start += maxBatchEntries) {
    const chunk = tasks.slice(start, start + maxBatchEntries);
    const { Failed } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((task, index) => ({ Id: String(index), MessageBody: JSON.stringify(task) })),
      }),
    );
    if (Failed !== undefined && Failed.length > 0) {
      throw new QueueUnavailableError(`the archive queue refused ${Failed.length} task(s)`);
    }
  }
};
