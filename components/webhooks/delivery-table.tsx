'use client';
import { flexRender, getCoreRowModel, useReactTable, type ColumnDef } from '@tanstack/react-table';
import { useRouter } from 'next/navigation';
import { useMemo, useState, useTransition } from 'react';
import type { ActionResult } from '@/lib/actions';
import type { DeliveryView } from '@/lib/webhooks/validation';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Table, TBody, Td, Th, THead, Tr } from '@/components/ui/table';
import { utc } from './labels';

function ResendButton({ id, resend }: { id: string; resend: (deliveryId: string) => Promise<ActionResult<DeliveryView>> }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="grid justify-items-end gap-1">
      <Button
        size="sm"
        variant="outline"
        disabled={pending}
        onClick={() =>
          start(async () => {
            setError(null);
            const r = await resend(id);
            if (!r.ok) return setError(r.error);
            router.refresh();
          })
        }
      >
        {pending ? 'Sending…' : 'Resend'}
      </Button>
      {error && (
        <span role="alert" className="text-xs text-destructive">
          {error}
        </span>
      )}
    </div>
  );
}

/** The delivery log (TanStack Table): every attempt, newest first, each with Resend. */
export function DeliveryTable({ deliveries, resend }: { deliveries: DeliveryView[]; resend: (deliveryId: string) => Promise<ActionResult<DeliveryView>> }) {
  const columns = useMemo<ColumnDef<DeliveryView>[]>(
    () => [
      { id: 'time', header: 'Time', cell: ({ row }) => <time dateTime={row.original.createdAt} className="whitespace-nowrap text-muted-foreground">{utc(row.original.createdAt)}</time> },
      {
        id: 'type',
        header: 'Event type',
        cell: ({ row }) => (
          <span className="grid">
            <code className="font-mono text-xs">{row.original.eventType}</code>
            <span className="font-mono text-[11px] text-muted-foreground">{row.original.eventId}</span>
          </span>
        ),
      },
      {
        id: 'status',
        header: 'Status',
        cell: ({ row }) => (
          <span className="flex gap-1">
            <Badge tone={row.original.status === 'delivered' ? 'good' : 'bad'}>{row.original.status}</Badge>
            {row.original.manual && <Badge>manual</Badge>}
          </span>
        ),
      },
      { id: 'http', header: 'HTTP', cell: ({ row }) => row.original.httpStatus ?? '—' },
      { id: 'attempt', header: 'Attempt', cell: ({ row }) => row.original.attempt },
      { id: 'duration', header: 'Duration', cell: ({ row }) => <span className="whitespace-nowrap">{row.original.durationMs} ms</span> },
      { id: 'error', header: 'Error', cell: ({ row }) => <span className="block max-w-xs break-words text-xs text-destructive">{row.original.error ?? ''}</span> },
      { id: 'resend', header: () => <span className="sr-only">Actions</span>, cell: ({ row }) => <ResendButton id={row.original.id} resend={resend} /> },
    ],
    [resend],
  );
  const table = useReactTable({ data: deliveries, columns, getCoreRowModel: getCoreRowModel(), getRowId: (d) => d.id });
  return (
    <Table aria-label="Delivery log">
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
        {table.getRowModel().rows.map((r) => (
          <Tr key={r.id}>
            {r.getVisibleCells().map((c) => (
              <Td key={c.id}>{flexRender(c.column.columnDef.cell, c.getContext())}</Td>
            ))}
          </Tr>
        ))}
      </TBody>
    </Table>
  );
}
