-- What each dataset file takes on disk (issue 11, finding 7): the stored object's length rounded up
-- to the file system's allocation block, so the plan's storage allowance counts what lands on disk
-- (90,000 tiny images are 90,000 blocks), not the bytes uploaded. Files stored before this column
-- have no size: their datasets' upload sizes stand in for them.
ALTER TABLE dataset_files ADD COLUMN stored_bytes bigint;
