//! Limits on guessing secrets (SPEC A3, B3, B4): administrator passwords and TOTP codes, portal
//! passwords, one-time PINs and registration tokens. Two limits, both answered with 429 and a
//! `Retry-After`:
//!
//! - **Per account.** Failed attempts in a row against one account (an administrator's sign-in,
//!   a portal user's password, a portal user's PIN) lock it for the policy's lockout once they
//!   reach its maximum. They are counted in the database, so every process of a deployment sees
//!   the same count, and they are counted for an e-mail address that matches no account exactly
//!   as for one that does: the answer (status, text, and the work done before it) never tells
//!   whether the account exists. Rows are keyed by a SHA-256 of what names the account, so an
//!   attacker's made-up addresses are not stored as such.
//! - **Per client address.** Every attempt from one IP address, in this process, through
//!   `governor`'s keyed GCRA limiter: a burst of `per_minute` attempts, refilled at that rate.
//!   It slows down spraying guesses across many accounts, which the per-account lock cannot see.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::store::batch::{Placeholders, ROWS_PER_STATEMENT};
use crate::store::{now_ms, Scoped, Store};

/// What a secret protects: each kind of account is counted apart.
#[derive(Debug, Clone, Copy)]
pub enum Secret {
    /// An administrator's password and TOTP code (tenant slug, e-mail).
    AdminSignIn,
    /// A portal user's password (tenant id, e-mail).
    PortalPassword,
    /// A portal user's one-time PIN, entered with the e-mail address (tenant id, e-mail).
    PortalPin,
}

impl Secret {
    fn code(self) -> &'static str {
        match self {
            Secret::AdminSignIn => "admin",
            Secret::PortalPassword => "portal-password",
            Secret::PortalPin => "portal-pin",
        }
    }
}

/// The account a guess is aimed at, whether or not it exists.
pub struct Account {
    key: String,
}

impl Account {
    /// `tenant` as the caller named it, `email` as typed (trimmed and lower-cased here, as
    /// accounts are matched).
    pub fn new(secret: Secret, tenant: &str, email: &str) -> Account {
        let mut digest = Sha256::new();
        for part in [secret.code(), tenant.trim(), &email.trim().to_lowercase()] {
            digest.update(part.as_bytes());
            digest.update([0]);
        }
        Account {
            key: hex::encode(digest.finalize()),
        }
    }
}

/// Both limits, shared by every request of this process. Cheap to clone.
#[derive(Clone)]
pub struct Guesses {
    per_address: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    max_failures: i64,
    lockout: Duration,
}

impl std::fmt::Debug for Guesses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guesses")
            .field("max_failures", &self.max_failures)
            .field("lockout", &self.lockout)
            .finish()
    }
}

/// Rows of accounts neither locked nor failed for this long are removed.
const FORGET_AFTER_MS: i64 = 24 * 3_600_000;

impl Guesses {
    pub fn new(max_failures: i64, lockout: Duration, per_minute_per_address: u32) -> Guesses {
        let per_minute = NonZeroU32::new(per_minute_per_address.max(1)).expect("at least one");
        Guesses {
            per_address: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            max_failures: max_failures.max(1),
            lockout,
        }
    }

    /// One more attempt from `address` (`None`: the address is unknown, as in a test that
    /// calls the router directly; those share one budget).
    pub fn admit(&self, address: Option<IpAddr>) -> Result<(), Error> {
        let address = address.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        self.per_address.check_key(&address).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            Error::TooManyAttempts {
                retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as i64,
            }
        })?;
        // The keyed store grows with every address seen: forget the full ones now and then.
        if self.per_address.len() > 10_000 {
            self.per_address.retain_recent();
        }
        Ok(())
    }

    /// Refuses an attempt on a locked account (before any secret is checked).
    pub async fn check(&self, store: &Store, account: &Account) -> Result<(), Error> {
        let locked_until: Option<i64> =
            sqlx::query_scalar("SELECT locked_until FROM guess_lockouts WHERE account = $1")
                .bind(&account.key)
                .fetch_optional(store.pool())
                .await?;
        let now = now_ms();
        match locked_until {
            Some(until) if until > now => Err(Error::Locked {
                retry_after_secs: (until - now + 999) / 1000,
            }),
            _ => Ok(()),
        }
    }

    /// Counts a failed attempt; the one that reaches the maximum locks the account.
    pub async fn failed(&self, store: &Store, account: &Account) -> Result<(), Error> {
        let now = now_ms();
        let locked_until = now + self.lockout.as_millis() as i64;
        sqlx::query(
            "INSERT INTO guess_lockouts (account, failures, locked_until, updated_at) \
             VALUES ($1, 1, CASE WHEN 1 >= $2 THEN $3 ELSE 0 END, $4) \
             ON CONFLICT (account) DO UPDATE SET failures = guess_lockouts.failures + 1, \
             locked_until = CASE WHEN guess_lockouts.failures + 1 >= $2 THEN $3 \
             ELSE guess_lockouts.locked_until END, updated_at = $4",
        )
        .bind(&account.key)
        .bind(self.max_failures)
        .bind(locked_until)
        .bind(now)
        .execute(store.pool())
        .await?;
        sqlx::query("DELETE FROM guess_lockouts WHERE updated_at < $1 AND locked_until < $2")
            .bind(now - FORGET_AFTER_MS)
            .bind(now)
            .execute(store.pool())
            .await?;
        Ok(())
    }

    /// Forgets an account's failures inside the caller's transaction: an administrator's new
    /// invitation gives its user a fresh PIN and fresh tries.
    pub async fn forget(scoped: &mut Scoped, account: &Account) -> Result<(), Error> {
        Self::forget_all(scoped, std::slice::from_ref(account)).await
    }

    /// [`Guesses::forget`] for many accounts (bulk invitations).
    pub async fn forget_all(scoped: &mut Scoped, accounts: &[Account]) -> Result<(), Error> {
        for chunk in accounts.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "DELETE FROM guess_lockouts WHERE account IN ({})",
                Placeholders::new(scoped).list(chunk.len())
            );
            let mut query = sqlx::query(&sql);
            for account in chunk {
                query = query.bind(account.key.clone());
            }
            query.execute(scoped.conn()).await?;
        }
        Ok(())
    }

    /// A successful attempt: the account's failures are forgotten.
    pub async fn succeeded(&self, store: &Store, account: &Account) -> Result<(), Error> {
        sqlx::query("DELETE FROM guess_lockouts WHERE account = $1")
            .bind(&account.key)
            .execute(store.pool())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_burst_then_waits() {
        let guesses = Guesses::new(5, Duration::from_secs(60), 3);
        let a = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
        let b = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)));
        for _ in 0..3 {
            guesses.admit(a).unwrap();
        }
        match guesses.admit(a) {
            Err(Error::TooManyAttempts { retry_after_secs }) => {
                assert!((1..=20).contains(&retry_after_secs), "{retry_after_secs}")
            }
            other => panic!("{other:?}"),
        }
        guesses.admit(b).unwrap();
    }

    #[test]
    fn accounts_are_named_as_they_are_matched() {
        let key = |t: &str, e: &str| Account::new(Secret::PortalPin, t, e).key;
        assert_eq!(
            key("t1", " Ann@Acme.example "),
            key("t1", "ann@acme.example")
        );
        assert_ne!(key("t1", "ann@acme.example"), key("t2", "ann@acme.example"));
        assert_ne!(
            Account::new(Secret::PortalPassword, "t1", "a@b.c").key,
            Account::new(Secret::PortalPin, "t1", "a@b.c").key
        );
    }
}
