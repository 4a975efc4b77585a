-- Which provisioning service provisions a device registered at several (corral:plugin@0.6.0
-- `provisioning`), as the deciding plugins answered: kept per tenant under a fingerprint of
-- everything the answer depends on (the deciding plugins' active versions, the device's
-- identifiers and registrations), so that a decision is asked again exactly when one of them
-- changed, and read from here otherwise.
CREATE TABLE provisioning_decisions (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    fingerprint  TEXT NOT NULL,
    answer_json  TEXT NOT NULL,
    decided_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, fingerprint)
);
