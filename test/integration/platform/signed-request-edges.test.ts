/**
 * `exchange` (functions/platform/signed-request.ts) against a real server on 127.0.0.1: the attempt’s timer
 * ends with the answer, so nothing is left to fire once the ingest’s write is done.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { exchange, keepAliveAgents } from '../../../functions/platform/signed-request.js';
import { startTestServer, type TestServer } from './test-servers.js';

describe('exchange', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(() => server.close());

  afterEach(() => {
    jest.useRealTimers();
  });

  it('clears its attempt timer once the answer is in', async () => {
    // Prepare: only the global timers are faked; sockets keep their own
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const agents = keepAliveAgents();

    // Act
    const answer = await exchange(agents, {
      origin: new URL(server.url),
      path: '/object',
      method: 'PUT',
      headers: {},
      body: 'claim check',
      timeoutMs: 1_500,
    });
    await new Promise((resolve) => setImmediate(resolve));

    // Assess
    expect(answer).toMatchObject({ status: 200, body: 'ok' });
    expect(jest.getTimerCount()).toBe(0);
    agents.http.destroy();
  });

  it('fails at once, as no answer, when the connection is cut half-way through the answer', async () => {
    // Prepare: a server that promises 100 bytes, sends 7 and drops the connection
    const cutting = await startTestServer((_request, response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write('partial', () => response.socket?.destroy());
    });
    const agents = keepAliveAgents();

    // Act: an attempt time far beyond the test’s, so only the cut can end it
    const outcome = await exchange(agents, {
      origin: new URL(cutting.url),
      path: '/object',
      method: 'PUT',
      headers: {},
      body: 'claim check',
      timeoutMs: 120_000,
    }).catch((error: unknown) => error);

    // Assess: rejected with the connection’s error (from Node’s realm, so not `instanceof` jest’s Error)
    expect(outcome).toMatchObject({ message: expect.stringMatching(/aborted|hang up|reset/i) });
    expect(outcome).not.toHaveProperty('status');
    agents.http.destroy();
    await cutting.close();
  });
});
