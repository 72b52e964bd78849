-- Usage to date (the launch quota check, the billing summary, GET /api/v1/usage) adds the segments the
-- ledger does not hold yet: open ones, and closed ones that ended in the period. Without these it read
-- every segment of every tenant (a parallel sequential scan: 77 ms at a busy tenant's year, 1.6 ms with
-- them; bench/RESULTS.md). The two partial indexes serve the two arms of its OR.
CREATE INDEX ix_usage_segments_tenant_closed_ended ON usage_segments (tenant_id, ended_at) WHERE closed;
CREATE INDEX ix_usage_segments_tenant_open ON usage_segments (tenant_id) WHERE NOT closed;
