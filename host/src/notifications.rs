//! Notifications for administrators: what the server tells one administrator once something
//! they started is over (an import's summary, ...), newest first, with a link to see more.
//! Each administrator sees only their own.

use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Error;
use crate::services::AsAdmin;
use crate::store::{new_id, Scoped};

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Notification {
    pub id: String,
    pub text: String,
    /// Where to see more (a console page).
    pub link: String,
    pub created_at: i64,
}

/// Notifies administrator `admin_id` of the scoped tenant, in the caller's transaction.
pub async fn notify(
    scoped: &mut Scoped,
    admin_id: &str,
    text: &str,
    link: &str,
    now: i64,
) -> Result<(), Error> {
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query(
        "INSERT INTO notifications (id, tenant_id, admin_id, text, link, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(tenant)
    .bind(admin_id)
    .bind(text)
    .bind(link)
    .bind(now)
    .execute(scoped.conn())
    .await?;
    Ok(())
}

impl AsAdmin<'_> {
    /// The signed-in administrator's notifications, newest first (at most 50).
    pub async fn notifications(&self) -> Result<Vec<Notification>, Error> {
        let mut scoped = self.read().await?;
        let tenant = scoped.tenant().as_str().to_string();
        Ok(sqlx::query_as::<_, Notification>(
            "SELECT id, text, link, created_at FROM notifications WHERE tenant_id = $1 AND \
             admin_id = $2 ORDER BY created_at DESC, id DESC LIMIT 50",
        )
        .bind(tenant)
        .bind(&self.me.admin.id)
        .fetch_all(scoped.conn())
        .await?)
    }
}
