-- Storage choices for the request and exchange hot paths, measured with pgbench on the issue
-- statement (see README, "Performance").

-- One-time tokens and delivery jobs live for minutes and are purged by the retention job. A
-- foreign key to users makes every insert take a KEY SHARE lock on the user's row, which
-- dirties a random users page per request (about a third of the insert's cost). Integrity is
-- kept by the statements instead: a token is consumed only by joining a live user, and a
-- deleted user's tokens and jobs can never sign anyone in; retention removes them.
ALTER TABLE "one_time_tokens" DROP CONSTRAINT "one_time_tokens_user_id_fkey";
ALTER TABLE "delivery_jobs" DROP CONSTRAINT "delivery_jobs_user_id_fkey";

-- Indexes nothing reads on a hot path; retention scans these small tables instead.
DROP INDEX "one_time_tokens_user_id_idx";
DROP INDEX "one_time_tokens_expires_at_idx";
DROP INDEX "delivery_jobs_finished_at_idx";
DROP INDEX "request_throttle_last_request_at_idx";

-- The request throttle stays a logged table on purpose: a request for an unknown identifier
-- writes only its throttle row, and if that row skipped the WAL its commit would skip the WAL
-- flush too, answering measurably faster than a request for a known one (S17).

-- Room on each page so the updates of the hot paths (a guess counted, a use consumed, a sign-in
-- time, a session touched, a token spent, a job finished) stay heap-only (HOT) and rewrite no index.
ALTER TABLE "one_time_tokens" SET (fillfactor = 70);
ALTER TABLE "users" SET (fillfactor = 85);
ALTER TABLE "sessions" SET (fillfactor = 80);
ALTER TABLE "refresh_tokens" SET (fillfactor = 80);
ALTER TABLE "delivery_jobs" SET (fillfactor = 80);
