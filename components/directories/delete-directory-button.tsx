'use client';
import { useRouter } from 'next/navigation';
import { ConfirmButton } from '@/components/ui/confirm-button';

export function DeleteDirectoryButton({ name, slug, action }: { name: string; slug: string; action: () => Promise<{ error?: string }> }) {
  const router = useRouter();
  return (
    <ConfirmButton
      size="sm"
      title={`Delete “${name}”?`}
      description="Its SCIM users, groups and request log are deleted. The people it pushed stay listed, suspended, unless another directory still provisions them. This cannot be undone."
      confirmLabel="Delete directory" done="Directory deleted."
      onConfirm={async () => {
        const r = await action();
        if (!r.error) router.push(`/t/${slug}/directories`);
        return r;
      }}
    >
      Delete directory
    </ConfirmButton>
  );
}
