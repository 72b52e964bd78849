-- Tenants (organisations), who belongs to them, and invitations to join.

CREATE TABLE tenants (
    id uuid NOT NULL,
    name varchar(100) NOT NULL,
    slug varchar(63) NOT NULL,
    status varchar(20) NOT NULL,
    suspension_reason varchar(500),
    created_at timestamptz NOT NULL,
    CONSTRAINT pk_tenants PRIMARY KEY (id),
    CONSTRAINT ck_tenants_status CHECK (status IN ('Active', 'Suspended')),
    -- A suspended tenant is always told why.
    CONSTRAINT ck_tenants_suspension_reason CHECK ((status = 'Suspended') = (suspension_reason IS NOT NULL))
);
CREATE UNIQUE INDEX ux_tenants_slug ON tenants (slug);

CREATE TABLE tenant_memberships (
    tenant_id uuid NOT NULL,
    user_id uuid NOT NULL,
    role varchar(20) NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT pk_tenant_memberships PRIMARY KEY (tenant_id, user_id),
    CONSTRAINT ck_tenant_memberships_role CHECK (role IN ('Owner', 'Member')),
    CONSTRAINT fk_tenant_memberships_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_tenant_memberships_user_id FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
-- The tenant switcher lists a user's memberships across tenants.
CREATE INDEX ix_tenant_memberships_user_id ON tenant_memberships (user_id);

CREATE TABLE invitations (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    email varchar(256) NOT NULL,
    role varchar(20) NOT NULL,
    token_hash char(64) NOT NULL,
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    accepted_by_user_id uuid,
    created_by_user_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT pk_invitations PRIMARY KEY (id),
    CONSTRAINT ck_invitations_role CHECK (role IN ('Owner', 'Member')),
    CONSTRAINT fk_invitations_tenant_id FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_invitations_created_by_user_id FOREIGN KEY (created_by_user_id) REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT fk_invitations_accepted_by_user_id FOREIGN KEY (accepted_by_user_id) REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX ix_invitations_tenant_id_created_at ON invitations (tenant_id, created_at);
-- Accepting finds the invitation by the hash of the token in the link.
CREATE UNIQUE INDEX ux_invitations_token_hash ON invitations (token_hash);
CREATE INDEX ix_invitations_created_by_user_id ON invitations (created_by_user_id);
CREATE INDEX ix_invitations_accepted_by_user_id ON invitations (accepted_by_user_id);
