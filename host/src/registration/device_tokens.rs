//! One-time device registration tokens (SPEC D5). The portal's QR code carries the tenant's
//! registration URL with one of these: the device app redeems it once, within
//! [`VALID_MINUTES`], to register the device for the signed-in user without typing a password.
//! Stored as SHA-256 hashes; a new one is made each time the home page is shown.

use crate::error::Error;
use crate::secrets::{random_token, token_hash};
use crate::store::{now_ms, Scoped};

pub const VALID_MINUTES: i64 = 10;

/// Issues a token for `user_id`; also forgets the tenant's expired tokens.
pub async fn issue(scoped: &mut Scoped, user_id: &str) -> Result<String, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let now = now_ms();
    sqlx::query("DELETE FROM device_registration_tokens WHERE tenant_id = $1 AND expires_at <= $2")
        .bind(&tenant)
        .bind(now)
        .execute(scoped.conn())
        .await?;
    let token = random_token();
    sqlx::query(
        "INSERT INTO device_registration_tokens (token_hash, tenant_id, user_id, expires_at, \
         created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash(&token))
    .bind(&tenant)
    .bind(user_id)
    .bind(now + VALID_MINUTES * 60_000)
    .bind(now)
    .execute(scoped.conn())
    .await?;
    Ok(token)
}

/// Uses up a token; returns its user, or `None` when it is unknown, used or expired.
pub async fn redeem(scoped: &mut Scoped, token: &str) -> Result<Option<String>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let now = now_ms();
    let hash = token_hash(token);
    let used = sqlx::query(
        "UPDATE device_registration_tokens SET used_at = $1 \
         WHERE tenant_id = $2 AND token_hash = $3 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(&tenant)
    .bind(&hash)
    .execute(scoped.conn())
    .await?
    .rows_affected();
    if used != 1 {
        return Ok(None);
    }
    Ok(sqlx::query_scalar(
        "SELECT user_id FROM device_registration_tokens WHERE tenant_id = $1 AND token_hash = $2",
    )
    .bind(&tenant)
    .bind(&hash)
    .fetch_optional(scoped.conn())
    .await?)
}
