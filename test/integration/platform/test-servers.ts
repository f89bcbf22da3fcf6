/**
 * Plain HTTP servers on 127.0.0.1 that record what reaches them (connections, requests, headers, bodies), for
 * the outbound client's redirect, guard and streaming tests. Two servers on two ports are two origins.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** TCP connections accepted so far: a refused URL must leave this at 0. */
  connections(): number;
  close(): Promise<void>;
}

const answerOk: Handler = (_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
};

export const startTestServer = async (handle: Handler = answerOk): Promise<TestServer> => {
  const requests: RecordedRequest[] = [];
  let connections = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body,
      });
      handle(request, response, body);
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/**
 * A handler that redirects `/redirect/<status>?to=<url>` to `to` with that status, counts down
 * `/chain/<n>` → `/chain/<n-1>` … `/chain/0`, and answers anything else 200 with the method it saw.
 */
export const redirectingHandler: Handler = (request, response) => {
  const url = new URL(request.url ?? '/', 'http://placeholder');
  const redirect = /^\/redirect\/(\d{3})$/.exec(url.pathname);
  if (redirect?.[1] !== undefined) {
    response.writeHead(Number(redirect[1]), { location: url.searchParams.get('to') ?? '/' }).end('moved');
    return;
  }
  const chain = /^\/chain\/(\d+)$/.exec(url.pathname);
  if (chain?.[1] !== undefined && Number(chain[1]) > 0) {
    response.writeHead(302, { location: `/chain/${Number(chain[1]) - 1}` }).end();
    return;
  }
  response.writeHead(200, { 'content-type': 'text/plain' }).end(`landed with ${request.method}`);
};
