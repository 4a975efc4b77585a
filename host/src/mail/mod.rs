//! Outgoing mail through an outbox (SPEC B2). Callers [`enqueue`] a message inside their own
//! transaction; [`dispatch::Dispatcher`] delivers it over SMTP later, retrying with backoff
//! until it is sent or gives up. An accepted message is never lost, and the lease on each
//! claimed message keeps two host processes from sending it twice. Administrators see each
//! message's delivery status through the API.

pub mod dispatch;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::Error;
use crate::store::{new_id, now_ms, Scoped};

/// `s` as HTML text (for message bodies).
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A message to send.
#[derive(Debug, Clone)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What a message is about (shown to administrators, used to find it again).
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    pub kind: &'static str,
    pub object_type: &'static str,
    pub object_id: &'a str,
}

/// Queues `message` in the caller's transaction; returns its id.
pub async fn enqueue(
    scoped: &mut Scoped,
    about: About<'_>,
    message: Message,
) -> Result<String, Error> {
    let id = new_id();
    let now = now_ms();
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query(
        "INSERT INTO mail_outbox (id, tenant_id, kind, object_type, object_id, recipient, subject, \
         body_text, body_html, status, attempts, next_attempt_at, lease_until, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 0, $10, 0, $10)",
    )
    .bind(&id)
    .bind(tenant)
    .bind(about.kind)
    .bind(about.object_type)
    .bind(about.object_id)
    .bind(&message.to)
    .bind(&message.subject)
    .bind(&message.text)
    .bind(&message.html)
    .bind(now)
    .execute(scoped.conn())
    .await?;
    Ok(id)
}

/// A queued message as administrators see it (without its body).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Delivery {
    pub id: String,
    pub kind: String,
    pub object_type: String,
    pub object_id: String,
    pub recipient: String,
    pub subject: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i64,
    /// Unix milliseconds of the next try (pending messages).
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Only messages about this object id (e.g. a user id).
    pub object_id: Option<String>,
    /// Only messages in this status: `pending`, `sent` or `failed`.
    pub status: Option<String>,
    /// At most this many (1 to 500, default 100), newest first.
    pub limit: Option<i64>,
}

pub async fn deliveries(scoped: &mut Scoped, q: &DeliveryQuery) -> Result<Vec<Delivery>, Error> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(Error::invalid("limit", "must be between 1 and 500"));
    }
    if let Some(status) = &q.status {
        if !["pending", "sent", "failed"].contains(&status.as_str()) {
            return Err(Error::invalid("status", "use pending, sent or failed"));
        }
    }
    let tenant = scoped.tenant().as_str().to_string();
    Ok(sqlx::query_as::<_, Delivery>(
        "SELECT id, kind, object_type, object_id, recipient, subject, status, attempts, \
         next_attempt_at, last_error, created_at, sent_at FROM mail_outbox \
         WHERE tenant_id = $1 AND ($2 IS NULL OR object_id = $2) AND ($3 IS NULL OR status = $3) \
         ORDER BY created_at DESC, id DESC LIMIT $4",
    )
    .bind(tenant)
    .bind(q.object_id.as_deref())
    .bind(q.status.as_deref())
    .bind(limit)
    .fetch_all(scoped.conn())
    .await?)
}
