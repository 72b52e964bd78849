-- Gang scheduling for data-parallel jobs (issue 20, decision 0044).
--
-- A job may ask for N devices (jobs.devices). Its N ranks are claimed together, all or none, in one
-- transaction: the claiming worker takes rank 0 (the job_queue row's lease, as for any job) and
-- assigns ranks 1..N-1 to free slots of live workers of its device kind, its own first (gang_ranks).
-- Each rank is a run of its own: its own lease token and lease, its own usage segment (segment
-- numbers head..head+N-1 of the attempt), so billing meters N device-seconds per second with no
-- change to the ledger. An assigned rank is picked up by its worker's next claim, which re-keys it
-- with that worker's spooled token and opens its segment then: the device starts work there.
--
-- Fencing: the gang lives while rank 0 holds the job. Whatever releases rank 0's lease (completion,
-- requeue, the sweep) releases every rank (trigger below); a rank that ends other than by finishing
-- (its failure, an interruption, a release, a self-fence) requeues the job, which releases the rest;
-- a rank whose lease expires is swept like rank 0. Released ranks find their token gone at their next
-- renewal and stop; each reports its own device stop, as any run does.
--
-- No deadlock between gangs: a gang holds no slot until all N are assigned in one statement. No
-- starvation: a gang that cannot be assembled lets single-slot jobs pass (backfill); once it has
-- waited at the head for the reservation time, free slots are held back for it until it starts.

ALTER TABLE jobs ADD COLUMN devices integer NOT NULL DEFAULT 1 CHECK (devices BETWEEN 1 AND 64);

ALTER TABLE job_queue
    -- Copied from the job: the claim reads the small table only.
    ADD COLUMN devices integer NOT NULL DEFAULT 1 CHECK (devices BETWEEN 1 AND 64),
    -- When a claim first found this gang at its tenant's head and could not assemble it; cleared when
    -- it starts. Past the reservation time it holds free slots back (claim_job).
    ADD COLUMN gang_waiting_since timestamptz,
    -- host:port of rank 0's TCPStore, published by rank 0 under its lease; the other ranks read it.
    ADD COLUMN rendezvous varchar(300);

-- A worker's held runs, counted by every gang claim that looks at its free slots.
CREATE INDEX ix_job_queue_worker_held ON job_queue (worker_id) WHERE lease_token IS NOT NULL;
CREATE INDEX ix_job_queue_gang_waiting ON job_queue (gang_waiting_since)
    WHERE lease_token IS NULL AND gang_waiting_since IS NOT NULL;

ALTER TABLE usage_segments
    -- A gang rank's run: its rank and the segment of its gang's rank 0. Null for a single-device run.
    ADD COLUMN rank integer,
    ADD COLUMN gang_head integer;

-- Ranks 1..N-1 of a running gang (rank 0 is the job_queue row's lease). Rows go with the gang.
CREATE TABLE gang_ranks (
    job_id           uuid NOT NULL REFERENCES job_queue (job_id) ON DELETE CASCADE,
    rank             integer NOT NULL CHECK (rank >= 1),
    tenant_id        uuid NOT NULL,
    worker_id        uuid NOT NULL,
    lease_token      uuid NOT NULL UNIQUE,
    lease_expires_at timestamptz NOT NULL,
    attempt          integer NOT NULL,
    segment          integer NOT NULL,
    gang_head        integer NOT NULL,
    -- Null while assigned and not yet started by its worker.
    picked_up_at     timestamptz,
    PRIMARY KEY (job_id, rank)
);
CREATE INDEX ix_gang_ranks_worker ON gang_ranks (worker_id);
CREATE INDEX ix_gang_ranks_lease ON gang_ranks (lease_expires_at);

-- A worker's free slots as the queue sees them: its slots less the runs it holds (job leases and
-- gang ranks, assigned or started). Null for a worker that is not registered.
CREATE FUNCTION worker_free_slots(p_worker uuid)
RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT w.slots
         - (SELECT count(*) FROM job_queue q WHERE q.worker_id = w.id AND q.lease_token IS NOT NULL)::integer
         - (SELECT count(*) FROM gang_ranks g WHERE g.worker_id = w.id)::integer
    FROM workers w WHERE w.id = p_worker
$$;

-- Live workers of a kind: not stopped, and a heartbeat within one lease.
CREATE FUNCTION live_workers(p_device_kind varchar, p_lease_seconds integer)
RETURNS SETOF workers
LANGUAGE sql STABLE AS $$
    SELECT * FROM workers w
    WHERE w.device_kind = p_device_kind AND w.stopped_at IS NULL
      AND w.heartbeat_at > now() - make_interval(secs => p_lease_seconds)
$$;

-- Free slots of live workers of a kind, the claimer's own included (at least the one it claims with).
CREATE FUNCTION free_slots(p_worker uuid, p_device_kind varchar, p_lease_seconds integer)
RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(greatest(worker_free_slots(w.id), 0)) FILTER (WHERE w.id <> p_worker), 0)::integer
         + greatest(coalesce(worker_free_slots(p_worker), 1), 1)
    FROM live_workers(p_device_kind, p_lease_seconds) w
$$;

-- Whether a gang claim has assigned this worker a rank it has not picked up yet. Read in a statement of
-- its own after the worker's row is locked, so it sees an assignment committed while the claim ran.
CREATE FUNCTION worker_has_assigned_rank(p_worker uuid)
RETURNS boolean
LANGUAGE sql VOLATILE AS $$
    SELECT EXISTS (SELECT 1 FROM gang_ranks g WHERE g.worker_id = p_worker AND g.picked_up_at IS NULL)
$$;

-- The workers of ranks 0..p_devices-1 (one element per rank), or null when that many free slots are
-- not there now. The claimer's own free slots first (at least the one it claims with), then the
-- workers with the most free slots (a gang on as few machines as can hold it). A worker's row is
-- locked, SKIP LOCKED, before its slots are counted; a worker's single-slot claim takes the same lock
-- before it takes its slot (claim_job), so a slot is never both claimed and assigned. The locks are
-- held to the end of the claim's transaction. contended: a locked worker was skipped.
CREATE FUNCTION assemble_gang(p_devices integer, p_worker uuid, p_lease_seconds integer, p_device_kind varchar,
                              OUT gang_workers uuid[], OUT contended boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_workers uuid[];
    v_other record;
    v_take integer;
    v_own integer := 1;
BEGIN
    contended := false;
    -- Held by another gang claim, this worker's slot may be being assigned there: it is not free here.
    PERFORM 1 FROM workers w WHERE w.id = p_worker FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        -- Another gang claim may have assigned this worker's slot and committed after this claim looked
        -- for assigned ranks (claim_job, step 1): the slot is taken; the claim retries and picks it up.
        IF worker_has_assigned_rank(p_worker) THEN
            contended := true;
            RETURN;
        END IF;
        v_own := greatest(coalesce(worker_free_slots(p_worker), 1), 1);
    ELSIF EXISTS (SELECT 1 FROM workers w WHERE w.id = p_worker) THEN
        contended := true;
        RETURN;
    END IF;
    v_workers := array_fill(p_worker, ARRAY[least(p_devices, v_own)]);
    FOR v_other IN
        SELECT w.id FROM live_workers(p_device_kind, p_lease_seconds) w
        WHERE w.id <> p_worker AND worker_free_slots(w.id) > 0
        ORDER BY worker_free_slots(w.id) DESC, w.id
    LOOP
        EXIT WHEN cardinality(v_workers) >= p_devices;
        PERFORM 1 FROM workers w WHERE w.id = v_other.id FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            contended := true;
            CONTINUE;
        END IF;
        v_take := least(p_devices - cardinality(v_workers), worker_free_slots(v_other.id));
        CONTINUE WHEN v_take <= 0;
        v_workers := v_workers || array_fill(v_other.id, ARRAY[v_take]);
    END LOOP;
    gang_workers := CASE WHEN cardinality(v_workers) >= p_devices THEN v_workers END;
END $$;

-- A segment ends at its device's stop, never after the job's next run started (0120). A gang's ranks
-- start together, so "next" means a later gang or run, not a sibling rank.
CREATE OR REPLACE FUNCTION run_end_at(p_job uuid, p_attempt integer, p_segment integer, p_started timestamptz, p_stopped_ago double precision)
RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT greatest(p_started, least(now() - make_interval(secs => greatest(coalesce(p_stopped_ago, 0), 0)),
        coalesce((SELECT min(n.started_at) FROM usage_segments n
                  WHERE n.job_id = p_job
                    AND (n.attempt, coalesce(n.gang_head, n.segment)) >
                        (p_attempt, coalesce((SELECT m.gang_head FROM usage_segments m
                                              WHERE m.job_id = p_job AND m.attempt = p_attempt AND m.segment = p_segment), p_segment))),
                 'infinity')))
$$;

-- Releasing rank 0's lease (a requeue sets lease_token null; a completion or a final state deletes the
-- row) releases the whole gang: its other ranks' rows go (their renewals then find their tokens gone
-- and they stop), its open runs wait for their workers' reports like any recovered run (the grace
-- sweep closes them at their last renewal otherwise), and the tenant's running count gives back the
-- N-1 the claim added beyond the one every release already subtracts.
CREATE FUNCTION release_gang()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.devices > 1 AND OLD.lease_token IS NOT NULL AND (TG_OP = 'DELETE' OR NEW.lease_token IS NULL) THEN
        DELETE FROM gang_ranks g WHERE g.job_id = OLD.job_id;
        UPDATE usage_segments s SET lost_at = coalesce(s.lost_at, least(OLD.lease_expires_at, now())),
                                    recovered_at = coalesce(s.recovered_at, now())
        WHERE s.job_id = OLD.job_id AND s.rank IS NOT NULL AND NOT s.closed;
        UPDATE tenant_job_limits l SET running = greatest(l.running - (OLD.devices - 1), 0) WHERE l.tenant_id = OLD.tenant_id;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF NEW.lease_token IS NULL THEN
        NEW.rendezvous := NULL;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER tr_job_queue_release_gang BEFORE UPDATE OF lease_token OR DELETE ON job_queue
    FOR EACH ROW EXECUTE FUNCTION release_gang();

-- Claims a held queue row (the caller locked the tenant's limits row and this row) for a gang of
-- p_devices on p_workers (rank r on p_workers[r+1]); returns rank 0's run.
CREATE FUNCTION start_gang(p_job uuid, p_workers uuid[], p_lease_seconds integer, p_device_kind varchar, p_token uuid)
RETURNS TABLE (job_id uuid, tenant_id uuid, kind varchar, attempt integer, segment integer,
               lease_token uuid, payload jsonb, rank integer, world_size integer)
LANGUAGE plpgsql AS $$
DECLARE
    v_token uuid := coalesce(p_token, gen_random_uuid());
    v_devices integer := cardinality(p_workers);
    v_head integer;
    v_tenant uuid;
    v_attempt integer;
BEGIN
    UPDATE job_queue q SET worker_id = p_workers[1], lease_token = v_token, last_token = v_token, claimed_at = now(),
           lease_expires_at = now() + make_interval(secs => p_lease_seconds),
           next_segment = q.next_segment + v_devices, gang_waiting_since = NULL, rendezvous = NULL
    WHERE q.job_id = p_job
    RETURNING q.next_segment - v_devices + 1, q.tenant_id INTO v_head, v_tenant;
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
           'Started on ' || v_devices || ' devices of ' || count(DISTINCT w.id) || ' worker(s) (attempt ' || j.attempt || ' of ' || j.max_attempts || ')',
           jsonb_build_object('worker', p_workers[1], 'attempt', j.attempt, 'segment', v_head, 'devices', v_devices,
                              'workers', to_jsonb(p_workers))
    FROM jobs j LEFT JOIN workers w ON w.id = ANY (p_workers) WHERE j.id = p_job
    GROUP BY j.attempt, j.max_attempts;

    RETURN QUERY
    SELECT j.id, j.tenant_id, j.kind, j.attempt, v_head, v_token, j.payload, 0, v_devices
    FROM jobs j WHERE j.id = p_job;
END $$;

-- As in 0121 (class, owner, tenant order; every lock SKIP LOCKED),
-- plus gangs: a rank assigned to this worker comes first; a gang at its tenant's head starts when
-- its N slots are free now, else the tenant's next single-slot job goes instead; and a gang that has
-- waited 30 s holds back the free slots it needs from every other claim until it starts.
DROP PROCEDURE complete_and_claim(uuid, uuid, varchar, integer, integer, jsonb, double precision, double precision,
    uuid, integer, varchar, uuid, boolean, boolean, uuid, uuid, varchar, integer, integer, uuid, jsonb);
DROP FUNCTION claim_job(uuid, integer, varchar, uuid);
CREATE FUNCTION claim_job(p_worker uuid, p_lease_seconds integer, p_device_kind varchar, p_token uuid DEFAULT NULL)
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
        SELECT j.id, j.tenant_id, j.kind, v_assigned.attempt, v_assigned.segment, v_token, j.payload, v_assigned.rank, q.devices
        FROM jobs j JOIN job_queue q ON q.job_id = j.id WHERE j.id = v_assigned.job_id;
        RETURN;
    END IF;

    -- 2. The gang that has waited longest past the reservation time, if it could run at all (its
    --    tenant has room for it, and enough live slots of this kind exist).
    SELECT q.job_id, q.devices INTO v_reserver, v_reserved FROM job_queue q
    JOIN tenant_job_limits l ON l.tenant_id = q.tenant_id
    WHERE q.lease_token IS NULL AND q.gang_waiting_since < now() - interval '30 seconds' AND q.available_at <= now()
      AND l.running + q.devices <= l.max_concurrent
      AND q.devices <= (SELECT coalesce(sum(w.slots), 0) FROM live_workers(p_device_kind, p_lease_seconds) w)
    ORDER BY q.gang_waiting_since LIMIT 1;
    v_reserved := coalesce(v_reserved, 0);
    IF v_reserver IS NOT NULL THEN
        SELECT q.tenant_id INTO v_tenant FROM job_queue q WHERE q.job_id = v_reserver;
        PERFORM 1 FROM tenant_job_limits l WHERE l.tenant_id = v_tenant FOR UPDATE SKIP LOCKED;
        IF FOUND THEN
            PERFORM 1 FROM job_queue q WHERE q.job_id = v_reserver AND q.lease_token IS NULL FOR UPDATE SKIP LOCKED;
            IF FOUND THEN
                SELECT * INTO v_assembled FROM assemble_gang(v_reserved, p_worker, p_lease_seconds, p_device_kind);
                IF v_assembled.gang_workers IS NOT NULL THEN
                    RETURN QUERY SELECT * FROM start_gang(v_reserver, v_assembled.gang_workers, p_lease_seconds, p_device_kind, p_token);
                    RETURN;
                END IF;
                v_contended := v_contended OR v_assembled.contended;
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
            SELECT q.gang_waiting_since < now() - interval '30 seconds' INTO v_overdue FROM job_queue q WHERE q.job_id = v_job;
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
            RETURN;
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

-- As in 0120, and: a gang's rank other than 0 ends by ending its own run (rank 0 decides the job's
-- outcome); a rank that ends otherwise (failed, interrupted, released) requeues the job, which stops
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
    SET ended_at = run_end_at(s.job_id, s.attempt, s.segment, s.started_at, p_stopped_ago),
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

-- As in 0120, plus: a gang rank other than 0 completes its own run only (see end_run); the claim
-- returns the run's rank and world size; a gang's claim wakes the workers its ranks were assigned to.
CREATE PROCEDURE complete_and_claim(
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
            SET ended_at = run_end_at(s.job_id, s.attempt, s.segment, s.started_at, p_stopped_ago),
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
            SET ended_at = run_end_at(s.job_id, s.attempt, s.segment, s.started_at, p_stopped_ago),
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
