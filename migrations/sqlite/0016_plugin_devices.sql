-- Devices a plugin manages at its vendor (corral:plugin@0.4.0 `inventory`): the plugin reports
-- each one under the vendor's name for it, and the host keeps the link to its device entry,
-- the enrolment profile and token it used, when it must be compliant by, and whether the host
-- already reset it (a reset is decided and recorded once).
CREATE TABLE plugin_devices (
    device_id     TEXT PRIMARY KEY NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    plugin_id     TEXT NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    vendor_name   TEXT NOT NULL,
    profile_id    TEXT,
    token_name    TEXT,
    enrolled_at   INTEGER NOT NULL,
    deadline_at   INTEGER,
    compliant_at  INTEGER,
    reset_code    TEXT,
    reset_message TEXT,
    reset_at      INTEGER,
    reported_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX plugin_devices_vendor ON plugin_devices (tenant_id, plugin_id, vendor_name);
