CREATE TABLE "branding" (
	"id" text PRIMARY KEY NOT NULL,
	"product_name" text,
	"accent_color" text,
	"logo" text,
	"logo_type" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
