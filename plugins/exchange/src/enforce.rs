//! Sending what Corral manages to the connector's organisation: the settings groups it manages
//! (`Set-MobileDeviceMailboxPolicy` on [`policy::POLICY`]), its access rules (made, changed
//! and removed to match; a rule Corral did not make is left alone) and the default access
//! level (`Set-ActiveSyncOrganizationSettings`).
//!
//! Nothing accepted is lost: a change is kept first, then sent; what could not be sent
//! (Exchange unreachable, not installed yet) stays marked unsent and goes at the next
//! installation or inventory sync, the reason shown meanwhile.

use serde_json::{Map, Value, json};

use crate::connectors::Connector;
use crate::invoke::{Failure, invoke};
use crate::policy;
use crate::wording::tr;

/// Sends everything to the organisation when the connector is installed; records the outcome
/// in the connector (the caller saves it).
pub fn send(c: &mut Connector) {
    c.unsent = true;
    if c.status != "installed" {
        c.enforce_error = Some(tr("waiting for the connector's installation").into());
        return;
    }
    match send_all(c) {
        Ok(()) => {
            c.unsent = false;
            c.enforce_error = None;
        }
        Err(failure) => c.enforce_error = Some(failure.0),
    }
}

fn send_all(c: &mut Connector) -> Result<(), Failure> {
    if let Some(parameters) = policy::parameters(&c.settings) {
        invoke(c, "Set-MobileDeviceMailboxPolicy", parameters)?;
    }
    if !c.rules.is_empty() || !c.sent_rules.is_empty() {
        send_rules(c)?;
    }
    if let Some(level) = c.default_access.clone() {
        let mut p = Map::new();
        p.insert("DefaultAccessLevel".into(), json!(level));
        invoke(c, "Set-ActiveSyncOrganizationSettings", p)?;
        c.exchange_default_access = Some(level);
    }
    Ok(())
}

fn identity(identity: &str) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("Identity".into(), json!(identity));
    p
}

fn send_rules(c: &mut Connector) -> Result<(), Failure> {
    let existing = invoke(c, "Get-ActiveSyncDeviceAccessRule", Map::new())?;
    let at_exchange = |name: &str| {
        existing.iter().find(|r| {
            r["Identity"]
                .as_str()
                .is_some_and(|i| i.eq_ignore_ascii_case(name))
        })
    };
    let wanted: Vec<String> = c.rules.iter().map(|r| r.identity()).collect();
    for gone in c.sent_rules.clone() {
        if !wanted.iter().any(|w| w.eq_ignore_ascii_case(&gone)) && at_exchange(&gone).is_some() {
            invoke(c, "Remove-ActiveSyncDeviceAccessRule", identity(&gone))?;
        }
        c.sent_rules.retain(|s| s != &gone);
    }
    for rule in c.rules.clone() {
        let name = rule.identity();
        match at_exchange(&name) {
            None => {
                let mut p = Map::new();
                p.insert("AccessLevel".into(), json!(rule.level));
                p.insert("Characteristic".into(), json!(rule.characteristic));
                p.insert("QueryString".into(), json!(rule.query_string));
                invoke(c, "New-ActiveSyncDeviceAccessRule", p)?;
            }
            Some(r) if r["AccessLevel"].as_str() != Some(rule.level.as_str()) => {
                let mut p = identity(&name);
                p.insert("AccessLevel".into(), json!(rule.level));
                invoke(c, "Set-ActiveSyncDeviceAccessRule", p)?;
            }
            Some(_) => {}
        }
        if !c.sent_rules.contains(&name) {
            c.sent_rules.push(name);
        }
    }
    Ok(())
}

/// Where the connector's settings, rules and default level stand, in words.
pub fn state(c: &Connector) -> String {
    match (&c.unsent, &c.enforce_error) {
        (false, _) => tr("sent to Exchange").into(),
        (true, Some(why)) => format!("{}: {why}", tr("not sent yet")),
        (true, None) => tr("not sent yet").into(),
    }
}
