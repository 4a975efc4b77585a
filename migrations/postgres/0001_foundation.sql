-- Foundation: tenants, administrators, their sessions, change history.
-- Same tables and meaning as migrations/sqlite/0001_foundation.sql. Column kinds are limited
-- to TEXT / BIGINT / BYTEA so that sqlx's Any driver decodes them like SQLite's. Ids and
-- timestamps (unix milliseconds) are made in Rust. Booleans are 0/1 integers.

CREATE TABLE server_settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE tenants (
    id         TEXT PRIMARY KEY NOT NULL,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE admins (
    id                   TEXT PRIMARY KEY NOT NULL,
    tenant_id            TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email                TEXT NOT NULL,
    role                 TEXT NOT NULL CHECK (role IN ('owner', 'admin')),
    exchange_permissions TEXT NOT NULL DEFAULT '',
    password_hash        TEXT NOT NULL,
    totp_secret          TEXT NOT NULL,
    totp_last_step       BIGINT NOT NULL DEFAULT 0,
    failed_sign_ins      BIGINT NOT NULL DEFAULT 0,
    locked_until         BIGINT NOT NULL DEFAULT 0,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    UNIQUE (tenant_id, email)
);

CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    admin_id   TEXT NOT NULL REFERENCES admins(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX admin_sessions_admin ON admin_sessions (tenant_id, admin_id);

CREATE TABLE history (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    actor_type  TEXT NOT NULL,
    actor_id    TEXT,
    actor_label TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    action      TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    at          BIGINT NOT NULL
);
CREATE INDEX history_object ON history (tenant_id, object_type, object_id, at);

CREATE FUNCTION history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'history is append-only';
END;
$$;
CREATE TRIGGER history_no_update_delete BEFORE UPDATE OR DELETE ON history
FOR EACH ROW EXECUTE FUNCTION history_append_only();
