//! Passwords of administrators and users: strength rules and hashing with argon2id (default parameters of the `argon2` crate: 19 MiB, 2 passes).
//! Hashing runs on the blocking pool so that it never stalls a tokio worker, and never inside a
//! write transaction: a hash is a [`Hashed`], made only here, which the repository functions
//! take ready-made, so the slow part is done before the write turn is taken. Many hashes for one
//! request (a bulk invitation) go through [`hash_all`], which keeps them to a bounded lane of
//! threads shared fairly by every request that needs one.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use futures::{StreamExt, TryStreamExt};
use tokio::sync::Semaphore;

use crate::error::Error;

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 1024;

/// Why a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    TooShort,
    TooLong,
    /// A single character repeated, or nearly so.
    TooSimple,
}

/// The first rule `password` breaks, if any.
pub fn weakness(password: &str) -> Option<Weakness> {
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        return Some(Weakness::TooShort);
    }
    if chars > MAX_LENGTH {
        return Some(Weakness::TooLong);
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    (distinct.len() < 4).then_some(Weakness::TooSimple)
}

/// Refuses passwords that are too short, too long or a single repeated character.
pub fn check_strength(password: &str, field: &str) -> Result<(), Error> {
    let message = match weakness(password) {
        None => return Ok(()),
        Some(Weakness::TooShort) => format!("too short: use at least {MIN_LENGTH} characters"),
        Some(Weakness::TooLong) => format!("too long: at most {MAX_LENGTH} characters"),
        Some(Weakness::TooSimple) => "too weak: use more different characters".to_string(),
    };
    Err(Error::invalid(field, message))
}

/// An argon2id hash (PHC string) of a password or PIN, ready to be stored.
#[derive(Debug, Clone)]
pub struct Hashed(String);

impl Hashed {
    /// The PHC string, for the database.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

pub async fn hash(password: String) -> Result<Hashed, Error> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| Hashed(h.to_string()))
            .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(format!("password hashing task failed: {e}")))?
}

/// Threads that bulk hashing may keep busy at once, all requests together: one core is always
/// left to everything else (sign-ins, pages, check-ins), however many bulk requests run.
fn bulk_lane() -> &'static (Semaphore, usize) {
    static LANE: OnceLock<(Semaphore, usize)> = OnceLock::new();
    LANE.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let width = cores.saturating_sub(1).max(1);
        (Semaphore::new(width), width)
    })
}

/// Hashes every secret of one request, in order, through the bulk lane. Each hash waits for
/// its own turn in the lane (first come, first served), so two bulk requests, of one tenant or
/// of two, take turns hash by hash instead of one waiting for the other's thousands.
pub async fn hash_all(secrets: Vec<String>) -> Result<Vec<Hashed>, Error> {
    let (lane, width) = bulk_lane();
    futures::stream::iter(secrets)
        .map(|secret| async move {
            let _turn = lane
                .acquire()
                .await
                .map_err(|e| Error::Internal(format!("bulk hashing lane closed: {e}")))?;
            hash(secret).await
        })
        .buffered(*width)
        .try_collect()
        .await
}

/// Checks `password` against a stored hash; `None` checks against a dummy hash so that an
/// unknown account costs the same time as a known one.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, Error> {
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| dummy_hash().to_string());
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| Error::Internal(format!("stored password hash unreadable: {e}")))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| Error::Internal(format!("password check task failed: {e}")))?
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"corral dummy password", &salt)
            .expect("hashing a constant cannot fail")
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash("correct horse battery".into())
            .await
            .unwrap()
            .into_string();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), Some(h.clone()))
            .await
            .unwrap());
        assert!(!verify("wrong horse battery".into(), Some(h)).await.unwrap());
        assert!(!verify("anything".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn hash_all_keeps_the_order() {
        let secrets: Vec<String> = (0..4).map(|i| format!("secret number {i}")).collect();
        let hashed = hash_all(secrets.clone()).await.unwrap();
        for (secret, hashed) in secrets.into_iter().zip(hashed) {
            assert!(verify(secret, Some(hashed.into_string())).await.unwrap());
        }
    }

    #[test]
    fn weak_passwords_are_refused_with_the_field_named() {
        for weak in ["short", "aaaaaaaaaaaaaaaa", "abababababababab"] {
            match check_strength(weak, "password") {
                Err(Error::Invalid { field, .. }) => assert_eq!(field, "password"),
                other => panic!("{weak:?}: {other:?}"),
            }
        }
        check_strength("a decent passphrase", "password").unwrap();
    }
}
