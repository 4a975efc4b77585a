-- Outgoing mail (SPEC B2): every message is first written here, in the same transaction as the
-- change that caused it, so nothing accepted is lost when the SMTP server is down. A dispatcher
-- in each host process claims due messages with a lease (so two processes never send the same
-- one) and retries failures with exponential backoff.

CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY NOT NULL,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    -- What the message is about, e.g. kind 'invitation' for object 'user' <id>.
    kind            TEXT NOT NULL,
    object_type     TEXT NOT NULL,
    object_id       TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    -- 'pending', 'sent' or 'failed' (gave up after the last attempt).
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_token     TEXT,
    lease_until     BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_object ON mail_outbox (tenant_id, object_type, object_id);
