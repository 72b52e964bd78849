-- Invoices fit for tax (issue 13, decision 0030): the buyer's legal details per tenant, edited by the
-- owner and by admins; the seller's and buyer's details and the tax as they stood at the close kept on
-- the invoice (an issued invoice never changes, even when the tenant's details or the rates do); the
-- tax of each line, of the invoice and of each credit note; the Stripe tax rates made for them.
CREATE TABLE tenant_billing_details (
    tenant_id     uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    legal_name    varchar(200) NOT NULL,
    address_line1 varchar(200) NOT NULL,
    address_line2 varchar(200),
    city          varchar(100) NOT NULL,
    postal_code   varchar(20),
    region        varchar(50),
    country       char(2) NOT NULL,
    -- Canonical form (capitals, no separators; EU VAT ids with their prefix), format-checked on save.
    tax_id        varchar(32),
    updated_by    uuid,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE invoices
    ADD COLUMN seller_details   varchar(2000),
    ADD COLUMN buyer_address    varchar(1000),
    ADD COLUMN buyer_country    char(2),
    ADD COLUMN buyer_tax_id     varchar(32),
    ADD COLUMN tax_treatment    varchar(16) NOT NULL DEFAULT 'None'
        CHECK (tax_treatment IN ('None','Standard','ReverseCharge','StripeTax')),
    ADD COLUMN tax_rate         numeric(7,4) NOT NULL DEFAULT 0 CHECK (tax_rate >= 0 AND tax_rate <= 100),
    ADD COLUMN tax_jurisdiction varchar(8),
    ADD COLUMN tax_reason       varchar(300) NOT NULL DEFAULT '',
    -- total = subtotal + tax_amount. Null where a writer other than the close inserts an invoice (seeds,
    -- imports) or before this migration: readers take total - tax_amount then.
    ADD COLUMN subtotal         numeric(19,4),
    ADD COLUMN tax_amount       numeric(19,4) NOT NULL DEFAULT 0;
UPDATE invoices SET subtotal = total;

ALTER TABLE invoice_lines ADD COLUMN tax_amount numeric(19,4) NOT NULL DEFAULT 0;
-- The part of a credit note's amount that is tax, in the invoice's proportion.
ALTER TABLE credit_notes ADD COLUMN tax_amount numeric(19,4) NOT NULL DEFAULT 0;

-- Stripe TaxRate objects are immutable: one per (jurisdiction, rate), made once and reused.
CREATE TABLE stripe_tax_rates (
    jurisdiction       varchar(8) NOT NULL,
    rate               numeric(7,4) NOT NULL,
    stripe_tax_rate_id varchar(255) NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (jurisdiction, rate)
);
