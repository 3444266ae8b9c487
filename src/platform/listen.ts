/**
 * Binding a listening socket, with the failure a person can act on. `server.listen`
 * reports EADDRINUSE/EACCES only as an 'error' event; a process that misses it logs
 * "listening" and runs on without a socket. Here the failure is a ListenError whose
 * message names the address, the cause and what to do, and the CLI exits non-zero.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';

export class ListenError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly port: number,
    readonly host: string,
  ) {
    super(message);
    this.name = 'ListenError';
  }
}

/** The message for a failed listen: what, where, and the setting that changes it (e.g. "PORT or --port"). */
export function listenErrorMessage(err: NodeJS.ErrnoException, port: number, host: string, what: string, setting: string): string {
  const where = `${host}:${port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `${what} cannot listen on ${where}: the port is already in use (EADDRINUSE). Stop the process using it (e.g. \`ss -ltnp 'sport = :${port}'\` shows it), or choose another port with ${setting}.`;
    case 'EACCES':
      return `${what} cannot listen on ${where}: permission denied (EACCES). Ports below 1024 need privileges (root or CAP_NET_BIND_SERVICE); choose a port of 1024 or above with ${setting}.`;
    case 'EADDRNOTAVAIL':
      return `${what} cannot listen on ${where}: the address is not one of this machine's (EADDRNOTAVAIL). Choose another host address.`;
    default:
      return `${what} cannot listen on ${where}: ${err.message}`;
  }
}

/** Listen on an existing server; rejects with a ListenError instead of leaving an 'error' event unheard. */
export function listenOn(server: Server, port: number, host: string, what: string, setting: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(new ListenError(listenErrorMessage(err, port, host, what, setting), err.code, port, host));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

/**
 * Bind the port before anything else is opened or written, answering 503 until a handler
 * is attached with `attach`. A process whose port is taken then fails having changed nothing.
 */
export async function reservePort(port: number, host: string, what: string, setting: string): Promise<{ server: Server; attach(handler: RequestListener): void }> {
  const placeholder = (_req: IncomingMessage, res: ServerResponse) => {
    res.statusCode = 503;
    res.setHeader('Retry-After', '1');
    res.end('starting\n');
  };
  const server = createServer(placeholder);
  await listenOn(server, port, host, what, setting);
  return {
    server,
    attach(handler) {
      server.off('request', placeholder);
      server.on('request', handler);
    },
  };
}
