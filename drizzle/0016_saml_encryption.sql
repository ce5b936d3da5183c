CREATE TABLE "saml_sp_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"use" text NOT NULL,
	"state" text NOT NULL,
	"cert_pem" text NOT NULL,
	"private_key_sealed" text NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "require_encrypted_assertions" boolean DEFAULT false NOT NULL;