-- Each module owns its tables and exposes queries or views to the others (issue 15, decision 0049).
-- Billing read the job system's usage_segments and jobs tables directly, so a change to either could
-- silently change what Billing reports or charges. These views are the Jobs module's contract with
-- Billing: columns may be added to them, but not renamed, removed or given another meaning without
-- changing Billing in the same change. Billing's SQL reads these views and nothing else of the job
-- system's (the ingestion reads segments through IUsageSource, the job system's C# contract).
--
-- Each is a plain view over one table, so the planner inlines it and Billing's month queries use the
-- tables' own indexes as before (ix_usage_segments_closed_ended, ix_usage_segments_tenant_closed_ended,
-- ix_usage_segments_tenant_open, the jobs primary key; EXPLAIN in decision 0049). A view also makes
-- PostgreSQL refuse a Jobs migration that drops or retypes a column it exposes, instead of Billing
-- breaking at run time.

-- Metered device time: one row per run segment (a run of one job attempt on one device), open while
-- the run lasts and closed once its end is final. A closed segment never changes again.
CREATE VIEW metered_segments AS
SELECT job_id,
       attempt,
       segment,
       tenant_id,
       -- 'cuda' or 'cpu': the device class the time is billed as.
       device_kind,
       -- The billed interval. An open segment's end is its last lease renewal (it moves forward).
       started_at,
       ended_at,
       closed,
       -- worker: the end is the device's stop as its worker reported it; renewal: the worker never
       -- reported and the end is its last renewal. Null while open.
       end_source,
       -- The device time the worker measured on its own clock (claim to device stop), when it reported.
       device_seconds AS measured_seconds
FROM usage_segments;

-- A job's name for finance's usage pages and export. The ledger outlives deleted jobs, so a job
-- missing here is normal: Billing shows its usage without a name.
CREATE VIEW job_names AS
SELECT id, tenant_id, name
FROM jobs;

-- Usage to date looks up a segment's ledger row by the segment's identity rather than rebuilding
-- the ledger's key in SQL: the key's format is written once, in C# (UsageSegment.IdempotencyKey).
-- Unique because a segment is billed once whatever its key says.
CREATE UNIQUE INDEX ux_usage_ledger_segment ON usage_ledger (job_id, attempt, segment);
