-- Notifications when a job ends (issue 18): in the portal (a bell with unread state) and by webhooks a
-- tenant owner registers. Both are written by a trigger on the job's state, so every way a job ends
-- (a worker finishing, a cancel, a runtime cap, an admin) notifies exactly once, in the transaction
-- that ended it.

-- One row per ended job; the portal shows the newest. Unread is per user: newer than the user's mark.
CREATE TABLE notifications (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    job_id uuid NOT NULL,
    type varchar(40) NOT NULL,
    title varchar(200) NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT pk_notifications PRIMARY KEY (id),
    CONSTRAINT fk_notifications_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);
CREATE INDEX ix_notifications_tenant_created ON notifications (tenant_id, created_at DESC);

CREATE TABLE notification_reads (
    tenant_id uuid NOT NULL,
    user_id uuid NOT NULL,
    read_up_to timestamptz NOT NULL,
    CONSTRAINT pk_notification_reads PRIMARY KEY (tenant_id, user_id),
    CONSTRAINT fk_notification_reads_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_notification_reads_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

-- An endpoint that receives the tenant's job events, signed with its secret (HMAC-SHA256).
CREATE TABLE webhooks (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    url varchar(2000) NOT NULL,
    secret varchar(100) NOT NULL,
    created_by uuid,
    created_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CONSTRAINT pk_webhooks PRIMARY KEY (id),
    CONSTRAINT fk_webhooks_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);
CREATE INDEX ix_webhooks_tenant ON webhooks (tenant_id) WHERE deleted_at IS NULL;

-- One event to one endpoint, retried with back-off until delivered or given up; the delivery log.
CREATE TABLE webhook_deliveries (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    webhook_id uuid NOT NULL,
    event_id uuid NOT NULL,
    event_type varchar(40) NOT NULL,
    payload text NOT NULL,
    created_at timestamptz NOT NULL,
    next_attempt_at timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    last_attempt_at timestamptz,
    last_status integer,
    last_error varchar(2000),
    delivered_at timestamptz,
    failed_at timestamptz,
    CONSTRAINT pk_webhook_deliveries PRIMARY KEY (id),
    CONSTRAINT fk_webhook_deliveries_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_webhook_deliveries_webhook_id FOREIGN KEY (webhook_id) REFERENCES webhooks (id) ON DELETE CASCADE
);
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX ix_webhook_deliveries_tenant_created ON webhook_deliveries (tenant_id, created_at DESC);

-- The payload carries the job's id, name, kind, state, scores and error; never the result's server paths.
CREATE FUNCTION notify_job_ended() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    event_id uuid := gen_random_uuid();
    event_type text := 'job.' || lower(NEW.state);
    at timestamptz := coalesce(NEW.finished_at, now());
BEGIN
    INSERT INTO notifications (id, tenant_id, job_id, type, title, created_at)
    VALUES (event_id, NEW.tenant_id, NEW.id, event_type, NEW.name, at);
    INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event_type, payload, created_at, next_attempt_at)
    SELECT gen_random_uuid(), w.tenant_id, w.id, event_id, event_type,
           jsonb_build_object(
               'id', event_id, 'type', event_type, 'createdAt', at,
               'data', jsonb_build_object(
                   'jobId', NEW.id, 'name', NEW.name, 'kind', NEW.kind, 'state', NEW.state,
                   'accuracy', NEW.result -> 'accuracy', 'macroF1', NEW.result -> 'macroF1',
                   'error', NEW.error, 'startedAt', NEW.started_at, 'finishedAt', NEW.finished_at))::text,
           at, at
    FROM webhooks w WHERE w.tenant_id = NEW.tenant_id AND w.deleted_at IS NULL;
    PERFORM pg_notify('webhook_deliveries', NEW.tenant_id::text);
    RETURN NEW;
END $$;

CREATE TRIGGER jobs_notify_ended AFTER UPDATE OF state ON jobs FOR EACH ROW
    WHEN (NEW.state IN ('Succeeded', 'Failed', 'Cancelled') AND OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION notify_job_ended();
