-- Serial numbers and IMEIs of devices, so that a device is found by either (plugins' directory
-- `find-device`; zero-touch and Knox matching). A device reported with two IMEIs (dual SIM) has
-- both. Serials are kept upper-case, IMEIs as digits. Filled when a device is reported; the
-- inventory sync reports every device again, so older devices get theirs at the next sync.
CREATE TABLE device_identifiers (
    device_id  TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (device_id, kind, value)
);
CREATE INDEX device_identifiers_value ON device_identifiers (tenant_id, value);
