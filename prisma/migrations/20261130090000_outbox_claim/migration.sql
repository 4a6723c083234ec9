-- The dispatcher's claim and the admission probe read only pending jobs, oldest due first. A
-- partial index holds just the backlog (a few rows when delivery keeps up), so its size does
-- not grow with the delivered history, and the claim reads it in claim order.
CREATE INDEX "delivery_jobs_pending_due_idx" ON "delivery_jobs"("next_attempt_at", "id") WHERE "status" = 'pending';

-- Replaced by the partial index above: nothing else reads jobs by status.
DROP INDEX "delivery_jobs_status_next_attempt_at_idx";

ANALYZE "delivery_jobs";
