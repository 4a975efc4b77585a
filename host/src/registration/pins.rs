//! One-time registration PINs (SPEC B4): 8 random digits, stored as argon2id hashes, valid for
//! the tenant's PIN validity, usable once, and locked after [`MAX_FAILED`] wrong tries (the
//! administrator then issues a new one, which revokes the old).

use rand::Rng;

use crate::error::Error;
use crate::passwords::{self, Hashed};
use crate::store::batch::{Placeholders, ROWS_PER_STATEMENT};
use crate::store::{new_id, now_ms, Scoped, Store};
use crate::tenants::TenantId;

pub const MAX_FAILED: i64 = 5;

/// Outcome of entering a PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinCheck {
    Accepted,
    /// Wrong PIN; `remaining` tries left before the lock.
    Wrong {
        remaining: i64,
    },
    /// Too many wrong tries: the PIN no longer works, even when right.
    Locked,
    Expired,
    /// The user has no open PIN (never issued, used, or revoked).
    NoPin,
}

/// A new PIN in clear (for the invitation e-mail only; it is never stored or logged in clear).
/// Hash it (off the write turn) and store the hash with [`store_all`].
pub fn new_pin() -> String {
    format!("{:08}", rand::thread_rng().gen_range(0..100_000_000u32))
}

/// Stores new PINs (user id and the PIN's hash), revoking each user's open ones.
pub async fn store_all(
    scoped: &mut Scoped,
    issued: &[(&str, &Hashed)],
    validity_hours: i64,
) -> Result<(), Error> {
    let now = now_ms();
    let tenant = scoped.tenant().as_str().to_string();
    for chunk in issued.chunks(ROWS_PER_STATEMENT) {
        let mut p = Placeholders::new(scoped);
        let sql = format!(
            "UPDATE registration_pins SET closed_at = {} WHERE tenant_id = {} \
             AND closed_at IS NULL AND user_id IN ({})",
            p.next(),
            p.next(),
            p.list(chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(now).bind(&tenant);
        for (user_id, _) in chunk {
            query = query.bind(user_id.to_string());
        }
        query.execute(scoped.conn()).await?;
        let sql = format!(
            "INSERT INTO registration_pins (id, tenant_id, user_id, pin_hash, expires_at, \
             failed_attempts, created_at) VALUES {}",
            Placeholders::new(scoped).rows(chunk.len(), 7)
        );
        let mut query = sqlx::query(&sql);
        for (user_id, hash) in chunk {
            query = query
                .bind(new_id())
                .bind(&tenant)
                .bind(user_id.to_string())
                .bind(hash.as_str().to_string())
                .bind(now + validity_hours * 3_600_000)
                .bind(0i64)
                .bind(now);
        }
        query.execute(scoped.conn()).await?;
    }
    Ok(())
}

/// Checks `pin` for `user_id` and, when right, uses it up.
pub async fn check(
    store: &Store,
    tenant: &TenantId,
    user_id: &str,
    pin: &str,
) -> Result<PinCheck, Error> {
    let open: Option<(String, String, i64, i64)> = {
        let mut read = store.scoped_read(tenant).await?;
        sqlx::query_as(
            "SELECT id, pin_hash, expires_at, failed_attempts FROM registration_pins \
             WHERE tenant_id = $1 AND user_id = $2 AND closed_at IS NULL \
             ORDER BY created_at DESC LIMIT 1",
        )
        .bind(tenant.as_str())
        .bind(user_id)
        .fetch_optional(read.conn())
        .await?
    };
    // Every outcome costs the same hash check, so that timing does not tell them apart.
    let now = now_ms();
    let refusal = match &open {
        None => Some(PinCheck::NoPin),
        Some((_, _, _, failed)) if *failed >= MAX_FAILED => Some(PinCheck::Locked),
        Some((_, _, expires_at, _)) if *expires_at <= now => Some(PinCheck::Expired),
        _ => None,
    };
    let (Some((id, hash, _, failed)), None) = (open, refusal) else {
        passwords::verify(pin.trim().to_string(), None).await?;
        return Ok(refusal.unwrap_or(PinCheck::NoPin));
    };
    let right = passwords::verify(pin.trim().to_string(), Some(hash)).await?;
    let mut tx = store.scoped(tenant).await?;
    let outcome = if right {
        // Conditional: a PIN used or locked meanwhile (another request) is not used again.
        let used = sqlx::query(
            "UPDATE registration_pins SET closed_at = $1, used_at = $1 \
             WHERE tenant_id = $2 AND id = $3 AND closed_at IS NULL AND failed_attempts < $4",
        )
        .bind(now)
        .bind(tenant.as_str())
        .bind(&id)
        .bind(MAX_FAILED)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if used == 1 {
            PinCheck::Accepted
        } else {
            PinCheck::NoPin
        }
    } else {
        sqlx::query(
            "UPDATE registration_pins SET failed_attempts = failed_attempts + 1 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(&id)
        .execute(tx.conn())
        .await?;
        PinCheck::Wrong {
            remaining: (MAX_FAILED - failed - 1).max(0),
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Whether the user has ever registered with a PIN (a PIN of theirs was used, not just revoked).
pub async fn ever_used(scoped: &mut Scoped, user_id: &str) -> Result<bool, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let used: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM registration_pins \
         WHERE tenant_id = $1 AND user_id = $2 AND used_at IS NOT NULL",
    )
    .bind(tenant)
    .bind(user_id)
    .fetch_one(scoped.conn())
    .await?;
    Ok(used > 0)
}
