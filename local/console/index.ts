/**
 * The local console wired to a running local pipeline's emulators: what `startLocalPipeline` calls when
 * asked for a console (`npm start` does). See `server.ts` for the page and `snapshot.ts` for its data.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { resources } from '../../lib/resources.js';
import { type LocalEmulators, localAws } from '../emulators.js';
import type { LocalLog } from '../log.js';
import { type LocalConsole, startLocalConsole } from './server.js';
import { ConsoleData } from './snapshot.js';
import type { WorkerTap } from './worker-tap.js';

export type { LocalConsole } from './server.js';
export { createWorkerTap, type WorkerTap } from './worker-tap.js';

export interface PipelineConsoleOptions {
  readonly endpoints: LocalEmulators['endpoints'];
  readonly queueUrls: LocalEmulators['queueUrls'];
  readonly sqs: SQSClient;
  /** The worker's deliveries, when the runtime taps them. */
  readonly tap?: WorkerTap;
  /** @default 0 (a free port) */
  readonly port?: number;
  readonly log?: LocalLog;
}

/** Starts the console on the pipeline's emulators; `close()` also releases its clients. */
export const startPipelineConsole = async (options: PipelineConsoleOptions): Promise<LocalConsole> => {
  const base = { region: localAws.region, credentials: localAws.credentials };
  const dynamodb = new DynamoDBClient({ ...base, endpoint: options.endpoints.dynamodb });
  const s3 = new S3Client({ ...base, endpoint: options.endpoints.s3, forcePathStyle: true });
  const release = () => {
    dynamodb.destroy();
    s3.destroy();
  };
  try {
    const localConsole = await startLocalConsole({
      data: new ConsoleData({
        dynamodb,
        tableName: resources.ledgerTable.name,
        sqs: options.sqs,
        deadLetterQueueUrls: {
          events: options.queueUrls.deadLetter,
          archive: options.queueUrls.archiveDeadLetter,
        },
        ...(options.tap === undefined ? {} : { tap: options.tap }),
      }),
      s3,
      bucket: resources.bucket.name,
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.log === undefined ? {} : { log: options.log }),
    });
    return {
      url: localConsole.url,
      port: localConsole.port,
      close: async () => {
        await localConsole.close();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
};
