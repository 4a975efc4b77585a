-- Bulk imports of CSV files through a plugin (corral:plugin@0.5.0 collections' imports, such as
-- zero-touch's apply and unregister files). The file is kept on disk while its job runs; the
-- job's rows are read in chunks: each chunk's row statuses are one character per row
-- ('v' valid and waiting to be applied, 'x' refused, 'a' applied, 'f' failed at the vendor),
-- rewritten as the job goes, so that a job picked up again after a crash resumes where its
-- last written chunk or status left it. The rows that did not go through, with why, are kept
-- apart (import_failures: the line number, the row's fields as a JSON array, the reason) for
-- the status page and its CSV.
-- state: queued | validating | applying | done | failed.
CREATE TABLE import_jobs (
    id             TEXT PRIMARY KEY NOT NULL,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    plugin_id      TEXT NOT NULL REFERENCES plugins(id) ON DELETE CASCADE,
    collection     TEXT NOT NULL,
    import_kind    TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    file_bytes     INTEGER NOT NULL,
    header_json    TEXT NOT NULL,
    state          TEXT NOT NULL,
    error          TEXT,
    total_rows     INTEGER NOT NULL,
    rows_read      INTEGER NOT NULL DEFAULT 0,
    rows_valid     INTEGER NOT NULL DEFAULT 0,
    rows_invalid   INTEGER NOT NULL DEFAULT 0,
    rows_applied   INTEGER NOT NULL DEFAULT 0,
    rows_failed    INTEGER NOT NULL DEFAULT 0,
    admin_id       TEXT,
    admin_email    TEXT NOT NULL,
    lease_token    TEXT,
    lease_until    INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    finished_at    INTEGER
);
CREATE INDEX import_jobs_queue ON import_jobs (state, tenant_id, created_at);
CREATE INDEX import_jobs_tenant ON import_jobs (tenant_id, created_at);
CREATE TABLE import_chunks (
    job_id      TEXT NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    byte_start  INTEGER NOT NULL,
    byte_end    INTEGER NOT NULL,
    line_start  INTEGER NOT NULL,
    line_end    INTEGER NOT NULL,
    statuses    TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
CREATE TABLE import_failures (
    job_id      TEXT NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    line        INTEGER NOT NULL,
    fields      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    PRIMARY KEY (job_id, line)
);
-- Notifications for administrators (an import's summary, ...): newest first, read or not.
CREATE TABLE notifications (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    admin_id    TEXT NOT NULL,
    text        TEXT NOT NULL,
    link        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    read_at     INTEGER
);
CREATE INDEX notifications_admin ON notifications (tenant_id, admin_id, created_at);
