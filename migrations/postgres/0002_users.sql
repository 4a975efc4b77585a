-- End users of a tenant (SPEC B1): local users now, directory (LDAP) users later. The e-mail
-- address is the login name. A user without a password must set one after a one-time PIN.

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    first_name    TEXT NOT NULL,
    last_name     TEXT NOT NULL,
    -- 'local' or 'ldap'.
    source        TEXT NOT NULL DEFAULT 'local',
    -- argon2id; NULL until the user sets one (or always, for directory users).
    password_hash TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (tenant_id, email)
);
