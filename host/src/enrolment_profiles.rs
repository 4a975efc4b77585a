//! Enrolment profiles (SPEC E2): a name, a description, the user devices enrolled with it will
//! belong to, a token validity and custom attributes. The token comes from the plugin
//! (`enrolment-tokens` of `corral:plugin@0.3.0`: the AMAPI plugin creates an Android
//! Enterprise enrolment token); the host stores its summary and shows its QR code.
//!
//! Rules:
//! - validity 1 to 30 days; name 1 to 200 characters, unique in the tenant; description at
//!   most 2000; the owner one of the tenant's users (local or directory), not an unmanaged
//!   (MAM-only) one, and not deletable while they own a profile; at most 20
//!   attributes, named 1 to 64 and valued at most 256 characters;
//! - attributes are set at creation only; afterwards only the validity can change, which
//!   replaces the token (a new one is created first, then the old one deleted), because a
//!   vendor token's expiry is fixed;
//! - the vendor is asked before anything is stored, outside any database transaction; if the
//!   profile then cannot be stored, the new token is deleted again. A token the vendor fails to
//!   delete is logged (it expires by itself).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::admins::Permission;
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::plugins::{hook, HookError, Plugins};
use crate::services::AsAdmin;
use crate::store::{new_id, now_ms, unique_as_conflict, Scoped, Store};
use crate::tenants::TenantId;
use corral_plugin_runtime::api::{Property, Token, TokenRequest};

const MAX_ATTRIBUTES: usize = 20;

/// A stored enrolment profile.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Profile {
    pub id: String,
    pub plugin_id: String,
    pub name: String,
    pub description: String,
    pub owner_user_id: String,
    /// The owner's e-mail (for display).
    pub owner_email: String,
    pub validity_days: i64,
    pub attributes: BTreeMap<String, String>,
    pub token: TokenSummary,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What the vendor answered, as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenSummary {
    /// The vendor's name of the token.
    pub name: String,
    pub value: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub expires_at: i64,
    /// What a device scans (`GET .../qr` renders it); for Android, the provisioning JSON.
    pub qr_payload: Option<String>,
    /// The vendor's whole answer.
    #[schema(value_type = Object)]
    pub vendor_document: serde_json::Value,
}

/// A new profile, as an administrator writes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProfile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub owner_user_id: String,
    pub validity_days: i64,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    plugin_id: String,
    name: String,
    description: String,
    owner_user_id: String,
    owner_email: String,
    validity_days: i64,
    attributes_json: String,
    token_name: String,
    token_value: String,
    token_created_at: i64,
    token_expires_at: i64,
    qr_payload: Option<String>,
    vendor_document: String,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Profile {
    fn from(r: Row) -> Profile {
        Profile {
            id: r.id,
            plugin_id: r.plugin_id,
            name: r.name,
            description: r.description,
            owner_user_id: r.owner_user_id,
            owner_email: r.owner_email,
            validity_days: r.validity_days,
            attributes: serde_json::from_str(&r.attributes_json).unwrap_or_default(),
            token: TokenSummary {
                name: r.token_name,
                value: r.token_value,
                created_at: r.token_created_at,
                expires_at: r.token_expires_at,
                qr_payload: r.qr_payload,
                vendor_document: serde_json::from_str(&r.vendor_document).unwrap_or_default(),
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const SELECT: &str = "SELECT p.id, p.plugin_id, p.name, p.description, p.owner_user_id, \
     u.email AS owner_email, p.validity_days, p.attributes_json, p.token_name, p.token_value, \
     p.token_created_at, p.token_expires_at, p.qr_payload, p.vendor_document, p.created_at, \
     p.updated_at FROM enrolment_profiles p JOIN users u ON u.id = p.owner_user_id";

pub fn check_validity(days: i64) -> Result<u32, Error> {
    if (1..=30).contains(&days) {
        Ok(days as u32)
    } else {
        Err(Error::invalid("validity_days", "give 1 to 30 days"))
    }
}

/// Checks a new profile; returns its validity.
fn check(new: &NewProfile) -> Result<u32, Error> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid("name", "give 1 to 200 characters"));
    }
    if new.description.chars().count() > 2000 {
        return Err(Error::invalid("description", "at most 2000 characters"));
    }
    let days = check_validity(new.validity_days)?;
    if new.attributes.len() > MAX_ATTRIBUTES {
        return Err(Error::invalid(
            "attributes",
            format!("at most {MAX_ATTRIBUTES} attributes"),
        ));
    }
    for (key, value) in &new.attributes {
        if key.trim().is_empty() || key.chars().count() > 64 {
            return Err(Error::invalid(
                format!("attributes.{key}"),
                "name an attribute with 1 to 64 characters",
            ));
        }
        if value.chars().count() > 256 {
            return Err(Error::invalid(
                format!("attributes.{key}"),
                "at most 256 characters",
            ));
        }
    }
    Ok(days)
}

/// The profiles of a plugin, by name.
pub async fn list(scoped: &mut Scoped, plugin_id: &str) -> Result<Vec<Profile>, Error> {
    crate::plugins::registry::require(scoped, plugin_id).await?;
    let tenant = scoped.tenant().as_str().to_string();
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE p.tenant_id = $1 AND p.plugin_id = $2 ORDER BY p.name"
    ))
    .bind(tenant)
    .bind(plugin_id)
    .fetch_all(scoped.conn())
    .await?;
    Ok(rows.into_iter().map(Profile::from).collect())
}

pub async fn get(scoped: &mut Scoped, plugin_id: &str, id: &str) -> Result<Profile, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let row: Option<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE p.tenant_id = $1 AND p.plugin_id = $2 AND p.id = $3"
    ))
    .bind(tenant)
    .bind(plugin_id)
    .bind(id)
    .fetch_optional(scoped.conn())
    .await?;
    row.map(Profile::from)
        .ok_or(Error::NotFound("enrolment profile"))
}

async fn name_taken(scoped: &mut Scoped, name: &str) -> Result<bool, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM enrolment_profiles WHERE tenant_id = $1 AND name = $2")
            .bind(tenant)
            .bind(name)
            .fetch_optional(scoped.conn())
            .await?;
    Ok(found.is_some())
}

const CONFLICT: &str = "profile_conflict";
const NAME_TAKEN: &str = "another enrolment profile has this name";

fn conflict() -> Error {
    Error::Conflict {
        code: CONFLICT,
        message: NAME_TAKEN.into(),
    }
}

/// Asks the plugin's active version for a token.
async fn create_token(
    plugins: &Plugins,
    tenant: &TenantId,
    plugin_id: &str,
    request: &TokenRequest,
) -> Result<Token, HookError> {
    let installation = plugins.active(tenant, plugin_id).await?;
    let answer = installation.create_token(request).await;
    hook(&installation, answer)
}

/// Deletes a token at the vendor; a failure is logged (the token expires by itself).
async fn delete_token(plugins: &Plugins, tenant: &TenantId, plugin_id: &str, name: &str) {
    let outcome = match plugins.active(tenant, plugin_id).await {
        Ok(installation) => {
            let answer = installation.delete_token(name).await;
            hook(&installation, answer).map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = outcome {
        tracing::warn!(tenant = %tenant.as_str(), token = %name, error = %e, "vendor token not deleted; it will expire");
    }
}

fn request(
    id: &str,
    owner: &str,
    days: u32,
    attributes: &BTreeMap<String, String>,
) -> TokenRequest {
    TokenRequest {
        profile_id: id.to_string(),
        owner_user_id: owner.to_string(),
        validity_days: days,
        attributes: attributes
            .iter()
            .map(|(name, value)| Property {
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
    }
}

/// Creates a profile: checks, asks the plugin for its token, stores both.
pub async fn create(
    plugins: &Plugins,
    store: &Store,
    tenant: &TenantId,
    actor: &Actor,
    plugin_id: &str,
    new: NewProfile,
) -> Result<Profile, HookError> {
    let days = check(&new)?;
    let name = new.name.trim().to_string();
    {
        let mut read = store.scoped_read(tenant).await?;
        crate::plugins::registry::require(&mut read, plugin_id).await?;
        let owner = match crate::users::get(&mut read, &new.owner_user_id).await {
            Err(Error::NotFound(_)) => {
                return Err(Error::invalid("owner_user_id", "no such user in this tenant").into())
            }
            other => other?,
        };
        if owner.unmanaged {
            return Err(Error::invalid(
                "owner_user_id",
                "an unmanaged (MAM-only) user never enrols devices",
            )
            .into());
        }
        if name_taken(&mut read, &name).await? {
            return Err(conflict().into());
        }
    }
    let id = new_id();
    let token = create_token(
        plugins,
        tenant,
        plugin_id,
        &request(&id, &new.owner_user_id, days, &new.attributes),
    )
    .await?;
    let stored = store_new(store, tenant, actor, plugin_id, &id, &name, &new, &token).await;
    if stored.is_err() {
        delete_token(plugins, tenant, plugin_id, &token.name).await;
    }
    Ok(stored?)
}

#[allow(clippy::too_many_arguments)]
async fn store_new(
    store: &Store,
    tenant: &TenantId,
    actor: &Actor,
    plugin_id: &str,
    id: &str,
    name: &str,
    new: &NewProfile,
    token: &Token,
) -> Result<Profile, Error> {
    let mut scoped = store.scoped(tenant).await?;
    let now = now_ms();
    unique_as_conflict(
        sqlx::query(
            "INSERT INTO enrolment_profiles (id, tenant_id, plugin_id, name, description, \
             owner_user_id, validity_days, attributes_json, token_name, token_value, \
             token_created_at, token_expires_at, qr_payload, vendor_document, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
             $11, $11)",
        )
        .bind(id)
        .bind(tenant.as_str())
        .bind(plugin_id)
        .bind(name)
        .bind(&new.description)
        .bind(&new.owner_user_id)
        .bind(new.validity_days)
        .bind(serde_json::to_string(&new.attributes).unwrap_or_default())
        .bind(&token.name)
        .bind(&token.value)
        .bind(now)
        .bind(token.expires_at_ms as i64)
        .bind(&token.qr_payload)
        .bind(&token.vendor_document)
        .execute(scoped.conn())
        .await,
        CONFLICT,
        || NAME_TAKEN.into(),
    )?;
    let created = get(&mut scoped, plugin_id, id).await?;
    history::record(
        &mut scoped,
        actor,
        Change::created("enrolment_profile", id, &created),
    )
    .await?;
    scoped.commit().await?;
    Ok(created)
}

/// Changes a profile's validity: a new token replaces the old one. Any other field is refused.
pub async fn update(
    plugins: &Plugins,
    store: &Store,
    tenant: &TenantId,
    actor: &Actor,
    plugin_id: &str,
    id: &str,
    changes: serde_json::Map<String, serde_json::Value>,
) -> Result<Profile, HookError> {
    if let Some(field) = changes.keys().find(|k| k.as_str() != "validity_days") {
        return Err(Error::invalid(
            field.as_str(),
            "only validity_days can be changed after creation (make a new profile instead)",
        )
        .into());
    }
    let days = match changes.get("validity_days") {
        Some(v) => check_validity(v.as_i64().ok_or_else(|| {
            Error::invalid("validity_days", "give a whole number of days (1 to 30)")
        })?)?,
        None => return Err(Error::invalid("validity_days", "missing").into()),
    };
    let before = {
        let mut read = store.scoped_read(tenant).await?;
        get(&mut read, plugin_id, id).await?
    };
    let token = create_token(
        plugins,
        tenant,
        plugin_id,
        &request(id, &before.owner_user_id, days, &before.attributes),
    )
    .await?;
    let stored = async {
        let mut scoped = store.scoped(tenant).await?;
        let now = now_ms();
        let updated = sqlx::query(
            "UPDATE enrolment_profiles SET validity_days = $3, token_name = $4, token_value = $5, \
             token_created_at = $6, token_expires_at = $7, qr_payload = $8, vendor_document = $9, \
             updated_at = $6 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(i64::from(days))
        .bind(&token.name)
        .bind(&token.value)
        .bind(now)
        .bind(token.expires_at_ms as i64)
        .bind(&token.qr_payload)
        .bind(&token.vendor_document)
        .execute(scoped.conn())
        .await?;
        if updated.rows_affected() == 0 {
            return Err(Error::NotFound("enrolment profile"));
        }
        let after = get(&mut scoped, plugin_id, id).await?;
        history::record(
            &mut scoped,
            actor,
            Change::new(
                "enrolment_profile",
                id,
                "validity_changed",
                Some(&before),
                Some(&after),
            ),
        )
        .await?;
        scoped.commit().await?;
        Ok(after)
    }
    .await;
    let old = match &stored {
        Ok(_) => &before.token.name,
        Err(_) => &token.name,
    };
    delete_token(plugins, tenant, plugin_id, old).await;
    Ok(stored?)
}

/// Deletes a profile, then its token at the vendor.
pub async fn delete(
    plugins: &Plugins,
    store: &Store,
    tenant: &TenantId,
    actor: &Actor,
    plugin_id: &str,
    id: &str,
) -> Result<(), Error> {
    let mut scoped = store.scoped(tenant).await?;
    let before = get(&mut scoped, plugin_id, id).await?;
    sqlx::query("DELETE FROM enrolment_profiles WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.as_str())
        .bind(id)
        .execute(scoped.conn())
        .await?;
    history::record(
        &mut scoped,
        actor,
        Change::deleted("enrolment_profile", id, &before),
    )
    .await?;
    scoped.commit().await?;
    delete_token(plugins, tenant, plugin_id, &before.token.name).await;
    Ok(())
}

/// The QR code of a profile's payload, as SVG.
pub fn qr_svg(payload: &str) -> Result<String, Error> {
    let code = qrcode::QrCode::new(payload.as_bytes())
        .map_err(|e| Error::Internal(format!("QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(320, 320)
        .quiet_zone(true)
        .build())
}

/// What administrators do with a plugin's enrolment profiles.
impl AsAdmin<'_> {
    pub async fn list_enrolment_profiles(&self, plugin_id: &str) -> Result<Vec<Profile>, Error> {
        list(&mut self.read().await?, plugin_id).await
    }

    pub async fn get_enrolment_profile(&self, plugin_id: &str, id: &str) -> Result<Profile, Error> {
        get(&mut self.read().await?, plugin_id, id).await
    }

    /// The profile's enrolment QR code, as SVG.
    pub async fn enrolment_profile_qr(&self, plugin_id: &str, id: &str) -> Result<String, Error> {
        let found = self.get_enrolment_profile(plugin_id, id).await?;
        let payload = found
            .token
            .qr_payload
            .ok_or(Error::NotFound("QR code of this token"))?;
        qr_svg(&payload)
    }

    /// Creates a profile and its token at the plugin's vendor.
    pub async fn create_enrolment_profile(
        &self,
        plugin_id: &str,
        new: NewProfile,
    ) -> Result<Profile, HookError> {
        self.require(Permission::ManageConfigurations)?;
        let services = self.services;
        let (plugins, store) = (services.plugins(), services.store());
        create(plugins, store, self.tenant(), &self.actor(), plugin_id, new).await
    }

    pub async fn update_enrolment_profile(
        &self,
        plugin_id: &str,
        id: &str,
        changes: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Profile, HookError> {
        self.require(Permission::ManageConfigurations)?;
        let (plugins, store) = (self.services.plugins(), self.services.store());
        let actor = self.actor();
        update(
            plugins,
            store,
            self.tenant(),
            &actor,
            plugin_id,
            id,
            changes,
        )
        .await
    }

    pub async fn delete_enrolment_profile(&self, plugin_id: &str, id: &str) -> Result<(), Error> {
        self.require(Permission::ManageConfigurations)?;
        let (plugins, store) = (self.services.plugins(), self.services.store());
        delete(plugins, store, self.tenant(), &self.actor(), plugin_id, id).await
    }
}
