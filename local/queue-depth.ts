/** How many messages a queue holds, visible or in flight (received, not yet deleted). */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export const queueDepth = async (sqs: SQSClient, queueUrl: string): Promise<number> => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible)
  );
};
