-- Tabular datasets (issue 19): a CSV of numeric and categorical columns with a target column.
-- Their column profile lives in the existing stats jsonb; only the kind check changes.
ALTER TABLE datasets DROP CONSTRAINT ck_datasets_kind;
ALTER TABLE datasets ADD CONSTRAINT ck_datasets_kind CHECK (kind IN ('Text', 'Image', 'Corpus', 'Tabular'));

-- The tabular MLP is a catalog entry like the CNN presets (kind 'tabular', built from its preset name).
ALTER TABLE base_models DROP CONSTRAINT ck_base_models_kind;
ALTER TABLE base_models ADD CONSTRAINT ck_base_models_kind CHECK (kind IN ('bert', 'cnn', 'tabular'));
ALTER TABLE base_models DROP CONSTRAINT ck_base_models_source;
ALTER TABLE base_models ADD CONSTRAINT ck_base_models_source
    CHECK ((kind IN ('cnn', 'tabular') AND preset IS NOT NULL) OR (kind = 'bert' AND path IS NOT NULL));
