DROP INDEX "connections_entity_id_key";--> statement-breakpoint
CREATE UNIQUE INDEX "connections_tenant_entity_id_key" ON "connections" USING btree ("tenant_id",("idp"->>'entityId'));