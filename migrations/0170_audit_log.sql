-- The audit log (issue 15): who did what to which organisation, when, with the state before and after.
-- Each row is written in the transaction of the action it records, so an action without its row (or a
-- row without its action) cannot exist. Rows are never deleted: not by tenant erasure (the entries
-- outlive the tenant, like invoices; docs/decisions/0033), and not by the application at all. Erasure
-- only redacts the personal data inside them (emails), which is what the law asks of a log it lets us keep.
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    -- The signed-in user (portal) or the API key's creator (API); NULL for the platform itself
    -- (Stripe webhooks, schedulers). No foreign key: the entry outlives the account.
    actor_user_id uuid,
    -- The actor's email at the time, so the entry still reads after the account is gone; NULL once erased.
    actor_email varchar(256),
    -- The organisation acted on; NULL for platform-wide actions (a plan's prices, a shared base model).
    tenant_id uuid,
    -- Dotted and stable: tenant.suspend, plan.assign, invoice.paid, member.invite, api_key.create, ...
    action varchar(100) NOT NULL,
    -- What was acted on inside the tenant (an invoice, a member, a key, a plan), as text.
    target varchar(200),
    before jsonb,
    after jsonb,
    CONSTRAINT pk_audit_log PRIMARY KEY (id)
);
-- The admin page pages newest first, by tenant, by actor or by action.
CREATE INDEX ix_audit_log_tenant ON audit_log (tenant_id, id DESC);
CREATE INDEX ix_audit_log_actor ON audit_log (actor_user_id, id DESC);
CREATE INDEX ix_audit_log_action ON audit_log (action, id DESC);

-- Append-only: a DELETE is refused, and an UPDATE may only take personal data out (erasure's redaction).
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit_log is append-only: entries are never deleted';
    END IF;
    IF NEW.id <> OLD.id OR NEW.occurred_at <> OLD.occurred_at OR NEW.actor_user_id IS DISTINCT FROM OLD.actor_user_id
       OR NEW.tenant_id IS DISTINCT FROM OLD.tenant_id OR NEW.action <> OLD.action OR NEW.target IS DISTINCT FROM OLD.target
       OR (NEW.actor_email IS NOT NULL AND NEW.actor_email IS DISTINCT FROM OLD.actor_email) THEN
        RAISE EXCEPTION 'audit_log is append-only: only personal data may be redacted';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER tr_audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
