-- Plugin configurations (SPEC E4: priority and distribution), stored by the host for any plugin:
-- the plugin validates and renders the body; the host keeps it, its priority and which devices
-- it is distributed to. distribution: 'none' (the default: applies to no device), 'all', or
-- 'custom' (the devices in plugin_configuration_devices).
CREATE TABLE plugin_configurations (
    id           TEXT PRIMARY KEY NOT NULL,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    plugin_id    TEXT NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    priority     INTEGER NOT NULL,
    distribution TEXT NOT NULL,
    body_json    TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX plugin_configurations_name
    ON plugin_configurations (tenant_id, plugin_id, kind, name);

CREATE TABLE plugin_configuration_devices (
    configuration_id TEXT NOT NULL REFERENCES plugin_configurations(id) ON DELETE CASCADE,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    device_id        TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    PRIMARY KEY (configuration_id, device_id)
);
CREATE INDEX plugin_configuration_devices_device
    ON plugin_configuration_devices (tenant_id, device_id);

-- The highest applicable configuration wins: within a kind, priorities are distinct.
CREATE UNIQUE INDEX plugin_configurations_priority
    ON plugin_configurations (tenant_id, plugin_id, kind, priority);
