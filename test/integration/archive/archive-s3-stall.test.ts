/**
 * The real archive handler (functions/archive.ts) against an S3 that accepts connections and never answers
 * (DynamoDB and SQS are the emulators): the upload is stopped at the invocation's media deadline and the task
 * given back with its reason, before Lambda's timeout, where S3's own timeouts (minutes) would have run the
 * invocation out. Its own file: the handler's S3 client is made once per module, from the environment.
 */
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ArchiveManifest } from '../../../functions/archive/manifest.js';
import type { ArchiveTask } from '../../../functions/archive/types.js';
import { resources } from '../../../lib/resources.js';
import { startEmulators } from '../../../local/emulators.js';
import { captureOutput } from '../../helpers/captured-output.js';
import {
  archiveHandlerEnv,
  destroyHandlerClients,
  invokeArchive,
  webhookOnlySecretsFile,
} from './archive-handler.js';

// Prepare (once): emulators, a silent S3, a media host serving a small report, the handler's environment
const emulators = await startEmulators();
const sockets = new Set<Socket>();
const silentS3 = createServer((socket) => {
  sockets.add(socket);
  socket.on('error', () => undefined);
});
await new Promise<void>((resolve) => silentS3.listen(0, '127.0.0.1', resolve));
const report = Buffer.from('%PDF-1.4 a small report\n');
const media = createHttpServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(report.length) });
  response.end(report);
});
await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
const mediaOrigin = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
const { secretsFile, remove: removeSecretsFile } = webhookOnlySecretsFile('archive-s3-stall-');
Object.assign(
  process.env,
  archiveHandlerEnv(emulators, secretsFile, {
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${(silentS3.address() as AddressInfo).port}`,
    POWERTOOLS_LOG_LEVEL: 'WARN',
  }),
);
const { createArchiveHandler } = await import('../../../functions/archive.js');
const clients = await import('../../../functions/platform/clients.js');
const handler = createArchiveHandler();

afterAll(async () => {
  destroyHandlerClients(clients);
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silentS3.close(() => resolve()));
  media.closeAllConnections();
  await new Promise<void>((resolve) => media.close(() => resolve()));
  await emulators.close();
  removeSecretsFile();
});

describe('archive handler: an S3 that never answers', () => {
  it('stops the upload at its media deadline and gives the task back with why, within the invocation', async () => {
    // Prepare
    const task: ArchiveTask = {
      schemaVersion: 1,
      vendor: 'micro1',
      interviewKey: 'report:stall',
      interviewId: 'stall',
      batchId: 'batch-stall',
      batchAssets: ['report'],
      asset: {
        kind: 'file',
        name: 'report',
        key: 'interviews/report:stall/report.pdf',
        sourceUrl: `${mediaOrigin}/report.pdf`,
        contentType: 'application/pdf',
      },
    };

    // Act: 5 s left (media requests end at 4.5 s); middy ends an invocation that outlives them
    const {
      result: failures,
      stderr,
      stdout,
    } = await captureOutput(() => invokeArchive(handler, task, { remainingMs: 5_000 }));

    // Assess: given back (a batch failure, not a timeout), said why, nothing recorded
    expect(failures).toHaveLength(1);
    expect(`${stdout}${stderr}`).toMatch(/"error":"ArchiveTimeBudgetError"/);
    const manifest = new ArchiveManifest({
      client: clients.dynamoDbClient(),
      tableName: resources.ledgerTable.name,
    });
    expect(await manifest.list(task.vendor, task.interviewKey)).toEqual([]);
  });
});
