//! The MDM check-in protocol (SPEC D4): Authenticate, TokenUpdate and CheckOut messages as in
//! Apple's schemas, each authenticated by the device identity the enrolment's profile carried.
//!
//! Profiles set `SignMessage`, so every message carries an `Mdm-Signature` header: a detached
//! CMS signature of the body by the device identity. A message is accepted only when it was
//! signed, over exactly this body, with the key of the identity issued with one of this
//! tenant's enrolments (the SHA-256 of its public key is recorded at download), by a
//! certificate within its validity period; when the message's topic is the enrolment's; and while the enrolment is
//! live (not cancelled or checked out, and installed within its install window).
//!
//! The signature is checked and the plist read before any database work; the message is then
//! written in one short transaction, together with the check-ins that arrived meanwhile (group
//! commit, [`crate::store::batch`]), so slow cryptography never holds the write lock.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use cryptographic_message_syntax::SignedData;
use plist::{Dictionary, Value};
use sha2::{Digest, Sha256};

use crate::devices::{self, Platform, Registration};
use crate::error::Error;
use crate::history::Actor;
use crate::store::batch::{Batch, Batcher, Placeholders};
use crate::store::{now_ms, Scoped, Store};
use crate::tenants::TenantId;

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
#[derive(Clone, sqlx::FromRow)]
struct Enrolment {
    id: String,
    identity_sha256: Option<String>,
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

const ENROLMENT_COLUMNS: &str = "id, identity_sha256, user_id, platform, topic, status, \
    install_deadline, device_id, os_version, device_name, model";

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

/// The identity that made a detached CMS signature over `body`, as the SHA-256 (hex) of its
/// public key: the signature must be by exactly one signer, over exactly this body (the
/// message-digest attribute when there are signed attributes), with a certificate carried in
/// the signature and within its validity period. Whose key it is, is for the caller.
///
/// Parsing and verification are pure Rust (`cryptographic-message-syntax`, `ring`): this runs
/// for every message a device sends, and OpenSSL 3's per-call decoder and lock overhead was
/// most of a check-in's cost.
pub(super) fn verify_signature(signature_b64: &str, body: &[u8]) -> Result<String, Refused> {
    let bad = |what: &str| Refused::BadSignature(what.to_string());
    let der = B64
        .decode(signature_b64.trim())
        .map_err(|e| Refused::BadSignature(format!("not base64: {e}")))?;
    let signed = SignedData::parse_ber(&der).map_err(|e| Refused::BadSignature(e.to_string()))?;
    let mut signers = signed.signers();
    let (Some(signer), None) = (signers.next(), signers.next()) else {
        return Err(bad("expected exactly one signer"));
    };
    let (issuer, serial) = signer
        .certificate_issuer_and_serial()
        .ok_or_else(|| bad("the signer is not named by issuer and serial number"))?;
    let cert = signed
        .certificates()
        .find(|c| c.serial_number_asn1() == serial && c.issuer_name() == issuer)
        .ok_or_else(|| bad("the signer's certificate is not in the signature"))?;
    if !cert.time_constraints_valid(None) {
        return Err(Refused::UnknownIdentity);
    }
    if signer.signed_attributes().is_some() {
        signer
            .verify_message_digest_with_content(body)
            .map_err(|_| bad("the signature does not match the message"))?;
    }
    signer
        .verify_signature_with_signed_data_and_content(&signed, &signer.signed_content(Some(body)))
        .map_err(|_| bad("the signature does not match the message"))?;
    Ok(hex::encode(Sha256::digest(cert.public_key_data())))
}

pub(super) fn string(d: &Dictionary, key: &str) -> Option<String> {
    d.get(key).and_then(Value::as_string).map(str::to_string)
}

fn required(d: &Dictionary, key: &str) -> Result<String, Refused> {
    string(d, key).ok_or_else(|| Refused::Malformed(format!("{key} is required")))
}

pub(super) fn device_id_of(d: &Dictionary) -> Result<String, Refused> {
    string(d, "UDID")
        .or_else(|| string(d, "EnrollmentID"))
        .ok_or_else(|| Refused::Malformed("UDID or EnrollmentID is required".into()))
}

/// The plist dictionary a device sent (XML or binary).
pub(super) fn dictionary(body: &[u8]) -> Result<Dictionary, Refused> {
    match Value::from_reader(std::io::Cursor::new(body)) {
        Ok(Value::Dictionary(d)) => Ok(d),
        Ok(_) => Err(Refused::Malformed("not a dictionary".into())),
        Err(e) => Err(Refused::Malformed(e.to_string())),
    }
}

/// Reads a check-in plist: its topic and message.
fn parse(body: &[u8]) -> Result<(String, Message), Refused> {
    let m = dictionary(body)?;
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

/// A check-in whose signature was verified and whose plist was read: what is left is database
/// work.
pub struct Verified {
    fingerprint: String,
    topic: String,
    message: Message,
}

/// The check-in endpoint. Signatures are checked by each request on its own; the database
/// work of check-ins that arrive together is written in one batch (see [`crate::store::batch`]).
#[derive(Clone)]
pub struct CheckIns {
    batcher: Batcher<CheckInBatch>,
}

impl CheckIns {
    pub fn new(store: Store) -> CheckIns {
        CheckIns {
            batcher: Batcher::new(store, CheckInBatch),
        }
    }

    /// Handles one check-in message for `tenant`.
    pub async fn handle(
        &self,
        tenant: &TenantId,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<Result<Outcome, Refused>, Error> {
        let Some(signature) = signature else {
            return Ok(Err(Refused::Unsigned));
        };
        // About 150 µs of verification, on the request's own task: the writes run on the batch
        // writer's task, and a hop to the blocking pool cost more than it saved
        // (docs/apple-bench.md).
        let fingerprint = match verify_signature(signature, body) {
            Ok(fingerprint) => fingerprint,
            Err(refused) => return Ok(Err(refused)),
        };
        let (topic, message) = match parse(body) {
            Ok(parsed) => parsed,
            Err(refused) => return Ok(Err(refused)),
        };
        let verified = Verified {
            fingerprint,
            topic,
            message,
        };
        self.batcher.submit(tenant, verified).await
    }
}

struct CheckInBatch;

impl Batch for CheckInBatch {
    type Item = Verified;
    type Output = Result<Outcome, Refused>;

    async fn apply(
        &self,
        scoped: &mut Scoped,
        items: &[Verified],
    ) -> Result<Vec<Result<Outcome, Refused>>, Error> {
        apply_all(scoped, items).await
    }
}

/// A device's TokenUpdate waiting to be written with the others of its run.
struct PendingToken<'a> {
    index: usize,
    enrolment: Enrolment,
    udid: &'a str,
    token: &'a str,
    push_magic: &'a str,
}

/// Applies check-ins in arrival order. Runs of device TokenUpdates (the hot path: every
/// device sends one at enrolment and whenever its push token changes) are written together:
/// one registration of all new devices and one UPDATE of all their enrolments. Any other
/// message first writes the run before it, then is applied alone. A message whose enrolment an
/// earlier message of the batch changed reads it again first.
async fn apply_all(
    scoped: &mut Scoped,
    items: &[Verified],
) -> Result<Vec<Result<Outcome, Refused>>, Error> {
    let known = enrolments_of(scoped, items).await?;
    let now = now_ms();
    let mut outputs: Vec<Option<Result<Outcome, Refused>>> = items.iter().map(|_| None).collect();
    let mut run: Vec<PendingToken<'_>> = Vec::new();
    let mut touched = std::collections::HashSet::new();
    for (index, item) in items.iter().enumerate() {
        let enrolment = match known.get(&item.fingerprint) {
            None => None,
            Some(e) if touched.contains(&e.id) => {
                write_tokens(scoped, std::mem::take(&mut run), &mut outputs, now).await?;
                enrolment_of(scoped, &item.fingerprint).await?
            }
            Some(e) => Some(e.clone()),
        };
        let Some(enrolment) = enrolment else {
            outputs[index] = Some(Err(Refused::UnknownIdentity));
            continue;
        };
        touched.insert(enrolment.id.clone());
        if let Err(refused) = admissible(&enrolment, &item.topic, now) {
            outputs[index] = Some(Err(refused));
            continue;
        }
        let outcome = match &item.message {
            Message::TokenUpdate {
                token,
                push_magic,
                udid: Some(udid),
            } => {
                run.push(PendingToken {
                    index,
                    enrolment,
                    udid,
                    token,
                    push_magic,
                });
                continue;
            }
            other => {
                write_tokens(scoped, std::mem::take(&mut run), &mut outputs, now).await?;
                apply_one(scoped, &enrolment, now, other).await?
            }
        };
        outputs[index] = Some(Ok(outcome));
    }
    write_tokens(scoped, run, &mut outputs, now).await?;
    outputs
        .into_iter()
        .map(|o| o.ok_or_else(|| Error::Internal("a check-in was left unanswered".into())))
        .collect()
}

/// Whether a message for `enrolment` may be applied: its topic, and an enrolment that is live
/// (active, or installed within its install window).
fn admissible(enrolment: &Enrolment, topic: &str, now: i64) -> Result<(), Refused> {
    if topic != enrolment.topic {
        return Err(Refused::WrongTopic);
    }
    let live = match enrolment.status.as_str() {
        "active" => true,
        "downloaded" | "authenticated" => enrolment.install_deadline.is_some_and(|d| d > now),
        _ => false,
    };
    if !live {
        return Err(Refused::EnrolmentEnded);
    }
    Ok(())
}

/// A message other than a device TokenUpdate, alone.
async fn apply_one(
    scoped: &mut Scoped,
    enrolment: &Enrolment,
    now: i64,
    message: &Message,
) -> Result<Outcome, Error> {
    match message {
        Message::Authenticate {
            udid,
            name,
            model,
            os_version,
        } => {
            authenticate(
                scoped,
                enrolment,
                now,
                udid,
                name,
                model,
                os_version.as_deref(),
            )
            .await
        }
        Message::TokenUpdate {
            token, udid: None, ..
        } => user_channel(scoped, enrolment, now, token).await,
        Message::TokenUpdate { .. } => Err(Error::Internal(
            "device TokenUpdates are written in runs".into(),
        )),
        Message::CheckOut => check_out(scoped, enrolment, now).await,
    }
}

/// Writes a run of device TokenUpdates: the first TokenUpdate of an enrolment registers its
/// device (all new devices of the run together), later ones (token refreshes) only store the
/// new token; then one UPDATE makes the new ones' enrolments Active with their token, and
/// another stores the refreshed tokens.
async fn write_tokens(
    scoped: &mut Scoped,
    run: Vec<PendingToken<'_>>,
    outputs: &mut [Option<Result<Outcome, Refused>>],
    now: i64,
) -> Result<(), Error> {
    if run.is_empty() {
        return Ok(());
    }
    let registrations = run
        .iter()
        .filter(|p| p.enrolment.device_id.is_none())
        .map(|p| Registration {
            platform: Platform::from_code(&p.enrolment.platform),
            hardware_id: p.udid.to_string(),
            os_version: p
                .enrolment
                .os_version
                .clone()
                .unwrap_or_else(|| "unknown".into()),
            name: p
                .enrolment
                .device_name
                .clone()
                .unwrap_or_else(|| "Apple device".into()),
            model: p
                .enrolment
                .model
                .clone()
                .unwrap_or_else(|| "unknown".into()),
            user_id: Some(p.enrolment.user_id.clone()),
        })
        .collect();
    let mut registered = devices::register_all(scoped, &Actor::System, registrations)
        .await?
        .into_iter();
    let mut device_ids = Vec::with_capacity(run.len());
    for p in &run {
        let id = match &p.enrolment.device_id {
            Some(id) => id.clone(),
            None => {
                registered
                    .next()
                    .ok_or_else(|| Error::Internal("a device was not registered".into()))?
                    .id
            }
        };
        device_ids.push(id);
    }

    // A token refresh changes no indexed column: it gets a statement of its own that leaves
    // the enrolment's indexes alone (status and reminder are indexed).
    let (refreshes, activations): (Vec<_>, Vec<_>) = run
        .iter()
        .zip(&device_ids)
        .partition(|(p, _)| p.enrolment.status == "active" && p.enrolment.device_id.is_some());
    store_tokens(scoped, &activations, true, now).await?;
    store_tokens(scoped, &refreshes, false, now).await?;
    for (p, device_id) in run.into_iter().zip(device_ids) {
        outputs[p.index] = Some(Ok(Outcome::Active { device_id }));
    }
    Ok(())
}

/// Stores the tokens of `rows` (a pending TokenUpdate and its device) in one UPDATE; with
/// `activate`, the enrolments also become Active with their device, and reminders stop.
async fn store_tokens(
    scoped: &mut Scoped,
    rows: &[(&PendingToken<'_>, &String)],
    activate: bool,
    now: i64,
) -> Result<(), Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let tenant = scoped.tenant().as_str().to_string();
    let mut p = Placeholders::new(scoped);
    let sql = format!(
        "UPDATE apple_enrolments SET {}push_token = v.column3, push_magic = v.column4, \
         checked_in_at = {}, updated_at = {} FROM (VALUES {}) AS v \
         WHERE apple_enrolments.tenant_id = {} AND apple_enrolments.id = v.column1",
        if activate {
            "status = 'active', device_id = v.column2, next_reminder_at = NULL, "
        } else {
            ""
        },
        p.next(),
        p.next(),
        p.rows(rows.len(), 4),
        p.next()
    );
    let mut query = sqlx::query(&sql).bind(now).bind(now);
    for (pending, device_id) in rows {
        query = query
            .bind(pending.enrolment.id.clone())
            .bind(device_id.to_string())
            .bind(pending.token.to_string())
            .bind(pending.push_magic.to_string());
    }
    query.bind(tenant).execute(scoped.conn()).await?;
    Ok(())
}

/// The enrolments of a batch's identities, by identity fingerprint (one statement).
async fn enrolments_of(
    scoped: &mut Scoped,
    items: &[Verified],
) -> Result<std::collections::HashMap<String, Enrolment>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let sql = enrolments_sql(Placeholders::new(scoped), items.len());
    let mut query = sqlx::query_as::<_, Enrolment>(&sql).bind(tenant);
    for item in items {
        query = query.bind(item.fingerprint.clone());
    }
    Ok(query
        .fetch_all(scoped.conn())
        .await?
        .into_iter()
        .filter_map(|e| Some((e.identity_sha256.clone()?, e)))
        .collect())
}

/// The look-up of `n` identities' enrolments. It must read through the (tenant, identity)
/// index: SQLite once planned such a list by the tenant's other index and read every
/// enrolment of the tenant (see the test below).
fn enrolments_sql(mut p: Placeholders, n: usize) -> String {
    format!(
        "SELECT {ENROLMENT_COLUMNS} FROM apple_enrolments WHERE tenant_id = {} \
         AND identity_sha256 IN ({})",
        p.next(),
        p.list(n)
    )
}

async fn enrolment_of(scoped: &mut Scoped, fingerprint: &str) -> Result<Option<Enrolment>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    Ok(sqlx::query_as::<_, Enrolment>(&format!(
        "SELECT {ENROLMENT_COLUMNS} FROM apple_enrolments \
         WHERE tenant_id = $1 AND identity_sha256 = $2"
    ))
    .bind(tenant)
    .bind(fingerprint)
    .fetch_optional(scoped.conn())
    .await?)
}

async fn authenticate(
    scoped: &mut Scoped,
    enrolment: &Enrolment,
    now: i64,
    udid: &str,
    name: &str,
    model: &str,
    os_version: Option<&str>,
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
    .bind(os_version.unwrap_or("unknown"))
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
    token: &str,
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

#[cfg(test)]
mod tests {
    use openssl::pkcs12::Pkcs12;
    use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
    use openssl::stack::Stack;

    use super::*;
    use crate::apple::pki::TenantPki;

    /// A device's `Mdm-Signature` over `body`, made with OpenSSL as a device would.
    fn device_signature(body: &[u8], flags: Pkcs7Flags) -> (String, String) {
        let pki = TenantPki::generate("Acme").unwrap();
        let issued = pki.issue_identity("enrolment", "Acme", "pw").unwrap();
        let identity = Pkcs12::from_der(&issued.p12).unwrap().parse2("pw").unwrap();
        let sig = Pkcs7::sign(
            identity.cert.as_ref().unwrap(),
            identity.pkey.as_ref().unwrap(),
            &Stack::new().unwrap(),
            body,
            flags | Pkcs7Flags::DETACHED | Pkcs7Flags::BINARY,
        )
        .unwrap();
        (B64.encode(sig.to_der().unwrap()), issued.fingerprint)
    }

    /// A batch's enrolments are found through the (tenant, identity) index whatever the batch
    /// size, not by reading all of the tenant's enrolments (migration 0017). Without it, the
    /// planner took the (tenant, user) index from three identities on, and a check-in batch
    /// cost grew with the tenant's size.
    #[tokio::test]
    async fn a_batch_reads_only_its_own_enrolments() {
        for (n, plan) in crate::store::batch::plans_by_batch_size(enrolments_sql).await {
            assert!(
                plan.iter()
                    .any(|step| step.contains("apple_enrolments_identity")
                        && step.contains("tenant_id=? AND identity_sha256=?")),
                "{n} identities: {plan:?}"
            );
        }
    }

    #[test]
    fn signatures_name_their_identity_and_cover_the_body() {
        let body = b"<plist>TokenUpdate</plist>";
        for flags in [Pkcs7Flags::empty(), Pkcs7Flags::NOATTR] {
            let (sig, fingerprint) = device_signature(body, flags);
            assert_eq!(verify_signature(&sig, body).unwrap(), fingerprint);
            assert!(matches!(
                verify_signature(&sig, b"<plist>tampered</plist>"),
                Err(Refused::BadSignature(_))
            ));
        }
        assert!(matches!(
            verify_signature("bm90IENNUw==", body),
            Err(Refused::BadSignature(_))
        ));
    }
}
