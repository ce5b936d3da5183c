'use client';
import { ConfirmButton } from '@/components/ui/confirm-button';

export function DeleteTenantButton({ name, action }: { name: string; action: () => Promise<{ error?: string } | void> }) {
  return (
    <ConfirmButton
      title={`Delete ${name}?`}
      description="This cannot be undone. Its users lose access through this portal at once."
      confirmLabel="Delete tenant" done="Tenant deleted."
      then="/tenants"
      onConfirm={action}
    >
      Delete tenant
    </ConfirmButton>
  );
}
