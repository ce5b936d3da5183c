-- Free-text search of the audit log (`q`, lib/audit/query.ts): a trigram GIN index over the
-- searched columns joined by a unit separator (U+001F), so `ilike '%…%'` is an index lookup instead
-- of a scan. The expression must stay identical to SEARCH_TEXT in lib/audit/query.ts.
-- pg_trgm is a trusted extension on PostgreSQL 13+ (the database owner may create it); embedded
-- storage loads it in lib/db/client.ts.
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "audit_events_search_trgm_idx" ON "audit_events" USING gin (
  (coalesce(actor_label, '') || E'\x1f' || coalesce(target_label, '') || E'\x1f' || coalesce(target_id, '') || E'\x1f' || action || E'\x1f' || coalesce(reason, '') || E'\x1f' || coalesce(ip, '')) gin_trgm_ops
);
