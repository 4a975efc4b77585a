//! Tenant user settings: portal and e-mail language, whether registering requires a one-time
//! PIN, and how long a PIN stays valid. Changes are recorded in the tenant's history.

use corral_messages::Lang;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::admins::Permission;
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::services::AsAdmin;
use crate::store::Scoped;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Fr,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
        }
    }
    /// The catalogue's language (portal pages and e-mails).
    pub fn lang(self) -> Lang {
        match self {
            Language::En => Lang::En,
            Language::Fr => Lang::Fr,
        }
    }
    pub fn from_code(code: &str) -> Language {
        if code == "fr" {
            Language::Fr
        } else {
            Language::En
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct UserSettings {
    /// Language of invitation e-mails and the portal's default.
    pub language: Language,
    /// Registering requires a one-time PIN even for users who have a password.
    pub require_registration_pin: bool,
    /// How long an invitation PIN stays valid, in hours (1 to 2160; default 168 = 7 days).
    pub pin_validity_hours: i64,
}

/// Changes; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct UserSettingsUpdate {
    pub language: Option<Language>,
    pub require_registration_pin: Option<bool>,
    pub pin_validity_hours: Option<i64>,
}

pub async fn get(scoped: &mut Scoped) -> Result<UserSettings, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let (language, require, hours): (String, i64, i64) = sqlx::query_as(
        "SELECT language, require_registration_pin, pin_validity_hours FROM tenants WHERE id = $1",
    )
    .bind(tenant)
    .fetch_one(scoped.conn())
    .await?;
    Ok(UserSettings {
        language: Language::from_code(&language),
        require_registration_pin: require != 0,
        pin_validity_hours: hours,
    })
}

pub async fn update(
    scoped: &mut Scoped,
    actor: &Actor,
    changes: UserSettingsUpdate,
) -> Result<UserSettings, Error> {
    if let Some(hours) = changes.pin_validity_hours {
        if !(1..=2160).contains(&hours) {
            return Err(Error::invalid(
                "pin_validity_hours",
                "must be between 1 and 2160 hours",
            ));
        }
    }
    let before = get(scoped).await?;
    let after = UserSettings {
        language: changes.language.unwrap_or(before.language),
        require_registration_pin: changes
            .require_registration_pin
            .unwrap_or(before.require_registration_pin),
        pin_validity_hours: changes
            .pin_validity_hours
            .unwrap_or(before.pin_validity_hours),
    };
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query(
        "UPDATE tenants SET language = $1, require_registration_pin = $2, pin_validity_hours = $3 \
         WHERE id = $4",
    )
    .bind(after.language.code())
    .bind(after.require_registration_pin as i64)
    .bind(after.pin_validity_hours)
    .bind(&tenant)
    .execute(scoped.conn())
    .await?;
    history::record(
        scoped,
        actor,
        Change::new(
            "tenant",
            &tenant,
            "user_settings_updated",
            Some(&before),
            Some(&after),
        ),
    )
    .await?;
    Ok(after)
}

/// What administrators do with the tenant's user settings.
impl AsAdmin<'_> {
    pub async fn user_settings(&self) -> Result<UserSettings, Error> {
        get(&mut self.read().await?).await
    }

    pub async fn update_user_settings(
        &self,
        changes: UserSettingsUpdate,
    ) -> Result<UserSettings, Error> {
        let mut scoped = self.write(Permission::ManageUsers).await?;
        let after = update(&mut scoped, &self.actor(), changes).await?;
        scoped.commit().await?;
        Ok(after)
    }
}
