-- Apple push (issue 25): each tenant's APNs push certificate and key, the pushes waiting to go
-- out, and commands that carry a secret.
--
-- A command carrying a secret (the PIN of a Mac's lock or erase) is kept sealed with the server
-- key (sealed = 1: command_plist is the sealed plist).
ALTER TABLE apple_commands ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;

-- The tenant's MDM push certificate (its topic is the UID of its subject) and its private key,
-- sealed. expiry_warned_at: when the 30-day warning about this certificate went to the owners.
CREATE TABLE apple_push_certificates (
    tenant_id        TEXT PRIMARY KEY NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    topic            TEXT NOT NULL,
    certificate_pem  TEXT NOT NULL,
    key_sealed       TEXT NOT NULL,
    serial           TEXT NOT NULL,
    not_before       INTEGER NOT NULL,
    not_after        INTEGER NOT NULL,
    uploaded_by      TEXT NOT NULL,
    uploaded_at      INTEGER NOT NULL,
    expiry_warned_at INTEGER
);

-- A push owed to an enrolment, written in the transaction that makes it due (a command
-- enqueued, the sweep), so that it never goes out before that transaction commits. A pusher
-- claims it (claimed_at), sends it, and deletes it; a failure it may retry sets due_at later.
CREATE TABLE apple_pushes (
    enrolment_id TEXT PRIMARY KEY NOT NULL REFERENCES apple_enrolments(id) ON DELETE CASCADE,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    due_at       INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    claimed_at   INTEGER,
    claim        TEXT,
    last_error   TEXT,
    created_at   INTEGER NOT NULL
);
CREATE INDEX apple_pushes_due ON apple_pushes (due_at);

-- The last push sent to Apple for the enrolment (delivered or given up), and the last failure.
ALTER TABLE apple_enrolments ADD COLUMN pushed_at INTEGER;
ALTER TABLE apple_enrolments ADD COLUMN push_error TEXT;
