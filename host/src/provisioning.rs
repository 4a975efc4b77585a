//! Which provisioning service provisions a device at its next factory reset, when it is
//! registered at one or several (zero-touch, Knox Mobile Enrollment...), and why (SPEC F7).
//! The host holds no vendor's rule: it gathers the facts and asks the plugins that decide
//! (`corral:plugin@0.6.0` `provisioning`).
//!
//! Rules:
//! - the registrations plugins recorded (`registrations`) are each a device entry; entries
//!   sharing a serial number or an IMEI (either of a dual-SIM device) are one device, whose
//!   facts are every identifier and every registration of its entries, of this tenant only;
//! - the deciding plugins are the tenant's active plugins whose `decides-between` lists a
//!   channel; a device registered at one of those channels is asked of each, by plugin name,
//!   in batches of [`BATCH`]; the first that decides (does not abstain) answers;
//! - an answer is kept under a fingerprint of what it depends on (the deciding plugins'
//!   versions, the device's identifiers and registrations): a change on either side (a sync,
//!   an action, a new plugin version) makes a new fingerprint, so the decision is asked again
//!   at the next read; answers no device has any more are dropped then;
//! - a plugin that fails leaves its devices undecided for this read (logged; the next read
//!   asks again), never another tenant's.

use std::collections::{BTreeSet, HashMap};

use corral_plugin_runtime::api;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::devices::registrations::{channel_code, channel_of, RegisteredConfiguration};
use crate::error::Error;
use crate::plugins::{hook, HookError};
use crate::services::AsAdmin;
use crate::store::batch::{rows_among, Placeholders, ROWS_PER_STATEMENT};
use crate::store::Store;
use crate::tenants::TenantId;

/// Devices per `decide-provisioning` call (the WIT's most).
pub const BATCH: usize = 1000;
/// Decisions per page of the list at most.
const MAX_LIMIT: u32 = 500;
/// The largest offset taken.
const MAX_OFFSET: u32 = 1_000_000;

/// A registration among a device's facts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RegistrationFact {
    /// The plugin that recorded it (its name).
    pub plugin: String,
    /// `zero-touch`, `knox-mobile-enrollment`...
    pub channel: String,
    pub vendor_name: String,
    pub configuration: Option<RegisteredConfiguration>,
    pub registered_at: Option<i64>,
}

/// A reason of a decision, in a code and in words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DecisionReason {
    pub code: String,
    pub message: String,
}

/// An action of the deciding plugin that would change the decision (take it with `POST
/// /api/v1/plugins/{plugin_id}/collections/{collection}/actions/{action}` and `item`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Remedy {
    pub plugin_id: String,
    pub collection: String,
    pub item: String,
    pub action: String,
    pub title: String,
}

/// What a deciding plugin answered for a device (kept as JSON under its fingerprint).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Answer {
    plugin_id: String,
    plugin: String,
    provisioned_by: Option<String>,
    configuration: Option<RegisteredConfiguration>,
    reasons: Vec<DecisionReason>,
    remedies: Vec<Remedy>,
}

/// Who provisions one device, and why.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ProvisioningDecision {
    /// The host's device entries of this device (one per registration, and its enrolment).
    pub device_ids: Vec<String>,
    pub serial_number: Option<String>,
    /// Every IMEI (both of a dual-SIM device).
    pub imeis: Vec<String>,
    /// `knox-mobile-enrollment`, `zero-touch`..., or `none`: no service provisions it; absent
    /// when no plugin decided (each abstained, or failed).
    pub provisioned_by: Option<String>,
    /// The configuration it is provisioned with.
    pub configuration: Option<RegisteredConfiguration>,
    /// The main reason first.
    pub reasons: Vec<DecisionReason>,
    pub remedies: Vec<Remedy>,
    /// The plugin that decided (its name).
    pub decided_by: Option<String>,
    pub registrations: Vec<RegistrationFact>,
}

/// Filters of the list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DecisionFilter {
    /// `knox-mobile-enrollment`, `zero-touch`, `none` (neither), or `undecided`.
    pub provisioned_by: Option<String>,
    /// A reason's code (e.g. `kme-profile-assigned`).
    pub reason: Option<String>,
    /// A serial number or an IMEI (any case, spaces ignored).
    pub search: Option<String>,
    /// Decisions per page (1 to 500, 100 by default).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Decisions to skip (at most 1,000,000).
    #[param(minimum = 0, maximum = 1_000_000)]
    pub offset: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionPage {
    pub decisions: Vec<ProvisioningDecision>,
    /// Decisions matching the filter.
    pub total: u32,
    /// The offset of the next page, if there is one.
    pub next_offset: Option<u32>,
}

/// One device: its entries, identifiers and registrations.
struct Group {
    device_ids: Vec<String>,
    serial: Option<String>,
    imeis: Vec<String>,
    registrations: Vec<RegistrationFact>,
}

/// Disjoint sets of device entries, joined by shared identifiers.
struct Union(Vec<usize>);

impl Union {
    fn root(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }
    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.root(a), self.root(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

type RegistrationRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// Every device of the tenant registered at a provisioning service that says its channel.
async fn groups(store: &Store, tenant: &TenantId) -> Result<Vec<Group>, Error> {
    let mut reader = store.reader(tenant).await?;
    let rows: Vec<RegistrationRow> = sqlx::query_as(
        "SELECT pd.device_id, p.name, pd.vendor_name, pd.channel, pd.configuration_id, \
         pd.configuration_title, pd.registered_at \
         FROM plugin_devices pd JOIN plugins p ON p.id = pd.plugin_id \
         WHERE pd.tenant_id = $1 AND p.tenant_id = $1 AND pd.channel IS NOT NULL \
         ORDER BY pd.device_id",
    )
    .bind(tenant.as_str())
    .fetch_all(reader.conn())
    .await?;
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let identifiers: Vec<(String, String, String)> = rows_among(
        &mut reader,
        "SELECT device_id, kind, value FROM device_identifiers",
        "device_id",
        &ids,
    )
    .await?;
    let index: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect();
    let mut union = Union((0..ids.len()).collect());
    let mut first_with: HashMap<(&str, &str), usize> = HashMap::new();
    for (device, kind, value) in &identifiers {
        let Some(&i) = index.get(device.as_str()) else {
            continue;
        };
        match first_with.get(&(kind.as_str(), value.as_str())) {
            Some(&j) => union.join(i, j),
            None => {
                first_with.insert((kind.as_str(), value.as_str()), i);
            }
        }
    }
    let mut by_root: HashMap<usize, Group> = HashMap::new();
    let mut order = Vec::new();
    for (i, (device, plugin, vendor_name, channel, cid, title, at)) in rows.iter().enumerate() {
        let root = union.root(i);
        let group = by_root.entry(root).or_insert_with(|| {
            order.push(root);
            Group {
                device_ids: Vec::new(),
                serial: None,
                imeis: Vec::new(),
                registrations: Vec::new(),
            }
        });
        group.device_ids.push(device.clone());
        let Some(channel) = channel.as_deref().and_then(channel_of) else {
            continue;
        };
        group.registrations.push(RegistrationFact {
            plugin: plugin.clone(),
            channel: channel_code(channel).to_string(),
            vendor_name: vendor_name.clone(),
            configuration: cid.clone().map(|id| RegisteredConfiguration {
                title: title.clone().unwrap_or_else(|| id.clone()),
                id,
            }),
            registered_at: *at,
        });
    }
    for (device, kind, value) in identifiers {
        let Some(&i) = index.get(device.as_str()) else {
            continue;
        };
        let group = by_root
            .get_mut(&union.root(i))
            .expect("every entry has its group");
        match kind.as_str() {
            "serial" => {
                group.serial.get_or_insert(value);
            }
            _ => {
                if !group.imeis.contains(&value) {
                    group.imeis.push(value);
                }
            }
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|root| by_root.remove(&root))
        .map(|mut g| {
            g.imeis.sort();
            g
        })
        .collect())
}

/// A deciding plugin: (id, name, active version, channels).
type Decider = (String, String, String, Vec<api::EnrolmentChannel>);

/// The tenant's active plugins that decide between channels, by name.
/// A tenant over its share of the plugin runtime gets the refusal (429), not fewer decisions.
async fn deciders(
    services: &crate::services::Services,
    tenant: &TenantId,
) -> Result<Vec<Decider>, HookError> {
    let mut reader = services.store().reader(tenant).await?;
    let active: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, name, active_version_id FROM plugins \
         WHERE tenant_id = $1 AND active_version_id IS NOT NULL ORDER BY name",
    )
    .bind(tenant.as_str())
    .fetch_all(reader.conn())
    .await
    .map_err(Error::from)?;
    drop(reader);
    let mut found = Vec::new();
    for (id, name, version) in active {
        let installation = match services.plugins().for_call(tenant, &id).await {
            Ok(i) => i,
            Err(e @ HookError::Busy(..)) => return Err(e),
            Err(e) => {
                tracing::warn!(plugin = %name, error = %e, "provisioning: plugin unavailable");
                continue;
            }
        };
        match installation.decides_between().await {
            Ok(channels) if !channels.is_empty() => found.push((id, name, version, channels)),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(plugin = %name, error = %e, "provisioning: decides-between failed")
            }
        }
    }
    Ok(found)
}

fn fingerprint(deciders: &[Decider], group: &Group) -> String {
    let mut h = Sha256::new();
    for (id, _, version, _) in deciders {
        h.update(id.as_bytes());
        h.update([0]);
        h.update(version.as_bytes());
        h.update([1]);
    }
    let mut ids: Vec<&String> = group.device_ids.iter().collect();
    ids.sort();
    let facts = serde_json::json!({
        "ids": ids, "serial": group.serial, "imeis": group.imeis,
        "registrations": group.registrations,
    });
    h.update(facts.to_string().as_bytes());
    hex::encode(h.finalize())
}

fn identity(group: &Group) -> api::DeviceIdentity {
    api::DeviceIdentity {
        device_id: None,
        serial_number: group.serial.clone(),
        imeis: group.imeis.clone(),
        meid: None,
        manufacturer: None,
        model: None,
        os: None,
        os_version: None,
        security_patch_level: None,
    }
}

fn facts(group: &Group) -> api::DeviceFacts {
    api::DeviceFacts {
        device_id: group.device_ids[0].clone(),
        identity: identity(group),
        registrations: group
            .registrations
            .iter()
            .filter_map(|r| {
                Some(api::RegistrationFact {
                    plugin: r.plugin.clone(),
                    channel: channel_of(&r.channel)?,
                    vendor_name: r.vendor_name.clone(),
                    configuration: r
                        .configuration
                        .as_ref()
                        .map(|c| api::AssignedConfiguration {
                            id: c.id.clone(),
                            title: c.title.clone(),
                        }),
                    registered_at_ms: r.registered_at.and_then(|t| u64::try_from(t).ok()),
                })
            })
            .collect(),
    }
}

fn answer_of(plugin_id: &str, plugin: &str, d: api::ProvisioningDecision) -> Answer {
    Answer {
        plugin_id: plugin_id.to_string(),
        plugin: plugin.to_string(),
        provisioned_by: Some(
            d.provisioned_by
                .map(|c| channel_code(c).to_string())
                .unwrap_or_else(|| "none".into()),
        ),
        configuration: d.configuration.map(|c| RegisteredConfiguration {
            id: c.id,
            title: c.title,
        }),
        reasons: d
            .reasons
            .into_iter()
            .map(|r| DecisionReason {
                code: r.code,
                message: r.message,
            })
            .collect(),
        remedies: d
            .remedies
            .into_iter()
            .map(|r| Remedy {
                plugin_id: plugin_id.to_string(),
                collection: r.collection,
                item: r.item,
                action: r.action,
                title: r.title,
            })
            .collect(),
    }
}

/// Asks the deciding plugins about `groups` (in batches); `None` where none decided.
async fn ask(
    services: &crate::services::Services,
    tenant: &TenantId,
    deciders: &[Decider],
    groups: &[&Group],
) -> Vec<Option<Answer>> {
    let mut answers: Vec<Option<Answer>> = vec![None; groups.len()];
    for (id, name, _, channels) in deciders {
        let codes: Vec<&str> = channels.iter().map(|c| channel_code(*c)).collect();
        let asked: Vec<usize> = (0..groups.len())
            .filter(|&i| {
                answers[i].is_none()
                    && groups[i]
                        .registrations
                        .iter()
                        .any(|r| codes.contains(&r.channel.as_str()))
            })
            .collect();
        for batch in asked.chunks(BATCH) {
            let installation = match services.plugins().for_call(tenant, id).await {
                Ok(i) => i,
                Err(e) => {
                    tracing::warn!(plugin = %name, error = %e, "provisioning: plugin unavailable");
                    break;
                }
            };
            let facts: Vec<api::DeviceFacts> = batch.iter().map(|&i| facts(groups[i])).collect();
            let result = installation.decide_provisioning(&facts).await;
            match hook(&installation, result) {
                Ok(decisions) => {
                    for (&i, decision) in batch.iter().zip(decisions) {
                        if let api::ProvisioningAnswer::Decided(d) = decision {
                            answers[i] = Some(answer_of(id, name, d));
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(plugin = %name, error = %e, "provisioning: decide-provisioning failed");
                    break;
                }
            }
        }
    }
    answers
}

/// The tenant's decisions (or only that of the device whose entry is `only`): kept ones where
/// nothing changed, asked again otherwise.
async fn decisions(
    services: &crate::services::Services,
    tenant: &TenantId,
    only: Option<&str>,
) -> Result<Vec<ProvisioningDecision>, HookError> {
    let deciders = deciders(services, tenant).await?;
    if deciders.is_empty() {
        return Ok(Vec::new());
    }
    let decided: BTreeSet<&str> = deciders
        .iter()
        .flat_map(|(_, _, _, c)| c.iter().map(|c| channel_code(*c)))
        .collect();
    let groups: Vec<Group> = groups(services.store(), tenant)
        .await?
        .into_iter()
        .filter(|g| {
            g.registrations
                .iter()
                .any(|r| decided.contains(r.channel.as_str()))
        })
        .filter(|g| only.is_none_or(|id| g.device_ids.iter().any(|d| d == id)))
        .collect();
    let prints: Vec<String> = groups.iter().map(|g| fingerprint(&deciders, g)).collect();
    let mut reader = services.store().reader(tenant).await?;
    let kept: HashMap<String, Option<Answer>> = rows_among::<(String, String)>(
        &mut reader,
        "SELECT fingerprint, answer_json FROM provisioning_decisions",
        "fingerprint",
        &prints,
    )
    .await?
    .into_iter()
    .filter_map(|(print, json)| Some((print, serde_json::from_str(&json).ok()?)))
    .collect();
    drop(reader);
    let missing: Vec<usize> = (0..groups.len())
        .filter(|&i| !kept.contains_key(&prints[i]))
        .collect();
    let fresh = ask(
        services,
        tenant,
        &deciders,
        &missing.iter().map(|&i| &groups[i]).collect::<Vec<_>>(),
    )
    .await;
    let mut answers: Vec<Option<Answer>> = prints
        .iter()
        .map(|p| kept.get(p).cloned().flatten())
        .collect();
    let mut keep: Vec<(String, String)> = Vec::new();
    for (&i, answer) in missing.iter().zip(fresh) {
        // Only decisions are kept: an abstention may come from a failure, and is asked again.
        if let Some(a) = &answer {
            keep.push((
                prints[i].clone(),
                serde_json::to_string(a).map_err(|e| Error::Internal(e.to_string()))?,
            ));
        }
        answers[i] = answer;
    }
    // Stale answers are known only when every device was looked at.
    let current = only.is_none().then_some(prints.as_slice());
    store_answers(services.store(), tenant, &keep, current).await?;
    Ok(groups
        .into_iter()
        .zip(answers)
        .map(|(g, a)| ProvisioningDecision {
            device_ids: g.device_ids,
            serial_number: g.serial,
            imeis: g.imeis,
            provisioned_by: a.as_ref().and_then(|a| a.provisioned_by.clone()),
            configuration: a.as_ref().and_then(|a| a.configuration.clone()),
            reasons: a.as_ref().map(|a| a.reasons.clone()).unwrap_or_default(),
            remedies: a.as_ref().map(|a| a.remedies.clone()).unwrap_or_default(),
            decided_by: a.map(|a| a.plugin),
            registrations: g.registrations,
        })
        .collect())
}

/// Keeps the new answers, and (given every `current` fingerprint of the tenant) drops those
/// no device has any more.
async fn store_answers(
    store: &Store,
    tenant: &TenantId,
    new: &[(String, String)],
    current: Option<&[String]>,
) -> Result<(), Error> {
    let mut scoped = store.scoped(tenant).await?;
    let now = crate::store::now_ms();
    for chunk in new.chunks(ROWS_PER_STATEMENT / 4) {
        let sql = format!(
            "INSERT INTO provisioning_decisions (tenant_id, fingerprint, answer_json, decided_at) \
             VALUES {} ON CONFLICT (tenant_id, fingerprint) DO NOTHING",
            Placeholders::new(&scoped).rows(chunk.len(), 4)
        );
        let mut query = sqlx::query(&sql);
        for (print, json) in chunk {
            query = query.bind(tenant.as_str()).bind(print).bind(json).bind(now);
        }
        query.execute(scoped.conn()).await?;
    }
    let Some(current) = current else {
        scoped.commit().await?;
        return Ok(());
    };
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT fingerprint FROM provisioning_decisions WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_all(scoped.conn())
            .await?;
    let current: BTreeSet<&str> = current.iter().map(String::as_str).collect();
    let gone: Vec<&String> = stored
        .iter()
        .filter(|p| !current.contains(p.as_str()))
        .collect();
    for chunk in gone.chunks(ROWS_PER_STATEMENT) {
        let mut p = Placeholders::new(&scoped);
        let sql = format!(
            "DELETE FROM provisioning_decisions WHERE tenant_id = {} AND fingerprint IN ({})",
            p.next(),
            p.list(chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(tenant.as_str());
        for print in chunk {
            query = query.bind(*print);
        }
        query.execute(scoped.conn()).await?;
    }
    scoped.commit().await?;
    Ok(())
}

fn normalized(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

impl AsAdmin<'_> {
    /// Who provisions the tenant's devices, filtered and paged.
    pub async fn provisioning_decisions(
        &self,
        filter: &DecisionFilter,
    ) -> Result<DecisionPage, HookError> {
        let limit = filter.limit.unwrap_or(100);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Error::invalid("limit", format!("1 to {MAX_LIMIT}")).into());
        }
        if filter.offset.is_some_and(|o| o > MAX_OFFSET) {
            return Err(Error::invalid("offset", format!("0 to {MAX_OFFSET}")).into());
        }
        if let Some(by) = &filter.provisioned_by {
            if by != "none" && by != "undecided" && channel_of(by).is_none() {
                return Err(Error::invalid(
                    "provisioned_by",
                    "a channel (knox-mobile-enrollment, zero-touch...), none or undecided",
                )
                .into());
            }
        }
        for (field, value) in [("reason", &filter.reason), ("search", &filter.search)] {
            if value.as_ref().is_some_and(|v| v.len() > 200) {
                return Err(Error::invalid(field, "at most 200 characters").into());
            }
        }
        let search = filter
            .search
            .as_deref()
            .map(normalized)
            .filter(|s| !s.is_empty());
        let all = decisions(self.services, self.tenant(), None).await?;
        let matching: Vec<ProvisioningDecision> = all
            .into_iter()
            .filter(|d| match filter.provisioned_by.as_deref() {
                None => true,
                Some("undecided") => d.provisioned_by.is_none(),
                Some(by) => d.provisioned_by.as_deref() == Some(by),
            })
            .filter(|d| {
                filter
                    .reason
                    .as_ref()
                    .is_none_or(|code| d.reasons.iter().any(|r| r.code == *code))
            })
            .filter(|d| {
                search.as_ref().is_none_or(|s| {
                    d.serial_number.as_deref().map(normalized).as_ref() == Some(s)
                        || d.imeis.iter().any(|i| i == s)
                })
            })
            .collect();
        let total = matching.len() as u32;
        let offset = filter.offset.unwrap_or(0);
        let decisions: Vec<ProvisioningDecision> = matching
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        let next = offset.saturating_add(limit);
        Ok(DecisionPage {
            decisions,
            total,
            next_offset: (next < total).then_some(next),
        })
    }

    /// Who provisions device entry `device_id`, and why (404 when no deciding plugin
    /// decides about it).
    pub async fn device_provisioning(
        &self,
        device_id: &str,
    ) -> Result<ProvisioningDecision, HookError> {
        let mut reader = self.read().await?;
        crate::devices::get(&mut reader, device_id).await?;
        drop(reader);
        decisions(self.services, self.tenant(), Some(device_id))
            .await?
            .into_iter()
            .find(|d| d.device_ids.iter().any(|id| id == device_id))
            .ok_or(HookError::Setup(Error::NotFound("provisioning decision")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_identifiers_join_entries() {
        let mut u = Union((0..4).collect());
        u.join(0, 2);
        u.join(3, 2);
        assert_eq!(u.root(3), 0);
        assert_ne!(u.root(1), 0);
    }
}
