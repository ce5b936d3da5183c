import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a test receiver got: one POST. */
export type Received = { id: string; type: string; headers: http.IncomingHttpHeaders; raw: string; body: any; at: number };

/**
 * A real HTTP webhook receiver on 127.0.0.1 for tests: records every POST, answers what
 * `respond` says (200 by default), can be stopped and started again on the same port.
 */
export class TestReceiver {
  received: Received[] = [];
  respond: (r: Received, n: number) => number | 'hang' = () => 200;
  /** Answers this long after a POST arrived (a slow receiver). */
  delayMs = 0;
  private server: http.Server | null = null;
  private hanging = new Set<http.ServerResponse>();
  port = 0;

  get url() {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  /** Distinct event ids in first-arrival order (what a receiver deduping by id keeps). */
  get uniqueIds(): string[] {
    return [...new Set(this.received.map((r) => r.id))];
  }

  async start(): Promise<this> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: any = null;
        try {
          body = JSON.parse(raw);
        } catch {
          /* kept raw */
        }
        const r: Received = { id: String(req.headers['portal-event-id'] ?? ''), type: String(req.headers['portal-event-type'] ?? ''), headers: req.headers, raw, body, at: Date.now() };
        this.received.push(r);
        const status = this.respond(r, this.received.length);
        if (status === 'hang') {
          this.hanging.add(res);
          return;
        }
        const answer = () => {
          res.writeHead(status, { 'content-type': 'text/plain' });
          res.end(status < 300 ? 'ok' : 'receiver says no');
        };
        if (this.delayMs > 0) setTimeout(answer, this.delayMs);
        else answer();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.hanging.clear();
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
