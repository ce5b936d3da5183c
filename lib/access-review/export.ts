import 'server-only';
import { record } from '../audit/record';
import type { Ctx } from '../audit/types';
import { getDb } from '../db/client';
import { log } from '../log';
import { reviewCsvHeader, reviewCsvLine } from './csv';
import { accessReviewBatches, resolveFilter } from './query';
import type { ReviewFilterInput } from './validation';

/** A CSV of the access review, streamed in keyset batches (memory stays flat). */
export function reviewCsvStream(tenantId: string, filter: ReviewFilterInput, opts: { batchSize?: number; now?: Date } = {}): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let batches: AsyncGenerator<string> | null = null;
  async function* lines() {
    for await (const batch of accessReviewBatches(tenantId, { ...filter, now: opts.now ?? new Date() }, opts.batchSize)) {
      yield batch.map(reviewCsvLine).join('');
    }
  }
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(enc.encode(reviewCsvHeader()));
      },
      async pull(controller) {
        try {
          batches ??= lines();
          const next = await batches.next();
          if (next.done) controller.close();
          else controller.enqueue(enc.encode(next.value));
        } catch (err) {
          log('error', 'access review export failed midway', { tenantId, err });
          controller.error(err);
        }
      },
      async cancel() {
        await batches?.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}

export type StartedReviewExport = { stream: ReadableStream<Uint8Array>; filename: string };

/** Records `access_review.exported` (who, which filters) and starts the CSV. */
export async function startReviewExport(
  ctx: Ctx,
  tenant: { id: string; slug?: string; name?: string },
  input: ReviewFilterInput,
  opts: { via?: 'api' | 'console'; batchSize?: number } = {},
): Promise<StartedReviewExport> {
  const filter = await resolveFilter(tenant.id, input);
  const filters = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined && v !== ''));
  const db = await getDb();
  await db.transaction((tx) =>
    record(tx, ctx, {
      tenantId: tenant.id,
      action: 'access_review.exported',
      target: { type: 'tenant', id: tenant.id, label: tenant.name ?? null },
      details: { format: 'csv', filters, ...(opts.via ? { via: opts.via } : {}) },
    }),
  );
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  return {
    stream: reviewCsvStream(tenant.id, filter, { batchSize: opts.batchSize }),
    filename: `access-review-${(tenant.slug ?? tenant.id).replace(/[^a-zA-Z0-9_-]/g, '')}-${stamp}.csv`,
  };
}

export function reviewExportResponse(e: StartedReviewExport): Response {
  return new Response(e.stream, {
    status: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${e.filename}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}
