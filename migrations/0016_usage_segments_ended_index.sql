-- Billing's scheduler reads the segments that closed in a recent window every tick (IUsageSource:
-- closed AND ended_at in [from, to)). Without this index that is a scan of every segment ever metered.
CREATE INDEX ix_usage_segments_closed_ended ON usage_segments (ended_at) WHERE closed;
