/** How many messages a queue holds, visible or in flight (received, not yet deleted), and optionally delayed. */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export const queueDepth = async (
  sqs: SQSClient,
  queueUrl: string,
  options: { readonly includeDelayed?: boolean } = {},
): Promise<number> => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        ...(options.includeDelayed ? (['ApproximateNumberOfMessagesDelayed'] as const) : []),
      ],
    }),
  );
  return Object.values(Attributes).reduce((sum, value) => sum + (Number(value) || 0), 0);
};
