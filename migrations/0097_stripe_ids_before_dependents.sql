-- Stripe ids are stored as soon as Stripe returns them, before the calls that depend on them
-- (issue 13): a push retried after Stripe forgot its idempotency keys (about 24 h) finds the Stripe
-- invoice, the items already added and whether it was finalized, instead of creating them again.
ALTER TABLE invoice_lines ADD COLUMN stripe_invoice_item_id varchar(255);
ALTER TABLE invoices ADD COLUMN stripe_finalized_at timestamptz;
UPDATE invoices SET stripe_finalized_at = finalized_at WHERE stripe_invoice_id IS NOT NULL;
