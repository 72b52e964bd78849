-- One round trip and one durable commit per job instead of two: a worker slot that finishes a job
-- completes it and claims its next one in the same transaction (decision 0006).
--
-- NOTIFY moves out of the durable commits. PostgreSQL serialises every committing transaction that
-- has notified (a database-wide lock from pre-commit until the commit record is flushed), so with a
-- NOTIFY inside, the claims and completions of all workers queued behind one another's WAL flush and
-- could never share one. The notifications now go in a second, asynchronously committed transaction
-- right after the durable one, in the same CALL. Losing that transaction in a crash loses only
-- wake-ups, and a crash loses those anyway: every listener re-reads when it reconnects.

-- claim_job no longer notifies; its callers notify after their commit. Otherwise as in 0010.
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
            WHERE q.tenant_id = l.tenant_id AND q.lease_token IS NULL
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
        WHERE q.tenant_id = v_tenant AND q.lease_token IS NULL
        ORDER BY q.priority DESC, q.enqueued_at LIMIT 1
        FOR UPDATE SKIP LOCKED;
        IF v_job IS NULL THEN
            v_contended := true;
            CONTINUE;
        END IF;

        v_token := gen_random_uuid();
        UPDATE tenant_job_limits l SET running = l.running + 1 WHERE l.tenant_id = v_tenant;
        UPDATE job_queue q SET worker_id = p_worker, lease_token = v_token, claimed_at = now(),
               lease_expires_at = now() + make_interval(secs => p_lease_seconds),
               next_segment = q.next_segment + 1
        WHERE q.job_id = v_job;
        UPDATE jobs j SET state = 'Running', started_at = coalesce(j.started_at, now())
        WHERE j.id = v_job;
        INSERT INTO usage_segments (job_id, attempt, segment, tenant_id, worker_id, device_kind, started_at, ended_at)
        SELECT j.id, j.attempt, q.next_segment, j.tenant_id, p_worker, p_device_kind, now(), now()
        FROM jobs j JOIN job_queue q ON q.job_id = j.id WHERE j.id = v_job;
        INSERT INTO job_events (tenant_id, job_id, type, message, data)
        SELECT j.tenant_id, j.id, 'claimed', 'Started on worker ' || w.name || ' (attempt ' || j.attempt || ')',
               jsonb_build_object('worker', p_worker, 'attempt', j.attempt)
        FROM jobs j LEFT JOIN workers w ON w.id = p_worker WHERE j.id = v_job;

        RETURN QUERY
        SELECT j.id, j.tenant_id, j.kind, j.attempt, q.next_segment, q.lease_token, j.payload
        FROM jobs j JOIN job_queue q ON q.job_id = j.id WHERE j.id = v_job;
        RETURN;
    END LOOP;
    IF v_contended THEN
        RETURN QUERY SELECT NULL::uuid, NULL::uuid, NULL::varchar, NULL::integer, NULL::integer, NULL::uuid, NULL::jsonb;
    END IF;
END $$;

-- Completes a held job (p_job, fenced by p_token) as p_state, claims the next job for p_worker, or
-- both, in one durable transaction; then notifies in a second one that commits without waiting for
-- the WAL flush. A null p_job only claims; a null p_worker only completes. A holder that has lost its
-- lease completes nothing and claims nothing: completed = false, the caller decides what comes next.
-- busy = true: the claim skipped candidates other claimers held; claim again at once.
-- Must be CALLed outside a transaction block, since it commits.
CREATE PROCEDURE complete_and_claim(
    p_job uuid, p_token uuid, p_state varchar, p_attempt integer, p_segment integer, p_result jsonb,
    p_worker uuid, p_lease_seconds integer, p_device_kind varchar,
    OUT completed boolean, OUT busy boolean,
    OUT job_id uuid, OUT tenant_id uuid, OUT kind varchar, OUT attempt integer, OUT segment integer,
    OUT lease_token uuid, OUT payload jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    v_tenant uuid;
    v_was_full boolean := false;
    v_wake boolean := false;
BEGIN
    completed := false;
    busy := false;
    IF p_job IS NOT NULL THEN
        IF p_state NOT IN ('Succeeded', 'Cancelled') THEN
            RAISE EXCEPTION 'a job completes as Succeeded or Cancelled, not %', p_state;
        END IF;
        DELETE FROM job_queue q WHERE q.job_id = p_job AND q.lease_token = p_token
        RETURNING q.tenant_id INTO v_tenant;
        completed := FOUND;
        IF completed THEN
            UPDATE tenant_job_limits l SET running = greatest(l.running - 1, 0) WHERE l.tenant_id = v_tenant
            RETURNING l.running + 1 >= l.max_concurrent INTO v_was_full;
            UPDATE usage_segments s SET ended_at = now(), closed = true
            WHERE s.job_id = p_job AND s.attempt = p_attempt AND s.segment = p_segment;
            UPDATE jobs j SET state = p_state, finished_at = now(), result = coalesce(p_result, j.result)
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

    -- Other workers need waking only when this completion let its tenant below a concurrency limit
    -- it had reached, so that tenant's queued jobs became claimable. Below the limit they already
    -- were, and this slot's own claim needs no wake-up.
    IF v_was_full THEN
        v_wake := EXISTS (SELECT 1 FROM tenant_job_limits l WHERE l.tenant_id = v_tenant AND l.running < l.max_concurrent)
              AND EXISTS (SELECT 1 FROM job_queue q WHERE q.tenant_id = v_tenant AND q.lease_token IS NULL);
    END IF;

    -- Fenced out, nothing claimable or busy: nothing was written and there is nothing to tell.
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
