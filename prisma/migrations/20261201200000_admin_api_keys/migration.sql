-- Admin API keys (S41): only the SHA-256 of a key is stored; the key itself is shown once, by
-- `npm run admin -- keys create`. A revoked key keeps its row, so the audit trail's key ids
-- stay explainable.
CREATE TABLE "admin_api_keys" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "key_hash" BYTEA NOT NULL,
    "scopes" TEXT[] NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "admin_api_keys_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "admin_api_keys_key_hash_key" ON "admin_api_keys"("key_hash");
