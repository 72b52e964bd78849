-- Running totals of the usage ledger per tenant, device class and UTC hour (the hour its segment
-- ended in), so the launch quota check sums at most ~744 small rows a period plus the ledger rows
-- of the two partial hours at its ends, instead of every ledger row of the period
-- (docs/decisions/0015). Maintained by the ledger insert itself, in the same statement, for the
-- rows actually inserted: a replayed segment adds nothing.

CREATE TABLE usage_hourly_totals (
    tenant_id   uuid NOT NULL,
    device_kind varchar(8) NOT NULL CHECK (device_kind IN ('cpu','cuda')),
    -- date_trunc('hour', ended_at, 'UTC'): the hour is UTC whatever the session's time zone.
    hour        timestamptz NOT NULL,
    seconds     bigint NOT NULL CHECK (seconds >= 0),
    segments    bigint NOT NULL CHECK (segments >= 0),
    PRIMARY KEY (tenant_id, device_kind, hour)
);

-- An ingest in flight waits for this lock or is waited for, so the backfill sees exactly the rows
-- committed before it and later inserts find the table (and add to it themselves). Hosts built
-- before this migration must not ingest afterwards (docs/decisions/0015).
LOCK TABLE usage_ledger IN SHARE MODE;

INSERT INTO usage_hourly_totals (tenant_id, device_kind, hour, seconds, segments)
SELECT tenant_id, device_kind, date_trunc('hour', ended_at, 'UTC'), sum(seconds), count(*)
FROM usage_ledger
GROUP BY 1, 2, 3;
