//! Apple enrolments (SPEC D1, D2): a signed-in user asks for a profile; they get a one-time
//! download link that expires after [`AppleSettings::link_minutes`]. Fetching it uses the link
//! up, issues the enrolment's device identity and returns the signed profile. A stale link (used
//! or expired) gets nothing; the portal offers a fresh one.

use crate::devices::Platform;
use crate::error::Error;
use crate::secrets::{random_token, token_hash, SecretBox};
use crate::store::{new_id, now_ms, Scoped};
use crate::tenants;

use super::pki::{serial_hex, TenantPki};
use super::profile::{self, ProfileSpec, Scope};

/// Server-wide Apple enrolment settings.
#[derive(Debug, Clone)]
pub struct AppleSettings {
    /// `https://...` base URL of the MDM endpoints (check-in and server); `None` when the
    /// server has no https URL, and no profile can be made.
    pub mdm_url: Option<String>,
    /// Lifetime of a profile download link, in minutes.
    pub link_minutes: i64,
}

/// A one-time download link's token.
pub struct ProfileLink {
    pub token: String,
    pub valid_minutes: i64,
}

/// Hands out a download link for `user_id`'s new enrolment.
pub async fn create_link(
    scoped: &mut Scoped,
    settings: &AppleSettings,
    user_id: &str,
    platform: Platform,
    scope: Scope,
) -> Result<ProfileLink, Error> {
    if platform == Platform::Android {
        return Err(Error::invalid(
            "platform",
            "Apple profiles are for ios or macos",
        ));
    }
    let scope = if platform == Platform::Ios {
        Scope::System
    } else {
        scope
    };
    let tenant = scoped.tenant().as_str().to_string();
    let token = random_token();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO apple_enrolments (id, tenant_id, user_id, platform, scope, \
         link_token_hash, link_expires_at, status, topic, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'link', $8, $9, $9)",
    )
    .bind(new_id())
    .bind(&tenant)
    .bind(user_id)
    .bind(if platform == Platform::Ios {
        "ios"
    } else {
        "macos"
    })
    .bind(scope.code())
    .bind(token_hash(&token))
    .bind(now + settings.link_minutes * 60_000)
    .bind(topic(&tenant))
    .bind(now)
    .execute(scoped.conn())
    .await?;
    Ok(ProfileLink {
        token,
        valid_minutes: settings.link_minutes,
    })
}

/// The push topic of a tenant's profiles. A tenant's APNs certificate (not handled yet) would
/// name the real one; until then the topic is stable per tenant.
fn topic(tenant_id: &str) -> String {
    format!("com.apple.mgmt.External.{tenant_id}")
}

pub enum Download {
    /// The signed `.mobileconfig` and a file name for it.
    Profile { bytes: Vec<u8>, filename: String },
    /// Used or expired.
    Stale,
}

/// Uses up a download link and makes its profile.
pub async fn download(
    scoped: &mut Scoped,
    secrets: &SecretBox,
    settings: &AppleSettings,
    link_token: &str,
) -> Result<Download, Error> {
    let Some(mdm_url) = settings.mdm_url.as_deref() else {
        return Err(Error::Config(
            "no https MDM URL is configured (CORRAL_MDM_URL)".into(),
        ));
    };
    let tenant_id = scoped.tenant().as_str().to_string();
    let now = now_ms();
    let hash = token_hash(link_token);
    let claimed = sqlx::query(
        "UPDATE apple_enrolments SET status = 'downloaded', downloaded_at = $1, updated_at = $1 \
         WHERE tenant_id = $2 AND link_token_hash = $3 AND status = 'link' \
         AND link_expires_at > $1",
    )
    .bind(now)
    .bind(&tenant_id)
    .bind(&hash)
    .execute(scoped.conn())
    .await?
    .rows_affected();
    if claimed != 1 {
        return Ok(Download::Stale);
    }
    let (id, platform, scope, topic): (String, String, String, String) = sqlx::query_as(
        "SELECT id, platform, scope, topic FROM apple_enrolments \
         WHERE tenant_id = $1 AND link_token_hash = $2",
    )
    .bind(&tenant_id)
    .bind(&hash)
    .fetch_one(scoped.conn())
    .await?;
    let tenant = tenants::current(scoped).await?;
    let pki = TenantPki::load_or_create(scoped, secrets, &tenant.name).await?;
    let password = random_token();
    let (p12, cert) = pki.issue_identity(&id, &tenant.name, &password)?;
    sqlx::query(
        "UPDATE apple_enrolments SET identity_serial = $1 WHERE tenant_id = $2 AND id = $3",
    )
    .bind(serial_hex(&cert)?)
    .bind(&tenant_id)
    .bind(&id)
    .execute(scoped.conn())
    .await?;
    let xml = profile::build(&ProfileSpec {
        tenant_slug: &tenant.slug,
        organization: &tenant.name,
        enrolment_id: &id,
        mdm_url,
        topic: &topic,
        identity_p12: p12,
        identity_password: &password,
        macos_scope: (platform == "macos").then(|| Scope::from_code(&scope)),
    });
    Ok(Download::Profile {
        bytes: pki.sign(&xml)?,
        filename: format!("{}-{platform}.mobileconfig", tenant.slug),
    })
}
