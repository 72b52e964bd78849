-- Invoices and credit notes are kept when their organisation is deleted (issue 13; tax law keeps them
-- for years): the invoice holds the buyer's name as issued, and deleting the tenant no longer cascades
-- to its invoices (their lines and credit notes hang off the invoice, not the tenant).
ALTER TABLE invoices ADD COLUMN buyer_name varchar(200);
UPDATE invoices i SET buyer_name = t.name FROM tenants t WHERE t.id = i.tenant_id;
ALTER TABLE invoices ALTER COLUMN buyer_name SET NOT NULL;
ALTER TABLE invoices DROP CONSTRAINT invoices_tenant_id_fkey;
