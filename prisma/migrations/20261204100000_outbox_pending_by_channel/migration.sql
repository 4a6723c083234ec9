-- The dispatcher claims each channel's due jobs up to that channel's own limit of sends in
-- flight (issue 9, S48), so the pending-jobs index leads with the channel: each channel's claim
-- is one range of it in due order, and never steps over the other channel's backlog (an SMS
-- backlog behind a slow SNS, say). It still holds only the pending jobs.
DROP INDEX "delivery_jobs_pending_due_idx";
CREATE INDEX "delivery_jobs_pending_due_idx" ON "delivery_jobs"("channel", "next_attempt_at", "id") WHERE "status" = 'pending';

ANALYZE "delivery_jobs";
