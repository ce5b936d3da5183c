'use client';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useForm, type Resolver } from 'react-hook-form';
import type { ActionResult } from '@/lib/actions';
import { signInPolicyInputSchema, type SignInPolicyView } from '@/lib/policies/schema';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input, Textarea } from '@/components/ui/input';
import { fromSeconds, policyFieldOf, toPolicyInput, UNITS, type PolicyFormValues } from './form-values';
import { useToast } from '@/components/ui/toast';
import { FormError } from '@/components/ui/form-error';
import { Form } from '@/components/ui/form';

/** The shared schema, on the form's values (lists as lines, durations as number + unit). */
const resolver: Resolver<PolicyFormValues> = async (values) => {
  const r = signInPolicyInputSchema.safeParse(toPolicyInput(values));
  if (r.success) return { values, errors: {} };
  const errors: Record<string, { type: string; message: string }> = {};
  for (const i of r.error.issues) {
    const { field, message } = policyFieldOf(i.path.map(String).join('.'), i.message);
    errors[field] ??= { type: 'validate', message };
  }
  return { values: {}, errors } as never;
};

const selectClass = 'h-9 rounded-md border border-border bg-white px-2 text-sm';

export function SignInPolicyForm({
  initial,
  ownIp,
  guardsOwnAccess,
  setsConsoleAllowlist = true,
  overrides,
  action,
}: {
  initial: SignInPolicyView;
  ownIp: string | null;
  /** A tenant admin: a console allowlist without their own address is refused. */
  guardsOwnAccess: boolean;
  /** Only an admin holding every console section changes the console allowlist (it can shut out every admin). */
  setsConsoleAllowlist?: boolean;
  overrides: { id: string; label: string; requireMfa: boolean }[];
  action: (input: unknown) => Promise<ActionResult<unknown>>;
}) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const toast = useToast();
  const maxAge = fromSeconds(initial.sessionMaxAgeSeconds);
  const idle = fromSeconds(initial.sessionIdleSeconds);
  const form = useForm<PolicyFormValues>({
    resolver,
    defaultValues: {
      requireMfa: initial.requireMfa,
      ipAllowlist: initial.ipAllowlist.join('\n'),
      consoleIpAllowlist: initial.consoleIpAllowlist.join('\n'),
      maxAge: maxAge.value,
      maxAgeUnit: maxAge.unit,
      idle: idle.value,
      idleUnit: idle.unit,
    },
  });
  const { errors, isSubmitting } = form.formState;
  return (
    <Form
      noValidate
      aria-label="Sign-in policy"
      className="grid gap-6"
      onSubmit={form.handleSubmit(async (v) => {
        setError(null);
        const r = await action(toPolicyInput(v));
        if (!r.ok) {
          setError(r.error);
          for (const [path, message] of Object.entries(r.fieldErrors ?? {})) {
            const f = policyFieldOf(path, message);
            form.setError(f.field as keyof PolicyFormValues, { message: f.message });
          }
          return;
        }
        toast('Sign-in policy saved.');
        router.refresh();
      })}
    >
      <section className="grid gap-2">
        <h2 className="text-sm font-semibold">Multi-factor authentication</h2>
        <label className="flex items-start gap-2 rounded-md border border-border p-3 text-sm">
          <input type="checkbox" className="mt-1" {...form.register('requireMfa')} />
          <span>
            <span className="font-medium">Require multi-factor authentication</span>
            <span className="block text-muted-foreground">
              The identity provider is asked for MFA, and a sign-in whose assertion or ID token does not show it (SAML
              AuthnContextClassRef or Entra’s authentication methods; OIDC <code>amr</code>/<code>acr</code>) is refused.
            </span>
          </span>
        </label>
        {overrides.length > 0 && (
          <ul aria-label="Connection overrides" className="grid gap-1 text-xs text-muted-foreground">
            {overrides.map((o) => (
              <li key={o.id}>
                Connection <span className="font-medium text-foreground">{o.label}</span>{' '}
                {o.requireMfa ? 'always requires MFA' : 'never requires MFA'}, whatever is chosen here.
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="grid gap-4">
        <h2 className="text-sm font-semibold">Networks</h2>
        <Field
          id="ip-allowlist"
          label="Sign-in IP allowlist"
          hint="People may sign in only from these addresses (IPv4 or IPv6 CIDR ranges, one per line, e.g. 203.0.113.0/24). Empty: from anywhere."
          error={errors.ipAllowlist?.message}
        >
          <Textarea rows={3} spellCheck={false} className="font-mono" {...form.register('ipAllowlist')} />
        </Field>
        <Field
          id="console-ip-allowlist"
          label="Console IP allowlist"
          hint={
            <>
              This admin console may be used only from these ranges (operators are not bound by it). Empty: from anywhere.{' '}
              Your address: <code data-testid="own-ip">{ownIp ?? 'unknown'}</code>
              {guardsOwnAccess ? ' — it must be in the list, so you cannot lock yourself out.' : '.'}
              {setsConsoleAllowlist ? '' : ' Only an admin who holds every section of this console can change it.'}
            </>
          }
          error={errors.consoleIpAllowlist?.message}
        >
          <Textarea rows={3} spellCheck={false} className="font-mono" readOnly={!setsConsoleAllowlist} {...form.register('consoleIpAllowlist')} />
        </Field>
      </section>

      <section className="grid gap-4">
        <h2 className="text-sm font-semibold">Sessions</h2>
        <DurationField
          id="session-max-age"
          label="Session lifetime"
          hint="Signed-in people and admins must sign in again after this long, however active (5 minutes to 90 days). Empty: the portal’s default."
          error={errors.maxAge?.message}
          value={form.register('maxAge')}
          unit={form.register('maxAgeUnit')}
        />
        <DurationField
          id="session-idle"
          label="Idle timeout"
          hint="A session unused for this long ends (1 minute to 30 days; not longer than the lifetime). Empty: no idle timeout."
          error={errors.idle?.message}
          value={form.register('idle')}
          unit={form.register('idleUnit')}
        />
      </section>

      <FormError error={error} />
      <div className="flex justify-end">
        <Button type="submit" disabled={isSubmitting}>
          {isSubmitting ? 'Saving…' : 'Save sign-in policy'}
        </Button>
      </div>
    </Form>
  );
}

function DurationField({
  id,
  label,
  hint,
  error,
  value,
  unit,
}: {
  id: string;
  label: string;
  hint: string;
  error?: string;
  value: ReturnType<ReturnType<typeof useForm<PolicyFormValues>>['register']>;
  unit: ReturnType<ReturnType<typeof useForm<PolicyFormValues>>['register']>;
}) {
  return (
    <div className="grid grid-cols-[1fr_auto] items-start gap-2">
      <Field id={id} label={label} hint={hint} error={error}>
        <Input type="number" inputMode="numeric" min={1} step={1} {...value} />
      </Field>
      <select aria-label={`${label} unit`} className={`${selectClass} mt-[22px]`} {...unit}>
        {UNITS.map((u) => (
          <option key={u.unit} value={u.unit}>
            {u.unit}
          </option>
        ))}
      </select>
    </div>
  );
}
