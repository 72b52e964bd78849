-- Stripe delivers webhooks in no order: the created time of the newest subscription event applied is
-- kept, and an older one changes nothing (issue 13, finding 6).
ALTER TABLE subscriptions ADD COLUMN stripe_status_at timestamptz;
