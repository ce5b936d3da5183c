'use client';
import { zodResolver } from '@hookform/resolvers/zod';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import type { ActionResult } from '@/lib/actions';
import { DEFAULT_EVENTS, webhookEditFormSchema, webhookFormSchema, WEBHOOK_KINDS, type WebhookFormInput, type WebhookKind, type WebhookView } from '@/lib/webhooks/validation';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { KIND_LABELS } from './labels';
import { EVENT_SUGGESTIONS } from '@/lib/webhooks/filter';
import { SecretOnce } from '@/components/ui/secret-once';
import { useToast } from '@/components/ui/toast';
import { FormError } from '@/components/ui/form-error';
import { Form } from '@/components/ui/form';

type Created = { id: string; url: string; secret: string };

/** The events text is split into a list, so an error may sit on one entry (`events.1`): the first message. */
function firstMessage(e: unknown): string | undefined {
  if (Array.isArray(e)) return e.map(firstMessage).find(Boolean);
  return e && typeof e === 'object' && 'message' in e && typeof e.message === 'string' ? e.message : undefined;
}

const selectClass = 'flex h-9 w-full rounded-md border border-border bg-white px-3 py-1 text-sm shadow-sm';

/**
 * Creates an endpoint, then shows its signing secret once; or, given `editing`, changes an
 * endpoint's URL, events and description (its kind never changes). react-hook-form with the API's
 * own zod rules; the server action parses the same schema again.
 */
export function WebhookForm({ action, editing }: { action: (input: unknown) => Promise<ActionResult<Created | void>>; editing?: WebhookView }) {
  const router = useRouter();
  const [created, setCreated] = useState<Created | null>(null);
  const toast = useToast();
  const [error, setError] = useState<string | null>(null);
  const form = useForm<WebhookFormInput>({
    // raw: events are typed as text and split by the schema.
    resolver: zodResolver(editing ? webhookEditFormSchema : webhookFormSchema, undefined, { raw: true }) as never,
    defaultValues: editing
      ? { url: editing.url, kind: editing.kind, events: editing.events.join(', '), description: editing.description ?? '' }
      : { url: '', kind: 'webhook', events: DEFAULT_EVENTS.webhook.join(', '), description: '' },
  });
  const errors = form.formState.errors;

  return (
    <div className="grid gap-4">
      <Form
        noValidate
        className="grid gap-3"
        onSubmit={form.handleSubmit(async (v) => {
          setError(null);
          const r = await action(v);
          if (!r.ok) {
            for (const [k, m] of Object.entries(r.fieldErrors ?? {})) {
              const field = k.split('.')[0];
              if (field === 'url' || field === 'events' || field === 'kind' || field === 'description') form.setError(field, { message: m });
            }
            return setError(r.error);
          }
          if (editing) {
            toast('Endpoint saved. New events go to it as it is now.');
            form.reset(v);
          } else {
            setCreated((r.data as Created | undefined) ?? null);
            form.reset();
          }
          router.refresh();
        })}
      >
        <div className="grid gap-3 md:grid-cols-[1fr_14rem]">
          <Field id="webhook-url" label="Endpoint URL" hint="Where events are POSTed: an https:// URL your receiver or SIEM listens on." error={errors.url?.message}>
            <Input placeholder="https://siem.example.com/portal-events" autoComplete="off" {...form.register('url')} />
          </Field>
          <Field id="webhook-kind" label="Kind" hint={editing ? 'An endpoint keeps its kind.' : undefined} error={errors.kind?.message}>
            <select
              className={selectClass}
              disabled={!!editing}
              {...form.register('kind', {
                onChange: (e) => {
                  const kind = e.target.value as WebhookKind;
                  form.setValue('events', DEFAULT_EVENTS[kind].join(', '));
                },
              })}
            >
              {WEBHOOK_KINDS.map((k) => (
                <option key={k} value={k}>
                  {KIND_LABELS[k]}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <Field
          id="webhook-events"
          label="Events"
          hint={
            <>
              Separated by commas: <code>*</code> for every event, a prefix such as <code>user.*</code>, or an action such as <code>user.suspended</code>.
            </>
          }
          error={firstMessage(errors.events)}
        >
          <Input {...form.register('events')} />
        </Field>
        <label className="-mt-1 flex items-center gap-2 text-xs text-muted-foreground">
          Add an event
          <select
            className="rounded-md border border-border bg-white px-2 py-1 font-mono text-xs text-zinc-900"
            value=""
            onChange={(ev) => {
              const e = ev.target.value;
              const cur = (form.getValues('events') ?? '').split(/[\s,]+/).filter(Boolean);
              if (e && !cur.includes(e)) form.setValue('events', [...cur, e].join(', '), { shouldDirty: true });
            }}
          >
            <option value="">choose…</option>
            {EVENT_SUGGESTIONS.map((e) => (
              <option key={e} value={e}>
                {e}
              </option>
            ))}
          </select>
        </label>
        <Field id="webhook-description" label="Description (optional)" error={errors.description?.message}>
          <Input placeholder="e.g. Splunk production" {...form.register('description')} />
        </Field>
        <div>
          <Button type="submit" disabled={form.formState.isSubmitting}>
            {editing ? (form.formState.isSubmitting ? 'Saving…' : 'Save changes') : form.formState.isSubmitting ? 'Creating…' : 'Create endpoint'}
          </Button>
        </div>
        <FormError error={error} />
      </Form>
      {created && (
        <div className="grid gap-2" aria-label="New endpoint">
          <p className="text-sm font-medium">Endpoint created for {created.url}. Events are signed with this secret:</p>
          <SecretOnce kind="secret" label="Signing secret" value={created.secret} />
        </div>
      )}
    </div>
  );
}
