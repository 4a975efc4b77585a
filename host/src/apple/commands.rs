//! Commands to Apple devices (SPEC D4, D7; issue 25): a queue per enrolment in the database
//! (`apple_commands`), shared by every host process.
//!
//! Why here, this way: the device asks for its next command on the command channel
//! (`channel::CommandChannel`), one at a time, and answers each (Acknowledged, Error,
//! CommandFormatError, NotNow). A command is enqueued for one device or many in one
//! transaction; it stays pending until the device answers it. The command a poll answers with
//! is claimed first (`sent_at`, a conditional update): two polls of the same device at once,
//! on one process or two, never get the same command; a claim the device never answered lapses
//! after [`CLAIM_MS`] and the command goes again. NotNow keeps the command for a later poll,
//! never the answer to that NotNow. Commands go out by priority, then age.
//!
//! The commands are built as Apple's schemas (`specs/apple/commands/`) describe them; the
//! answer to `DeviceInformation` updates the device's name, OS version and model.

use plist::{Dictionary, Value};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::devices::{self, Platform};
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::secrets::SecretBox;
use crate::store::{new_id, Scoped};

/// A claim the device did not answer lapses after this long (the command goes again).
pub const CLAIM_MS: i64 = 60_000;
/// The condition of a command a poll may get: not answered, and not claimed by a poll still
/// waiting for its answer (claims older than the statement's parameter `$lapse` have lapsed).
fn due(lapse: usize) -> String {
    format!("status IN ('pending', 'not_now') AND (sent_at IS NULL OR sent_at < ${lapse})")
}
/// The most devices one enqueue names.
pub const MAX_DEVICES: usize = 10_000;

/// What the device reports of itself when asked (`DeviceInformation`'s queries).
const QUERIES: [&str; 7] = [
    "DeviceName",
    "OSVersion",
    "BuildVersion",
    "ModelName",
    "Model",
    "ProductName",
    "SerialNumber",
];

/// A command as an administrator (or a user, for their own device) asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(tag = "request_type", deny_unknown_fields)]
pub enum Request {
    /// The device's name, OS version, model and serial number (its answer updates the device).
    DeviceInformation,
    SecurityInfo,
    InstalledApplicationList,
    ProfileList,
    /// Locks the device; a Mac takes a 6-digit `pin` (required there), an iPhone or iPad a
    /// `message` and a `phone_number` shown on the lock screen.
    DeviceLock {
        #[serde(default)]
        pin: Option<String>,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        phone_number: Option<String>,
    },
    /// Erases the device; a Mac takes a 6-digit `pin` (required there).
    EraseDevice {
        #[serde(default)]
        pin: Option<String>,
    },
    RestartDevice,
    /// Installs a profile (`payload`: the profile's bytes, base64).
    InstallProfile {
        payload: String,
    },
    /// Removes the profile with this `PayloadIdentifier`.
    RemoveProfile {
        identifier: String,
    },
}

impl Request {
    pub fn request_type(&self) -> &'static str {
        match self {
            Request::DeviceInformation => "DeviceInformation",
            Request::SecurityInfo => "SecurityInfo",
            Request::InstalledApplicationList => "InstalledApplicationList",
            Request::ProfileList => "ProfileList",
            Request::DeviceLock { .. } => "DeviceLock",
            Request::EraseDevice { .. } => "EraseDevice",
            Request::RestartDevice => "RestartDevice",
            Request::InstallProfile { .. } => "InstallProfile",
            Request::RemoveProfile { .. } => "RemoveProfile",
        }
    }

    /// The PIN a Mac needs to unlock after a lock or an erase: a command carrying one is kept
    /// sealed.
    pub fn pin(&self) -> Option<&str> {
        match self {
            Request::DeviceLock { pin, .. } | Request::EraseDevice { pin } => pin.as_deref(),
            _ => None,
        }
    }

    /// Refuses what Apple's schemas do not allow for the device's platform, naming the field.
    pub fn check(&self, platform: Platform) -> Result<(), Error> {
        let mac = platform == Platform::Macos;
        let pin = |pin: &Option<String>| match (pin, mac) {
            (Some(p), true) if p.len() == 6 && p.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
            (Some(_), true) => Err(Error::invalid("pin", "a Mac's PIN is 6 digits")),
            (None, true) => Err(Error::invalid("pin", "a Mac needs a 6-digit PIN")),
            (Some(_), false) => Err(Error::invalid("pin", "only a Mac takes a PIN")),
            (None, false) => Ok(()),
        };
        match self {
            Request::DeviceLock {
                pin: p,
                message,
                phone_number,
            } => {
                pin(p)?;
                if message.as_ref().is_some_and(|m| m.chars().count() > 200) {
                    return Err(Error::invalid("message", "at most 200 characters"));
                }
                if phone_number.as_ref().is_some_and(|n| {
                    n.is_empty()
                        || n.len() > 30
                        || !n.chars().all(|c| "+0123456789 -()".contains(c))
                }) {
                    return Err(Error::invalid("phone_number", "a phone number"));
                }
                Ok(())
            }
            Request::EraseDevice { pin: p } => pin(p),
            Request::InstallProfile { payload } => {
                use base64::Engine;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(payload)
                    .map_err(|_| Error::invalid("payload", "the profile's bytes in base64"))?;
                if bytes.is_empty() || bytes.len() > 1 << 20 {
                    return Err(Error::invalid("payload", "a profile of 1 byte to 1 MiB"));
                }
                Ok(())
            }
            Request::RemoveProfile { identifier } => {
                if identifier.trim().is_empty() || identifier.len() > 255 {
                    return Err(Error::invalid("identifier", "a PayloadIdentifier"));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The command's `Command` dictionary, as Apple's schema for it says.
    fn command(&self) -> Dictionary {
        let mut c = Dictionary::new();
        c.insert("RequestType".into(), self.request_type().into());
        match self {
            Request::DeviceInformation => {
                c.insert(
                    "Queries".into(),
                    Value::Array(QUERIES.iter().map(|q| Value::from(*q)).collect()),
                );
            }
            Request::DeviceLock {
                pin,
                message,
                phone_number,
            } => {
                if let Some(p) = pin {
                    c.insert("PIN".into(), p.as_str().into());
                }
                if let Some(m) = message {
                    c.insert("Message".into(), m.as_str().into());
                }
                if let Some(n) = phone_number {
                    c.insert("PhoneNumber".into(), n.as_str().into());
                }
            }
            Request::EraseDevice { pin: Some(p) } => {
                c.insert("PIN".into(), p.as_str().into());
            }
            Request::InstallProfile { payload } => {
                use base64::Engine;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(payload)
                    .unwrap_or_default();
                c.insert("Payload".into(), Value::Data(bytes));
            }
            Request::RemoveProfile { identifier } => {
                c.insert("Identifier".into(), identifier.as_str().into());
            }
            _ => {}
        }
        c
    }

    /// The whole command as the device gets it (an XML plist).
    pub fn plist(&self, uuid: &str) -> String {
        let mut d = Dictionary::new();
        d.insert("CommandUUID".into(), uuid.into());
        d.insert("Command".into(), Value::Dictionary(self.command()));
        let mut out = Vec::new();
        plist::to_writer_xml(&mut out, &Value::Dictionary(d)).expect("a plist writes");
        String::from_utf8(out).expect("XML is UTF-8")
    }
}

/// Where a command stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    NotNow,
    Acknowledged,
    Error,
    CommandFormatError,
    Cancelled,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::NotNow => "not_now",
            Status::Acknowledged => "acknowledged",
            Status::Error => "error",
            Status::CommandFormatError => "command_format_error",
            Status::Cancelled => "cancelled",
        }
    }

    fn parse(code: &str) -> Status {
        match code {
            "not_now" => Status::NotNow,
            "acknowledged" => Status::Acknowledged,
            "error" => Status::Error,
            "command_format_error" => Status::CommandFormatError,
            "cancelled" => Status::Cancelled,
            _ => Status::Pending,
        }
    }

    /// Not answered yet: the device may still get it.
    pub fn open(self) -> bool {
        matches!(self, Status::Pending | Status::NotNow)
    }
}

/// A command in the queue, as the admin API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueuedCommand {
    /// The `CommandUUID`.
    pub id: String,
    pub device_id: String,
    pub request_type: String,
    pub priority: i64,
    pub status: Status,
    /// How many times it went to the device.
    pub sends: i64,
    /// The device's answer, as it sent it (an XML plist), once answered.
    pub result: Option<String>,
    /// For an error: the device's `ErrorChain` (code, domain, descriptions).
    pub error_chain: Option<serde_json::Value>,
    /// The PIN that unlocks a Mac after this lock or erase (administrators see it to give it
    /// to the device's user).
    pub pin: Option<String>,
    /// Who asked (the history's label).
    pub requested_by: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub answered_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    device_id: String,
    request_type: String,
    priority: i64,
    status: String,
    sends: i64,
    result_plist: Option<String>,
    error_chain: Option<String>,
    requested_by: String,
    created_at: i64,
    sent_at: Option<i64>,
    answered_at: Option<i64>,
    sealed_plist: Option<String>,
}

const COLUMNS: &str = "id, device_id, request_type, priority, status, sends, result_plist, \
    error_chain, requested_by, created_at, sent_at, answered_at, \
    CASE WHEN sealed = 1 THEN command_plist END AS sealed_plist";

/// What a command's row keeps sealed is opened with this purpose (bound to the command).
fn purpose(id: &str) -> String {
    format!("apple_command:{id}")
}

/// The PIN in a sealed command's plist.
fn sealed_pin(secrets: &SecretBox, id: &str, sealed: &str) -> Option<String> {
    let xml = secrets.open(&purpose(id), sealed).ok()?;
    let v = Value::from_reader_xml(xml.as_slice()).ok()?;
    let pin = v
        .as_dictionary()?
        .get("Command")?
        .as_dictionary()?
        .get("PIN")?;
    pin.as_string().map(str::to_string)
}

impl Row {
    fn view(self, secrets: &SecretBox) -> QueuedCommand {
        let pin = self
            .sealed_plist
            .as_deref()
            .and_then(|sealed| sealed_pin(secrets, &self.id, sealed));
        let r = self;
        QueuedCommand {
            pin,
            id: r.id,
            device_id: r.device_id,
            request_type: r.request_type,
            priority: r.priority,
            status: Status::parse(&r.status),
            sends: r.sends,
            result: r.result_plist,
            error_chain: r.error_chain.and_then(|e| serde_json::from_str(&e).ok()),
            requested_by: r.requested_by,
            created_at: r.created_at,
            sent_at: r.sent_at,
            answered_at: r.answered_at,
        }
    }
}

/// What the history keeps of an enqueued or cancelled command.
#[derive(Serialize)]
struct Logged<'a> {
    command_uuid: &'a str,
    request_type: &'a str,
    status: &'a str,
}

/// Enqueues `request` for each of `device_ids` (enrolled Apple devices of the tenant), in the
/// caller's transaction, each in the device's history with `actor`. The first device that
/// cannot take it refuses the whole enqueue, naming it (`device_ids[i]`).
pub async fn enqueue(
    scoped: &mut Scoped,
    secrets: &SecretBox,
    actor: &Actor,
    device_ids: &[String],
    request: &Request,
    priority: i64,
    now: i64,
) -> Result<Vec<QueuedCommand>, Error> {
    if device_ids.is_empty() || device_ids.len() > MAX_DEVICES {
        return Err(Error::invalid(
            "device_ids",
            format!("1 to {MAX_DEVICES} devices"),
        ));
    }
    if !(-100..=100).contains(&priority) {
        return Err(Error::invalid("priority", "from -100 to 100"));
    }
    let tenant = scoped.tenant().as_str().to_string();
    let mut queued = Vec::with_capacity(device_ids.len());
    for (at, device_id) in device_ids.iter().enumerate() {
        let Some(Channel { enrolment_id, .. }) = channel(scoped, device_id).await? else {
            return Err(Error::invalid(
                format!("device_ids[{at}]"),
                "not an Apple device enrolled in this tenant",
            ));
        };
        let device = devices::get(scoped, device_id).await?;
        request.check(device.platform)?;
        let id = new_id().to_uppercase();
        let (plist, sealed) = match request.pin() {
            Some(_) => (
                secrets.seal(&purpose(&id), request.plist(&id).as_bytes()),
                1,
            ),
            None => (request.plist(&id), 0),
        };
        sqlx::query(
            "INSERT INTO apple_commands (id, tenant_id, enrolment_id, device_id, request_type, \
             command_plist, sealed, priority, status, sends, requested_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $10)",
        )
        .bind(&id)
        .bind(&tenant)
        .bind(&enrolment_id)
        .bind(device_id)
        .bind(request.request_type())
        .bind(plist)
        .bind(sealed as i64)
        .bind(priority)
        .bind(actor.label())
        .bind(now)
        .execute(scoped.conn())
        .await?;
        super::push::owe(scoped, &enrolment_id, now).await?;
        history::record(
            scoped,
            actor,
            Change::new::<(), _>(
                "device",
                device_id,
                "apple_command",
                None,
                Some(&Logged {
                    command_uuid: &id,
                    request_type: request.request_type(),
                    status: "pending",
                }),
            ),
        )
        .await?;
        queued.push(QueuedCommand {
            id,
            device_id: device_id.clone(),
            request_type: request.request_type().into(),
            priority,
            status: Status::Pending,
            sends: 0,
            result: None,
            error_chain: None,
            pin: request.pin().map(str::to_string),
            requested_by: actor.label(),
            created_at: now,
            sent_at: None,
            answered_at: None,
        });
    }
    Ok(queued)
}

/// Cancels a command not answered yet (409 once answered or cancelled).
pub async fn cancel(
    scoped: &mut Scoped,
    secrets: &SecretBox,
    actor: &Actor,
    id: &str,
) -> Result<QueuedCommand, Error> {
    let command = get(scoped, secrets, id).await?;
    if !command.status.open() {
        return Err(Error::Conflict {
            code: "command_closed",
            message: format!(
                "the command is {} already; only a pending one is cancelled",
                command.status.code()
            ),
        });
    }
    let done = sqlx::query(
        "UPDATE apple_commands SET status = 'cancelled' \
         WHERE tenant_id = $1 AND id = $2 AND status IN ('pending', 'not_now')",
    )
    .bind(scoped.tenant().as_str().to_string())
    .bind(id)
    .execute(scoped.conn())
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::Conflict {
            code: "command_closed",
            message: "the command was answered meanwhile".into(),
        });
    }
    history::record(
        scoped,
        actor,
        Change::new::<(), _>(
            "device",
            &command.device_id,
            "apple_command_cancelled",
            None,
            Some(&Logged {
                command_uuid: id,
                request_type: &command.request_type,
                status: "cancelled",
            }),
        ),
    )
    .await?;
    Ok(QueuedCommand {
        status: Status::Cancelled,
        ..command
    })
}

pub async fn get(
    scoped: &mut Scoped,
    secrets: &SecretBox,
    id: &str,
) -> Result<QueuedCommand, Error> {
    sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM apple_commands WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(scoped.tenant().as_str().to_string())
    .bind(id)
    .fetch_optional(scoped.conn())
    .await?
    .map(|row| row.view(secrets))
    .ok_or(Error::NotFound("command"))
}

/// The tenant's commands, newest first: of one device, in one status, or all.
pub async fn list(
    scoped: &mut Scoped,
    secrets: &SecretBox,
    device_id: Option<&str>,
    status: Option<Status>,
    limit: i64,
) -> Result<Vec<QueuedCommand>, Error> {
    let mut sql = format!("SELECT {COLUMNS} FROM apple_commands WHERE tenant_id = $1");
    let mut n = 1;
    if device_id.is_some() {
        n += 1;
        sql.push_str(&format!(" AND device_id = ${n}"));
    }
    if status.is_some() {
        n += 1;
        sql.push_str(&format!(" AND status = ${n}"));
    }
    sql.push_str(&format!(
        " ORDER BY created_at DESC, id DESC LIMIT ${}",
        n + 1
    ));
    let mut q = sqlx::query_as::<_, Row>(&sql).bind(scoped.tenant().as_str().to_string());
    if let Some(d) = device_id {
        q = q.bind(d.to_string());
    }
    if let Some(s) = status {
        q = q.bind(s.code());
    }
    Ok(q.bind(limit.clamp(1, 1000))
        .fetch_all(scoped.conn())
        .await?
        .into_iter()
        .map(|row| row.view(secrets))
        .collect())
}

/// Whether the enrolment has a command a poll now would get, other than `skip` (a read, no
/// claim).
pub async fn has_open(
    scoped: &mut Scoped,
    enrolment_id: &str,
    skip: Option<&str>,
    now: i64,
) -> Result<bool, Error> {
    let found: Option<(String,)> = sqlx::query_as(&format!(
        "SELECT id FROM apple_commands WHERE tenant_id = $1 AND enrolment_id = $2 \
             AND id <> $3 AND {} LIMIT 1",
        due(4)
    ))
    .bind(scoped.tenant().as_str().to_string())
    .bind(enrolment_id)
    .bind(skip.unwrap_or_default())
    .bind(now - CLAIM_MS)
    .fetch_optional(scoped.conn())
    .await?;
    Ok(found.is_some())
}

/// The next command for the enrolment, claimed for this poll: its UUID and plist. `skip` is the
/// command the device just answered NotNow (never the answer to that NotNow). The claim is
/// one conditional update of the first due command; when it claims nothing although a command
/// is due (another poll took the one it chose), it tries again.
pub async fn next(
    scoped: &mut Scoped,
    secrets: &SecretBox,
    enrolment_id: &str,
    skip: Option<&str>,
    now: i64,
) -> Result<Option<(String, String)>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let lapsed = now - CLAIM_MS;
    for _ in 0..5 {
        let claimed: Option<(String, String, i64)> = sqlx::query_as(&format!(
            "UPDATE apple_commands SET sent_at = $1, sends = sends + 1 \
             WHERE tenant_id = $2 AND {} AND id = (SELECT id FROM apple_commands \
                 WHERE tenant_id = $4 AND enrolment_id = $5 AND id <> $6 AND {} \
                 ORDER BY priority DESC, created_at, id LIMIT 1) \
             RETURNING id, command_plist, sealed",
            due(3),
            due(7)
        ))
        .bind(now)
        .bind(&tenant)
        .bind(lapsed)
        .bind(&tenant)
        .bind(enrolment_id)
        .bind(skip.unwrap_or_default())
        .bind(lapsed)
        .fetch_optional(scoped.conn())
        .await?;
        if let Some((id, plist, sealed)) = claimed {
            let plist = if sealed == 1 {
                String::from_utf8(secrets.open(&purpose(&id), &plist)?)
                    .map_err(|e| Error::Internal(e.to_string()))?
            } else {
                plist
            };
            return Ok(Some((id, plist)));
        }
        if !has_open(scoped, enrolment_id, skip, now).await? {
            return Ok(None);
        }
    }
    Ok(None)
}

/// One entry of an `ErrorChain`, as the admin API shows it.
#[derive(Serialize)]
struct ChainEntry {
    code: Option<i64>,
    domain: Option<String>,
    description: Option<String>,
}

/// A device's answer to a command (Status Acknowledged, Error, CommandFormatError or NotNow),
/// read and serialized before the transaction that records it.
pub struct Answer {
    uuid: String,
    status: Status,
    /// The message as the device sent it (an XML plist).
    xml: String,
    /// For an error: its `ErrorChain` as the admin API shows it (JSON).
    chain: Option<String>,
    /// `DeviceInformation`'s `QueryResponses`.
    information: Option<Dictionary>,
}

impl Answer {
    /// The answer `message` reports to command `uuid` with Status `reported`.
    pub fn of(uuid: &str, reported: &str, message: &Dictionary) -> Result<Answer, Error> {
        let mut xml = Vec::new();
        plist::to_writer_xml(&mut xml, &Value::Dictionary(message.clone()))
            .map_err(|e| Error::Internal(e.to_string()))?;
        let xml = String::from_utf8(xml).map_err(|e| Error::Internal(e.to_string()))?;
        let status = match reported {
            "Acknowledged" => Status::Acknowledged,
            "Error" => Status::Error,
            "CommandFormatError" => Status::CommandFormatError,
            _ => Status::NotNow,
        };
        let chain = match status {
            Status::Error => {
                let chain: Vec<ChainEntry> = message
                    .get("ErrorChain")
                    .and_then(Value::as_array)
                    .map(|all| {
                        all.iter()
                            .filter_map(Value::as_dictionary)
                            .map(ChainEntry::of)
                            .collect()
                    })
                    .unwrap_or_default();
                Some(serde_json::to_string(&chain).map_err(|e| Error::Internal(e.to_string()))?)
            }
            _ => None,
        };
        let information = message
            .get("QueryResponses")
            .and_then(Value::as_dictionary)
            .cloned();
        Ok(Answer {
            uuid: uuid.to_string(),
            status,
            xml,
            chain,
            information,
        })
    }

    /// NotNow: the command stays for a later poll (not this one's answer: skip it).
    pub fn not_now(&self) -> bool {
        self.status == Status::NotNow
    }

    pub fn uuid(&self) -> &str {
        &self.uuid
    }
}

impl ChainEntry {
    fn of(e: &Dictionary) -> ChainEntry {
        ChainEntry {
            code: e.get("ErrorCode").and_then(|v| v.as_signed_integer()),
            domain: e
                .get("ErrorDomain")
                .and_then(Value::as_string)
                .map(str::to_string),
            description: e
                .get("USEnglishDescription")
                .or_else(|| e.get("LocalizedDescription"))
                .and_then(Value::as_string)
                .map(str::to_string),
        }
    }
}

/// Records `answer` to a command of the enrolment, in one conditional update. An answer to a
/// command that is not the enrolment's, or not open (cancelled, answered already), changes
/// nothing. A NotNow keeps the command for a later poll. `DeviceInformation`'s answer updates
/// the device. Answers whether it was recorded.
pub async fn record(
    scoped: &mut Scoped,
    enrolment_id: &str,
    answer: &Answer,
    now: i64,
) -> Result<bool, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let open = "status IN ('pending', 'not_now')";
    if answer.not_now() {
        let kept = sqlx::query(&format!(
            "UPDATE apple_commands SET status = 'not_now', sent_at = NULL \
             WHERE tenant_id = $1 AND enrolment_id = $2 AND id = $3 AND {open}"
        ))
        .bind(&tenant)
        .bind(enrolment_id)
        .bind(&answer.uuid)
        .execute(scoped.conn())
        .await?;
        return Ok(kept.rows_affected() == 1);
    }
    let recorded: Option<(String, String)> = sqlx::query_as(&format!(
        "UPDATE apple_commands SET status = $1, result_plist = $2, error_chain = $3, \
         answered_at = $4 WHERE tenant_id = $5 AND enrolment_id = $6 AND id = $7 AND {open} \
         RETURNING request_type, device_id"
    ))
    .bind(answer.status.code())
    .bind(&answer.xml)
    .bind(&answer.chain)
    .bind(now)
    .bind(&tenant)
    .bind(enrolment_id)
    .bind(&answer.uuid)
    .fetch_optional(scoped.conn())
    .await?;
    let Some((request_type, device_id)) = recorded else {
        return Ok(false);
    };
    if answer.status == Status::Acknowledged && request_type == "DeviceInformation" {
        if let Some(answers) = &answer.information {
            device_information(scoped, enrolment_id, &device_id, answers, now).await?;
        }
    }
    Ok(true)
}

/// The device's own words of itself: its name, OS version, model and serial number. What it
/// says again unchanged (most answers) is only read; a new serial number replaces the old one
/// and leaves the device's other identifiers (IMEIs) as they are.
async fn device_information(
    scoped: &mut Scoped,
    enrolment_id: &str,
    device_id: &str,
    answers: &Dictionary,
    now: i64,
) -> Result<(), Error> {
    let text = |key: &str| {
        answers
            .get(key)
            .and_then(Value::as_string)
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.chars().count() <= 200)
            .map(str::to_string)
    };
    let tenant = scoped.tenant().as_str().to_string();
    let before: Option<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT d.name, d.os_version, d.model, (SELECT i.value FROM device_identifiers i \
             WHERE i.device_id = d.id AND i.kind = 'serial' ORDER BY i.value LIMIT 1) \
         FROM devices d WHERE d.tenant_id = $1 AND d.id = $2",
    )
    .bind(&tenant)
    .bind(device_id)
    .fetch_optional(scoped.conn())
    .await?;
    let Some((name_was, os_was, model_was, serial_was)) = before else {
        return Err(Error::NotFound("device"));
    };
    let name = text("DeviceName").unwrap_or(name_was.clone());
    let os_version = text("OSVersion").unwrap_or(os_was.clone());
    let model = text("ProductName")
        .or_else(|| text("ModelName"))
        .unwrap_or(model_was.clone());
    if (&name, &os_version, &model) != (&name_was, &os_was, &model_was) {
        sqlx::query(
            "UPDATE devices SET name = $1, os_version = $2, model = $3, updated_at = $4 \
             WHERE tenant_id = $5 AND id = $6",
        )
        .bind(&name)
        .bind(&os_version)
        .bind(&model)
        .bind(now)
        .bind(&tenant)
        .bind(device_id)
        .execute(scoped.conn())
        .await?;
        sqlx::query(
            "UPDATE apple_enrolments SET device_name = $1, os_version = $2, model = $3, \
             updated_at = $4 WHERE tenant_id = $5 AND id = $6",
        )
        .bind(&name)
        .bind(&os_version)
        .bind(&model)
        .bind(now)
        .bind(&tenant)
        .bind(enrolment_id)
        .execute(scoped.conn())
        .await?;
    }
    if let Some(serial) = text("SerialNumber").map(|s| devices::serial_key(&s)) {
        if serial_was.as_deref() != Some(serial.as_str()) && serial.chars().count() <= 100 {
            devices::replace_serial(scoped, device_id, &serial).await?;
        }
    }
    Ok(())
}

/// A PIN for a Mac's lock or erase, when the one asking gave none.
pub fn new_pin() -> String {
    use rand::Rng;
    format!("{:06}", rand::thread_rng().gen_range(0..1_000_000))
}

/// What a device's retirement or erasure sends an enrolled Apple device (SPEC D7), in the
/// transaction that changes its state: retiring removes the enrolment profile (the device is no
/// longer managed: it checks out), wiping erases it (a Mac with a new PIN, shown with the
/// command). Either goes before anything else queued, and the device's other open commands
/// are cancelled: they would reach nobody. Nothing for a device without an active enrolment.
pub async fn follow_device_action(
    scoped: &mut Scoped,
    secrets: &SecretBox,
    actor: &Actor,
    device_id: &str,
    action: devices::Action,
    now: i64,
) -> Result<Option<QueuedCommand>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let Some(Channel {
        enrolment_id,
        platform,
        ..
    }) = channel(scoped, device_id).await?
    else {
        return Ok(None);
    };
    let mac = platform == Platform::Macos;
    let request = match action {
        devices::Action::Retire => Request::RemoveProfile {
            identifier: super::profile::identifier(&crate::tenants::current(scoped).await?.slug),
        },
        devices::Action::Wipe => Request::EraseDevice {
            pin: mac.then(new_pin),
        },
        devices::Action::DisableMdm => return Ok(None),
    };
    sqlx::query(
        "UPDATE apple_commands SET status = 'cancelled' \
         WHERE tenant_id = $1 AND enrolment_id = $2 AND status IN ('pending', 'not_now')",
    )
    .bind(&tenant)
    .bind(&enrolment_id)
    .execute(scoped.conn())
    .await?;
    let mut queued = enqueue(
        scoped,
        secrets,
        actor,
        &[device_id.to_string()],
        &request,
        100,
        now,
    )
    .await?;
    Ok(queued.pop())
}

/// What users do to their own enrolled Apple device from the portal (SPEC I1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnAction {
    /// `DeviceLock` (a Mac with a new PIN).
    Lock,
    /// The device's erasure: its state and `EraseDevice`, as an administrator's wipe.
    Wipe,
    /// The end of management: its state and the enrolment profile's removal, as an
    /// administrator's retirement.
    Retire,
}

/// An enrolled Apple device's command channel, as administrators see it beside its commands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Channel {
    /// The active enrolment the commands go through.
    #[serde(skip)]
    pub enrolment_id: String,
    pub platform: Platform,
    /// The APNs topic the device listens on (from its enrolment profile).
    pub topic: String,
    /// Its last check-in or poll of the command channel.
    pub checked_in_at: Option<i64>,
    /// The last push sent to wake it, and APNs' refusal of it if it was refused for good.
    pub pushed_at: Option<i64>,
    pub push_error: Option<String>,
}

/// The command channel of `device_id`: none unless it has an active Apple enrolment.
pub async fn channel(scoped: &mut Scoped, device_id: &str) -> Result<Option<Channel>, Error> {
    type ChannelRow = (
        String,
        String,
        String,
        Option<i64>,
        Option<i64>,
        Option<String>,
    );
    let found: Option<ChannelRow> = sqlx::query_as(
        "SELECT id, platform, topic, checked_in_at, pushed_at, push_error FROM apple_enrolments \
         WHERE tenant_id = $1 AND device_id = $2 AND status = 'active'",
    )
    .bind(scoped.tenant().as_str().to_string())
    .bind(device_id)
    .fetch_optional(scoped.conn())
    .await?;
    Ok(found.map(
        |(enrolment_id, platform, topic, checked_in_at, pushed_at, push_error)| Channel {
            enrolment_id,
            platform: Platform::from_code(&platform),
            topic,
            checked_in_at,
            pushed_at,
            push_error,
        },
    ))
}

/// The live devices of `user_id` with an active Apple enrolment: those they act on.
pub async fn enrolled_devices_of(scoped: &mut Scoped, user_id: &str) -> Result<Vec<String>, Error> {
    Ok(sqlx::query_scalar(
        "SELECT device_id FROM apple_enrolments WHERE tenant_id = $1 AND user_id = $2 \
         AND status = 'active' AND device_id IS NOT NULL",
    )
    .bind(scoped.tenant().as_str().to_string())
    .bind(user_id)
    .fetch_all(scoped.conn())
    .await?)
}

/// A user's action on their own device (SPEC I1), in one transaction: the same queue, states
/// and history as an administrator's, recorded as the user's. Not found unless the device is
/// the user's, live, active and enrolled. Answers the PIN that unlocks a Mac after a lock or
/// an erase (the user needs it); the caller wakes the pusher.
pub async fn act_for_user(
    scoped: &mut Scoped,
    secrets: &SecretBox,
    actor: &Actor,
    user_id: &str,
    device_id: &str,
    action: OwnAction,
    now: i64,
) -> Result<Option<String>, Error> {
    let device = devices::get(scoped, device_id).await?;
    if device.user_id.as_deref() != Some(user_id)
        || device.archived
        || device.state != devices::State::Active
        || !enrolled_devices_of(scoped, user_id)
            .await?
            .iter()
            .any(|d| d == device_id)
    {
        return Err(Error::NotFound("device"));
    }
    let queued = match action {
        OwnAction::Lock => enqueue(
            scoped,
            secrets,
            actor,
            &[device_id.to_string()],
            &Request::DeviceLock {
                pin: (device.platform == Platform::Macos).then(new_pin),
                message: None,
                phone_number: None,
            },
            100,
            now,
        )
        .await?
        .pop(),
        OwnAction::Wipe | OwnAction::Retire => {
            let state = if action == OwnAction::Wipe {
                devices::Action::Wipe
            } else {
                devices::Action::Retire
            };
            devices::apply(scoped, actor, device_id, state).await?;
            follow_device_action(scoped, secrets, actor, device_id, state, now).await?
        }
    };
    Ok(queued.and_then(|q| q.pin))
}

/// An enqueue as an administrator sends it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnqueueRequest {
    /// The enrolled Apple devices (ids in the device inventory), 1 to 10,000.
    pub device_ids: Vec<String>,
    pub command: Request,
    /// Higher goes first (-100 to 100); default 0. Same priority: oldest first.
    #[serde(default)]
    pub priority: i64,
}

/// Filters of the command list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CommandQuery {
    /// Only this device's commands.
    pub device_id: Option<String>,
    /// Only commands in this status.
    pub status: Option<Status>,
    /// At most this many (1 to 1000, default 100), newest first.
    pub limit: Option<i64>,
}

impl crate::services::AsAdmin<'_> {
    /// Enqueues a command for enrolled Apple devices: an erase needs the permission to delete
    /// devices, the others the one to manage configurations. Recorded in each device's history.
    pub async fn enqueue_apple_commands(
        &self,
        request: &EnqueueRequest,
    ) -> Result<Vec<QueuedCommand>, Error> {
        let permission = match request.command {
            Request::EraseDevice { .. } => crate::admins::Permission::DeleteDevices,
            _ => crate::admins::Permission::ManageConfigurations,
        };
        let mut scoped = self.write(permission).await?;
        let queued = enqueue(
            &mut scoped,
            self.services.secrets(),
            &self.actor(),
            &request.device_ids,
            &request.command,
            request.priority,
            crate::store::now_ms(),
        )
        .await?;
        scoped.commit().await?;
        self.services.pushes().wake();
        Ok(queued)
    }

    pub async fn apple_commands(&self, query: &CommandQuery) -> Result<Vec<QueuedCommand>, Error> {
        let mut read = self.read().await?;
        list(
            &mut read,
            self.services.secrets(),
            query.device_id.as_deref(),
            query.status,
            query.limit.unwrap_or(100),
        )
        .await
    }

    /// The command channel of an enrolled Apple device (`None` for any other device).
    pub async fn apple_channel(&self, device_id: &str) -> Result<Option<Channel>, Error> {
        channel(&mut self.read().await?, device_id).await
    }

    pub async fn apple_command(&self, id: &str) -> Result<QueuedCommand, Error> {
        get(&mut self.read().await?, self.services.secrets(), id).await
    }

    /// Cancels a command the device has not answered (the permission to manage
    /// configurations); recorded in the device's history.
    pub async fn cancel_apple_command(&self, id: &str) -> Result<QueuedCommand, Error> {
        let mut scoped = self
            .write(crate::admins::Permission::ManageConfigurations)
            .await?;
        let cancelled = cancel(&mut scoped, self.services.secrets(), &self.actor(), id).await?;
        scoped.commit().await?;
        Ok(cancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_plists_as_apple_writes_them() {
        let xml = Request::DeviceInformation.plist("U1");
        let v = Value::from_reader_xml(xml.as_bytes()).unwrap();
        let d = v.as_dictionary().unwrap();
        assert_eq!(d["CommandUUID"].as_string(), Some("U1"));
        let c = d["Command"].as_dictionary().unwrap();
        assert_eq!(c["RequestType"].as_string(), Some("DeviceInformation"));
        assert_eq!(c["Queries"].as_array().unwrap().len(), QUERIES.len());
        let lock = Request::DeviceLock {
            pin: Some("123456".into()),
            message: None,
            phone_number: None,
        };
        assert!(lock.check(Platform::Macos).is_ok());
        assert!(lock.check(Platform::Ios).is_err());
        let no_pin = Request::EraseDevice { pin: None };
        assert!(no_pin.check(Platform::Macos).is_err());
        assert!(no_pin.check(Platform::Ios).is_ok());
    }
}
