-- Plugins (SPEC H3, H5): each tenant's plugins, their uploaded versions, the capabilities the
-- tenant admin allows, and the key-value store the plugins may be granted. Component bytes are
-- stored here so that every host process can install them; compiled artifacts are a local
-- cache of each process (see host/src/plugins).

CREATE TABLE plugins (
    id                   TEXT PRIMARY KEY NOT NULL,
    tenant_id            TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    -- The plugin's own name from describe(); versions of one name form one plugin.
    name                 TEXT NOT NULL,
    vendor               TEXT NOT NULL,
    active_version_id    TEXT,
    -- Capabilities the tenant admin allows (comma-separated); granted = requested AND allowed.
    allowed_capabilities TEXT NOT NULL DEFAULT '',
    -- Hosts outbound HTTPS may reach (comma-separated), when that capability is allowed.
    http_allow_hosts     TEXT NOT NULL DEFAULT '',
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE plugin_versions (
    id                     TEXT PRIMARY KEY NOT NULL,
    tenant_id              TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    plugin_id              TEXT NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    -- Upload order within the plugin: 1, 2, 3, ...
    seq                    BIGINT NOT NULL,
    -- The plugin's own version string from describe().
    version                TEXT NOT NULL,
    -- The WIT world version it was built against, e.g. 0.1.0.
    world_version          TEXT NOT NULL,
    sha256                 TEXT NOT NULL,
    size                   BIGINT NOT NULL,
    component              BYTEA NOT NULL,
    -- Capabilities the plugin asks for (comma-separated), from describe().
    requested_capabilities TEXT NOT NULL,
    -- The whole describe() answer as JSON (name, vendor, hooks, config kinds, ...).
    info_json              TEXT NOT NULL,
    uploaded_by            TEXT NOT NULL,
    created_at             BIGINT NOT NULL,
    UNIQUE (plugin_id, seq)
);
CREATE INDEX plugin_versions_plugin ON plugin_versions (tenant_id, plugin_id);

-- Keyed by plugin name, which is stable across versions, so stored data survives upgrades.
CREATE TABLE plugin_kv (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    plugin     TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      BYTEA NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, plugin, key)
);
