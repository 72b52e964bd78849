-- Job system: jobs (what the tenant asked for), job_queue (dispatch state, one row while the job is
-- not finished), job_events (the log the portal streams), workers, usage_segments (metering).
-- The queue row is separate from the job so claims touch a small, hot table and finished jobs
-- leave it: the claim index only ever holds live work.

CREATE TABLE tenant_job_limits (
    tenant_id       uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    max_concurrent  integer NOT NULL DEFAULT 2 CHECK (max_concurrent >= 0),
    -- Maintained by claim/complete in the same transactions; the row lock serialises claims of one
    -- tenant so two workers never push it past its limit.
    running         integer NOT NULL DEFAULT 0 CHECK (running >= 0)
);

CREATE TABLE jobs (
    id                  uuid PRIMARY KEY,
    tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind                varchar(32) NOT NULL,
    name                varchar(200) NOT NULL,
    state               varchar(16) NOT NULL CHECK (state IN ('Queued','Running','Succeeded','Failed','Cancelled')),
    priority            integer NOT NULL DEFAULT 0,
    attempt             integer NOT NULL DEFAULT 1,
    max_attempts        integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    payload             jsonb NOT NULL DEFAULT '{}'::jsonb,
    progress            jsonb,
    result              jsonb,
    error               varchar(4000),
    cancel_requested_at timestamptz,
    created_by          uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    started_at          timestamptz,
    finished_at         timestamptz
);
CREATE INDEX ix_jobs_tenant_created ON jobs (tenant_id, created_at DESC);
CREATE INDEX ix_jobs_tenant_state ON jobs (tenant_id, state);

CREATE TABLE job_queue (
    job_id           uuid PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    tenant_id        uuid NOT NULL,
    priority         integer NOT NULL,
    enqueued_at      timestamptz NOT NULL DEFAULT now(),
    worker_id        uuid,
    lease_token      uuid,
    lease_expires_at timestamptz,
    claimed_at       timestamptz,
    -- Segments number the runs within one attempt: a graceful release keeps the attempt and the
    -- next claim opens segment n+1; a lost lease or a failure starts a new attempt at segment 1.
    next_segment     integer NOT NULL DEFAULT 0
);
-- Claimable rows only: the partial index stays as small as the backlog.
CREATE INDEX ix_job_queue_ready ON job_queue (priority DESC, enqueued_at) WHERE lease_token IS NULL;
CREATE INDEX ix_job_queue_lease ON job_queue (lease_expires_at) WHERE lease_token IS NOT NULL;

CREATE TABLE job_events (
    id        bigserial PRIMARY KEY,
    tenant_id uuid NOT NULL,
    job_id    uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    at        timestamptz NOT NULL DEFAULT now(),
    type      varchar(32) NOT NULL,
    message   varchar(2000) NOT NULL,
    data      jsonb
);
CREATE INDEX ix_job_events_tenant_job ON job_events (tenant_id, job_id, id);

CREATE TABLE workers (
    id           uuid PRIMARY KEY,
    name         varchar(200) NOT NULL,
    device_kind  varchar(8) NOT NULL CHECK (device_kind IN ('cpu','cuda')),
    device_name  varchar(200) NOT NULL,
    slots        integer NOT NULL CHECK (slots >= 1),
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    stopped_at   timestamptz
);

-- One row per run segment: opened at claim, its end pushed forward by every lease renewal, closed
-- at completion or release. A crashed worker's segment therefore ends at its last heartbeat.
CREATE TABLE usage_segments (
    job_id      uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt     integer NOT NULL,
    segment     integer NOT NULL,
    tenant_id   uuid NOT NULL,
    worker_id   uuid NOT NULL,
    device_kind varchar(8) NOT NULL,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz NOT NULL,
    closed      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (job_id, attempt, segment)
);
CREATE INDEX ix_usage_segments_tenant_started ON usage_segments (tenant_id, started_at);

CREATE INDEX ix_job_queue_tenant_ready ON job_queue (tenant_id, priority DESC, enqueued_at) WHERE lease_token IS NULL;

-- Claims one job for a worker in one round trip. Fair share: tenants with the fewest running jobs
-- go first, then the head job's priority, then its age. The tenant row is locked so concurrent
-- claimers of one tenant never exceed its limit. Every lock here is taken with SKIP LOCKED: a
-- claimer never waits while holding another tenant's lock, so claims cannot deadlock. When a
-- candidate was skipped because another claimer held it, the function returns one row with a null
-- job_id: "busy, try again", as opposed to no row, "nothing to claim".
CREATE FUNCTION claim_job(p_worker uuid, p_lease_seconds integer, p_device_kind varchar)
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
        PERFORM pg_notify('platform_job_events', v_job::text);

        RETURN QUERY
        SELECT j.id, j.tenant_id, j.kind, j.attempt, q.next_segment, q.lease_token, j.payload
        FROM jobs j JOIN job_queue q ON q.job_id = j.id WHERE j.id = v_job;
        RETURN;
    END LOOP;
    IF v_contended THEN
        RETURN QUERY SELECT NULL::uuid, NULL::uuid, NULL::varchar, NULL::integer, NULL::integer, NULL::uuid, NULL::jsonb;
    END IF;
END $$;

-- Puts a held job back in the queue or ends it; the caller has already fenced (checked the lease
-- token) or found the lease expired. A new attempt counts against max_attempts; a graceful release
-- (p_new_attempt = false) keeps the attempt and the next claim opens the next segment.
CREATE FUNCTION requeue_job(p_job uuid, p_new_attempt boolean, p_error varchar)
RETURNS varchar
LANGUAGE plpgsql AS $$
DECLARE
    v_attempt integer;
    v_max integer;
    v_tenant uuid;
    v_segment integer;
    v_cancel timestamptz;
    v_state varchar;
BEGIN
    SELECT j.attempt, j.max_attempts, j.tenant_id, q.next_segment, j.cancel_requested_at
    INTO v_attempt, v_max, v_tenant, v_segment, v_cancel
    FROM jobs j JOIN job_queue q ON q.job_id = j.id
    WHERE j.id = p_job AND q.lease_token IS NOT NULL
    FOR UPDATE OF j, q;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;

    UPDATE tenant_job_limits l SET running = greatest(l.running - 1, 0) WHERE l.tenant_id = v_tenant;
    UPDATE usage_segments s SET closed = true
    WHERE s.job_id = p_job AND s.attempt = v_attempt AND s.segment = v_segment;

    IF v_cancel IS NOT NULL THEN
        v_state := 'Cancelled';
    ELSIF p_new_attempt AND v_attempt >= v_max THEN
        v_state := 'Failed';
    ELSE
        v_state := 'Queued';
    END IF;

    IF v_state = 'Queued' THEN
        UPDATE job_queue q SET worker_id = NULL, lease_token = NULL, lease_expires_at = NULL, claimed_at = NULL,
               next_segment = CASE WHEN p_new_attempt THEN 0 ELSE q.next_segment END
        WHERE q.job_id = p_job;
        UPDATE jobs j SET state = 'Queued', attempt = j.attempt + CASE WHEN p_new_attempt THEN 1 ELSE 0 END,
               error = coalesce(p_error, j.error)
        WHERE j.id = p_job;
        INSERT INTO job_events (tenant_id, job_id, type, message)
        VALUES (v_tenant, p_job, 'requeued', CASE WHEN p_new_attempt
            THEN 'Attempt ' || v_attempt || ' ended: ' || coalesce(p_error, 'unknown error') || '; retrying from the last checkpoint'
            ELSE 'Worker released the job; resuming from the last checkpoint' END);
        PERFORM pg_notify('platform_jobs', '');
    ELSE
        DELETE FROM job_queue q WHERE q.job_id = p_job;
        UPDATE jobs j SET state = v_state, finished_at = now(),
               error = CASE WHEN v_state = 'Failed'
                   THEN 'Failed after ' || v_attempt || ' attempts: ' || coalesce(p_error, 'unknown error') ELSE j.error END
        WHERE j.id = p_job;
        INSERT INTO job_events (tenant_id, job_id, type, message)
        VALUES (v_tenant, p_job, lower(v_state), CASE WHEN v_state = 'Failed'
            THEN 'Failed after ' || v_attempt || ' attempts: ' || coalesce(p_error, 'unknown error')
            ELSE 'Cancelled' END);
        PERFORM pg_notify('platform_jobs', '');
    END IF;
    PERFORM pg_notify('platform_job_events', p_job::text);
    RETURN v_state;
END $$;
