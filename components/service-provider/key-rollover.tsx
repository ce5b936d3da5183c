'use client';
import { ConfirmButton } from '@/components/ui/confirm-button';

type Action = () => Promise<{ error?: string }>;

/** Starts, finishes or cancels a rollover of the SAML encryption key, each behind a confirmation. */
export function KeyRollover({ rolling, start, finish, cancel }: { rolling: boolean; start: Action; finish: Action; cancel: Action }) {
  if (!rolling) {
    return (
      <ConfirmButton
        variant="outline"
        title="Start an encryption key rollover?"
        description="A new encryption certificate is published in the SP metadata beside the current one; assertions encrypted to either are accepted until you finish the rollover."
        confirmLabel="Start rollover" done="Rollover started: the next key is published beside the current one."
        onConfirm={start}
      >
        Start rollover
      </ConfirmButton>
    );
  }
  return (
    <div className="flex flex-wrap gap-2">
      <ConfirmButton
        title="Finish the rollover?"
        description="Only the new certificate stays. Identity providers that still encrypt to the old one are refused from now on: update them first."
        confirmLabel="Finish rollover" done="Rollover finished: the next key is now the current one."
        onConfirm={finish}
      >
        Finish rollover
      </ConfirmButton>
      <ConfirmButton
        variant="outline"
        title="Cancel the rollover?"
        description="The new certificate is removed; the current one stays."
        confirmLabel="Cancel rollover" done="Rollover cancelled."
        onConfirm={cancel}
      >
        Cancel rollover
      </ConfirmButton>
    </div>
  );
}
