import 'server-only';
import { record, type AuditInput } from '../audit/record';
import type { Ctx } from '../audit/types';
import { getDb } from '../db/client';
import { AppError } from '../errors';
import { log } from '../log';

/**
 * Refused configuration input, audited. A refusal changes nothing, so there is no transaction of
 * a change to write its event in: it gets its own, once the refusal is decided. Writing it must
 * never change the caller's answer (a 400 stays a 400): a failed write is logged, not thrown.
 */
export async function recordRefusal(ctx: Ctx, input: AuditInput & { tenantId: string }): Promise<void> {
  try {
    const db = await getDb();
    await db.transaction(async (tx) => {
      await record(tx, ctx, { ...input, outcome: 'failure' });
    });
  } catch (err) {
    log('error', 'could not write the audit event of a refused request', { action: input.action, reason: input.reason, tenantId: input.tenantId, err });
  }
}

/** Why a connection's IdP input (SAML metadata, its URL, an OIDC discovery URL) was refused. */
export type ConnectionRefusal =
  | 'not_xml'
  | 'doctype'
  | 'no_idp_descriptor'
  | 'no_signing_certificate'
  | 'expired_certificate'
  | 'invalid_metadata'
  | 'url_not_allowed'
  | 'fetch_failed'
  | 'invalid_discovery'
  | 'rejected_by_sso_library';

/**
 * The typed reason of a refused connection input, read from the error the checks threw
 * (lib/sso/saml/metadata.ts, lib/http/safe-fetch.ts, the discovery check, the SSO library); null for
 * anything that is not such a refusal (a 404, a 409, a 500), which is not audited as one.
 */
export function connectionRefusalReason(err: unknown): ConnectionRefusal | null {
  if (!(err instanceof AppError) || err.status !== 400) return null;
  const m = err.message;
  switch (err.code) {
    case 'invalid_metadata':
      if (/DOCTYPE|entity declaration/i.test(m)) return 'doctype';
      if (/not well-formed XML/i.test(m)) return 'not_xml';
      if (/no SAML 2\.0 EntityDescriptor|no IDPSSODescriptor/i.test(m)) return 'no_idp_descriptor';
      if (/no signing certificate/i.test(m)) return 'no_signing_certificate';
      if (/certificate expired/i.test(m)) return 'expired_certificate';
      return 'invalid_metadata';
    case 'invalid_url':
      // What the URL is (scheme, credentials, a private address) vs. what fetching it met.
      if (/private, loopback or link-local|must be an https|absolute URL|credentials/i.test(m)) return 'url_not_allowed';
      return 'fetch_failed';
    case 'invalid_discovery':
      return 'invalid_discovery';
    case 'invalid_connection':
      return 'rejected_by_sso_library';
    default:
      return null;
  }
}

/** A URL as the audit log may keep it: no credentials, no query string, no fragment; null if unreadable. */
export function auditableUrl(raw: string | undefined): string | null {
  if (!raw) return null;
  try {
    const u = new URL(raw);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return null;
  }
}
