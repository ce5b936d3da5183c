'use client';
import {
  flexRender,
  getCoreRowModel,
  getExpandedRowModel,
  useReactTable,
  type ColumnDef,
  type Row,
} from '@tanstack/react-table';
import { Fragment, useMemo } from 'react';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Table, TBody, Td, Th, THead, Tr } from '@/components/ui/table';
import type { AuditEventView } from '@/lib/validation/audit';
import { utc, visibleText } from './visible-text';

export type TenantRef = { name: string; slug: string | null };

/**
 * The audit log as a table (TanStack Table): one row per event, each expandable to everything
 * recorded about it. Every value is rendered as text.
 */
export function AuditTable({
  events,
  tenants,
  label = 'Audit events',
}: {
  events: AuditEventView[];
  /** When given, a Tenant column (operator-wide view); ids missing here are deleted tenants. */
  tenants?: Record<string, TenantRef>;
  label?: string;
}) {
  const columns = useMemo<ColumnDef<AuditEventView>[]>(() => {
    const cols: ColumnDef<AuditEventView>[] = [
      {
        id: 'expand',
        header: () => <span className="sr-only">Details</span>,
        cell: ({ row }) => (
          <Button
            type="button"
            variant="ghost"
            size="sm"
            aria-expanded={row.getIsExpanded()}
            aria-controls={`audit-detail-${row.id}`}
            onClick={row.getToggleExpandedHandler()}
            className="px-2"
          >
            <span aria-hidden>{row.getIsExpanded() ? '▾' : '▸'}</span>
            Details
          </Button>
        ),
      },
      {
        id: 'time',
        header: 'Time',
        cell: ({ row }) => <time dateTime={row.original.occurredAt} className="whitespace-nowrap text-muted-foreground">{utc(row.original.occurredAt)}</time>,
      },
    ];
    if (tenants) {
      cols.push({
        id: 'tenant',
        header: 'Tenant',
        cell: ({ row }) => {
          const id = row.original.tenantId;
          if (!id) return <span className="text-muted-foreground">operator</span>;
          const t = tenants[id];
          return t ? (
            <a href={`/t/${t.slug}/audit-log`} className="hover:underline">
              {visibleText(t.name)}
            </a>
          ) : (
            <span className="font-mono text-xs text-muted-foreground" title="deleted tenant">
              {id}
            </span>
          );
        },
      });
    }
    cols.push(
      { id: 'action', header: 'Action', cell: ({ row }) => <code className="font-mono text-xs">{visibleText(row.original.action)}</code> },
      {
        id: 'outcome',
        header: 'Outcome',
        cell: ({ row }) => <Badge tone={row.original.outcome === 'success' ? 'good' : 'bad'}>{row.original.outcome}</Badge>,
      },
      {
        id: 'actor',
        header: 'Actor',
        cell: ({ row }) => {
          const a = row.original.actor;
          return (
            <span className="block max-w-64 truncate" title={visibleText(a.label ?? a.id ?? a.type)}>
              <span className="text-muted-foreground">{a.type}</span> {visibleText(a.label ?? a.id ?? '')}
            </span>
          );
        },
      },
      {
        id: 'target',
        header: 'Target',
        cell: ({ row }) => {
          const t = row.original.target;
          if (!t) return <span className="text-muted-foreground">—</span>;
          return (
            <span className="block max-w-64 truncate" title={visibleText(t.label ?? t.id)}>
              <span className="text-muted-foreground">{visibleText(t.type)}</span> {visibleText(t.label ?? t.id)}
            </span>
          );
        },
      },
    );
    return cols;
  }, [tenants]);

  const table = useReactTable({
    data: events,
    columns,
    getRowId: (e) => e.id,
    getCoreRowModel: getCoreRowModel(),
    getExpandedRowModel: getExpandedRowModel(),
    getRowCanExpand: () => true,
  });

  return (
    <Table aria-label={label}>
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
          <Fragment key={row.id}>
            <Tr data-event-id={row.original.id} className={row.getIsExpanded() ? 'border-b-0 bg-muted/30' : undefined}>
              {row.getVisibleCells().map((cell) => (
                <Td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</Td>
              ))}
            </Tr>
            {row.getIsExpanded() && (
              <tr id={`audit-detail-${row.id}`} className="border-b border-border bg-muted/30">
                <td colSpan={row.getVisibleCells().length} className="px-3 pb-4 pt-1">
                  <EventDetail row={row} />
                </td>
              </tr>
            )}
          </Fragment>
        ))}
      </TBody>
    </Table>
  );
}

/** Pretty JSON with direction overrides and line separators written as \u escapes (still valid JSON). */
const jsonText = (v: unknown) =>
  JSON.stringify(v, null, 2).replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const shown = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

/**
 * A change recorded as `details: { before: {…}, after: {…} }` (most events that change something),
 * as a readable table: each field that changed, before and after; lists of names (roles, domains)
 * also say what was added and removed.
 */
function ChangesTable({ details }: { details: unknown }) {
  if (!isRecord(details) || (!isRecord(details.before) && !isRecord(details.after))) return null;
  const before = isRecord(details.before) ? details.before : {};
  const after = isRecord(details.after) ? details.after : {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  if (!keys.length) return null;
  const listDiff = (a: unknown, b: unknown) => {
    if (!Array.isArray(a) || !Array.isArray(b) || ![...a, ...b].every((x) => typeof x === 'string')) return null;
    const added = b.filter((x) => !a.includes(x));
    const removed = a.filter((x) => !b.includes(x));
    return [added.length ? `added ${added.join(', ')}` : '', removed.length ? `removed ${removed.join(', ')}` : ''].filter(Boolean).join('; ');
  };
  return (
    <div>
      <p className="mb-1 text-muted-foreground">Changes</p>
      <table aria-label="Changes" className="w-full text-xs">
        <thead>
          <tr className="text-left text-muted-foreground">
            <th className="py-1 pr-3 font-medium">Field</th>
            <th className="py-1 pr-3 font-medium">Before</th>
            <th className="py-1 font-medium">After</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => {
            const diff = listDiff(before[k], after[k]);
            return (
              <tr key={k} className="border-t border-border align-top">
                <th scope="row" className="py-1 pr-3 text-left font-mono font-medium">
                  {visibleText(k)}
                </th>
                <td className="break-all py-1 pr-3 font-mono">{visibleText(shown(before[k]))}</td>
                <td className="break-all py-1 font-mono">
                  {visibleText(shown(after[k]))}
                  {diff && <span className="block font-sans text-muted-foreground">{diff}</span>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function EventDetail({ row }: { row: Row<AuditEventView> }) {
  const e = row.original;
  const items: [string, string | undefined][] = [
    ['Event id', e.id],
    ['Occurred at', e.occurredAt],
    ['Tenant', e.tenantId ?? 'operator-wide'],
    ['Actor', [e.actor.type, e.actor.id, e.actor.label].filter(Boolean).join(' · ')],
    ['Target', e.target ? [e.target.type, e.target.id, e.target.label].filter(Boolean).join(' · ') : undefined],
    ['IP address', e.ip],
    ['User agent', e.userAgent],
    ['Reason', e.reason],
  ];
  return (
    <div role="region" aria-label={`Event ${e.id}`} className="grid gap-3 text-sm">
      <dl className="grid grid-cols-[9rem_1fr] gap-x-4 gap-y-1">
        {items
          .filter(([, v]) => v !== undefined && v !== '')
          .map(([k, v]) => (
            <Fragment key={k}>
              <dt className="text-muted-foreground">{k}</dt>
              <dd className="break-all font-mono text-xs leading-5">{visibleText(v)}</dd>
            </Fragment>
          ))}
      </dl>
      <ChangesTable details={e.details} />
      {e.details !== undefined && (
        <div>
          <p className="mb-1 text-muted-foreground">Details</p>
          <pre aria-label="Details JSON" className="max-h-96 overflow-auto rounded bg-white p-3 font-mono text-xs ring-1 ring-border">
            {jsonText(e.details)}
          </pre>
        </div>
      )}
    </div>
  );
}
