-- One-time tokens and delivery jobs get a purpose, so the one machinery serves both sign-in
-- and identifier verification without a code of one kind ever working for the other (S44).
-- 'sign_in': a sign-in code or link. 'verify': a code proving an address for the signed-in
-- user (user_id) who asked for it. 'notice' (jobs only): a message without a code.
-- A constant default is a catalogue-only change in PostgreSQL 11+: no table rewrite.
ALTER TABLE "one_time_tokens" ADD COLUMN "purpose" TEXT NOT NULL DEFAULT 'sign_in';
ALTER TABLE "delivery_jobs" ADD COLUMN "purpose" TEXT NOT NULL DEFAULT 'sign_in';

ANALYZE "one_time_tokens";
ANALYZE "delivery_jobs";
