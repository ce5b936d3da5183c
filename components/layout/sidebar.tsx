import Link from 'next/link';
import * as React from 'react';
import { accentStyle } from '@/components/branding/brand-mark';
import type { Branding } from '@/lib/branding/branding';
import { ConsoleNav, type NavItem } from './console-nav';

export type { NavItem };

/** The consoles' frame: a sidebar of sections and the page beside it (above it, on a phone). */
export function SidebarLayout({
  title,
  subtitle,
  nav,
  footer,
  brand,
  children,
}: {
  title: string;
  subtitle?: string;
  nav: NavItem[];
  footer?: React.ReactNode;
  /** The operator's branding, on the consoles customers see (tenant admins, set-up links). */
  brand?: Branding;
  children: React.ReactNode;
}) {
  return (
    <div className="flex min-h-screen flex-col min-[900px]:flex-row" style={brand ? accentStyle(brand) : undefined}>
      <aside className="relative flex flex-col border-b border-border bg-muted/40 min-[900px]:w-60 min-[900px]:shrink-0 min-[900px]:border-b-0 min-[900px]:border-r">
        <div className="border-b border-border px-5 py-4 pr-28 min-[900px]:pr-5">
          {brand && (
            <p className="mb-2 flex items-center gap-2 text-xs font-semibold" data-testid="brand">
              {brand.logoUrl && (
                // eslint-disable-next-line @next/next/no-img-element -- a small logo from this origin
                <img src={brand.logoUrl} alt="" className="h-5 w-auto max-w-28 object-contain" />
              )}
              {brand.productName}
            </p>
          )}
          <p className="truncate text-sm font-semibold">{title}</p>
          {subtitle && <p className="truncate text-xs text-muted-foreground">{subtitle}</p>}
        </div>
        <ConsoleNav nav={nav} footer={footer} />
      </aside>
      <main className="min-w-0 flex-1 overflow-x-auto px-4 py-6 min-[900px]:px-8">{children}</main>
    </div>
  );
}

/** A page's title; `back` names the list a detail page belongs to (a link above the title). */
export function PageHeader({
  title,
  description,
  actions,
  back,
}: {
  title: string;
  description?: React.ReactNode;
  actions?: React.ReactNode;
  back?: { href: string; label: string };
}) {
  return (
    <div className="mb-6 flex flex-wrap items-start justify-between gap-4">
      <div>
        {back && (
          <p className="mb-1 text-sm">
            <Link href={back.href} className="text-muted-foreground underline-offset-2 hover:text-zinc-900 hover:underline">
              ← {back.label}
            </Link>
          </p>
        )}
        <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
        {description && <p className="mt-1 text-sm text-muted-foreground">{description}</p>}
      </div>
      {actions && <div className="flex gap-2">{actions}</div>}
    </div>
  );
}
