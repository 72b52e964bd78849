-- Webhook signing secrets at rest (decision 0045): sealed with the tenant's data key (AES-256-GCM,
-- TenantSecretCipher) in secret_sealed. Rows written before this keep their plaintext in secret until the
-- web host seals them at start (WebhookSecretSealing), which clears the column; the sender reads either
-- meanwhile. New rows never write secret.
ALTER TABLE webhooks ALTER COLUMN secret DROP NOT NULL;
ALTER TABLE webhooks ADD COLUMN secret_sealed bytea;
ALTER TABLE webhooks ADD COLUMN secret_rotated_at timestamptz;
ALTER TABLE webhooks ADD CONSTRAINT ck_webhooks_secret CHECK (secret IS NOT NULL OR secret_sealed IS NOT NULL);
-- Lets the start-up pass find the rows still in the clear without reading the table.
CREATE INDEX ix_webhooks_secret_plain ON webhooks (id) WHERE secret IS NOT NULL;
