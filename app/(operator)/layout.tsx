import { SidebarLayout } from '@/components/layout/sidebar';
import { Button } from '@/components/ui/button';
import { requireOperator } from '@/lib/auth/guards';
import { signOutAction } from './actions';

export default async function OperatorLayout({ children }: { children: React.ReactNode }) {
  const op = await requireOperator();
  return (
    <SidebarLayout
      title="Operator console"
      subtitle={op.email}
      nav={[
        { href: '/dashboard', label: 'Dashboard' },
        { href: '/tenants', label: 'Tenants' },
        { href: '/applications', label: 'Applications' },
        { href: '/api-keys', label: 'API keys' },
        { href: '/audit-log', label: 'Audit log' },
        { href: '/webhooks', label: 'Webhooks' },
        { href: '/service-provider', label: 'Service provider' },
        { href: '/branding', label: 'Branding' },
      ]}
      footer={
        <form action={signOutAction}>
          <Button type="submit" variant="ghost" className="w-full justify-start">
            Sign out
          </Button>
        </form>
      }
    >
      {children}
    </SidebarLayout>
  );
}
