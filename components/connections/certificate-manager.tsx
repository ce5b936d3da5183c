'use client';
import { zodResolver } from '@hookform/resolvers/zod';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import type { ActionResult } from '@/lib/actions';
import { certificateAddSchema } from '@/lib/validation/certificates';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { ConfirmButton } from '@/components/ui/confirm-button';
import { Field } from '@/components/ui/field';
import { Textarea } from '@/components/ui/input';
import { Table, TBody, Td, Th, THead, Tr } from '@/components/ui/table';
import { useToast } from '@/components/ui/toast';
import { FormError } from '@/components/ui/form-error';
import { Form } from '@/components/ui/form';

export type CertificateRow = {
  fingerprintSha256: string;
  subject: string;
  notAfter: string;
  text: string;
  level: 'ok' | 'warn' | 'critical' | 'expired';
};

const TONE = { ok: 'good', warn: 'warn', critical: 'bad', expired: 'bad' } as const;

/**
 * A SAML connection's signing certificates with rollover: add the IdP's next certificate (both
 * are accepted), then remove the old one once the IdP signs with the new one. The last
 * certificate cannot be removed.
 */
export function CertificateManager({
  certificates,
  add,
  remove,
}: {
  certificates: CertificateRow[];
  add: (input: unknown) => Promise<ActionResult<unknown>>;
  remove: (fingerprintSha256: string) => Promise<{ error?: string }>;
}) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const toast = useToast();
  const form = useForm<{ certificate: string }>({
    resolver: zodResolver(certificateAddSchema, undefined, { raw: true }) as never,
    defaultValues: { certificate: '' },
  });
  const { errors, isSubmitting } = form.formState;
  return (
    <div className="grid gap-4">
      <Table aria-label="Signing certificates">
        <THead>
          <Tr>
            <Th>Certificate</Th>
            <Th>Expiry</Th>
            <Th>
              <span className="sr-only">Actions</span>
            </Th>
          </Tr>
        </THead>
        <TBody>
          {certificates.map((c) => (
            <Tr key={c.fingerprintSha256}>
              <Td className="max-w-sm">
                <div className="text-xs">{c.subject}</div>
                <div className="break-all font-mono text-[11px] text-muted-foreground">SHA-256 {c.fingerprintSha256}</div>
              </Td>
              <Td>
                <Badge tone={TONE[c.level]}>{c.text}</Badge>
              </Td>
              <Td className="text-right">
                {certificates.length > 1 ? (
                  <ConfirmButton
                    size="sm"
                    variant="outline"
                    title="Remove this signing certificate?"
                    description="Responses signed with it will be refused from now on. Remove it only once your IdP signs with the other certificate."
                    confirmLabel="Remove certificate" done="Certificate removed."
                    onConfirm={async () => {
                      const r = await remove(c.fingerprintSha256);
                      if (!r.error) router.refresh();
                      return r;
                    }}
                  >
                    Remove
                  </ConfirmButton>
                ) : (
                  <span className="text-xs text-muted-foreground">only certificate</span>
                )}
              </Td>
            </Tr>
          ))}
        </TBody>
      </Table>
      <Form
        noValidate
        className="grid gap-3"
        onSubmit={form.handleSubmit(async (v) => {
          setError(null);
          const r = await add(v);
          if (!r.ok) {
            if (r.fieldErrors?.certificate) form.setError('certificate', { message: r.fieldErrors.certificate });
            else setError(r.error);
            return;
          }
          form.reset();
          toast('Certificate added.');
          router.refresh();
        })}
      >
        <Field
          id="new-certificate"
          label="Add a signing certificate (PEM)"
          hint="Paste the IdP’s new certificate before it starts signing with it: until you remove the old one, signatures by either are accepted."
          error={errors.certificate?.message}
        >
          <Textarea rows={6} className="font-mono text-xs" placeholder="-----BEGIN CERTIFICATE-----" {...form.register('certificate')} />
        </Field>
        <FormError error={error} />
        <div>
          <Button type="submit" disabled={isSubmitting}>
            {isSubmitting ? 'Adding…' : 'Add certificate'}
          </Button>
        </div>
      </Form>
    </div>
  );
}
