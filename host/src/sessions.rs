//! Administrator sign-in and sessions (SPEC A3).
//!
//! Sign-in is tenant slug + e-mail + password + TOTP code, checked in that order of cost: a
//! locked account is refused before any hashing; unknown tenants and e-mails cost the same
//! argon2 time as real ones and get the same answer. Failures are counted per account by
//! [`Guesses`] (in the database, so every host process sees them, and for unknown accounts as
//! for real ones): after `max_failures` in a row the account is locked for `lockout`. A successful sign-in always creates a new session token (and ends the one the
//! browser presented), so a token planted before sign-in is useless afterwards. Sessions live in
//! the database, keyed by the SHA-256 of the cookie value: any process can check them.
//!
//! An administrator's authenticator app is confirmed by its first accepted code. Until then,
//! the console may offer the set-up ([`sign_in_or_set_up`]): after the right password and no
//! code, a ticket of ten minutes opens a page with the secret's QR code, and the first code
//! ([`confirm_authenticator`]) confirms the app and signs in. Once confirmed, the secret is
//! never shown again.

use std::time::Duration;

use crate::admins::{self, totp::Seed, Admin, AdminRow};
use crate::error::Error;
use crate::expiring_tokens::{self, Kind, Value};
use crate::guesses::{Account, Guesses, Secret};
use crate::passwords;
use crate::secrets::{token_hash, SecretBox};
use crate::store::{now_ms, Scoped, Store};
use crate::tenants::{self, TenantId};

/// Sign-in policy; see `Config` for the defaults and environment variables.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Failed attempts in a row that lock an account (administrators and portal users).
    pub max_failures: i64,
    pub lockout: Duration,
    pub session_ttl: Duration,
    /// Attempts at a secret one client address may make per minute (and at once).
    pub attempts_per_minute: u32,
}

pub struct Credentials {
    pub tenant: String,
    pub email: String,
    pub password: String,
    pub totp: String,
}

/// A signed-in administrator, as every authenticated request sees it.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub tenant: TenantId,
    pub tenant_slug: String,
    pub admin: Admin,
}

const SESSIONS: Kind = Kind {
    table: "admin_sessions",
    hash_column: "token_hash",
    expires_column: "expires_at",
    purge_expired: true,
};

const REFUSED: Error = Error::Unauthenticated("e-mail, password or code not accepted");

/// Checks credentials and opens a session. Returns the session and its token (for the cookie).
/// An administrator who has not set up their authenticator app yet signs in here with the
/// first code of the app they enrolled from the URI given at their creation.
pub async fn sign_in(
    store: &Store,
    secrets: &SecretBox,
    policy: &Policy,
    guesses: &Guesses,
    credentials: Credentials,
    previous_token: Option<&str>,
) -> Result<(Authenticated, String), Error> {
    let how = checked_sign_in(
        store,
        secrets,
        policy,
        guesses,
        credentials,
        previous_token,
        false,
    );
    match how.await? {
        SignedIn::Session(authenticated, token) => Ok((authenticated, token)),
        SignedIn::SetUpAuthenticator { .. } => Err(REFUSED),
    }
}

/// What a sign-in with the authenticator set-up offered answers.
pub enum SignedIn {
    /// Signed in: the administrator and the session token (for the cookie).
    Session(Authenticated, String),
    /// The password was right, no code was given, and this administrator has never confirmed
    /// an authenticator app: the ticket of the set-up page ([`authenticator_setup`]), valid
    /// for [`SETUP_TTL_MS`]. No session yet.
    SetUpAuthenticator { ticket: String },
}

/// How long an authenticator set-up page works.
pub const SETUP_TTL_MS: i64 = 10 * 60 * 1000;

const SETUPS: Kind = Kind {
    table: "admin_totp_enrolments",
    hash_column: "token_hash",
    expires_column: "expires_at",
    purge_expired: true,
};

/// Sign-in as the console does it (SPEC A3): like [`sign_in`], except that an administrator
/// whose authenticator app was never confirmed, giving the right password and no code, is sent
/// to set the app up ([`SignedIn::SetUpAuthenticator`]) instead of being refused.
pub async fn sign_in_or_set_up(
    store: &Store,
    secrets: &SecretBox,
    policy: &Policy,
    guesses: &Guesses,
    credentials: Credentials,
    previous_token: Option<&str>,
) -> Result<SignedIn, Error> {
    checked_sign_in(
        store,
        secrets,
        policy,
        guesses,
        credentials,
        previous_token,
        true,
    )
    .await
}

async fn checked_sign_in(
    store: &Store,
    secrets: &SecretBox,
    policy: &Policy,
    guesses: &Guesses,
    credentials: Credentials,
    previous_token: Option<&str>,
    offer_set_up: bool,
) -> Result<SignedIn, Error> {
    // The account is counted (and may be locked) whether or not it exists.
    let account = Account::new(Secret::AdminSignIn, &credentials.tenant, &credentials.email);
    guesses.check(store, &account).await?;
    let refused = || async {
        match guesses.failed(store, &account).await {
            Ok(()) => REFUSED,
            Err(e) => e,
        }
    };
    let Ok(email) = admins::normalize_email(&credentials.email) else {
        passwords::verify(credentials.password, None).await?;
        return Err(refused().await);
    };
    let Some(tenant) = tenants::find_by_slug(store, credentials.tenant.trim()).await? else {
        passwords::verify(credentials.password, None).await?;
        return Err(refused().await);
    };
    let row = {
        let mut read = store.scoped_read(&tenant.id).await?;
        admins::find_row(&mut read, "email", &email).await?
    };
    let Some(row) = row else {
        passwords::verify(credentials.password, None).await?;
        return Err(refused().await);
    };
    let now = now_ms();
    let password_ok =
        passwords::verify(credentials.password, Some(row.password_hash.clone())).await?;
    if password_ok
        && offer_set_up
        && row.totp_confirmed_at.is_none()
        && credentials.totp.trim().is_empty()
    {
        let mut tx = store.scoped(&tenant.id).await?;
        let columns = vec![("admin_id", Value::Text(row.id.clone()))];
        let ticket = expiring_tokens::issue(&mut tx, SETUPS, SETUP_TTL_MS, columns).await?;
        tx.commit().await?;
        tracing::info!(tenant = %tenant.slug, admin = %row.id, "authenticator set-up started");
        return Ok(SignedIn::SetUpAuthenticator { ticket });
    }
    let step = if password_ok {
        let seed = Seed::open(secrets, &row.id, &row.totp_secret)?;
        seed.accepted_step(&credentials.totp, (now / 1000) as u64, row.totp_last_step)
    } else {
        None
    };
    let claimed = match step {
        Some(step) => claim_step(store, &tenant.id, &row.id, step).await?,
        None => None,
    };
    let Some(mut tx) = claimed else {
        tracing::info!(
            tenant = %tenant.slug,
            admin = %row.id,
            reason = if !password_ok { "password" } else if step.is_none() { "totp" } else { "totp replayed" },
            "sign-in refused"
        );
        return Err(refused().await);
    };
    let (authenticated, token) =
        open_session(&mut tx, policy, &tenant.slug, &row.id, previous_token).await?;
    tx.commit().await?;
    guesses.succeeded(store, &account).await?;
    tracing::info!(tenant = %tenant.slug, admin = %row.id, "signed in");
    Ok(SignedIn::Session(authenticated, token))
}

/// Claims a TOTP step for an administrator, confirming their app if this is its first code.
/// The step is claimed with a conditional update, so two processes given the same code cannot
/// both accept it. Answers the transaction holding the claim, or `None` when the step was
/// already used.
async fn claim_step(
    store: &Store,
    tenant: &TenantId,
    admin_id: &str,
    step: i64,
) -> Result<Option<Scoped>, Error> {
    let mut tx = store.scoped(tenant).await?;
    let updated = sqlx::query(
        "UPDATE admins SET totp_last_step = $1, \
         totp_confirmed_at = COALESCE(totp_confirmed_at, $2) \
         WHERE tenant_id = $3 AND id = $4 AND totp_last_step < $1",
    )
    .bind(step)
    .bind(now_ms())
    .bind(tenant.as_str())
    .bind(admin_id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok((updated == 1).then_some(tx))
}

/// Opens a session in `tx` (ending the one the browser presented, if any).
async fn open_session(
    tx: &mut Scoped,
    policy: &Policy,
    tenant_slug: &str,
    admin_id: &str,
    previous_token: Option<&str>,
) -> Result<(Authenticated, String), Error> {
    if let Some(previous) = previous_token {
        sqlx::query("DELETE FROM admin_sessions WHERE token_hash = $1")
            .bind(token_hash(previous))
            .execute(tx.conn())
            .await?;
    }
    let lifetime = policy.session_ttl.as_millis() as i64;
    let columns = vec![("admin_id", Value::Text(admin_id.to_string()))];
    let token = expiring_tokens::issue(tx, SESSIONS, lifetime, columns).await?;
    let admin = admins::get(tx, admin_id).await?;
    Ok((
        Authenticated {
            tenant: tx.tenant().clone(),
            tenant_slug: tenant_slug.to_string(),
            admin,
        },
        token,
    ))
}

/// What the authenticator set-up page shows: the account and its secret, as an `otpauth://`
/// URI (the QR code) and as base32 text (typed by hand).
pub struct AuthenticatorSetup {
    pub tenant_slug: String,
    pub email: String,
    pub uri: String,
    pub secret_base32: String,
}

const SETUP_GONE: Error = Error::Unauthenticated("this set-up page has expired; sign in again");

/// The administrator and unconfirmed secret behind a set-up ticket.
async fn setup_row(store: &Store, ticket: &str) -> Result<(TenantId, String, AdminRow), Error> {
    let (tenant, slug, admin_id) = holder(store, SETUPS, ticket).await?.ok_or(SETUP_GONE)?;
    let mut read = store.reader(&tenant).await?;
    let row = admins::find_row(&mut read, "id", &admin_id)
        .await?
        .filter(|row| row.totp_confirmed_at.is_none())
        .ok_or(SETUP_GONE)?;
    Ok((tenant, slug, row))
}

/// What the set-up page behind `ticket` shows; refused once the ticket expired or the app was
/// confirmed.
pub async fn authenticator_setup(
    store: &Store,
    secrets: &SecretBox,
    ticket: &str,
) -> Result<AuthenticatorSetup, Error> {
    let (_, slug, row) = setup_row(store, ticket).await?;
    let seed = Seed::open(secrets, &row.id, &row.totp_secret)?;
    Ok(AuthenticatorSetup {
        uri: seed.uri(&slug, &row.email)?,
        secret_base32: seed.base32(),
        tenant_slug: slug,
        email: row.email,
    })
}

/// Confirms the authenticator app with its first code and signs in. A wrong code counts as a
/// failed sign-in of the account (and locks it like one); a replayed step is refused.
pub async fn confirm_authenticator(
    store: &Store,
    secrets: &SecretBox,
    policy: &Policy,
    guesses: &Guesses,
    ticket: &str,
    code: &str,
    previous_token: Option<&str>,
) -> Result<(Authenticated, String), Error> {
    let (tenant, slug, row) = setup_row(store, ticket).await?;
    let account = Account::new(Secret::AdminSignIn, &slug, &row.email);
    guesses.check(store, &account).await?;
    let seed = Seed::open(secrets, &row.id, &row.totp_secret)?;
    let step = seed.accepted_step(code, (now_ms() / 1000) as u64, row.totp_last_step);
    let claimed = match step {
        Some(step) => claim_step(store, &tenant, &row.id, step).await?,
        None => None,
    };
    let Some(mut tx) = claimed else {
        tracing::info!(tenant = %slug, admin = %row.id, "authenticator set-up: code refused");
        guesses.failed(store, &account).await?;
        return Err(Error::invalid("code", "this code is not the one expected"));
    };
    sqlx::query("DELETE FROM admin_totp_enrolments WHERE tenant_id = $1 AND admin_id = $2")
        .bind(tenant.as_str())
        .bind(&row.id)
        .execute(tx.conn())
        .await?;
    let (authenticated, token) =
        open_session(&mut tx, policy, &slug, &row.id, previous_token).await?;
    tx.commit().await?;
    guesses.succeeded(store, &account).await?;
    tracing::info!(tenant = %slug, admin = %row.id, "authenticator confirmed; signed in");
    Ok((authenticated, token))
}

/// The tenant, its slug and the administrator holding a live token of `kind` (a session or a
/// set-up ticket).
async fn holder(
    store: &Store,
    kind: Kind,
    token: &str,
) -> Result<Option<(TenantId, String, String)>, Error> {
    let found: Option<(String, String, String)> = sqlx::query_as(&format!(
        "SELECT k.tenant_id, t.slug, k.admin_id FROM {} k JOIN tenants t ON t.id = k.tenant_id \
         WHERE k.{} = $1 AND k.{} > $2",
        kind.table, kind.hash_column, kind.expires_column
    ))
    .bind(token_hash(token))
    .bind(now_ms())
    .fetch_optional(store.pool())
    .await?;
    Ok(found.map(|(tenant, slug, admin)| (TenantId::from_db(tenant), slug, admin)))
}

/// The administrator behind a session token, if the session is live.
pub async fn authenticate(store: &Store, token: &str) -> Result<Authenticated, Error> {
    let (tenant, tenant_slug, admin_id) = holder(store, SESSIONS, token)
        .await?
        .ok_or(Error::Unauthenticated("sign in first"))?;
    // Every API request and console page comes here: one read, outside any transaction
    // (a transaction added a BEGIN and a ROLLBACK to each, 429 answers included).
    let mut read = store.reader(&tenant).await?;
    let admin = admins::get(&mut read, &admin_id)
        .await
        .map_err(|_| Error::Unauthenticated("sign in first"))?;
    Ok(Authenticated {
        tenant,
        tenant_slug,
        admin,
    })
}

pub async fn sign_out(store: &Store, token: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM admin_sessions WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(store.pool())
        .await?;
    Ok(())
}
