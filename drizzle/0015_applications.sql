CREATE TABLE "applications" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"client_id" text NOT NULL,
	"type" text DEFAULT 'confidential' NOT NULL,
	"secret_hash" text,
	"redirect_uris" text[] NOT NULL,
	"post_logout_redirect_uris" text[] DEFAULT '{}'::text[] NOT NULL,
	"backchannel_logout_uri" text,
	"tenant_ids" text[],
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "backchannel_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"application_id" text NOT NULL,
	"tenant_id" text,
	"account_id" text NOT NULL,
	"sid" text NOT NULL,
	"reason" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"http_status" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "oidc_payloads" (
	"model" text NOT NULL,
	"id" text NOT NULL,
	"payload" jsonb NOT NULL,
	"grant_id" text,
	"uid" text,
	"user_code" text,
	"account_id" text,
	"client_id" text,
	"expires_at" timestamp with time zone,
	"consumed_at" timestamp with time zone,
	CONSTRAINT "oidc_payloads_model_id_pk" PRIMARY KEY("model","id")
);
--> statement-breakpoint
CREATE TABLE "oidc_session_links" (
	"session_uid" text PRIMARY KEY NOT NULL,
	"portal_session_id" text NOT NULL,
	"account_id" text NOT NULL,
	"tenant_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "oidc_signing_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"alg" text NOT NULL,
	"state" text NOT NULL,
	"private_jwk_sealed" text NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"activated_at" timestamp with time zone,
	"not_after" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "backchannel_deliveries" ADD CONSTRAINT "backchannel_deliveries_application_id_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."applications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "applications_client_id_key" ON "applications" USING btree ("client_id");--> statement-breakpoint
CREATE INDEX "backchannel_deliveries_due_idx" ON "backchannel_deliveries" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "backchannel_deliveries_app_idx" ON "backchannel_deliveries" USING btree ("application_id","created_at");--> statement-breakpoint
CREATE INDEX "oidc_payloads_grant_idx" ON "oidc_payloads" USING btree ("grant_id") WHERE "oidc_payloads"."grant_id" is not null;--> statement-breakpoint
CREATE INDEX "oidc_payloads_uid_idx" ON "oidc_payloads" USING btree ("uid") WHERE "oidc_payloads"."uid" is not null;--> statement-breakpoint
CREATE INDEX "oidc_payloads_account_idx" ON "oidc_payloads" USING btree ("account_id","model") WHERE "oidc_payloads"."account_id" is not null;--> statement-breakpoint
CREATE INDEX "oidc_payloads_client_idx" ON "oidc_payloads" USING btree ("client_id") WHERE "oidc_payloads"."client_id" is not null;--> statement-breakpoint
CREATE INDEX "oidc_payloads_expires_idx" ON "oidc_payloads" USING btree ("expires_at") WHERE "oidc_payloads"."expires_at" is not null;--> statement-breakpoint
CREATE INDEX "oidc_session_links_portal_idx" ON "oidc_session_links" USING btree ("portal_session_id");--> statement-breakpoint
CREATE INDEX "oidc_session_links_account_idx" ON "oidc_session_links" USING btree ("account_id");