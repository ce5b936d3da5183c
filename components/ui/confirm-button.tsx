'use client';
import * as AlertDialog from '@radix-ui/react-alert-dialog';
import { useRouter } from 'next/navigation';
import * as React from 'react';
import { Button, type ButtonProps } from './button';
import { FormError } from './form-error';
import { useToast } from './toast';

/**
 * A destructive action behind a confirmation dialog. `onConfirm` runs only after the user
 * confirms; while it runs the dialog shows progress, and an error it returns is shown in place.
 * `done`, when given, is the toast that confirms it worked; `then`, the page to go to afterwards.
 */
export function ConfirmButton({
  children,
  title,
  description,
  confirmLabel,
  done,
  then,
  onConfirm,
  variant = 'destructive',
  size,
}: {
  children: React.ReactNode;
  title: string;
  description: React.ReactNode;
  confirmLabel: string;
  done?: string;
  then?: string;
  onConfirm: () => Promise<{ error?: string } | void>;
  variant?: ButtonProps['variant'];
  size?: ButtonProps['size'];
}) {
  const [open, setOpen] = React.useState(false);
  const [pending, start] = React.useTransition();
  const [error, setError] = React.useState<string | null>(null);
  const toast = useToast();
  const router = useRouter();
  return (
    <AlertDialog.Root open={open} onOpenChange={setOpen}>
      <AlertDialog.Trigger asChild>
        <Button variant={variant} size={size}>
          {children}
        </Button>
      </AlertDialog.Trigger>
      <AlertDialog.Portal>
        <AlertDialog.Overlay className="fixed inset-0 z-40 bg-black/40" />
        <AlertDialog.Content className="fixed left-1/2 top-1/2 z-50 grid w-full max-w-md -translate-x-1/2 -translate-y-1/2 gap-4 rounded-lg border border-border bg-white p-6 shadow-lg">
          <AlertDialog.Title className="text-lg font-semibold">{title}</AlertDialog.Title>
          <AlertDialog.Description className="text-sm text-muted-foreground">{description}</AlertDialog.Description>
          <FormError error={error} />
          <div className="flex justify-end gap-2">
            <AlertDialog.Cancel asChild>
              <Button variant="outline">Cancel</Button>
            </AlertDialog.Cancel>
            <Button
              variant="destructive"
              disabled={pending}
              onClick={() =>
                start(async () => {
                  const r = await onConfirm();
                  if (r && r.error) setError(r.error);
                  else {
                    setOpen(false);
                    if (done) toast(done);
                    if (then) router.push(then);
                  }
                })
              }
            >
              {pending ? 'Working…' : confirmLabel}
            </Button>
          </div>
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}
