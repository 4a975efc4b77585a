//! Expiring bearer tokens stored as their SHA-256 hash: administrator and portal sessions, QR
//! device-registration tokens, Apple enrolment links. Each is a random 256-bit token handed to
//! its holder once and kept only as a hash with an expiry, in a table of its own. Issuing one
//! is the same everywhere (forget the tenant's expired rows, make the token, insert its hash
//! with the row's own columns), so it is written once, here; each table is described by a
//! [`Kind`].
//!
//! One-time PINs are not among them: a person types them, so they are short and hashed with
//! argon2id (`registration::pins`).

use crate::error::Error;
use crate::secrets::{random_token, token_hash};
use crate::store::{now_ms, Scoped};

/// A table of expiring tokens. Every such table has `tenant_id` and `created_at` columns.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub table: &'static str,
    /// The column holding the token's SHA-256 (hex).
    pub hash_column: &'static str,
    /// The column holding the expiry (unix milliseconds).
    pub expires_column: &'static str,
    /// Whether rows past their expiry are deleted when a token is issued: yes for rows that
    /// are only a token (sessions, one-time tokens), no for rows that are records beyond their
    /// token (an Apple enrolment outlives its download link).
    pub purge_expired: bool,
}

/// A value of one of the row's own columns.
pub enum Value {
    Text(String),
    /// The time of issue (the `created_at` value), e.g. for an `updated_at` column.
    IssuedAt,
}

/// Issues a token of `kind` in the scoped tenant, valid for `lifetime_ms`, inserting its row
/// with the row's own `columns` besides the hash, tenant, expiry and creation time. Answers
/// the token, for its holder only: it is stored as its hash.
pub async fn issue(
    scoped: &mut Scoped,
    kind: Kind,
    lifetime_ms: i64,
    columns: Vec<(&'static str, Value)>,
) -> Result<String, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let now = now_ms();
    if kind.purge_expired {
        let purge = format!(
            "DELETE FROM {} WHERE tenant_id = $1 AND {} <= $2",
            kind.table, kind.expires_column
        );
        sqlx::query(&purge)
            .bind(&tenant)
            .bind(now)
            .execute(scoped.conn())
            .await?;
    }
    let token = random_token();
    let expires_at = now + lifetime_ms;
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let placeholders: Vec<String> = (5..5 + columns.len()).map(|n| format!("${n}")).collect();
    let insert = format!(
        "INSERT INTO {} ({}, tenant_id, {}, created_at{}{}) VALUES ($1, $2, $3, $4{}{})",
        kind.table,
        kind.hash_column,
        kind.expires_column,
        if names.is_empty() { "" } else { ", " },
        names.join(", "),
        if placeholders.is_empty() { "" } else { ", " },
        placeholders.join(", "),
    );
    let mut query = sqlx::query(&insert)
        .bind(token_hash(&token))
        .bind(tenant)
        .bind(expires_at)
        .bind(now);
    for (_, value) in columns {
        query = match value {
            Value::Text(text) => query.bind(text),
            Value::IssuedAt => query.bind(now),
        };
    }
    query.execute(scoped.conn()).await?;
    Ok(token)
}
