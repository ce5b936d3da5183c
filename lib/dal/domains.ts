import 'server-only';
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { and, asc, eq, inArray, ne, or, type SQL } from 'drizzle-orm';
import { record } from '../audit/record';
import type { Ctx } from '../audit/types';
import { getDb, type Executor } from '../db/client';
import { tenantDomains, tenants, type TenantDomain } from '../db/schema';
import { env } from '../env';
import { AppError, badRequest, conflict, notFound } from '../errors';
import { domainSchema } from '../validation/common';
import { recordRefusal } from './refusals';
import { refuseOverLimit } from './tenant-limits';

/**
 * Domain trust. A domain an operator added (operator API, operator console, or an operator in a
 * tenant console) is trusted for home-realm discovery (`/sso?email=`) and for the sign-in
 * email-domain check at once: operators vouch for their customers. A domain a customer's IT
 * admin added (setup link or SSO admin in the tenant console) is trusted only once its DNS TXT
 * record is verified: otherwise any admin could route another company's people to their IdP.
 */
export type DomainAddedBy = TenantDomain['addedBy'];

/** Who is adding a domain: a tenant admin's domains wait for DNS verification; everyone else is the operator side. */
export const domainAddedBy = (ctx: Ctx): DomainAddedBy => (ctx.actor.type === 'admin' ? 'admin' : 'operator');

export const isTrusted = (d: Pick<TenantDomain, 'addedBy' | 'verified'>) => d.addedBy === 'operator' || d.verified;

/** The same rule as SQL over tenant_domains, for lookups. */
export const trustedDomainSql = (): SQL => or(eq(tenantDomains.addedBy, 'operator'), eq(tenantDomains.verified, true))!;

/** Where the TXT record proving control of a domain goes. */
export const verificationName = (domain: string) => `_sso-portal-verification.${domain}`;

export function toDomainView(d: TenantDomain) {
  return {
    domain: d.domain,
    verified: d.verified,
    addedBy: d.addedBy,
    trusted: isTrusted(d),
    verificationRecord: { type: 'TXT' as const, name: verificationName(d.domain), value: d.verificationToken },
  };
}

export async function listDomains(tenantId: string): Promise<TenantDomain[]> {
  const db = await getDb();
  return db.select().from(tenantDomains).where(eq(tenantDomains.tenantId, tenantId)).orderBy(asc(tenantDomains.domain));
}

/** The TXT lookup; DNS_SERVERS (host:port, comma-separated) points it at another resolver (tests run one). */
export type TxtResolver = (name: string) => Promise<string[][]>;

function defaultResolver(): TxtResolver {
  const servers = env().DNS_SERVERS;
  const r = new Resolver({ timeout: 3000, tries: 2 });
  if (servers) r.setServers(servers);
  return (name) => r.resolveTxt(name);
}

/** Why a check did not verify a domain: no TXT record there, only other values, or DNS did not answer. */
export type VerificationFailure = 'txt_record_missing' | 'txt_record_mismatch' | 'dns_lookup_failed';

/** "No such name" and "no TXT records at that name" both mean the record is not published (yet). */
const NO_RECORD = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN']);

/**
 * Checks the domain's TXT record now. Verifying writes domain.verified, un-verifying a verified
 * domain domain.unverified; a check that leaves an unverified domain unverified changes nothing
 * and is audited as domain.verification_failed with its reason (in its own transaction).
 */
export async function verifyDomain(ctx: Ctx, tenantId: string, domain: string, resolve: TxtResolver = defaultResolver()): Promise<TenantDomain> {
  const db = await getDb();
  const [d] = await db.select().from(tenantDomains).where(and(eq(tenantDomains.tenantId, tenantId), eq(tenantDomains.domain, domain.toLowerCase())));
  if (!d) throw notFound('Domain');
  const recordName = verificationName(d.domain);
  const lookup = await resolve(recordName).then(
    (records) => ({ records, error: null as string | null }),
    (err: NodeJS.ErrnoException) => ({ records: [] as string[][], error: String(err?.code ?? 'error') }),
  );
  const found = lookup.records.some((chunks) => chunks.join('') === d.verificationToken);
  // A lookup that failed (a timeout, SERVFAIL) says nothing: a verified domain stays verified.
  const undecided = !!lookup.error && !NO_RECORD.has(lookup.error);
  if (!found && (!d.verified || undecided)) {
    const reason: VerificationFailure = undecided ? 'dns_lookup_failed' : lookup.records.length ? 'txt_record_mismatch' : 'txt_record_missing';
    await recordRefusal(ctx, {
      tenantId,
      action: 'domain.verification_failed',
      reason,
      target: { type: 'domain', id: d.domain, label: d.domain },
      details: { recordName, recordsFound: lookup.records.length, ...(reason === 'dns_lookup_failed' ? { dnsError: lookup.error } : {}) },
    });
    return d;
  }
  if (found === d.verified) return d;
  return db.transaction(async (tx) => {
    // The claim as it was read: the operator may have given the domain to another tenant while
    // DNS answered (dropping this claim), or the tenant removed and added it again (a new token).
    const [row] = await tx
      .update(tenantDomains)
      .set({ verified: found, verifiedAt: found ? new Date() : null })
      .where(and(eq(tenantDomains.domain, d.domain), eq(tenantDomains.tenantId, tenantId), eq(tenantDomains.verificationToken, d.verificationToken)))
      .returning();
    if (!row) throw notFound('Domain');
    await record(tx, ctx, {
      tenantId,
      action: found ? 'domain.verified' : 'domain.unverified',
      target: { type: 'domain', id: d.domain, label: d.domain },
      details: { before: { verified: d.verified }, after: { verified: found } },
    });
    return row;
  });
}

export const newVerificationToken = () => `sso-portal-verification=${randomBytes(16).toString('hex')}`;

/**
 * Before the operator gives `domains` to a tenant: another tenant's claim of one of them that its
 * IT admin added and never verified reserves nothing (else any admin could block another company's
 * onboarding by claiming its domain first). Such claims are dropped, each with `domain.removed`
 * (reason `claimed_by_operator`) in the tenant that made it, which is not told who has it now.
 * Verified claims and the operator's own stay, and the insert that follows answers 409 for them.
 */
export async function releaseUnverifiedClaims(tx: Executor, ctx: Ctx, tenantId: string, domains: string[]): Promise<void> {
  if (domainAddedBy(ctx) !== 'operator' || !domains.length) return;
  const released = await tx
    .delete(tenantDomains)
    .where(and(inArray(tenantDomains.domain, domains), ne(tenantDomains.tenantId, tenantId), eq(tenantDomains.addedBy, 'admin'), eq(tenantDomains.verified, false)))
    .returning();
  for (const d of released) {
    await record(tx, ctx, {
      tenantId: d.tenantId,
      action: 'domain.removed',
      reason: 'claimed_by_operator',
      target: { type: 'domain', id: d.domain, label: d.domain },
      details: { before: { domain: d.domain, addedBy: d.addedBy, verified: false }, note: 'an unverified claim; the portal operator gave this domain to another organisation' },
    });
  }
}

/**
 * Adds one domain to a tenant (tenant console). Consumer mail domains and malformed names are a
 * 400 on `domain`; a domain any tenant has already is a 409. `addedBy` follows the actor.
 */
export async function addDomain(ctx: Ctx, tenantId: string, input: unknown): Promise<TenantDomain> {
  const parsed = domainSchema.safeParse(typeof input === 'string' ? input.trim().toLowerCase() : input);
  if (!parsed.success) throw badRequest(parsed.error.issues[0].message, [{ path: 'domain', message: parsed.error.issues[0].message }]);
  const domain = parsed.data;
  const db = await getDb();
  return db.transaction(async (tx) => {
    const [tenant] = await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId)).for('update');
    if (!tenant) throw notFound('Tenant');
    const addedBy = domainAddedBy(ctx);
    if (addedBy === 'admin') await refuseOverLimit(tx, tenantId, 'unverifiedDomains', 'domain');
    await releaseUnverifiedClaims(tx, ctx, tenantId, [domain]);
    const [row] = await tx
      .insert(tenantDomains)
      .values({ domain, tenantId, addedBy, verificationToken: newVerificationToken() })
      .onConflictDoNothing()
      .returning();
    if (!row) throw conflict('domain', `domain ${domain} already belongs to a tenant`);
    await record(tx, ctx, {
      tenantId,
      action: 'domain.added',
      target: { type: 'domain', id: domain, label: domain },
      details: { after: { domain, addedBy, verified: false, trusted: isTrusted(row) } },
    });
    return row;
  });
}

/**
 * Removes one of the tenant's domains. A tenant admin may remove only the domains admins added;
 * the operator's domains are the operator's to change (403).
 */
export async function removeDomain(ctx: Ctx, tenantId: string, domain: string): Promise<void> {
  const db = await getDb();
  await db.transaction(async (tx) => {
    const [d] = await tx
      .select()
      .from(tenantDomains)
      .where(and(eq(tenantDomains.tenantId, tenantId), eq(tenantDomains.domain, domain.trim().toLowerCase())))
      .for('update');
    if (!d) throw notFound('Domain');
    if (domainAddedBy(ctx) === 'admin' && d.addedBy !== 'admin') {
      throw new AppError(403, 'forbidden', 'this domain was added by your portal operator; ask them to remove it', [
        { path: 'domain', message: 'added by the operator' },
      ]);
    }
    await tx.delete(tenantDomains).where(and(eq(tenantDomains.tenantId, tenantId), eq(tenantDomains.domain, d.domain)));
    await record(tx, ctx, {
      tenantId,
      action: 'domain.removed',
      target: { type: 'domain', id: d.domain, label: d.domain },
      details: { before: { domain: d.domain, addedBy: d.addedBy, verified: d.verified } },
    });
  });
}
