/**
 * Worker Lambda (placeholder until the worker issue lands): logs what it receives and acknowledges it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

const logger = new Logger({ serviceName: 'interview-sync-worker' });

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  for (const record of event.Records) {
    logger.info('received', { messageId: record.messageId, vendor: record.messageAttributes?.vendor?.stringValue });
  }
  return { batchItemFailures: [] };
};
