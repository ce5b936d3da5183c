'use client';
import { ConfirmButton } from '@/components/ui/confirm-button';

export function RevokeKeyButton({ name, action }: { name: string; action: () => Promise<{ error?: string }> }) {
  return (
    <ConfirmButton
      size="sm"
      variant="outline"
      title={`Revoke “${name}”?`}
      description="Requests with this key are refused from now on. This cannot be undone."
      confirmLabel="Revoke key" done="API key revoked."
      onConfirm={action}
    >
      Revoke
    </ConfirmButton>
  );
}
