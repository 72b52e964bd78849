-- Scheduling classes and per-job runtime caps (issue 11, finding 6; decision 0029).
--
-- Fair share was per tenant, so 30 jobs from 3 sock-puppet tenants of one person all ran before a
-- victim's job. Now the claim orders tenants with claimable work by
--   1. their plan's priority class, paying plans first (billing_plans.job_priority_class: 1 when the
--      plan has a monthly fee, 0 for free plans; a subscription that is not active or past_due, or a
--      tenant without a plan, is class 0), so no number of free tenants delays a paying tenant;
--   2. within a class, what all tenants of the same owner (the tenant's first Owner) run now, so one
--      person's many tenants share one person's turn;
--   3. then, as before, the tenant's own running count, the job's priority and its age.
-- And a plan may cap one job's device time (billing_plans.max_job_runtime_seconds, all its runs
-- together): a renewal past the cap asks the run to stop, the worker stops it at a step boundary with
-- its checkpoint, and the job ends Cancelled with the reason in its error. Billing stops with the run.

ALTER TABLE billing_plans
    ADD COLUMN job_priority_class smallint GENERATED ALWAYS AS (CASE WHEN monthly_fee > 0 THEN 1 ELSE 0 END) STORED,
    ADD COLUMN max_job_runtime_seconds integer CHECK (max_job_runtime_seconds > 0);

-- The free plan caps a job at two hours of device time, what its included CPU hours allow anyway.
UPDATE billing_plans SET max_job_runtime_seconds = 7200 WHERE code = 'free' AND max_job_runtime_seconds IS NULL;

-- The plan in force for a tenant now, if its subscription is one that pays (or is free but live).
CREATE FUNCTION tenant_current_plan(p_tenant uuid)
RETURNS TABLE (job_priority_class smallint, max_job_runtime_seconds integer, name varchar)
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN s.status IN ('active', 'past_due') THEN p.job_priority_class ELSE 0 END::smallint,
           p.max_job_runtime_seconds, p.name
    FROM subscriptions s
    JOIN LATERAL (SELECT c.plan_id FROM subscription_plan_changes c
                  WHERE c.tenant_id = s.tenant_id AND c.effective_at <= now()
                  ORDER BY c.effective_at DESC LIMIT 1) c ON true
    JOIN billing_plans p ON p.id = c.plan_id
    WHERE s.tenant_id = p_tenant
$$;

CREATE FUNCTION tenant_job_class(p_tenant uuid)
RETURNS smallint
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT p.job_priority_class FROM tenant_current_plan(p_tenant) p), 0::smallint)
$$;

-- Whose tenants share a turn: the tenant's first owner (the one who created it); the tenant itself
-- when it has no owner.
CREATE FUNCTION tenant_owner(p_tenant uuid)
RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT m.user_id FROM tenant_memberships m
    WHERE m.tenant_id = p_tenant AND m.role = 'Owner'
    ORDER BY m.created_at, m.user_id LIMIT 1
$$;

-- Called by each renewal: when the job's device time (every run's segment, the open one to its last
-- renewal) has reached its plan's cap, asks the run to stop, with the reason as the job's error.
-- Returns whether the job is asked to stop (for this or any other reason).
CREATE FUNCTION stop_over_runtime_cap(p_job uuid)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_tenant uuid;
    v_cancel timestamptz;
    v_cap integer;
    v_plan varchar;
    v_used double precision;
    v_message varchar;
BEGIN
    SELECT j.tenant_id, j.cancel_requested_at INTO v_tenant, v_cancel FROM jobs j WHERE j.id = p_job;
    IF v_cancel IS NOT NULL THEN
        RETURN true;
    END IF;
    SELECT p.max_job_runtime_seconds, p.name INTO v_cap, v_plan FROM tenant_current_plan(v_tenant) p;
    IF v_cap IS NULL THEN
        RETURN false;
    END IF;
    SELECT coalesce(sum(extract(epoch FROM s.ended_at - s.started_at)), 0) INTO v_used FROM usage_segments s WHERE s.job_id = p_job;
    IF v_used < v_cap THEN
        RETURN false;
    END IF;
    v_message := 'Stopped: the ' || v_plan || ' plan allows ' || round(v_cap / 60.0)::int || ' minutes of device time per job, and this job has used them. '
        || 'It was stopped at its last checkpoint; nothing after the cap is billed.';
    UPDATE jobs j SET cancel_requested_at = now(), error = v_message WHERE j.id = p_job AND j.cancel_requested_at IS NULL;
    INSERT INTO job_events (tenant_id, job_id, type, message, data)
    VALUES (v_tenant, p_job, 'runtime-cap', v_message, jsonb_build_object('capSeconds', v_cap, 'usedSeconds', round(v_used::numeric, 1)));
    PERFORM pg_notify('platform_job_events', p_job::text);
    RETURN true;
END $$;

-- As in 0120, ordered by class, then owner, then tenant (above).
CREATE OR REPLACE FUNCTION claim_job(p_worker uuid, p_lease_seconds integer, p_device_kind varchar, p_token uuid DEFAULT NULL)
RETURNS TABLE (job_id uuid, tenant_id uuid, kind varchar, attempt integer, segment integer,
               lease_token uuid, payload jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    v_tenant uuid;
    v_job uuid;
    v_token uuid;
    v_running integer;
    v_max integer;
    v_contended boolean := false;
BEGIN
    FOR v_tenant IN
        SELECT l.tenant_id
        FROM tenant_job_limits l
        CROSS JOIN LATERAL (
            SELECT q.priority, q.enqueued_at FROM job_queue q
            WHERE q.tenant_id = l.tenant_id AND q.lease_token IS NULL AND q.available_at <= now()
            ORDER BY q.priority DESC, q.enqueued_at LIMIT 1) h
        CROSS JOIN LATERAL (SELECT tenant_job_class(l.tenant_id) AS class, tenant_owner(l.tenant_id) AS owner) c
        WHERE l.running < l.max_concurrent
        ORDER BY c.class DESC,
                 -- Fair share by owner: what all the tenants of this tenant's owner run now.
                 coalesce((SELECT sum(o.running) FROM tenant_memberships m JOIN tenant_job_limits o ON o.tenant_id = m.tenant_id
                           WHERE m.user_id = c.owner AND m.role = 'Owner'), l.running),
                 l.running, h.priority DESC, h.enqueued_at
        LIMIT 16
    LOOP
        SELECT l.running, l.max_concurrent INTO v_running, v_max
        FROM tenant_job_limits l WHERE l.tenant_id = v_tenant FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            v_contended := true;
            CONTINUE;
        END IF;
        CONTINUE WHEN v_running >= v_max;

        v_job := NULL;
        SELECT q.job_id INTO v_job FROM job_queue q
        WHERE q.tenant_id = v_tenant AND q.lease_token IS NULL AND q.available_at <= now()
        ORDER BY q.priority DESC, q.enqueued_at LIMIT 1
        FOR UPDATE SKIP LOCKED;
        IF v_job IS NULL THEN
            v_contended := true;
            CONTINUE;
        END IF;

        v_token := coalesce(p_token, gen_random_uuid());
        UPDATE tenant_job_limits l SET running = l.running + 1 WHERE l.tenant_id = v_tenant;
        UPDATE job_queue q SET worker_id = p_worker, lease_token = v_token, last_token = v_token, claimed_at = now(),
               lease_expires_at = now() + make_interval(secs => p_lease_seconds),
               next_segment = q.next_segment + 1
        WHERE q.job_id = v_job;
        UPDATE jobs j SET state = 'Running', started_at = coalesce(j.started_at, now())
        WHERE j.id = v_job;
        INSERT INTO usage_segments (job_id, attempt, segment, tenant_id, worker_id, device_kind, started_at, ended_at, lease_token)
        SELECT j.id, j.attempt, q.next_segment, j.tenant_id, p_worker, p_device_kind, now(), now(), v_token
        FROM jobs j JOIN job_queue q ON q.job_id = j.id WHERE j.id = v_job;
        INSERT INTO job_events (tenant_id, job_id, type, message, data)
        SELECT j.tenant_id, j.id, 'claimed', 'Started on worker ' || w.name || ' (attempt ' || j.attempt || ' of ' || j.max_attempts || ')',
               jsonb_build_object('worker', p_worker, 'attempt', j.attempt, 'segment', q.next_segment)
        FROM jobs j JOIN job_queue q ON q.job_id = j.id LEFT JOIN workers w ON w.id = p_worker WHERE j.id = v_job;

        RETURN QUERY
        SELECT j.id, j.tenant_id, j.kind, j.attempt, q.next_segment, q.lease_token, j.payload
        FROM jobs j JOIN job_queue q ON q.job_id = j.id WHERE j.id = v_job;
        RETURN;
    END LOOP;
    IF v_contended THEN
        RETURN QUERY SELECT NULL::uuid, NULL::uuid, NULL::varchar, NULL::integer, NULL::integer, NULL::uuid, NULL::jsonb;
    END IF;
END $$;
