-- A data-parallel gang resumes on whatever slots are free, possibly fewer than it asked for (issue 20).
--
-- Until now a requeued gang waited for all N slots again: a gang that lost a worker for good on a fleet
-- of N slots never resumed. A gang resuming an interrupted attempt (job_queue.next_segment > 0: it ran,
-- and its checkpoint carries over) that has waited the reservation time (30 s, 0245) now starts on as
-- many of its N as are free then, at least the claimer's own slot, and as its tenant's running limit
-- allows. The training side keeps the global batch whatever the world size (decision 0043), so the
-- checkpoint resumes with the same data order and learning-rate schedule; only the per-rank share
-- changes. A fresh gang, or a new attempt after a job error, still starts on all N.
--
-- The job keeps asking for N (jobs.devices, job_queue.devices): its next requeue tries N again first.
-- What it runs on now is job_queue.world_size, written by start_gang: the ranks it assigns, the
-- running count the tenant's limit adds and releases (release_gang), and the world size each rank's
-- claim returns. Metering needs nothing: each rank started is a segment of its own.

-- The ranks of the gang running now (1 for a single-device run); kept after a release for the trigger.
ALTER TABLE job_queue ADD COLUMN world_size integer NOT NULL DEFAULT 1 CHECK (world_size BETWEEN 1 AND 64);

-- The reservation time of 0245 (how long a gang waits at its tenant's head before it holds free slots
-- back, and now before it resumes on fewer), named: an idle worker also sleeps until a waiting gang
-- reaches it (JobQueue.NextAvailableAsync), as nothing notifies then.
CREATE FUNCTION gang_reservation_time()
RETURNS interval
LANGUAGE sql IMMUTABLE AS $$ SELECT interval '30 seconds' $$;

-- As in 0245, releasing the gang's actual ranks from the tenant's running count.
CREATE OR REPLACE FUNCTION release_gang()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.devices > 1 AND OLD.lease_token IS NOT NULL AND (TG_OP = 'DELETE' OR NEW.lease_token IS NULL) THEN
        DELETE FROM gang_ranks g WHERE g.job_id = OLD.job_id;
        UPDATE usage_segments s SET lost_at = coalesce(s.lost_at, least(OLD.lease_expires_at, now())),
                                    recovered_at = coalesce(s.recovered_at, now())
        WHERE s.job_id = OLD.job_id AND s.rank IS NOT NULL AND NOT s.closed;
        UPDATE tenant_job_limits l SET running = greatest(l.running - (OLD.world_size - 1), 0) WHERE l.tenant_id = OLD.tenant_id;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF NEW.lease_token IS NULL THEN
        NEW.rendezvous := NULL;
    END IF;
    RETURN NEW;
END $$;


-- As in 0245, recording the world size it starts with, and saying so when it is fewer than asked.
CREATE OR REPLACE FUNCTION start_gang(p_job uuid, p_workers uuid[], p_lease_seconds integer, p_device_kind varchar, p_token uuid)
RETURNS TABLE (job_id uuid, tenant_id uuid, kind varchar, attempt integer, segment integer,
               lease_token uuid, payload jsonb, rank integer, world_size integer)
LANGUAGE plpgsql AS $$
DECLARE
    v_token uuid := coalesce(p_token, gen_random_uuid());
    v_devices integer := cardinality(p_workers);
    v_head integer;
    v_tenant uuid;
    v_attempt integer;
    v_asked integer;
BEGIN
    UPDATE job_queue q SET worker_id = p_workers[1], lease_token = v_token, last_token = v_token, claimed_at = now(),
           lease_expires_at = now() + make_interval(secs => p_lease_seconds),
           next_segment = q.next_segment + v_devices, gang_waiting_since = NULL, rendezvous = NULL,
           world_size = v_devices
    WHERE q.job_id = p_job
    RETURNING q.next_segment - v_devices + 1, q.tenant_id, q.devices INTO v_head, v_tenant, v_asked;
    UPDATE tenant_job_limits l SET running = l.running + v_devices WHERE l.tenant_id = v_tenant;
    UPDATE jobs j SET state = 'Running', started_at = coalesce(j.started_at, now()) WHERE j.id = p_job
    RETURNING j.attempt INTO v_attempt;
    INSERT INTO usage_segments (job_id, attempt, segment, tenant_id, worker_id, device_kind, started_at, ended_at, lease_token, rank, gang_head)
    VALUES (p_job, v_attempt, v_head, v_tenant, p_workers[1], p_device_kind, now(), now(), v_token, 0, v_head);
    INSERT INTO gang_ranks (job_id, rank, tenant_id, worker_id, lease_token, lease_expires_at, attempt, segment, gang_head)
    SELECT p_job, r, v_tenant, p_workers[r + 1], gen_random_uuid(), now() + make_interval(secs => p_lease_seconds),
           v_attempt, v_head + r, v_head
    FROM generate_series(1, v_devices - 1) r;
    INSERT INTO job_events (tenant_id, job_id, type, message, data)
    SELECT v_tenant, p_job, 'claimed',
           CASE WHEN v_devices < v_asked
                THEN 'Resumed on ' || v_devices || ' of its ' || v_asked || ' devices (' || count(DISTINCT w.id) || ' worker(s)): no more were free '
                     || 'after waiting ' || extract(epoch FROM gang_reservation_time())::integer || ' s; same global batch '
                     || '(attempt ' || j.attempt || ' of ' || j.max_attempts || ')'
                ELSE 'Started on ' || v_devices || ' devices of ' || count(DISTINCT w.id) || ' worker(s) (attempt ' || j.attempt || ' of ' || j.max_attempts || ')'
           END,
           jsonb_build_object('worker', p_workers[1], 'attempt', j.attempt, 'segment', v_head, 'devices', v_devices, 'asked', v_asked,
                              'workers', to_jsonb(p_workers))
    FROM jobs j LEFT JOIN workers w ON w.id = ANY (p_workers) WHERE j.id = p_job
    GROUP BY j.attempt, j.max_attempts;

    RETURN QUERY
    SELECT j.id, j.tenant_id, j.kind, j.attempt, v_head, v_token, j.payload, 0, v_devices
    FROM jobs j WHERE j.id = p_job;
END $$;


-- As in 0245, plus: a reserving gang that resumes an interrupted attempt starts on as many slots as
-- are free (at least one) rather than waiting for N; an assigned rank's claim returns the world size
-- its gang started with.
CREATE OR REPLACE FUNCTION claim_job(p_worker uuid, p_lease_seconds integer, p_device_kind varchar, p_token uuid DEFAULT NULL)
RETURNS TABLE (job_id uuid, tenant_id uuid, kind varchar, attempt integer, segment integer,
               lease_token uuid, payload jsonb, rank integer, world_size integer)
LANGUAGE plpgsql AS $$
DECLARE
    v_tenant uuid;
    v_job uuid;
    v_devices integer;
    v_token uuid;
    v_running integer;
    v_max integer;
    v_contended boolean := false;
    v_assigned gang_ranks%ROWTYPE;
    v_reserver uuid;
    v_reserved integer := 0;
    v_overdue boolean;
    v_assembled record;
    v_resumes boolean;
    v_asked integer;
    v_size integer;
BEGIN
    -- 1. A rank of a gang another claim assigned to this worker: the gang waits for it.
    SELECT g.* INTO v_assigned FROM gang_ranks g
    WHERE g.worker_id = p_worker AND g.picked_up_at IS NULL
    ORDER BY g.lease_expires_at LIMIT 1
    FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        v_token := coalesce(p_token, gen_random_uuid());
        UPDATE gang_ranks g SET lease_token = v_token, picked_up_at = now(),
               lease_expires_at = now() + make_interval(secs => p_lease_seconds)
        WHERE g.job_id = v_assigned.job_id AND g.rank = v_assigned.rank;
        INSERT INTO usage_segments (job_id, attempt, segment, tenant_id, worker_id, device_kind, started_at, ended_at, lease_token, rank, gang_head)
        VALUES (v_assigned.job_id, v_assigned.attempt, v_assigned.segment, v_assigned.tenant_id, p_worker, p_device_kind,
                now(), now(), v_token, v_assigned.rank, v_assigned.gang_head);
        RETURN QUERY
        SELECT j.id, j.tenant_id, j.kind, v_assigned.attempt, v_assigned.segment, v_token, j.payload, v_assigned.rank, q.world_size
        FROM jobs j JOIN job_queue q ON q.job_id = j.id WHERE j.id = v_assigned.job_id;
        RETURN;
    END IF;

    -- 2. The gang that has waited longest past the reservation time, if it could run at all (its
    --    tenant has room for it, and enough live slots of this kind exist). A gang resuming an
    --    interrupted attempt needs one slot, not N: it resumes on as many as are free now.
    SELECT q.job_id, q.devices, q.next_segment > 0 INTO v_reserver, v_asked, v_resumes FROM job_queue q
    JOIN tenant_job_limits l ON l.tenant_id = q.tenant_id
    WHERE q.lease_token IS NULL AND q.gang_waiting_since < now() - gang_reservation_time() AND q.available_at <= now()
      AND l.running + CASE WHEN q.next_segment > 0 THEN 1 ELSE q.devices END <= l.max_concurrent
      AND CASE WHEN q.next_segment > 0 THEN 1 ELSE q.devices END
          <= (SELECT coalesce(sum(w.slots), 0) FROM live_workers(p_device_kind, p_lease_seconds) w)
    ORDER BY q.gang_waiting_since LIMIT 1;
    v_resumes := coalesce(v_resumes, false);
    -- What it holds back from the claims below while it waits: N, or one for a gang that resumes on fewer.
    v_reserved := CASE WHEN v_resumes THEN 1 ELSE coalesce(v_asked, 0) END;
    IF v_reserver IS NOT NULL THEN
        SELECT q.tenant_id INTO v_tenant FROM job_queue q WHERE q.job_id = v_reserver;
        PERFORM 1 FROM tenant_job_limits l WHERE l.tenant_id = v_tenant FOR UPDATE SKIP LOCKED;
        IF FOUND THEN
            PERFORM 1 FROM job_queue q WHERE q.job_id = v_reserver AND q.lease_token IS NULL FOR UPDATE SKIP LOCKED;
            IF FOUND THEN
                v_size := v_asked;
                IF v_resumes THEN
                    -- As many of its N as are free (the claimer's own slot at least) and its tenant's
                    -- limit has room for, read under the limits row's lock.
                    SELECT least(v_asked, l.max_concurrent - l.running, free_slots(p_worker, p_device_kind, p_lease_seconds))
                    INTO v_size FROM tenant_job_limits l WHERE l.tenant_id = v_tenant;
                END IF;
                IF v_size >= 1 THEN
                    SELECT * INTO v_assembled FROM assemble_gang(v_size, p_worker, p_lease_seconds, p_device_kind);
                    IF v_assembled.gang_workers IS NOT NULL THEN
                        RETURN QUERY SELECT * FROM start_gang(v_reserver, v_assembled.gang_workers, p_lease_seconds, p_device_kind, p_token);
                        RETURN;
                    END IF;
                    v_contended := v_contended OR v_assembled.contended;
                END IF;
            ELSE
                v_contended := true;
            END IF;
        ELSE
            v_contended := true;
        END IF;
    END IF;

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
        SELECT q.job_id, q.devices INTO v_job, v_devices FROM job_queue q
        WHERE q.tenant_id = v_tenant AND q.lease_token IS NULL AND q.available_at <= now()
        ORDER BY q.priority DESC, q.enqueued_at LIMIT 1
        FOR UPDATE SKIP LOCKED;
        IF v_job IS NULL THEN
            v_contended := true;
            CONTINUE;
        END IF;

        IF v_devices > 1 THEN
            SELECT q.gang_waiting_since < now() - gang_reservation_time() INTO v_overdue FROM job_queue q WHERE q.job_id = v_job;
            IF v_job <> v_reserver OR v_reserver IS NULL THEN
                IF v_running + v_devices <= v_max
                   AND free_slots(p_worker, p_device_kind, p_lease_seconds) - v_reserved >= v_devices THEN
                    SELECT * INTO v_assembled FROM assemble_gang(v_devices, p_worker, p_lease_seconds, p_device_kind);
                    IF v_assembled.gang_workers IS NOT NULL THEN
                        RETURN QUERY SELECT * FROM start_gang(v_job, v_assembled.gang_workers, p_lease_seconds, p_device_kind, p_token);
                        RETURN;
                    END IF;
                    -- A worker whose slots it needed was busy claiming: try again at once rather than sleep.
                    v_contended := v_contended OR v_assembled.contended;
                END IF;
                UPDATE job_queue q SET gang_waiting_since = coalesce(q.gang_waiting_since, now()) WHERE q.job_id = v_job;
            END IF;
            -- Backfill: the tenant's next single-slot job runs while its gang cannot, until the gang has
            -- waited the reservation time (its own tenant's jobs must not keep it under its limit forever).
            CONTINUE WHEN coalesce(v_overdue, false);
            v_job := NULL;
            SELECT q.job_id INTO v_job FROM job_queue q
            WHERE q.tenant_id = v_tenant AND q.lease_token IS NULL AND q.available_at <= now() AND q.devices = 1
            ORDER BY q.priority DESC, q.enqueued_at LIMIT 1
            FOR UPDATE SKIP LOCKED;
            CONTINUE WHEN v_job IS NULL;
        END IF;

        -- A single slot is taken only when what stays free still holds the reserving gang.
        IF v_reserved > 0 AND free_slots(p_worker, p_device_kind, p_lease_seconds) - 1 < v_reserved THEN
            EXIT;
        END IF;
        -- The worker's own row, as a gang claim takes it before it counts this worker's free slots:
        -- held there, this slot may be being assigned to a gang, which this worker then picks up.
        PERFORM 1 FROM workers w WHERE w.id = p_worker FOR UPDATE SKIP LOCKED;
        IF (NOT FOUND AND EXISTS (SELECT 1 FROM workers w WHERE w.id = p_worker)) OR worker_has_assigned_rank(p_worker) THEN
            v_contended := true;
            EXIT;
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
        SELECT j.id, j.tenant_id, j.kind, j.attempt, q.next_segment, q.lease_token, j.payload, NULL::integer, 1
        FROM jobs j JOIN job_queue q ON q.job_id = j.id WHERE j.id = v_job;
        RETURN;
    END LOOP;
    IF v_contended THEN
        RETURN QUERY SELECT NULL::uuid, NULL::uuid, NULL::varchar, NULL::integer, NULL::integer, NULL::uuid, NULL::jsonb,
                            NULL::integer, NULL::integer;
    END IF;
END $$;
