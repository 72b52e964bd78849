-- Per-tenant REST API keys: only a SHA-256 of the key is stored; the prefix locates the row.

CREATE TABLE api_keys (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    name varchar(100) NOT NULL,
    prefix char(12) NOT NULL,
    secret_hash char(64) NOT NULL,
    created_by_user_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at timestamptz,
    CONSTRAINT pk_api_keys PRIMARY KEY (id),
    CONSTRAINT fk_api_keys_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_api_keys_created_by_user_id FOREIGN KEY (created_by_user_id) REFERENCES users (id) ON DELETE RESTRICT
);
CREATE INDEX ix_api_keys_tenant_id_created_at ON api_keys (tenant_id, created_at);
-- Authentication finds the key by prefix before any tenant is known.
CREATE UNIQUE INDEX ux_api_keys_prefix ON api_keys (prefix);
CREATE INDEX ix_api_keys_created_by_user_id ON api_keys (created_by_user_id);
