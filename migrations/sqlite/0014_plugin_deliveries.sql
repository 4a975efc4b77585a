-- Configuration changes a plugin still has to be told about (its on-event hook: the AMAPI
-- plugin then sends or deletes the policy at Google). Written in the same transaction as the
-- change, so none is lost; one row per configuration (the latest pending event replaces an
-- older one); deleted once the plugin took it, else retried with a growing delay.
-- event: 'changed' (the configuration applies to some device) or 'withdrawn' (deleted, or
-- distributed to no device any more).
CREATE TABLE plugin_deliveries (
    tenant_id        TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    configuration_id TEXT NOT NULL,
    plugin_id        TEXT NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    event            TEXT NOT NULL,
    revision         TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    last_error       TEXT,
    next_attempt_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, configuration_id)
);
CREATE INDEX plugin_deliveries_due ON plugin_deliveries (next_attempt_at);
