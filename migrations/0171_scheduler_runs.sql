-- When each periodic step (billing ingestion, period close, Stripe reporting, housekeeping) last ran,
-- succeeded or failed (issue 15): the readiness check reads it to say the scheduler is alive, and an
-- operator reads it without opening the Hangfire dashboard. One row per step, updated in place.
CREATE TABLE scheduler_runs (
    step varchar(100) NOT NULL,
    last_started_at timestamptz NOT NULL,
    last_succeeded_at timestamptz,
    last_failed_at timestamptz,
    last_error varchar(2000),
    CONSTRAINT pk_scheduler_runs PRIMARY KEY (step)
);
