import 'server-only';
import { Resolver } from 'node:dns/promises';
import { and, asc, eq } from 'drizzle-orm';
import { record } from '../audit/record';
import type { Ctx } from '../audit/types';
import { getDb } from '../db/client';
import { tenantDomains, type TenantDomain } from '../db/schema';
import { env } from '../env';
import { notFound } from '../errors';

/** Where the TXT record proving control of a domain goes. */
export const verificationName = (domain: string) => `_sso-portal-verification.${domain}`;

export function toDomainView(d: TenantDomain) {
  return {
    domain: d.domain,
    verified: d.verified,
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

/** Checks the domain's TXT record now; verifying (not un-verifying) writes domain.verified. */
export async function verifyDomain(ctx: Ctx, tenantId: string, domain: string, resolve: TxtResolver = defaultResolver()): Promise<TenantDomain> {
  const db = await getDb();
  const [d] = await db.select().from(tenantDomains).where(and(eq(tenantDomains.tenantId, tenantId), eq(tenantDomains.domain, domain.toLowerCase())));
  if (!d) throw notFound('Domain');
  const records = await resolve(verificationName(d.domain)).catch(() => [] as string[][]);
  const found = records.some((chunks) => chunks.join('') === d.verificationToken);
  if (found === d.verified) return d;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(tenantDomains)
      .set({ verified: found, verifiedAt: found ? new Date() : null })
      .where(eq(tenantDomains.domain, d.domain))
      .returning();
    await record(tx, ctx, {
      tenantId,
      action: found ? 'domain.verified' : 'domain.unverified',
      target: { type: 'domain', id: d.domain, label: d.domain },
      details: { before: { verified: d.verified }, after: { verified: found } },
    });
    return row;
  });
}
