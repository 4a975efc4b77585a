//! End users' portal sessions (SPEC I1, B4). A session is a random token in the browser's
//! cookie, stored as its SHA-256 hash, and a stage: a session waiting for the one-time PIN or for
//! a new password lives 15 minutes; a signed-in one 12 hours. Sessions belong to one tenant: a
//! token is only looked up within the tenant of the URL it is presented on.

use crate::error::Error;
use crate::expiring_tokens::{self, Kind, Value};
use crate::secrets::token_hash;
use crate::store::{now_ms, Scoped};

const PENDING_MS: i64 = 15 * 60 * 1000;
const ACTIVE_MS: i64 = 12 * 60 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    NeedsPin,
    NeedsPassword,
    Active,
}

impl Stage {
    fn code(self) -> &'static str {
        match self {
            Stage::NeedsPin => "needs_pin",
            Stage::NeedsPassword => "needs_password",
            Stage::Active => "active",
        }
    }

    fn from_code(code: &str) -> Option<Stage> {
        match code {
            "needs_pin" => Some(Stage::NeedsPin),
            "needs_password" => Some(Stage::NeedsPassword),
            "active" => Some(Stage::Active),
            _ => None,
        }
    }

    fn lifetime_ms(self) -> i64 {
        match self {
            Stage::Active => ACTIVE_MS,
            _ => PENDING_MS,
        }
    }
}

#[derive(Debug, Clone)]
pub struct PortalSession {
    pub user_id: String,
    pub stage: Stage,
}

/// Starts a session for `user_id`; returns the token for the cookie. Also forgets the tenant's
/// expired sessions.
pub async fn start(scoped: &mut Scoped, user_id: &str, stage: Stage) -> Result<String, Error> {
    let columns = vec![
        ("user_id", Value::Text(user_id.to_string())),
        ("stage", Value::Text(stage.code().to_string())),
    ];
    expiring_tokens::issue(scoped, SESSIONS, stage.lifetime_ms(), columns).await
}

const SESSIONS: Kind = Kind {
    table: "portal_sessions",
    hash_column: "token_hash",
    expires_column: "expires_at",
    purge_expired: true,
};

/// The live session behind `token` in this tenant.
pub async fn find(scoped: &mut Scoped, token: &str) -> Result<Option<PortalSession>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT user_id, stage FROM portal_sessions \
         WHERE tenant_id = $1 AND token_hash = $2 AND expires_at > $3",
    )
    .bind(tenant)
    .bind(token_hash(token))
    .bind(now_ms())
    .fetch_optional(scoped.conn())
    .await?;
    Ok(row.and_then(|(user_id, stage)| {
        Stage::from_code(&stage).map(|stage| PortalSession { user_id, stage })
    }))
}

/// The live session behind `token` if it is at `stage`.
pub async fn find_at(
    scoped: &mut Scoped,
    token: &str,
    stage: Stage,
) -> Result<Option<PortalSession>, Error> {
    Ok(find(scoped, token).await?.filter(|s| s.stage == stage))
}

/// Moves a live session from `from` to `to` (and renews its lifetime for the new stage).
/// Returns false when the session was not at `from` any more (or is gone).
pub async fn advance(
    scoped: &mut Scoped,
    token: &str,
    from: Stage,
    to: Stage,
) -> Result<bool, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let now = now_ms();
    let moved = sqlx::query(
        "UPDATE portal_sessions SET stage = $1, expires_at = $2 \
         WHERE tenant_id = $3 AND token_hash = $4 AND stage = $5 AND expires_at > $6",
    )
    .bind(to.code())
    .bind(now + to.lifetime_ms())
    .bind(tenant)
    .bind(token_hash(token))
    .bind(from.code())
    .bind(now)
    .execute(scoped.conn())
    .await?
    .rows_affected();
    Ok(moved == 1)
}

pub async fn end(scoped: &mut Scoped, token: &str) -> Result<(), Error> {
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query("DELETE FROM portal_sessions WHERE tenant_id = $1 AND token_hash = $2")
        .bind(tenant)
        .bind(token_hash(token))
        .execute(scoped.conn())
        .await?;
    Ok(())
}
