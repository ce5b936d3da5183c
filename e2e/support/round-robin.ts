import http from 'node:http';
import { freePort } from './portal';

/**
 * A small HTTP load balancer on 127.0.0.1: each request goes to the next instance in turn (per
 * request, not per connection, so one browser's steps land on different instances); an instance
 * that refuses the connection is skipped, as a load balancer's health check would. `served`
 * records which instance answered each path.
 */
export class RoundRobin {
  readonly served: { path: string; instance: string; status: number }[] = [];
  private turn = 0;

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
    private readonly instances: string[],
  ) {}

  get url() {
    return `http://localhost:${this.port}`;
  }

  static async start(instances: string[], port?: number): Promise<RoundRobin> {
    const p = port ?? (await freePort());
    let lb: RoundRobin;
    const server = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      for (let tries = 0; tries < lb.instances.length; tries++) {
        const instance = lb.instances[lb.turn++ % lb.instances.length];
        try {
          const answer = await forward(instance, req, body);
          lb.served.push({ path: (req.url ?? '').split('?')[0], instance, status: answer.statusCode ?? 0 });
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') {
            res.writeHead(502).end(String(err));
            return;
          }
        }
      }
      res.writeHead(503).end('no instance answers');
    });
    await new Promise<void>((resolve) => server.listen(p, '127.0.0.1', resolve));
    lb = new RoundRobin(server, p, instances);
    return lb;
  }

  /** The instances that answered requests whose path starts with `prefix`. */
  instancesFor(prefix: string): Set<string> {
    return new Set(this.served.filter((s) => s.path.startsWith(prefix)).map((s) => s.instance));
  }

  async close() {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

function forward(instance: string, req: http.IncomingMessage, body: Buffer): Promise<http.IncomingMessage> {
  const target = new URL(req.url ?? '/', instance);
  return new Promise((resolve, reject) => {
    const out = http.request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers, agent: false },
      resolve,
    );
    out.on('error', reject);
    out.end(body);
  });
}
