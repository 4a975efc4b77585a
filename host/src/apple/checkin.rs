//! The MDM check-in protocol (SPEC D4): Authenticate, TokenUpdate and CheckOut messages as in
//! Apple's schemas, each authenticated by the device identity the enrolment's profile carried.
//!
//! Profiles set `SignMessage`, so every message carries an `Mdm-Signature` header: a detached
//! CMS signature of the body by the device identity. A message is accepted only when the
//! signing certificate is, byte for byte, the identity issued with one of this tenant's
//! enrolments (its SHA-256 is recorded at download), is within its validity period, and signed
//! exactly this body; when the message's topic is the enrolment's; and while the enrolment is
//! live (not cancelled or checked out, and installed within its install window).
//!
//! The signature is checked and the plist read before any database work; the message is then
//! applied in one short write transaction, so slow cryptography never holds the write lock.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use openssl::asn1::Asn1Time;
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::X509;
use plist::{Dictionary, Value};

use crate::devices::{self, Platform, Registration};
use crate::error::Error;
use crate::history::Actor;
use crate::store::{now_ms, Scoped, Store};
use crate::tenants::TenantId;

use super::enrolments::identity_fingerprint;

/// Why a check-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("the message carries no Mdm-Signature header")]
    Unsigned,
    #[error("the Mdm-Signature does not verify: {0}")]
    BadSignature(String),
    #[error("the signing identity is not a device identity of this tenant")]
    UnknownIdentity,
    #[error("the message is not a check-in plist: {0}")]
    Malformed(String),
    #[error("the message's topic is not the enrolment's")]
    WrongTopic,
    #[error(
        "the enrolment has ended (cancelled, checked out, or not installed in time); \
         download a fresh profile"
    )]
    EnrolmentEnded,
}

/// The enrolment a verified identity belongs to.
#[derive(sqlx::FromRow)]
struct Enrolment {
    id: String,
    user_id: String,
    platform: String,
    topic: String,
    status: String,
    install_deadline: Option<i64>,
    device_id: Option<String>,
    os_version: Option<String>,
    device_name: Option<String>,
    model: Option<String>,
}

/// What the device said, once verified.
pub enum Outcome {
    Authenticated,
    /// The device is registered and Active.
    Active {
        device_id: String,
    },
    /// A user-channel token (macOS user scope).
    UserChannel,
    CheckedOut,
}

/// A check-in message, read and checked against Apple's schema.
enum Message {
    Authenticate {
        udid: String,
        name: String,
        model: String,
        os_version: Option<String>,
    },
    TokenUpdate {
        token: String,
        push_magic: String,
        /// The device channel's UDID (or EnrollmentID); `None` for a user channel.
        udid: Option<String>,
    },
    CheckOut,
}

/// The signer certificate of a detached CMS signature over `body`: it must have signed exactly
/// this body and be within its validity period. Whose certificate it is, is for the caller.
fn verify_signature(signature_b64: &str, body: &[u8]) -> Result<X509, Refused> {
    let bad = |e: openssl::error::ErrorStack| Refused::BadSignature(e.to_string());
    let der = B64
        .decode(signature_b64.trim())
        .map_err(|e| Refused::BadSignature(format!("not base64: {e}")))?;
    let pkcs7 = Pkcs7::from_der(&der).map_err(bad)?;
    let none = Stack::new().map_err(bad)?;
    let signers = pkcs7.signers(&none, Pkcs7Flags::empty()).map_err(bad)?;
    let signer = match signers.iter().next() {
        Some(cert) if signers.len() == 1 => cert.to_owned(),
        _ => return Err(Refused::BadSignature("expected exactly one signer".into())),
    };
    let now = Asn1Time::days_from_now(0).map_err(bad)?;
    if signer.not_before() > now || signer.not_after() < now {
        return Err(Refused::UnknownIdentity);
    }
    // No chain building: the identity is recognised by its exact bytes instead (see the
    // module notes), which OpenSSL's S/MIME purpose rules would refuse for a
    // client-authentication certificate anyway.
    let store = X509StoreBuilder::new().map_err(bad)?.build();
    pkcs7
        .verify(
            &none,
            &store,
            Some(body),
            None,
            Pkcs7Flags::NOVERIFY | Pkcs7Flags::BINARY,
        )
        .map_err(|_| Refused::BadSignature("the signature does not match the message".into()))?;
    Ok(signer)
}

fn string(d: &Dictionary, key: &str) -> Option<String> {
    d.get(key).and_then(Value::as_string).map(str::to_string)
}

fn required(d: &Dictionary, key: &str) -> Result<String, Refused> {
    string(d, key).ok_or_else(|| Refused::Malformed(format!("{key} is required")))
}

fn device_id_of(d: &Dictionary) -> Result<String, Refused> {
    string(d, "UDID")
        .or_else(|| string(d, "EnrollmentID"))
        .ok_or_else(|| Refused::Malformed("UDID or EnrollmentID is required".into()))
}

/// Reads a check-in plist: its topic and message.
fn parse(body: &[u8]) -> Result<(String, Message), Refused> {
    let m = match Value::from_reader(std::io::Cursor::new(body)) {
        Ok(Value::Dictionary(d)) => d,
        Ok(_) => return Err(Refused::Malformed("not a dictionary".into())),
        Err(e) => return Err(Refused::Malformed(e.to_string())),
    };
    let kind = required(&m, "MessageType")?;
    let topic = required(&m, "Topic")?;
    let message = match kind.as_str() {
        "Authenticate" => {
            let name = required(&m, "DeviceName")?;
            let model = required(&m, "Model")?;
            required(&m, "ModelName")?;
            Message::Authenticate {
                udid: device_id_of(&m)?,
                name,
                model,
                os_version: string(&m, "OSVersion"),
            }
        }
        "TokenUpdate" => {
            let token = m
                .get("Token")
                .and_then(Value::as_data)
                .map(hex::encode)
                .ok_or_else(|| Refused::Malformed("Token is required".into()))?;
            let push_magic = required(&m, "PushMagic")?;
            if m.get("NotOnConsole").and_then(Value::as_boolean).is_none() {
                return Err(Refused::Malformed("NotOnConsole is required".into()));
            }
            let user_channel = m.contains_key("UserID") || m.contains_key("EnrollmentUserID");
            Message::TokenUpdate {
                token,
                push_magic,
                udid: if user_channel {
                    None
                } else {
                    Some(device_id_of(&m)?)
                },
            }
        }
        "CheckOut" => {
            device_id_of(&m)?;
            Message::CheckOut
        }
        other => return Err(Refused::Malformed(format!("unknown MessageType {other}"))),
    };
    Ok((topic, message))
}

/// Handles one check-in message for `tenant`.
pub async fn handle(
    store: &Store,
    tenant: &TenantId,
    signature: Option<&str>,
    body: &[u8],
) -> Result<Result<Outcome, Refused>, Error> {
    let Some(signature) = signature else {
        return Ok(Err(Refused::Unsigned));
    };
    let signer = match verify_signature(signature, body) {
        Ok(cert) => cert,
        Err(refused) => return Ok(Err(refused)),
    };
    let (topic, message) = match parse(body) {
        Ok(parsed) => parsed,
        Err(refused) => return Ok(Err(refused)),
    };
    let fingerprint = identity_fingerprint(&signer)?;

    let mut scoped = store.scoped(tenant).await?;
    let Some(enrolment) = enrolment_of(&mut scoped, &fingerprint).await? else {
        return Ok(Err(Refused::UnknownIdentity));
    };
    if topic != enrolment.topic {
        return Ok(Err(Refused::WrongTopic));
    }
    let now = now_ms();
    let live = match enrolment.status.as_str() {
        "active" => true,
        "downloaded" | "authenticated" => enrolment.install_deadline.is_some_and(|d| d > now),
        _ => false,
    };
    if !live {
        return Ok(Err(Refused::EnrolmentEnded));
    }
    let outcome = match message {
        Message::Authenticate {
            udid,
            name,
            model,
            os_version,
        } => authenticate(&mut scoped, &enrolment, now, udid, name, model, os_version).await?,
        Message::TokenUpdate {
            token, udid: None, ..
        } => user_channel(&mut scoped, &enrolment, now, token).await?,
        Message::TokenUpdate {
            token,
            push_magic,
            udid: Some(udid),
        } => token_update(&mut scoped, &enrolment, now, udid, token, push_magic).await?,
        Message::CheckOut => check_out(&mut scoped, &enrolment, now).await?,
    };
    scoped.commit().await?;
    Ok(Ok(outcome))
}

async fn enrolment_of(scoped: &mut Scoped, fingerprint: &str) -> Result<Option<Enrolment>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    Ok(sqlx::query_as::<_, Enrolment>(
        "SELECT id, user_id, platform, topic, status, install_deadline, device_id, os_version, \
         device_name, model FROM apple_enrolments WHERE tenant_id = $1 AND identity_sha256 = $2",
    )
    .bind(tenant)
    .bind(fingerprint)
    .fetch_optional(scoped.conn())
    .await?)
}

async fn authenticate(
    scoped: &mut Scoped,
    enrolment: &Enrolment,
    now: i64,
    udid: String,
    name: String,
    model: String,
    os_version: Option<String>,
) -> Result<Outcome, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query(
        "UPDATE apple_enrolments SET status = CASE WHEN status = 'downloaded' \
         THEN 'authenticated' ELSE status END, udid = $1, device_name = $2, model = $3, \
         os_version = $4, checked_in_at = $5, updated_at = $5 WHERE tenant_id = $6 AND id = $7",
    )
    .bind(udid)
    .bind(name)
    .bind(model)
    .bind(os_version.unwrap_or_else(|| "unknown".into()))
    .bind(now)
    .bind(tenant)
    .bind(&enrolment.id)
    .execute(scoped.conn())
    .await?;
    Ok(Outcome::Authenticated)
}

async fn user_channel(
    scoped: &mut Scoped,
    enrolment: &Enrolment,
    now: i64,
    token: String,
) -> Result<Outcome, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query(
        "UPDATE apple_enrolments SET user_push_token = $1, checked_in_at = $2, \
         updated_at = $2 WHERE tenant_id = $3 AND id = $4",
    )
    .bind(token)
    .bind(now)
    .bind(&tenant)
    .bind(&enrolment.id)
    .execute(scoped.conn())
    .await?;
    Ok(Outcome::UserChannel)
}

async fn token_update(
    scoped: &mut Scoped,
    enrolment: &Enrolment,
    now: i64,
    udid: String,
    token: String,
    push_magic: String,
) -> Result<Outcome, Error> {
    let platform = if enrolment.platform == "macos" {
        Platform::Macos
    } else {
        Platform::Ios
    };
    // The first TokenUpdate registers the device; later ones (token refreshes) only store the
    // new token.
    let device_id = match &enrolment.device_id {
        Some(id) => id.clone(),
        None => {
            let device = devices::register(
                scoped,
                &Actor::System,
                Registration {
                    platform,
                    hardware_id: udid,
                    os_version: enrolment
                        .os_version
                        .clone()
                        .unwrap_or_else(|| "unknown".into()),
                    name: enrolment
                        .device_name
                        .clone()
                        .unwrap_or_else(|| "Apple device".into()),
                    model: enrolment.model.clone().unwrap_or_else(|| "unknown".into()),
                    user_id: Some(enrolment.user_id.clone()),
                },
            )
            .await?;
            device.id
        }
    };
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query(
        "UPDATE apple_enrolments SET status = 'active', device_id = $1, push_token = $2, \
         push_magic = $3, next_reminder_at = NULL, checked_in_at = $4, updated_at = $4 \
         WHERE tenant_id = $5 AND id = $6",
    )
    .bind(&device_id)
    .bind(token)
    .bind(push_magic)
    .bind(now)
    .bind(&tenant)
    .bind(&enrolment.id)
    .execute(scoped.conn())
    .await?;
    Ok(Outcome::Active { device_id })
}

async fn check_out(scoped: &mut Scoped, enrolment: &Enrolment, now: i64) -> Result<Outcome, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query(
        "UPDATE apple_enrolments SET status = 'checked_out', next_reminder_at = NULL, \
         checked_in_at = $1, updated_at = $1 WHERE tenant_id = $2 AND id = $3",
    )
    .bind(now)
    .bind(&tenant)
    .bind(&enrolment.id)
    .execute(scoped.conn())
    .await?;
    if let Some(device_id) = &enrolment.device_id {
        devices::disable_mdm_if_live(scoped, device_id).await?;
    }
    Ok(Outcome::CheckedOut)
}
