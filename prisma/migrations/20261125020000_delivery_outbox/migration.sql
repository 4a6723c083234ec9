-- CreateTable
CREATE TABLE "delivery_jobs" (
    "id" BIGSERIAL NOT NULL,
    "user_id" UUID NOT NULL,
    "channel" TEXT NOT NULL,
    "destination_masked" TEXT NOT NULL,
    "client_ip" TEXT,
    "payload" BYTEA,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL,
    "locked_until" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "provider" TEXT,
    "provider_message_id" TEXT,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "delivery_jobs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "delivery_jobs_status_next_attempt_at_idx" ON "delivery_jobs"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "delivery_jobs_user_id_idx" ON "delivery_jobs"("user_id");

-- CreateIndex
CREATE INDEX "delivery_jobs_finished_at_idx" ON "delivery_jobs"("finished_at");

-- AddForeignKey
ALTER TABLE "delivery_jobs" ADD CONSTRAINT "delivery_jobs_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
