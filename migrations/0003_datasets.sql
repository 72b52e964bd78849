-- Datasets: immutable, versioned per (tenant, name). The data itself lives in the artifact store;
-- dataset_files records which content-addressed files each version uses, so a file shared by two
-- versions is deleted only with the last of them.

CREATE TABLE datasets (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    name varchar(100) NOT NULL,
    version integer NOT NULL,
    kind varchar(20) NOT NULL,
    status varchar(20) NOT NULL,
    content_hash char(64) NOT NULL,
    artifact_path varchar(300) NOT NULL,
    split_path varchar(300) NOT NULL,
    size_bytes bigint NOT NULL,
    row_count integer NOT NULL,
    train_count integer NOT NULL,
    validation_count integer NOT NULL,
    label_counts jsonb NOT NULL,
    text_column varchar(200),
    label_column varchar(200),
    warnings jsonb NOT NULL,
    stats jsonb NOT NULL,
    samples jsonb NOT NULL,
    split_seed integer NOT NULL,
    created_by_user_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT pk_datasets PRIMARY KEY (id),
    CONSTRAINT ak_datasets_tenant_id_id UNIQUE (tenant_id, id),
    CONSTRAINT ck_datasets_kind CHECK (kind IN ('Text', 'Image')),
    CONSTRAINT ck_datasets_status CHECK (status IN ('Ready')),
    CONSTRAINT ck_datasets_version CHECK (version >= 1),
    CONSTRAINT fk_datasets_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_datasets_created_by_user_id FOREIGN KEY (created_by_user_id) REFERENCES users (id) ON DELETE RESTRICT
);
CREATE UNIQUE INDEX ux_datasets_tenant_id_name_version ON datasets (tenant_id, name, version);
CREATE INDEX ix_datasets_tenant_id_created_at ON datasets (tenant_id, created_at);
CREATE INDEX ix_datasets_created_by_user_id ON datasets (created_by_user_id);

CREATE TABLE dataset_files (
    tenant_id uuid NOT NULL,
    dataset_id uuid NOT NULL,
    hash char(64) NOT NULL,
    CONSTRAINT pk_dataset_files PRIMARY KEY (tenant_id, dataset_id, hash),
    CONSTRAINT fk_dataset_files_tenant_id_dataset_id FOREIGN KEY (tenant_id, dataset_id)
        REFERENCES datasets (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ix_dataset_files_tenant_id_hash ON dataset_files (tenant_id, hash);
