ALTER TABLE "instances" ADD COLUMN "cloud_credential_id" uuid;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "public_address" varchar(64);--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "failure_reason" varchar(300);--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "deadline_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "registration_code_hash" "bytea";--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "registration_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_cloud_credential_id_credentials_id_fk" FOREIGN KEY ("cloud_credential_id") REFERENCES "public"."credentials"("id") ON DELETE no action ON UPDATE no action;