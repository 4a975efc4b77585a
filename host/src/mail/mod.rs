//! Outgoing mail through an outbox (SPEC B2). Callers [`enqueue`] a message inside their own
//! transaction; [`dispatch::Dispatcher`] delivers it over SMTP later, retrying with backoff
//! until it is sent or gives up. An accepted message is never lost, and the lease on each
//! claimed message keeps two host processes from sending it twice. Administrators see each
//! message's delivery status through the API.

pub mod dispatch;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::Error;
use crate::services::AsAdmin;
use crate::store::batch::{Placeholders, ROWS_PER_STATEMENT};
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
    Ok(enqueue_all(scoped, vec![(about, message)]).await?.remove(0))
}

/// Queues messages in the caller's transaction, a few hundred per statement (bulk
/// invitations); returns their ids in order.
pub async fn enqueue_all(
    scoped: &mut Scoped,
    messages: Vec<(About<'_>, Message)>,
) -> Result<Vec<String>, Error> {
    let now = now_ms();
    let tenant = scoped.tenant().as_str().to_string();
    let mut ids = Vec::with_capacity(messages.len());
    for chunk in messages.chunks(ROWS_PER_STATEMENT) {
        let mut p = Placeholders::new(scoped);
        let rows = (0..chunk.len())
            .map(|_| {
                format!(
                    "({}, 'pending', 0, {}, 0, {})",
                    p.list(9),
                    p.next(),
                    p.next()
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO mail_outbox (id, tenant_id, kind, object_type, object_id, recipient, \
             subject, body_text, body_html, status, attempts, next_attempt_at, lease_until, \
             created_at) VALUES {rows}"
        );
        let mut query = sqlx::query(&sql);
        for (about, message) in chunk {
            let id = new_id();
            query = query
                .bind(id.clone())
                .bind(tenant.clone())
                .bind(about.kind)
                .bind(about.object_type)
                .bind(about.object_id.to_string())
                .bind(message.to.clone())
                .bind(message.subject.clone())
                .bind(message.text.clone())
                .bind(message.html.clone())
                .bind(now)
                .bind(now);
            ids.push(id);
        }
        query.execute(scoped.conn()).await?;
    }
    Ok(ids)
}

/// A queued message as administrators see it (without its body).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
#[schema(as = MailDelivery)]
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
    #[param(pattern = "^(pending|sent|failed)$")]
    pub status: Option<String>,
    /// At most this many (1 to 500, default 100), newest first.
    #[param(minimum = 1, maximum = 500)]
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

impl AsAdmin<'_> {
    /// The tenant's outgoing mail and its delivery status, newest first.
    pub async fn mail_deliveries(&self, query: &DeliveryQuery) -> Result<Vec<Delivery>, Error> {
        deliveries(&mut self.read().await?, query).await
    }
}
