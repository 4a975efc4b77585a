//! Registration URLs (SPEC B2, B5). A tenant's registration URL is `<base>/r/<token>` (and
//! `<base>/r/<token>/go`), where the token is `<tenant slug>.<key version>.<MAC>`: an
//! HMAC-SHA256 under the tenant's current enrolment key. Rotating the key adds a new version;
//! URLs made with an older version are then refused (with a page telling the user to ask for a
//! new invitation) until the administrator hands out the regenerated one. Keys are stored
//! sealed with the server key.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::admins::Permission;
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::secrets::SecretBox;
use crate::services::AsAdmin;
use crate::store::{now_ms, Scoped, Store};
use crate::tenants::{self, Tenant, TenantId};

/// Why a registration token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a token of any tenant (mangled, forged, unknown tenant).
    Invalid,
    /// Signed with a key the tenant has since rotated away.
    Rotated,
}

fn purpose(tenant: &TenantId, version: i64) -> String {
    format!("enrolment-key:{}:{version}", tenant.as_str())
}

async fn load_key(
    scoped: &mut Scoped,
    secrets: &SecretBox,
    version: i64,
) -> Result<Option<Vec<u8>>, Error> {
    let tenant = scoped.tenant().clone();
    let sealed: Option<String> = sqlx::query_scalar(
        "SELECT key_sealed FROM enrolment_keys WHERE tenant_id = $1 AND version = $2",
    )
    .bind(tenant.as_str())
    .bind(version)
    .fetch_optional(scoped.conn())
    .await?;
    sealed
        .map(|s| secrets.open(&purpose(&tenant, version), &s))
        .transpose()
}

async fn current_version(scoped: &mut Scoped) -> Result<Option<i64>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    Ok(
        sqlx::query_scalar("SELECT MAX(version) FROM enrolment_keys WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_one(scoped.conn())
            .await?,
    )
}

async fn insert_key(scoped: &mut Scoped, secrets: &SecretBox, version: i64) -> Result<(), Error> {
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    let tenant = scoped.tenant().clone();
    sqlx::query(
        "INSERT INTO enrolment_keys (tenant_id, version, key_sealed, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(tenant.as_str())
    .bind(version)
    .bind(secrets.seal(&purpose(&tenant, version), &key))
    .bind(now_ms())
    .execute(scoped.conn())
    .await?;
    Ok(())
}

fn mac(key: &[u8], tenant: &TenantId, version: i64) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(format!("corral-registration:{}:{version}", tenant.as_str()).as_bytes());
    B64URL.encode(&m.finalize().into_bytes()[..18])
}

/// The tenant's current registration token (creating the first key when there is none).
/// Needs a write transaction.
pub async fn current_token(
    scoped: &mut Scoped,
    secrets: &SecretBox,
    slug: &str,
) -> Result<String, Error> {
    if let Some(token) = existing_token(scoped, secrets, slug).await? {
        return Ok(token);
    }
    insert_key(scoped, secrets, 1).await?;
    existing_token(scoped, secrets, slug)
        .await?
        .ok_or_else(|| Error::Internal("enrolment key vanished".into()))
}

/// The tenant's current registration token, `None` before its first key; reads only.
pub async fn existing_token(
    scoped: &mut Scoped,
    secrets: &SecretBox,
    slug: &str,
) -> Result<Option<String>, Error> {
    let Some(version) = current_version(scoped).await? else {
        return Ok(None);
    };
    let key = load_key(scoped, secrets, version)
        .await?
        .ok_or_else(|| Error::Internal("enrolment key vanished".into()))?;
    Ok(Some(format!(
        "{slug}.{version}.{}",
        mac(&key, scoped.tenant(), version)
    )))
}

/// Rotates the enrolment key: every URL made before stops working. Returns the new version.
pub async fn rotate(scoped: &mut Scoped, secrets: &SecretBox, actor: &Actor) -> Result<i64, Error> {
    scoped.lock_tenant().await?;
    let before = current_version(scoped).await?.unwrap_or(0);
    let version = before + 1;
    insert_key(scoped, secrets, version).await?;
    let tenant = scoped.tenant().as_str().to_string();
    history::record(
        scoped,
        actor,
        Change::new(
            "tenant",
            &tenant,
            "enrolment_key_rotated",
            Some(&serde_json::json!({ "key_version": before })),
            Some(&serde_json::json!({ "key_version": version })),
        ),
    )
    .await?;
    Ok(version)
}

/// Checks a registration token; returns its tenant.
pub async fn verify(
    store: &Store,
    secrets: &SecretBox,
    token: &str,
) -> Result<Result<Tenant, Refusal>, Error> {
    let mut parts = token.splitn(3, '.');
    let (Some(slug), Some(version), Some(given)) = (parts.next(), parts.next(), parts.next())
    else {
        return Ok(Err(Refusal::Invalid));
    };
    let Ok(version) = version.parse::<i64>() else {
        return Ok(Err(Refusal::Invalid));
    };
    let Some(tenant) = tenants::find_by_slug(store, slug).await? else {
        return Ok(Err(Refusal::Invalid));
    };
    let mut read = store.scoped_read(&tenant.id).await?;
    let Some(key) = load_key(&mut read, secrets, version).await? else {
        return Ok(Err(Refusal::Invalid));
    };
    let expected = mac(&key, &tenant.id, version);
    if !crate::secrets::constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        return Ok(Err(Refusal::Invalid));
    }
    if current_version(&mut read).await? != Some(version) {
        return Ok(Err(Refusal::Rotated));
    }
    Ok(Ok(tenant))
}

/// What administrators do with the tenant's registration URL.
impl AsAdmin<'_> {
    /// The tenant's current registration URL (its key is generated on first use).
    pub async fn registration_url(&self) -> Result<String, Error> {
        let secrets = self.services.secrets();
        let mut scoped = self.services.store().scoped(self.tenant()).await?;
        let token = current_token(&mut scoped, secrets, &self.me.tenant_slug).await?;
        scoped.commit().await?;
        Ok(format!("{}/r/{token}", self.services.base_url()))
    }

    /// Rotates the tenant's enrolment key (every URL handed out before stops working) and
    /// returns the new registration URL.
    pub async fn rotate_registration_key(&self) -> Result<String, Error> {
        let secrets = self.services.secrets();
        let mut scoped = self.write(Permission::ManageUsers).await?;
        rotate(&mut scoped, secrets, &self.actor()).await?;
        let token = current_token(&mut scoped, secrets, &self.me.tenant_slug).await?;
        scoped.commit().await?;
        Ok(format!("{}/r/{token}", self.services.base_url()))
    }
}
