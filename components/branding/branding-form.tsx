'use client';
import { useState } from 'react';
import type { ActionResult } from '@/lib/actions';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { useSave } from '@/components/ui/use-save';
import { FormError } from '@/components/ui/form-error';
import { Form } from '@/components/ui/form';

type Values = { productName: string | null; accentColor: string | null; logoUrl: string | null };

/** The operator's product name, accent colour and logo on the pages customers see. */
export function BrandingForm({ initial, save }: { initial: Values; save: (input: unknown) => Promise<ActionResult<unknown>> }) {
  const [name, setName] = useState(initial.productName ?? '');
  const [color, setColor] = useState(initial.accentColor ?? '');
  const [logo, setLogo] = useState<string | null | undefined>(undefined); // undefined: unchanged
  const { errors, error, pending, save: submit } = useSave(save, 'Branding saved. The sign-in and set-up pages show it now.');
  return (
    <Form
      noValidate
      className="grid gap-4"
      onSubmit={(e) => {
        e.preventDefault();
        submit(
          {
            productName: name.trim() ? name : null,
            accentColor: color.trim() ? color.trim() : null,
            ...(logo !== undefined ? { logo } : {}),
          },
          () => setLogo(undefined),
        );
      }}
    >
      <Field id="brand-name" label="Product name" hint="Shown on the sign-in page, its error pages, set-up links and the demo. Empty: “SSO Portal”." error={errors.productName}>
        <Input value={name} maxLength={60} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field id="brand-color" label="Accent colour" hint="As #rrggbb; buttons and links use it. Empty: the portal’s own." error={errors.accentColor}>
        <Input value={color} maxLength={7} placeholder="#4f46e5" onChange={(e) => setColor(e.target.value)} />
      </Field>
      <Field id="brand-logo" label="Logo" hint="PNG, JPEG or WebP, at most 256 KiB; shown about 32 px high." error={errors.logo}>
        <Input
          type="file"
          accept="image/png,image/jpeg,image/webp"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (!file) return;
            const reader = new FileReader();
            reader.onload = () => setLogo(typeof reader.result === 'string' ? reader.result : undefined);
            reader.readAsDataURL(file);
          }}
        />
      </Field>
      {initial.logoUrl && logo === undefined && (
        <div className="flex items-center gap-3 text-sm">
          {/* eslint-disable-next-line @next/next/no-img-element -- the current logo, from this origin */}
          <img src={initial.logoUrl} alt="Current logo" className="h-8 w-auto" />
          <Button type="button" variant="outline" size="sm" onClick={() => setLogo(null)}>
            Remove logo
          </Button>
        </div>
      )}
      {logo === null && <p className="text-sm text-muted-foreground">The logo will be removed when you save.</p>}
      <div className="flex items-center justify-end gap-3">
        <FormError error={error} shown={[errors.productName, errors.accentColor, errors.logo]} />
        <Button type="submit" disabled={pending}>
          {pending ? 'Saving…' : 'Save branding'}
        </Button>
      </div>
    </Form>
  );
}
