ALTER TABLE "tenants" ADD COLUMN "inactivity_ceiling" text[];--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "scope_ceiling" text[];--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "scope_ceiling" text[];--> statement-breakpoint
ALTER TABLE "directories" ADD COLUMN "scope_ceiling" text[];