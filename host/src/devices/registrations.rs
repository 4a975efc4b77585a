//! Devices registered at a provisioning service (zero-touch, Knox Mobile Enrollment...) and not
//! enrolled yet (`corral:plugin@0.5.0` `registrations`), kept in the device inventory in the
//! state `awaiting`, so that administrators see them next to the enrolled ones and plugins find
//! them by serial number or IMEI (both IMEIs of a dual-SIM device).
//!
//! Rules:
//! - a registration is known by the plugin's vendor name for it (`plugin_devices`); a new one
//!   becomes a device entry `awaiting` (no owner, not managed) with its identifiers and a
//!   history entry; a known one is marked seen (`reported_at`); both keep the channel and the
//!   configuration the plugin says (0.6.0; none for 0.5.0's), which [`channel_code`] names;
//! - `forget` removes the plugin's entries still `awaiting` that were not seen since the time a
//!   full listing started (unregistered at the vendor meanwhile), each with a history entry; an
//!   entry that enrolled meanwhile is another entry (registered by its enrolment) and stays.

use std::collections::HashMap;

use corral_plugin_runtime::api;
use serde::Serialize;
use utoipa::ToSchema;

use super::inventory::{platform_of, plugin_row_id};
use crate::devices::{self, Device, State};
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::store::batch::{rows_among, Placeholders, ROWS_PER_STATEMENT};
use crate::store::{new_id, Store};
use crate::tenants::TenantId;

/// A device's registration at a provisioning service, as administrators see it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Registration {
    /// The plugin that recorded it.
    pub plugin: String,
    /// The vendor's name of the registration.
    pub vendor_name: String,
    /// The provisioning service (`zero-touch`, `knox-mobile-enrollment`...); absent when the
    /// plugin did not say (plugins of corral:plugin 0.5.0).
    pub channel: Option<String>,
    /// The configuration it will be provisioned with, if one is assigned.
    pub configuration: Option<RegisteredConfiguration>,
    /// When the vendor registered it (Unix milliseconds), if it says.
    pub registered_at: Option<i64>,
}

/// A configuration of a provisioning service: the vendor's id and its name.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct RegisteredConfiguration {
    pub id: String,
    pub title: String,
}

/// Plugin name, vendor name, channel, configuration id and title, registration time.
type RegistrationRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// The registration a plugin recorded for device entry `device_id`, if any.
pub async fn of_device(
    scoped: &mut crate::store::Scoped,
    device_id: &str,
) -> Result<Option<Registration>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let row: Option<RegistrationRow> = sqlx::query_as(
        "SELECT p.name, d.vendor_name, d.channel, d.configuration_id, d.configuration_title, \
         d.registered_at FROM plugin_devices d JOIN plugins p ON p.id = d.plugin_id \
         WHERE d.tenant_id = $1 AND d.device_id = $2 AND d.enrolled_at = 0",
    )
    .bind(&tenant)
    .bind(device_id)
    .fetch_optional(scoped.conn())
    .await?;
    Ok(row.map(
        |(plugin, vendor_name, channel, cid, title, registered_at)| Registration {
            plugin,
            vendor_name,
            channel,
            configuration: cid.map(|id| RegisteredConfiguration {
                title: title.unwrap_or_else(|| id.clone()),
                id,
            }),
            registered_at,
        },
    ))
}

/// Most registrations one call records (the WIT's limit).
pub const MAX: usize = 10_000;

/// How a channel is stored and shown (the WIT's names).
pub fn channel_code(channel: api::EnrolmentChannel) -> &'static str {
    use api::EnrolmentChannel::*;
    match channel {
        QrCode => "qr-code",
        ZeroTouch => "zero-touch",
        KnoxMobileEnrollment => "knox-mobile-enrollment",
        AppleAutomatedDeviceEnrollment => "apple-automated-device-enrollment",
        UserInitiated => "user-initiated",
        ExchangeActivesync => "exchange-activesync",
    }
}

/// The channel stored as `code`, if it is one.
pub fn channel_of(code: &str) -> Option<api::EnrolmentChannel> {
    use api::EnrolmentChannel::*;
    [
        QrCode,
        ZeroTouch,
        KnoxMobileEnrollment,
        AppleAutomatedDeviceEnrollment,
        UserInitiated,
        ExchangeActivesync,
    ]
    .into_iter()
    .find(|c| channel_code(*c) == code)
}

/// What a registration says of its provisioning: channel, configuration id and title,
/// registration time.
type Provisioning = (
    Option<&'static str>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

fn provisioning_of(r: &api::Registration) -> Result<Provisioning, Error> {
    let configuration = match &r.configuration {
        Some(c) => {
            let (id, title) = (c.id.trim(), c.title.trim());
            if id.is_empty() || id.len() > 500 || title.chars().count() > 200 {
                return Err(Error::invalid(
                    "configuration",
                    "give an id of 1 to 500 characters and a title of at most 200",
                ));
            }
            let title = if title.is_empty() { id } else { title };
            (Some(id.to_string()), Some(title.to_string()))
        }
        None => (None, None),
    };
    let registered_at = r
        .registered_at_ms
        .map(|ms| i64::try_from(ms).map_err(|_| Error::invalid("registered-at-ms", "too large")))
        .transpose()?;
    Ok((
        r.channel.map(channel_code),
        configuration.0,
        configuration.1,
        registered_at,
    ))
}

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
        let provisioning = provisioning_of(&r)?;
        checked.push((vendor_name, platform, r.identity, provisioning));
    }
    let count = checked.len() as u32;
    let mut scoped = store.scoped(tenant).await?;
    let plugin_id = plugin_row_id(&mut scoped, plugin_name).await?;
    let names: Vec<String> = checked.iter().map(|(n, _, _, _)| n.clone()).collect();
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
    // The provisioning of the known ones, where it changed.
    let before: HashMap<String, Provisioning> = rows_among::<(
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
    )>(
        &mut scoped,
        "SELECT device_id, channel, configuration_id, configuration_title, registered_at \
         FROM plugin_devices",
        "device_id",
        &seen,
    )
    .await?
    .into_iter()
    .map(|(id, channel, cid, title, at)| {
        let channel = channel.as_deref().and_then(channel_of).map(channel_code);
        (id, (channel, cid, title, at))
    })
    .collect();
    for (vendor_name, _, _, provisioning) in &checked {
        let Some(device_id) = known.get(vendor_name) else {
            continue;
        };
        if before.get(device_id) == Some(provisioning) {
            continue;
        }
        set_provisioning(&mut scoped, &tenant_id, device_id, provisioning).await?;
    }
    let mut fresh: Vec<(Device, String, api::DeviceIdentity, Provisioning)> = Vec::new();
    for (vendor_name, platform, identity, provisioning) in checked {
        if known.contains_key(&vendor_name) || fresh.iter().any(|(_, n, _, _)| *n == vendor_name) {
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
        fresh.push((device, vendor_name, identity, provisioning));
    }
    for chunk in fresh.chunks(ROWS_PER_STATEMENT / 8) {
        devices::insert_new(
            &mut scoped,
            &Actor::System,
            chunk.iter().map(|(d, _, _, _)| d.clone()).collect(),
        )
        .await?;
        let sql = format!(
            "INSERT INTO plugin_devices (device_id, tenant_id, plugin_id, vendor_name, \
             enrolled_at, reported_at, channel, configuration_id, configuration_title, \
             registered_at) VALUES {}",
            Placeholders::new(&scoped).rows(chunk.len(), 10)
        );
        let mut query = sqlx::query(&sql);
        for (device, vendor_name, _, (channel, cid, title, at)) in chunk {
            query = query
                .bind(device.id.clone())
                .bind(tenant_id.clone())
                .bind(plugin_id.clone())
                .bind(vendor_name.clone())
                .bind(0i64)
                .bind(now)
                .bind(*channel)
                .bind(cid.clone())
                .bind(title.clone())
                .bind(*at);
        }
        query.execute(scoped.conn()).await?;
    }
    for (device, _, identity, _) in &fresh {
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

async fn set_provisioning(
    scoped: &mut crate::store::Scoped,
    tenant_id: &str,
    device_id: &str,
    (channel, cid, title, at): &Provisioning,
) -> Result<(), Error> {
    sqlx::query(
        "UPDATE plugin_devices SET channel = $1, configuration_id = $2, \
         configuration_title = $3, registered_at = $4 WHERE tenant_id = $5 AND device_id = $6",
    )
    .bind(*channel)
    .bind(cid)
    .bind(title)
    .bind(*at)
    .bind(tenant_id)
    .bind(device_id)
    .execute(scoped.conn())
    .await?;
    Ok(())
}

/// Removes the plugin's entries still awaiting enrolment not seen since `since`; answers how
/// many.
pub async fn forget(
    store: &Store,
    tenant: &TenantId,
    plugin_name: &str,
    since: i64,
) -> Result<u32, Error> {
    forget_in_state(store, tenant, plugin_name, since, State::Awaiting).await
}

/// Removes the plugin's entries in `state` (awaiting enrolment, discovered) not seen since
/// `since`, with their history; answers how many.
pub(super) async fn forget_in_state(
    store: &Store,
    tenant: &TenantId,
    plugin_name: &str,
    since: i64,
    state: State,
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
    .bind(state.code())
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
