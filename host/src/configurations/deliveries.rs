//! Telling a plugin about configuration changes (its `on-event` hook), so that it can carry them
//! to its vendor: the AMAPI plugin patches or deletes the configuration's policy at Google.
//!
//! Rules:
//! - the event is written in the same transaction as the change (an outbox row), so an accepted
//!   change is never lost, even when the plugin or the vendor is down;
//! - a configuration distributed to no device is not sent: it becomes `changed` once it applies
//!   to some device, and `withdrawn` (`configuration-deleted` for the plugin) when it is
//!   deleted or distributed to no device any more;
//! - one row per configuration: a newer change replaces a pending one (the plugin always gets
//!   the latest state, never a stale one);
//! - after a change the request delivers at once; failures are kept with their message and
//!   retried by the scheduled job with a growing delay (by default 30 s doubling, at most an
//!   hour; `CORRAL_PLUGIN_DELIVERY_RETRY_SECS`). An attempt first claims its row for a lease
//!   (so two processes never send one change at once; a crashed attempt is retried after
//!   the lease). A row
//!   is only removed or updated if it is still the revision that was sent.

use serde::Serialize;
use utoipa::ToSchema;

use super::{self as configurations, Distribution};
use crate::error::Error;
use crate::jobs::LEASE;
use crate::plugins::Plugins;
use crate::store::{new_id, now_ms, Scoped, Store};
use crate::tenants::TenantId;
use corral_plugin_runtime::api::LifecycleEvent;

const CHANGED: &str = "changed";
const WITHDRAWN: &str = "withdrawn";
/// Longest delay between two attempts.
const MAX_RETRY_MS: i64 = 3_600_000;

/// A configuration change the plugin has not taken yet.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
#[schema(as = ConfigurationDelivery)]
pub struct Delivery {
    /// `changed` or `withdrawn`.
    pub event: String,
    /// Failed attempts so far (0: not tried yet).
    pub attempts: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the next attempt is due (Unix milliseconds).
    pub next_attempt_at: i64,
}

fn applies(distribution: Option<&Distribution>) -> bool {
    distribution.is_some_and(|d| *d != Distribution::None)
}

/// Records, inside the change's transaction, what the plugin must be told about a configuration
/// whose distribution went from `before` to `after` (None: did not exist / deleted).
pub(crate) async fn enqueue(
    scoped: &mut Scoped,
    plugin_id: &str,
    configuration_id: &str,
    before: Option<&Distribution>,
    after: Option<&Distribution>,
) -> Result<(), Error> {
    let pending = pending(scoped, configuration_id).await?.is_some();
    let event = if applies(after) {
        CHANGED
    } else if applies(before) || pending {
        WITHDRAWN
    } else {
        return Ok(());
    };
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query(
        "INSERT INTO plugin_deliveries (tenant_id, configuration_id, plugin_id, event, revision, \
         attempts, last_error, next_attempt_at) VALUES ($1, $2, $3, $4, $5, 0, NULL, $6) \
         ON CONFLICT (tenant_id, configuration_id) DO UPDATE SET event = $4, revision = $5, \
         attempts = 0, last_error = NULL, next_attempt_at = $6",
    )
    .bind(tenant)
    .bind(configuration_id)
    .bind(plugin_id)
    .bind(event)
    .bind(new_id())
    .bind(now_ms())
    .execute(scoped.conn())
    .await?;
    Ok(())
}

/// What is still to be delivered for a configuration.
pub async fn pending(
    scoped: &mut Scoped,
    configuration_id: &str,
) -> Result<Option<Delivery>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    Ok(sqlx::query_as(
        "SELECT event, attempts, last_error, next_attempt_at FROM plugin_deliveries \
         WHERE tenant_id = $1 AND configuration_id = $2",
    )
    .bind(tenant)
    .bind(configuration_id)
    .fetch_optional(scoped.conn())
    .await?)
}

#[derive(sqlx::FromRow)]
struct Due {
    configuration_id: String,
    plugin_id: String,
    event: String,
    revision: String,
    attempts: i64,
}

/// Delivers the tenant's due events (only `configuration_id`'s when given); returns how many
/// the plugins took.
pub async fn deliver(
    plugins: &Plugins,
    store: &Store,
    tenant: &TenantId,
    configuration_id: Option<&str>,
) -> Result<usize, Error> {
    let due: Vec<Due> = {
        let mut read = store.scoped_read(tenant).await?;
        sqlx::query_as(
            "SELECT configuration_id, plugin_id, event, revision, attempts FROM plugin_deliveries \
             WHERE tenant_id = $1 AND next_attempt_at <= $2 \
             AND ($3 = '' OR configuration_id = $3) ORDER BY next_attempt_at LIMIT 100",
        )
        .bind(tenant.as_str())
        .bind(now_ms())
        .bind(configuration_id.unwrap_or(""))
        .fetch_all(read.conn())
        .await?
    };
    let mut delivered = 0;
    for row in due {
        if !claim(store, tenant, &row).await? {
            continue;
        }
        let outcome = send(plugins, store, tenant, &row).await;
        let mut scoped = store.scoped(tenant).await?;
        match &outcome {
            Ok(()) => {
                sqlx::query(
                    "DELETE FROM plugin_deliveries WHERE tenant_id = $1 AND configuration_id = $2 \
                     AND revision = $3",
                )
                .bind(tenant.as_str())
                .bind(&row.configuration_id)
                .bind(&row.revision)
                .execute(scoped.conn())
                .await?;
            }
            Err(message) => {
                tracing::warn!(tenant = %tenant.as_str(), configuration = %row.configuration_id, error = %message, "configuration not delivered to its plugin; will retry");
                let first = plugins.delivery_retry().as_millis() as i64;
                let delay = first
                    .saturating_mul(1i64 << row.attempts.clamp(0, 20))
                    .min(MAX_RETRY_MS);
                sqlx::query(
                    "UPDATE plugin_deliveries SET attempts = attempts + 1, last_error = $4, \
                     next_attempt_at = $5 \
                     WHERE tenant_id = $1 AND configuration_id = $2 AND revision = $3",
                )
                .bind(tenant.as_str())
                .bind(&row.configuration_id)
                .bind(&row.revision)
                .bind(message)
                .bind(now_ms() + delay)
                .execute(scoped.conn())
                .await?;
            }
        }
        scoped.commit().await?;
        delivered += usize::from(outcome.is_ok());
    }
    Ok(delivered)
}

/// Takes the row for one attempt (pushes its due time one lease ahead), so that the request
/// and the scheduled job of any process never send it at the same time. False when another
/// attempt has it or a newer change replaced it.
async fn claim(store: &Store, tenant: &TenantId, row: &Due) -> Result<bool, Error> {
    let now = now_ms();
    let mut scoped = store.scoped(tenant).await?;
    let taken = sqlx::query(
        "UPDATE plugin_deliveries SET next_attempt_at = $4 WHERE tenant_id = $1 \
         AND configuration_id = $2 AND revision = $3 AND next_attempt_at <= $5",
    )
    .bind(tenant.as_str())
    .bind(&row.configuration_id)
    .bind(&row.revision)
    .bind(now + LEASE.as_millis() as i64)
    .bind(now)
    .execute(scoped.conn())
    .await?
    .rows_affected()
        == 1;
    scoped.commit().await?;
    Ok(taken)
}

/// One event to the plugin's active version; the error is what an administrator is shown.
async fn send(
    plugins: &Plugins,
    store: &Store,
    tenant: &TenantId,
    row: &Due,
) -> Result<(), String> {
    let installation = plugins
        .active(tenant, &row.plugin_id)
        .await
        .map_err(|e| e.to_string())?;
    let current = if row.event == CHANGED {
        let mut read = store.scoped_read(tenant).await.map_err(|e| e.to_string())?;
        match configurations::get(&mut read, &row.plugin_id, &row.configuration_id).await {
            Ok(c) => Some(c),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e.to_string()),
        }
    } else {
        None
    };
    let event = match current {
        Some(c) => LifecycleEvent::ConfigurationChanged(c.to_plugin()),
        None => LifecycleEvent::ConfigurationDeleted(row.configuration_id.clone()),
    };
    let answer = installation.on_event(&event).await;
    crate::plugins::hook(&installation, answer).map_err(|e| e.to_string())
}

/// Every tenant's due deliveries (the scheduled job).
pub async fn deliver_due(plugins: &Plugins, store: &Store) -> Result<usize, Error> {
    let tenants: Vec<TenantId> = sqlx::query_scalar(
        "SELECT DISTINCT tenant_id FROM plugin_deliveries WHERE next_attempt_at <= $1",
    )
    .bind(now_ms())
    .fetch_all(store.pool())
    .await?
    .into_iter()
    .map(TenantId::from_db)
    .collect();
    let mut delivered = 0;
    for tenant in tenants {
        delivered += deliver(plugins, store, &tenant, None).await?;
    }
    Ok(delivered)
}
