-- Text base models live in the artifact store (decision 0025): a tenant's private ones encrypted with its
-- data key, the platform-wide ones with the platform's, as a stored folder (stored_folder_files) named
-- here. path stays for rows of earlier installs until the web host moves their folder into the store.
-- hidden_size and untrained are read from config.json at registration, so a launch plans the job without
-- reading the model's files.
ALTER TABLE base_models ADD COLUMN folder text COLLATE "C";
ALTER TABLE base_models ADD COLUMN hidden_size integer;
ALTER TABLE base_models ADD COLUMN untrained boolean;
ALTER TABLE base_models DROP CONSTRAINT ck_base_models_source;
ALTER TABLE base_models ADD CONSTRAINT ck_base_models_source
    CHECK ((kind IN ('cnn', 'tabular') AND preset IS NOT NULL) OR (kind = 'bert' AND (path IS NOT NULL OR folder IS NOT NULL)));
