/**
 * The real archive handler (functions/archive.ts) against an S3 that accepts connections and never answers
 * (DynamoDB and SQS are the emulators): the upload is stopped at the invocation's media deadline and the task
 * given back with its reason, before Lambda's timeout, where S3's own timeouts (minutes) would have run the
 * invocation out. Its own file: the handler's S3 client is made once per module, from the environment.
 */
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from '@jest/globals';
import { startEmulators } from '../../../local/emulators.js';
import { captureOutput } from '../../helpers/captured-output.js';
import { invokeArchive, micro1ReportTask, startArchiveHandler } from './archive-handler.js';
import { startReportHost } from './media-server.js';

// Prepare (once): emulators, a silent S3, a media host serving a small report, the handler's environment
const emulators = await startEmulators();
const sockets = new Set<Socket>();
const silentS3 = createServer((socket) => {
  sockets.add(socket);
  socket.on('error', () => undefined);
});
await new Promise<void>((resolve) => silentS3.listen(0, '127.0.0.1', resolve));
const media = await startReportHost();
const {
  handler,
  manifest,
  close: closeHandler,
} = await startArchiveHandler(emulators, 'archive-s3-stall-', {
  AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${(silentS3.address() as AddressInfo).port}`,
  POWERTOOLS_LOG_LEVEL: 'WARN',
});

afterAll(async () => {
  closeHandler();
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silentS3.close(() => resolve()));
  await media.close();
  await emulators.close();
});

describe('archive handler: an S3 that never answers', () => {
  it('stops the upload at its media deadline and gives the task back with why, within the invocation', async () => {
    // Prepare
    const task = micro1ReportTask('stall', media.origin);

    // Act: 5 s left (media requests end at 4.5 s); middy ends an invocation that outlives them
    const {
      result: failures,
      stderr,
      stdout,
    } = await captureOutput(() => invokeArchive(handler, task, { remainingMs: 5_000 }));

    // Assess: given back (a batch failure, not a timeout), said why, nothing recorded
    expect(failures).toHaveLength(1);
    expect(`${stdout}${stderr}`).toMatch(/"error":"ArchiveTimeBudgetError"/);
    expect(await manifest.list(task.vendor, task.interviewKey)).toEqual([]);
  });
});
