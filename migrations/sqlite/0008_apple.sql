-- Apple enrolment (SPEC D1 to D4). Each tenant has its own certificate authority, which issues
-- the device identities, and a profile-signing certificate; private keys are sealed with the
-- server key. origin: 'generated' (on first need) or 'installed' (by an operator).
CREATE TABLE apple_pki (
    tenant_id          TEXT PRIMARY KEY NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    ca_cert_pem        TEXT NOT NULL,
    ca_key_sealed      TEXT NOT NULL,
    signer_cert_pem    TEXT NOT NULL,
    signer_key_sealed  TEXT NOT NULL,
    origin             TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);

-- One enrolment per profile download link. status: 'link' (link handed out), 'downloaded'
-- (profile fetched: the link is used up), 'authenticated' (device sent Authenticate),
-- 'active' (TokenUpdate received), 'checked_out', 'cancelled'.
-- scope: 'system' (device channel) or 'user' (macOS user channel, SPEC D10).
CREATE TABLE apple_enrolments (
    id                TEXT PRIMARY KEY NOT NULL,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    platform          TEXT NOT NULL,
    scope             TEXT NOT NULL,
    link_token_hash   TEXT NOT NULL UNIQUE,
    link_expires_at   INTEGER NOT NULL,
    status            TEXT NOT NULL,
    downloaded_at     INTEGER,
    identity_serial   TEXT UNIQUE,
    topic             TEXT NOT NULL,
    device_id         TEXT,
    -- From the device's check-in messages.
    udid              TEXT,
    device_name       TEXT,
    model             TEXT,
    os_version        TEXT,
    push_token        TEXT,
    push_magic        TEXT,
    user_push_token   TEXT,
    checked_in_at     INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX apple_enrolments_user ON apple_enrolments (tenant_id, user_id);
