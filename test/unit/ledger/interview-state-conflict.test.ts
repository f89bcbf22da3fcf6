/**
 * Exhausting the optimistic-concurrency retries needs a writer that always wins the race, which dynalite
 * cannot be made to produce on demand: the client is mocked for this one fault.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { InterviewStateConflictError } from '../../../functions/ledger/errors.js';
import { InterviewStateStore } from '../../../functions/ledger/interview-state.js';
import { stateUpdate } from './factories.js';

describe('InterviewStateStore under permanent contention', () => {
  it('gives up after maxAttempts with a transient InterviewStateConflictError', async () => {
    // Prepare
    // The store wraps the client in a document client, whose instances the mock replaces.
    const mock = mockClient(DynamoDBDocumentClient);
    mock.on(GetCommand).resolves({ Item: { version: 7 } });
    mock
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'lost the race', $metadata: {} }));
    const client = new DynamoDBClient({ region: 'us-east-1' });
    const store = new InterviewStateStore({ client, tableName: 'ledger', maxAttempts: 3 });

    // Act
    const result = store.advance(stateUpdate('i-1', { rank: 2 }));

    // Assess
    await expect(result).rejects.toBeInstanceOf(InterviewStateConflictError);
    await expect(result).rejects.toMatchObject({ transient: true, attempts: 3 });
    expect(mock.commandCalls(UpdateCommand)).toHaveLength(3);
    expect(mock.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: '#version = :expectedVersion',
      ExpressionAttributeValues: expect.objectContaining({ ':expectedVersion': 7 }),
    });
    mock.restore();
  });
});
