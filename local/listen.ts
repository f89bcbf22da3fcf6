/** Binding the local servers: loopback only (nothing local is meant to be reachable from the network). */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const loopbackHost = '127.0.0.1';

/** Listens on 127.0.0.1 and resolves with the port (useful when `port` is 0). */
export const listenOnLoopback = (server: Server, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, loopbackHost, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
