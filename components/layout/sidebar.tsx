import Link from 'next/link';
import * as React from 'react';

export type NavItem = { href: string; label: string };

/** The consoles' frame: a sidebar of sections and the page beside it. */
export function SidebarLayout({
  title,
  subtitle,
  nav,
  footer,
  children,
}: {
  title: string;
  subtitle?: string;
  nav: NavItem[];
  footer?: React.ReactNode;
  children: React.ReactNode;
}) {
  return (
    <div className="flex min-h-screen">
      <aside className="flex w-60 shrink-0 flex-col border-r border-border bg-muted/40">
        <div className="border-b border-border px-5 py-4">
          <p className="text-sm font-semibold">{title}</p>
          {subtitle && <p className="truncate text-xs text-muted-foreground">{subtitle}</p>}
        </div>
        <nav aria-label="Sections" className="flex flex-1 flex-col gap-0.5 p-3">
          {nav.map((n) => (
            <Link key={n.href} href={n.href} className="rounded-md px-3 py-2 text-sm hover:bg-muted">
              {n.label}
            </Link>
          ))}
        </nav>
        {footer && <div className="border-t border-border p-3">{footer}</div>}
      </aside>
      <main className="flex-1 overflow-x-auto px-8 py-6">{children}</main>
    </div>
  );
}

export function PageHeader({ title, description, actions }: { title: string; description?: React.ReactNode; actions?: React.ReactNode }) {
  return (
    <div className="mb-6 flex items-start justify-between gap-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
        {description && <p className="mt-1 text-sm text-muted-foreground">{description}</p>}
      </div>
      {actions && <div className="flex gap-2">{actions}</div>}
    </div>
  );
}
