/**
 * Creates the DynamoDB tables described in `lib/resources.ts` on a local endpoint (dynalite), for the
 * local runtime and the integration tests. Idempotent: a table that already exists is left as it is.
 *
 * TTL is not configured: dynalite does not implement `UpdateTimeToLive`, and the code checks expiry
 * itself (lease and expiry conditions), so nothing depends on items actually being deleted.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { resources } from '../lib/resources.js';

const tableInputs: readonly CreateTableCommandInput[] = [
  {
    TableName: resources.ledgerTable.name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: resources.ledgerTable.partitionKey, AttributeType: 'S' },
      { AttributeName: resources.ledgerTable.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: resources.ledgerTable.partitionKey, KeyType: 'HASH' },
      { AttributeName: resources.ledgerTable.sortKey, KeyType: 'RANGE' },
    ],
  },
];

/** How long to wait for a new table to become ACTIVE (dynalite keeps it CREATING for 500 ms by default). */
const activeTimeoutMs = 10_000;

/** Creates the ledger table if they do not exist, and waits until they are ACTIVE. */
export async function createDynamoTables(client: DynamoDBClient): Promise<void> {
  await Promise.all(
    tableInputs.map(async (input) => {
      try {
        await client.send(new CreateTableCommand(input));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
      await waitUntilActive(client, String(input.TableName));
    }),
  );
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  const deadline = Date.now() + activeTimeoutMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline)
      throw new Error(`table ${tableName} is not ACTIVE after ${activeTimeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
