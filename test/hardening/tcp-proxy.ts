/**
 * A TCP proxy on 127.0.0.1 in front of a server (PostgreSQL here) that a test can
 * turn into a black hole: bytes in both directions are swallowed and new connections
 * hang, while every socket stays open, as when a network path silently drops packets.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Swallow everything from now on (open connections and new ones). */
  blackhole(): void;
  /** Forward again (connections opened during the black hole stay dead). */
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(host: string, port: number): Promise<TcpProxy> {
  let holed = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (holed) return; // accepted, never answered
    const upstream = connect(port, host);
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      if (!holed) client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => {
      if (!holed) upstream.destroy();
    });
    client.on('data', (d) => {
      if (!holed) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!holed) client.write(d);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    blackhole: () => {
      holed = true;
    },
    restore: () => {
      holed = false;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
