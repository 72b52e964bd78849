-- Folders of files kept in the artifact store (docs/decisions/0025): checkpoints, trained models and
-- private base models. The files themselves are encrypted artifacts named by their SHA-256; a folder is
-- its listing here, replaced in one transaction so a reader sees the old folder or the new one, never
-- half of each. Names are '/'-separated (jobs/{job}/runs/{token}/model), compared byte-wise (COLLATE "C")
-- so that a prefix (every folder of one job) is an index range.
CREATE TABLE stored_folder_files (
    tenant_id uuid NOT NULL,
    folder text COLLATE "C" NOT NULL,
    path text COLLATE "C" NOT NULL,
    hash char(64) NOT NULL,
    length bigint NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_stored_folder_files PRIMARY KEY (tenant_id, folder, path),
    CONSTRAINT ck_stored_folder_files_length CHECK (length >= 0)
);
-- Deleting a folder frees a file only when no other folder (and no dataset) still names its hash.
CREATE INDEX ix_stored_folder_files_tenant_id_hash ON stored_folder_files (tenant_id, hash);
