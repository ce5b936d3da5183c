'use client';
import * as AlertDialog from '@radix-ui/react-alert-dialog';
import { useRouter } from 'next/navigation';
import { useEffect, useMemo, useRef, useState, useTransition } from 'react';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Field } from '@/components/ui/field';
import { Textarea } from '@/components/ui/input';
import type { ActionResult } from '@/lib/actions';
import type { SaveResult } from '@/lib/provisioning/apply';
import type { Impact } from '@/lib/provisioning/impact';
import { roleMappingSchemaFor, type RoleMapping } from '@/lib/validation/role-mappings';
import {
  describeRule,
  draftOf,
  type Draft,
  type DraftErrors,
  type DraftRule,
  inputOf,
  issuesToFieldErrors,
  move,
  placeErrors,
  ruleInputOf as ruleToInput,
  type RuleField,
} from './draft';
import { ImpactPanel, type ImpactState } from './impact-panel';
import { NativeSelect } from './native-select';
import { previewDraft } from './preview';
import { RuleFields, ruleButtonId, ruleFieldId } from './rule-fields';
import { parseSample, ruleInputOf } from './sample';
import { useToast } from '@/components/ui/toast';

export type SignInOption = { userId: string; email: string; lastLogin: string | null };

export type RoleMappingActions = {
  impact: (input: unknown) => Promise<ActionResult<Impact>>;
  save: (input: unknown) => Promise<ActionResult<SaveResult>>;
  saveAndApply: (input: unknown) => Promise<ActionResult<SaveResult>>;
  sample: (userId: unknown) => Promise<ActionResult<{ email: string; attributes: Record<string, string[]> }>>;
};

const COMMON_ATTRIBUTES = [
  'groups',
  'email',
  'department',
  'title',
  'memberOf',
  'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
  'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
  'http://schemas.xmlsoap.org/claims/Group',
];
const NO_ERRORS: DraftErrors = { rules: {} };
const IMPACT_DEBOUNCE_MS = 400;

/**
 * The Role mappings editor: the ordered rules and the default role, a live preview of the draft
 * against a sample (pasted JSON or SAML, or a recent sign-in), the impact of the draft on existing
 * users (server-side), and saving — for future sign-ins, or applied to existing users at once.
 */
export function RoleMappingEditor({
  roles,
  saved: initialSaved,
  samples,
  actions,
}: {
  roles: string[];
  saved: RoleMapping;
  samples: SignInOption[];
  actions: RoleMappingActions;
}) {
  const router = useRouter();
  // Bound server actions are new objects whenever the page re-renders; effects use the latest.
  const actionsRef = useRef(actions);
  actionsRef.current = actions;
  const [saved, setSaved] = useState(initialSaved);
  const [draft, setDraft] = useState<Draft>(() => draftOf(initialSaved));
  const nextKey = useRef(0);
  const [serverErrors, setServerErrors] = useState<DraftErrors>(NO_ERRORS);
  const [attempted, setAttempted] = useState(false);
  // Rules whose value the admin paused typing in: their value is checked live (a `matches`
  // pattern that is not a regular expression shows at once, not only on save).
  const [liveValues, setLiveValues] = useState<ReadonlySet<string>>(new Set());
  const liveTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const toast = useToast();
  const [formError, setFormError] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [focusTarget, setFocusTarget] = useState<string | null>(null);
  const [pending, start] = useTransition();
  const [confirmOpen, setConfirmOpen] = useState(false);
  const [refresh, setRefresh] = useState(0);

  // --- the draft, checked with the server's own schema -------------------------------------
  const schema = useMemo(() => roleMappingSchemaFor(roles), [roles]);
  const input = useMemo(() => inputOf(draft), [draft]);
  const inputJson = JSON.stringify(input);
  const latestInput = useRef(inputJson);
  latestInput.current = inputJson;
  const savedJson = useMemo(() => JSON.stringify(inputOf(draftOf(saved))), [saved]);
  const dirty = inputJson !== savedJson;
  const check = useMemo(() => schema.safeParse(input), [schema, input]);
  const clientErrors = useMemo(
    () => (check.success ? NO_ERRORS : placeErrors(issuesToFieldErrors(check.error.issues), draft.rules.map((r) => r.key), roles)),
    [check, draft.rules, roles],
  );
  const errorsOf = (key: string) => {
    // The browser's check shows only after a save was tried (then live): errors appearing on blur
    // would move the Save button under the pointer between mousedown and click.
    const pick = (field: RuleField) =>
      (attempted || (field === 'value' && liveValues.has(key)) ? clientErrors.rules[key]?.[field] : undefined) ?? serverErrors.rules[key]?.[field];
    return { attribute: pick('attribute'), operator: pick('operator'), value: pick('value'), role: pick('role'), rule: pick('rule') };
  };
  const defaultRoleError = (attempted ? clientErrors.defaultRole : undefined) ?? serverErrors.defaultRole;
  const shownFormError = serverErrors.form ?? (attempted ? clientErrors.form : undefined) ?? formError;

  useEffect(() => () => clearTimeout(liveTimer.current), []);

  useEffect(() => {
    if (!focusTarget) return;
    document.getElementById(focusTarget)?.focus();
    setFocusTarget(null);
  }, [focusTarget]);

  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  // --- editing ------------------------------------------------------------------------------
  const edited = () => {
    setFormError(null);
  };
  const updateRule = (key: string, patch: Partial<Omit<DraftRule, 'key'>>) => {
    setDraft((d) => ({ ...d, rules: d.rules.map((r) => (r.key === key ? { ...r, ...patch } : r)) }));
    const fields = Object.keys(patch) as RuleField[];
    if (fields.includes('operator')) fields.push('value');
    if (fields.includes('value')) {
      clearTimeout(liveTimer.current);
      liveTimer.current = setTimeout(() => setLiveValues((live) => (live.has(key) ? live : new Set(live).add(key))), 500);
    }
    setServerErrors((e) => {
      const mine = e.rules[key];
      if (!mine) return e;
      const rest = { ...mine };
      for (const f of [...fields, 'rule' as const]) delete rest[f];
      return { ...e, rules: { ...e.rules, [key]: rest } };
    });
    edited();
  };
  const addRule = () => {
    const key = `n${nextKey.current++}`;
    setDraft((d) => ({ ...d, rules: [...d.rules, { key, attribute: '', operator: 'contains', value: '', role: '' }] }));
    setFocusTarget(ruleFieldId(key, 'attribute'));
    setAnnouncement(`Rule ${draft.rules.length + 1} added.`);
    edited();
  };
  const moveRule = (from: number, to: number) => {
    const n = draft.rules.length;
    if (to < 0 || to >= n || to === from) return;
    const key = draft.rules[from].key;
    setDraft((d) => ({ ...d, rules: move(d.rules, from, to) }));
    // Keep the keyboard on the moved rule: the same button, or the other one at the list's end.
    const dir = to < from ? 'up' : 'down';
    const atEdge = (dir === 'up' && to === 0) || (dir === 'down' && to === n - 1);
    setFocusTarget(ruleButtonId(key, atEdge ? (dir === 'up' ? 'down' : 'up') : dir));
    setAnnouncement(`Rule ${from + 1} moved to position ${to + 1} of ${n}.`);
    edited();
  };
  const removeRule = (index: number) => {
    const next = draft.rules[index + 1] ?? draft.rules[index - 1];
    setDraft((d) => ({ ...d, rules: d.rules.filter((_, i) => i !== index) }));
    setFocusTarget(next ? ruleFieldId(next.key, 'attribute') : 'add-rule');
    setAnnouncement(`Rule ${index + 1} removed.`);
    edited();
  };

  // --- preview --------------------------------------------------------------------------------
  const [sampleText, setSampleText] = useState('');
  const [sampleUser, setSampleUser] = useState('');
  const [sampleFrom, setSampleFrom] = useState<string | null>(null);
  const [sampleError, setSampleError] = useState<string | null>(null);
  const [loadingSample, startSample] = useTransition();
  const parsed = useMemo(() => (sampleText.trim() ? parseSample(sampleText) : null), [sampleText]);
  const sampleInput = useMemo(() => (parsed?.ok ? ruleInputOf(parsed.attributes) : null), [parsed]);
  const preview = useMemo(() => (sampleInput ? previewDraft(draft, roles, sampleInput.input) : null), [draft, roles, sampleInput]);
  const attributeNames = useMemo(
    () => [...new Set([...COMMON_ATTRIBUTES, ...(parsed?.ok ? Object.keys(parsed.attributes) : [])])],
    [parsed],
  );
  const pickSample = (userId: string) => {
    setSampleUser(userId);
    setSampleError(null);
    if (!userId) return;
    startSample(async () => {
      const r = await actions.sample(userId);
      if (!r.ok) {
        setSampleError(r.error);
        return;
      }
      setSampleText(JSON.stringify(r.data!.attributes, null, 2));
      setSampleFrom(r.data!.email);
    });
  };

  // --- impact (server) ----------------------------------------------------------------------------
  const [impact, setImpact] = useState<ImpactState>({ state: 'loading', last: null });
  const impactRequest = useRef(0);
  useEffect(() => {
    const id = ++impactRequest.current;
    if (!check.success) {
      setImpact({ state: 'invalid' });
      return;
    }
    setImpact((s) => ({ state: 'loading', last: s.state === 'ready' ? s.impact : s.state === 'loading' ? s.last : null }));
    const timer = setTimeout(async () => {
      try {
        const r = await actionsRef.current.impact(JSON.parse(inputJson));
        if (id !== impactRequest.current) return;
        if (r.ok) setImpact({ state: 'ready', impact: r.data! });
        else if (r.fieldErrors && Object.keys(r.fieldErrors).length) setImpact({ state: 'invalid' });
        else setImpact({ state: 'error', message: r.error });
      } catch {
        if (id === impactRequest.current) setImpact({ state: 'error', message: 'the portal could not be reached' });
      }
    }, IMPACT_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [inputJson, check.success, refresh]);

  // --- saving ------------------------------------------------------------------------------------
  const focusFirstError = () => {
    if (check.success) return;
    const errs = placeErrors(issuesToFieldErrors(check.error.issues), draft.rules.map((r) => r.key), roles);
    for (const r of draft.rules) {
      const e = errs.rules[r.key];
      if (!e) continue;
      const field = (['attribute', 'operator', 'value', 'role'] as const).find((f) => e[f] && !(f === 'value' && r.operator === 'exists'));
      setFocusTarget(field ? ruleFieldId(r.key, field) : ruleFieldId(r.key, 'attribute'));
      return;
    }
    if (errs.defaultRole) setFocusTarget('default-role');
  };
  /** Validates in the browser first; false when the draft cannot be sent. */
  const readyToSave = () => {
    setAttempted(true);
    setFormError(null);
    if (!check.success) {
      focusFirstError();
      return false;
    }
    return true;
  };
  const save = async (apply: boolean): Promise<boolean> => {
    const sent = inputJson;
    const keys = draft.rules.map((r) => r.key);
    const r = await (apply ? actions.saveAndApply : actions.save)(input);
    if (!r.ok) {
      setServerErrors(placeErrors(r.fieldErrors ?? {}, keys, roles));
      setFormError(r.error);
      return false;
    }
    const result = r.data!;
    setSaved(result.mapping);
    if (latestInput.current === sent) setDraft(draftOf(result.mapping));
    setServerErrors(NO_ERRORS);
    setAttempted(false);
    toast(
      result.applied
        ? `Saved. Roles of ${result.applied.changed} ${result.applied.changed === 1 ? 'user were' : 'users were'} updated now.`
        : 'Saved. Existing users get their new roles at their next sign-in or SCIM update.',
    );
    setRefresh((n) => n + 1);
    router.refresh();
    return true;
  };

  const ready = impact.state === 'ready' ? impact.impact : null;

  return (
    <div className="grid max-w-5xl gap-6">
      <p aria-live="polite" className="sr-only">
        {announcement}
      </p>
      <datalist id="attribute-names">
        {attributeNames.map((a) => (
          <option key={a} value={a} />
        ))}
      </datalist>

      <Card aria-labelledby="rules-title">
        <CardHeader>
          <CardTitle id="rules-title">Rules</CardTitle>
          <CardDescription>
            Checked in order at every sign-in against the attributes your identity provider sends (and <code>email</code>, <code>groups</code>). A
            user gets the roles of every rule that matches; when none matches, the default role.
          </CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4">
          {draft.rules.length === 0 ? (
            <p className="rounded-lg border border-dashed border-border p-4 text-center text-sm text-muted-foreground">
              No rules yet: everyone gets the default role.
            </p>
          ) : (
            <ol aria-label="Rules" className="grid gap-3">
              {draft.rules.map((rule, index) => (
                <li key={rule.key}>
                  <RuleFields
                    rule={rule}
                    index={index}
                    count={draft.rules.length}
                    roles={roles}
                    errors={errorsOf(rule.key)}
                    fired={preview ? preview.fired.includes(index) : null}
                    attributeListId="attribute-names"
                    onChange={(patch) => updateRule(rule.key, patch)}
                    onMove={(to) => moveRule(index, to)}
                    onRemove={() => removeRule(index)}
                  />
                </li>
              ))}
            </ol>
          )}
          <div>
            <Button id="add-rule" type="button" variant="outline" onClick={addRule}>
              Add rule
            </Button>
          </div>
          <div className="max-w-xs">
            <Field id="default-role" label="Default role" hint="Given when no rule matches." error={defaultRoleError}>
              <NativeSelect
                value={draft.defaultRole}
                onChange={(e) => {
                  const value = e.target.value;
                  setDraft((d) => ({ ...d, defaultRole: value }));
                  setServerErrors((s) => ({ ...s, defaultRole: undefined }));
                  edited();
                }}
              >
                <option value="">No role</option>
                {!roles.includes(draft.defaultRole) && draft.defaultRole !== '' && (
                  <option value={draft.defaultRole}>{draft.defaultRole} (not a role of this tenant)</option>
                )}
                {roles.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </NativeSelect>
            </Field>
          </div>
        </CardContent>
      </Card>

      <Card aria-labelledby="preview-title">
        <CardHeader>
          <CardTitle id="preview-title">Preview</CardTitle>
          <CardDescription>Try the rules as you edit them on a user’s attributes. Nothing is saved.</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4">
          <Field
            id="sample-sign-in"
            label="Recent sign-in"
            hint={samples.length ? 'Loads what the rules saw at that person’s last sign-in.' : 'Nobody has signed in with attributes kept yet.'}
            error={sampleError ?? undefined}
          >
            <NativeSelect value={sampleUser} disabled={!samples.length || loadingSample} onChange={(e) => pickSample(e.target.value)}>
              <option value="">{samples.length ? 'Choose a sign-in…' : 'No recent sign-ins'}</option>
              {samples.map((s) => (
                <option key={s.userId} value={s.userId}>
                  {s.email}
                  {s.lastLogin ? ` — ${s.lastLogin}` : ' — not signed in yet (directory attributes)'}
                </option>
              ))}
            </NativeSelect>
          </Field>
          <Field
            id="sample-attributes"
            label="Sample attributes"
            hint={
              <>
                A JSON object such as <code>{'{"groups": ["Engineering"], "department": "Sales"}'}</code>, or a SAML assertion or its{' '}
                <code>&lt;saml:AttributeStatement&gt;</code> section.
              </>
            }
            error={parsed && !parsed.ok ? parsed.error : undefined}
          >
            <Textarea
              rows={8}
              spellCheck={false}
              className="font-mono text-xs"
              value={sampleText}
              onChange={(e) => {
                setSampleText(e.target.value);
                setSampleUser('');
                setSampleFrom(null);
              }}
            />
          </Field>
          {loadingSample && <p className="text-sm text-muted-foreground">Loading the sign-in…</p>}
          {parsed?.ok && sampleInput && preview && (
            <section aria-label="Preview result" aria-live="polite" className="grid gap-3 rounded-md border border-border bg-muted/40 p-4 text-sm">
              <p className="text-xs text-muted-foreground">
                {sampleFrom ? `Attributes of ${sampleFrom}’s last sign-in. ` : ''}
                Read {Object.keys(parsed.attributes).length} attribute name(s) from {parsed.format === 'json' ? 'JSON' : 'SAML'}.{' '}
                {[...parsed.notes, ...sampleInput.notes].join(' ')}
              </p>
              {preview.overBudget && <p role="alert">{preview.overBudget}</p>}
              <div className="flex flex-wrap items-center gap-2" hidden={!!preview.overBudget}>
                <span className="font-medium">Roles:</span>
                {preview.roles.length ? (
                  <ul aria-label="Preview roles" className="flex flex-wrap gap-1">
                    {preview.roles.map((r) => (
                      <li key={r}>
                        <Badge tone="good">{r}</Badge>
                      </li>
                    ))}
                  </ul>
                ) : (
                  <span>no roles</span>
                )}
              </div>
              {preview.overBudget ? null : preview.fired.length ? (
                <div className="grid gap-1">
                  <span className="font-medium">Rules that fired:</span>
                  <ul aria-label="Rules that fired" className="grid gap-1">
                    {preview.fired.map((i) => (
                      <li key={draft.rules[i].key}>
                        Rule {i + 1}: <code className="break-all">{describeRule(ruleToInput(draft.rules[i]))}</code>
                      </li>
                    ))}
                  </ul>
                </div>
              ) : (
                <p>
                  {preview.defaultApplied
                    ? `No rule matched: the default role ${preview.defaultRole} applies.`
                    : 'No rule matched and there is no default role: no roles.'}
                </p>
              )}
              {preview.skipped.length > 0 && (
                <p className="text-xs text-muted-foreground">
                  Left out of the preview until complete and valid: {preview.skipped.map((i) => `rule ${i + 1}`).join(', ')}.
                </p>
              )}
            </section>
          )}
        </CardContent>
      </Card>

      <Card aria-labelledby="impact-title">
        <CardHeader>
          <CardTitle id="impact-title">Impact on existing users</CardTitle>
          <CardDescription>
            Each user with a kept sign-in, evaluated under these rules and compared with the roles they have now.
          </CardDescription>
        </CardHeader>
        <CardContent>
          <ImpactPanel value={impact} />
        </CardContent>
      </Card>

      <Card aria-labelledby="save-title">
        <CardHeader>
          <CardTitle id="save-title">Save</CardTitle>
          <CardDescription>
            Saving changes the rules for future sign-ins: existing users get their new roles at their next sign-in or SCIM update. “Save and apply
            now” also changes the roles of the existing users listed above at once, recording each change in the audit log.
          </CardDescription>
        </CardHeader>
        <CardContent className="grid gap-3">
          {shownFormError && (
            <p role="alert" className="text-sm text-destructive">
              {shownFormError}
            </p>
          )}
          <div className="flex flex-wrap items-center justify-end gap-2">
            <span className="mr-auto text-sm text-muted-foreground">{dirty ? 'Unsaved changes' : 'No unsaved changes'}</span>
            <Button
              type="button"
              variant="outline"
              disabled={pending}
              onClick={() => {
                if (readyToSave()) setConfirmOpen(true);
              }}
            >
              Save and apply now…
            </Button>
            <Button
              type="button"
              disabled={pending}
              onClick={() => {
                if (readyToSave()) start(async () => void (await save(false)));
              }}
            >
              {pending && !confirmOpen ? 'Saving…' : 'Save rules'}
            </Button>
          </div>
        </CardContent>
      </Card>

      <AlertDialog.Root open={confirmOpen} onOpenChange={(o) => !pending && setConfirmOpen(o)}>
        <AlertDialog.Portal>
          <AlertDialog.Overlay className="fixed inset-0 z-40 bg-black/40" />
          <AlertDialog.Content className="fixed left-1/2 top-1/2 z-50 grid w-full max-w-md -translate-x-1/2 -translate-y-1/2 gap-4 rounded-lg border border-border bg-white p-6 shadow-lg">
            <AlertDialog.Title className="text-lg font-semibold">Save and apply the roles now?</AlertDialog.Title>
            <AlertDialog.Description asChild>
              <div className="grid gap-2 text-sm text-muted-foreground">
                <p>
                  {ready
                    ? ready.changedCount === 0
                      ? 'The rules are saved; no existing user’s roles change.'
                      : `The rules are saved and the roles of ${ready.changedCount} ${ready.changedCount === 1 ? 'user change' : 'users change'} immediately${
                          ready.byRole.length
                            ? ` (${ready.byRole
                                .map((r) => [r.gained ? `${r.gained} gain ${r.role}` : '', r.lost ? `${r.lost} lose ${r.role}` : ''].filter(Boolean).join(', '))
                                .join('; ')})`
                            : ''
                        }.`
                    : 'The rules are saved and every existing user with a kept sign-in gets the roles these rules give them, immediately.'}
                </p>
                <p>Each change is recorded in the audit log. Users without a kept sign-in keep their roles until their next sign-in.</p>
              </div>
            </AlertDialog.Description>
            {shownFormError && (
              <p role="alert" className="text-sm text-destructive">
                {shownFormError}
              </p>
            )}
            <div className="flex justify-end gap-2">
              <AlertDialog.Cancel asChild>
                <Button variant="outline" disabled={pending}>
                  Cancel
                </Button>
              </AlertDialog.Cancel>
              <Button
                variant="destructive"
                disabled={pending}
                onClick={() =>
                  start(async () => {
                    if (await save(true)) setConfirmOpen(false);
                  })
                }
              >
                {pending ? 'Applying…' : 'Save and apply'}
              </Button>
            </div>
          </AlertDialog.Content>
        </AlertDialog.Portal>
      </AlertDialog.Root>
    </div>
  );
}
