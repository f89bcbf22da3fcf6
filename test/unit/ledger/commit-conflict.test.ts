/**
 * `InterviewLedger.commit` and `settle` refused by their condition on DynamoDB itself: the failure carries the item
 * (`ReturnValuesOnConditionCheckFailure`), so telling its own resent write from another's costs no read.
 * dynalite returns no item; that path is tested against it in test/integration/ledger.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { EffectClaimLostError } from '../../../functions/ledger/errors.js';
import { InterviewLedger } from '../../../functions/ledger/interview-ledger.js';
import { emptyInterviewState } from '../../../functions/ledger/interview-state.js';

const documents = mockClient(DynamoDBDocumentClient);
afterEach(() => {
  documents.reset();
});

const ledger = () =>
  new InterviewLedger({
    client: new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    }),
    tableName: 'ledger',
  });

/** Refuses every update as DynamoDB does, with the item holding `tokenOf(the update's own token)`. */
const refuseWithItemHolding = (tokenOf: (own: string) => string) =>
  documents.on(UpdateCommand).callsFake((input) => {
    const own = String(input.ExpressionAttributeValues?.[':commitToken']);
    throw new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: {},
      Item: {
        commitToken: { S: tokenOf(own) },
        version: { N: '4' },
        events: { M: { 'round0:evt_1': { M: { advanced: { BOOL: true }, done: { BOOL: true } } } } },
      },
    });
  });

describe('InterviewLedger.commit and settle refused by DynamoDB', () => {
  const state = emptyInterviewState('round0', 'int-1');

  it('is its own write when the item holds its token (a resent commit), with no read', async () => {
    refuseWithItemHolding((own) => own);
    expect(await ledger().commit(state, 3)).toBe(true);
    expect(documents.commandCalls(UpdateCommand)[0]?.args[0].input.ReturnValuesOnConditionCheckFailure).toBe(
      'ALL_OLD',
    );
    expect(documents.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('is a conflict when another commit wrote the item, with no read', async () => {
    refuseWithItemHolding(() => 'another-commit');
    expect(await ledger().commit(state, 3)).toBe(false);
    expect(documents.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('settles to the item the failure carries when it holds its own token, with no read', async () => {
    refuseWithItemHolding((own) => own);
    const settled = await ledger().settle('round0', 'int-1', {
      owner: 'attempt-1',
      eventKey: 'round0:evt_1',
      event: { advanced: true, done: true },
      effects: {},
    });
    expect(settled).toMatchObject({ version: 4, events: { 'round0:evt_1': { advanced: true, done: true } } });
    expect(documents.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('loses its claim when another attempt wrote the item', async () => {
    refuseWithItemHolding(() => 'another-commit');
    await expect(
      ledger().settle('round0', 'int-1', {
        owner: 'attempt-1',
        eventKey: 'round0:evt_1',
        event: { advanced: true, done: true },
        effects: {},
      }),
    ).rejects.toBeInstanceOf(EffectClaimLostError);
  });
});
