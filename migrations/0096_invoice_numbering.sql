-- Gapless numbering per series, assigned when a document is issued (issue 13): an invoice gets its
-- number when it is finalized (a draft has none, so a voided draft leaves no gap), a credit note when
-- it is issued; invoices and credit notes are separate series, per calendar year of issue
-- (INV-2026-000001, CN-2026-000001). The counter row is taken in the issuing transaction, so a rolled
-- back issue gives its number back. Numbers issued before this migration keep their old form.
CREATE TABLE document_number_series (
    series varchar(8) NOT NULL,
    year   integer NOT NULL,
    last   bigint NOT NULL CHECK (last > 0),
    PRIMARY KEY (series, year)
);
ALTER TABLE invoices ALTER COLUMN number DROP NOT NULL;
-- Payment terms: due_at is set at issue, payment_terms_days (Billing:PaymentTermsDays) after it.
ALTER TABLE invoices ADD COLUMN payment_terms_days integer NOT NULL DEFAULT 30 CHECK (payment_terms_days >= 0);
ALTER TABLE invoices ADD COLUMN due_at timestamptz;
UPDATE invoices SET due_at = finalized_at + payment_terms_days * interval '1 day' WHERE finalized_at IS NOT NULL;
-- A voided invoice can be reissued: one invoice per tenant and period that is not void.
ALTER TABLE invoices DROP CONSTRAINT ux_invoices_tenant_period;
CREATE UNIQUE INDEX ux_invoices_tenant_period ON invoices (tenant_id, period_start) WHERE status <> 'void';
