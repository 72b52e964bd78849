-- A segment starts when the device started working on the run, not when its claim committed
-- (issue 10, decision 0019 point 5, amended by decision 0039).
--
-- A segment's end was already the worker's "stopped so many seconds ago"; its start stayed the claim's
-- commit. The device starts when the claim's answer reaches the worker, which on a loaded machine
-- (or after an outage, on a fresh connection) came 1.06-1.34 s later (chaos seeds 707 and 808): those
-- seconds were billed though the device had not started. The worker measures its device time on its
-- own monotonic clock from the answer's arrival to the stop and already reports it (p_device_seconds).
-- So the device started p_stopped_ago + p_device_seconds before now, on the worker's clock, and the
-- database converts that as it converts the stop: with the same now(), so a reported segment spans
-- exactly the device time its worker measured. Never before the claim committed (the device cannot
-- have started earlier; a report of more device time than that, from a clock that jumped, keeps the
-- commit). A segment without a report (ended at its renewal after the report grace) keeps the commit.
-- While a run trains its open segment still counts from the commit: usage to date may show up to the
-- claim's latency more until the run's end is reported.

CREATE FUNCTION run_start_at(p_started timestamptz, p_stopped_ago double precision, p_device_seconds double precision)
RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_device_seconds IS NULL THEN p_started
                ELSE greatest(p_started, now() - make_interval(secs => greatest(coalesce(p_stopped_ago, 0), 0) + greatest(p_device_seconds, 0)))
           END
$$;

-- As in 0120; the start is run_start_at.
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
    SET started_at = run_start_at(s.started_at, p_stopped_ago, p_device_seconds),
        ended_at = run_end_at(s.job_id, s.attempt, s.segment, run_start_at(s.started_at, p_stopped_ago, p_device_seconds), p_stopped_ago),
        closed = true, end_source = 'worker', device_seconds = p_device_seconds
    WHERE s.job_id = p_job AND s.attempt = p_attempt AND s.segment = p_segment AND s.lease_token = p_token AND NOT s.closed;
    v_metered := FOUND;
    IF NOT v_held THEN
        RETURN QUERY SELECT NULL::varchar, v_metered;
        RETURN;
    END IF;
    RETURN QUERY SELECT requeue_job(p_job, p_how, p_error, p_backoff, p_backoff_cap, p_max_interruptions), v_metered;
END $$;

-- As in 0120; the start is run_start_at.
CREATE OR REPLACE PROCEDURE complete_and_claim(
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
            SET started_at = run_start_at(s.started_at, p_stopped_ago, p_device_seconds),
                ended_at = run_end_at(s.job_id, s.attempt, s.segment, run_start_at(s.started_at, p_stopped_ago, p_device_seconds), p_stopped_ago),
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
