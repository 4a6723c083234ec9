-- The client a passkey sign-in challenge was handed out to: an assertion over it signs in only
-- under that client, as a code requested under one client is exchanged only under it. NULL on
-- challenges written before (at most five minutes old): they belong to the default client.
-- Adding a nullable column without a default rewrites nothing.
ALTER TABLE "webauthn_challenges" ADD COLUMN "client_id" TEXT;
