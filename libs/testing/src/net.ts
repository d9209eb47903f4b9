import { connect, createServer, Server, Socket } from 'node:net';

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Forwards connections on a local port to a real server, or, while down, cuts each one at once (as a
 * server that is starting or failing over would): a dependency that fails and recovers on demand
 * without touching the real server.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private forwarding = false;
  private server?: Server;
  /** Connections cut while down. */
  refused = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** Listens on a free port, down; resolves with the port. */
  async listen(): Promise<number> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return (server.address() as { port: number }).port;
  }

  /** Forwards new connections from now on. */
  up(): void {
    this.forwarding = true;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  private accept(client: Socket): void {
    if (!this.forwarding) {
      this.refused++;
      client.destroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }
}
