-- Encryption at rest: each tenant's artifacts are encrypted with its data keys, stored here only
-- wrapped by a master key (configuration or a KMS). Rotating the master key rewrites wrapped_key and
-- master_key_id, never the files; a new data key version encrypts new files while older files keep
-- the version named in their header. Erasing a tenant deletes its rows: its files, and any copy of
-- them in a backup, can no longer be decrypted.
CREATE TABLE tenant_data_keys (
    tenant_id uuid NOT NULL,
    version integer NOT NULL,
    wrapped_key bytea NOT NULL,
    master_key_id varchar(200) NOT NULL,
    created_at timestamptz NOT NULL,
    rewrapped_at timestamptz,
    CONSTRAINT pk_tenant_data_keys PRIMARY KEY (tenant_id, version),
    CONSTRAINT ck_tenant_data_keys_version CHECK (version > 0)
);
-- A master-key rotation finds the rows still wrapped by an older key.
CREATE INDEX ix_tenant_data_keys_master_key_id ON tenant_data_keys (master_key_id);
