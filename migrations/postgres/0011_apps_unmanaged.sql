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
    file_size         BIGINT,
    file_content      BYTEA,
    install_on_device BIGINT NOT NULL,
    silent_install    BIGINT NOT NULL,
    allow_unmanaged   BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX apps_tenant ON apps (tenant_id, name);

-- The tenant's "Unmanaged devices" feature. state: 'off' (never switched on; the default when
-- there is no row), 'on', or 'deactivated' (switched off, permanently). default_allow: the
-- catalogue default for new apps (allowed on unmanaged devices or not).
CREATE TABLE unmanaged_devices (
    tenant_id      TEXT PRIMARY KEY NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    state          TEXT NOT NULL,
    default_allow  BIGINT NOT NULL,
    changed_at     BIGINT NOT NULL
);

ALTER TABLE users ADD COLUMN unmanaged BIGINT NOT NULL DEFAULT 0;
