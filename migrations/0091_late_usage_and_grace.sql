-- Usage metered after its period's invoice (a dead worker's segment closed at lease recovery, say)
-- is billed on the tenant's next invoice as a LateUsage line naming the earlier period
-- (issue 13, finding 3); usage_period_start is that period's start (NULL on the period's own lines).
ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_kind_check;
ALTER TABLE invoice_lines ADD CONSTRAINT invoice_lines_kind_check
    CHECK (kind IN ('Fee','IncludedUsage','Overage','LateUsage'));
ALTER TABLE invoice_lines ADD COLUMN usage_period_start timestamptz;
CREATE INDEX ix_invoice_lines_late ON invoice_lines (usage_period_start) WHERE usage_period_start IS NOT NULL;
