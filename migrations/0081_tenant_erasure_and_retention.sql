-- Export, erasure and retention (docs/security.md).

-- An erased organisation with invoices keeps a tombstone row (id and name, status Erased) so the
-- invoices the law requires keeping still reference it; one without invoices is deleted outright.
ALTER TABLE tenants DROP CONSTRAINT ck_tenants_status;
ALTER TABLE tenants ADD CONSTRAINT ck_tenants_status CHECK (status IN ('Active', 'Suspended', 'Erased'));

-- The buyer as invoiced, copied onto the invoice at erasure if not already there.
ALTER TABLE invoices ADD COLUMN buyer_name varchar(200);

-- Until the general audit log (issue 15) exists, erasures are recorded here: who asked, in which
-- capacity, and what was removed (counts only: nothing of the tenant's data).
CREATE TABLE tenant_erasures (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    tenant_name varchar(100) NOT NULL,
    requested_by uuid,
    requested_as varchar(20) NOT NULL,
    erased_at timestamptz NOT NULL,
    summary jsonb NOT NULL,
    CONSTRAINT pk_tenant_erasures PRIMARY KEY (id),
    CONSTRAINT ck_tenant_erasures_requested_as CHECK (requested_as IN ('Owner', 'PlatformAdmin'))
);
CREATE INDEX ix_tenant_erasures_tenant_id ON tenant_erasures (tenant_id);

-- Retention per plan: checkpoints of finished jobs and job events older than this many days are
-- removed by the retention sweep (the model and the job row stay).
ALTER TABLE billing_plans ADD COLUMN checkpoint_retention_days integer NOT NULL DEFAULT 30;
ALTER TABLE billing_plans ADD COLUMN event_retention_days integer NOT NULL DEFAULT 90;
ALTER TABLE billing_plans ADD CONSTRAINT ck_billing_plans_retention
    CHECK (checkpoint_retention_days > 0 AND event_retention_days > 0);

-- The sweep finds finished jobs whose checkpoints are still on disk.
ALTER TABLE jobs ADD COLUMN checkpoints_removed_at timestamptz;
CREATE INDEX ix_job_events_at ON job_events (at);
