-- Enrolment profiles (SPEC E2): a named profile owned by a user, whose token a plugin creates
-- at its vendor (corral:plugin@0.3.0 `enrolment-tokens`). Devices enrolled with the token
-- belong to the owner. Only the validity can change afterwards (a new token replaces the old).
CREATE TABLE enrolment_profiles (
    id               TEXT PRIMARY KEY NOT NULL,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    plugin_id        TEXT NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL,
    owner_user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    validity_days    BIGINT NOT NULL,
    attributes_json  TEXT NOT NULL,
    token_name       TEXT NOT NULL,
    token_value      TEXT NOT NULL,
    token_created_at BIGINT NOT NULL,
    token_expires_at BIGINT NOT NULL,
    qr_payload       TEXT,
    vendor_document  TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX enrolment_profiles_name ON enrolment_profiles (tenant_id, name);
CREATE INDEX enrolment_profiles_token ON enrolment_profiles (tenant_id, token_value);
