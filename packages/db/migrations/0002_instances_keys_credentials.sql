CREATE TABLE "connection_tickets" (
	"token_hash" "bytea" PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"instance_id" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "oauth_states" (
	"state_hash" "bytea" PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"provider" varchar(32) NOT NULL,
	"label" varchar(100) NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_keys" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"wrapped_key" "bytea" NOT NULL,
	"key_version" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "user_keys_wrapped_size" CHECK (octet_length("user_keys"."wrapped_key") <= 256)
);
--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "instance_id" uuid;--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "bytes_in" bigint;--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "bytes_out" bigint;--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "messages_in" integer;--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "messages_out" integer;--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "close_code" integer;--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "latency_ms" integer;--> statement-breakpoint
ALTER TABLE "credentials" ADD COLUMN "password_protected" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "credentials" ADD COLUMN "verification_status" varchar(16) DEFAULT 'unverified' NOT NULL;--> statement-breakpoint
ALTER TABLE "credentials" ADD COLUMN "verification_reason" varchar(300);--> statement-breakpoint
ALTER TABLE "credentials" ADD COLUMN "verified_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "agent_certificate" "bytea";--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "agent_version" varchar(32);--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "openclaw_version" varchar(32);--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "credential_ciphertext" "bytea";--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "reauthenticated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "aws_external_id" varchar(64);--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "password_wrapped_key" "bytea";--> statement-breakpoint
ALTER TABLE "connection_tickets" ADD CONSTRAINT "connection_tickets_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connection_tickets" ADD CONSTRAINT "connection_tickets_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth_states" ADD CONSTRAINT "oauth_states_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_keys" ADD CONSTRAINT "user_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_credential_size" CHECK (octet_length("instances"."credential_ciphertext") <= 1024);--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_certificate_size" CHECK (octet_length("instances"."agent_certificate") <= 4096);