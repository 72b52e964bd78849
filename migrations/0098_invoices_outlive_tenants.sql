-- Invoices and credit notes are kept when their organisation is deleted (issue 13; tax law keeps them
-- for years): the invoice holds the buyer's name as issued (the column migration 0081 added for erasure,
-- now filled at every close), and deleting the tenant no longer cascades to its invoices (their lines
-- and credit notes hang off the invoice, not the tenant).
ALTER TABLE invoices ADD COLUMN IF NOT EXISTS buyer_name varchar(200);
UPDATE invoices i SET buyer_name = t.name FROM tenants t WHERE t.id = i.tenant_id AND i.buyer_name IS NULL;
ALTER TABLE invoices ALTER COLUMN buyer_name SET NOT NULL;
ALTER TABLE invoices DROP CONSTRAINT IF EXISTS invoices_tenant_id_fkey;
