-- A credit note issued on an invoice that Stripe collects is sent to Stripe as a Stripe credit note
-- (issue 13, finding 2); its id is kept so that a re-run sends it once.
ALTER TABLE credit_notes ADD COLUMN stripe_credit_note_id varchar(255) UNIQUE;
