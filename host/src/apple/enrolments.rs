//! Apple enrolments (SPEC D1, D2): a signed-in user asks for a profile; they get a one-time
//! download link that expires after [`AppleSettings::link_minutes`]. Fetching it uses the link
//! up, issues the enrolment's device identity and returns the signed profile. A stale link (used
//! or expired) gets nothing; the portal offers a fresh one.

use crate::devices::Platform;
use crate::error::Error;
use crate::secrets::{random_token, token_hash, SecretBox};
use crate::store::batch::{Batch, Batcher, Placeholders};
use crate::store::{new_id, now_ms, Scoped, Store};
use crate::tenants::TenantId;

use super::pki::TenantPki;
use super::profile::{self, ProfileSpec, Scope};

/// Server-wide Apple enrolment settings.
#[derive(Debug, Clone)]
pub struct AppleSettings {
    /// `https://...` base URL of the MDM endpoints (check-in and server); `None` when the
    /// server has no https URL, and no profile can be made.
    pub mdm_url: Option<String>,
    /// Lifetime of a profile download link, in minutes.
    pub link_minutes: i64,
    /// Time to install a downloaded profile (Authenticate and TokenUpdate), in seconds;
    /// afterwards the enrolment is cancelled.
    pub install_secs: i64,
    /// Interval of reminders to a user who downloaded a profile and did not finish, seconds.
    pub reminder_every_secs: i64,
    /// How long after the download reminders go on, in days.
    pub remind_days: i64,
}

impl AppleSettings {
    /// Defaults for everything but the MDM URL.
    pub fn new(mdm_url: Option<String>) -> AppleSettings {
        AppleSettings {
            mdm_url,
            link_minutes: 5,
            install_secs: 600,
            reminder_every_secs: 86_400,
            remind_days: 7,
        }
    }
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

/// Profile downloads: one read, the cryptography, then the link is claimed, together with the
/// other downloads of the moment (see [`crate::store::batch`]). Cheap to clone.
#[derive(Clone)]
pub struct Downloads {
    claims: Batcher<ClaimBatch>,
    secrets: SecretBox,
    settings: AppleSettings,
}

/// What a fetched link stands for, read in one statement.
#[derive(sqlx::FromRow)]
struct LinkRow {
    id: String,
    platform: String,
    scope: String,
    topic: String,
    tenant_slug: String,
    tenant_name: String,
    /// The stored PKI's version (see [`TenantPki::cached`]); `None` before the first profile.
    pki_version: Option<String>,
}

impl Downloads {
    pub fn new(store: Store, secrets: SecretBox, settings: AppleSettings) -> Downloads {
        Downloads {
            claims: Batcher::new(store, ClaimBatch(settings.clone())),
            secrets,
            settings,
        }
    }

    /// Uses up a download link and makes its profile.
    ///
    /// The slow part (a new key pair, the identity certificate, PKCS #12, the CMS signature)
    /// runs outside any write transaction: the link is read first, the profile made, and then
    /// the link is claimed by a conditional UPDATE, which also records the identity. Of two
    /// concurrent downloads of one link, exactly one claim succeeds; the other gets
    /// [`Download::Stale`].
    pub async fn fetch(&self, tenant_id: &TenantId, link_token: &str) -> Result<Download, Error> {
        let Some(mdm_url) = self.settings.mdm_url.as_deref() else {
            return Err(Error::Config(
                "no https MDM URL is configured (CORRAL_MDM_URL)".into(),
            ));
        };
        let store = self.claims.store();
        let mut reader = store.reader(tenant_id).await?;
        let row: Option<LinkRow> = sqlx::query_as(
            "SELECT e.id, e.platform, e.scope, e.topic, t.slug AS tenant_slug, \
             t.name AS tenant_name, p.signer_key_sealed AS pki_version \
             FROM apple_enrolments e JOIN tenants t ON t.id = e.tenant_id \
             LEFT JOIN apple_pki p ON p.tenant_id = e.tenant_id \
             WHERE e.tenant_id = $1 AND e.link_token_hash = $2 AND e.status = 'link' \
             AND e.link_expires_at > $3",
        )
        .bind(tenant_id.as_str())
        .bind(token_hash(link_token))
        .bind(now_ms())
        .fetch_optional(reader.conn())
        .await?;
        let Some(link) = row else {
            return Ok(Download::Stale);
        };
        let cached = link
            .pki_version
            .as_deref()
            .and_then(|version| TenantPki::cached(tenant_id, version));
        let pki = match cached {
            Some(pki) => pki,
            None => match TenantPki::load(&mut reader, &self.secrets).await? {
                Some(pki) => pki,
                None => {
                    drop(reader);
                    let mut scoped = store.scoped(tenant_id).await?;
                    let pki =
                        TenantPki::load_or_create(&mut scoped, &self.secrets, &link.tenant_name)
                            .await?;
                    scoped.commit().await?;
                    pki
                }
            },
        };

        // The cryptography runs on a blocking thread, away from the runtime workers that
        // the batched writes need to make progress.
        let made = {
            let mdm_url = mdm_url.to_string();
            let (id, topic) = (link.id.clone(), link.topic.clone());
            let (slug, name) = (link.tenant_slug.clone(), link.tenant_name.clone());
            let macos_scope = (link.platform == "macos").then(|| Scope::from_code(&link.scope));
            tokio::task::spawn_blocking(move || -> Result<_, Error> {
                let password = random_token();
                let identity = pki.issue_identity(&id, &name, &password)?;
                let xml = profile::build(&ProfileSpec {
                    tenant_slug: &slug,
                    organization: &name,
                    enrolment_id: &id,
                    mdm_url: &mdm_url,
                    topic: &topic,
                    identity_p12: identity.p12,
                    identity_password: &password,
                    macos_scope,
                });
                Ok((pki.sign(&xml)?, identity.fingerprint, identity.serial_hex))
            })
            .await
            .map_err(|e| Error::Internal(format!("profile signing: {e}")))?
        };
        let (signed, fingerprint, serial) = made?;
        let claim = Claim {
            enrolment_id: link.id,
            serial,
            fingerprint,
        };
        if !self.claims.submit(tenant_id, claim).await? {
            return Ok(Download::Stale);
        }
        Ok(Download::Profile {
            bytes: signed,
            filename: format!("{}-{}.mobileconfig", link.tenant_slug, link.platform),
        })
    }
}

/// A made profile's claim on its link, with the identity it carries.
pub struct Claim {
    enrolment_id: String,
    serial: String,
    fingerprint: String,
}

/// Claims links in batches: one UPDATE for all, each row only while its link is unused and
/// unexpired. Outputs whether each claim succeeded.
struct ClaimBatch(AppleSettings);

impl Batch for ClaimBatch {
    type Item = Claim;
    type Output = bool;

    async fn apply(&self, scoped: &mut Scoped, claims: &[Claim]) -> Result<Vec<bool>, Error> {
        // Two downloads of one link in one batch: the first one's claim is tried, the others
        // are stale.
        let mut seen = std::collections::HashSet::new();
        let first: Vec<bool> = claims
            .iter()
            .map(|c| seen.insert(c.enrolment_id.as_str()))
            .collect();
        let tried: Vec<&Claim> = claims
            .iter()
            .zip(&first)
            .filter_map(|(c, first)| first.then_some(c))
            .collect();
        let settings = &self.0;
        let now = now_ms();
        let mut p = Placeholders::new(scoped);
        let sql = format!(
            "UPDATE apple_enrolments SET status = 'downloaded', downloaded_at = {}, \
             updated_at = {}, identity_serial = v.column2, identity_sha256 = v.column3, \
             install_deadline = {}, next_reminder_at = {}, remind_until = {} \
             FROM (VALUES {}) AS v \
             WHERE apple_enrolments.tenant_id = {} AND apple_enrolments.id = v.column1 \
             AND apple_enrolments.status = 'link' AND apple_enrolments.link_expires_at > {} \
             RETURNING apple_enrolments.id",
            p.next(),
            p.next(),
            p.next(),
            p.next(),
            p.next(),
            p.rows(tried.len(), 3),
            p.next(),
            p.next()
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql)
            .bind(now)
            .bind(now)
            .bind(now + settings.install_secs * 1000)
            .bind(now + settings.reminder_every_secs * 1000)
            .bind(now + settings.remind_days * 86_400_000);
        for claim in &tried {
            query = query
                .bind(claim.enrolment_id.clone())
                .bind(claim.serial.clone())
                .bind(claim.fingerprint.clone());
        }
        let query = query.bind(scoped.tenant().as_str().to_string()).bind(now);
        let claimed: std::collections::HashSet<String> =
            query.fetch_all(scoped.conn()).await?.into_iter().collect();
        Ok(claims
            .iter()
            .zip(first)
            .map(|(c, first)| first && claimed.contains(&c.enrolment_id))
            .collect())
    }
}
