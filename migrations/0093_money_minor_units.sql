-- Amounts in every ISO 4217 currency: three decimals (KWD, BHD, JOD, OMR, TND, IQD, LYD) and four
-- (CLF, UYW) were rounded to two by numeric(18,2) (issue 13, finding 7).
ALTER TABLE invoices ALTER COLUMN total TYPE numeric(19,4);
ALTER TABLE invoice_lines ALTER COLUMN amount TYPE numeric(19,4);
ALTER TABLE credit_notes ALTER COLUMN amount TYPE numeric(19,4);
