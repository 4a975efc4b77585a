-- The app catalogue (SPEC C2, E7) and unmanaged (MAM-only) devices (SPEC C1 to C5).

-- kind: 'store' (public store app, by store id), 'in_house' (uploaded file), 'business'
-- (a store's private/volume-purchased app, by store id). platform: 'android' or 'ios'.
CREATE TABLE apps (
    id                TEXT PRIMARY KEY NOT NULL,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    platform          TEXT NOT NULL,
    name              TEXT NOT NULL,
    store_id          TEXT,
    file_name         TEXT,
    file_sha256       TEXT,
    file_size         INTEGER,
    file_content      BLOB,
    install_on_device INTEGER NOT NULL,
    silent_install    INTEGER NOT NULL,
    allow_unmanaged   INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX apps_tenant ON apps (tenant_id, name);

-- The tenant's "Unmanaged devices" feature. state: 'off' (never switched on; the default when
-- there is no row), 'on', or 'deactivated' (switched off, permanently). default_allow: the
-- catalogue default for new apps (allowed on unmanaged devices or not).
CREATE TABLE unmanaged_devices (
    tenant_id      TEXT PRIMARY KEY NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    state          TEXT NOT NULL,
    default_allow  INTEGER NOT NULL,
    changed_at     INTEGER NOT NULL
);

ALTER TABLE users ADD COLUMN unmanaged INTEGER NOT NULL DEFAULT 0;
