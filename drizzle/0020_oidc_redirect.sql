ALTER TABLE "connections" ADD COLUMN "oidc_redirect" text DEFAULT 'shared' NOT NULL;--> statement-breakpoint
-- OIDC connections a tenant's admin made before this column existed move to the tenant's own
-- redirect URI (the IdP mix-up, lib/dal/connections.ts redirectFor): known by a console limit
-- (only a narrower admin's connection carries one) or by their creation event.
UPDATE "connections" c SET "oidc_redirect" = 'tenant'
WHERE c."type" = 'oidc' AND (c."scope_ceiling" IS NOT NULL OR EXISTS (
  SELECT 1 FROM "audit_events" e WHERE e."tenant_id" = c."tenant_id" AND e."target_id" = c."id" AND e."action" = 'connection.created' AND e."actor_type" = 'admin'));
