import net from 'node:net';
import { freePort } from './portal';

/**
 * A TCP relay on 127.0.0.1 in front of a server (the test's PostgreSQL), standing for the network
 * between the portal and its database. `stall()` freezes it as a broken link does: connections
 * stay open, nothing more gets through either way (the relay holds what arrives), new
 * connections are accepted and then hear nothing. `resume()` delivers the held bytes. A side that closes closes the other.
 */
export class TcpRelay {
  private stalled = false;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  /** Bytes that arrived during a stall, in order, with where they go. */
  private held: [net.Socket, Buffer][] = [];

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpRelay> {
    const port = await freePort();
    let relay: TcpRelay;
    const server = net.createServer((client) => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      const pair = { client, upstream };
      relay.pairs.add(pair);
      client.on('data', (d: Buffer) => relay.forward(upstream, d));
      upstream.on('data', (d: Buffer) => relay.forward(client, d));
      const close = () => {
        relay.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      for (const s of [client, upstream]) {
        s.on('error', close);
        s.on('close', close);
      }
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    relay = new TcpRelay(server, port);
    return relay;
  }

  /** The connection string of the database behind the relay. */
  url(database = 'postgres') {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private forward(to: net.Socket, data: Buffer) {
    if (this.stalled) this.held.push([to, data]);
    else if (!to.destroyed) to.write(data);
  }

  stall() {
    this.stalled = true;
  }

  resume() {
    this.stalled = false;
    for (const [to, data] of this.held.splice(0)) if (!to.destroyed) to.write(data);
  }

  cut() {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
  }

  async close() {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise((r) => this.server.close(r));
  }
}
