-- Clients (applications): each has its own origins, login URL, methods, audience, lifetimes and
-- refresh-token delivery. A NULL column falls back to the environment's setting. The default
-- client (DEFAULT_CLIENT_ID) needs no row; a row with its id overrides the environment's fields.
CREATE TABLE "clients" (
    "client_id" TEXT NOT NULL,
    "name" TEXT,
    "allowed_origins" TEXT[],
    "login_url" TEXT,
    "allowed_methods" TEXT[],
    "audience" TEXT,
    "access_token_ttl" INTEGER,
    "refresh_token_ttl" INTEGER,
    "refresh_token_delivery" TEXT,
    "email_from" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "clients_pkey" PRIMARY KEY ("client_id")
);

-- The client a code or link was requested under, and the client a session (refresh-token
-- family) was opened for: exchanging or refreshing under another client fails. NULL on rows
-- written before clients existed: they belong to the default client. Adding a nullable column
-- without a default rewrites nothing.
ALTER TABLE "one_time_tokens" ADD COLUMN "client_id" TEXT;
ALTER TABLE "sessions" ADD COLUMN "client_id" TEXT;
