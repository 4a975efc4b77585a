//! Devices that plugins manage at their vendor (`corral:plugin@0.4.0`: the `inventory`
//! capability and the `devices` export).
//!
//! Why: a vendor (Google for AMAPI) knows which devices enrolled and how they are doing; the
//! host keeps the device records, their owner, state and history. A plugin reports each device
//! it sees (`report`), and the host answers a verdict with the rules every vendor shares:
//! - a device enrolled with an enrolment profile's token belongs to the profile's owner;
//! - a device that enrolled after that token expired is reset;
//! - a device not compliant by the deadline the plugin states is reset;
//! - a device the plugin's own enrolment requirements refuse is reset;
//! - otherwise it is kept, and should have the highest-priority configuration distributed to
//!   it.
//!
//! Rules: a reset is decided once per device entry, in the report's transaction, with its
//! history entry; later reports of the same device get the same verdict (so the plugin retries
//! the wipe) without another entry. Time comes from [`Clock`], which tests can set.
//!
//! The capability itself (what a plugin calls) is `plugins::capabilities::inventory`; it hands
//! each report to [`report_device`]. Commands to these devices are in `devices::commands`.

use std::path::PathBuf;

use corral_plugin_runtime::api::{self, DeviceAction, DeviceIdentity, DeviceReport, Verdict};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::admins::Permission;
use crate::configurations;
use crate::devices::{self, Device, Platform, Registration, State};
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::plugins::{hook, HookError, Plugins};
use crate::services::AsAdmin;
use crate::store::{now_ms, Scoped, Store};
use crate::tenants::TenantId;

/// Where "now" comes from for the inventory's deadlines.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The system's clock.
    #[default]
    System,
    /// Unix milliseconds read from this file at each use (the system's clock while the file is
    /// absent or unreadable): a controllable clock for tests (`CORRAL_TEST_CLOCK_FILE`).
    File(PathBuf),
}

/// Plugins' `clock` capability tells the same time.
impl corral_plugin_runtime::WallClock for Clock {
    fn now_ms(&self) -> u64 {
        Clock::now_ms(self).max(0) as u64
    }
}

impl Clock {
    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => now_ms(),
            Clock::File(path) => std::fs::read_to_string(path)
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or_else(now_ms),
        }
    }
}

/// Why the host reset a device.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ResetReason {
    /// `enrolment-token-expired`, `not-compliant-in-time`, or the plugin's refusal code.
    pub code: String,
    pub message: String,
}

/// What the history keeps of a reset.
#[derive(Serialize)]
struct ResetRecord<'a> {
    device: &'a Device,
    reason: &'a ResetReason,
}

pub(super) const LINK_COLUMNS: &str =
    "device_id, plugin_id, vendor_name, compliant_at, reset_code, reset_message";

/// A device's row in `plugin_devices`: the plugin managing it and what the host decided.
#[derive(sqlx::FromRow)]
pub(super) struct Link {
    pub device_id: String,
    pub plugin_id: String,
    pub vendor_name: String,
    pub compliant_at: Option<i64>,
    pub reset_code: Option<String>,
    pub reset_message: Option<String>,
}

/// The plugin's row id for its name in the tenant (the runtime's scope names plugins by name).
pub(super) async fn plugin_row_id(scoped: &mut Scoped, name: &str) -> Result<String, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query_scalar("SELECT id FROM plugins WHERE tenant_id = $1 AND name = $2")
        .bind(tenant)
        .bind(name)
        .fetch_optional(scoped.conn())
        .await?
        .ok_or(Error::NotFound("plugin"))
}

pub(super) fn platform_of(identity: &DeviceIdentity) -> Result<Platform, Error> {
    match identity
        .os
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("android") | None => Ok(Platform::Android),
        Some("ios" | "ipados") => Ok(Platform::Ios),
        Some("macos") => Ok(Platform::Macos),
        Some(other) => Err(Error::invalid(
            "identity.os",
            format!("{other:?} is not a platform this host keeps (android, ios, macos)"),
        )),
    }
}

/// The profile the device enrolled with, if the report names one of this plugin's.
#[derive(sqlx::FromRow)]
struct ProfileToken {
    owner_user_id: String,
    token_name: String,
    token_expires_at: i64,
}

/// Whether the report shows the device compliant: the vendor says so and, when a configuration
/// is distributed to the device, it applies that one (not, say, the vendor's enrolment default).
fn compliant(report: &DeviceReport, should_have: Option<&api::Configuration>) -> bool {
    report.compliant
        && should_have.is_none_or(|c| report.applied_configuration.as_deref() == Some(&c.id))
}

/// The reset a report calls for, if any (before the host's own state is considered).
/// `compliant` is [`compliant`] now or at any earlier report.
fn reset_reason(
    report: &DeviceReport,
    profile: Option<&ProfileToken>,
    compliant: bool,
    now: i64,
) -> Option<ResetReason> {
    if let Some(refusal) = &report.refusal {
        return Some(ResetReason {
            code: refusal.code.clone(),
            message: refusal.message.clone(),
        });
    }
    if let Some(p) = profile {
        let same_token = report
            .token_name
            .as_deref()
            .is_none_or(|t| t == p.token_name);
        if same_token && report.enrolled_at_ms as i64 > p.token_expires_at {
            return Some(ResetReason {
                code: "enrolment-token-expired".into(),
                message: "the device enrolled with its enrolment profile's token after the \
                          token expired"
                    .into(),
            });
        }
    }
    match report.compliance_deadline_ms {
        Some(deadline) if !compliant && now > deadline as i64 => Some(ResetReason {
            code: "not-compliant-in-time".into(),
            message: format!(
                "the device did not reach a compliant configuration within {} minutes of \
                 enrolling",
                (deadline.saturating_sub(report.enrolled_at_ms) / 60_000).max(1)
            ),
        }),
        _ => None,
    }
}

/// Records the device a plugin reports and answers what the plugin must do with it.
pub async fn report_device(
    store: &Store,
    tenant: &TenantId,
    plugin_name: &str,
    report: DeviceReport,
    now: i64,
) -> Result<Verdict, Error> {
    let vendor_name = report.vendor_name.trim().to_string();
    if vendor_name.is_empty() || vendor_name.len() > 500 {
        return Err(Error::invalid("vendor-name", "give 1 to 500 characters"));
    }
    let identity = &report.identity;
    let platform = platform_of(identity)?;
    let hardware_id = identity
        .serial_number
        .clone()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| identity.imeis.first().cloned())
        .unwrap_or_else(|| vendor_name.clone());
    let mut scoped = store.scoped(tenant).await?;
    let plugin_id = plugin_row_id(&mut scoped, plugin_name).await?;
    let profile = match &report.profile_id {
        Some(id) => {
            sqlx::query_as::<_, ProfileToken>(
                "SELECT owner_user_id, token_name, token_expires_at FROM enrolment_profiles \
             WHERE tenant_id = $1 AND plugin_id = $2 AND id = $3",
            )
            .bind(tenant.as_str())
            .bind(&plugin_id)
            .bind(id)
            .fetch_optional(scoped.conn())
            .await?
        }
        None => None,
    };
    let link = sqlx::query_as::<_, Link>(&format!(
        "SELECT {LINK_COLUMNS} FROM plugin_devices \
         WHERE tenant_id = $1 AND plugin_id = $2 AND vendor_name = $3"
    ))
    .bind(tenant.as_str())
    .bind(&plugin_id)
    .bind(&vendor_name)
    .fetch_optional(scoped.conn())
    .await?;
    let (device_id, compliant_before, already_reset) = match link {
        Some(link) => {
            let reset = link.reset_code.map(|code| ResetReason {
                code,
                message: link.reset_message.unwrap_or_default(),
            });
            // The version, once reported or when it changes (an OS update).
            if let Some(version) = identity.os_version.as_deref().map(str::trim) {
                if !version.is_empty() && version.chars().count() <= 50 {
                    sqlx::query(
                        "UPDATE devices SET os_version = $1, updated_at = $2 \
                         WHERE tenant_id = $3 AND id = $4 AND os_version <> $1",
                    )
                    .bind(version)
                    .bind(now_ms())
                    .bind(tenant.as_str())
                    .bind(&link.device_id)
                    .execute(scoped.conn())
                    .await?;
                }
            }
            (link.device_id, link.compliant_at.is_some(), reset)
        }
        None => {
            let device = devices::register(
                &mut scoped,
                &Actor::System,
                Registration {
                    platform,
                    hardware_id,
                    os_version: identity
                        .os_version
                        .clone()
                        .filter(|v| !v.trim().is_empty())
                        .unwrap_or_else(|| devices::UNKNOWN_VERSION.into()),
                    name: identity
                        .model
                        .clone()
                        .filter(|m| !m.trim().is_empty())
                        .unwrap_or_else(|| vendor_name.clone()),
                    model: identity
                        .model
                        .clone()
                        .filter(|m| !m.trim().is_empty())
                        .unwrap_or_else(|| "unknown".into()),
                    user_id: profile.as_ref().map(|p| p.owner_user_id.clone()),
                },
            )
            .await?;
            sqlx::query(
                "INSERT INTO plugin_devices (device_id, tenant_id, plugin_id, vendor_name, \
                 profile_id, token_name, enrolled_at, deadline_at, reported_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&device.id)
            .bind(tenant.as_str())
            .bind(&plugin_id)
            .bind(&vendor_name)
            .bind(&report.profile_id)
            .bind(&report.token_name)
            .bind(report.enrolled_at_ms as i64)
            .bind(report.compliance_deadline_ms.map(|d| d as i64))
            .bind(now)
            .execute(scoped.conn())
            .await?;
            (device.id, false, None)
        }
    };
    devices::set_identifiers(
        &mut scoped,
        &device_id,
        identity.serial_number.as_deref(),
        &identity.imeis,
    )
    .await?;
    let should_have = winner(&mut scoped, &plugin_id, &device_id).await?;
    let compliant_now = compliant(&report, should_have.as_ref());
    sqlx::query(
        "UPDATE plugin_devices SET reported_at = $1, \
         compliant_at = CASE WHEN compliant_at IS NULL AND $2 = 1 THEN $1 \
         ELSE compliant_at END WHERE device_id = $3",
    )
    .bind(now)
    .bind(i64::from(compliant_now))
    .bind(&device_id)
    .execute(scoped.conn())
    .await?;
    let compliant = compliant_before || compliant_now;
    let reset = match already_reset {
        Some(reason) => Some(reason),
        None => match reset_reason(&report, profile.as_ref(), compliant, now) {
            Some(reason) => {
                reset(&mut scoped, &device_id, &reason, now).await?;
                Some(reason)
            }
            None => None,
        },
    };
    let device = devices::get(&mut scoped, &device_id).await?;
    let configuration = match reset {
        Some(_) => None,
        None => should_have,
    };
    scoped.commit().await?;
    Ok(Verdict {
        device_id,
        owner_user_id: device.user_id,
        action: match reset {
            Some(r) => DeviceAction::Reset(api::Reason {
                code: r.code,
                message: r.message,
            }),
            None => DeviceAction::Keep,
        },
        configuration,
    })
}

/// Marks the device reset (not managed any more) with its history entry, once.
async fn reset(
    scoped: &mut Scoped,
    device_id: &str,
    reason: &ResetReason,
    now: i64,
) -> Result<(), Error> {
    let before = devices::get(scoped, device_id).await?;
    sqlx::query(
        "UPDATE devices SET state = $1, mdm_enabled = 0, updated_at = $2 \
         WHERE tenant_id = $3 AND id = $4",
    )
    .bind(State::Reset.code())
    .bind(now_ms())
    .bind(scoped.tenant().as_str().to_string())
    .bind(device_id)
    .execute(scoped.conn())
    .await?;
    sqlx::query(
        "UPDATE plugin_devices SET reset_code = $1, reset_message = $2, reset_at = $3 \
         WHERE device_id = $4",
    )
    .bind(&reason.code)
    .bind(&reason.message)
    .bind(now)
    .bind(device_id)
    .execute(scoped.conn())
    .await?;
    let after = devices::get(scoped, device_id).await?;
    history::record(
        scoped,
        &Actor::System,
        Change::new(
            "device",
            device_id,
            "reset",
            Some(&ResetRecord {
                device: &before,
                reason,
            }),
            Some(&ResetRecord {
                device: &after,
                reason,
            }),
        ),
    )
    .await
}

/// The configuration the device should have: the highest priority among those distributed to
/// it (across kinds).
pub(super) async fn winner(
    scoped: &mut Scoped,
    plugin_id: &str,
    device_id: &str,
) -> Result<Option<api::Configuration>, Error> {
    let applied = configurations::applied(scoped, plugin_id, device_id).await?;
    Ok(applied
        .into_iter()
        .max_by_key(|c| c.priority)
        .map(|c| c.to_plugin()))
}

/// How a device is managed by a plugin, for its details (SPEC E1).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Management {
    pub plugin_id: String,
    /// The plugin's name (e.g. `amapi`).
    pub plugin: String,
    /// The vendor's name of the device.
    pub vendor_name: String,
    /// Whether the plugin is on for the tenant (it has an active version).
    pub enabled: bool,
    pub enrolled_at: i64,
    /// When the device first reported a compliant configuration.
    pub compliant_at: Option<i64>,
    /// Why the host reset it, if it did.
    pub reset: Option<ResetReason>,
}

#[derive(sqlx::FromRow)]
struct ManagementRow {
    plugin_id: String,
    name: String,
    vendor_name: String,
    active: i64,
    enrolled_at: i64,
    compliant_at: Option<i64>,
    reset_code: Option<String>,
    reset_message: Option<String>,
}

/// The plugin managing the device, if one does.
pub async fn management(scoped: &mut Scoped, device_id: &str) -> Result<Option<Management>, Error> {
    let row = sqlx::query_as::<_, ManagementRow>(
        "SELECT d.plugin_id, p.name, d.vendor_name, \
         CASE WHEN p.active_version_id IS NULL THEN 0 ELSE 1 END AS active, \
         d.enrolled_at, d.compliant_at, d.reset_code, d.reset_message \
         FROM plugin_devices d JOIN plugins p ON p.id = d.plugin_id \
         WHERE d.tenant_id = $1 AND d.device_id = $2",
    )
    .bind(scoped.tenant().as_str().to_string())
    .bind(device_id)
    .fetch_optional(scoped.conn())
    .await?;
    Ok(row.map(|r| Management {
        plugin_id: r.plugin_id,
        plugin: r.name,
        vendor_name: r.vendor_name,
        enabled: r.active != 0,
        enrolled_at: r.enrolled_at,
        compliant_at: r.compliant_at,
        reset: r.reset_code.map(|code| ResetReason {
            code,
            message: r.reset_message.unwrap_or_default(),
        }),
    }))
}

/// Asks the plugin to bring the host's inventory up to date; answers how many devices it
/// reported. No transaction may be open: the plugin's reports open their own.
pub async fn sync(plugins: &Plugins, tenant: &TenantId, plugin_id: &str) -> Result<u32, HookError> {
    let installation = plugins.active(tenant, plugin_id).await?;
    let answer = installation.sync_inventory().await;
    hook(&installation, answer)
}

/// Every active plugin's inventory sync (the scheduled job). Plugins that manage no devices
/// answer `unsupported` and are skipped; a failing one is logged and the others go on.
pub async fn sync_all(plugins: &Plugins, store: &Store) -> Result<usize, Error> {
    let active: Vec<(String, String)> = sqlx::query_as(
        "SELECT tenant_id, id FROM plugins WHERE active_version_id IS NOT NULL ORDER BY tenant_id",
    )
    .fetch_all(store.pool())
    .await?;
    let mut reported = 0;
    for (tenant, plugin_id) in active {
        let tenant = TenantId::from_db(tenant);
        let installation = match plugins.active(&tenant, &plugin_id).await {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(plugin = %plugin_id, error = %e, "inventory sync: plugin unavailable");
                continue;
            }
        };
        match installation.sync_inventory().await {
            Ok(Ok(n)) => reported += n as usize,
            Ok(Err(api::PluginError::Unsupported(_))) => {}
            other => {
                let e = hook(&installation, other).err().map(|e| e.to_string());
                tracing::warn!(plugin = %installation.plugin(), error = ?e, "inventory sync failed");
            }
        }
    }
    Ok(reported)
}

impl AsAdmin<'_> {
    /// Asks the plugin to report every device it manages now; answers how many it reported.
    pub async fn sync_plugin_devices(&self, plugin_id: &str) -> Result<u32, HookError> {
        self.require(Permission::ManageConfigurations)?;
        sync(self.services.plugins(), self.tenant(), plugin_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(enrolled_at: u64, compliant: bool) -> DeviceReport {
        DeviceReport {
            vendor_name: "enterprises/e/devices/d".into(),
            identity: DeviceIdentity {
                device_id: None,
                serial_number: Some("S1".into()),
                imeis: vec![],
                meid: None,
                manufacturer: None,
                model: None,
                os: Some("android".into()),
                os_version: Some("14".into()),
                security_patch_level: None,
            },
            enrolled_at_ms: enrolled_at,
            profile_id: None,
            token_name: None,
            compliant,
            applied_configuration: None,
            compliance_deadline_ms: Some(enrolled_at + 600_000),
            refusal: None,
            attributes: vec![],
        }
    }

    #[test]
    fn the_deadline_passes_only_for_a_device_never_compliant() {
        let t = 1_700_000_000_000u64;
        let r = report(t, false);
        assert_eq!(reset_reason(&r, None, false, t as i64 + 600_000), None);
        assert_eq!(
            reset_reason(&r, None, false, t as i64 + 600_001).map(|r| r.code),
            Some("not-compliant-in-time".to_string())
        );
        // Compliant now, or once before: no reset.
        let now_compliant = report(t, true);
        let c = compliant(&now_compliant, None);
        assert_eq!(
            reset_reason(&now_compliant, None, c, t as i64 + 10_000_000),
            None
        );
        assert_eq!(reset_reason(&r, None, true, t as i64 + 10_000_000), None);
    }

    #[test]
    fn compliant_means_applying_the_configuration_the_device_should_have() {
        let should_have = api::Configuration {
            kind: "cosu".into(),
            id: "c1".into(),
            name: "Lobby".into(),
            priority: 1,
            body: "{}".into(),
        };
        let mut r = report(0, true);
        assert!(compliant(&r, None), "no configuration: the vendor's word");
        assert!(!compliant(&r, Some(&should_have)), "the enrolment default");
        r.applied_configuration = Some("c2".into());
        assert!(!compliant(&r, Some(&should_have)), "another configuration");
        r.applied_configuration = Some("c1".into());
        assert!(compliant(&r, Some(&should_have)));
        r.compliant = false;
        assert!(
            !compliant(&r, Some(&should_have)),
            "applies it, not compliant"
        );
    }

    #[test]
    fn a_token_used_after_it_expired_resets_the_device() {
        let t = 1_700_000_000_000u64;
        let profile = ProfileToken {
            owner_user_id: "u".into(),
            token_name: "tok".into(),
            token_expires_at: t as i64,
        };
        let mut r = report(t + 1, true);
        r.token_name = Some("tok".into());
        assert_eq!(
            reset_reason(&r, Some(&profile), false, t as i64).map(|r| r.code),
            Some("enrolment-token-expired".to_string())
        );
        let r = report(t, true);
        assert_eq!(reset_reason(&r, Some(&profile), false, t as i64), None);
        // Another (replaced) token of the profile: its expiry is not this one's.
        let mut r = report(t + 1, true);
        r.token_name = Some("older".into());
        assert_eq!(reset_reason(&r, Some(&profile), false, t as i64), None);
    }

    #[test]
    fn a_refusal_comes_first() {
        let mut r = report(0, true);
        r.refusal = Some(api::Reason {
            code: "manufacturer-not-allowed".into(),
            message: "no".into(),
        });
        assert_eq!(
            reset_reason(&r, None, false, 0).map(|r| r.code),
            Some("manufacturer-not-allowed".to_string())
        );
    }
}
