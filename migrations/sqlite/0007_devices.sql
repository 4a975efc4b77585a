-- Devices (SPEC D7, D8): one row per registration of a physical device. hardware_id names the
-- physical device across registrations (UDID for Apple, serial number or IMEI for Android).
-- state: active | retired | wiped | reset. An archived row is an older registration of a
-- device that registered again (Android 10 and later); it never changes again.
CREATE TABLE devices (
    id            TEXT PRIMARY KEY NOT NULL,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id       TEXT REFERENCES users(id) ON DELETE SET NULL,
    platform      TEXT NOT NULL,
    os_version    TEXT NOT NULL,
    hardware_id   TEXT NOT NULL,
    name          TEXT NOT NULL,
    model         TEXT NOT NULL,
    state         TEXT NOT NULL,
    archived      INTEGER NOT NULL DEFAULT 0,
    mdm_enabled   INTEGER NOT NULL DEFAULT 1,
    registrations INTEGER NOT NULL DEFAULT 1,
    registered_at INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX devices_hardware ON devices (tenant_id, platform, hardware_id);
CREATE INDEX devices_user ON devices (tenant_id, user_id);
