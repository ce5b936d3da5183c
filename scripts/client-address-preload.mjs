// Preloaded into the Next.js server process by scripts/start.mjs (`node --import`): makes
// `X-Forwarded-For` hold exactly one address — the client's (scripts/client-address.mjs) — before
// Next.js or the portal sees the request. Next.js itself only fills the header when it is absent,
// so without this a client could name any address and pass the sign-in and console IP allowlists.
import http from 'node:http';
import { clientAddress, trustedProxies } from './client-address.mjs';

const trusted = trustedProxies(process.env.TRUSTED_PROXIES);
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req, ...rest) {
  if (event === 'request' && req?.socket) {
    const ip = clientAddress(trusted, req.socket.remoteAddress, req.headers['x-forwarded-for']);
    if (ip) req.headers['x-forwarded-for'] = ip;
    else delete req.headers['x-forwarded-for'];
    delete req.headers['x-real-ip'];
  }
  return emit.call(this, event, req, ...rest);
};
