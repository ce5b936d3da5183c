import { ConsoleAccessForm } from '@/components/console-access/console-access-form';
import { PageHeader } from '@/components/layout/sidebar';
import { Card, CardContent } from '@/components/ui/card';
import { requireTenant } from '@/lib/auth/guards';
import { holdsEverySection, TENANT_SCOPES } from '@/lib/auth/permissions';
import { consoleAccessOf } from '@/lib/dal/console-access';
import { saveConsoleAccessAction } from './actions';

export default async function ConsoleAccessPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { tenant, principal } = await requireTenant(slug);
  const mayEdit = holdsEverySection(principal);
  const { roles: access } = consoleAccessOf(tenant);
  const roles = [...new Set([...tenant.roles, ...Object.keys(access)])];
  return (
    <>
      <PageHeader
        title="Console access"
        description="Which roles open this console after signing in through SSO, and which sections. By default no role does: people sign in to the product, not to this console."
      />
      <Card className="max-w-4xl">
        <CardContent className="pt-5">
          {!mayEdit && (
            <p className="mb-4 text-sm text-muted-foreground">
              Only an admin who holds every section of this console may change who opens it.
            </p>
          )}
          <ConsoleAccessForm
            roles={roles}
            scopes={TENANT_SCOPES}
            initial={access}
            action={saveConsoleAccessAction.bind(null, slug)}
            disabled={!mayEdit}
          />
        </CardContent>
      </Card>
    </>
  );
}
