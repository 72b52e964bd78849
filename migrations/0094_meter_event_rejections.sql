-- A ledger row Stripe refuses for good (400: a deleted customer, say) is set aside with Stripe's
-- message instead of stopping every later row (issue 13, finding 8); usage older than the 35 days a
-- meter event may be is sent as an invoice item, whose id is kept.
ALTER TABLE usage_ledger ADD COLUMN stripe_rejected_at timestamptz;
ALTER TABLE usage_ledger ADD COLUMN stripe_error varchar(500);
ALTER TABLE usage_ledger ADD COLUMN stripe_invoice_item_id varchar(255);
DROP INDEX ix_usage_ledger_unreported;
CREATE INDEX ix_usage_ledger_unreported ON usage_ledger (ingested_at)
    WHERE stripe_reported_at IS NULL AND stripe_rejected_at IS NULL;
