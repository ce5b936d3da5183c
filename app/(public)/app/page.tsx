import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { initiateLoginLink, launchableApplications } from '@/lib/applications/registry';
import { requireEndUser } from '@/lib/auth/guards';

/**
 * Where an end user lands after SSO (an IdP-initiated sign-in too): who they are, for which
 * organisation, with which roles, and the operator's applications they can open from here.
 */
export default async function AppHome() {
  const { user, tenant } = await requireEndUser();
  const apps = await launchableApplications(tenant.id);
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
  return (
    <Card className="w-full max-w-lg">
      <CardHeader>
        <CardTitle>
          <span className="text-xl">Signed in</span>
        </CardTitle>
        <CardDescription>You signed in through your organisation’s identity provider.</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4 text-sm">
        <dl className="grid grid-cols-[8rem_1fr] gap-y-2">
          <dt className="text-muted-foreground">Name</dt>
          <dd data-testid="user-name">{name || '—'}</dd>
          <dt className="text-muted-foreground">Email</dt>
          <dd data-testid="user-email">{user.email}</dd>
          <dt className="text-muted-foreground">Organisation</dt>
          <dd data-testid="user-tenant">{tenant.name}</dd>
          <dt className="text-muted-foreground">Roles</dt>
          <dd>
            <ul aria-label="Roles" className="flex flex-wrap gap-1">
              {user.roles.length ? user.roles.map((r) => <li key={r}><Badge tone="good">{r}</Badge></li>) : <li>none</li>}
            </ul>
          </dd>
          <dt className="text-muted-foreground">Groups</dt>
          <dd>
            <ul aria-label="Groups" className="flex flex-wrap gap-1">
              {user.groups.length ? user.groups.map((g) => <li key={g}><Badge>{g}</Badge></li>) : <li>none</li>}
            </ul>
          </dd>
        </dl>
        {apps.length > 0 && (
          <nav aria-label="Applications" className="grid gap-2">
            <h2 className="font-medium">Your applications</h2>
            <ul className="grid gap-1">
              {apps.map((a) => (
                <li key={a.id}>
                  <a className="text-primary underline underline-offset-2" href={initiateLoginLink(a.initiateLoginUri, user.email)}>
                    {a.name}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {/* A plain form post: its redirect may lead to the identity provider (single logout). */}
        <form method="post" action="/api/sso/logout">
          <Button type="submit" variant="outline">
            Sign out
          </Button>
        </form>
      </CardContent>
    </Card>
  );
}
