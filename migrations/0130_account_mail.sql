-- Account mail (issue 11): sign-up that reveals nothing about which emails have accounts, a
-- confirmed email before launching jobs, and the outbox that carries the mail.

-- A sign-up form post, as received: the request stores it and answers "check your inbox" whatever
-- the address, so new and existing addresses cost the same and read the same. A background job
-- creates the account (or mails the existing owner) and deletes the row. The password is kept only
-- as its hash, and only until the row is processed.
CREATE TABLE sign_up_requests (
    id uuid NOT NULL,
    email varchar(256) NOT NULL,
    organisation varchar(100) NOT NULL,
    password_hash varchar(1000) NOT NULL,
    created_at timestamptz NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    last_error varchar(2000),
    CONSTRAINT pk_sign_up_requests PRIMARY KEY (id)
);
CREATE INDEX ix_sign_up_requests_created_at ON sign_up_requests (created_at);

-- Mail to send, written in the transaction of what it tells about; a background job sends it.
CREATE TABLE email_outbox (
    id uuid NOT NULL,
    to_address varchar(256) NOT NULL,
    subject varchar(300) NOT NULL,
    body text NOT NULL,
    -- The mail's one action (confirmation link, sign-in page); logged by the development file sink only.
    link varchar(2000),
    created_at timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    sent_at timestamptz,
    last_error varchar(2000),
    CONSTRAINT pk_email_outbox PRIMARY KEY (id)
);
CREATE INDEX ix_email_outbox_due ON email_outbox (next_attempt_at) WHERE sent_at IS NULL;

-- Email confirmation links: only the SHA-256 of the token is stored; a token expires and is used once.
CREATE TABLE email_confirmation_tokens (
    token_hash bytea NOT NULL,
    user_id uuid NOT NULL,
    email varchar(256) NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    CONSTRAINT pk_email_confirmation_tokens PRIMARY KEY (token_hash),
    CONSTRAINT fk_email_confirmation_tokens_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_email_confirmation_tokens_user_id ON email_confirmation_tokens (user_id, created_at);

-- Accounts created before the portal sent mail could never confirm their address: they keep launching
-- as before. Every account created from here on confirms by mail (the demo seed's are confirmed).
UPDATE users SET email_confirmed = true WHERE NOT email_confirmed;
