import { TenantCertificateAlerts } from '@/components/connections/certificate-alerts';
import { PageHeader } from '@/components/layout/sidebar';
import {
  applicationsStep,
  connectionStep,
  directoryStep,
  domainStep,
  policyStep,
  provisioningStep,
  roleMappingStep,
  SetupChecklist,
  type SetupStep,
} from '@/components/overview/setup-checklist';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { requireTenant } from '@/lib/auth/guards';
import { canAccessTenant, SCOPE_NAMES, type TenantScope } from '@/lib/auth/permissions';
import { sessionExpiry, tenantSetupState } from '@/lib/dal/overview';
import { roleMappingOf } from '@/lib/dal/role-mappings';
import { provisioningOf } from '@/lib/dal/tenants';
import { signOutConsoleAction } from './actions';
import { utcMinute as when } from '@/lib/utils';


/** The tenant's live set-up checklist, with recent sign-ins; where a setup link lands. */
export default async function TenantOverview({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { principal, tenant } = await requireTenant(slug);
  const can = (s: TenantScope) => canAccessTenant(principal, tenant.id, s);
  const base = `/t/${tenant.slug}`;
  const state = await tenantSetupState(tenant, { domains: can('domains'), sso: can('sso'), directories: can('directory_sync'), auditLog: can('audit_log') });
  const prov = provisioningOf(tenant);
  const steps: SetupStep[] = [];
  if (can('domains')) steps.push(domainStep(state, base));
  if (can('sso')) steps.push(connectionStep(state, base));
  if (can('directory_sync')) steps.push(directoryStep(state, base, prov.strategy));
  if (can('sso')) steps.push(provisioningStep(prov.strategy, prov.defaultRole, base));
  if (can('role_mappings')) steps.push(roleMappingStep(roleMappingOf(tenant), base));
  if (can('sso')) steps.push(policyStep(tenant.signInPolicy ?? {}, base));
  const apps = can('sso') ? applicationsStep(state) : null;
  if (apps) steps.push(apps);
  const required = steps.filter((s) => s.state !== 'optional');
  const done = required.filter((s) => s.state === 'done').length;
  const link = principal.kind === 'tenant_admin' && principal.email === null;
  const expires = link ? await sessionExpiry(principal.sessionId) : null;
  return (
    <>
      <PageHeader title="Overview" description={`Single sign-on and provisioning for ${tenant.name}.`} />
      <div className="grid max-w-4xl gap-5">
        {link && (
          <Card aria-label="Your setup link">
            <CardHeader>
              <CardTitle>You opened a setup link</CardTitle>
              <CardDescription>
                It lets you set up {principal.scopes.map((s) => SCOPE_NAMES[s]).join(', ')} for {tenant.name}
                {expires ? `, until ${when(expires)}` : ''}. Nothing else in the portal is open to it.
              </CardDescription>
            </CardHeader>
            <CardContent>
              <form action={signOutConsoleAction}>
                <Button type="submit" variant="outline">
                  Sign out
                </Button>
              </form>
            </CardContent>
          </Card>
        )}
        {can('sso') && <TenantCertificateAlerts principal={principal} tenant={tenant} />}
        <Card>
          <CardHeader>
            <CardTitle>Set-up</CardTitle>
            <CardDescription>
              {required.length === done ? 'Everything required is done.' : `${done} of ${required.length} required steps done.`}
            </CardDescription>
          </CardHeader>
          <CardContent>
            <SetupChecklist steps={steps} />
          </CardContent>
        </Card>
        {can('audit_log') && (
          <Card>
            <CardHeader>
              <CardTitle>Recent sign-ins</CardTitle>
              <CardDescription>The last SSO sign-ins and refusals; the audit log has them all.</CardDescription>
            </CardHeader>
            <CardContent>
              {state.recentSignIns.length === 0 ? (
                <p className="text-sm text-muted-foreground">Nobody has signed in yet.</p>
              ) : (
                <div className="overflow-x-auto">
                  <table aria-label="Recent sign-ins" className="w-full text-sm">
                    <thead>
                      <tr className="text-left text-muted-foreground">
                        <th className="py-1 pr-3 font-medium">When</th>
                        <th className="py-1 pr-3 font-medium">Who</th>
                        <th className="py-1 font-medium">Outcome</th>
                      </tr>
                    </thead>
                    <tbody>
                      {state.recentSignIns.map((e) => (
                        <tr key={e.id} className="border-t border-border">
                          <td className="whitespace-nowrap py-1 pr-3">{when(e.occurredAt)}</td>
                          <td className="break-all py-1 pr-3">{e.who ?? '—'}</td>
                          <td className={e.ok ? 'py-1' : 'py-1 text-destructive'}>{e.ok ? 'Signed in' : `Refused${e.reason ? ` (${e.reason})` : ''}`}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </CardContent>
          </Card>
        )}
      </div>
    </>
  );
}
