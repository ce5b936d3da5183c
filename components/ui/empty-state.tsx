import * as React from 'react';

/** What an empty list shows: what is missing and what to do next. */
export function EmptyState({ children }: { children: React.ReactNode }) {
  return <p className="rounded-lg border border-dashed border-border p-8 text-center text-sm text-muted-foreground">{children}</p>;
}
