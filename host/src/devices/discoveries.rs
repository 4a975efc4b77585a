//! Devices a plugin finds at its vendor without managing them (`corral:plugin@0.7.0`
//! `discoveries`: the phones reading a mailbox through Exchange ActiveSync...).
//!
//! Why here: they belong in the device inventory next to the enrolled ones (an administrator
//! looks for a user's devices in one place), under the name the plugin gives (Exchange's
//! `<user>_<devicetype>`), with what the vendor says of them. Each is a device entry in state
//! `discovered`, linked to the plugin (`plugin_devices`) like a managed one, so a command to it
//! (a wipe) goes to that plugin. Its owner is the one the plugin names (a user of this tenant,
//! found through `directory`); when the plugin names none, the owner an administrator set
//! stays. A full listing ends with `forget`, which removes the discovered entries not seen
//! since it started.

use std::collections::{HashMap, HashSet};

use corral_plugin_runtime::api;
use serde::Serialize;

use super::inventory::{platform_of, plugin_row_id};
use crate::devices::{self, Device, State};
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::store::batch::rows_among;
use crate::store::{new_id, Store};
use crate::tenants::TenantId;

/// The most discoveries one call records (the WIT says so).
const MAX: usize = 10_000;
/// The most details one discovery carries.
const MAX_DETAILS: usize = 50;

/// What the history keeps of a change to a discovered device's owner (by the plugin, or by
/// an administrator).
#[derive(Serialize)]
struct Owner<'a> {
    user_id: Option<&'a str>,
}

async fn record_owner(
    scoped: &mut crate::store::Scoped,
    actor: &Actor,
    device_id: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> Result<(), Error> {
    history::record(
        scoped,
        actor,
        Change::new(
            "device",
            device_id,
            "owner_set",
            Some(&Owner { user_id: before }),
            Some(&Owner { user_id: after }),
        ),
    )
    .await
}

struct Checked {
    vendor_name: String,
    name: String,
    device: api::DeviceIdentity,
    owner: Option<String>,
    last_seen: Option<i64>,
    details: String,
}

fn check(d: api::Discovery, at: usize) -> Result<Checked, Error> {
    let field = |name: &str| format!("discoveries[{at}].{name}");
    let vendor_name = d.vendor_name.trim().to_string();
    if vendor_name.is_empty() || vendor_name.len() > 500 {
        return Err(Error::invalid(
            field("vendor-name"),
            "give 1 to 500 characters",
        ));
    }
    let name = d.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid(field("name"), "give 1 to 200 characters"));
    }
    if d.details.len() > MAX_DETAILS {
        return Err(Error::invalid(
            field("details"),
            format!("at most {MAX_DETAILS}"),
        ));
    }
    if d.details
        .iter()
        .any(|p| p.name.chars().count() > 100 || p.value.chars().count() > 1000)
    {
        return Err(Error::invalid(
            field("details"),
            "a name is at most 100 characters, a value at most 1000",
        ));
    }
    let details = serde_json::to_string(
        &d.details
            .iter()
            .map(|p| [p.name.as_str(), p.value.as_str()])
            .collect::<Vec<_>>(),
    )
    .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(Checked {
        vendor_name,
        name,
        owner: d.owner_user_id,
        last_seen: d.last_seen_ms.map(|ms| ms.min(i64::MAX as u64) as i64),
        device: d.identity,
        details,
    })
}

/// Records (or updates) the plugin's discovered devices; answers how many.
pub async fn record(
    store: &Store,
    tenant: &TenantId,
    plugin_name: &str,
    discoveries: Vec<api::Discovery>,
    now: i64,
) -> Result<u32, Error> {
    if discoveries.len() > MAX {
        return Err(Error::invalid(
            "discoveries",
            format!("at most {MAX} at once"),
        ));
    }
    let mut checked = Vec::with_capacity(discoveries.len());
    for (at, d) in discoveries.into_iter().enumerate() {
        // Any system may read a mailbox: one this host does not manage is `other`.
        let platform = platform_of(&d.identity).unwrap_or(devices::Platform::Other);
        checked.push((platform, check(d, at)?));
    }
    let count = checked.len() as u32;
    let mut scoped = store.scoped(tenant).await?;
    let tenant_id = tenant.as_str().to_string();
    let plugin_id = plugin_row_id(&mut scoped, plugin_name).await?;
    // Owners must be users of this tenant.
    let owners: Vec<String> = checked
        .iter()
        .filter_map(|(_, c)| c.owner.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let users: HashSet<String> =
        rows_among::<(String,)>(&mut scoped, "SELECT id FROM users", "id", &owners)
            .await?
            .into_iter()
            .map(|(id,)| id)
            .collect();
    if let Some((at, _)) = checked
        .iter()
        .enumerate()
        .find(|(_, (_, c))| c.owner.as_ref().is_some_and(|o| !users.contains(o)))
    {
        return Err(Error::invalid(
            format!("discoveries[{at}].owner-user-id"),
            "not a user of this tenant",
        ));
    }
    let names: Vec<String> = checked.iter().map(|(_, c)| c.vendor_name.clone()).collect();
    let known: HashMap<String, String> = rows_among::<(String, String, String)>(
        &mut scoped,
        "SELECT vendor_name, device_id, plugin_id FROM plugin_devices",
        "vendor_name",
        &names,
    )
    .await?
    .into_iter()
    .filter(|(_, _, p)| *p == plugin_id)
    .map(|(name, device, _)| (name, device))
    .collect();
    let mut fresh: Vec<Device> = Vec::new();
    let mut links: Vec<(String, &Checked)> = Vec::new();
    for (platform, c) in &checked {
        match known.get(&c.vendor_name) {
            Some(device_id) => {
                let before = devices::get(&mut scoped, device_id).await?;
                let owner = c.owner.clone().or(before.user_id.clone());
                if before.name != c.name || before.user_id != owner {
                    sqlx::query(
                        "UPDATE devices SET name = $1, user_id = $2, updated_at = $3 \
                         WHERE tenant_id = $4 AND id = $5",
                    )
                    .bind(&c.name)
                    .bind(&owner)
                    .bind(now)
                    .bind(&tenant_id)
                    .bind(device_id)
                    .execute(scoped.conn())
                    .await?;
                    if before.user_id != owner {
                        record_owner(
                            &mut scoped,
                            &Actor::System,
                            device_id,
                            before.user_id.as_deref(),
                            owner.as_deref(),
                        )
                        .await?;
                    }
                }
                sqlx::query(
                    "UPDATE plugin_devices SET reported_at = $1, details_json = $2, \
                     last_seen_at = $3 WHERE tenant_id = $4 AND device_id = $5",
                )
                .bind(now)
                .bind(&c.details)
                .bind(c.last_seen)
                .bind(&tenant_id)
                .bind(device_id)
                .execute(scoped.conn())
                .await?;
            }
            None if links.iter().any(|(_, l)| l.vendor_name == c.vendor_name) => {}
            None => {
                let text = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
                let device = Device {
                    id: new_id(),
                    user_id: c.owner.clone(),
                    platform: *platform,
                    os_version: text(&c.device.os_version)
                        .unwrap_or_else(|| devices::UNKNOWN_VERSION.into()),
                    hardware_id: text(&c.device.serial_number)
                        .or_else(|| c.device.imeis.first().cloned())
                        .unwrap_or_else(|| c.vendor_name.clone()),
                    name: c.name.clone(),
                    model: text(&c.device.model).unwrap_or_else(|| "unknown".into()),
                    state: State::Discovered,
                    archived: false,
                    mdm_enabled: false,
                    registrations: 0,
                    registered_at: now,
                    created_at: now,
                    updated_at: now,
                };
                links.push((device.id.clone(), c));
                fresh.push(device);
            }
        }
    }
    devices::insert_new(&mut scoped, &Actor::System, fresh).await?;
    for (device_id, c) in &links {
        sqlx::query(
            "INSERT INTO plugin_devices (device_id, tenant_id, plugin_id, vendor_name, \
             enrolled_at, reported_at, details_json, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(device_id)
        .bind(&tenant_id)
        .bind(&plugin_id)
        .bind(&c.vendor_name)
        .bind(0i64)
        .bind(now)
        .bind(&c.details)
        .bind(c.last_seen)
        .execute(scoped.conn())
        .await?;
        devices::set_identifiers(
            &mut scoped,
            device_id,
            c.device.serial_number.as_deref(),
            &c.device.imeis,
        )
        .await?;
    }
    scoped.commit().await?;
    Ok(count)
}

/// Removes the plugin's discovered entries not seen since `since`; answers how many.
pub async fn forget(
    store: &Store,
    tenant: &TenantId,
    plugin_name: &str,
    since: i64,
) -> Result<u32, Error> {
    super::registrations::forget_in_state(store, tenant, plugin_name, since, State::Discovered)
        .await
}

/// What the vendor says of a discovered device (name and value pairs, in order), and its last
/// contact; `None` when the device is not a discovered one.
pub async fn details(
    scoped: &mut crate::store::Scoped,
    device_id: &str,
) -> Result<Option<(Vec<(String, String)>, Option<i64>)>, Error> {
    let row: Option<(Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT details_json, last_seen_at FROM plugin_devices \
         WHERE tenant_id = $1 AND device_id = $2",
    )
    .bind(scoped.tenant().as_str().to_string())
    .bind(device_id)
    .fetch_optional(scoped.conn())
    .await?;
    Ok(row.and_then(|(json, seen)| {
        let pairs: Vec<[String; 2]> = serde_json::from_str(json.as_deref()?).ok()?;
        Some((pairs.into_iter().map(|[n, v]| (n, v)).collect(), seen))
    }))
}

/// One fact the vendor reports of a discovered device.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Detail {
    pub name: String,
    pub value: String,
}

/// What the vendor reports of a discovered device (SPEC G5), in the plugin's order (an Exchange
/// device's mailbox, access and why...).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Discovered {
    pub details: Vec<Detail>,
    /// When the vendor last heard from the device, if it says.
    pub last_seen_at: Option<i64>,
}

/// [`details`] as the admin API shows them.
pub async fn discovered(
    scoped: &mut crate::store::Scoped,
    device: &Device,
) -> Result<Option<Discovered>, Error> {
    if device.state != State::Discovered {
        return Ok(None);
    }
    Ok(details(scoped, &device.id)
        .await?
        .map(|(pairs, last_seen_at)| Discovered {
            details: pairs
                .into_iter()
                .map(|(name, value)| Detail { name, value })
                .collect(),
            last_seen_at,
        }))
}

/// An administrator links a discovered device to its user by hand (or unlinks it, `None`):
/// the vendor could not say whose it is (Exchange Online). The plugin's own answer, when it
/// gives one later, takes over; its silence keeps this one.
pub async fn set_owner(
    scoped: &mut crate::store::Scoped,
    actor: &Actor,
    device_id: &str,
    user_id: Option<&str>,
    now: i64,
) -> Result<Device, Error> {
    let before = devices::get(scoped, device_id).await?;
    if before.state != State::Discovered || before.archived {
        return Err(Error::Conflict {
            code: "device_not_discovered",
            message: "only a discovered device is linked to its user by hand; an enrolled \
                      device belongs to the user who enrolled it"
                .into(),
        });
    }
    if let Some(user) = user_id {
        let found: Option<(String,)> =
            sqlx::query_as("SELECT id FROM users WHERE tenant_id = $1 AND id = $2")
                .bind(scoped.tenant().as_str().to_string())
                .bind(user)
                .fetch_optional(scoped.conn())
                .await?;
        if found.is_none() {
            return Err(Error::invalid("user_id", "not a user of this tenant"));
        }
    }
    if before.user_id.as_deref() != user_id {
        sqlx::query(
            "UPDATE devices SET user_id = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
        )
        .bind(user_id)
        .bind(now)
        .bind(scoped.tenant().as_str().to_string())
        .bind(device_id)
        .execute(scoped.conn())
        .await?;
        record_owner(scoped, actor, device_id, before.user_id.as_deref(), user_id).await?;
    }
    devices::get(scoped, device_id).await
}
