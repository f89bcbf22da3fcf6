/** How many messages a queue holds, visible or in flight (received, not yet deleted), and optionally delayed. */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Messages a queue holds visible, and hidden (in flight: received, not yet deleted), as SQS counts them. */
export const queueCounts = async (
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number }> => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
};

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
