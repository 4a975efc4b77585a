//! Each tenant's APNs push certificate (issue 25): the MDM push certificate Apple issued to the
//! tenant and its private key, which the pusher presents to APNs. Its subject's UID is the
//! topic every enrolment profile names (`com.apple.mdm` payload's `Topic`) and every push is
//! sent on.
//!
//! Why the checks: a certificate for another topic cannot wake the devices that enrolled with
//! the old one (APNs refuses the topic, and the devices listen on theirs): they keep working
//! only when they poll on their own, until they enrol again. Replacing it is refused unless the
//! operator confirms, with that consequence in the message. The key is sealed with the server
//! key and never shown; the certificate's expiry is shown, and 30 days before it the owners
//! get an e-mail (the [`warn_expiring`] job), once per certificate.

use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::x509::X509;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use corral_messages as messages;

use crate::admins::Permission;
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::mail::{self, About, Message};
use crate::secrets::SecretBox;
use crate::services::AsAdmin;
use crate::store::{now_ms, Scoped, Store};
use crate::tenants::TenantId;

/// The warning comes this long before the certificate expires.
pub const WARN_BEFORE_MS: i64 = 30 * 86_400_000;
/// Apple's MDM push topics begin with this.
const MDM_TOPIC_PREFIX: &str = "com.apple.mgmt.";

/// An upload of the tenant's push certificate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushCertificateUpload {
    /// The MDM push certificate Apple issued (PEM).
    pub certificate: String,
    /// Its private key (PEM, PKCS#8 or PKCS#1, unencrypted).
    pub private_key: String,
    /// Replace a certificate even though its topic is not the one enrolled devices listen
    /// on (they then get no push until they enrol again).
    #[serde(default)]
    pub confirm_topic_change: bool,
}

/// The tenant's push certificate as administrators see it (never its key).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PushCertificate {
    /// The APNs topic (the UID of the certificate's subject).
    pub topic: String,
    /// The certificate's serial number (hex).
    pub serial: String,
    pub not_before: i64,
    pub not_after: i64,
    /// Whole days left before it expires (negative once expired).
    pub days_left: i64,
    /// Expires within 30 days: renew it at Apple (same Apple ID, same topic).
    pub expires_soon: bool,
    pub expired: bool,
    /// When the owners were told by e-mail that it expires soon.
    pub expiry_warned_at: Option<i64>,
    pub uploaded_by: String,
    pub uploaded_at: i64,
    /// Enrolled devices listening on another topic (they get no push).
    pub devices_on_other_topics: i64,
}

/// What the pusher presents to APNs.
pub struct Identity {
    pub topic: String,
    pub serial: String,
    pub pem: String,
    /// PKCS#8 PEM.
    pub key_pem: Vec<u8>,
}

/// A parsed, checked upload.
struct Parsed {
    topic: String,
    serial: String,
    pem: String,
    key_pem: Vec<u8>,
    not_before: i64,
    not_after: i64,
}

fn unix_ms(t: &Asn1TimeRef) -> Result<i64, Error> {
    let epoch = Asn1Time::from_unix(0).map_err(|e| Error::Internal(e.to_string()))?;
    let diff = epoch.diff(t).map_err(|e| Error::Internal(e.to_string()))?;
    Ok((i64::from(diff.days) * 86_400 + i64::from(diff.secs)) * 1000)
}

fn parse(upload: &PushCertificateUpload, now: i64) -> Result<Parsed, Error> {
    let cert = X509::from_pem(upload.certificate.trim().as_bytes())
        .map_err(|_| Error::invalid("certificate", "a PEM certificate"))?;
    let key = PKey::private_key_from_pem(upload.private_key.trim().as_bytes()).map_err(|_| {
        Error::invalid(
            "private_key",
            "an unencrypted PEM private key (PKCS#8 or PKCS#1)",
        )
    })?;
    let public = cert
        .public_key()
        .map_err(|_| Error::invalid("certificate", "a certificate with a public key"))?;
    if !public.public_eq(&key) {
        return Err(Error::invalid(
            "private_key",
            "is not the key of this certificate",
        ));
    }
    let topic = cert
        .subject_name()
        .entries_by_nid(Nid::USERID)
        .next()
        .and_then(|e| e.data().to_string().ok())
        .ok_or_else(|| {
            Error::invalid(
                "certificate",
                "has no UID in its subject: not an MDM push certificate from Apple",
            )
        })?;
    if !topic.starts_with(MDM_TOPIC_PREFIX) || topic.len() <= MDM_TOPIC_PREFIX.len() {
        return Err(Error::invalid(
            "certificate",
            format!("its topic {topic} is not an MDM topic ({MDM_TOPIC_PREFIX}...)"),
        ));
    }
    let not_before = unix_ms(cert.not_before())?;
    let not_after = unix_ms(cert.not_after())?;
    if not_after <= now {
        return Err(Error::invalid(
            "certificate",
            "has expired: renew it at Apple's Push Certificates Portal",
        ));
    }
    if not_before > now {
        return Err(Error::invalid("certificate", "is not valid yet"));
    }
    let serial = cert
        .serial_number()
        .to_bn()
        .and_then(|bn| bn.to_hex_str().map(|s| s.to_string()))
        .map_err(|e| Error::Internal(e.to_string()))?;
    let pem = String::from_utf8(cert.to_pem().map_err(|e| Error::Internal(e.to_string()))?)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let key_pem = key
        .private_key_to_pem_pkcs8()
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(Parsed {
        topic,
        serial,
        pem,
        key_pem,
        not_before,
        not_after,
    })
}

fn purpose(tenant: &TenantId) -> String {
    format!("apns_key:{}", tenant.as_str())
}

/// The tenant's push topic, if it has a push certificate.
pub async fn topic(scoped: &mut Scoped) -> Result<Option<String>, Error> {
    Ok(
        sqlx::query_scalar("SELECT topic FROM apple_push_certificates WHERE tenant_id = $1")
            .bind(scoped.tenant().as_str().to_string())
            .fetch_optional(scoped.conn())
            .await?,
    )
}

/// What the pusher presents for the tenant, if it has a certificate.
pub async fn current(scoped: &mut Scoped, secrets: &SecretBox) -> Result<Option<Identity>, Error> {
    let row: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT topic, serial, certificate_pem, key_sealed FROM apple_push_certificates \
         WHERE tenant_id = $1",
    )
    .bind(scoped.tenant().as_str().to_string())
    .fetch_optional(scoped.conn())
    .await?;
    let Some((topic, serial, pem, sealed)) = row else {
        return Ok(None);
    };
    let key_pem = secrets.open(&purpose(scoped.tenant()), &sealed)?;
    Ok(Some(Identity {
        topic,
        serial,
        pem,
        key_pem,
    }))
}

/// Enrolled (or enrolling) devices of the tenant listening on a topic other than `topic`.
async fn devices_on_other_topics(scoped: &mut Scoped, topic: &str) -> Result<i64, Error> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM apple_enrolments WHERE tenant_id = $1 AND topic <> $2 \
         AND status IN ('downloaded', 'authenticated', 'active')",
    )
    .bind(scoped.tenant().as_str().to_string())
    .bind(topic)
    .fetch_one(scoped.conn())
    .await?)
}

/// The tenant's push certificate, if any.
pub async fn get(scoped: &mut Scoped) -> Result<Option<PushCertificate>, Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        topic: String,
        serial: String,
        not_before: i64,
        not_after: i64,
        expiry_warned_at: Option<i64>,
        uploaded_by: String,
        uploaded_at: i64,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT topic, serial, not_before, not_after, expiry_warned_at, uploaded_by, \
         uploaded_at FROM apple_push_certificates WHERE tenant_id = $1",
    )
    .bind(scoped.tenant().as_str().to_string())
    .fetch_optional(scoped.conn())
    .await?;
    let Some(Row {
        topic,
        serial,
        not_before,
        not_after,
        expiry_warned_at,
        uploaded_by,
        uploaded_at,
    }) = row
    else {
        return Ok(None);
    };
    let now = now_ms();
    let others = devices_on_other_topics(scoped, &topic).await?;
    Ok(Some(PushCertificate {
        topic,
        serial,
        not_before,
        not_after,
        days_left: (not_after - now).div_euclid(86_400_000),
        expires_soon: not_after - now <= WARN_BEFORE_MS,
        expired: not_after <= now,
        expiry_warned_at,
        uploaded_by,
        uploaded_at,
        devices_on_other_topics: others,
    }))
}

/// What the history keeps of an upload (never the key).
#[derive(Serialize)]
struct Logged<'a> {
    topic: &'a str,
    serial: &'a str,
    not_after: i64,
}

/// Installs the tenant's push certificate, in the caller's transaction. A certificate whose
/// topic is not the one enrolled devices listen on is refused (409 `topic_change`) unless the
/// upload confirms it.
pub async fn install(
    scoped: &mut Scoped,
    secrets: &SecretBox,
    actor: &Actor,
    upload: &PushCertificateUpload,
    now: i64,
) -> Result<PushCertificate, Error> {
    let parsed = parse(upload, now)?;
    scoped.lock_tenant().await?;
    let others = devices_on_other_topics(scoped, &parsed.topic).await?;
    if others > 0 && !upload.confirm_topic_change {
        let listening: Option<String> = sqlx::query_scalar(
            "SELECT topic FROM apple_enrolments WHERE tenant_id = $1 AND topic <> $2 \
             AND status IN ('downloaded', 'authenticated', 'active') LIMIT 1",
        )
        .bind(scoped.tenant().as_str().to_string())
        .bind(&parsed.topic)
        .fetch_optional(scoped.conn())
        .await?;
        return Err(Error::Conflict {
            code: "topic_change",
            message: format!(
                "this certificate's topic is {new}, but {others} enrolled device(s) listen on \
                 {old}: with it, those devices get no push any more (commands reach them only \
                 when they contact the server on their own) until each enrols again. Renew the \
                 certificate with the same Apple ID to keep the topic, or send \
                 confirm_topic_change: true to replace it anyway",
                new = parsed.topic,
                old = listening.unwrap_or_default(),
            ),
        });
    }
    let before = get(scoped).await?;
    let tenant = scoped.tenant().as_str().to_string();
    let sealed = secrets.seal(&purpose(scoped.tenant()), &parsed.key_pem);
    sqlx::query(
        "INSERT INTO apple_push_certificates (tenant_id, topic, certificate_pem, key_sealed, \
         serial, not_before, not_after, uploaded_by, uploaded_at, expiry_warned_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL) ON CONFLICT (tenant_id) DO UPDATE SET \
         topic = excluded.topic, certificate_pem = excluded.certificate_pem, \
         key_sealed = excluded.key_sealed, serial = excluded.serial, \
         not_before = excluded.not_before, not_after = excluded.not_after, \
         uploaded_by = excluded.uploaded_by, uploaded_at = excluded.uploaded_at, \
         expiry_warned_at = NULL",
    )
    .bind(&tenant)
    .bind(&parsed.topic)
    .bind(&parsed.pem)
    .bind(sealed)
    .bind(&parsed.serial)
    .bind(parsed.not_before)
    .bind(parsed.not_after)
    .bind(actor.label())
    .bind(now)
    .execute(scoped.conn())
    .await?;
    history::record(
        scoped,
        actor,
        Change::new(
            "tenant",
            &tenant,
            "apple_push_certificate",
            before
                .as_ref()
                .map(|b| Logged {
                    topic: &b.topic,
                    serial: &b.serial,
                    not_after: b.not_after,
                })
                .as_ref(),
            Some(&Logged {
                topic: &parsed.topic,
                serial: &parsed.serial,
                not_after: parsed.not_after,
            }),
        ),
    )
    .await?;
    get(scoped)
        .await?
        .ok_or_else(|| Error::Internal("the certificate just stored".into()))
}

/// E-mails the owners of every tenant whose push certificate expires within 30 days, once per
/// certificate (a scheduled job; claimed by a conditional update, so once across processes).
/// Returns how many certificates were warned of.
pub async fn warn_expiring(store: &Store) -> Result<usize, Error> {
    let now = now_ms();
    let due: Vec<(TenantId, String)> = sqlx::query_as(
        "SELECT tenant_id, serial FROM apple_push_certificates \
         WHERE expiry_warned_at IS NULL AND not_after <= $1",
    )
    .bind(now + WARN_BEFORE_MS)
    .fetch_all(store.pool())
    .await?;
    let mut warned = 0;
    for (tenant, serial) in due {
        let mut scoped = store.scoped(&tenant).await?;
        let claimed = sqlx::query(
            "UPDATE apple_push_certificates SET expiry_warned_at = $1 \
             WHERE tenant_id = $2 AND serial = $3 AND expiry_warned_at IS NULL",
        )
        .bind(now)
        .bind(tenant.as_str())
        .bind(&serial)
        .execute(scoped.conn())
        .await?;
        if claimed.rows_affected() != 1 {
            continue;
        }
        let Some(certificate) = get(&mut scoped).await? else {
            continue;
        };
        let lang = crate::registration::settings::get(&mut scoped)
            .await?
            .language
            .lang();
        let tenant_row = crate::tenants::current(&mut scoped).await?;
        let owners: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, email FROM admins WHERE tenant_id = $1 AND role = 'owner' ORDER BY email",
        )
        .bind(tenant.as_str())
        .fetch_all(scoped.conn())
        .await?;
        let expires = chrono::DateTime::from_timestamp_millis(certificate.not_after)
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        let args = [
            ("tenant", tenant_row.name.as_str().into()),
            ("topic", certificate.topic.as_str().into()),
            ("date", expires.as_str().into()),
            ("days", certificate.days_left.max(0).into()),
        ];
        let subject = messages::format(lang, "push-expiry-subject", &args);
        let body = messages::format(lang, "push-expiry-body", &args);
        for (admin_id, email) in &owners {
            let about = About {
                kind: "push_certificate_expiry",
                object_type: "admin",
                object_id: admin_id,
            };
            let message = Message {
                to: email.clone(),
                subject: subject.clone(),
                text: format!("{body}\n"),
                html: format!("<p>{}</p>", mail::escape(&body)),
            };
            mail::enqueue(&mut scoped, about, message).await?;
        }
        scoped.commit().await?;
        tracing::info!(tenant = %tenant.as_str(), expires = %expires, "push certificate expiry warning sent");
        warned += 1;
    }
    Ok(warned)
}

impl AsAdmin<'_> {
    /// The tenant's push certificate (404 when none was uploaded).
    pub async fn push_certificate(&self) -> Result<PushCertificate, Error> {
        get(&mut self.read().await?)
            .await?
            .ok_or(Error::NotFound("push certificate"))
    }

    /// Uploads the tenant's push certificate (the permission to manage configurations).
    pub async fn upload_push_certificate(
        &self,
        upload: &PushCertificateUpload,
    ) -> Result<PushCertificate, Error> {
        let mut scoped = self.write(Permission::ManageConfigurations).await?;
        let installed = install(
            &mut scoped,
            self.services.secrets(),
            &self.actor(),
            upload,
            now_ms(),
        )
        .await?;
        scoped.commit().await?;
        Ok(installed)
    }
}
