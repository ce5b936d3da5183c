import Link from 'next/link';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { canAccessTenant, type Principal } from '@/lib/auth/permissions';
import { listConnections } from '@/lib/dal/connections';
import type { IdpInfo } from '@/lib/db/schema/connections';
import { connectionCertificateStatus } from '@/lib/sso/saml/certificate-expiry';
import { expiryText } from './certificate-status';

type Conn = { id: string; name: string | null; type: string; idp: IdpInfo };

/**
 * Tenant overview: connections whose signing certificate is within 30 days of expiry, or expired.
 * Renders nothing when all is well.
 */
export function CertificateAlerts({ connections, base, now }: { connections: Conn[]; base: string; now?: Date }) {
  const alerts = connections
    .map((c) => ({ c, s: connectionCertificateStatus(c.idp, now) }))
    .filter((x) => x.s && x.s.level !== 'ok')
    .sort((a, b) => a.s!.daysLeft - b.s!.daysLeft);
  if (!alerts.length) return null;
  return (
    <Card className="border-amber-300 md:col-span-2" aria-label="Certificate warnings">
      <CardHeader>
        <CardTitle>Signing certificates expiring</CardTitle>
        <CardDescription>Sign-in through these connections fails once the IdP signs with a certificate the portal does not know.</CardDescription>
      </CardHeader>
      <CardContent>
        <ul className="grid gap-2 text-sm">
          {alerts.map(({ c, s }) => (
            <li key={c.id} role="alert" className={s!.level === 'warn' ? 'text-amber-700' : 'text-destructive'}>
              <Link className="font-medium underline" href={`${base}/connections/${c.id}`}>
                {c.name ?? c.idp.entityId ?? c.type}
              </Link>
              : certificate {expiryText(s!)}
            </li>
          ))}
        </ul>
      </CardContent>
    </Card>
  );
}

/** The overview's certificate warnings for one tenant, shown to whoever may open its connections. */
export async function TenantCertificateAlerts({ principal, tenant }: { principal: Principal; tenant: { id: string; slug: string } }) {
  if (!canAccessTenant(principal, tenant.id, 'sso')) return null;
  const { data } = await listConnections(tenant.id);
  return <CertificateAlerts connections={data} base={`/t/${tenant.slug}`} />;
}
