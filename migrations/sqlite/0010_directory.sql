-- A tenant's LDAP directory (SPEC B1): where its directory users come from and sign in. The
-- service account's password is sealed with the server key; directory users' passwords are
-- never stored (the directory checks them with a bind).
CREATE TABLE ldap_directories (
    tenant_id             TEXT PRIMARY KEY NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    url                   TEXT NOT NULL,
    bind_dn               TEXT NOT NULL,
    bind_password_sealed  TEXT NOT NULL,
    base_dn               TEXT NOT NULL,
    user_filter           TEXT NOT NULL,
    email_attribute       TEXT NOT NULL,
    first_name_attribute  TEXT NOT NULL,
    last_name_attribute   TEXT NOT NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
