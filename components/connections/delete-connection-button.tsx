'use client';
import { ConfirmButton } from '@/components/ui/confirm-button';

export function DeleteConnectionButton({ label, action }: { label: string; action: () => Promise<{ error?: string }> }) {
  return (
    <ConfirmButton
      size="sm"
      variant="outline"
      title="Delete this connection?"
      description={`Users of ${label} can no longer sign in through it. This cannot be undone.`}
      confirmLabel="Delete connection"
      onConfirm={action}
    >
      Delete
    </ConfirmButton>
  );
}
