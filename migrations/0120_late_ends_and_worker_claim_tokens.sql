-- Faults that cost nothing, the rest of issue 10 (decision 0019, points 5 and 6).
--
-- 1. A run's segment may end after its lease's expiry. The chaos bench found runs whose device
--    worked 7-9 s past lost_at (a renewal that hung past its fence deadline, a last step longer than
--    what was left of the lease) and those seconds went unbilled: the end was capped at lost_at. The
--    cap was there so that a segment never overlaps the next run's. It is now exactly that: the end
--    is the device's stop, never later than the start of the job's next run (a later attempt or
--    segment), so a second is still never billed twice, and device time nobody else overlapped is billed.
-- 2. The worker makes the claim's token and spools it before it sends the claim (claim_job and
--    complete_and_claim take it), so a worker killed between the claim and its first spool write, or
--    one that lost the claim's answer, can still end that run from its spool (end_claimed_run) instead
--    of leaving the segment to the report grace.

-- When a run's segment ends: the device's stop (p_stopped_ago seconds before now, on the worker's
-- clock), not before the segment started, not after the job's next run started.
CREATE FUNCTION run_end_at(p_job uuid, p_attempt integer, p_segment integer, p_started timestamptz, p_stopped_ago double precision)
RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT greatest(p_started, least(now() - make_interval(secs => greatest(coalesce(p_stopped_ago, 0), 0)),
        coalesce((SELECT min(n.started_at) FROM usage_segments n
                  WHERE n.job_id = p_job AND (n.attempt, n.segment) > (p_attempt, p_segment)), 'infinity')))
$$;

-- A worker's late report names its run by token alone when it died before it learnt which job the
-- claim gave it.
CREATE INDEX ix_usage_segments_lease_token ON usage_segments (lease_token) WHERE lease_token IS NOT NULL;

-- As in 0040, with the worker's token (p_token; a fresh one when null).
DROP FUNCTION claim_job(uuid, integer, varchar);
CREATE FUNCTION claim_job(p_worker uuid, p_lease_seconds integer, p_device_kind varchar, p_token uuid DEFAULT NULL)
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
        WHERE l.running < l.max_concurrent
        ORDER BY l.running, h.priority DESC, h.enqueued_at
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

-- As in 0040; the end is run_end_at.
CREATE OR REPLACE FUNCTION end_run(p_job uuid, p_token uuid, p_attempt integer, p_segment integer, p_how varchar, p_error varchar,
                        p_stopped_ago double precision, p_device_seconds double precision,
                        p_backoff double precision, p_backoff_cap double precision, p_max_interruptions integer)
RETURNS TABLE (state varchar, metered boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_held boolean;
    v_metered boolean;
BEGIN
    -- The queue row first, then the segment: the order every writer of both takes them in.
    PERFORM 1 FROM job_queue q WHERE q.job_id = p_job AND q.lease_token = p_token FOR UPDATE;
    v_held := FOUND;
    UPDATE usage_segments s
    SET ended_at = run_end_at(s.job_id, s.attempt, s.segment, s.started_at, p_stopped_ago),
        closed = true, end_source = 'worker', device_seconds = p_device_seconds
    WHERE s.job_id = p_job AND s.attempt = p_attempt AND s.segment = p_segment AND s.lease_token = p_token AND NOT s.closed;
    v_metered := FOUND;
    IF NOT v_held THEN
        RETURN QUERY SELECT NULL::varchar, v_metered;
        RETURN;
    END IF;
    RETURN QUERY SELECT requeue_job(p_job, p_how, p_error, p_backoff, p_backoff_cap, p_max_interruptions), v_metered;
END $$;

-- As in 0040, with the next claim's token (p_next_token) and run_end_at.
DROP PROCEDURE complete_and_claim(uuid, uuid, varchar, integer, integer, jsonb, double precision, double precision,
    uuid, integer, varchar, boolean, boolean, uuid, uuid, varchar, integer, integer, uuid, jsonb);
CREATE PROCEDURE complete_and_claim(
    p_job uuid, p_token uuid, p_state varchar, p_attempt integer, p_segment integer, p_result jsonb,
    p_stopped_ago double precision, p_device_seconds double precision,
    p_worker uuid, p_lease_seconds integer, p_device_kind varchar, p_next_token uuid,
    OUT completed boolean, OUT busy boolean,
    OUT job_id uuid, OUT tenant_id uuid, OUT kind varchar, OUT attempt integer, OUT segment integer,
    OUT lease_token uuid, OUT payload jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    v_tenant uuid;
    v_held boolean := false;
    v_was_full boolean := false;
    v_wake boolean := false;
BEGIN
    completed := false;
    busy := false;
    IF p_job IS NOT NULL THEN
        IF p_state NOT IN ('Succeeded', 'Cancelled') THEN
            RAISE EXCEPTION 'a job completes as Succeeded or Cancelled, not %', p_state;
        END IF;
        DELETE FROM job_queue q
        WHERE q.job_id = p_job AND (q.lease_token = p_token OR (q.lease_token IS NULL AND q.last_token = p_token))
        RETURNING q.tenant_id, q.lease_token IS NOT NULL INTO v_tenant, v_held;
        completed := FOUND;
        IF completed THEN
            -- A recovered run's job was already taken off the tenant's running count.
            IF v_held THEN
                UPDATE tenant_job_limits l SET running = greatest(l.running - 1, 0) WHERE l.tenant_id = v_tenant
                RETURNING l.running + 1 >= l.max_concurrent INTO v_was_full;
            END IF;
            UPDATE usage_segments s
            SET ended_at = run_end_at(s.job_id, s.attempt, s.segment, s.started_at, p_stopped_ago),
                closed = true, end_source = 'worker', device_seconds = coalesce(p_device_seconds, s.device_seconds)
            WHERE s.job_id = p_job AND s.attempt = p_attempt AND s.segment = p_segment AND NOT s.closed;
            UPDATE jobs j SET state = p_state, finished_at = now(), result = coalesce(p_result, j.result),
                   error = CASE WHEN p_state = 'Succeeded' THEN NULL ELSE j.error END
            WHERE j.id = p_job;
            INSERT INTO job_events (tenant_id, job_id, type, message)
            VALUES (v_tenant, p_job, lower(p_state), p_state);
        END IF;
    END IF;

    IF p_worker IS NOT NULL AND (p_job IS NULL OR completed) THEN
        SELECT c.job_id, c.tenant_id, c.kind, c.attempt, c.segment, c.lease_token, c.payload
        INTO job_id, tenant_id, kind, attempt, segment, lease_token, payload
        FROM claim_job(p_worker, p_lease_seconds, p_device_kind, p_next_token) c;
        busy := FOUND AND job_id IS NULL;
    END IF;

    IF v_was_full THEN
        v_wake := EXISTS (SELECT 1 FROM tenant_job_limits l WHERE l.tenant_id = v_tenant AND l.running < l.max_concurrent)
              AND EXISTS (SELECT 1 FROM job_queue q WHERE q.tenant_id = v_tenant AND q.lease_token IS NULL AND q.available_at <= now());
    END IF;

    IF NOT completed AND job_id IS NULL THEN
        RETURN;
    END IF;

    COMMIT;

    PERFORM set_config('synchronous_commit', 'off', true);
    IF completed THEN
        PERFORM pg_notify('platform_job_events', p_job::text);
    END IF;
    IF job_id IS NOT NULL THEN
        PERFORM pg_notify('platform_job_events', job_id::text);
    END IF;
    IF v_wake THEN
        PERFORM pg_notify('platform_jobs', '');
    END IF;
END $$;

-- A run known only by its claim's token (the worker spooled the token, then died or lost the answer
-- before it knew the job): the device did no work for it after p_stopped_ago. Ends it as end_run
-- does, as an interruption. No row when the claim never happened (nothing claimed, or rolled back).
CREATE FUNCTION end_claimed_run(p_token uuid, p_stopped_ago double precision,
                                p_backoff double precision, p_backoff_cap double precision, p_max_interruptions integer)
RETURNS TABLE (job_id uuid, state varchar, metered boolean)
LANGUAGE sql AS $$
    SELECT s.job_id, e.state, e.metered
    FROM usage_segments s
    CROSS JOIN LATERAL end_run(s.job_id, s.lease_token, s.attempt, s.segment, 'interrupted',
        'the worker process stopped as it claimed the job', p_stopped_ago, 0, p_backoff, p_backoff_cap, p_max_interruptions) e
    WHERE s.lease_token = p_token
$$;
