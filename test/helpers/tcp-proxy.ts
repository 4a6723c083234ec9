/**
 * A TCP forwarder that can be cut, to make PostgreSQL unreachable for one app without stopping it,
 * or black-holed: bytes are swallowed and new connections never complete, as when packets are
 * dropped on a dead route rather than refused (issue 8).
 */
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Drops every connection and refuses new ones, as a lost database host would. */
  cut(): Promise<void>;
  /** While on, nothing passes in either direction and new connections hang; off restores new traffic. */
  blackHole(on: boolean): void;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let holed = false;
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    // A connection opened while black-holed never reaches the server: its handshake hangs.
    if (holed) return;
    const upstream = connect(target.port, target.host);
    sockets.add(upstream);
    upstream.on('close', () => { sockets.delete(upstream); client.destroy(); });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    client.on('data', (chunk: Buffer) => { if (!holed) upstream.write(chunk); });
    upstream.on('data', (chunk: Buffer) => { if (!holed) client.write(chunk); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
    blackHole(on) { holed = on; },
  };
}
