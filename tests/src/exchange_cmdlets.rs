//! The Exchange cmdlets' contract (`../shared/specs/microsoft/exchange-cmdlets.txt`, copied
//! as is to `tests/fixtures/microsoft/`), read for
//! the Exchange stand-in: which cmdlets exist, their parameters' exact names, where each exists
//! (on-premises, Exchange Online or both) and the values it takes. The stand-in refuses a
//! cmdlet not in the file, a parameter the cmdlet does not have or that does not exist for the
//! organisation's kind, and a value outside the listed values or range ([`Cmdlets::check`]).
//!
//! The file's format: `# Cmdlet-Name` opens a section; each other line not starting with `;` is
//! a parameter, its name then tab-separated `key=value` annotations (`type`, `req`, `env`
//! `both|onprem|exo`, `values` `a|b|c`, `range` `lo..hi` with "or Unlimited" / "or $null",
//! `format`, `maxlen`).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

/// Where an Exchange organisation runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Online,
    OnPremises,
}

#[derive(Clone, Debug, Default)]
pub struct Parameter {
    pub name: String,
    pub kind: String,
    /// `both`, `onprem` or `exo`.
    pub env: String,
    pub required: bool,
    pub values: Option<Vec<String>>,
    pub range: Option<String>,
    /// A duration's format and bounds (`hh:mm:ss 00:01:00..01:00:00 or Unlimited`).
    pub format: Option<String>,
    pub max_len: Option<usize>,
    /// The parameter this one "cannot be combined with" (another parameter set's).
    pub not_with: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Cmdlet {
    pub name: String,
    pub parameters: Vec<Parameter>,
    /// Several parameter sets (a parameter required in one is not in the other).
    pub parameter_sets: bool,
    /// How many parameter sets the cmdlet has (0 without).
    pub set_count: usize,
    /// Exchange 2010 names the docs say to replace with `*-MobileDevice*`.
    pub legacy: bool,
}

/// Every cmdlet of the file, by name.
#[derive(Clone, Debug, Default)]
pub struct Cmdlets(pub BTreeMap<String, Cmdlet>);

/// The file (the shared contract, copied into the fixtures).
pub fn spec_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/microsoft/exchange-cmdlets.txt")
}

impl Cmdlets {
    pub fn load() -> Cmdlets {
        let path = spec_path();
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Cmdlets::parse(&text)
    }

    pub fn parse(text: &str) -> Cmdlets {
        let mut all = BTreeMap::new();
        let mut current: Option<Cmdlet> = None;
        let mut legacy = false;
        for line in text.lines() {
            let line = line.trim_end();
            if line.contains("LEGACY (Exchange 2010 names") {
                legacy = true;
            }
            if let Some(name) = line.strip_prefix("# ") {
                if let Some(done) = current.take() {
                    all.insert(done.name.clone(), done);
                }
                current = Some(Cmdlet {
                    name: name.trim().to_string(),
                    legacy,
                    ..Cmdlet::default()
                });
                continue;
            }
            let Some(cmdlet) = current.as_mut() else {
                continue;
            };
            if line.starts_with(';') {
                if let Some((_, sets)) = line.split_once("parameter sets:") {
                    cmdlet.parameter_sets = true;
                    cmdlet.set_count = sets.split(',').count();
                }
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            let mut fields = line.split('\t');
            let mut p = Parameter {
                name: fields.next().unwrap_or_default().to_string(),
                ..Parameter::default()
            };
            for field in fields {
                let Some((key, value)) = field.split_once('=') else {
                    continue;
                };
                match key {
                    "type" => p.kind = value.to_string(),
                    "req" => p.required = value == "yes",
                    "env" => p.env = value.to_string(),
                    "values" => p.values = Some(value.split('|').map(str::to_string).collect()),
                    "range" => p.range = Some(value.to_string()),
                    "format" => p.format = Some(value.to_string()),
                    "maxlen" => p.max_len = value.parse().ok(),
                    "note" => {
                        p.not_with = value
                            .split_once("cannot be combined with ")
                            .map(|(_, other)| other.trim().to_string())
                    }
                    _ => {}
                }
            }
            cmdlet.parameters.push(p);
        }
        if let Some(done) = current.take() {
            all.insert(done.name.clone(), done);
        }
        Cmdlets(all)
    }

    /// Why Exchange (of `kind`) would refuse `cmdlet` with `parameters`, if it would.
    pub fn check(
        &self,
        cmdlet: &str,
        parameters: &serde_json::Map<String, Value>,
        kind: Kind,
    ) -> Result<(), String> {
        let Some(c) = self.0.get(cmdlet) else {
            return Err(format!("the term '{cmdlet}' is not recognized as a cmdlet"));
        };
        for (name, value) in parameters {
            let Some(p) = c
                .parameters
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(name))
            else {
                return Err(format!(
                    "{cmdlet}: a parameter cannot be found that matches parameter name '{name}'"
                ));
            };
            match (p.env.as_str(), kind) {
                ("onprem", Kind::Online) => {
                    return Err(format!(
                        "{cmdlet}: -{} exists only in on-premises Exchange",
                        p.name
                    ))
                }
                ("exo", Kind::OnPremises) => {
                    return Err(format!(
                        "{cmdlet}: -{} exists only in Exchange Online",
                        p.name
                    ))
                }
                _ => {}
            }
            check_value(cmdlet, p, value)?;
        }
        let given = |name: &str| parameters.keys().any(|k| k.eq_ignore_ascii_case(name));
        if let Some(p) = c
            .parameters
            .iter()
            .find(|p| given(&p.name) && p.not_with.as_deref().is_some_and(&given))
        {
            return Err(format!(
                "{cmdlet}: -{} cannot be combined with -{} (another parameter set)",
                p.name,
                p.not_with.as_deref().unwrap_or_default()
            ));
        }
        if c.parameter_sets {
            // Each set has its mandatory parameter when every set names one: one of them, then.
            let mandatory: Vec<&Parameter> = c.parameters.iter().filter(|p| p.required).collect();
            if mandatory.len() == c.set_count && !mandatory.iter().any(|p| given(&p.name)) {
                let names: Vec<String> = mandatory.iter().map(|p| format!("-{}", p.name)).collect();
                return Err(format!(
                    "{cmdlet}: one of {} is mandatory",
                    names.join(" or ")
                ));
            }
        }
        if !c.parameter_sets {
            if let Some(missing) = c
                .parameters
                .iter()
                .find(|p| p.required && !parameters.keys().any(|k| k.eq_ignore_ascii_case(&p.name)))
            {
                return Err(format!(
                    "{cmdlet}: missing the mandatory parameter -{}",
                    missing.name
                ));
            }
        }
        Ok(())
    }
}

fn check_value(cmdlet: &str, p: &Parameter, value: &Value) -> Result<(), String> {
    let refuse = |why: String| {
        Err(format!(
            "{cmdlet}: cannot bind parameter '{}': {why}",
            p.name
        ))
    };
    if p.kind == "SwitchParameter" {
        return match value {
            Value::Bool(_) => Ok(()),
            other => refuse(format!("a switch takes true or false, not {other}")),
        };
    }
    if let Some(values) = &p.values {
        if values.iter().any(|v| v == "$true") {
            return match value {
                Value::Bool(_) => Ok(()),
                other => refuse(format!("expected $true or $false, not {other}")),
            };
        }
        return match value.as_str() {
            Some(s) if values.iter().any(|v| v.eq_ignore_ascii_case(s)) => Ok(()),
            _ => refuse(format!("{value} is not one of {}", values.join(", "))),
        };
    }
    if let Some(range) = &p.range {
        let (bounds, rest) = range.split_once(' ').unwrap_or((range.as_str(), ""));
        let unlimited = rest.contains("Unlimited");
        let null = rest.contains("$null");
        if let Some((lo, hi)) = bounds.split_once("..") {
            if let (Ok(lo), Ok(hi)) = (lo.parse::<i64>(), hi.parse::<i64>()) {
                return match value {
                    Value::Null if null => Ok(()),
                    Value::String(s) if unlimited && s.eq_ignore_ascii_case("Unlimited") => Ok(()),
                    Value::Number(n) if n.as_i64().is_some_and(|n| (lo..=hi).contains(&n)) => {
                        Ok(())
                    }
                    other => refuse(format!("{other} is outside {range}")),
                };
            }
        }
    }
    if let Some(format) = &p.format {
        // A TimeSpan: "[d.]hh:mm:ss", within the bounds the docs give, or Unlimited.
        let mut words = format.split(' ');
        let _shape = words.next();
        let bounds = words.next().filter(|b| b.contains(".."));
        let unlimited = format.contains("Unlimited");
        return match value.as_str() {
            Some(s) if unlimited && s.eq_ignore_ascii_case("Unlimited") => Ok(()),
            Some(s) => match timespan(s) {
                None => refuse(format!("{s} is not a duration [d.]hh:mm:ss")),
                Some(secs) => match bounds.and_then(|b| b.split_once("..")) {
                    Some((lo, hi))
                        if timespan(lo).is_some_and(|lo| secs < lo)
                            || timespan(hi).is_some_and(|hi| secs > hi) =>
                    {
                        refuse(format!("{s} is outside {lo}..{hi}"))
                    }
                    _ => Ok(()),
                },
            },
            None => refuse(format!("{value} is not a duration ({format})")),
        };
    }
    if let (Some(max), Some(s)) = (p.max_len, value.as_str()) {
        if s.chars().count() > max {
            return refuse(format!("longer than {max} characters"));
        }
    }
    Ok(())
}

/// Seconds of a .NET TimeSpan written `[d.]hh:mm:ss`.
fn timespan(text: &str) -> Option<u64> {
    let (days, clock) = match text.split_once('.') {
        Some((d, rest)) => (d.parse::<u64>().ok()?, rest),
        None => (0, text),
    };
    let parts: Vec<u64> = clock
        .split(':')
        .map(|p| p.parse::<u64>().ok().filter(|_| p.len() == 2))
        .collect::<Option<_>>()?;
    match parts.as_slice() {
        [h, m, s] if *h < 24 && *m < 60 && *s < 60 => Some(days * 86_400 + h * 3600 + m * 60 + s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_shared_contract_is_read_and_enforced() {
        let c = Cmdlets::load();
        for name in [
            "New-ActiveSyncDeviceAccessRule",
            "Set-ActiveSyncOrganizationSettings",
            "Get-MobileDevice",
            "Clear-MobileDevice",
            "Set-CASMailbox",
            "Set-MobileDeviceMailboxPolicy",
        ] {
            assert!(c.0.contains_key(name), "{name}");
        }
        assert!(c.0["Get-ActiveSyncDevice"].legacy);
        assert!(!c.0["Get-MobileDevice"].legacy);
        let rule = params(
            json!({"AccessLevel": "Quarantine", "Characteristic": "DeviceModel", "QueryString": "iPhone"}),
        );
        assert_eq!(
            c.check("New-ActiveSyncDeviceAccessRule", &rule, Kind::Online),
            Ok(())
        );
        let wrong = params(
            json!({"AccessLevel": "Maybe", "Characteristic": "DeviceModel", "QueryString": "x"}),
        );
        assert!(c
            .check("New-ActiveSyncDeviceAccessRule", &wrong, Kind::Online)
            .unwrap_err()
            .contains("not one of"));
        let missing = params(json!({"AccessLevel": "Allow", "Characteristic": "DeviceModel"}));
        assert!(c
            .check("New-ActiveSyncDeviceAccessRule", &missing, Kind::Online)
            .unwrap_err()
            .contains("QueryString"));
        assert!(c
            .check("Invoke-Anything", &params(json!({})), Kind::Online)
            .is_err());
        // Exchange 2010's names are not Set-MobileDeviceMailboxPolicy's.
        let old = params(json!({"Identity": "Default", "DevicePasswordEnabled": true}));
        assert!(c
            .check("Set-MobileDeviceMailboxPolicy", &old, Kind::Online)
            .is_err());
        let new =
            params(json!({"Identity": "Default", "PasswordEnabled": true, "MinPasswordLength": 6}));
        assert_eq!(
            c.check("Set-MobileDeviceMailboxPolicy", &new, Kind::Online),
            Ok(())
        );
        let long = params(json!({"Identity": "Default", "MinPasswordLength": 17}));
        assert!(c
            .check("Set-MobileDeviceMailboxPolicy", &long, Kind::Online)
            .is_err());
        // Durations, within their bounds.
        for (value, ok) in [
            ("00:05:00", true),
            ("Unlimited", true),
            ("02:00:00", false),
            ("00:00:30", false),
            ("5 minutes", false),
        ] {
            let p = params(json!({"Identity": "Default", "MaxInactivityTimeLock": value}));
            assert_eq!(
                c.check("Set-MobileDeviceMailboxPolicy", &p, Kind::Online)
                    .is_ok(),
                ok,
                "{value}"
            );
        }
        let p = params(json!({"Identity": "Default", "PasswordExpiration": "731.00:00:00"}));
        assert!(c
            .check("Set-MobileDeviceMailboxPolicy", &p, Kind::Online)
            .is_err());
        // Parameter sets: statistics are of one device or of one mailbox's, not both, not none.
        let stats = |v: Value| c.check("Get-MobileDeviceStatistics", &params(v), Kind::Online);
        assert_eq!(stats(json!({"Mailbox": "ann@contoso.com"})), Ok(()));
        assert!(stats(json!({})).unwrap_err().contains("mandatory"));
        assert!(stats(json!({"Mailbox": "a", "Identity": "b"}))
            .unwrap_err()
            .contains("cannot be combined"));
        assert_eq!(
            c.check("Get-MobileDevice", &params(json!({})), Kind::Online),
            Ok(())
        );
        // Where a parameter exists.
        let dc = params(json!({"Identity": "x", "DomainController": "dc1.example.com"}));
        assert!(c
            .check("Clear-MobileDevice", &dc, Kind::Online)
            .unwrap_err()
            .contains("on-premises"));
        assert_eq!(c.check("Clear-MobileDevice", &dc, Kind::OnPremises), Ok(()));
        let cancel = params(json!({"Identity": "x", "Cancel": true}));
        assert_eq!(c.check("Clear-MobileDevice", &cancel, Kind::Online), Ok(()));
        let switch = params(json!({"Identity": "x", "Cancel": "yes"}));
        assert!(c
            .check("Clear-MobileDevice", &switch, Kind::Online)
            .is_err());
    }
}
