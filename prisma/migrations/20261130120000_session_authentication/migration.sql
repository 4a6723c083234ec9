-- How and when each session's user authenticated, so every access token minted for the session,
-- refreshes included, carries `auth_time` and `amr` (OIDC Core §2, RFC 8176). Recent-sign-in
-- checks (changing an identifier, adding a passkey, S45) read `auth_time`.
ALTER TABLE "sessions" ADD COLUMN "auth_time" TIMESTAMPTZ(3);
ALTER TABLE "sessions" ADD COLUMN "amr" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
-- Sessions opened before this migration were opened by a code: their sign-in is their creation.
UPDATE "sessions" SET "auth_time" = "created_at";
ALTER TABLE "sessions" ALTER COLUMN "auth_time" SET NOT NULL;

ANALYZE "sessions";
