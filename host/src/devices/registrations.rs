//! Devices registered at a provisioning service (zero-touch, Knox Mobile Enrollment...) and not
//! enrolled yet (`corral:plugin@0.5.0` `registrations`), kept in the device inventory in the
//! state `awaiting`, so that administrators see them next to the enrolled ones and plugins find
//! them by serial number or IMEI (both IMEIs of a dual-SIM device).
//!
//! Rules:
//! - a registration is known by the plugin's vendor name for it (`plugin_devices`); a new one
//!   becomes a device entry `awaiting` (no owner, not managed) with its identifiers and a
//!   history entry; a known one is marked seen (`reported_at`);
//! - `forget` removes the plugin's entries still `awaiting` that were not seen since the time a
//!   full listing started (unregistered at the vendor meanwhile), each with a history entry; an
//!   entry that enrolled meanwhile is another entry (registered by its enrolment) and stays.

use std::collections::HashMap;

use corral_plugin_runtime::api;

use super::inventory::{platform_of, plugin_row_id};
use crate::devices::{self, Device, State};
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::store::batch::{rows_among, Placeholders, ROWS_PER_STATEMENT};
use crate::store::{new_id, Store};
use crate::tenants::TenantId;

/// Most registrations one call records (the WIT's limit).
pub const MAX: usize = 10_000;

/// Records (or marks seen) the plugin's registrations; answers how many.
pub async fn record(
    store: &Store,
    tenant: &TenantId,
    plugin_name: &str,
    registrations: Vec<api::Registration>,
    now: i64,
) -> Result<u32, Error> {
    if registrations.len() > MAX {
        return Err(Error::invalid(
            "registrations",
            format!("at most {MAX} at once"),
        ));
    }
    let mut checked = Vec::with_capacity(registrations.len());
    for r in registrations {
        let vendor_name = r.vendor_name.trim().to_string();
        if vendor_name.is_empty() || vendor_name.len() > 500 {
            return Err(Error::invalid("vendor-name", "give 1 to 500 characters"));
        }
        let platform = platform_of(&r.identity)?;
        checked.push((vendor_name, platform, r.identity));
    }
    let count = checked.len() as u32;
    let mut scoped = store.scoped(tenant).await?;
    let plugin_id = plugin_row_id(&mut scoped, plugin_name).await?;
    let names: Vec<String> = checked.iter().map(|(n, _, _)| n.clone()).collect();
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
    let tenant_id = tenant.as_str().to_string();
    let seen: Vec<String> = known.values().cloned().collect();
    for chunk in seen.chunks(ROWS_PER_STATEMENT) {
        let mut p = Placeholders::new(&scoped);
        let sql = format!(
            "UPDATE plugin_devices SET reported_at = {} WHERE tenant_id = {} AND device_id IN ({})",
            p.next(),
            p.next(),
            p.list(chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(now).bind(&tenant_id);
        for id in chunk {
            query = query.bind(id);
        }
        query.execute(scoped.conn()).await?;
    }
    let mut fresh: Vec<(Device, String, api::DeviceIdentity)> = Vec::new();
    for (vendor_name, platform, identity) in checked {
        if known.contains_key(&vendor_name) || fresh.iter().any(|(_, n, _)| *n == vendor_name) {
            continue;
        }
        let text = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
        let model = text(&identity.model);
        let device = Device {
            id: new_id(),
            user_id: None,
            platform,
            os_version: devices::UNKNOWN_VERSION.into(),
            hardware_id: text(&identity.serial_number)
                .or_else(|| identity.imeis.first().cloned())
                .unwrap_or_else(|| vendor_name.clone()),
            name: model.clone().unwrap_or_else(|| vendor_name.clone()),
            model: model.unwrap_or_else(|| "unknown".into()),
            state: State::Awaiting,
            archived: false,
            mdm_enabled: false,
            registrations: 0,
            registered_at: now,
            created_at: now,
            updated_at: now,
        };
        fresh.push((device, vendor_name, identity));
    }
    for chunk in fresh.chunks(ROWS_PER_STATEMENT / 8) {
        devices::insert_new(
            &mut scoped,
            &Actor::System,
            chunk.iter().map(|(d, _, _)| d.clone()).collect(),
        )
        .await?;
        let sql = format!(
            "INSERT INTO plugin_devices (device_id, tenant_id, plugin_id, vendor_name, \
             enrolled_at, reported_at) VALUES {}",
            Placeholders::new(&scoped).rows(chunk.len(), 6)
        );
        let mut query = sqlx::query(&sql);
        for (device, vendor_name, _) in chunk {
            query = query
                .bind(device.id.clone())
                .bind(tenant_id.clone())
                .bind(plugin_id.clone())
                .bind(vendor_name.clone())
                .bind(0i64)
                .bind(now);
        }
        query.execute(scoped.conn()).await?;
    }
    for (device, _, identity) in &fresh {
        devices::set_identifiers(
            &mut scoped,
            &device.id,
            identity.serial_number.as_deref(),
            &identity.imeis,
        )
        .await?;
    }
    scoped.commit().await?;
    Ok(count)
}

/// Removes the plugin's entries still awaiting enrolment not seen since `since`; answers how
/// many.
pub async fn forget(
    store: &Store,
    tenant: &TenantId,
    plugin_name: &str,
    since: i64,
) -> Result<u32, Error> {
    let mut scoped = store.scoped(tenant).await?;
    let plugin_id = plugin_row_id(&mut scoped, plugin_name).await?;
    let gone: Vec<String> = sqlx::query_scalar(
        "SELECT d.id FROM devices d JOIN plugin_devices p ON p.device_id = d.id \
         WHERE d.tenant_id = $1 AND p.plugin_id = $2 AND p.reported_at < $3 AND d.state = $4",
    )
    .bind(tenant.as_str())
    .bind(&plugin_id)
    .bind(since)
    .bind(State::Awaiting.code())
    .fetch_all(scoped.conn())
    .await?;
    let mut changes = Vec::with_capacity(gone.len());
    for id in &gone {
        let before = devices::get(&mut scoped, id).await?;
        sqlx::query("DELETE FROM devices WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.as_str())
            .bind(id)
            .execute(scoped.conn())
            .await?;
        changes.push(Change::deleted("device", id, &before));
    }
    history::record_all(&mut scoped, &Actor::System, changes).await?;
    scoped.commit().await?;
    Ok(gone.len() as u32)
}
