-- Gang scheduling (0245) over segments that start where the device did (0220). 0245 redefined end_run
-- and complete_and_claim from their 0120 text, so a reported segment's start went back to the claim's
-- commit; both again take it from the worker's measured device time (run_start_at), with 0245's gang
-- rules unchanged.

-- As in 0245, with 0220's start: a gang's rank other than 0 ends by ending its own run (rank 0
-- decides the job's outcome); a rank that ends otherwise (failed, interrupted, released) requeues the job, which stops
-- its whole gang. The queue row is locked first, then the rank, then the segment.
CREATE OR REPLACE FUNCTION end_run(p_job uuid, p_token uuid, p_attempt integer, p_segment integer, p_how varchar, p_error varchar,
                        p_stopped_ago double precision, p_device_seconds double precision,
                        p_backoff double precision, p_backoff_cap double precision, p_max_interruptions integer)
RETURNS TABLE (state varchar, metered boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_held boolean;
    v_rank integer;
    v_metered boolean;
BEGIN
    SELECT q.lease_token = p_token INTO v_held FROM job_queue q
    WHERE q.job_id = p_job AND (q.lease_token = p_token OR q.devices > 1) FOR UPDATE;
    v_held := coalesce(v_held, false);
    IF NOT v_held THEN
        DELETE FROM gang_ranks g WHERE g.job_id = p_job AND g.lease_token = p_token RETURNING g.rank INTO v_rank;
    END IF;
    UPDATE usage_segments s
    SET started_at = run_start_at(s.started_at, p_stopped_ago, p_device_seconds),
        ended_at = run_end_at(s.job_id, s.attempt, s.segment, run_start_at(s.started_at, p_stopped_ago, p_device_seconds), p_stopped_ago),
        closed = true, end_source = 'worker', device_seconds = p_device_seconds
    WHERE s.job_id = p_job AND s.attempt = p_attempt AND s.segment = p_segment AND s.lease_token = p_token AND NOT s.closed;
    v_metered := FOUND;
    IF v_rank IS NOT NULL THEN
        RETURN QUERY SELECT requeue_job(p_job, p_how, 'rank ' || v_rank || ': ' || coalesce(p_error, 'its run stopped'),
                                        p_backoff, p_backoff_cap, p_max_interruptions), v_metered;
        RETURN;
    END IF;
    IF NOT v_held THEN
        RETURN QUERY SELECT NULL::varchar, v_metered;
        RETURN;
    END IF;
    RETURN QUERY SELECT requeue_job(p_job, p_how, p_error, p_backoff, p_backoff_cap, p_max_interruptions), v_metered;
END $$;

-- As in 0245, with 0220's start: a gang rank other than 0 completes its own run only (see end_run); the claim
-- returns the run's rank and world size; a gang's claim wakes the workers its ranks were assigned to.
CREATE OR REPLACE PROCEDURE complete_and_claim(
    p_job uuid, p_token uuid, p_state varchar, p_attempt integer, p_segment integer, p_result jsonb,
    p_stopped_ago double precision, p_device_seconds double precision,
    p_worker uuid, p_lease_seconds integer, p_device_kind varchar, p_next_token uuid,
    OUT completed boolean, OUT busy boolean,
    OUT job_id uuid, OUT tenant_id uuid, OUT kind varchar, OUT attempt integer, OUT segment integer,
    OUT lease_token uuid, OUT payload jsonb, OUT rank integer, OUT world_size integer)
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
            IF v_held THEN
                UPDATE tenant_job_limits l SET running = greatest(l.running - 1, 0) WHERE l.tenant_id = v_tenant
                RETURNING l.running + 1 >= l.max_concurrent INTO v_was_full;
            END IF;
            UPDATE usage_segments s
            SET started_at = run_start_at(s.started_at, p_stopped_ago, p_device_seconds),
                ended_at = run_end_at(s.job_id, s.attempt, s.segment, run_start_at(s.started_at, p_stopped_ago, p_device_seconds), p_stopped_ago),
                closed = true, end_source = 'worker', device_seconds = coalesce(p_device_seconds, s.device_seconds)
            WHERE s.job_id = p_job AND s.attempt = p_attempt AND s.segment = p_segment AND NOT s.closed;
            UPDATE jobs j SET state = p_state, finished_at = now(), result = coalesce(p_result, j.result),
                   error = CASE WHEN p_state = 'Succeeded' THEN NULL ELSE j.error END
            WHERE j.id = p_job;
            INSERT INTO job_events (tenant_id, job_id, type, message)
            VALUES (v_tenant, p_job, lower(p_state), p_state);
        ELSE
            -- A rank other than 0 that finished, while its gang runs or after rank 0 ended it: its run
            -- ends at its device stop, and its slot is free.
            PERFORM 1 FROM job_queue q WHERE q.job_id = p_job AND q.devices > 1 FOR UPDATE;
            DELETE FROM gang_ranks g WHERE g.job_id = p_job AND g.lease_token = p_token;
            UPDATE usage_segments s
            SET started_at = run_start_at(s.started_at, p_stopped_ago, p_device_seconds),
                ended_at = run_end_at(s.job_id, s.attempt, s.segment, run_start_at(s.started_at, p_stopped_ago, p_device_seconds), p_stopped_ago),
                closed = true, end_source = 'worker', device_seconds = coalesce(p_device_seconds, s.device_seconds)
            WHERE s.job_id = p_job AND s.attempt = p_attempt AND s.segment = p_segment AND s.lease_token = p_token
              AND s.rank > 0 AND NOT s.closed;
            completed := FOUND;
        END IF;
    END IF;

    IF p_worker IS NOT NULL AND (p_job IS NULL OR completed) THEN
        SELECT c.job_id, c.tenant_id, c.kind, c.attempt, c.segment, c.lease_token, c.payload, c.rank, c.world_size
        INTO job_id, tenant_id, kind, attempt, segment, lease_token, payload, rank, world_size
        FROM claim_job(p_worker, p_lease_seconds, p_device_kind, p_next_token) c;
        busy := FOUND AND job_id IS NULL;
    END IF;

    IF v_was_full THEN
        v_wake := EXISTS (SELECT 1 FROM tenant_job_limits l WHERE l.tenant_id = v_tenant AND l.running < l.max_concurrent)
              AND EXISTS (SELECT 1 FROM job_queue q WHERE q.tenant_id = v_tenant AND q.lease_token IS NULL AND q.available_at <= now());
    END IF;
    v_wake := v_wake OR (job_id IS NOT NULL AND rank = 0 AND world_size > 1);

    -- A gang that could not start may have written its waiting time: keep it.
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
