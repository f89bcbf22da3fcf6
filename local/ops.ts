/**
 * `npm run ops`: operator commands against a running `npm start` (default) or a deployed stage.
 *
 *   npm run ops -- parked unmatched|failed
 *   npm run ops -- replay unmatched|failed (--all | --key <dedupe key> [--key …])
 *   deployed: add --table <ledger table> --queue-url <events queue URL> --bucket <bucket> [--region <r>]
 *
 * Listing shows ids, types and reasons only: parked envelopes hold candidate data and are never printed.
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ParkingLot } from '../functions/ledger/parking-lot.js';
import { replayParkedEvents } from '../functions/ledger/replay.js';
import { EventQueue } from '../functions/queue/event-queue.js';
import { readRuntimeInfo } from './runtime-info.js';

export class OpsUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpsUsageError';
  }
}

export const opsUsage = `usage:
  npm run ops -- parked unmatched|failed
  npm run ops -- replay unmatched|failed (--all | --key <dedupe key> [--key …])
against a deployed stage add: --table <ledger table> --queue-url <events queue URL> --bucket <bucket> [--region <region>]`;

interface Target {
  readonly parking: ParkingLot;
  readonly queue: EventQueue;
}

const connect = async (values: Record<string, unknown>, dataDir: string): Promise<Target> => {
  const table = values.table as string | undefined;
  if (table !== undefined) {
    const queueUrl = values['queue-url'] as string | undefined;
    const bucket = values.bucket as string | undefined;
    if (queueUrl === undefined || bucket === undefined) {
      throw new OpsUsageError('--table needs --queue-url and --bucket too');
    }
    const region = values.region as string | undefined;
    const config = region === undefined ? {} : { region };
    return {
      parking: new ParkingLot({ client: new DynamoDBClient(config), tableName: table }),
      queue: new EventQueue({ sqs: new SQSClient(config), s3: new S3Client(config), queueUrl, bucket }),
    };
  }
  const info = await readRuntimeInfo(dataDir);
  if (info === undefined) {
    throw new OpsUsageError(
      'no local pipeline is running (start it with `npm start`), or pass --table for a deployed stage',
    );
  }
  const base = { region: info.region, credentials: info.credentials };
  return {
    parking: new ParkingLot({
      client: new DynamoDBClient({ ...base, endpoint: info.endpoints.dynamodb }),
      tableName: info.ledgerTable,
    }),
    queue: new EventQueue({
      sqs: new SQSClient({ ...base, endpoint: info.endpoints.sqs }),
      s3: new S3Client({ ...base, endpoint: info.endpoints.s3, forcePathStyle: true }),
      queueUrl: info.eventsQueueUrl,
      bucket: info.bucket,
    }),
  };
};

const kindOf = (value: string | undefined) => {
  if (value !== 'unmatched' && value !== 'failed')
    throw new OpsUsageError('say which parked events: unmatched or failed');
  return value;
};

/** Runs one ops command; returns the lines to print. */
export const runOps = async (argv: readonly string[], dataDir: string): Promise<string[]> => {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      all: { type: 'boolean' },
      key: { type: 'string', multiple: true },
      table: { type: 'string' },
      'queue-url': { type: 'string' },
      bucket: { type: 'string' },
      region: { type: 'string' },
    },
  });
  const [command, kindArg] = positionals;
  if (command !== 'parked' && command !== 'replay') throw new OpsUsageError(opsUsage);
  const kind = kindOf(kindArg);
  const target = await connect(values, dataDir);

  if (command === 'parked') {
    const parked = await target.parking.list(kind);
    if (parked.length === 0) return [`no ${kind} events parked`];
    return parked.map((p) => `${p.parkedAt}  ${p.vendor}  ${p.eventType}  ${p.dedupeKey}  — ${p.reason}`);
  }
  if (values.all !== true && (values.key === undefined || values.key.length === 0)) {
    throw new OpsUsageError('replay needs --all or at least one --key <dedupe key>');
  }
  const outcome = await replayParkedEvents({
    parking: target.parking,
    publish: (event) => target.queue.publish(event),
    kind,
    dedupeKeys: values.all === true ? undefined : values.key,
  });
  return [
    `replayed ${outcome.replayed.length} ${kind} event(s)${outcome.replayed.length ? `: ${outcome.replayed.join(', ')}` : ''}`,
    ...outcome.skipped.map((s) => `skipped ${s.dedupeKey}: ${s.reason}`),
  ];
};
