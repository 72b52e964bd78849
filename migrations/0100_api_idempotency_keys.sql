-- Idempotency-Key on the REST API's POSTs (decision 0026): the first response to a key is kept for
-- 24 hours and replayed to a retry with the same request; the same key with another request is refused.
-- A row without a status is a request still running: a concurrent retry waits for it instead of
-- creating a second object (the primary key lets exactly one of two simultaneous requests insert).
CREATE TABLE api_idempotency_keys (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key           varchar(255) NOT NULL,
    request_hash  varchar(64) NOT NULL,
    status        integer,
    content_type  varchar(200),
    location      varchar(2000),
    body          bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX ix_api_idempotency_keys_created ON api_idempotency_keys (tenant_id, created_at);
