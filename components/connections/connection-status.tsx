import { Badge } from '@/components/ui/badge';

const TONE = { draft: 'warn', tested: 'neutral', active: 'good' } as const;
const TEXT = { draft: 'Draft', tested: 'Tested', active: 'Active' } as const;

/** draft → tested → active: only an active connection serves sign-in. */
export function ConnectionStatusBadge({ status }: { status: 'draft' | 'tested' | 'active' }) {
  return (
    <Badge tone={TONE[status]} data-status={status}>
      {TEXT[status]}
    </Badge>
  );
}
