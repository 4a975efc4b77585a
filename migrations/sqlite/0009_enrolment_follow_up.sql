-- Following up Apple enrolments (SPEC D1, D4, D6).
--
-- identity_sha256: SHA-256 of the public key (EC point) of the device identity issued with the
-- profile. Check-ins are accepted only when signed with that key.
-- install_deadline: the profile must be installed (Authenticate and TokenUpdate) before this;
-- afterwards the enrolment is 'cancelled' and a live device with its UDID loses MDM.
-- next_reminder_at / reminders_sent / remind_until: reminder e-mails to a user who downloaded a
-- profile and never finished (NULL next_reminder_at: no more reminders).
ALTER TABLE apple_enrolments ADD COLUMN identity_sha256 TEXT;
ALTER TABLE apple_enrolments ADD COLUMN install_deadline INTEGER;
ALTER TABLE apple_enrolments ADD COLUMN next_reminder_at INTEGER;
ALTER TABLE apple_enrolments ADD COLUMN reminders_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE apple_enrolments ADD COLUMN remind_until INTEGER;
CREATE UNIQUE INDEX apple_enrolments_identity ON apple_enrolments (identity_sha256);
CREATE INDEX apple_enrolments_unfinished ON apple_enrolments (status, install_deadline);
CREATE INDEX apple_enrolments_reminders ON apple_enrolments (next_reminder_at);

-- Scheduled work shared by every host process (jobs module): a job runs when next_run_at has
-- passed, by the one process whose conditional UPDATE wins the lease.
CREATE TABLE scheduled_jobs (
    name             TEXT PRIMARY KEY NOT NULL,
    next_run_at      INTEGER NOT NULL,
    lease_token      TEXT,
    lease_until      INTEGER NOT NULL DEFAULT 0,
    runs             INTEGER NOT NULL DEFAULT 0,
    last_started_at  INTEGER,
    last_finished_at INTEGER,
    last_error       TEXT
);
