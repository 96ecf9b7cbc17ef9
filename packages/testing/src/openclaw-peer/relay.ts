// A byte relay between two stream endpoints (TCP host:port or a unix socket path). It carries the gateway
// port out of the peer's loopback-only network namespace through a unix socket in a shared folder: bytes pass
// unchanged, so the gateway still sees a loopback TCP peer and no Origin header.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export type Endpoint = { path: string } | { host: string; port: number };

export type Relay = {
  /** The listening TCP port, or 0 for a unix-socket listener. */
  port: number;
  close(): Promise<void>;
};

export function startRelay(listen: Endpoint, target: Endpoint): Promise<Relay> {
  const open = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(target);
    for (const socket of [inbound, outbound]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    // A failed side ends the other: the client sees a reset, just as with a direct connection.
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen, () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address !== null ? (address as AddressInfo).port : 0,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of open) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
