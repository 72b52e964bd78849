-- Billing: plans, subscriptions (with their plan history), per-tenant quota overrides, the usage
-- ledger (the source of truth for what is billed), invoices with lines, credit notes, and the Stripe
-- webhook events already applied. Money is numeric, never float; ledger time is whole seconds.

CREATE TABLE billing_plans (
    id                    uuid PRIMARY KEY,
    code                  varchar(64) NOT NULL UNIQUE,
    name                  varchar(200) NOT NULL,
    currency              char(3) NOT NULL,
    monthly_fee           numeric(18,4) NOT NULL CHECK (monthly_fee >= 0),
    included_gpu_hours    numeric(12,4) NOT NULL CHECK (included_gpu_hours >= 0),
    included_cpu_hours    numeric(12,4) NOT NULL CHECK (included_cpu_hours >= 0),
    gpu_overage_per_hour  numeric(18,6) NOT NULL CHECK (gpu_overage_per_hour >= 0),
    cpu_overage_per_hour  numeric(18,6) NOT NULL CHECK (cpu_overage_per_hour >= 0),
    max_concurrent_jobs   integer NOT NULL CHECK (max_concurrent_jobs >= 0),
    max_dataset_bytes     bigint NOT NULL CHECK (max_dataset_bytes >= 0),
    max_storage_bytes     bigint NOT NULL CHECK (max_storage_bytes >= 0),
    cap_mode              varchar(8) NOT NULL CHECK (cap_mode IN ('Hard','Soft')),
    stripe_price_id       varchar(255),
    stripe_gpu_price_id   varchar(255),
    stripe_cpu_price_id   varchar(255),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE subscriptions (
    tenant_id              uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    status                 varchar(16) NOT NULL CHECK (status IN ('trialing','active','past_due','canceled')),
    -- Periods are whole months from the anchor (BillingPeriod.Containing).
    anchor                 timestamptz NOT NULL,
    trial_ends_at          timestamptz,
    canceled_at            timestamptz,
    stripe_customer_id     varchar(255),
    stripe_subscription_id varchar(255),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);

-- The plan in force from each instant on; proration splits a period at these instants.
CREATE TABLE subscription_plan_changes (
    tenant_id    uuid NOT NULL REFERENCES subscriptions (tenant_id) ON DELETE CASCADE,
    effective_at timestamptz NOT NULL,
    plan_id      uuid NOT NULL REFERENCES billing_plans (id),
    changed_by   uuid,
    PRIMARY KEY (tenant_id, effective_at)
);

CREATE TABLE tenant_quota_overrides (
    tenant_id        uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    extra_gpu_hours  numeric(12,4) NOT NULL DEFAULT 0,
    extra_cpu_hours  numeric(12,4) NOT NULL DEFAULT 0,
    cap_mode         varchar(8) CHECK (cap_mode IN ('Hard','Soft')),
    note             varchar(500),
    updated_by       uuid,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- One row per metered segment, keyed by its idempotency key: ingesting a segment twice is a no-op.
-- No foreign key to jobs: the ledger outlives deleted jobs (it is what was billed).
CREATE TABLE usage_ledger (
    idempotency_key    varchar(80) PRIMARY KEY,
    tenant_id          uuid NOT NULL,
    job_id             uuid NOT NULL,
    attempt            integer NOT NULL,
    segment            integer NOT NULL,
    worker_id          uuid NOT NULL,
    device_kind        varchar(8) NOT NULL CHECK (device_kind IN ('cpu','cuda')),
    started_at         timestamptz NOT NULL,
    ended_at           timestamptz NOT NULL,
    seconds            bigint NOT NULL CHECK (seconds >= 0),
    ingested_at        timestamptz NOT NULL DEFAULT now(),
    -- Set when Stripe accepted the meter event with this key as its identifier.
    stripe_reported_at timestamptz
);
-- Periods are attributed by the segment's end; the index covers the aggregation.
CREATE INDEX ix_usage_ledger_tenant_ended ON usage_ledger (tenant_id, ended_at) INCLUDE (device_kind, seconds);
CREATE INDEX ix_usage_ledger_unreported ON usage_ledger (ingested_at) WHERE stripe_reported_at IS NULL;

CREATE SEQUENCE invoice_numbers;

CREATE TABLE invoices (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number            varchar(32) NOT NULL UNIQUE,
    period_start      timestamptz NOT NULL,
    period_end        timestamptz NOT NULL,
    status            varchar(8) NOT NULL CHECK (status IN ('draft','open','paid','void')),
    currency          char(3) NOT NULL,
    total             numeric(18,2) NOT NULL,
    gpu_seconds       bigint NOT NULL,
    cpu_seconds       bigint NOT NULL,
    ledger_rows       bigint NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    finalized_at      timestamptz,
    paid_at           timestamptz,
    voided_at         timestamptz,
    stripe_invoice_id varchar(255) UNIQUE,
    -- The period close runs once per tenant and period, whatever else goes wrong.
    CONSTRAINT ux_invoices_tenant_period UNIQUE (tenant_id, period_start)
);

CREATE TABLE invoice_lines (
    invoice_id  uuid NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    line_no     integer NOT NULL,
    kind        varchar(16) NOT NULL CHECK (kind IN ('Fee','IncludedUsage','Overage')),
    description varchar(300) NOT NULL,
    device_kind varchar(8),
    seconds     bigint NOT NULL,
    unit_price  numeric(18,6) NOT NULL,
    amount      numeric(18,2) NOT NULL,
    PRIMARY KEY (invoice_id, line_no)
);

CREATE TABLE credit_notes (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL,
    invoice_id uuid NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    number     varchar(32) NOT NULL UNIQUE,
    amount     numeric(18,2) NOT NULL CHECK (amount > 0),
    reason     varchar(500) NOT NULL,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_credit_notes_tenant_invoice ON credit_notes (tenant_id, invoice_id);

-- Webhook events applied, so a redelivered event is acknowledged without being applied again.
CREATE TABLE stripe_events (
    id          varchar(255) PRIMARY KEY,
    type        varchar(100) NOT NULL,
    created     timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
