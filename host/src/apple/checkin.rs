//! The MDM check-in protocol (SPEC D4): Authenticate, TokenUpdate and CheckOut messages as in
//! Apple's schemas, each authenticated by the device identity the enrolment's profile carried.
//!
//! Profiles set `SignMessage`, so every message carries an `Mdm-Signature` header: a detached
//! CMS signature of the body by the device identity. A message is accepted only when that
//! certificate was issued by this tenant's CA, is the identity of one of this tenant's
//! enrolments, and signed exactly this body; and when the message's topic is the enrolment's.
//! Anything else is refused before the message is read further.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use openssl::asn1::Asn1Time;
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::X509;
use plist::{Dictionary, Value};

use crate::devices::{self, Action, Platform, Registration};
use crate::error::Error;
use crate::history::Actor;
use crate::secrets::SecretBox;
use crate::store::{now_ms, Scoped};

use super::pki::{serial_hex, TenantPki};

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
}

/// The enrolment a verified identity belongs to.
struct Enrolment {
    id: String,
    user_id: String,
    platform: String,
    topic: String,
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

/// The signer certificate of a detached CMS signature over `body`: it must have signed exactly
/// this body, and have been issued by `pki`'s CA and be within its validity period.
fn verify_signature(signature_b64: &str, body: &[u8], pki: &TenantPki) -> Result<X509, Refused> {
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
    // The chain is one step (tenant CA -> identity), checked here rather than by OpenSSL's
    // S/MIME purpose rules, which a client-authentication identity does not meet.
    if !pki.issued(&signer) {
        return Err(Refused::UnknownIdentity);
    }
    let now = Asn1Time::days_from_now(0).map_err(bad)?;
    if signer.not_before() > now || signer.not_after() < now {
        return Err(Refused::UnknownIdentity);
    }
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Handles one check-in message for the tenant of `scoped`.
pub async fn handle(
    scoped: &mut Scoped,
    secrets: &SecretBox,
    signature: Option<&str>,
    body: &[u8],
) -> Result<Result<Outcome, Refused>, Error> {
    let Some(signature) = signature else {
        return Ok(Err(Refused::Unsigned));
    };
    let Some(pki) = TenantPki::load(scoped, secrets).await? else {
        // A tenant without a PKI has issued no identity.
        return Ok(Err(Refused::UnknownIdentity));
    };
    let signer = match verify_signature(signature, body, &pki) {
        Ok(cert) => cert,
        Err(refused) => return Ok(Err(refused)),
    };
    let Some(enrolment) = enrolment_of(scoped, &serial_hex(&signer)?).await? else {
        return Ok(Err(Refused::UnknownIdentity));
    };
    let message = match Value::from_reader(std::io::Cursor::new(body)) {
        Ok(Value::Dictionary(d)) => d,
        Ok(_) => return Ok(Err(Refused::Malformed("not a dictionary".into()))),
        Err(e) => return Ok(Err(Refused::Malformed(e.to_string()))),
    };
    let kind = match required(&message, "MessageType") {
        Ok(k) => k,
        Err(r) => return Ok(Err(r)),
    };
    match string(&message, "Topic") {
        Some(topic) if topic == enrolment.topic => {}
        Some(_) => return Ok(Err(Refused::WrongTopic)),
        None => return Ok(Err(Refused::Malformed("Topic is required".into()))),
    }
    let outcome = match kind.as_str() {
        "Authenticate" => authenticate(scoped, &enrolment, &message).await?,
        "TokenUpdate" => token_update(scoped, &enrolment, &message).await?,
        "CheckOut"
            if string(&message, "UDID")
                .or_else(|| string(&message, "EnrollmentID"))
                .is_none() =>
        {
            Err(Refused::Malformed(
                "UDID or EnrollmentID is required".into(),
            ))
        }
        "CheckOut" => check_out(scoped, &enrolment).await?,
        other => Err(Refused::Malformed(format!("unknown MessageType {other}"))),
    };
    Ok(outcome)
}

async fn enrolment_of(scoped: &mut Scoped, serial: &str) -> Result<Option<Enrolment>, Error> {
    type Row = (
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let tenant = scoped.tenant().as_str().to_string();
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, user_id, platform, topic, device_id, os_version, device_name, model \
         FROM apple_enrolments WHERE tenant_id = $1 AND identity_serial = $2",
    )
    .bind(tenant)
    .bind(serial)
    .fetch_optional(scoped.conn())
    .await?;
    Ok(row.map(
        |(id, user_id, platform, topic, device_id, os_version, device_name, model)| Enrolment {
            id,
            user_id,
            platform,
            topic,
            device_id,
            os_version,
            device_name,
            model,
        },
    ))
}

async fn authenticate(
    scoped: &mut Scoped,
    enrolment: &Enrolment,
    m: &Dictionary,
) -> Result<Result<Outcome, Refused>, Error> {
    let (name, model) = match (required(m, "DeviceName"), required(m, "Model")) {
        (Ok(n), Ok(model)) => (n, model),
        (Err(r), _) | (_, Err(r)) => return Ok(Err(r)),
    };
    if let Err(r) = required(m, "ModelName") {
        return Ok(Err(r));
    }
    let Some(udid) = string(m, "UDID").or_else(|| string(m, "EnrollmentID")) else {
        return Ok(Err(Refused::Malformed(
            "UDID or EnrollmentID is required".into(),
        )));
    };
    let tenant = scoped.tenant().as_str().to_string();
    let now = now_ms();
    sqlx::query(
        "UPDATE apple_enrolments SET status = CASE WHEN status = 'downloaded' \
         THEN 'authenticated' ELSE status END, udid = $1, device_name = $2, model = $3, \
         os_version = $4, checked_in_at = $5, updated_at = $5 WHERE tenant_id = $6 AND id = $7",
    )
    .bind(udid)
    .bind(name)
    .bind(model)
    .bind(string(m, "OSVersion").unwrap_or_else(|| "unknown".into()))
    .bind(now)
    .bind(tenant)
    .bind(&enrolment.id)
    .execute(scoped.conn())
    .await?;
    Ok(Ok(Outcome::Authenticated))
}

async fn token_update(
    scoped: &mut Scoped,
    enrolment: &Enrolment,
    m: &Dictionary,
) -> Result<Result<Outcome, Refused>, Error> {
    let Some(token) = m.get("Token").and_then(Value::as_data).map(hex) else {
        return Ok(Err(Refused::Malformed("Token is required".into())));
    };
    let push_magic = match required(m, "PushMagic") {
        Ok(p) => p,
        Err(r) => return Ok(Err(r)),
    };
    if m.get("NotOnConsole").and_then(Value::as_boolean).is_none() {
        return Ok(Err(Refused::Malformed("NotOnConsole is required".into())));
    }
    let tenant = scoped.tenant().as_str().to_string();
    let now = now_ms();
    if m.contains_key("UserID") || m.contains_key("EnrollmentUserID") {
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
        return Ok(Ok(Outcome::UserChannel));
    }
    let Some(udid) = string(m, "UDID").or_else(|| string(m, "EnrollmentID")) else {
        return Ok(Err(Refused::Malformed(
            "UDID or EnrollmentID is required".into(),
        )));
    };
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
    sqlx::query(
        "UPDATE apple_enrolments SET status = 'active', device_id = $1, push_token = $2, \
         push_magic = $3, checked_in_at = $4, updated_at = $4 WHERE tenant_id = $5 AND id = $6",
    )
    .bind(&device_id)
    .bind(token)
    .bind(push_magic)
    .bind(now)
    .bind(&tenant)
    .bind(&enrolment.id)
    .execute(scoped.conn())
    .await?;
    Ok(Ok(Outcome::Active { device_id }))
}

async fn check_out(
    scoped: &mut Scoped,
    enrolment: &Enrolment,
) -> Result<Result<Outcome, Refused>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let now = now_ms();
    sqlx::query(
        "UPDATE apple_enrolments SET status = 'checked_out', checked_in_at = $1, \
         updated_at = $1 WHERE tenant_id = $2 AND id = $3",
    )
    .bind(now)
    .bind(&tenant)
    .bind(&enrolment.id)
    .execute(scoped.conn())
    .await?;
    if let Some(device_id) = &enrolment.device_id {
        match devices::apply(scoped, &Actor::System, device_id, Action::DisableMdm).await {
            // Deleted or archived meanwhile: nothing left to disable.
            Ok(_) | Err(Error::NotFound(_)) | Err(Error::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Ok(Outcome::CheckedOut))
}
