import Link from 'next/link';
import { Button } from './button';

/** Keyset paging links: back to the first page, and on to the next. Renders nothing when neither applies. */
export function Pager({ firstHref, nextHref }: { firstHref?: string | null; nextHref?: string | null }) {
  if (!firstHref && !nextHref) return null;
  return (
    <nav aria-label="Pages" className="mt-4 flex justify-end gap-2">
      {firstHref && (
        <Button asChild variant="ghost">
          <Link href={firstHref}>First page</Link>
        </Button>
      )}
      {nextHref && (
        <Button asChild variant="outline">
          <Link href={nextHref}>Next page</Link>
        </Button>
      )}
    </nav>
  );
}
