import Link from 'next/link';
import { SidebarLayout } from '@/components/layout/sidebar';
import { requireTenant } from '@/lib/auth/guards';

export default async function TenantLayout({ children, params }: { children: React.ReactNode; params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { tenant, principal } = await requireTenant(slug);
  const base = `/t/${tenant.slug}`;
  return (
    <SidebarLayout
      title={tenant.name}
      subtitle="Tenant console"
      nav={[
        { href: base, label: 'Overview' },
        { href: `${base}/connections`, label: 'Connections' },
        { href: `${base}#directories`, label: 'Directories' },
        { href: `${base}#provisioning`, label: 'Provisioning' },
        { href: `${base}#role-mappings`, label: 'Role mappings' },
        { href: `${base}#audit-log`, label: 'Audit log' },
      ]}
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
