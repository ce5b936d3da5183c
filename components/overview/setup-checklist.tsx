import Link from 'next/link';
import { Badge } from '@/components/ui/badge';
import type { SetupState } from '@/lib/dal/overview';
import type { SignInPolicy } from '@/lib/db/schema';
import { plural, utcMinute } from '@/lib/utils';
import type { RoleMapping } from '@/lib/validation/role-mappings';

export type StepState = 'done' | 'todo' | 'attention' | 'optional';
export type SetupStep = { key: string; title: string; state: StepState; detail: string; action?: { href: string; label: string } };

const BADGE: Record<StepState, { label: string; tone: 'good' | 'neutral' | 'warn' | 'bad' }> = {
  done: { label: 'Done', tone: 'good' },
  todo: { label: 'To do', tone: 'neutral' },
  attention: { label: 'Needs attention', tone: 'bad' },
  optional: { label: 'Optional', tone: 'neutral' },
};

const STRATEGY: Record<string, string> = {
  jit: 'Just-in-time: accounts are created at first SSO sign-in',
  scim: 'SCIM: only people your directory pushes can sign in',
  self_registration: 'Self-registration: people from allowed domains create their account',
};


export function domainStep(s: SetupState, base: string): SetupStep {
  const trusted = s.domains.filter((d) => d.trusted).map((d) => d.domain);
  const waiting = s.domains.filter((d) => !d.trusted).map((d) => d.domain);
  if (trusted.length) {
    return {
      key: 'domains',
      title: 'Email domains',
      state: 'done',
      detail: `${trusted.join(', ')} ${trusted.length === 1 ? 'is' : 'are'} verified${waiting.length ? `; ${waiting.join(', ')} still waiting for its DNS record` : ''}.`,
      action: { href: `${base}/domains`, label: 'Domains' },
    };
  }
  if (waiting.length) {
    return {
      key: 'domains',
      title: 'Email domains',
      state: 'attention',
      detail: `${waiting.join(', ')} ${waiting.length === 1 ? 'is' : 'are'} not verified yet: add the TXT record shown on the Domains page, then verify.`,
      action: { href: `${base}/domains`, label: 'Verify a domain' },
    };
  }
  return { key: 'domains', title: 'Email domains', state: 'todo', detail: 'No email domain yet: people sign in by their address’s domain.', action: { href: `${base}/domains`, label: 'Add a domain' } };
}

export function connectionStep(s: SetupState, base: string): SetupStep {
  const title = 'Identity provider connection';
  const active = s.connections.filter((c) => c.status === 'active');
  const tested = s.connections.filter((c) => c.status === 'tested');
  if (active.length) {
    const worst = active.find((c) => c.verdict === 'failed') ?? active.find((c) => c.verdict === 'problems');
    if (worst) {
      return {
        key: 'connection',
        title,
        state: 'attention',
        detail: `${worst.label} is active, but its last test ${worst.verdict === 'failed' ? 'failed' : 'passed with problems'}.`,
        action: { href: `${base}/connections/${worst.id}`, label: 'Review the connection' },
      };
    }
    const c = active[0];
    return {
      key: 'connection',
      title,
      state: 'done',
      detail: `${c.label} is active${c.verdict === 'passed' ? ' and its last test passed' : ' (not tested yet: a test sign-in shows what it sends)'}.`,
      action: { href: `${base}/connections/${c.id}`, label: c.verdict === 'passed' ? 'Open the connection' : 'Test it' },
    };
  }
  if (tested.length) {
    const c = tested[0];
    return {
      key: 'connection',
      title,
      state: 'todo',
      detail: `${c.label} ${c.verdict === 'problems' ? 'passed its test with problems' : 'passed its test'}; nobody can sign in through it until it is activated.`,
      action: { href: `${base}/connections/${c.id}`, label: 'Activate it' },
    };
  }
  if (s.connections.length) {
    const c = s.connections[0];
    return {
      key: 'connection',
      title,
      state: 'todo',
      detail: `${c.label} is a draft${c.verdict === 'failed' ? ' whose last test failed' : ''}: run a test sign-in, then activate it.`,
      action: { href: `${base}/connections/${c.id}`, label: 'Test it' },
    };
  }
  return { key: 'connection', title, state: 'todo', detail: 'No connection yet: add your SAML or OIDC identity provider.', action: { href: `${base}/connections/new`, label: 'New connection' } };
}

export function directoryStep(s: SetupState, base: string, strategy: string): SetupStep {
  const title = 'Directory sync (SCIM)';
  const needed = strategy === 'scim';
  const receiving = s.directories.filter((d) => d.lastRequestAt);
  if (receiving.length) {
    const d = receiving[0];
    return {
      key: 'directory',
      title,
      state: 'done',
      detail: `${d.name}: ${plural(d.users, 'user')}, last push ${utcMinute(d.lastRequestAt!)}.`,
      action: { href: `${base}/directories/${d.id}`, label: 'Open the directory' },
    };
  }
  if (s.directories.length) {
    const d = s.directories[0];
    return {
      key: 'directory',
      title,
      state: needed ? 'attention' : 'todo',
      detail: `${d.name} has received nothing yet: enter its SCIM URL and token in your identity provider and start provisioning.`,
      action: { href: `${base}/directories/${d.id}`, label: 'See the set-up steps' },
    };
  }
  return {
    key: 'directory',
    title,
    state: needed ? 'todo' : 'optional',
    detail: needed
      ? 'Provisioning is SCIM, so only people your directory pushes can sign in: create a directory.'
      : 'Optional: a directory keeps users and groups in step with your identity provider and removes access when someone leaves.',
    action: { href: `${base}/directories`, label: 'New directory' },
  };
}

export function provisioningStep(strategy: string, defaultRole: string | null, base: string): SetupStep {
  return {
    key: 'provisioning',
    title: 'Provisioning',
    state: 'done',
    detail: `${STRATEGY[strategy] ?? strategy}. Default role: ${defaultRole ?? 'none'}.`,
    action: { href: `${base}/provisioning`, label: 'Change' },
  };
}

export function roleMappingStep(mapping: RoleMapping, base: string): SetupStep {
  const n = mapping.rules.length;
  if (n || mapping.defaultRole) {
    return {
      key: 'roles',
      title: 'Role mappings',
      state: 'done',
      detail: `${plural(n, 'rule')}; default role ${mapping.defaultRole ?? 'none'}.`,
      action: { href: `${base}/role-mappings`, label: 'Edit role mappings' },
    };
  }
  return {
    key: 'roles',
    title: 'Role mappings',
    state: 'todo',
    detail: 'No rules and no default role: people sign in without a role. Map your IdP’s groups (e.g. “Engineering”) to roles.',
    action: { href: `${base}/role-mappings`, label: 'Add a rule' },
  };
}

export function policyStep(p: SignInPolicy, base: string): SetupStep {
  const parts = [
    p.requireMfa ? 'MFA required' : null,
    p.ipAllowlist?.length ? `sign-in from ${plural(p.ipAllowlist.length, 'network')}` : null,
    p.sessionMaxAgeSeconds ? `sessions last at most ${Math.round(p.sessionMaxAgeSeconds / 3600)} h` : null,
    p.sessionIdleSeconds ? `idle sessions end after ${Math.round(p.sessionIdleSeconds / 60)} min` : null,
    p.consoleIpAllowlist?.length ? 'console limited by network' : null,
  ].filter(Boolean);
  return parts.length
    ? { key: 'policy', title: 'Sign-in policy', state: 'done', detail: `${parts.join('; ')}.`, action: { href: `${base}/sign-in-policy`, label: 'Change' } }
    : {
        key: 'policy',
        title: 'Sign-in policy',
        state: 'optional',
        detail: 'Optional: require MFA, limit how long sessions last or the networks people sign in from.',
        action: { href: `${base}/sign-in-policy`, label: 'Set a policy' },
      };
}

export function applicationsStep(s: SetupState): SetupStep | null {
  if (!s.applications.configured) return null;
  const n = s.applications.signInsLast30Days;
  return {
    key: 'applications',
    title: 'Products in use',
    state: n ? 'done' : 'optional',
    detail: n ? `${plural(n, 'sign-in')} to the products in the last 30 days.` : 'Nobody has signed in to a product through the portal yet.',
  };
}

/** The tenant's set-up, step by step, each with its real state, what is missing and the button that does it. */
export function SetupChecklist({ steps }: { steps: SetupStep[] }) {
  return (
    <ol aria-label="Set-up checklist" className="grid gap-3">
      {steps.map((s) => (
        <li key={s.key} aria-label={s.title} className="flex flex-col gap-2 rounded-md border border-border p-3 sm:flex-row sm:items-start sm:justify-between">
          <div className="grid gap-1">
            <div className="flex flex-wrap items-center gap-2">
              <span className="font-medium">{s.title}</span>
              <Badge tone={BADGE[s.state].tone} data-step-state={s.state}>
                {BADGE[s.state].label}
              </Badge>
            </div>
            <p className="text-sm text-muted-foreground">{s.detail}</p>
          </div>
          {s.action && (
            <Link href={s.action.href} className="shrink-0 self-start rounded-md border border-border px-3 py-1.5 text-sm font-medium hover:bg-muted">
              {s.action.label}
            </Link>
          )}
        </li>
      ))}
    </ol>
  );
}
