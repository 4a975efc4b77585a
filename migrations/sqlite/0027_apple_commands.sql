-- Commands to Apple devices (SPEC D4, D7, issue 25): one queue per enrolment, in the database,
-- so that every host process sharing it delivers from it. A command stays pending until the
-- device answers it (Acknowledged, Error, CommandFormatError; NotNow keeps it for later). A poll
-- claims the command it answers with (sent_at): a concurrent poll of the same device does not
-- get it too; a claim that got no answer lapses after a while and the command goes again.
CREATE TABLE apple_commands (
    id            TEXT PRIMARY KEY NOT NULL,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    enrolment_id  TEXT NOT NULL REFERENCES apple_enrolments(id) ON DELETE CASCADE,
    device_id     TEXT NOT NULL,
    request_type  TEXT NOT NULL,
    -- The command as the device gets it (an XML plist).
    command_plist TEXT NOT NULL,
    priority      INTEGER NOT NULL DEFAULT 0,
    -- pending, not_now, acknowledged, error, command_format_error, cancelled.
    status        TEXT NOT NULL,
    sent_at       INTEGER,
    sends         INTEGER NOT NULL DEFAULT 0,
    -- The device's answer (an XML plist) and, for an error, its ErrorChain (JSON).
    result_plist  TEXT,
    error_chain   TEXT,
    requested_by  TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    answered_at   INTEGER
);
CREATE INDEX apple_commands_queue ON apple_commands (tenant_id, enrolment_id, status, priority, created_at);
CREATE INDEX apple_commands_device ON apple_commands (tenant_id, device_id, created_at);
