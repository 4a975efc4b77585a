-- What a tenant gives a plugin for its vendor calls (corral:plugin@0.2.0 `vendor` capability):
-- non-secret settings the plugin reads by name (an enterprise id, an API base URL), and one
-- credential, sealed with the server key (the private key never leaves it in the clear; the
-- summary holds only what an administrator may see again, such as the account's e-mail).
CREATE TABLE plugin_settings (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    plugin_id  TEXT NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, plugin_id, name)
);

CREATE TABLE plugin_credentials (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    plugin_id    TEXT NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    sealed       TEXT NOT NULL,
    summary_json TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, plugin_id)
);
