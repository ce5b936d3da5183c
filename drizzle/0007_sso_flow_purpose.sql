ALTER TABLE "sso_flows" ADD COLUMN "purpose" text DEFAULT 'signin' NOT NULL;--> statement-breakpoint
ALTER TABLE "sso_flows" ADD COLUMN "detail" jsonb;