'use client';
import { ConfirmButton } from '@/components/ui/confirm-button';

type Act = () => Promise<{ error?: string }>;

export function UserActions({ email, status, suspend, reactivate, remove }: { email: string; status: 'active' | 'suspended'; suspend: Act; reactivate: Act; remove: Act }) {
  return (
    <div className="flex justify-end gap-2">
      {status === 'active' ? (
        <ConfirmButton size="sm" variant="outline" title={`Suspend ${email}?`} description="Their sessions end at once and they cannot sign in until reactivated." confirmLabel="Suspend" done="User suspended." onConfirm={suspend}>
          Suspend
        </ConfirmButton>
      ) : (
        <ConfirmButton size="sm" variant="outline" title={`Reactivate ${email}?`} description="They can sign in again." confirmLabel="Reactivate" done="User reactivated." onConfirm={reactivate}>
          Reactivate
        </ConfirmButton>
      )}
      <ConfirmButton size="sm" variant="outline" title={`Delete ${email}?`} description="The account, its sessions and kept attributes are removed. This cannot be undone." confirmLabel="Delete user" done="User deleted." onConfirm={remove}>
        Delete
      </ConfirmButton>
    </div>
  );
}
