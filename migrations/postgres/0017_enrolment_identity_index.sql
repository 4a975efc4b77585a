-- Check-ins look their enrolments up by tenant and identity, for a whole batch at once
-- (`tenant_id = ? AND identity_sha256 IN (...)`). With the identity index alone, SQLite's
-- planner took the (tenant_id, user_id) index for such a list and read every enrolment of the
-- tenant: a batch cost grew with the tenant's size. The identity index now leads with the
-- tenant, so the same statement reads only the batch's rows.
DROP INDEX apple_enrolments_identity;
CREATE UNIQUE INDEX apple_enrolments_identity ON apple_enrolments (tenant_id, identity_sha256);
