'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useEffect, useState } from 'react';
import { cn } from '@/lib/utils';

export type NavItem = { href: string; label: string };

/**
 * The consoles' sections: the current one marked (aria-current), and below 900 px folded behind a
 * "Menu" button so that the page keeps the whole width of a phone.
 */
export function ConsoleNav({ nav, footer }: { nav: NavItem[]; footer?: React.ReactNode }) {
  const path = usePathname();
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [path]);
  // The deepest section containing this page (the overview only for itself).
  const current = nav
    .filter((n) => path === n.href || path.startsWith(`${n.href}/`))
    .sort((a, b) => b.href.length - a.href.length)[0]?.href;
  return (
    <>
      <button
        type="button"
        aria-expanded={open}
        aria-controls="console-sections"
        onClick={() => setOpen((o) => !o)}
        className="absolute right-4 top-3.5 rounded-md border border-border bg-white px-3 py-1 text-sm min-[900px]:hidden"
      >
        {open ? 'Close menu' : 'Menu'}
      </button>
      <div id="console-sections" className={cn('flex-1 flex-col', open ? 'flex' : 'hidden', 'min-[900px]:flex')}>
        <nav aria-label="Sections" className="flex flex-1 flex-col gap-0.5 p-3">
          {nav.map((n) => (
            <Link
              key={n.href}
              href={n.href}
              aria-current={n.href === current ? 'page' : undefined}
              className={cn('rounded-md px-3 py-2 text-sm hover:bg-muted', n.href === current && 'bg-muted font-medium text-zinc-900')}
            >
              {n.label}
            </Link>
          ))}
        </nav>
        {footer && <div className="border-t border-border p-3">{footer}</div>}
      </div>
    </>
  );
}
