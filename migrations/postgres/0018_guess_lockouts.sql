-- Failed attempts in a row against one account (administrator sign-in, portal password, portal
-- PIN), counted whether or not the account exists (module `guesses`). `account` is a SHA-256 of
-- the kind of secret, the tenant and the e-mail address. Replaces admins.failed_sign_ins and
-- admins.locked_until, which only existing administrators had (and so told who exists).
CREATE TABLE guess_lockouts (
    account      TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    locked_until BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX guess_lockouts_updated ON guess_lockouts (updated_at);
