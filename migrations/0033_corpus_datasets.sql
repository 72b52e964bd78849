-- Unlabelled text for pre-training: a corpus dataset has documents and no labels.
ALTER TABLE datasets DROP CONSTRAINT ck_datasets_kind;
ALTER TABLE datasets ADD CONSTRAINT ck_datasets_kind CHECK (kind IN ('Text', 'Image', 'Corpus'));
