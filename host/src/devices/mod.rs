//! Devices of a tenant (SPEC D7, D8): one row per registration of a physical device, named
//! across registrations by its `hardware_id` (UDID for Apple, serial number or IMEI for
//! Android). States are Active, Retired, Wiped and Reset; administrators retire, wipe or delete a
//! device, and the device may then register again without anyone removing the old entry first.
//!
//! What happens to the older entry when a device registers again is decided by one function,
//! [`reregistration`], which every enrolment path (Apple check-in, the Android plugins) goes
//! through by calling [`register`]. Every transition writes its history entry in the same
//! transaction.
//!
//! - `inventory`: the devices plugins manage at their vendor, and the verdict the host answers
//!   each report with;
//! - `commands`: administrators' commands to those devices, through their plugin.

pub mod commands;
pub mod discoveries;
pub mod inventory;
pub mod registrations;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::admins::Permission;
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::services::AsAdmin;
use crate::store::batch::Placeholders;
use crate::store::{new_id, now_ms, starts_with_pattern, Scoped};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Ios,
    Macos,
    Android,
    /// Another system (a mail client Exchange reports: Windows, ...); only discovered devices.
    Other,
}

impl Platform {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Platform::Ios => "ios",
            Platform::Macos => "macos",
            Platform::Android => "android",
            Platform::Other => "other",
        }
    }
    pub(crate) fn from_code(code: &str) -> Platform {
        match code {
            "ios" => Platform::Ios,
            "macos" => Platform::Macos,
            "other" => Platform::Other,
            _ => Platform::Android,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = DeviceState)]
pub enum State {
    Active,
    Retired,
    Wiped,
    /// Reset by the server (an expired enrolment token, the 10-minute rule); the device
    /// registers again from scratch.
    Reset,
    /// Registered at a provisioning service (zero-touch, ...) by a plugin, not enrolled yet.
    Awaiting,
    /// Found at a plugin's vendor without being managed (a phone reading a mailbox through
    /// Exchange ActiveSync...).
    Discovered,
}

impl State {
    pub fn code(self) -> &'static str {
        match self {
            State::Active => "active",
            State::Retired => "retired",
            State::Wiped => "wiped",
            State::Reset => "reset",
            State::Awaiting => "awaiting",
            State::Discovered => "discovered",
        }
    }
    fn from_code(code: &str) -> State {
        match code {
            "retired" => State::Retired,
            "wiped" => State::Wiped,
            "reset" => State::Reset,
            "awaiting" => State::Awaiting,
            "discovered" => State::Discovered,
            _ => State::Active,
        }
    }
}

/// What becomes of a device's earlier entry when it registers again (SPEC D8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reregistration {
    /// The same entry is used again (Apple devices, Android 9 and older).
    ReuseEntry,
    /// A new entry; the earlier ones are archived (Android 10 and later, whose hardware
    /// identifiers are not stable across enrolments).
    NewEntryArchiveOlder,
}

/// The OS version of a device whose vendor has not reported it yet (an Android device reports
/// its software only once its policy asks for it).
pub const UNKNOWN_VERSION: &str = "unknown";

/// The re-registration rule, in one place for every enrolment path.
pub fn reregistration(platform: Platform, os_version: &str) -> Result<Reregistration, Error> {
    match platform {
        Platform::Ios | Platform::Macos => Ok(Reregistration::ReuseEntry),
        Platform::Other => Err(Error::invalid(
            "platform",
            "ios, macos or android (other systems are only discovered)",
        )),
        // Not reported yet: the rule of the devices enrolling today (Android 10 and later),
        // which loses nothing (the earlier entries are archived, not removed).
        Platform::Android if os_version.trim() == UNKNOWN_VERSION => {
            Ok(Reregistration::NewEntryArchiveOlder)
        }
        Platform::Android => {
            let major = os_version
                .trim()
                .split('.')
                .next()
                .and_then(|m| m.parse::<u32>().ok())
                .ok_or_else(|| {
                    Error::invalid("os_version", "give the Android version, e.g. 9 or 14.0")
                })?;
            Ok(if major >= 10 {
                Reregistration::NewEntryArchiveOlder
            } else {
                Reregistration::ReuseEntry
            })
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Device {
    pub id: String,
    /// The owner, if the user still exists.
    pub user_id: Option<String>,
    pub platform: Platform,
    pub os_version: String,
    pub hardware_id: String,
    pub name: String,
    pub model: String,
    pub state: State,
    /// An older registration of a device that registered again; it never changes again.
    pub archived: bool,
    /// Whether the device is under management (false after check-out or retirement).
    pub mdm_enabled: bool,
    /// How many times this entry was registered.
    pub registrations: i64,
    /// Unix milliseconds of the latest registration.
    pub registered_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, sqlx::FromRow)]
struct Row {
    id: String,
    user_id: Option<String>,
    platform: String,
    os_version: String,
    hardware_id: String,
    name: String,
    model: String,
    state: String,
    archived: i64,
    mdm_enabled: i64,
    registrations: i64,
    registered_at: i64,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Device {
    fn from(r: Row) -> Device {
        Device {
            id: r.id,
            user_id: r.user_id,
            platform: Platform::from_code(&r.platform),
            os_version: r.os_version,
            hardware_id: r.hardware_id,
            name: r.name,
            model: r.model,
            state: State::from_code(&r.state),
            archived: r.archived != 0,
            mdm_enabled: r.mdm_enabled != 0,
            registrations: r.registrations,
            registered_at: r.registered_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const COLUMNS: &str = "id, user_id, platform, os_version, hardware_id, name, model, state, \
    archived, mdm_enabled, registrations, registered_at, created_at, updated_at";

/// A device registering (first time or again).
#[derive(Debug, Clone)]
pub struct Registration {
    pub platform: Platform,
    pub hardware_id: String,
    pub os_version: String,
    pub name: String,
    pub model: String,
    pub user_id: Option<String>,
}

fn check_text(value: &str, field: &str, max: usize) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(Error::invalid(field, format!("give 1 to {max} characters")));
    }
    Ok(value.to_string())
}

/// Registers a device, applying the re-registration rule to its earlier entries.
pub async fn register(
    scoped: &mut Scoped,
    actor: &Actor,
    reg: Registration,
) -> Result<Device, Error> {
    let mut devices = register_all(scoped, actor, vec![reg]).await?;
    Ok(devices.remove(0))
}

/// A registration whose fields were checked, with its re-registration rule.
struct Checked {
    reg: Registration,
    hardware_id: String,
    os_version: String,
    name: String,
    model: String,
    rule: Reregistration,
}

impl Checked {
    fn new(reg: Registration) -> Result<Checked, Error> {
        let os_version = check_text(&reg.os_version, "os_version", 50)?;
        Ok(Checked {
            hardware_id: check_text(&reg.hardware_id, "hardware_id", 200)?,
            name: check_text(&reg.name, "name", 200)?,
            model: check_text(&reg.model, "model", 200)?,
            rule: reregistration(reg.platform, &os_version)?,
            os_version,
            reg,
        })
    }

    fn key(&self) -> (Platform, String) {
        (self.reg.platform, self.hardware_id.clone())
    }
}

/// Registers several devices in order, as [`register`] would one after the other, with one
/// look-up of earlier entries and one INSERT (and one history INSERT) for all the new entries
/// (batched check-ins). Devices met for the first time, the common case, cost no statement of
/// their own; an earlier entry is updated or archived by its own statements.
pub async fn register_all(
    scoped: &mut Scoped,
    actor: &Actor,
    regs: Vec<Registration>,
) -> Result<Vec<Device>, Error> {
    let regs = regs
        .into_iter()
        .map(Checked::new)
        .collect::<Result<Vec<_>, _>>()?;
    let keys: Vec<(Platform, &str)> = regs
        .iter()
        .map(|r| (r.reg.platform, r.hardware_id.as_str()))
        .collect();
    let mut earlier = earlier_entries(scoped, &keys).await?;
    let now = now_ms();
    let mut devices = Vec::with_capacity(regs.len());
    // New entries not inserted yet, and the keys registered so far in this call.
    let mut new_entries: Vec<Device> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for reg in regs {
        let key = reg.key();
        if !seen.insert(key.clone()) {
            // The same device twice: the second registration sees the first one's entry.
            insert_new(scoped, actor, std::mem::take(&mut new_entries)).await?;
            let fresh = earlier_entries(scoped, &[(key.0, key.1.as_str())]).await?;
            earlier.insert(key.clone(), fresh.get(&key).cloned().unwrap_or_default());
        }
        let entries = earlier.remove(&key).unwrap_or_default();
        if let (Reregistration::ReuseEntry, Some(row)) = (reg.rule, entries.first()) {
            devices.push(reuse_entry(scoped, actor, &reg, row, now).await?);
            continue;
        }
        for row in &entries {
            archive(scoped, actor, row, now).await?;
        }
        let device = Device {
            id: new_id(),
            user_id: reg.reg.user_id,
            platform: reg.reg.platform,
            os_version: reg.os_version,
            hardware_id: reg.hardware_id,
            name: reg.name,
            model: reg.model,
            state: State::Active,
            archived: false,
            mdm_enabled: true,
            registrations: 1,
            registered_at: now,
            created_at: now,
            updated_at: now,
        };
        devices.push(device.clone());
        new_entries.push(device);
    }
    insert_new(scoped, actor, new_entries).await?;
    Ok(devices)
}

/// The live (not archived) entries of these devices (platform, hardware id), newest first.
async fn earlier_entries(
    scoped: &mut Scoped,
    keys: &[(Platform, &str)],
) -> Result<std::collections::HashMap<(Platform, String), Vec<Row>>, Error> {
    let mut by_key: std::collections::HashMap<(Platform, String), Vec<Row>> = Default::default();
    if keys.is_empty() {
        return Ok(by_key);
    }
    let mut platforms: Vec<&str> = keys.iter().map(|(p, _)| p.code()).collect();
    platforms.sort_unstable();
    platforms.dedup();
    let tenant = scoped.tenant().as_str().to_string();
    // Platforms and ids are listed apart (which the (tenant, platform, hardware id) index
    // serves); a pair matched across platforms is filtered out below.
    let mut p = Placeholders::new(scoped);
    let sql = format!(
        "SELECT {COLUMNS} FROM devices WHERE tenant_id = {} AND archived = 0 \
         AND platform IN ({}) AND hardware_id IN ({}) ORDER BY registered_at DESC",
        p.next(),
        p.list(platforms.len()),
        p.list(keys.len())
    );
    let mut query = sqlx::query_as::<_, Row>(&sql).bind(tenant);
    for platform in &platforms {
        query = query.bind(platform.to_string());
    }
    for (_, id) in keys {
        query = query.bind(id.to_string());
    }
    for row in query.fetch_all(scoped.conn()).await? {
        let key = (Platform::from_code(&row.platform), row.hardware_id.clone());
        if keys.iter().any(|(p, id)| *p == key.0 && *id == key.1) {
            by_key.entry(key).or_default().push(row);
        }
    }
    Ok(by_key)
}

/// A device registering again on its earlier entry (Apple, Android 9 and older).
async fn reuse_entry(
    scoped: &mut Scoped,
    actor: &Actor,
    reg: &Checked,
    row: &Row,
    now: i64,
) -> Result<Device, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let before = Device::from(row.clone());
    sqlx::query(
        "UPDATE devices SET user_id = $1, os_version = $2, name = $3, model = $4, \
         state = 'active', mdm_enabled = 1, registrations = registrations + 1, \
         registered_at = $5, updated_at = $5 WHERE tenant_id = $6 AND id = $7",
    )
    .bind(&reg.reg.user_id)
    .bind(&reg.os_version)
    .bind(&reg.name)
    .bind(&reg.model)
    .bind(now)
    .bind(&tenant)
    .bind(&before.id)
    .execute(scoped.conn())
    .await?;
    let after = get(scoped, &before.id).await?;
    history::record(
        scoped,
        actor,
        Change::new(
            "device",
            &after.id,
            "re_registered",
            Some(&before),
            Some(&after),
        ),
    )
    .await?;
    Ok(after)
}

/// An older entry of a device that registers on a new one: it cannot be managed any more,
/// only the newest entry is Active.
async fn archive(scoped: &mut Scoped, actor: &Actor, row: &Row, now: i64) -> Result<(), Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let before = Device::from(row.clone());
    sqlx::query(
        "UPDATE devices SET archived = 1, mdm_enabled = 0, updated_at = $1, \
         state = CASE WHEN state = 'active' THEN 'retired' ELSE state END \
         WHERE tenant_id = $2 AND id = $3",
    )
    .bind(now)
    .bind(&tenant)
    .bind(&before.id)
    .execute(scoped.conn())
    .await?;
    let after = get(scoped, &before.id).await?;
    history::record(
        scoped,
        actor,
        Change::new("device", &after.id, "archived", Some(&before), Some(&after)),
    )
    .await
}

/// Inserts new entries (exactly these rows: no read back) and their history, one statement
/// each.
pub(crate) async fn insert_new(
    scoped: &mut Scoped,
    actor: &Actor,
    devices: Vec<Device>,
) -> Result<(), Error> {
    if devices.is_empty() {
        return Ok(());
    }
    let tenant = scoped.tenant().as_str().to_string();
    let sql = format!(
        "INSERT INTO devices (id, tenant_id, user_id, platform, os_version, hardware_id, name, \
         model, state, archived, mdm_enabled, registrations, registered_at, created_at, \
         updated_at) VALUES {}",
        Placeholders::new(scoped).rows(devices.len(), 15)
    );
    let mut query = sqlx::query(&sql);
    for d in &devices {
        query = query
            .bind(&d.id)
            .bind(&tenant)
            .bind(&d.user_id)
            .bind(d.platform.code())
            .bind(&d.os_version)
            .bind(&d.hardware_id)
            .bind(&d.name)
            .bind(&d.model)
            .bind(d.state.code())
            .bind(i64::from(d.archived))
            .bind(i64::from(d.mdm_enabled))
            .bind(d.registrations)
            .bind(d.registered_at)
            .bind(d.created_at)
            .bind(d.updated_at);
    }
    query.execute(scoped.conn()).await?;
    let changes = devices
        .iter()
        .map(|d| Change::created("device", &d.id, d))
        .collect();
    history::record_all(scoped, actor, changes).await
}

/// Turns MDM off for a device whose management ended on the device's side (check-out, a
/// cancelled profile install), with its history entry. Nothing to do when the entry is gone,
/// archived or already unmanaged.
pub async fn disable_mdm_if_live(scoped: &mut Scoped, id: &str) -> Result<Option<Device>, Error> {
    match get(scoped, id).await {
        Ok(d) if d.archived || !d.mdm_enabled => Ok(None),
        Ok(_) => Ok(Some(
            apply(scoped, &Actor::System, id, Action::DisableMdm).await?,
        )),
        Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A serial number as stored and looked up: trimmed, upper-case.
pub(crate) fn serial_key(serial: &str) -> String {
    serial.trim().to_uppercase()
}

/// An IMEI as stored and looked up: its digits (IMEIs are written with spaces or dashes too).
fn imei_key(imei: &str) -> String {
    imei.chars().filter(char::is_ascii_digit).collect()
}

/// Replaces what a device is known by: its serial number and IMEIs (either IMEI of a dual-SIM
/// device finds it). Empty values are left out.
pub async fn set_identifiers(
    scoped: &mut Scoped,
    device_id: &str,
    serial: Option<&str>,
    imeis: &[String],
) -> Result<(), Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let mut wanted: Vec<(&str, String)> = serial
        .map(serial_key)
        .filter(|s| !s.is_empty() && s.chars().count() <= 100)
        .map(|s| ("serial", s))
        .into_iter()
        .chain(
            imeis
                .iter()
                .map(|i| imei_key(i))
                .filter(|i| (14..=16).contains(&i.len()))
                .map(|i| ("imei", i)),
        )
        .collect();
    wanted.sort();
    wanted.dedup();
    sqlx::query("DELETE FROM device_identifiers WHERE tenant_id = $1 AND device_id = $2")
        .bind(&tenant)
        .bind(device_id)
        .execute(scoped.conn())
        .await?;
    if wanted.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO device_identifiers (device_id, tenant_id, kind, value) VALUES {}",
        Placeholders::new(scoped).rows(wanted.len(), 4)
    );
    let mut query = sqlx::query(&sql);
    for (kind, value) in wanted {
        query = query
            .bind(device_id.to_string())
            .bind(tenant.clone())
            .bind(kind)
            .bind(value);
    }
    query.execute(scoped.conn()).await?;
    Ok(())
}

/// Makes `serial` (as [`serial_key`] gives it) the device's serial number, its other
/// identifiers (IMEIs) kept.
pub async fn replace_serial(
    scoped: &mut Scoped,
    device_id: &str,
    serial: &str,
) -> Result<(), Error> {
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query(
        "DELETE FROM device_identifiers WHERE tenant_id = $1 AND device_id = $2 \
         AND kind = 'serial'",
    )
    .bind(&tenant)
    .bind(device_id)
    .execute(scoped.conn())
    .await?;
    sqlx::query(
        "INSERT INTO device_identifiers (device_id, tenant_id, kind, value) \
         VALUES ($1, $2, 'serial', $3)",
    )
    .bind(device_id)
    .bind(&tenant)
    .bind(serial)
    .execute(scoped.conn())
    .await?;
    Ok(())
}

/// A device with what it is known by.
#[derive(Debug, Clone)]
pub struct Identified {
    pub device: Device,
    pub serial: Option<String>,
    pub imeis: Vec<String>,
}

/// The tenant's live device with this serial number or IMEI, if any (the latest registered
/// when, unusually, two share one).
pub async fn find_identified(
    scoped: &mut Scoped,
    serial_or_imei: &str,
) -> Result<Option<Identified>, Error> {
    let serial = serial_key(serial_or_imei);
    // Only a number (spaces and dashes allowed) is taken for an IMEI: the digits of a serial
    // number such as `R58M123...` are no IMEI.
    let imei = if serial_or_imei
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
    {
        imei_key(serial_or_imei)
    } else {
        String::new()
    };
    if serial.is_empty() {
        return Ok(None);
    }
    let tenant = scoped.tenant().as_str().to_string();
    let row = sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM devices WHERE tenant_id = $1 AND archived = 0 AND id IN \
         (SELECT device_id FROM device_identifiers WHERE tenant_id = $1 AND \
         ((kind = 'serial' AND value = $2) OR (kind = 'imei' AND value = $3))) \
         ORDER BY registered_at DESC, id DESC LIMIT 1"
    ))
    .bind(tenant)
    .bind(serial)
    .bind(imei)
    .fetch_optional(scoped.conn())
    .await?;
    Ok(
        identify(scoped, row.into_iter().map(Device::from).collect())
            .await?
            .pop(),
    )
}

/// For each serial number or IMEI, in order, the tenant's live device it identifies (as
/// [`find_identified`] for one), with a few statements for the whole list.
pub async fn find_many_identified(
    scoped: &mut Scoped,
    identifiers: &[String],
) -> Result<Vec<Option<Identified>>, Error> {
    // (serial key, IMEI key or empty) of each identifier.
    let keys: Vec<(String, String)> = identifiers
        .iter()
        .map(|i| {
            let imei = if i
                .chars()
                .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
            {
                imei_key(i)
            } else {
                String::new()
            };
            (serial_key(i), imei)
        })
        .collect();
    let mut values: Vec<String> = keys
        .iter()
        .flat_map(|(s, i)| [s.clone(), i.clone()])
        .filter(|v| !v.is_empty())
        .collect();
    values.sort_unstable();
    values.dedup();
    let known: Vec<(String, String, String)> = crate::store::batch::rows_among(
        scoped,
        "SELECT device_id, kind, value FROM device_identifiers",
        "value",
        &values,
    )
    .await?;
    let mut ids: Vec<String> = known.iter().map(|(id, _, _)| id.clone()).collect();
    ids.sort_unstable();
    ids.dedup();
    let rows: Vec<Row> = crate::store::batch::rows_among(
        scoped,
        &format!("SELECT {COLUMNS} FROM devices"),
        "id",
        &ids,
    )
    .await?;
    let rows = rows.into_iter().map(Device::from).filter(|d| !d.archived);
    let mut live = identify(scoped, rows.collect()).await?;
    // The latest registration first, as `find_identified` answers.
    live.sort_by(|a, b| {
        (b.device.registered_at, &b.device.id).cmp(&(a.device.registered_at, &a.device.id))
    });
    Ok(keys
        .iter()
        .map(|(serial, imei)| {
            live.iter()
                .find(|d| {
                    (!serial.is_empty() && d.serial.as_deref() == Some(serial.as_str()))
                        || (!imei.is_empty() && d.imeis.iter().any(|i| i == imei))
                })
                .cloned()
        })
        .collect())
}

/// The user's live devices, newest registration first, with what each is known by.
pub async fn of_user(scoped: &mut Scoped, user_id: &str) -> Result<Vec<Identified>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let rows = sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM devices WHERE tenant_id = $1 AND user_id = $2 AND archived = 0 \
         ORDER BY registered_at DESC, id DESC LIMIT 1000"
    ))
    .bind(tenant)
    .bind(user_id)
    .fetch_all(scoped.conn())
    .await?;
    identify(scoped, rows.into_iter().map(Device::from).collect()).await
}

async fn identify(scoped: &mut Scoped, devices: Vec<Device>) -> Result<Vec<Identified>, Error> {
    let ids: Vec<String> = devices.iter().map(|d| d.id.clone()).collect();
    let known: Vec<(String, String, String)> = crate::store::batch::rows_among(
        scoped,
        "SELECT device_id, kind, value FROM device_identifiers",
        "device_id",
        &ids,
    )
    .await?;
    Ok(devices
        .into_iter()
        .map(|device| {
            let mut imeis: Vec<String> = known
                .iter()
                .filter(|(id, kind, _)| *id == device.id && kind == "imei")
                .map(|(_, _, value)| value.clone())
                .collect();
            imeis.sort();
            let serial = known
                .iter()
                .find(|(id, kind, _)| *id == device.id && kind == "serial")
                .map(|(_, _, value)| value.clone());
            Identified {
                device,
                serial,
                imeis,
            }
        })
        .collect())
}

/// The live (not archived) entry of the device with this hardware id, if any.
pub async fn live_by_hardware_id(
    scoped: &mut Scoped,
    platform: Platform,
    hardware_id: &str,
) -> Result<Option<Device>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    Ok(sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM devices WHERE tenant_id = $1 AND platform = $2 \
         AND hardware_id = $3 AND archived = 0 ORDER BY registered_at DESC LIMIT 1"
    ))
    .bind(tenant)
    .bind(platform.code())
    .bind(hardware_id)
    .fetch_optional(scoped.conn())
    .await?
    .map(Device::from))
}

pub async fn get(scoped: &mut Scoped, id: &str) -> Result<Device, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM devices WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(scoped.conn())
    .await?
    .map(Device::from)
    .ok_or(Error::NotFound("device"))
}

/// Filters of the device list.
#[derive(Debug, Default, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeviceQuery {
    /// Only this user's devices.
    pub user_id: Option<String>,
    /// Only devices whose owner's e-mail starts with this (case-insensitive).
    pub owner: Option<String>,
    /// Only devices in this state.
    pub state: Option<State>,
    pub platform: Option<Platform>,
    /// Where the device came from: `apple` (Apple MDM enrolment), `portal` (registered from
    /// the portal, no vendor) or the name of the plugin managing it (`amapi`, `zero-touch`,
    /// `knox`, `exchange`...).
    pub source: Option<String>,
    /// Also list archived entries (older registrations). Default false.
    #[serde(default)]
    pub include_archived: bool,
    /// Devices to skip (paging). Default 0.
    #[serde(default)]
    pub offset: i64,
    /// 1 to 1000. Default 1000.
    pub limit: Option<i64>,
}

/// A device in a list, with where it came from (see [`DeviceQuery::source`]).
#[derive(Debug, Clone)]
pub struct Listed {
    pub device: Device,
    pub source: String,
}

/// A page of devices and how many match in all.
#[derive(Debug, Clone)]
pub struct DevicePage {
    pub devices: Vec<Listed>,
    pub total: i64,
}

/// A device's source (see [`DeviceQuery::source`]) in SQL, over `devices d`.
const SOURCE: &str = "COALESCE((SELECT p.name FROM plugin_devices pd \
     JOIN plugins p ON p.id = pd.plugin_id \
     WHERE pd.tenant_id = d.tenant_id AND pd.device_id = d.id), \
     CASE WHEN d.platform = 'android' THEN 'portal' ELSE 'apple' END)";

#[derive(sqlx::FromRow)]
struct ListedRow {
    #[sqlx(flatten)]
    row: Row,
    source: String,
}

/// Devices of the tenant matching `q`, newest registration first, and how many match.
pub async fn page(scoped: &mut Scoped, q: &DeviceQuery) -> Result<DevicePage, Error> {
    let limit = q.limit.unwrap_or(1000);
    if !(1..=1000).contains(&limit) {
        return Err(Error::invalid("limit", "must be between 1 and 1000"));
    }
    if q.offset < 0 {
        return Err(Error::invalid("offset", "must be 0 or more"));
    }
    let owner = q
        .owner
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(starts_with_pattern);
    let source = q.source.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let tenant = scoped.tenant().as_str().to_string();
    let filter = format!(
        "d.tenant_id = $1 AND ($2 IS NULL OR d.user_id = $2) AND ($3 IS NULL OR d.state = $3) \
         AND ($4 = 1 OR d.archived = 0) AND ($5 IS NULL OR d.platform = $5) \
         AND ($6 IS NULL OR {SOURCE} = $6) \
         AND ($7 IS NULL OR d.user_id IN (SELECT u.id FROM users u \
              WHERE u.tenant_id = d.tenant_id AND u.email LIKE $7 ESCAPE '\\'))"
    );
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM devices d WHERE {filter}"))
        .bind(&tenant)
        .bind(&q.user_id)
        .bind(q.state.map(State::code))
        .bind(i64::from(q.include_archived))
        .bind(q.platform.map(Platform::code))
        .bind(source)
        .bind(&owner)
        .fetch_one(scoped.conn())
        .await?;
    let columns = COLUMNS
        .split(", ")
        .map(|c| format!("d.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query_as::<_, ListedRow>(&format!(
        "SELECT {columns}, {SOURCE} AS source FROM devices d WHERE {filter} \
         ORDER BY d.registered_at DESC, d.id DESC LIMIT $8 OFFSET $9"
    ))
    .bind(&tenant)
    .bind(&q.user_id)
    .bind(q.state.map(State::code))
    .bind(i64::from(q.include_archived))
    .bind(q.platform.map(Platform::code))
    .bind(source)
    .bind(&owner)
    .bind(limit)
    .bind(q.offset)
    .fetch_all(scoped.conn())
    .await?;
    Ok(DevicePage {
        devices: rows
            .into_iter()
            .map(|r| Listed {
                device: Device::from(r.row),
                source: r.source,
            })
            .collect(),
        total,
    })
}

/// Devices of the tenant matching `q`, newest registration first.
pub async fn list(scoped: &mut Scoped, q: &DeviceQuery) -> Result<Vec<Device>, Error> {
    Ok(page(scoped, q)
        .await?
        .devices
        .into_iter()
        .map(|l| l.device)
        .collect())
}

/// An administrator's action on a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Stop managing the device (it keeps its data); it may register again.
    Retire,
    /// Erase the device; it may register again.
    Wipe,
    /// Stop managing, on the device's own request (MDM check-out) or a cancelled profile
    /// install: MDM is disabled, the state is kept.
    DisableMdm,
}

/// Applies `action` to a live (not archived) device.
pub async fn apply(
    scoped: &mut Scoped,
    actor: &Actor,
    id: &str,
    action: Action,
) -> Result<Device, Error> {
    let before = get(scoped, id).await?;
    if before.archived {
        return Err(Error::Conflict {
            code: "device_archived",
            message: "this is an archived entry of a device that registered again; act on its \
                      newest entry"
                .into(),
        });
    }
    let (state, mdm, verb) = match action {
        Action::Retire => (State::Retired, false, "retired"),
        Action::Wipe => (State::Wiped, false, "wiped"),
        Action::DisableMdm => (before.state, false, "mdm_disabled"),
    };
    if matches!(action, Action::Retire | Action::Wipe) && before.state != State::Active {
        return Err(Error::Conflict {
            code: "device_not_active",
            message: format!(
                "the device is {}; only an active device can be {verb}",
                before.state.code()
            ),
        });
    }
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query(
        "UPDATE devices SET state = $1, mdm_enabled = $2, updated_at = $3 \
         WHERE tenant_id = $4 AND id = $5",
    )
    .bind(state.code())
    .bind(i64::from(mdm))
    .bind(now_ms())
    .bind(tenant)
    .bind(id)
    .execute(scoped.conn())
    .await?;
    let after = get(scoped, id).await?;
    history::record(
        scoped,
        actor,
        Change::new("device", id, verb, Some(&before), Some(&after)),
    )
    .await?;
    Ok(after)
}

/// Deletes a device's entry (its history stays); the device may register again.
pub async fn delete(scoped: &mut Scoped, actor: &Actor, id: &str) -> Result<(), Error> {
    let before = get(scoped, id).await?;
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query("DELETE FROM devices WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(scoped.conn())
        .await?;
    history::record(scoped, actor, Change::deleted("device", id, &before)).await?;
    Ok(())
}

/// A device with the plugin that manages it, if any.
#[derive(Serialize, ToSchema)]
pub struct DeviceDetails {
    #[serde(flatten)]
    pub device: Device,
    /// The plugin managing the device at its vendor (e.g. AMAPI) and whether it is on; absent
    /// for devices no plugin manages.
    pub management: Option<inventory::Management>,
    /// The provisioning service the device is registered at, with the configuration it will
    /// be provisioned with; absent for devices no plugin registered.
    pub registration: Option<registrations::Registration>,
    /// What the vendor reports of a device a plugin discovered (an Exchange device's mailbox,
    /// its access and why...); absent for other devices.
    pub discovery: Option<discoveries::Discovered>,
}

/// An administrator's link of a discovered device to its user (SPEC G5).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnerRequest {
    /// The user the device belongs to; `null` unlinks it.
    pub user_id: Option<String>,
}

/// What administrators do with devices (SPEC D7): retire, wipe, delete. Each leaves the device
/// free to register again.
impl AsAdmin<'_> {
    pub async fn list_devices(&self, query: &DeviceQuery) -> Result<Vec<Device>, Error> {
        list(&mut self.read().await?, query).await
    }

    /// A page of devices with their source and the number matching (the console's table).
    pub async fn device_page(&self, query: &DeviceQuery) -> Result<DevicePage, Error> {
        page(&mut self.read().await?, query).await
    }

    pub async fn get_device(&self, id: &str) -> Result<DeviceDetails, Error> {
        let mut read = self.read().await?;
        let device = get(&mut read, id).await?;
        let management = inventory::management(&mut read, id).await?;
        let registration = registrations::of_device(&mut read, id).await?;
        let discovery = discoveries::discovered(&mut read, &device).await?;
        Ok(DeviceDetails {
            device,
            management,
            registration,
            discovery,
        })
    }

    /// Links a discovered device to its user by hand, or unlinks it (SPEC G5): a change to a
    /// resource the vendor reports, so the *modify resource* permission (A2), as user-device
    /// affinity is in the product SPEC G follows.
    pub async fn set_device_owner(
        &self,
        id: &str,
        request: &OwnerRequest,
    ) -> Result<Device, Error> {
        let mut scoped = self
            .write(Permission::Exchange(
                crate::admins::ExchangePermission::ModifyResource,
            ))
            .await?;
        let device = discoveries::set_owner(
            &mut scoped,
            &self.actor(),
            id,
            request.user_id.as_deref().map(str::trim),
            crate::store::now_ms(),
        )
        .await?;
        scoped.commit().await?;
        Ok(device)
    }

    /// Retires or wipes a device (its state; a plugin-managed device's vendor wipe is a
    /// command, `devices::commands`).
    /// An enrolled Apple device also gets the matching command (`apple::commands`).
    pub async fn act_on_device(&self, id: &str, action: Action) -> Result<Device, Error> {
        let mut scoped = self.write(Permission::DeleteDevices).await?;
        let device = apply(&mut scoped, &self.actor(), id, action).await?;
        let queued = crate::apple::commands::follow_device_action(
            &mut scoped,
            self.services.secrets(),
            &self.actor(),
            id,
            action,
            crate::store::now_ms(),
        )
        .await?;
        scoped.commit().await?;
        if queued.is_some() {
            self.services.pushes().wake();
        }
        Ok(device)
    }

    pub async fn delete_device(&self, id: &str) -> Result<(), Error> {
        let mut scoped = self.write(Permission::DeleteDevices).await?;
        delete(&mut scoped, &self.actor(), id).await?;
        scoped.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn android_10_and_later_get_a_new_entry() {
        use Reregistration::*;
        let rule = |p, v| reregistration(p, v).unwrap();
        assert_eq!(rule(Platform::Android, "9"), ReuseEntry);
        assert_eq!(rule(Platform::Android, "8.1.0"), ReuseEntry);
        assert_eq!(rule(Platform::Android, "10"), NewEntryArchiveOlder);
        assert_eq!(rule(Platform::Android, "14.0"), NewEntryArchiveOlder);
        assert_eq!(rule(Platform::Ios, "17.4"), ReuseEntry);
        assert_eq!(rule(Platform::Macos, "14.2.1"), ReuseEntry);
        assert!(reregistration(Platform::Android, "Q").is_err());
        assert_eq!(
            rule(Platform::Android, UNKNOWN_VERSION),
            NewEntryArchiveOlder
        );
    }
}
