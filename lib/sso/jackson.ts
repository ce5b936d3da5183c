import 'server-only';
import { createHmac } from 'node:crypto';
import { controllers, type JacksonOption } from '@boxyhq/saml-jackson';
import { dbHandle } from '../db/client';
import { env } from '../env';
import { log } from '../log';
import { createJacksonDriver, type JacksonDriver } from './jackson-store';
import { sp } from './sp';

export type Jackson = Awaited<ReturnType<typeof controllers>>;

/** A secret of its own for each use, derived from AUTH_SECRET. */
export const derivedSecret = (purpose: string, bytes = 32) =>
  createHmac('sha256', env().AUTH_SECRET).update(purpose).digest().subarray(0, bytes).toString('base64');

const INIT_TIMEOUT_MS = 10_000;
const g = globalThis as unknown as { __portalJackson?: Promise<{ jackson: Jackson; driver: JacksonDriver }> };

async function init() {
  const handle = await dbHandle();
  const driver = createJacksonDriver(handle.queryPrepared);
  const s = sp();
  const opts: JacksonOption = {
    externalUrl: env().PUBLIC_URL,
    samlPath: s.acsPath,
    oidcPath: s.oidcPath,
    samlAudience: s.entityId,
    // The portal decides per connection whether unsolicited responses are allowed, before the library sees them.
    idpEnabled: true,
    idpDiscoveryPath: '/sso',
    clientSecretVerifier: derivedSecret('sso-client-secret-verifier'),
    noAnalytics: true,
    db: { driver, encryptionKey: derivedSecret('sso-library-encryption-key'), ttl: 600 },
    openid: { redirectExactMatch: true },
    // The library's failure traces (kept 7 days) would hold SAML responses, profiles and OIDC token
    // sets; redacted, they keep only the error and its context. Failed sign-ins are in the audit log.
    ssoTraces: { redact: true },
    logger: {
      info: () => {},
      warn: (msg: string) => log('warn', 'sso library', { msg }),
      error: (msg: string, err?: unknown) => log('error', 'sso library', { msg, err }),
    },
  } as JacksonOption;
  const jackson = await controllers(opts);
  return { jackson, driver };
}

/**
 * The SSO library, initialised once per process on the portal's own database. Fails within
 * INIT_TIMEOUT_MS rather than hanging when the database is unreachable.
 */
export function sso(): Promise<{ jackson: Jackson; driver: JacksonDriver }> {
  if (!g.__portalJackson) {
    g.__portalJackson = Promise.race([
      init(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('the SSO library did not start in time')), INIT_TIMEOUT_MS).unref(),
      ),
    ]).catch((err) => {
      g.__portalJackson = undefined;
      throw err;
    });
  }
  return g.__portalJackson;
}

/** Stops the SSO library's timers (start-up scripts, tests); the database stays open. */
export async function closeSso(): Promise<void> {
  const j = g.__portalJackson;
  g.__portalJackson = undefined;
  if (j) await (await j).jackson.close?.();
}
