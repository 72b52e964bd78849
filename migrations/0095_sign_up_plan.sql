-- Every organisation is on a plan from sign-up (issue 13, finding 4): the free plan the sign-up
-- subscription starts on (Billing:SignUpPlanCode, "free" by default), with the values issue 11's
-- SignUp options give it (1 GPU hour, 2 CPU hours, hard cap, one job, 50 MiB datasets, 500 MiB storage):
-- a tenant without a card cannot run unbounded time, and what it uses is on its invoices.
INSERT INTO billing_plans (id, code, name, currency, monthly_fee, included_gpu_hours, included_cpu_hours,
    gpu_overage_per_hour, cpu_overage_per_hour, max_concurrent_jobs, max_dataset_bytes, max_storage_bytes, cap_mode)
VALUES ('0195f1a0-0000-7000-8000-000000000001', 'free', 'Free', 'USD', 0, 1, 2, 0, 0, 1,
    52428800, 524288000, 'Hard')
ON CONFLICT (code) DO NOTHING;

-- Organisations that signed up before this migration and were never given a plan start on it now:
-- their usage from here on is in a period (what they used before stays uninvoiced, as it was).
INSERT INTO subscriptions (tenant_id, status, anchor)
SELECT t.id, 'active', date_trunc('milliseconds', now()) FROM tenants t
WHERE NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.tenant_id = t.id);
INSERT INTO subscription_plan_changes (tenant_id, effective_at, plan_id)
SELECT s.tenant_id, s.anchor, '0195f1a0-0000-7000-8000-000000000001' FROM subscriptions s
WHERE NOT EXISTS (SELECT 1 FROM subscription_plan_changes c WHERE c.tenant_id = s.tenant_id);
