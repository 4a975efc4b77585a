//! The `devices` collection: the devices each organisation reported at the last inventory sync
//! (kept in `kv` in 256 buckets per connector, `devices/<connector>/<bucket>`, a device in the
//! bucket of the first byte of its key: a sync writes at most 256 values, a device is read with
//! one, a page of the collection is whole buckets), each with the access it has under the
//! connector's rules and why (module `access`), and the wipes (SPEC G4): `wipe` asks Exchange
//! for a remote wipe (`Clear-MobileDevice`, the *delete resource* permission), `cancel-wipe`
//! cancels a pending one (`Clear-MobileDevice -Cancel`, *modify resource*). The host records
//! each in the history with who asked; a user's wipe of their own device from the portal comes
//! through `execute` (the device's name in the host's inventory is `<connector>/<Identity>`).

use corral_plugin_sdk::capabilities::kv;
use corral_plugin_sdk::collection_action as action;
use corral_plugin_sdk::column;
use corral_plugin_sdk::types::{
    CollectionInfo, Item, Outcome, Page, Permission, PluginError, Property,
};
use serde_json::{Map, Value, json};

use crate::access;
use crate::connectors::{self, Connector};
use crate::invoke::invoke;
use crate::wording::tr;

pub const DEVICES: &str = "devices";
const PREFIX: &str = "devices/";

fn kv_error(e: impl std::fmt::Debug) -> PluginError {
    PluginError::Internal(format!("kv: {e:?}"))
}

/// A short stable key for an Exchange identity (FNV-1a, 64 bits).
fn key_of(identity: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in identity.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

pub fn text(d: &Value, name: &str) -> String {
    d[name].as_str().unwrap_or_default().trim().to_string()
}

/// A device's bucket: the first byte of its key, in hex.
fn bucket_of(key: &str) -> &str {
    &key[..2]
}

fn bucket_key(connector: &str, bucket: &str) -> String {
    format!("{PREFIX}{connector}/{bucket}")
}

type Bucket = Map<String, Value>;

fn read_bucket(key: &str) -> Result<Bucket, PluginError> {
    Ok(kv::get(key)
        .map_err(kv_error)?
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default())
}

fn write_bucket(key: &str, bucket: &Bucket) -> Result<(), PluginError> {
    let bytes = serde_json::to_vec(bucket).map_err(|e| PluginError::Internal(e.to_string()))?;
    kv::set(key, &bytes).map_err(kv_error)
}

/// The connector's buckets in use (at most 256).
fn buckets(connector: &str) -> Result<Vec<String>, PluginError> {
    let mut keys = kv::list_keys(&format!("{PREFIX}{connector}/"), 1000).map_err(kv_error)?;
    keys.sort();
    Ok(keys)
}

/// Keeps what the organisation reported of its devices, forgetting the ones it no longer lists.
pub fn keep(c: &Connector, reported: &[Value]) -> Result<(), PluginError> {
    let mut fresh: std::collections::BTreeMap<String, Bucket> = Default::default();
    for d in reported {
        let key = key_of(&text(d, "Identity"));
        fresh
            .entry(bucket_key(&c.id, bucket_of(&key)))
            .or_default()
            .insert(key, d.clone());
    }
    for stale in buckets(&c.id)? {
        if !fresh.contains_key(&stale) {
            kv::delete(&stale).map_err(kv_error)?;
        }
    }
    for (key, bucket) in &fresh {
        write_bucket(key, bucket)?;
    }
    Ok(())
}

/// Forgets every device of a removed connector.
pub fn forget(connector: &str) -> Result<(), PluginError> {
    for key in buckets(connector)? {
        kv::delete(&key).map_err(kv_error)?;
    }
    Ok(())
}

pub fn collection() -> CollectionInfo {
    CollectionInfo {
        name: DEVICES.into(),
        title: tr("Exchange devices").into(),
        description: tr("The devices each organisation reported at the last inventory sync, with their access and wipes").into(),
        columns: vec![
            column("name", tr("Name")),
            column("connector", tr("Connector")),
            column("mailbox", tr("Mailbox")),
            column("model", tr("Model")),
            column("access", tr("Access")),
            column("wipe", tr("Wipe")),
        ],
        searchable: false,
        actions: vec![
            action(
                "wipe",
                tr("Wipe"),
                tr("Asks Exchange to wipe the device at its next synchronisation"),
                true,
                Permission::DeleteResource,
                false,
                true,
            ),
            action(
                "cancel-wipe",
                tr("Cancel the wipe"),
                tr("Cancels a wipe the device has not carried out yet"),
                true,
                Permission::ModifyResource,
                false,
                false,
            ),
        ],
        imports: vec![],
    }
}

/// The device's `<user>_<devicetype>` name.
pub fn name(d: &Value) -> String {
    let mailbox = text(d, "UserPrincipalName");
    let user = mailbox.split('@').next().unwrap_or_default();
    format!("{user}_{}", text(d, "DeviceType"))
}

/// The access the device has under the connector's rules, and why.
pub fn decision(c: &Connector, d: &Value) -> access::Decision {
    let mailbox = text(d, "UserPrincipalName");
    let kept = c.external_mdm
        && c.allowed
            .get(&mailbox)
            .is_some_and(|ids| ids.contains(&text(d, "DeviceId")));
    let default = c
        .default_access
        .as_deref()
        .or(c.exchange_default_access.as_deref())
        .unwrap_or("Allow");
    access::evaluate(d, &c.rules, default, kept)
}

fn item(c: &Connector, d: &Value) -> Item {
    let p = |name: &str, value: String| Property {
        name: name.into(),
        value,
    };
    let decided = decision(c, d);
    let wipe = text(d, "DeviceWipeStatus");
    Item {
        id: format!("{}-{}", c.id, key_of(&text(d, "Identity"))),
        title: name(d),
        values: vec![
            p("name", name(d)),
            p("connector", c.name.clone()),
            p("mailbox", text(d, "UserPrincipalName")),
            p("model", text(d, "DeviceModel")),
            p("access", decided.level.into()),
            p(
                "wipe",
                if wipe.is_empty() {
                    tr("none").into()
                } else {
                    wipe
                },
            ),
        ],
        details: vec![
            p("identity", text(d, "Identity")),
            p("device-id", text(d, "DeviceId")),
            p("device-type", text(d, "DeviceType")),
            p("device-os", text(d, "DeviceOS")),
            p("user-agent", text(d, "DeviceUserAgent")),
            p("access-explanation", decided.explanation),
            p("access-rule", decided.rule.unwrap_or_default()),
            p("exchange-access-state", text(d, "DeviceAccessState")),
        ],
    }
}

/// Items per page, about: a page is whole buckets, at least this many items when there are.
const PAGE: usize = 200;

/// A page of every connector's devices: whole buckets from `page_token` (`<connector>/<bucket>`)
/// on, until the page has [`PAGE`] items.
pub fn list(page_token: Option<&str>) -> Result<Page, PluginError> {
    let mut all = Vec::new();
    for c in connectors::all()? {
        for key in buckets(&c.id)? {
            all.push((c.clone(), key));
        }
    }
    let start = match page_token {
        Some(token) => all
            .iter()
            .position(|(_, key)| key.strip_prefix(PREFIX) == Some(token))
            .ok_or_else(|| PluginError::InvalidInput(format!("page token {token}")))?,
        None => 0,
    };
    let mut items = Vec::new();
    let mut next = None;
    for (i, (c, key)) in all.iter().enumerate().skip(start) {
        if items.len() >= PAGE {
            next = all[i].1.strip_prefix(PREFIX).map(str::to_string);
            break;
        }
        items.extend(read_bucket(key)?.values().map(|d| item(c, d)));
    }
    items.sort_by(|a, b| a.title.cmp(&b.title));
    Ok(Page {
        items,
        next_page_token: next,
    })
}

/// The device of item `id` (`<connector>-<key>`), its connector and its bucket's key.
fn find(id: &str) -> Result<Option<(Connector, Value, String)>, PluginError> {
    let Some((connector, key)) = id.split_once('-') else {
        return Ok(None);
    };
    if key.len() != 16 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let Some(c) = connectors::get(connector)? else {
        return Ok(None);
    };
    let bucket = bucket_key(connector, bucket_of(key));
    Ok(read_bucket(&bucket)?
        .get(key)
        .cloned()
        .map(|d| (c, d, bucket)))
}

pub fn get(id: &str) -> Result<Option<Item>, PluginError> {
    Ok(find(id)?.map(|(c, d, _)| item(&c, &d)))
}

/// Asks Exchange to wipe (or to cancel the wipe of) the device `identity` of `c`; keeps the
/// wipe's state as Exchange will report it.
fn clear(c: &Connector, identity: &str, cancel: bool) -> Result<(), PluginError> {
    let mut p = Map::new();
    p.insert("Identity".into(), json!(identity));
    if cancel {
        p.insert("Cancel".into(), json!(true));
    }
    invoke(c, "Clear-MobileDevice", p).map_err(|f| PluginError::Upstream(f.0))?;
    let key = key_of(identity);
    let bucket = bucket_key(&c.id, bucket_of(&key));
    let mut devices = read_bucket(&bucket)?;
    if let Some(d) = devices.get_mut(&key) {
        d["DeviceWipeStatus"] = json!(if cancel {
            "WipeCanceled"
        } else {
            "WipePending"
        });
        write_bucket(&bucket, &devices)?;
    }
    Ok(())
}

/// The collection's `wipe` and `cancel-wipe`.
pub fn act(id: &str, action: &str) -> Result<Outcome, PluginError> {
    let (c, d, _) =
        find(id)?.ok_or_else(|| PluginError::InvalidInput(format!("no device {id}")))?;
    clear(&c, &text(&d, "Identity"), action == "cancel-wipe")?;
    let d = find(id)?.map_or(d, |(_, d, _)| d);
    Ok(Outcome::Done(Some(item(&c, &d))))
}

/// A wipe the host asks for (a user's own device, from the portal): `vendor_name` is
/// `<connector>/<Identity>`.
pub fn wipe_discovered(vendor_name: &str) -> Result<(), PluginError> {
    let (connector, identity) = vendor_name.split_once('/').ok_or_else(|| {
        PluginError::InvalidInput(format!("not an Exchange device: {vendor_name}"))
    })?;
    let c = connectors::get(connector)?
        .ok_or_else(|| PluginError::InvalidInput(format!("no connector {connector}")))?;
    clear(&c, identity, false)
}
