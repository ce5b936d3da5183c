import { headers } from 'next/headers';
import { PageHeader } from '@/components/layout/sidebar';
import { SignInPolicyForm } from '@/components/policies/sign-in-policy-form';
import { Card, CardContent } from '@/components/ui/card';
import { requireTenant } from '@/lib/auth/guards';
import { holdsEverySection } from '@/lib/auth/permissions';
import { listConnections } from '@/lib/dal/connections';
import { requestMeta } from '@/lib/http/request-meta';
import { policyView } from '@/lib/policies/schema';
import { saveSignInPolicyAction } from './actions';

export default async function SignInPolicyPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { tenant, principal } = await requireTenant(slug, 'sso');
  const { ip } = requestMeta({ headers: await headers() });
  const { data: conns } = await listConnections(tenant.id);
  const overrides = conns
    .filter((c) => c.requireMfa !== null && c.requireMfa !== undefined)
    .map((c) => ({ id: c.id, label: c.name ?? c.idp.entityId ?? c.idp.issuer ?? c.id, requireMfa: c.requireMfa as boolean }));
  return (
    <>
      <PageHeader
        title="Sign-in policy"
        description="Who may sign in, from where, with what, and for how long: multi-factor authentication, IP allowlists and session limits for this organisation."
      />
      <Card className="max-w-2xl">
        <CardContent className="pt-5">
          <SignInPolicyForm
            initial={policyView(tenant.signInPolicy)}
            ownIp={ip ?? null}
            guardsOwnAccess={principal.kind === 'tenant_admin'}
            setsConsoleAllowlist={holdsEverySection(principal)}
            overrides={overrides}
            action={saveSignInPolicyAction.bind(null, slug)}
          />
        </CardContent>
      </Card>
    </>
  );
}
