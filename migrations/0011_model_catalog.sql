-- The base-model catalog (platform-wide, managed by platform admins) and the submission cap.

-- How many jobs a tenant may have queued or running at once; max_concurrent caps running ones.
ALTER TABLE tenant_job_limits ADD COLUMN max_active integer NOT NULL DEFAULT 10;
ALTER TABLE tenant_job_limits ADD CONSTRAINT ck_tenant_job_limits_max_active CHECK (max_active >= 0);

CREATE TABLE base_models (
    id uuid NOT NULL,
    name varchar(100) NOT NULL,
    kind varchar(8) NOT NULL,
    -- A CNN base is a preset architecture trained from scratch; a BERT base is a checkpoint folder.
    preset varchar(40),
    path varchar(500),
    description varchar(500) NOT NULL,
    parameters bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_base_models PRIMARY KEY (id),
    CONSTRAINT ck_base_models_kind CHECK (kind IN ('bert', 'cnn')),
    CONSTRAINT ck_base_models_source CHECK ((kind = 'cnn' AND preset IS NOT NULL) OR (kind = 'bert' AND path IS NOT NULL))
);
CREATE UNIQUE INDEX ux_base_models_name ON base_models (name);
