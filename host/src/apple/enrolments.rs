//! Apple enrolments (SPEC D1, D2): a signed-in user asks for a profile; they get a one-time
//! download link that expires after [`AppleSettings::link_minutes`]. Fetching it uses the link
//! up, issues the enrolment's device identity and returns the signed profile. A stale link (used
//! or expired) gets nothing; the portal offers a fresh one.

use crate::devices::Platform;
use crate::error::Error;
use crate::expiring_tokens::{self, Kind, Value};
use crate::secrets::{random_token, token_hash, SecretBox};
use crate::store::batch::{Batch, Batcher, Placeholders};
use crate::store::{new_id, now_ms, Scoped, Store};
use crate::tenants::TenantId;

use super::pki::TenantPki;
use super::profile::{self, ProfileSpec, Scope};

/// Download links: an enrolment row is a record beyond its link, so expired ones stay.
const LINKS: Kind = Kind {
    table: "apple_enrolments",
    hash_column: "link_token_hash",
    expires_column: "link_expires_at",
    purge_expired: false,
};

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
    /// How devices are woken (APNs).
    pub push: super::push::PushSettings,
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
            push: super::push::PushSettings::defaults(super::push::APNS_URL),
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
    let platform = if platform == Platform::Ios {
        "ios"
    } else {
        "macos"
    };
    let columns = vec![
        ("id", Value::Text(new_id())),
        ("user_id", Value::Text(user_id.to_string())),
        ("platform", Value::Text(platform.into())),
        ("scope", Value::Text(scope.code().into())),
        ("status", Value::Text("link".into())),
        ("topic", Value::Text(topic(scoped).await?)),
        ("updated_at", Value::IssuedAt),
    ];
    let lifetime = settings.link_minutes * 60_000;
    let token = expiring_tokens::issue(scoped, LINKS, lifetime, columns).await?;
    Ok(ProfileLink {
        token,
        valid_minutes: settings.link_minutes,
    })
}

/// The push topic of a tenant's profiles: its APNs push certificate's; until one is uploaded,
/// a placeholder stable per tenant (such devices get no push until they enrol again).
async fn topic(scoped: &mut Scoped) -> Result<String, Error> {
    Ok(match super::push_certificate::topic(scoped).await? {
        Some(topic) => topic,
        None => format!("com.apple.mgmt.External.{}", scoped.tenant().as_str()),
    })
}

pub enum Download {
    /// The signed `.mobileconfig` and a file name for it.
    Profile { bytes: Vec<u8>, filename: String },
    /// Used or expired.
    Stale,
}

/// Profile downloads: the link is read, the cryptography done, then the link is claimed; the
/// read and the claim each together with the other downloads of the moment (see
/// [`crate::store::batch`]). Cheap to clone.
#[derive(Clone)]
pub struct Downloads {
    links: Batcher<LinkBatch>,
    claims: Batcher<ClaimBatch>,
    secrets: SecretBox,
    settings: AppleSettings,
}

/// What a fetched link stands for, read in one statement.
#[derive(sqlx::FromRow, Clone)]
struct LinkRow {
    tenant_id: String,
    link_token_hash: String,
    status: String,
    link_expires_at: i64,
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
            links: Batcher::new(store.clone(), LinkBatch),
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
        let Some(link) = self.links.submit(tenant_id, token_hash(link_token)).await? else {
            return Ok(Download::Stale);
        };
        let cached = link
            .pki_version
            .as_deref()
            .and_then(|version| TenantPki::cached(tenant_id, version));
        let pki = match cached {
            Some(pki) => pki,
            None => {
                TenantPki::load_or_create(store, tenant_id, &self.secrets, &link.tenant_name)
                    .await?
            }
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

/// Reads download links in batches, on the writer's connection: its page cache is current,
/// where a reader's is dropped by every commit of the claims. Outputs each link if it is
/// unused and unexpired.
struct LinkBatch;

impl Batch for LinkBatch {
    /// The hash of the link's token.
    type Item = String;
    type Output = Option<LinkRow>;

    async fn apply(
        &self,
        scoped: &mut Scoped,
        hashes: &[String],
    ) -> Result<Vec<Option<LinkRow>>, Error> {
        let sql = links_sql(Placeholders::new(scoped), hashes.len());
        let mut query = sqlx::query_as::<_, LinkRow>(&sql);
        for hash in hashes {
            query = query.bind(hash.clone());
        }
        let (tenant, now) = (scoped.tenant().as_str().to_string(), now_ms());
        let found: std::collections::HashMap<String, LinkRow> = query
            .fetch_all(scoped.conn())
            .await?
            .into_iter()
            .filter(|row| {
                row.tenant_id == tenant && row.status == "link" && row.link_expires_at > now
            })
            .map(|row| (row.link_token_hash.clone(), row))
            .collect();
        Ok(hashes.iter().map(|h| found.get(h).cloned()).collect())
    }
}

/// The links of `n` token hashes, found through the (global) unique index of token hashes.
/// The tenant, status and expiry are checked on the rows: given as conditions, they let
/// SQLite's planner prefer the tenant or status index from three hashes on, and read every
/// unused link of the tenant for each batch. (Another tenant's link would fail its claim
/// anyway: checking the tenant spares making its profile.)
fn links_sql(mut p: Placeholders, n: usize) -> String {
    format!(
        "SELECT e.tenant_id, e.link_token_hash, e.status, e.link_expires_at, e.id, e.platform, \
         e.scope, e.topic, t.slug AS tenant_slug, t.name AS tenant_name, \
         p.signer_key_sealed AS pki_version \
         FROM apple_enrolments e JOIN tenants t ON t.id = e.tenant_id \
         LEFT JOIN apple_pki p ON p.tenant_id = e.tenant_id \
         WHERE e.link_token_hash IN ({})",
        p.list(n)
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Actor;
    use crate::users::{self, NewUser};

    /// A tenant with one user, and `n` fresh download links of that user.
    async fn tenant_with_links(store: &Store, slug: &str, n: usize) -> (TenantId, Vec<String>) {
        let tenant = crate::tenants::create(store, &Actor::Operator, slug, slug)
            .await
            .unwrap();
        let new = users::prepare(NewUser {
            email: format!("pat@{slug}.example"),
            first_name: "Pat".into(),
            last_name: "Roe".into(),
            password: None,
        })
        .await
        .unwrap();
        let mut scoped = store.scoped(&tenant.id).await.unwrap();
        let user = users::create(&mut scoped, &Actor::Operator, new)
            .await
            .unwrap();
        let settings = AppleSettings::new(Some("https://mdm.example".into()));
        let mut links = Vec::new();
        for _ in 0..n {
            let link = create_link(
                &mut scoped,
                &settings,
                &user.id,
                Platform::Ios,
                Scope::System,
            )
            .await
            .unwrap();
            links.push(link.token);
        }
        scoped.commit().await.unwrap();
        (tenant.id, links)
    }

    /// A batch of links is read through the token-hash index whatever its size, not by
    /// reading the tenant's or every unused link (the planner took the status index from three
    /// hashes on when the status was a condition of the statement).
    #[tokio::test]
    async fn a_batch_reads_only_its_own_links() {
        for (n, plan) in crate::store::batch::plans_by_batch_size(links_sql).await {
            assert!(
                plan.iter()
                    .any(|step| step.starts_with("SEARCH e ")
                        && step.contains("(link_token_hash=?)")),
                "{n} links: {plan:?}"
            );
        }
    }

    /// Links read together in one batch each get their own answer: a profile for a fresh link
    /// of the tenant, nothing for another tenant's link or an unknown one, and nothing the
    /// second time.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_download_gets_its_own_link_and_only_in_its_tenant() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("links.db").display());
        let store = Store::connect(&url, 2).await.unwrap();
        store.migrate().await.unwrap();
        let (acme, acme_links) = tenant_with_links(&store, "acme", 3).await;
        let (_, globex_links) = tenant_with_links(&store, "globex", 1).await;
        let downloads = Downloads::new(
            store,
            SecretBox::from_key(&[7; 32]),
            AppleSettings::new(Some("https://mdm.example".into())),
        );

        let mut asked = acme_links.clone();
        asked.push(globex_links[0].clone());
        asked.push("not-a-link".into());
        let fetches = asked.iter().map(|link| {
            let (downloads, acme, link) = (downloads.clone(), acme.clone(), link.clone());
            tokio::spawn(async move { downloads.fetch(&acme, &link).await.unwrap() })
        });
        let mut got = Vec::new();
        for fetch in fetches {
            got.push(match fetch.await.unwrap() {
                Download::Profile { filename, .. } => Some(filename),
                Download::Stale => None,
            });
        }
        let profile = Some("acme-ios.mobileconfig".to_string());
        assert_eq!(got, [profile.clone(), profile.clone(), profile, None, None]);
        for link in &acme_links {
            assert!(matches!(
                downloads.fetch(&acme, link).await.unwrap(),
                Download::Stale
            ));
        }
    }
}
