-- Wrong guesses per destination and source network (/24 or /64) per minute (S6, S38): the
-- per-network budget keeps a third party from locking the owner out, the daily ceiling across
-- networks bounds how many guesses anyone gets.
CREATE TABLE "guess_failures" (
    "channel" TEXT NOT NULL,
    "destination" TEXT NOT NULL,
    "network" TEXT NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "guess_failures_pkey" PRIMARY KEY ("channel", "destination", "network", "window_start")
);

-- Retention deletes by window.
CREATE INDEX "guess_failures_window_start_idx" ON "guess_failures"("window_start");

-- An SMS job is charged against the caps once, however often it is retried.
ALTER TABLE "delivery_jobs" ADD COLUMN "sms_charged" BOOLEAN NOT NULL DEFAULT false;

ANALYZE "guess_failures";
ANALYZE "delivery_jobs";
