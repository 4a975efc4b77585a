-- First sign-in of an administrator (SPEC A3): the authenticator app is set up from a QR code
-- and confirmed by a first code before the account is usable. Administrators who already
-- signed in with a code have confirmed it.
ALTER TABLE admins ADD COLUMN totp_confirmed_at INTEGER;
UPDATE admins SET totp_confirmed_at = updated_at WHERE totp_last_step > 0;

-- A password-checked administrator setting up their app: the page's ticket, as its hash.
CREATE TABLE admin_totp_enrolments (
    token_hash TEXT PRIMARY KEY NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    admin_id   TEXT NOT NULL REFERENCES admins(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
