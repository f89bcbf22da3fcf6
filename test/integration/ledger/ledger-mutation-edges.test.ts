/**
 * Edges of the interview ledger that the main ledger tests leave open (found by mutation testing): errors
 * other than a failed condition, versions the item never had, a stale ATS match without an application, and
 * the strongly consistent reads decisions are made on.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { EffectClaimLostError } from '../../../functions/ledger/errors.js';
import { InterviewLedger, interviewStatePk } from '../../../functions/ledger/interview-ledger.js';
import { claimedEffect } from '../../../functions/ledger/interview-state.js';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite.js';
import { stateUpdate } from '../../unit/ledger/factories.js';
import { aClaimedState, anInterviewKey, credentials, lease, t0, tableName, vendor } from './ledger-world.js';

describe('InterviewLedger edges (dynalite)', () => {
  let dynamo: LocalDynamo;
  let documents: DynamoDBDocumentClient;
  let ledger: InterviewLedger;
  const clients: DynamoDBClient[] = [];

  /** The item as stored. */
  const rawItem = async (interviewKey: string) =>
    (
      await documents.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: interviewStatePk(vendor, interviewKey), sk: 'STATE' },
          ConsistentRead: true,
        }),
      )
    ).Item;

  /** A client to dynalite with one SDK attempt per request that shows `onRequest` each request first (it may throw). */
  const aClient = (onRequest: (command: string, input: Record<string, unknown>) => void) => {
    const client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials,
      maxAttempts: 1,
    });
    clients.push(client);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        onRequest(String(context.commandName), args.input as Record<string, unknown>);
        return next(args);
      },
      { step: 'initialize', name: `edge-${randomUUID()}` },
    );
    return client;
  };

  beforeAll(async () => {
    dynamo = await startDynalite();
    documents = DynamoDBDocumentClient.from(dynamo.client);
    ledger = new InterviewLedger({ client: dynamo.client, tableName, now: () => t0 });
  });

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await dynamo.close();
  });

  describe('commit', () => {
    it.each([
      [
        'a throttle',
        'ProvisionedThroughputExceededException',
        'Rate of requests exceeds the allowed throughput',
      ],
      ['a refused request', 'ValidationException', 'One or more parameter values were invalid'],
    ])('rejects with %s, neither a conflict nor an item too large', async (_case, name, message) => {
      // Prepare: the item exists; DynamoDB then refuses the next update for a reason of its own
      const key = anInterviewKey();
      const first = aClaimedState(stateUpdate(key, { rank: 2 }), 'attempt-1');
      await ledger.commit(first, undefined);
      const refused = Object.assign(new Error(message), { name, $metadata: {} });
      const client = aClient((command) => {
        if (command === 'UpdateItemCommand') throw refused;
      });
      const refusing = new InterviewLedger({ client, tableName, now: () => t0 });
      const before = await rawItem(key);

      // Act
      const commit = refusing.commit({ ...first, fields: { more: true } }, 1, Object.keys(first.events)[0]);

      // Assess: "false" would have the caller re-read and decide again as if another writer had won
      await expect(commit).rejects.toBe(refused);
      expect(await rawItem(key)).toEqual(before);
    });

    it('refuses a commit that expects a version the item has not reached', async () => {
      // Prepare: the item is at version 1
      const key = anInterviewKey();
      const first = aClaimedState(stateUpdate(key, { rank: 2, fields: { by: 'first' } }), 'attempt-1');
      await ledger.commit(first, undefined);
      const before = await rawItem(key);

      // Act
      const committed = await ledger.commit({ ...first, fields: { by: 'from-the-future' } }, 5);

      // Assess
      expect(committed).toBe(false);
      expect(await rawItem(key)).toEqual(before);
    });
  });

  describe('settle replaceMatch', () => {
    it('replaces nothing when the stale match had no application but the stored one has (another attempt found it)', async () => {
      // Prepare: attempt-1 holds the event; the stored match gained an application since attempt-1 read it
      const key = anInterviewKey();
      const update = stateUpdate(key, { rank: 3, status: 'completed' });
      const stale = { candidateId: '11' };
      const stored = { candidateId: '11', applicationId: '102' };
      const merged = { candidateId: '12', applicationId: '101' };
      await ledger.commit(
        {
          ...aClaimedState(update, 'attempt-1', {
            note: claimedEffect(undefined, 'attempt-1', update.eventKey, t0 + lease),
          }),
          atsMatch: stored,
        },
        undefined,
      );
      const before = await rawItem(key);

      // Act
      const settle = ledger.settle(vendor, key, {
        owner: 'attempt-1',
        eventKey: update.eventKey,
        event: { advanced: true, owner: 'attempt-1', leaseUntil: 0 },
        effects: { note: null },
        replaceMatch: { from: stale, to: merged },
      });

      // Assess
      await expect(settle).rejects.toBeInstanceOf(EffectClaimLostError);
      expect(await rawItem(key)).toEqual(before);
      expect((await ledger.read(vendor, key))?.atsMatch).toEqual(stored);
    });

    it('replaces a stale match that had no application while it is still the one stored', async () => {
      // Prepare
      const key = anInterviewKey();
      const update = stateUpdate(key, { rank: 3, status: 'completed' });
      const stale = { candidateId: '11' };
      const merged = { candidateId: '12', applicationId: '101' };
      await ledger.commit({ ...aClaimedState(update, 'attempt-1'), atsMatch: stale }, undefined);

      // Act
      const settled = await ledger.settle(vendor, key, {
        owner: 'attempt-1',
        eventKey: update.eventKey,
        event: { advanced: true, owner: 'attempt-1', leaseUntil: 0 },
        effects: {},
        replaceMatch: { from: stale, to: merged },
      });

      // Assess
      expect(settled.atsMatch).toEqual(merged);
      expect((await ledger.read(vendor, key))?.atsMatch).toEqual(merged);
    });
  });

  describe('effect records', () => {
    it('counts every claim of an effect, the first and each one over an unfinished attempt', () => {
      // Act
      const first = claimedEffect(undefined, 'attempt-1', 'evt-1', t0 + lease);
      const second = claimedEffect(first, 'attempt-2', 'evt-1', t0 + 2 * lease);

      // Assess
      expect([first.attempts, second.attempts]).toEqual([1, 2]);
    });
  });

  describe('read', () => {
    it('asks DynamoDB for a strongly consistent read, as the dedupe and claims are decided on it', async () => {
      // Prepare: record what each GetItem asks for
      const asked: unknown[] = [];
      const client = aClient((command, input) => {
        if (command === 'GetItemCommand') asked.push(input.ConsistentRead);
      });
      const reading = new InterviewLedger({ client, tableName, now: () => t0 });

      // Act
      await reading.read(vendor, anInterviewKey());

      // Assess
      expect(asked).toEqual([true]);
    });
  });
});
