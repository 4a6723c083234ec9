-- Each channel's newest delivered job, for admission control (issue 9, S48): a job whose sends
-- keep failing while a later job of its channel was delivered fails for a reason of its own, and
-- no longer closes code requests once the outbox stops draining. The probe reads it once a
-- second per channel, one step down this index whatever the other channel sent since.
CREATE INDEX "delivery_jobs_delivered_idx" ON "delivery_jobs"("channel", "id") WHERE "status" = 'delivered';

ANALYZE "delivery_jobs";
