-- Refunds and disputes received from Stripe (issue 13, decision 0030). One row per Stripe object: a
-- charge's refunds (charge.refunded carries the cumulative amount_refunded) or a dispute, updated by
-- each newer event (event_at: the created time of the newest event applied), so a redelivery or an
-- older event arriving late changes nothing. invoice_id is null until the charge is known to belong to
-- one of our invoices (the invoice.paid event naming it may come after the refund).
ALTER TABLE invoices
    ADD COLUMN stripe_charge_id varchar(255),
    ADD COLUMN stripe_payment_intent_id varchar(255);
CREATE INDEX ix_invoices_stripe_charge ON invoices (stripe_charge_id) WHERE stripe_charge_id IS NOT NULL;
CREATE INDEX ix_invoices_stripe_payment_intent ON invoices (stripe_payment_intent_id) WHERE stripe_payment_intent_id IS NOT NULL;

CREATE TABLE stripe_payment_events (
    stripe_id         varchar(255) PRIMARY KEY,
    kind              varchar(8) NOT NULL CHECK (kind IN ('refund','dispute')),
    invoice_id        uuid REFERENCES invoices (id),
    charge_id         varchar(255),
    payment_intent_id varchar(255),
    amount            numeric(19,4) NOT NULL CHECK (amount >= 0),
    currency          char(3) NOT NULL,
    status            varchar(40) NOT NULL,
    reason            varchar(100),
    event_at          timestamptz NOT NULL,
    first_seen_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_stripe_payment_events_invoice ON stripe_payment_events (invoice_id);
CREATE INDEX ix_stripe_payment_events_charge ON stripe_payment_events (charge_id) WHERE invoice_id IS NULL;
CREATE INDEX ix_stripe_payment_events_payment_intent ON stripe_payment_events (payment_intent_id) WHERE invoice_id IS NULL;
