import Link from 'next/link';
import { SidebarLayout } from '@/components/layout/sidebar';
import { requireTenant } from '@/lib/auth/guards';
import { canAccessTenant, type TenantScope } from '@/lib/auth/permissions';
import { getBranding } from '@/lib/branding/branding';

export default async function TenantLayout({ children, params }: { children: React.ReactNode; params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { tenant, principal } = await requireTenant(slug);
  const base = `/t/${tenant.slug}`;
  // Customers (their admins, set-up link visitors) see the operator's product; the operator does not.
  const brand = principal.kind === 'operator' ? undefined : await getBranding();
  return (
    <SidebarLayout
      brand={brand}
      title={tenant.name}
      subtitle="Tenant console"
      nav={([
        { href: base, label: 'Overview' },
        { href: `${base}/users`, label: 'Users', scope: 'sso' },
        { href: `${base}/access-review`, label: 'Access review', scope: 'sso' },
        { href: `${base}/connections`, label: 'Connections', scope: 'sso' },
        { href: `${base}/directories`, label: 'Directories', scope: 'directory_sync' },
        { href: `${base}/provisioning`, label: 'Provisioning', scope: 'sso' },
        { href: `${base}/sign-in-policy`, label: 'Sign-in policy', scope: 'sso' },
        { href: `${base}/domains`, label: 'Domains', scope: 'domains' },
        { href: `${base}/role-mappings`, label: 'Role mappings', scope: 'role_mappings' },
        { href: `${base}/console-access`, label: 'Console access' },
        { href: `${base}/audit-log`, label: 'Audit log', scope: 'audit_log' },
        { href: `${base}/webhooks`, label: 'Webhooks', scope: 'audit_log' },
      ] as { href: string; label: string; scope?: TenantScope }[]).filter((n) => !n.scope || canAccessTenant(principal, tenant.id, n.scope))}
      footer={
        principal.kind === 'operator' ? (
          <Link href="/tenants" className="block rounded-md px-3 py-2 text-sm text-muted-foreground hover:bg-muted">
            ← Operator console
          </Link>
        ) : undefined
      }
    >
      {children}
    </SidebarLayout>
  );
}
