-- Credentials a plugin keeps for its named accounts (corral:plugin@0.7.0 `vendor`): one per
-- connection to its vendor (an Exchange organisation...). The host checks each as it checks the
-- tenant's credential, seals it (purpose "plugin-account:<tenant>:<plugin>:<account>") and
-- never hands it back; the plugin only sends requests as the account.
CREATE TABLE plugin_account_credentials (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    plugin_id  TEXT NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    account    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    sealed     TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, plugin_id, account)
);
