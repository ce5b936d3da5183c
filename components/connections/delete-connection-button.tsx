'use client';
import { ConfirmButton } from '@/components/ui/confirm-button';

export function DeleteConnectionButton({ label, action, then }: { label: string; action: () => Promise<{ error?: string } | void>; then?: string }) {
  return (
    <ConfirmButton
      size="sm"
      variant="outline"
      title="Delete this connection?"
      description={`Users of ${label} can no longer sign in through it. This cannot be undone.`}
      confirmLabel="Delete connection" done="Connection deleted."
      then={then}
      onConfirm={action}
    >
      Delete
    </ConfirmButton>
  );
}
