// Preloaded into the Next.js server process by scripts/start.mjs (`node --import`), which also
// sets NEXT_MANUAL_SIG_HANDLE so that this is the one handler of SIGTERM and SIGINT: the server
// stops taking connections and finishes the requests in flight while the portal stops its jobs
// (lib/jobs/start.ts), then the database pool closes and the process exits. A shutdown that
// takes longer than 25 s (a request stuck past every database timeout) is cut short.
import http from 'node:http';

const servers = new Set();
const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function (...args) {
  servers.add(this);
  // Once closing, every answer ends its keep-alive connection, so a client (a load balancer)
  // cannot keep a connection open past the shutdown.
  this.on('request', (_req, res) => {
    if (closing) res.setHeader('connection', 'close');
  });
  return listen.apply(this, args);
};

const graceMs = 25_000;
let closing = false;

async function shutdown(signal) {
  // Repeats are ignored: the signal often arrives twice (to the process group, and forwarded by
  // scripts/start.mjs).
  if (closing) return;
  closing = true;
  setTimeout(() => {
    console.error(`shutdown took longer than ${graceMs} ms: exiting now`);
    process.exit(1);
  }, graceMs).unref();
  const sweep = setInterval(() => servers.forEach((s) => s.closeIdleConnections?.()), 250);
  sweep.unref();
  const drained = Promise.all(
    [...servers].map(
      (server) =>
        new Promise((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections?.();
        }),
    ),
  ).then(() => clearInterval(sweep));
  try {
    const portal = globalThis.__portalShutdown;
    await (portal ? portal(drained) : drained);
    process.exit(signal === 'SIGINT' ? 130 : 0);
  } catch (err) {
    console.error('shutdown failed', err);
    process.exit(1);
  }
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
