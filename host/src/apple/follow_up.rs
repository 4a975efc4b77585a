//! What happens to Apple enrolments after the download (SPEC D1, D4, D6), as two scheduled
//! jobs (see `jobs`):
//!
//! - [`cancel_unfinished`]: a profile not installed within its install window is cancelled;
//!   when the device had already authenticated (a re-enrolment the user cancelled), the live
//!   entry of that device loses MDM, with its history entry.
//! - [`send_reminders`]: a user who downloaded a profile and never finished gets an e-mail
//!   (through the outbox) every [`AppleSettings::reminder_every_secs`], until that enrolment
//!   is active, a newer download takes over, or [`AppleSettings::remind_days`] have passed.
//!
//! Each item is claimed by a conditional UPDATE in its own transaction, so an item is handled
//! once even if two processes ran the same job at the same time.

use corral_messages as messages;

use crate::devices::{self, Platform};
use crate::error::Error;
use crate::mail::{self, About, Message};
use crate::registration::keys;
use crate::registration::settings::{self, Language};
use crate::secrets::SecretBox;
use crate::store::{now_ms, Store};
use crate::tenants::{self, TenantId};
use crate::users;

use super::AppleSettings;

/// Items handled per run; the next run takes the rest.
const BATCH: i64 = 500;

/// Cancels enrolments whose install window has passed; returns how many.
pub async fn cancel_unfinished(store: &Store) -> Result<usize, Error> {
    let now = now_ms();
    // Past the deadline no message is accepted any more, so the UDID read here is final.
    let due: Vec<(TenantId, String, String, Option<String>)> = sqlx::query_as(
        "SELECT tenant_id, id, platform, udid FROM apple_enrolments \
         WHERE status IN ('downloaded', 'authenticated') AND install_deadline <= $1 LIMIT $2",
    )
    .bind(now)
    .bind(BATCH)
    .fetch_all(store.pool())
    .await?;
    let mut cancelled = 0;
    for (tenant, id, platform, udid) in due {
        let mut scoped = store.scoped(&tenant).await?;
        let claimed = sqlx::query(
            "UPDATE apple_enrolments SET status = 'cancelled', updated_at = $1 \
             WHERE tenant_id = $2 AND id = $3 AND status IN ('downloaded', 'authenticated') \
             AND install_deadline <= $1",
        )
        .bind(now)
        .bind(tenant.as_str())
        .bind(&id)
        .execute(scoped.conn())
        .await?
        .rows_affected();
        if claimed != 1 {
            continue;
        }
        if let Some(udid) = udid {
            let platform = Platform::from_code(&platform);
            if let Some(device) = devices::live_by_hardware_id(&mut scoped, platform, &udid).await?
            {
                devices::disable_mdm_if_live(&mut scoped, &device.id).await?;
            }
        }
        scoped.commit().await?;
        tracing::info!(enrolment = %id, "profile not installed in time: enrolment cancelled");
        cancelled += 1;
    }
    Ok(cancelled)
}

/// Sends the due reminders; returns how many were queued.
pub async fn send_reminders(
    store: &Store,
    secrets: &SecretBox,
    settings: &AppleSettings,
    base_url: &str,
) -> Result<usize, Error> {
    let now = now_ms();
    let due: Vec<(TenantId, String, i64)> = sqlx::query_as(
        "SELECT tenant_id, id, next_reminder_at FROM apple_enrolments \
         WHERE next_reminder_at <= $1 LIMIT $2",
    )
    .bind(now)
    .bind(BATCH)
    .fetch_all(store.pool())
    .await?;
    let mut sent = 0;
    for (tenant, id, due_at) in due {
        let mut scoped = store.scoped(&tenant).await?;
        let row: Option<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT e.user_id, e.platform, e.remind_until, \
             (SELECT COUNT(*) FROM apple_enrolments n WHERE n.tenant_id = e.tenant_id \
              AND n.user_id = e.user_id AND n.downloaded_at > e.downloaded_at) \
             FROM apple_enrolments e WHERE e.tenant_id = $1 AND e.id = $2 \
             AND e.next_reminder_at = $3 AND e.status <> 'active'",
        )
        .bind(tenant.as_str())
        .bind(&id)
        .bind(due_at)
        .fetch_optional(scoped.conn())
        .await?;
        let Some((user_id, platform, remind_until, newer)) = row else {
            continue;
        };
        if newer > 0 || remind_until <= now {
            // A newer download reminds instead, or the reminder period is over.
            sqlx::query(
                "UPDATE apple_enrolments SET next_reminder_at = NULL \
                 WHERE tenant_id = $1 AND id = $2",
            )
            .bind(tenant.as_str())
            .bind(&id)
            .execute(scoped.conn())
            .await?;
            scoped.commit().await?;
            continue;
        }
        // The claim: of two runs racing for this reminder (PostgreSQL, expired lease), the
        // second finds next_reminder_at moved on and sends nothing.
        let next = now + settings.reminder_every_secs * 1000;
        let claimed = sqlx::query(
            "UPDATE apple_enrolments SET next_reminder_at = $1, \
             reminders_sent = reminders_sent + 1 \
             WHERE tenant_id = $2 AND id = $3 AND next_reminder_at = $4",
        )
        .bind((next < remind_until).then_some(next))
        .bind(tenant.as_str())
        .bind(&id)
        .bind(due_at)
        .execute(scoped.conn())
        .await?
        .rows_affected();
        if claimed != 1 {
            continue;
        }
        let user = users::get(&mut scoped, &user_id).await?;
        let tenant_row = tenants::current(&mut scoped).await?;
        let language = settings::get(&mut scoped).await?.language;
        let url = format!(
            "{base_url}/r/{}",
            keys::current_token(&mut scoped, secrets, &tenant_row.slug).await?
        );
        let message = compose(language, &user, &platform, &url);
        let about = About {
            kind: "enrolment_reminder",
            object_type: "user",
            object_id: &user.id,
        };
        mail::enqueue(&mut scoped, about, message).await?;
        scoped.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

fn compose(language: Language, user: &users::User, platform: &str, url: &str) -> Message {
    let device = if platform == "macos" {
        "Mac"
    } else {
        "iPhone / iPad"
    };
    let lang = language.lang();
    let subject = messages::text(lang, "enrolment-reminder-subject");
    let hello = messages::format(
        lang,
        "invitation-hello",
        &[("name", user.first_name.as_str().into())],
    );
    let body = messages::format(
        lang,
        "enrolment-reminder-body",
        &[("device", device.into())],
    );
    let action = messages::text(lang, "enrolment-reminder-action");
    let text = format!("{hello}\n\n{body}\n\n{action}: {url}\n");
    let html = format!(
        "<p>{}</p><p>{}</p><p><a href=\"{}\">{}</a></p>",
        mail::escape(&hello),
        mail::escape(&body),
        mail::escape(url),
        mail::escape(&action),
    );
    Message {
        to: user.email.clone(),
        subject,
        text,
        html,
    }
}
