'use client';
import { ConfirmButton } from '@/components/ui/confirm-button';

export function RemoveDomainButton({ domain, action }: { domain: string; action: () => Promise<{ error?: string }> }) {
  return (
    <ConfirmButton
      size="sm"
      variant="outline"
      title={`Remove ${domain}?`}
      description={`People with ${domain} addresses will no longer be routed to your identity provider or accepted at sign-in.`}
      confirmLabel="Remove domain" done="Domain removed."
      onConfirm={action}
    >
      Remove {domain}
    </ConfirmButton>
  );
}
