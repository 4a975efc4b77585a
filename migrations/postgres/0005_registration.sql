-- Registration (SPEC B2 to B5, D5): tenant user settings, the tenant's versioned enrolment keys
-- signing registration URLs, one-time PINs, and end-user portal sessions.

-- Tenant user settings. language: 'en' or 'fr' (invitation e-mails, portal default).
ALTER TABLE tenants ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
ALTER TABLE tenants ADD COLUMN require_registration_pin BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN pin_validity_hours BIGINT NOT NULL DEFAULT 168;

-- HMAC keys signing registration URLs. The newest version is current; rotating adds one, and
-- URLs signed by an older version stop working.
CREATE TABLE enrolment_keys (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    key_sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

-- One-time registration PINs (argon2id hashes). Issuing a new PIN revokes the user's others.
CREATE TABLE registration_pins (
    id              TEXT PRIMARY KEY NOT NULL,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    pin_hash        TEXT NOT NULL,
    expires_at      BIGINT NOT NULL,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    -- Set when used or revoked: the PIN no longer works.
    closed_at       BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX registration_pins_user ON registration_pins (tenant_id, user_id);

-- End-user portal sessions. stage: 'needs_password' (PIN accepted, password to set) or 'active'.
CREATE TABLE portal_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    stage      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Short-lived one-time tokens a device app redeems after scanning the portal's QR code (D5).
CREATE TABLE device_registration_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    created_at BIGINT NOT NULL
);
