//! One-time device registration tokens (SPEC D5). The portal's QR code carries the tenant's
//! registration URL with one of these: the device app redeems it once, within
//! [`VALID_MINUTES`], to register the device for the signed-in user without typing a password.
//! Stored as SHA-256 hashes; a new one is made each time the home page is shown.

use serde::Serialize;
use utoipa::ToSchema;

use super::keys;
use crate::error::Error;
use crate::expiring_tokens::{self, Kind, Value};
use crate::secrets::token_hash;
use crate::services::Services;
use crate::store::{now_ms, Scoped};
use crate::users;

pub const VALID_MINUTES: i64 = 10;

const TOKENS: Kind = Kind {
    table: "device_registration_tokens",
    hash_column: "token_hash",
    expires_column: "expires_at",
    purge_expired: true,
};

/// Issues a token for `user_id`; also forgets the tenant's expired tokens.
pub async fn issue(scoped: &mut Scoped, user_id: &str) -> Result<String, Error> {
    let columns = vec![("user_id", Value::Text(user_id.to_string()))];
    expiring_tokens::issue(scoped, TOKENS, VALID_MINUTES * 60_000, columns).await
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

/// Who a device registers for, once its tokens are redeemed.
#[derive(Serialize, ToSchema)]
pub struct RegistrationGrant {
    /// Slug of the tenant the device registers with.
    pub tenant: String,
    pub user_id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

fn refused() -> Error {
    Error::Gone {
        code: "device_token_refused",
        message: "this registration code is unknown, expired or already used: show a new QR \
                  code in the portal"
            .into(),
    }
}

/// Redeems a QR code's one-time device token, presented with the registration URL's token
/// (which must be current and of the same tenant).
pub async fn redeem_with_url(
    services: &Services,
    registration_token: &str,
    device_token: &str,
) -> Result<RegistrationGrant, Error> {
    let verified = keys::verify(services.store(), services.secrets(), registration_token).await?;
    let tenant = match verified {
        Ok(tenant) => tenant,
        Err(keys::Refusal::Rotated) => {
            return Err(Error::Gone {
                code: "registration_url_rotated",
                message: "this registration URL is no longer valid: ask your administrator for \
                          a new invitation"
                    .into(),
            })
        }
        Err(keys::Refusal::Invalid) => return Err(refused()),
    };
    let mut tx = services.store().scoped(&tenant.id).await?;
    let Some(user_id) = redeem(&mut tx, device_token).await? else {
        return Err(refused());
    };
    let user = users::get(&mut tx, &user_id).await?;
    tx.commit().await?;
    Ok(RegistrationGrant {
        tenant: tenant.slug,
        user_id: user.id,
        email: user.email,
        first_name: user.first_name,
        last_name: user.last_name,
    })
}
