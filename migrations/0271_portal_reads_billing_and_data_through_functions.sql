-- The admin's tenants grid (Platform.Web) sorts and filters tenants by their plan now and their metered
-- device time this month, in PostgreSQL, so it has to join Billing's and Data's rows in SQL. It read
-- Billing's subscription_plan_changes, billing_plans and usage_ledger and Data's tenant_memberships and
-- datasets directly (issue 15, decisions 0048 and 0049). These are the owners' contracts with it:
-- columns may be added, not renamed, removed or given another meaning without changing the grid in the
-- same change.
--
-- The functions are LANGUAGE sql, STABLE, one SELECT, not STRICT, so the planner inlines them into the
-- grid's query like a view and the ledger's end-time index (ix_usage_ledger_ended) still serves the
-- month's sum.

-- Billing: each tenant's plan in force at a moment: the latest change that took effect by then; before
-- its first change, its first plan (a trial that starts in the future still shows its plan).
CREATE FUNCTION billing_plan_in_force(at_time timestamptz)
RETURNS TABLE (tenant_id uuid, plan_id uuid, plan_name text)
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT ON (c.tenant_id) c.tenant_id, b.id, b.name
    FROM subscription_plan_changes c JOIN billing_plans b ON b.id = c.plan_id
    ORDER BY c.tenant_id, (c.effective_at <= at_time) DESC, CASE WHEN c.effective_at <= at_time THEN c.effective_at END DESC, c.effective_at
$$;

-- Billing: device seconds metered per tenant with their segment's end in [from_at, to_at).
CREATE FUNCTION billing_metered_seconds(from_at timestamptz, to_at timestamptz)
RETURNS TABLE (tenant_id uuid, seconds bigint)
LANGUAGE sql STABLE AS $$
    SELECT l.tenant_id, sum(l.seconds)::bigint
    FROM usage_ledger l
    WHERE l.ended_at >= from_at AND l.ended_at < to_at
    GROUP BY l.tenant_id
$$;

-- Data: how big an organisation is, for lists of organisations. The counts are subqueries, so a page
-- of tenants counts only its own rows.
CREATE VIEW tenant_sizes AS
SELECT t.id AS tenant_id,
       (SELECT count(*) FROM tenant_memberships m WHERE m.tenant_id = t.id) AS members,
       (SELECT count(*) FROM datasets d WHERE d.tenant_id = t.id) AS datasets
FROM tenants t;
