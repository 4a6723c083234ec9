-- Metadata on users: app_metadata is set only through the admin API and travels in access
-- tokens as the `app_metadata` claim; user_metadata the user may change (PATCH /me). Each is a
-- JSON object of at most 4 KB, checked by the service (a CHECK here would also have to be kept
-- in step with the limit; the service is the one writer).
ALTER TABLE "users" ADD COLUMN "app_metadata" JSONB NOT NULL DEFAULT '{}';
ALTER TABLE "users" ADD COLUMN "user_metadata" JSONB NOT NULL DEFAULT '{}';
-- The admin list pages through users in creation order.
CREATE INDEX "users_created_at_id_idx" ON "users"("created_at", "id");
