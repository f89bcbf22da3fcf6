/**
 * Edges of `ops watch` (local/ops/watch.ts): a deleted log group and a console answering an error are said
 * as such, and a row the console sends again unchanged is printed once.
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { StageError } from '../../../local/ops/errors.js';
import { consoleEventLine, watchDeployed, watchLocal } from '../../../local/ops/watch.js';

const logs = mockClient(CloudWatchLogsClient);

afterEach(() => {
  logs.reset();
});

const since = new Date('2026-05-01T11:00:00.000Z');

/** Serves `handler` on a free local port for the time of `use`. */
const withConsole = async <T>(handler: RequestListener, use: (url: string) => Promise<T>): Promise<T> => {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await use(`http://127.0.0.1:${port}/console`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
};

const row = {
  dedupeKey: 'round0:evt_1',
  vendor: 'round0',
  type: 'interview_ended',
  outcome: 'done',
  time: '2026-05-01T12:00:00.000Z',
};

describe('ops watch --stage (edges)', () => {
  it('says a log group that does not exist is to be deployed again', async () => {
    // Prepare
    logs
      .on(FilterLogEventsCommand)
      .rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));

    // Act
    const watch = watchDeployed({
      logs: new CloudWatchLogsClient({ region: 'us-east-1' }),
      logGroups: { ingest: '/aws/lambda/ingest' },
      print: () => undefined,
      since,
      once: true,
    });

    // Assess
    await expect(watch).rejects.toBeInstanceOf(StageError);
    await expect(watch).rejects.toThrow(
      'log group /aws/lambda/ingest does not exist: deploy the stage again',
    );
  });
});

describe('ops watch (local, edges)', () => {
  it('prints a row once though the console sends it again unchanged, and again once it changes', async () => {
    // Prepare: the same snapshot twice, then the row delivered a second time
    const again = { ...row, deliveries: 2 };
    const printed: string[] = [];

    // Act
    await withConsole(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify({ events: [row] })}\n\n`);
        res.write(`data: ${JSON.stringify({ events: [row] })}\n\n`);
        res.end(`data: ${JSON.stringify({ events: [again] })}\n\n`);
      },
      (consoleUrl) => watchLocal({ consoleUrl, print: (line) => printed.push(line), since }),
    );

    // Assess
    expect(printed).toEqual([
      expect.stringMatching(/interview_ended +done {2}round0:evt_1$/),
      expect.stringMatching(/interview_ended +done \(delivered 2 times\) {2}round0:evt_1$/),
      'the local pipeline stopped (npm start ended)',
    ]);
  });

  it('with --once, says the console answered an error rather than printing nothing', async () => {
    // Act
    const watch = withConsole(
      (_req, res) => {
        res.writeHead(503).end('{"events":[]}');
      },
      (consoleUrl) => watchLocal({ consoleUrl, print: () => undefined, since, once: true }),
    );

    // Assess
    await expect(watch).rejects.toThrow('the local console answered 503');
  });

  it('leaves out the rows older than --since', async () => {
    // Prepare: one row an hour before --since, one an hour after
    const older = { ...row, dedupeKey: 'round0:evt_0', time: '2026-05-01T10:00:00.000Z' };
    const printed: string[] = [];

    // Act
    await withConsole(
      (_req, res) => {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ events: [older, row] }));
      },
      (consoleUrl) => watchLocal({ consoleUrl, print: (line) => printed.push(line), since, once: true }),
    );

    // Assess
    expect(printed).toEqual([expect.stringMatching(/ round0:evt_1$/)]);
  });

  it('while following, says the console answered an error rather than waiting on nothing', async () => {
    // Act
    const watch = withConsole(
      (_req, res) => {
        res.writeHead(500, { 'content-type': 'text/event-stream' }).end();
      },
      (consoleUrl) => watchLocal({ consoleUrl, print: () => undefined, since }),
    );

    // Assess
    await expect(watch).rejects.toThrow('the local console answered 500');
  });

  it('says npm start is not running when nothing listens at the console’s address', async () => {
    // Prepare: a port that was free a moment ago, closed again
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));

    // Act
    const error = await watchLocal({
      consoleUrl: `http://127.0.0.1:${port}/console`,
      print: () => undefined,
      since,
      once: true,
    }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(StageError);
    expect((error as Error).message).toMatch(/does not answer: is npm start running\?$/);
  });

  it('shows a parked event as bad, red on a terminal', () => {
    // Act
    const line = consoleEventLine({ ...row, outcome: 'parked', detail: 'candidate not found' });

    // Assess
    expect(line).toMatchObject({ outcome: 'parked: candidate not found', tone: 'bad' });
  });
});
