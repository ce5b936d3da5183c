'use client';
import { flexRender, getCoreRowModel, useReactTable, type ColumnDef, type RowSelectionState } from '@tanstack/react-table';
import { useRouter } from 'next/navigation';
import { useMemo, useState } from 'react';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { ConfirmButton } from '@/components/ui/confirm-button';
import { Table, TBody, Td, Th, THead, Tr } from '@/components/ui/table';
import type { ReviewItem } from '@/lib/access-review/validation';

const when = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : 'never');

/**
 * The access review table (TanStack Table): one row per user with a checkbox; the selected active
 * users are suspended together after a confirmation (one request, one transaction).
 */
export function ReviewTable({ items, suspend }: { items: ReviewItem[]; suspend: (ids: string[]) => Promise<{ error?: string; suspended?: number }> }) {
  const router = useRouter();
  const [selection, setSelection] = useState<RowSelectionState>({});
  const [notice, setNotice] = useState<string | null>(null);
  const columns = useMemo<ColumnDef<ReviewItem>[]>(
    () => [
      {
        id: 'select',
        header: ({ table }) => (
          <input
            type="checkbox"
            aria-label="Select all active users on this page"
            className="size-4"
            checked={table.getIsAllRowsSelected()}
            ref={(el) => {
              if (el) el.indeterminate = table.getIsSomeRowsSelected();
            }}
            onChange={table.getToggleAllRowsSelectedHandler()}
          />
        ),
        cell: ({ row }) => (
          <input
            type="checkbox"
            aria-label={`Select ${row.original.email}`}
            className="size-4"
            checked={row.getIsSelected()}
            disabled={!row.getCanSelect()}
            onChange={row.getToggleSelectedHandler()}
          />
        ),
      },
      { id: 'email', header: 'Email', cell: ({ row }) => <span className="font-medium">{row.original.email}</span> },
      { id: 'name', header: 'Name', cell: ({ row }) => [row.original.firstName, row.original.lastName].filter(Boolean).join(' ') || '—' },
      { id: 'roles', header: 'Roles', cell: ({ row }) => row.original.roles.join(', ') || '—' },
      { id: 'source', header: 'Source', cell: ({ row }) => row.original.source },
      {
        id: 'status',
        header: 'Status',
        cell: ({ row }) => (row.original.status === 'active' ? <Badge tone="good">active</Badge> : <Badge tone="bad">suspended</Badge>),
      },
      { id: 'last', header: 'Last sign-in (UTC)', cell: ({ row }) => <span className="whitespace-nowrap text-muted-foreground">{when(row.original.lastLoginAt)}</span> },
      {
        id: 'days',
        header: 'Days inactive',
        cell: ({ row }) => (
          <span className="tabular-nums" title={row.original.lastLoginAt ? 'since the last sign-in' : 'never signed in: since the account was created'}>
            {row.original.daysInactive}
            {row.original.lastLoginAt ? '' : ' (never)'}
          </span>
        ),
      },
    ],
    [],
  );
  const table = useReactTable({
    data: items,
    columns,
    getRowId: (u) => u.id,
    state: { rowSelection: selection },
    onRowSelectionChange: setSelection,
    enableRowSelection: (row) => row.original.status === 'active',
    getCoreRowModel: getCoreRowModel(),
  });
  const selected = table.getSelectedRowModel().rows.map((r) => r.original);

  return (
    <div className="grid gap-3">
      <div className="flex flex-wrap items-center gap-3">
        {selected.length === 0 ? (
          <Button variant="outline" size="sm" disabled>
            Suspend selected
          </Button>
        ) : (
          <ConfirmButton
            size="sm"
            title={`Suspend ${selected.length} user${selected.length === 1 ? '' : 's'}?`}
            description={
              <>
                Their sessions end at once and they cannot sign in until an admin reactivates them:{' '}
                {selected
                  .slice(0, 5)
                  .map((u) => u.email)
                  .join(', ')}
                {selected.length > 5 ? ` and ${selected.length - 5} more` : ''}.
              </>
            }
            confirmLabel={`Suspend ${selected.length}`}
            onConfirm={async () => {
              const r = await suspend(selected.map((u) => u.id));
              if (r.error) return { error: r.error };
              setSelection({});
              setNotice(`Suspended ${r.suspended ?? selected.length} user${(r.suspended ?? selected.length) === 1 ? '' : 's'}.`);
              router.refresh();
            }}
          >
            Suspend selected ({selected.length})
          </ConfirmButton>
        )}
        <span className="text-sm text-muted-foreground" aria-live="polite">
          {notice ?? (selected.length ? `${selected.length} selected` : 'Select active users to suspend them together.')}
        </span>
      </div>
      <Table aria-label="Access review">
        <THead>
          {table.getHeaderGroups().map((g) => (
            <Tr key={g.id}>
              {g.headers.map((h) => (
                <Th key={h.id}>{h.isPlaceholder ? null : flexRender(h.column.columnDef.header, h.getContext())}</Th>
              ))}
            </Tr>
          ))}
        </THead>
        <TBody>
          {table.getRowModel().rows.map((row) => (
            <Tr key={row.id} data-state={row.getIsSelected() ? 'selected' : undefined} className={row.getIsSelected() ? 'bg-muted/50' : undefined}>
              {row.getVisibleCells().map((c) => (
                <Td key={c.id}>{flexRender(c.column.columnDef.cell, c.getContext())}</Td>
              ))}
            </Tr>
          ))}
        </TBody>
      </Table>
    </div>
  );
}
