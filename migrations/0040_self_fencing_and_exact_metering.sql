-- Faults that cost nothing (decision 0019): self-fencing runs, metering that ends when the device
-- stopped, retries that fit the cause.
--
-- Words used below. A *run* is one claim of a job: one lease token, one usage segment. An
-- *interruption* is a run lost to infrastructure (its worker was killed, lost the database or the
-- artifact store, or stopped renewing): the job is retried at the same attempt, after a back-off,
-- and max_attempts is not touched. A *failure* is the job's own error (its data, its settings, out
-- of memory): it uses one of max_attempts.

ALTER TABLE jobs
    -- Runs lost to infrastructure, and the reason the last one gave (the job page shows both).
    ADD COLUMN interruptions integer NOT NULL DEFAULT 0 CHECK (interruptions >= 0),
    ADD COLUMN last_interruption varchar(1000),
    -- The resume point: the newest checkpoint that a run published while it was the job's latest
    -- claim (runs/{checkpoint_token}/checkpoint-{checkpoint_step} in the job folder). A next run
    -- resumes from this one and from no other, whatever else lies in the folder.
    ADD COLUMN checkpoint_token uuid,
    ADD COLUMN checkpoint_step bigint;

ALTER TABLE job_queue
    -- Back-off: the row is not claimable before this.
    ADD COLUMN available_at timestamptz NOT NULL DEFAULT now(),
    -- The token of the latest claim. It outlives the lease (a recovery clears lease_token, not this)
    -- until the next claim: a run whose lease ran out while nobody claimed the job since is still the
    -- job's latest, so what it did (buffered events, a local checkpoint, even its result) still counts.
    ADD COLUMN last_token uuid;
UPDATE job_queue SET last_token = lease_token WHERE lease_token IS NOT NULL;

ALTER TABLE usage_segments
    -- The run's lease token: a worker's late report of when its device stopped must name it.
    ADD COLUMN lease_token uuid,
    -- When the run's lease expired without the worker saying it stopped. Its end can never pass this
    -- instant, so it never overlaps the next run of the job (claimed after the recovery, hence after it).
    ADD COLUMN lost_at timestamptz,
    -- When the recovery found it. The segment stays open for the worker's report for the report grace
    -- from here (not from lost_at: after an outage the worker can only report once the database is back).
    ADD COLUMN recovered_at timestamptz,
    -- The device time the worker measured on its own clock for the run (claim to device stop).
    ADD COLUMN device_seconds double precision,
    -- worker: the end is the device's stop, as the worker reported it; renewal: the worker never
    -- reported (died with its disk, or reported after the grace) and the end is its last renewal.
    ADD COLUMN end_source varchar(16) CHECK (end_source IN ('worker', 'renewal'));
CREATE INDEX ix_usage_segments_unreported ON usage_segments (recovered_at) WHERE recovered_at IS NOT NULL AND NOT closed;

-- Exponential back-off with jitter: base * 2^(n-1), capped, then a random half to the whole of it
-- so that jobs interrupted together (a database restart) do not all come back in the same second.
CREATE FUNCTION retry_delay(p_n integer, p_base double precision, p_cap double precision)
RETURNS interval
LANGUAGE sql VOLATILE AS $$
    SELECT make_interval(secs => least(p_cap, p_base * power(2, least(greatest(p_n - 1, 0), 60))) * (0.5 + random() * 0.5))
$$;

-- As in 0015, plus: rows in back-off are skipped, the claim's token is remembered as the job's
-- latest (last_token), and the segment records the token it was opened under.
CREATE OR REPLACE FUNCTION claim_job(p_worker uuid, p_lease_seconds integer, p_device_kind varchar)
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

        v_token := gen_random_uuid();
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

-- Puts a held job back in the queue or ends it; the caller holds the queue row (fenced by the token,
-- or found the lease expired). p_how says why the run ended, and that decides what it costs the job:
--   released     the worker gave it back (shutdown): same attempt, claimable at once;
--   interrupted  infrastructure: same attempt, interruptions + 1, back-off; Failed only past
--                p_max_interruptions, a cap meant never to be reached by faults that pass;
--   failed       the job's own error: next attempt after a back-off, Failed at max_attempts.
-- A segment the caller has not closed (a recovery: the worker said nothing) waits for its worker's
-- report; its end can never pass the lease's expiry.
DROP FUNCTION requeue_job(uuid, boolean, varchar);
CREATE FUNCTION requeue_job(p_job uuid, p_how varchar, p_error varchar,
                            p_backoff double precision, p_backoff_cap double precision, p_max_interruptions integer)
RETURNS varchar
LANGUAGE plpgsql AS $$
DECLARE
    v_attempt integer;
    v_max integer;
    v_interruptions integer;
    v_tenant uuid;
    v_segment integer;
    v_expires timestamptz;
    v_cancel timestamptz;
    v_state varchar;
    v_delay interval := interval '0';
    v_reason varchar := coalesce(p_error, 'unknown error');
    v_message varchar;
BEGIN
    IF p_how NOT IN ('released', 'interrupted', 'failed') THEN
        RAISE EXCEPTION 'a run ends released, interrupted or failed, not %', p_how;
    END IF;
    SELECT j.attempt, j.max_attempts, j.interruptions, j.tenant_id, q.next_segment, q.lease_expires_at, j.cancel_requested_at
    INTO v_attempt, v_max, v_interruptions, v_tenant, v_segment, v_expires, v_cancel
    FROM jobs j JOIN job_queue q ON q.job_id = j.id
    WHERE j.id = p_job AND q.lease_token IS NOT NULL
    FOR UPDATE OF j, q;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;

    UPDATE tenant_job_limits l SET running = greatest(l.running - 1, 0) WHERE l.tenant_id = v_tenant;
    UPDATE usage_segments s SET lost_at = least(v_expires, now()), recovered_at = now()
    WHERE s.job_id = p_job AND s.attempt = v_attempt AND s.segment = v_segment AND NOT s.closed;

    IF v_cancel IS NOT NULL THEN
        v_state := 'Cancelled';
    ELSIF p_how = 'failed' AND v_attempt >= v_max THEN
        v_state := 'Failed';
    ELSIF p_how = 'interrupted' AND v_interruptions + 1 > p_max_interruptions THEN
        v_state := 'Failed';
    ELSE
        v_state := 'Queued';
    END IF;

    IF v_state = 'Queued' THEN
        IF p_how = 'interrupted' THEN
            v_delay := retry_delay(v_interruptions + 1, p_backoff, p_backoff_cap);
        ELSIF p_how = 'failed' THEN
            v_delay := retry_delay(v_attempt, p_backoff, p_backoff_cap);
        END IF;
        UPDATE job_queue q SET worker_id = NULL, lease_token = NULL, lease_expires_at = NULL, claimed_at = NULL,
               available_at = now() + v_delay,
               next_segment = CASE WHEN p_how = 'failed' THEN 0 ELSE q.next_segment END
        WHERE q.job_id = p_job;
        UPDATE jobs j SET state = 'Queued',
               attempt = j.attempt + CASE WHEN p_how = 'failed' THEN 1 ELSE 0 END,
               interruptions = j.interruptions + CASE WHEN p_how = 'interrupted' THEN 1 ELSE 0 END,
               -- error is the job's own: an interruption never writes it, so no stale infrastructure
               -- message outlives the run that had it.
               error = CASE WHEN p_how = 'failed' THEN 'Attempt ' || v_attempt || ' failed: ' || v_reason ELSE j.error END,
               last_interruption = CASE WHEN p_how = 'interrupted' THEN v_reason ELSE j.last_interruption END
        WHERE j.id = p_job;
        v_message := CASE p_how
            WHEN 'released' THEN 'Worker released the job; resuming from the last checkpoint'
            WHEN 'interrupted' THEN 'Interrupted by infrastructure: ' || v_reason || '. This does not count against the job''s '
                || v_max || ' attempts; resuming from the last checkpoint in ' || ceil(extract(epoch FROM v_delay))::int || ' s'
            ELSE 'Attempt ' || v_attempt || ' of ' || v_max || ' failed: ' || v_reason || '; retrying from the last checkpoint in '
                || ceil(extract(epoch FROM v_delay))::int || ' s (attempt ' || (v_attempt + 1) || ' of ' || v_max || ')' END;
        INSERT INTO job_events (tenant_id, job_id, type, message, data)
        VALUES (v_tenant, p_job, CASE p_how WHEN 'interrupted' THEN 'interrupted' ELSE 'requeued' END, v_message,
                jsonb_build_object('cause', CASE p_how WHEN 'interrupted' THEN 'infrastructure' WHEN 'failed' THEN 'job' ELSE 'release' END,
                                   'attempt', v_attempt, 'interruptions', v_interruptions + CASE WHEN p_how = 'interrupted' THEN 1 ELSE 0 END,
                                   'retryInSeconds', extract(epoch FROM v_delay)));
        PERFORM pg_notify('platform_jobs', '');
    ELSE
        v_message := CASE
            WHEN v_state = 'Cancelled' THEN 'Cancelled'
            WHEN p_how = 'failed' THEN 'Failed after ' || v_attempt || ' attempts: ' || v_reason
            ELSE 'Failed: interrupted ' || (v_interruptions + 1) || ' times by infrastructure faults (last: ' || v_reason || ')' END;
        DELETE FROM job_queue q WHERE q.job_id = p_job;
        UPDATE jobs j SET state = v_state, finished_at = now(),
               interruptions = j.interruptions + CASE WHEN p_how = 'interrupted' THEN 1 ELSE 0 END,
               error = CASE WHEN v_state = 'Failed' THEN v_message ELSE j.error END
        WHERE j.id = p_job;
        INSERT INTO job_events (tenant_id, job_id, type, message, data)
        VALUES (v_tenant, p_job, lower(v_state), v_message,
                jsonb_build_object('cause', CASE p_how WHEN 'interrupted' THEN 'infrastructure' WHEN 'failed' THEN 'job' ELSE 'release' END));
        PERFORM pg_notify('platform_jobs', '');
    END IF;
    PERFORM pg_notify('platform_job_events', p_job::text);
    RETURN v_state;
END $$;

-- A run ends (other than by completion, which complete_and_claim records). The worker says how, when
-- its device stopped (p_stopped_ago seconds before this statement, on its own clock) and how much
-- device time it measured. The segment ends when the device stopped, never past the lease's expiry.
-- If the run still holds its lease the job is requeued (requeue_job); if not (it was recovered while
-- the worker could not reach the database) this is a late report: only the segment is closed.
-- Returns the job's new state (null when the run no longer held it) and whether the segment was
-- closed by this call (false: already closed, by an earlier report or at the end of the grace).
CREATE FUNCTION end_run(p_job uuid, p_token uuid, p_attempt integer, p_segment integer, p_how varchar, p_error varchar,
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
    SET ended_at = greatest(s.started_at, least(now() - make_interval(secs => greatest(coalesce(p_stopped_ago, 0), 0)),
                                                coalesce(s.lost_at, 'infinity'))),
        closed = true, end_source = 'worker', device_seconds = p_device_seconds
    WHERE s.job_id = p_job AND s.attempt = p_attempt AND s.segment = p_segment AND s.lease_token = p_token AND NOT s.closed;
    v_metered := FOUND;
    IF NOT v_held THEN
        RETURN QUERY SELECT NULL::varchar, v_metered;
        RETURN;
    END IF;
    RETURN QUERY SELECT requeue_job(p_job, p_how, p_error, p_backoff, p_backoff_cap, p_max_interruptions), v_metered;
END $$;

-- As in 0015, plus: the completed run's device stop ends its segment (p_stopped_ago, p_device_seconds);
-- a succeeded job keeps no error of an earlier attempt; and a run whose lease ran out while nobody
-- claimed the job since (last_token) may still complete it: it is the job's latest run and its
-- result is as good as the lease-holder's would have been.
DROP PROCEDURE complete_and_claim(uuid, uuid, varchar, integer, integer, jsonb, uuid, integer, varchar,
    boolean, boolean, uuid, uuid, varchar, integer, integer, uuid, jsonb);
CREATE PROCEDURE complete_and_claim(
    p_job uuid, p_token uuid, p_state varchar, p_attempt integer, p_segment integer, p_result jsonb,
    p_stopped_ago double precision, p_device_seconds double precision,
    p_worker uuid, p_lease_seconds integer, p_device_kind varchar,
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
            SET ended_at = greatest(s.started_at, least(now() - make_interval(secs => greatest(coalesce(p_stopped_ago, 0), 0)),
                                                        coalesce(s.lost_at, 'infinity'))),
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
        FROM claim_job(p_worker, p_lease_seconds, p_device_kind) c;
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
