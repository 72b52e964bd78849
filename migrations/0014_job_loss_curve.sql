-- The training-loss curve of a job: one point per progress report (about one a second), the mean loss of
-- the steps since the previous point. Keyed by step so that a resumed attempt overwrites what it redoes.
CREATE TABLE job_loss_points (
    tenant_id     uuid NOT NULL,
    job_id        uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    step          bigint NOT NULL CHECK (step > 0),
    total_steps   bigint NOT NULL CHECK (total_steps > 0),
    loss          double precision NOT NULL,
    learning_rate double precision NOT NULL,
    attempt       int NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, job_id, step)
);
