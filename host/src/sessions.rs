//! Administrator sign-in and sessions (SPEC A3).
//!
//! Sign-in is tenant slug + e-mail + password + TOTP code, checked in that order of cost: a
//! locked account is refused before any hashing; unknown tenants and e-mails cost the same
//! argon2 time as real ones and get the same answer. Failures are counted per account by
//! [`Guesses`] (in the database, so every host process sees them, and for unknown accounts as
//! for real ones): after `max_failures` in a row the account is locked for `lockout`. A successful sign-in always creates a new session token (and ends the one the
//! browser presented), so a token planted before sign-in is useless afterwards. Sessions live in
//! the database, keyed by the SHA-256 of the cookie value: any process can check them.

use std::time::Duration;

use crate::admins::{self, totp::Seed, Admin};
use crate::error::Error;
use crate::expiring_tokens::{self, Kind, Value};
use crate::guesses::{Account, Guesses, Secret};
use crate::passwords;
use crate::secrets::{token_hash, SecretBox};
use crate::store::{now_ms, Store};
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
pub async fn sign_in(
    store: &Store,
    secrets: &SecretBox,
    policy: &Policy,
    guesses: &Guesses,
    credentials: Credentials,
    previous_token: Option<&str>,
) -> Result<(Authenticated, String), Error> {
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
    let step = if password_ok {
        let seed = Seed::open(secrets, &row.id, &row.totp_secret)?;
        seed.accepted_step(&credentials.totp, (now / 1000) as u64, row.totp_last_step)
    } else {
        None
    };

    let tenant_id = tenant.id.as_str().to_string();
    // The step is claimed with a conditional update, so two processes given the same code
    // cannot both accept it. A refused password opens no write transaction: it costs what an
    // unknown address costs.
    let claimed = match step {
        Some(step) => {
            let mut tx = store.scoped(&tenant.id).await?;
            let updated = sqlx::query(
                "UPDATE admins SET totp_last_step = $1 \
                 WHERE tenant_id = $2 AND id = $3 AND totp_last_step < $1",
            )
            .bind(step)
            .bind(&tenant_id)
            .bind(&row.id)
            .execute(tx.conn())
            .await?
            .rows_affected();
            (updated == 1).then_some(tx)
        }
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

    if let Some(previous) = previous_token {
        sqlx::query("DELETE FROM admin_sessions WHERE token_hash = $1")
            .bind(token_hash(previous))
            .execute(tx.conn())
            .await?;
    }
    let lifetime = policy.session_ttl.as_millis() as i64;
    let columns = vec![("admin_id", Value::Text(row.id.clone()))];
    let token = expiring_tokens::issue(&mut tx, SESSIONS, lifetime, columns).await?;
    let admin = admins::get(&mut tx, &row.id).await?;
    tx.commit().await?;
    guesses.succeeded(store, &account).await?;
    tracing::info!(tenant = %tenant.slug, admin = %admin.id, "signed in");
    Ok((
        Authenticated {
            tenant: tenant.id,
            tenant_slug: tenant.slug,
            admin,
        },
        token,
    ))
}

/// The administrator behind a session token, if the session is live.
pub async fn authenticate(store: &Store, token: &str) -> Result<Authenticated, Error> {
    let found: Option<(String, String, String)> = sqlx::query_as(
        "SELECT s.tenant_id, t.slug, s.admin_id FROM admin_sessions s \
         JOIN tenants t ON t.id = s.tenant_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash(token))
    .bind(now_ms())
    .fetch_optional(store.pool())
    .await?;
    let (tenant, tenant_slug, admin_id) = found.ok_or(Error::Unauthenticated("sign in first"))?;
    let tenant = TenantId::from_db(tenant);
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
