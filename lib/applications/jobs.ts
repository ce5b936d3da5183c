import 'server-only';
import { dbHandle } from '../db/client';
import type { Job } from '../jobs/scheduler';
import { USER_SESSION_TTL_SECONDS } from '../provisioning/jit';
import { rotateSigningKeys } from './keys';
import { MAX_SIGNED_LIFETIME_SECONDS } from './provider';

export { backchannelJob } from './backchannel';

/**
 * The OpenID Provider's housekeeping: expired codes, tokens, sessions and interactions deleted in
 * batches (the provider checks expiry itself, with 15 s of tolerance; a session's record stays
 * while a link names it, until the reaper has told its applications, lib/applications/backchannel.ts), old delivery rows dropped,
 * and the signing keys rotated on schedule (a new key is published a day before it signs; the
 * retired one stays published 8 hours).
 */
const SWEEP = `delete from oidc_payloads where (model, id) in (
  select p.model, p.id from oidc_payloads p where p.expires_at < now() - interval '15 seconds'
    and not (p.model = 'Session' and exists (select 1 from oidc_session_links l where l.session_uid = p.uid)) limit 5000)`;
const OLD_DELIVERIES = `delete from backchannel_deliveries where status <> 'pending' and created_at < now() - interval '30 days'`;

export const oidcMaintenanceJob: Job = {
  name: 'oidc-maintenance',
  everyMs: 60_000,
  async run() {
    const db = await dbHandle();
    let swept = 0;
    for (let i = 0; i < 20; i++) {
      const rows = await db.query<{ n: number }>(`with d as (${SWEEP} returning 1) select count(*)::int as n from d`);
      swept += rows[0]?.n ?? 0;
      if ((rows[0]?.n ?? 0) < 5000) break;
    }
    await db.query(OLD_DELIVERIES);
    // A retired key stays published while what it signed may still be presented: an ID token lives
    // 10 minutes, but serves as a logout hint (RP-initiated logout) as long as its portal session.
    const rotated = await rotateSigningKeys({ keepRetiredSeconds: Math.max(MAX_SIGNED_LIFETIME_SECONDS, USER_SESSION_TTL_SECONDS) });
    return { swept, rotated };
  },
};
