-- The platform-wide roles exist in every deployment, not only where the demo seed ran: granting the
-- first PlatformAdmin (`./platform grant-role`) must not depend on seeding. Names are normalised the way
-- ASP.NET Identity's UpperInvariantLookupNormalizer does. A database the old seed already filled keeps
-- its rows.
INSERT INTO roles (id, name, normalized_name, concurrency_stamp) VALUES
    ('00000000-0000-7000-8000-000000000001', 'PlatformAdmin', 'PLATFORMADMIN', '0004'),
    ('00000000-0000-7000-8000-000000000002', 'Finance', 'FINANCE', '0004')
ON CONFLICT (normalized_name) DO NOTHING;
