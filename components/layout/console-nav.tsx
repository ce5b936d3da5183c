'use client';
import * as Dialog from '@radix-ui/react-dialog';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useEffect, useState } from 'react';
import { cn } from '@/lib/utils';
import { useHydrated } from '@/components/ui/use-hydrated';

export type NavItem = { href: string; label: string };

/**
 * The consoles' sections: the current one marked (aria-current), and below 900 px in a sheet that
 * a "Menu" button opens (a Radix dialog: focus kept inside, Escape or a choice closes it), so that
 * the page keeps the whole width of a phone.
 */
export function ConsoleNav({ nav, footer }: { nav: NavItem[]; footer?: React.ReactNode }) {
  const path = usePathname();
  const [open, setOpen] = useState(false);
  const hydrated = useHydrated();
  useEffect(() => setOpen(false), [path]);
  // The deepest section containing this page (the overview only for itself).
  const current = nav
    .filter((n) => path === n.href || path.startsWith(`${n.href}/`))
    .sort((a, b) => b.href.length - a.href.length)[0]?.href;
  const sections = (
    <>
      <nav aria-label="Sections" className="flex flex-1 flex-col gap-0.5 p-3">
        {nav.map((n) => (
          <Link
            key={n.href}
            href={n.href}
            onClick={() => setOpen(false)}
            aria-current={n.href === current ? 'page' : undefined}
            className={cn('rounded-md px-3 py-2 text-sm hover:bg-muted', n.href === current && 'bg-muted font-medium text-zinc-900')}
          >
            {n.label}
          </Link>
        ))}
      </nav>
      {footer && <div className="border-t border-border p-3">{footer}</div>}
    </>
  );
  return (
    <>
      <Dialog.Root open={open} onOpenChange={setOpen}>
        <Dialog.Trigger asChild>
          <button type="button" aria-disabled={hydrated ? undefined : true} className="absolute right-4 top-3.5 rounded-md border border-border bg-white px-3 py-1 text-sm min-[900px]:hidden">
            Menu
          </button>
        </Dialog.Trigger>
        <Dialog.Portal>
          <Dialog.Overlay className="fixed inset-0 z-40 bg-black/40 min-[900px]:hidden" />
          <Dialog.Content aria-describedby={undefined} className="fixed inset-y-0 left-0 z-50 flex w-72 max-w-[85vw] flex-col overflow-y-auto bg-white shadow-lg min-[900px]:hidden">
            <div className="flex items-center justify-between border-b border-border px-5 py-4">
              <Dialog.Title className="text-sm font-semibold">Sections</Dialog.Title>
              <Dialog.Close className="rounded-md border border-border px-3 py-1 text-sm">Close menu</Dialog.Close>
            </div>
            {sections}
          </Dialog.Content>
        </Dialog.Portal>
      </Dialog.Root>
      <div className="hidden flex-1 flex-col min-[900px]:flex">{sections}</div>
    </>
  );
}
