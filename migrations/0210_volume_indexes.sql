-- Indexes for a year of a busy tenant's data (issue 15, bench/volume). Each matches a query that
-- read far more rows than it returned at that volume (EXPLAIN in bench/RESULTS.md).

-- The job page's epoch chart and the API's ?type= and checkpoint lists read one type of a job's
-- events; without this they walk every event of the job (400,000 for a job that ran three days).
CREATE INDEX ix_job_events_tenant_job_type ON job_events (tenant_id, job_id, type, id);

-- Finance's month across tenants (usage by tenant, the CSV export of every tenant) filters on the
-- segment's end alone; the tenant-leading index made it read every row of every month.
CREATE INDEX ix_usage_ledger_ended ON usage_ledger (ended_at) INCLUDE (tenant_id, device_kind, seconds);

-- Job lists page by (created_at, id) descending: with id in the index the cursor's row comparison is
-- an index range, and ties on created_at keep one order.
CREATE INDEX ix_jobs_tenant_created_id ON jobs (tenant_id, created_at DESC, id DESC);
DROP INDEX ix_jobs_tenant_created;

-- The same for datasets.
CREATE INDEX ix_datasets_tenant_id_created_at_id ON datasets (tenant_id, created_at DESC, id DESC);
DROP INDEX ix_datasets_tenant_id_created_at;
