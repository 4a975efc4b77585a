//! Unmanaged (MAM-only) devices (SPEC C1 to C4): the tenant's feature switch, labelling users
//! as unmanaged-device users, and the permanent deactivation.
//!
//! Rules:
//! - The feature is off until an administrator switches it on; users can be labelled, and apps
//!   allowed on unmanaged devices, only while it is on.
//! - Administrators cannot be unmanaged-device users: a user whose e-mail address is an
//!   administrator's of the tenant is refused.
//! - Deactivation needs the exact confirmation sentence, happens in one transaction (every
//!   unmanaged user becomes an MDM user, every app's flag is reset, the catalogue default is
//!   restored), is recorded in the history item by item, and is final.

use serde::Serialize;
use utoipa::ToSchema;

use crate::admins;
use crate::admins::Permission;
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::services::AsAdmin;
use crate::store::{now_ms, Scoped};
use crate::users::{self, User};

/// The sentence an administrator must send to deactivate the feature.
pub const CONFIRMATION: &str = "I understand that deactivating unmanaged devices is permanent";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = UnmanagedState)]
pub enum State {
    /// Never switched on (the default).
    Off,
    On,
    /// Switched off for good.
    Deactivated,
}

/// The tenant's feature as administrators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Feature {
    pub state: State,
    /// Whether new catalogue apps are allowed on unmanaged devices unless said otherwise
    /// (default false).
    pub default_allow_new_apps: bool,
    /// Unix milliseconds of the last change of state, if any.
    pub changed_at: Option<i64>,
}

impl Feature {
    /// Whether users may be labelled unmanaged now.
    pub fn is_on(&self) -> bool {
        self.state == State::On
    }
}

/// What a deactivation changed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Deactivation {
    pub feature: Feature,
    /// Users turned back into MDM users.
    pub users_converted: Vec<String>,
    /// Apps no longer allowed on unmanaged devices.
    pub apps_reset: Vec<String>,
}

pub async fn get(scoped: &mut Scoped) -> Result<Feature, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let row: Option<(String, i64, i64)> = sqlx::query_as(
        "SELECT state, default_allow, changed_at FROM unmanaged_devices WHERE tenant_id = $1",
    )
    .bind(tenant)
    .fetch_optional(scoped.conn())
    .await?;
    Ok(match row {
        None => Feature {
            state: State::Off,
            default_allow_new_apps: false,
            changed_at: None,
        },
        Some((state, default_allow, changed_at)) => Feature {
            state: match state.as_str() {
                "on" => State::On,
                "deactivated" => State::Deactivated,
                _ => State::Off,
            },
            default_allow_new_apps: default_allow != 0,
            changed_at: Some(changed_at),
        },
    })
}

async fn put(scoped: &mut Scoped, state: &str, default_allow: bool) -> Result<(), Error> {
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query(
        "INSERT INTO unmanaged_devices (tenant_id, state, default_allow, changed_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO UPDATE SET state = excluded.state, \
         default_allow = excluded.default_allow, changed_at = excluded.changed_at",
    )
    .bind(tenant)
    .bind(state)
    .bind(i64::from(default_allow))
    .bind(now_ms())
    .execute(scoped.conn())
    .await?;
    Ok(())
}

fn deactivated() -> Error {
    Error::Conflict {
        code: "unmanaged_devices_deactivated",
        message: "unmanaged devices were deactivated for this tenant, which is permanent: \
                  they cannot be switched on again"
            .into(),
    }
}

/// Refuses unless the feature is on (for labelling users and allowing apps).
pub async fn require_on(scoped: &mut Scoped) -> Result<Feature, Error> {
    let feature = get(scoped).await?;
    match feature.state {
        State::On => Ok(feature),
        State::Off => Err(Error::Conflict {
            code: "unmanaged_devices_off",
            message: "unmanaged devices are off for this tenant; switch them on first".into(),
        }),
        State::Deactivated => Err(deactivated()),
    }
}

/// Switches the feature on (again a no-op when on); refused once deactivated.
pub async fn enable(scoped: &mut Scoped, actor: &Actor) -> Result<Feature, Error> {
    scoped.lock_tenant().await?;
    let before = get(scoped).await?;
    match before.state {
        State::On => return Ok(before),
        State::Deactivated => return Err(deactivated()),
        State::Off => {}
    }
    put(scoped, "on", before.default_allow_new_apps).await?;
    let after = get(scoped).await?;
    let tenant = scoped.tenant().as_str().to_string();
    history::record(
        scoped,
        actor,
        Change::new(
            "unmanaged_devices",
            &tenant,
            "enabled",
            Some(&before),
            Some(&after),
        ),
    )
    .await?;
    Ok(after)
}

/// Sets the catalogue default for new apps (while the feature is on).
pub async fn set_default(
    scoped: &mut Scoped,
    actor: &Actor,
    allow: bool,
) -> Result<Feature, Error> {
    scoped.lock_tenant().await?;
    let before = require_on(scoped).await?;
    put(scoped, "on", allow).await?;
    let after = get(scoped).await?;
    let tenant = scoped.tenant().as_str().to_string();
    history::record(
        scoped,
        actor,
        Change::new(
            "unmanaged_devices",
            &tenant,
            "updated",
            Some(&before),
            Some(&after),
        ),
    )
    .await?;
    Ok(after)
}

/// Switches the feature off for good (see the module rules). Call inside one transaction and
/// commit only on success.
pub async fn deactivate(
    scoped: &mut Scoped,
    actor: &Actor,
    confirmation: &str,
) -> Result<Deactivation, Error> {
    if confirmation.trim() != CONFIRMATION {
        return Err(Error::invalid(
            "confirmation",
            format!("deactivation is permanent: send the sentence \"{CONFIRMATION}\""),
        ));
    }
    scoped.lock_tenant().await?;
    let before = get(scoped).await?;
    match before.state {
        State::On => {}
        State::Off => {
            return Err(Error::Conflict {
                code: "unmanaged_devices_off",
                message: "unmanaged devices are not on; there is nothing to deactivate".into(),
            })
        }
        State::Deactivated => return Err(deactivated()),
    }
    let tenant = scoped.tenant().as_str().to_string();
    let now = now_ms();

    let user_ids: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM users WHERE tenant_id = $1 AND unmanaged = 1 ORDER BY email",
    )
    .bind(&tenant)
    .fetch_all(scoped.conn())
    .await?;
    let user_ids: Vec<String> = user_ids.into_iter().map(|(id,)| id).collect();
    for id in &user_ids {
        set_label(scoped, actor, id, false, now).await?;
    }

    let app_ids: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM apps WHERE tenant_id = $1 AND allow_unmanaged = 1 ORDER BY name",
    )
    .bind(&tenant)
    .fetch_all(scoped.conn())
    .await?;
    let app_ids: Vec<String> = app_ids.into_iter().map(|(id,)| id).collect();
    for id in &app_ids {
        crate::apps::reset_unmanaged(scoped, actor, id, now).await?;
    }

    // The catalogue defaults are restored with the final state.
    put(scoped, "deactivated", false).await?;
    let after = get(scoped).await?;
    history::record(
        scoped,
        actor,
        Change::new(
            "unmanaged_devices",
            &tenant,
            "deactivated",
            Some(&before),
            Some(&after),
        ),
    )
    .await?;
    Ok(Deactivation {
        feature: after,
        users_converted: user_ids,
        apps_reset: app_ids,
    })
}

/// Refuses to make administrators unmanaged-device users: the first of `emails` (normalised)
/// that belongs to an administrator of the tenant is answered 409, `who(i)` naming its entry.
pub(crate) async fn refuse_administrators(
    scoped: &mut Scoped,
    emails: &[String],
    who: impl Fn(usize) -> String,
) -> Result<(), Error> {
    let administrators = admins::emails_among(scoped, emails).await?;
    match emails.iter().position(|e| administrators.contains(e)) {
        None => Ok(()),
        Some(i) => Err(Error::Conflict {
            code: "administrator_cannot_be_unmanaged",
            message: format!(
                "{}{} is an administrator of this tenant; administrators cannot be \
                 unmanaged-device users",
                who(i),
                emails[i]
            ),
        }),
    }
}

async fn set_label(
    scoped: &mut Scoped,
    actor: &Actor,
    id: &str,
    unmanaged: bool,
    now: i64,
) -> Result<User, Error> {
    let before = users::get(scoped, id).await?;
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query(
        "UPDATE users SET unmanaged = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
    )
    .bind(i64::from(unmanaged))
    .bind(now)
    .bind(tenant)
    .bind(id)
    .execute(scoped.conn())
    .await?;
    let after = users::get(scoped, id).await?;
    let verb = if unmanaged {
        "labelled_unmanaged"
    } else {
        "unlabelled_unmanaged"
    };
    history::record(
        scoped,
        actor,
        Change::new("user", id, verb, Some(&before), Some(&after)),
    )
    .await?;
    Ok(after)
}

/// Labels (or unlabels) users as unmanaged-device users, all or none; errors name the entry
/// (`user_ids[2]`). `confirmed` is the administrator's confirmation of the bulk change.
pub async fn label(
    scoped: &mut Scoped,
    actor: &Actor,
    user_ids: &[String],
    unmanaged: bool,
    confirmed: bool,
) -> Result<Vec<User>, Error> {
    if user_ids.is_empty() || user_ids.len() > 1000 {
        return Err(Error::invalid("user_ids", "give 1 to 1000 user ids"));
    }
    Error::refuse_repeats("user_ids", user_ids)?;
    if !confirmed {
        return Err(Error::invalid(
            "confirm",
            format!(
                "confirm {} {} of {} user(s) with \"confirm\": true",
                if unmanaged {
                    "labelling"
                } else {
                    "unlabelling"
                },
                "the unmanaged-device state",
                user_ids.len()
            ),
        ));
    }
    scoped.lock_tenant().await?;
    require_on(scoped).await?;
    let now = now_ms();
    let mut out = Vec::with_capacity(user_ids.len());
    for (i, id) in user_ids.iter().enumerate() {
        let field = format!("user_ids[{i}]");
        let user = users::get(scoped, id).await.map_err(|e| match e {
            Error::NotFound(_) => Error::invalid(field.clone(), "no such user"),
            other => other,
        })?;
        if unmanaged {
            refuse_administrators(scoped, std::slice::from_ref(&user.email), |_| {
                format!("{field}: ")
            })
            .await?;
        }
        out.push(set_label(scoped, actor, id, unmanaged, now).await?);
    }
    Ok(out)
}

/// What administrators do with the unmanaged-devices feature (C4) and its label.
/// What a deactivation would change now, shown before it is confirmed.
#[derive(Debug, Clone)]
pub struct DeactivationPreview {
    /// E-mail addresses of the users who would become MDM users.
    pub users: Vec<String>,
    /// Names of the apps that would no longer be allowed on unmanaged devices.
    pub apps: Vec<String>,
}

pub async fn preview_deactivation(scoped: &mut Scoped) -> Result<DeactivationPreview, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let users: Vec<(String,)> = sqlx::query_as(
        "SELECT email FROM users WHERE tenant_id = $1 AND unmanaged = 1 ORDER BY email",
    )
    .bind(&tenant)
    .fetch_all(scoped.conn())
    .await?;
    let apps: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM apps WHERE tenant_id = $1 AND allow_unmanaged = 1 ORDER BY name",
    )
    .bind(&tenant)
    .fetch_all(scoped.conn())
    .await?;
    Ok(DeactivationPreview {
        users: users.into_iter().map(|(e,)| e).collect(),
        apps: apps.into_iter().map(|(n,)| n).collect(),
    })
}

impl AsAdmin<'_> {
    /// What deactivating the feature would change now.
    pub async fn preview_unmanaged_deactivation(&self) -> Result<DeactivationPreview, Error> {
        preview_deactivation(&mut self.read().await?).await
    }

    pub async fn unmanaged_feature(&self) -> Result<Feature, Error> {
        get(&mut self.read().await?).await
    }

    /// Whether newly added apps are allowed on unmanaged devices by default.
    pub async fn set_unmanaged_default(&self, allow_new_apps: bool) -> Result<Feature, Error> {
        let mut scoped = self.write(Permission::ManageUsers).await?;
        let feature = set_default(&mut scoped, &self.actor(), allow_new_apps).await?;
        scoped.commit().await?;
        Ok(feature)
    }

    pub async fn enable_unmanaged(&self) -> Result<Feature, Error> {
        let mut scoped = self.write(Permission::ManageUsers).await?;
        let feature = enable(&mut scoped, &self.actor()).await?;
        scoped.commit().await?;
        Ok(feature)
    }

    /// Switches the feature off for good, behind the exact confirmation sentence.
    pub async fn deactivate_unmanaged(&self, confirmation: &str) -> Result<Deactivation, Error> {
        let mut scoped = self.write(Permission::ManageUsers).await?;
        let done = deactivate(&mut scoped, &self.actor(), confirmation).await?;
        scoped.commit().await?;
        Ok(done)
    }

    /// Assigns (`unmanaged`) or removes the unmanaged label of users.
    pub async fn label_unmanaged(
        &self,
        user_ids: &[String],
        unmanaged: bool,
        confirm: bool,
    ) -> Result<Vec<User>, Error> {
        let mut scoped = self.write(Permission::ManageUsers).await?;
        let users = label(&mut scoped, &self.actor(), user_ids, unmanaged, confirm).await?;
        scoped.commit().await?;
        Ok(users)
    }
}
