//! Access rules (SPEC G3): allow, block or quarantine the devices whose `DeviceType`,
//! `DeviceModel`, `DeviceOS` or `UserAgent` is exactly a query string (as
//! `New-ActiveSyncDeviceAccessRule` takes them), and the organisation's default access level
//! (`Set-ActiveSyncOrganizationSettings -DefaultAccessLevel`).
//!
//! [`evaluate`] decides a device as Exchange does and says why: a device Corral keeps allowed
//! for its mailbox (external MDM) is allowed; otherwise a matching block rule wins over a
//! quarantine rule, which wins over an allow rule; with no rule matching, the default level
//! applies.

use corral_plugin_sdk::types::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::wording::{says, tr};

pub const LEVELS: [&str; 3] = ["Allow", "Block", "Quarantine"];
pub const CHARACTERISTICS: [&str; 4] = ["DeviceType", "DeviceModel", "DeviceOS", "UserAgent"];

/// One rule as Corral keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub characteristic: String,
    pub query_string: String,
    pub level: String,
}

impl Rule {
    /// Exchange's name of the rule: `<query string> (<characteristic>)`.
    pub fn identity(&self) -> String {
        format!("{} ({})", self.query_string, self.characteristic)
    }

    /// The field of `Get-MobileDevice`'s objects the rule looks at.
    fn device_field(&self) -> &'static str {
        match self.characteristic.as_str() {
            "DeviceType" => "DeviceType",
            "DeviceModel" => "DeviceModel",
            "DeviceOS" => "DeviceOS",
            _ => "DeviceUserAgent",
        }
    }

    pub fn matches(&self, device: &Value) -> bool {
        device[self.device_field()].as_str() == Some(self.query_string.as_str())
    }
}

fn problem(path: &str, message: String) -> FieldError {
    FieldError {
        path: path.into(),
        code: "invalid".into(),
        message,
    }
}

/// One of [`LEVELS`] (any case), as Exchange writes it.
pub fn level(text: &str) -> Option<&'static str> {
    LEVELS
        .into_iter()
        .find(|l| l.eq_ignore_ascii_case(text.trim()))
}

/// The rule `input` describes (`characteristic`, `query_string`, `level`), or its problems.
/// `others` are the organisation's rules: one per characteristic and query string.
pub fn check(input: &Value, id: String, others: &[Rule]) -> Result<Rule, Vec<FieldError>> {
    let mut problems = Vec::new();
    let characteristic = input["characteristic"].as_str().unwrap_or_default();
    let characteristic = CHARACTERISTICS
        .into_iter()
        .find(|c| c.eq_ignore_ascii_case(characteristic.trim()));
    if characteristic.is_none() {
        problems.push(problem(
            "/characteristic",
            says(
                format!("one of {}", CHARACTERISTICS.join(", ")),
                format!("un de {}", CHARACTERISTICS.join(", ")),
            ),
        ));
    }
    let query = input["query_string"].as_str().unwrap_or_default().trim();
    if query.is_empty() || query.chars().count() > 256 || query.contains(['(', ')']) {
        problems.push(problem(
            "/query_string",
            tr("give the exact value to match: 1 to 256 characters, without parentheses").into(),
        ));
    }
    let lvl = level(input["level"].as_str().unwrap_or_default());
    if lvl.is_none() {
        problems.push(problem(
            "/level",
            says(
                format!("one of {}", LEVELS.join(", ")),
                format!("un de {}", LEVELS.join(", ")),
            ),
        ));
    }
    if let (Some(c), Some(l)) = (characteristic, lvl)
        && problems.is_empty()
    {
        let rule = Rule {
            id,
            characteristic: c.into(),
            query_string: query.into(),
            level: l.into(),
        };
        if others
            .iter()
            .any(|o| o.id != rule.id && o.identity().eq_ignore_ascii_case(&rule.identity()))
        {
            return Err(vec![problem(
                "/query_string",
                says(
                    format!("the rule {} exists already", rule.identity()),
                    format!("la règle {} existe déjà", rule.identity()),
                ),
            )]);
        }
        return Ok(rule);
    }
    Err(problems)
}

/// Why a device has the access it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub level: &'static str,
    /// The rule that decided, none when the default level (or external MDM) did.
    pub rule: Option<String>,
    pub explanation: String,
}

/// The access `device` (a `Get-MobileDevice` object) has under `rules` and `default` (the
/// organisation's default access level); `kept_allowed` when Corral keeps it in its mailbox's
/// allowed devices (external MDM).
pub fn evaluate(device: &Value, rules: &[Rule], default: &str, kept_allowed: bool) -> Decision {
    if kept_allowed {
        return Decision {
            level: "Allow",
            rule: None,
            explanation: says(
                "Allow: enrolled in Corral, kept in its mailbox's allowed devices (external MDM)"
                    .into(),
                "Allow : inscrit dans Corral, gardé parmi les appareils autorisés de sa boîte aux \
                 lettres (MDM externe)"
                    .into(),
            ),
        };
    }
    for wanted in ["Block", "Quarantine", "Allow"] {
        if let Some(rule) = rules
            .iter()
            .find(|r| r.level == wanted && r.matches(device))
        {
            return Decision {
                level: level(wanted).expect("a level"),
                rule: Some(rule.identity()),
                explanation: says(
                    format!(
                        "{wanted}: the rule {} decided ({} is {})",
                        rule.identity(),
                        rule.characteristic,
                        rule.query_string
                    ),
                    format!(
                        "{wanted} : la règle {} a décidé ({} vaut {})",
                        rule.identity(),
                        rule.characteristic,
                        rule.query_string
                    ),
                ),
            };
        }
    }
    let default = level(default).unwrap_or("Allow");
    Decision {
        level: default,
        rule: None,
        explanation: says(
            format!("{default}: no rule matches; the organisation's default access level"),
            format!(
                "{default} : aucune règle ne correspond ; le niveau d'accès par défaut de \
                 l'organisation"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(id: &str, characteristic: &str, query: &str, level: &str) -> Rule {
        check(
            &json!({"characteristic": characteristic, "query_string": query, "level": level}),
            id.into(),
            &[],
        )
        .unwrap()
    }

    #[test]
    fn block_beats_quarantine_beats_allow_and_the_default_comes_last() {
        let device = json!({"DeviceType": "iPhone", "DeviceModel": "iPhone15C2",
                            "DeviceOS": "iOS 17.1 21B74", "DeviceUserAgent": "Apple-iPhone15C2/2101.74"});
        let mut rules = vec![
            rule("r1", "DeviceType", "iPhone", "allow"),
            rule("r2", "DeviceOS", "iOS 17.1 21B74", "Quarantine"),
        ];
        let d = evaluate(&device, &rules, "Block", false);
        assert_eq!(
            (d.level, d.rule.as_deref()),
            ("Quarantine", Some("iOS 17.1 21B74 (DeviceOS)"))
        );
        rules.push(rule("r3", "UserAgent", "Apple-iPhone15C2/2101.74", "Block"));
        assert_eq!(evaluate(&device, &rules, "Allow", false).level, "Block");
        assert_eq!(evaluate(&device, &rules, "Allow", true).level, "Allow");
        let other = json!({"DeviceType": "Android", "DeviceModel": "Pixel 8"});
        let d = evaluate(&other, &rules, "Quarantine", false);
        assert_eq!((d.level, d.rule), ("Quarantine", None));
        assert!(d.explanation.contains("default"));
    }

    #[test]
    fn a_rule_is_checked_and_unique() {
        let bad = check(
            &json!({"characteristic": "XMSWLHeader", "level": "Deny"}),
            "r1".into(),
            &[],
        )
        .unwrap_err();
        let paths: Vec<&str> = bad.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["/characteristic", "/query_string", "/level"]);
        let first = rule("r1", "DeviceModel", "iPhone", "Allow");
        let again =
            json!({"characteristic": "devicemodel", "query_string": "iPhone", "level": "Block"});
        assert_eq!(
            check(&again, "r2".into(), &[first.clone()]).unwrap_err()[0].path,
            "/query_string"
        );
        assert!(check(&again, "r1".into(), &[first]).is_ok());
    }
}
