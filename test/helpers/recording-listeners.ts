/**
 * HTTP listeners on every address of this machine, IPv4 (`0.0.0.0`: all of 127.0.0.0/8 and each interface's
 * address) and IPv6 (`[::]`, IPv6 only: [::1] and each interface's address), on the same port, that record
 * every TCP connection they accept: an SSRF test points its refused URLs at that port and expects both
 * counts to stay at zero, so a request that reached the machine by any of its own addresses, not only
 * 127.0.0.1, is seen. They answer 200 `ok`, so a control can show a connection would have been seen.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordingListeners {
  readonly port: number;
  /** Connections accepted on any IPv4 address of this machine (including IPv4-mapped `::ffff:127.0.0.1`). */
  ipv4(): number;
  /** Connections accepted on any IPv6 address of this machine ([::1], `[::]`, an interface's). */
  ipv6(): number;
  total(): number;
  close(): Promise<void>;
}

const listen = (server: Server, port: number, host: string) =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // IPv6 only on `::`: else it would take IPv4 too, and the two could not share the port.
    server.listen({ port, host, ipv6Only: host === '::' }, () => {
      server.off('error', reject);
      resolve();
    });
  });

const recordingServer = () => {
  let connections = 0;
  const server = createServer((_request, response) => {
    // One request per connection, so every request of a control shows up as a new connection.
    response.writeHead(200, { 'content-type': 'text/plain', connection: 'close' }).end('ok');
  });
  server.on('connection', () => {
    connections += 1;
  });
  return { server, connections: () => connections };
};

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/** Starts both listeners on one free port (retried when [::] finds the port taken). */
export const startRecordingListeners = async (): Promise<RecordingListeners> => {
  for (let attempt = 1; ; attempt += 1) {
    const v4 = recordingServer();
    const v6 = recordingServer();
    await listen(v4.server, 0, '0.0.0.0');
    const { port } = v4.server.address() as AddressInfo;
    try {
      await listen(v6.server, port, '::');
    } catch (error) {
      await close(v4.server);
      if (attempt >= 5) throw error;
      continue;
    }
    return {
      port,
      ipv4: v4.connections,
      ipv6: v6.connections,
      total: () => v4.connections() + v6.connections(),
      close: async () => {
        await Promise.all([close(v4.server), close(v6.server)]);
      },
    };
  }
};
