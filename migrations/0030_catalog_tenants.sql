-- Tenant-private base models, where each one came from, and the background imports (Hugging Face
-- Hub, browser ZIP) that add them. See docs/decisions/0016-hub-import.md.

-- NULL: platform-wide (every tenant sees it); otherwise only that tenant sees and launches it.
ALTER TABLE base_models ADD COLUMN tenant_id uuid;
ALTER TABLE base_models ADD CONSTRAINT fk_base_models_tenant_id
    FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE;
-- Where the weights came from: 'preset' (a CNN architecture), 'hf:org/name@commit', 'upload' (a ZIP
-- from the browser), 'folder' (a folder on the server), 'pretrain:<job id>'.
ALTER TABLE base_models ADD COLUMN source varchar(300);
UPDATE base_models SET source = CASE WHEN kind = 'cnn' THEN 'preset' ELSE 'folder' END;
ALTER TABLE base_models ALTER COLUMN source SET NOT NULL;
-- config.json's model_type for text models ('bert', 'distilbert'); NULL for CNN presets.
ALTER TABLE base_models ADD COLUMN architecture varchar(40);
UPDATE base_models SET architecture = 'bert' WHERE kind = 'bert';
ALTER TABLE base_models ADD COLUMN created_by uuid;
ALTER TABLE base_models ADD CONSTRAINT fk_base_models_created_by
    FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE SET NULL;

-- Names are unique within what one tenant sees: among platform-wide models, within a tenant's own,
-- and a private name may not repeat a platform-wide one (checked by the trigger below).
DROP INDEX ux_base_models_name;
CREATE UNIQUE INDEX ux_base_models_platform_name ON base_models (name) WHERE tenant_id IS NULL;
CREATE UNIQUE INDEX ux_base_models_tenant_id_name ON base_models (tenant_id, name) WHERE tenant_id IS NOT NULL;

-- A unique index cannot compare a private row with the platform-wide ones, so this trigger does,
-- under a transaction-scoped advisory lock on the name: two inserts of one name (one platform-wide,
-- one private) serialise on the lock and the second sees the first. It raises unique_violation, as
-- the indexes do, so callers handle both the same way.
CREATE FUNCTION base_models_name_visible_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('base_models.name'), hashtext(NEW.name));
    IF NEW.tenant_id IS NULL THEN
        IF EXISTS (SELECT 1 FROM base_models WHERE name = NEW.name AND tenant_id IS NOT NULL AND id <> NEW.id) THEN
            RAISE EXCEPTION 'an organisation already has a private base model named %', NEW.name
                USING ERRCODE = 'unique_violation', CONSTRAINT = 'ux_base_models_visible_name';
        END IF;
    ELSIF EXISTS (SELECT 1 FROM base_models WHERE name = NEW.name AND tenant_id IS NULL AND id <> NEW.id) THEN
        RAISE EXCEPTION 'a platform-wide base model is named %', NEW.name
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'ux_base_models_visible_name';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER tr_base_models_name_visible_once BEFORE INSERT OR UPDATE OF name, tenant_id ON base_models
    FOR EACH ROW EXECUTE FUNCTION base_models_name_visible_once();

-- One row per import: a durable work item the web instances' import service claims (FOR UPDATE
-- SKIP LOCKED, with a lease) and the page shows. An import cut short by a restart is claimed again
-- once its lease has run out and resumes its downloads from the partial files.
CREATE TABLE base_model_imports (
    id uuid NOT NULL,
    -- NULL: a platform admin's import for every tenant.
    tenant_id uuid,
    name varchar(100) NOT NULL,
    description varchar(500) NOT NULL,
    source_kind varchar(10) NOT NULL,
    -- Hub imports: the model id, the revision asked for, and the commit it resolved to (pinned on first
    -- contact, so a resumed download fetches exactly the same files).
    repo_id varchar(200),
    revision varchar(200),
    commit_sha varchar(64),
    state varchar(12) NOT NULL,
    bytes_done bigint NOT NULL DEFAULT 0,
    bytes_total bigint,
    current_file varchar(200),
    error varchar(2000),
    attempts integer NOT NULL DEFAULT 0,
    cancel_requested boolean NOT NULL DEFAULT false,
    lease_token uuid,
    lease_expires_at timestamptz,
    base_model_id uuid,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    CONSTRAINT pk_base_model_imports PRIMARY KEY (id),
    CONSTRAINT fk_base_model_imports_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_base_model_imports_base_model_id FOREIGN KEY (base_model_id) REFERENCES base_models (id) ON DELETE SET NULL,
    CONSTRAINT fk_base_model_imports_created_by FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT ck_base_model_imports_source_kind CHECK (source_kind IN ('hub', 'upload')),
    CONSTRAINT ck_base_model_imports_hub CHECK (source_kind <> 'hub' OR (repo_id IS NOT NULL AND revision IS NOT NULL)),
    CONSTRAINT ck_base_model_imports_state CHECK (state IN ('queued', 'downloading', 'validating', 'done', 'failed', 'cancelled')),
    CONSTRAINT ck_base_model_imports_failed_has_error CHECK ((state = 'failed') = (error IS NOT NULL)),
    CONSTRAINT ck_base_model_imports_bytes CHECK (bytes_done >= 0 AND (bytes_total IS NULL OR bytes_total >= 0))
);
CREATE INDEX ix_base_model_imports_tenant_id_created_at ON base_model_imports (tenant_id, created_at);
-- What the import service claims from.
CREATE INDEX ix_base_model_imports_pending ON base_model_imports (created_at)
    WHERE state IN ('queued', 'downloading', 'validating');
