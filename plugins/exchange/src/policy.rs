//! Settings groups (SPEC G2): the mobile device mailbox policy settings Corral can manage,
//! under `Set-MobileDeviceMailboxPolicy`'s own parameter names, in five groups (General,
//! Password, Email management, Security, Application).
//!
//! A group with at least one setting given is managed by Corral as a whole: every setting of
//! the group is sent, the ones not given with Corral's default ([`Setting::default`], shown as
//! such). A group with nothing given is left to Exchange: none of its settings is ever sent.
//! Values are checked against the contract's allowed values and ranges before anything is
//! sent; each problem names its setting.

use std::collections::BTreeMap;

use corral_plugin_sdk::types::FieldError;
use serde_json::{Map, Value, json};

use crate::wording::{says, tr};

/// The policy Corral manages in each organisation: Exchange's default one, which applies to
/// every mailbox not given another policy.
pub const POLICY: &str = "Default";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    General,
    Password,
    EmailManagement,
    Security,
    Application,
}

pub const GROUPS: [Group; 5] = [
    Group::General,
    Group::Password,
    Group::EmailManagement,
    Group::Security,
    Group::Application,
];

impl Group {
    pub fn code(self) -> &'static str {
        match self {
            Group::General => "general",
            Group::Password => "password",
            Group::EmailManagement => "email-management",
            Group::Security => "security",
            Group::Application => "application",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Group::General => tr("General"),
            Group::Password => tr("Password"),
            Group::EmailManagement => tr("Email management"),
            Group::Security => tr("Security"),
            Group::Application => tr("Application"),
        }
    }

    pub fn from_code(code: &str) -> Option<Group> {
        GROUPS.into_iter().find(|g| g.code() == code)
    }

    pub fn settings(self) -> impl Iterator<Item = &'static Setting> {
        SETTINGS.iter().filter(move |s| s.group == self)
    }
}

/// What a setting takes, as `exchange-cmdlets.txt` says.
#[derive(Debug, Clone, Copy)]
pub enum Type {
    /// `$true` or `$false`.
    Bool,
    /// One of these words.
    Choice(&'static [&'static str]),
    /// A whole number in this range (`null` also, when `nullable`).
    Int { lo: i64, hi: i64, nullable: bool },
    /// A whole number in this range, or `Unlimited`.
    Limit { lo: i64, hi: i64 },
    /// A duration `[d.]hh:mm:ss` between these seconds, or `Unlimited`.
    Span { lo: u64, hi: u64 },
}

#[derive(Debug)]
pub struct Setting {
    pub name: &'static str,
    pub group: Group,
    pub kind: Type,
    /// Corral's default, sent when the group is managed and the setting not given. The same
    /// as Exchange's own default policy's, so that managing a group changes only what is set.
    pub default: &'static str,
    pub title: &'static str,
}

const DAY: u64 = 86_400;

macro_rules! settings {
    ($($name:literal, $group:ident, $kind:expr, $default:literal, $title:literal;)*) => {
        pub static SETTINGS: &[Setting] = &[$(Setting {
            name: $name,
            group: Group::$group,
            kind: $kind,
            default: $default,
            title: $title,
        }),*];
    };
}

const BOOL: Type = Type::Bool;

settings! {
    "AllowNonProvisionableDevices", General, BOOL, "true", "Allow devices that cannot apply every setting";
    "DevicePolicyRefreshInterval", General, Type::Span { lo: 1, hi: 99 * DAY }, "\"Unlimited\"", "Policy refresh interval";
    "AllowMobileOTAUpdate", General, BOOL, "true", "Allow over-the-air policy updates";
    "IrmEnabled", General, BOOL, "true", "Information rights management";
    "PasswordEnabled", Password, BOOL, "false", "Require a password";
    "AllowSimplePassword", Password, BOOL, "true", "Allow a simple password";
    "AlphanumericPasswordRequired", Password, BOOL, "false", "Require an alphanumeric password";
    "MinPasswordComplexCharacters", Password, Type::Int { lo: 1, hi: 4, nullable: false }, "1", "Character sets required";
    "MinPasswordLength", Password, Type::Int { lo: 1, hi: 16, nullable: true }, "null", "Minimum length";
    "PasswordRecoveryEnabled", Password, BOOL, "false", "Password recovery";
    "PasswordExpiration", Password, Type::Span { lo: DAY, hi: 730 * DAY }, "\"Unlimited\"", "Expiration";
    "PasswordHistory", Password, Type::Int { lo: 0, hi: 50, nullable: false }, "0", "Passwords remembered";
    "MaxPasswordFailedAttempts", Password, Type::Limit { lo: 4, hi: 16 }, "\"Unlimited\"", "Failed attempts before a wipe";
    "MaxInactivityTimeLock", Password, Type::Span { lo: 60, hi: 3600 }, "\"Unlimited\"", "Idle time before locking";
    "MaxEmailAgeFilter", EmailManagement, Type::Choice(&["All", "OneDay", "ThreeDays", "OneWeek", "TwoWeeks", "OneMonth"]), "\"All\"", "Email to synchronise";
    "MaxCalendarAgeFilter", EmailManagement, Type::Choice(&["All", "TwoWeeks", "OneMonth", "ThreeMonths", "SixMonths"]), "\"All\"", "Calendar to synchronise";
    "AllowHTMLEmail", EmailManagement, BOOL, "true", "HTML email";
    "AttachmentsEnabled", EmailManagement, BOOL, "true", "Attachments";
    "MaxAttachmentSize", EmailManagement, Type::Limit { lo: 0, hi: 2_147_482_624 }, "\"Unlimited\"", "Largest attachment, in bytes";
    "MaxEmailBodyTruncationSize", EmailManagement, Type::Limit { lo: 0, hi: 2_147_483_647 }, "\"Unlimited\"", "Plain text body size limit, in KB";
    "MaxEmailHTMLBodyTruncationSize", EmailManagement, Type::Limit { lo: 0, hi: 2_147_483_647 }, "\"Unlimited\"", "HTML body size limit, in KB";
    "AllowPOPIMAPEmail", EmailManagement, BOOL, "true", "POP and IMAP email";
    "RequireManualSyncWhenRoaming", EmailManagement, BOOL, "false", "Synchronise by hand while roaming";
    "RequireDeviceEncryption", Security, BOOL, "false", "Require device encryption";
    "RequireStorageCardEncryption", Security, BOOL, "false", "Require storage card encryption";
    "AllowStorageCard", Security, BOOL, "true", "Storage card";
    "AllowCamera", Security, BOOL, "true", "Camera";
    "AllowWiFi", Security, BOOL, "true", "Wi-Fi";
    "AllowBluetooth", Security, Type::Choice(&["Allow", "Disable", "HandsfreeOnly"]), "\"Allow\"", "Bluetooth";
    "AllowIrDA", Security, BOOL, "true", "Infrared";
    "AllowInternetSharing", Security, BOOL, "true", "Internet sharing";
    "AllowRemoteDesktop", Security, BOOL, "true", "Remote desktop";
    "AllowDesktopSync", Security, BOOL, "true", "Synchronisation with a computer";
    "AllowTextMessaging", Security, BOOL, "true", "Text messaging";
    "AllowBrowser", Application, BOOL, "true", "Browser";
    "AllowConsumerEmail", Application, BOOL, "true", "Consumer email accounts";
    "AllowUnsignedApplications", Application, BOOL, "true", "Unsigned applications";
    "AllowUnsignedInstallationPackages", Application, BOOL, "true", "Unsigned installation packages";
}

impl Setting {
    pub fn find(name: &str) -> Option<&'static Setting> {
        SETTINGS.iter().find(|s| s.name.eq_ignore_ascii_case(name))
    }

    /// Corral's default, as Exchange takes it.
    pub fn default(&self) -> Value {
        serde_json::from_str(self.default).expect("the defaults are JSON")
    }

    /// What the setting accepts, in words.
    pub fn accepts(&self) -> String {
        match self.kind {
            Type::Bool => says("true or false".into(), "true ou false".into()),
            Type::Choice(words) => says(
                format!("one of {}", words.join(", ")),
                format!("un de {}", words.join(", ")),
            ),
            Type::Int { lo, hi, .. } => says(
                format!("a whole number from {lo} to {hi}"),
                format!("un nombre entier de {lo} à {hi}"),
            ),
            Type::Limit { lo, hi } => says(
                format!("a whole number from {lo} to {hi}, or Unlimited"),
                format!("un nombre entier de {lo} à {hi}, ou Unlimited"),
            ),
            Type::Span { lo, hi } => says(
                format!(
                    "a duration [d.]hh:mm:ss from {} to {}, or Unlimited",
                    span(lo),
                    span(hi)
                ),
                format!(
                    "une durée [j.]hh:mm:ss de {} à {}, ou Unlimited",
                    span(lo),
                    span(hi)
                ),
            ),
        }
    }

    /// The value as Exchange takes it, or `None` when it is not one the setting accepts.
    /// Forms send text; the API may send JSON's own booleans and numbers.
    pub fn read(&self, value: &Value) -> Option<Value> {
        let text = value.as_str().map(str::trim);
        let unlimited = text.is_some_and(|t| t.eq_ignore_ascii_case("unlimited"));
        let number = value
            .as_i64()
            .or_else(|| text.and_then(|t| t.parse::<i64>().ok()));
        match self.kind {
            Type::Bool => value
                .as_bool()
                .or_else(|| text.and_then(|t| t.parse::<bool>().ok()))
                .map(Value::Bool),
            Type::Choice(words) => text
                .and_then(|t| words.iter().find(|w| w.eq_ignore_ascii_case(t)))
                .map(|w| json!(w)),
            Type::Int { nullable: true, .. } if value.is_null() => Some(Value::Null),
            Type::Int { lo, hi, .. } => number.filter(|n| (lo..=hi).contains(n)).map(Value::from),
            Type::Limit { .. } if unlimited => Some(json!("Unlimited")),
            Type::Limit { lo, hi } => number.filter(|n| (lo..=hi).contains(n)).map(Value::from),
            Type::Span { .. } if unlimited => Some(json!("Unlimited")),
            Type::Span { lo, hi } => text
                .and_then(seconds)
                .filter(|s| (lo..=hi).contains(s))
                .map(|s| json!(span(s))),
        }
    }
}

/// Seconds of a duration `[d.]hh:mm:ss`.
pub fn seconds(text: &str) -> Option<u64> {
    let (days, clock) = match text.split_once('.') {
        Some((d, rest)) => (d.parse::<u64>().ok()?, rest),
        None => (0, text),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let [h, m, s] = parts.as_slice() else {
        return None;
    };
    let two = |p: &str, max: u64| {
        (p.len() == 2)
            .then(|| p.parse::<u64>().ok())
            .flatten()
            .filter(|n| *n <= max)
    };
    Some(days * DAY + two(h, 23)? * 3600 + two(m, 59)? * 60 + two(s, 59)?)
}

/// A duration as Exchange writes it: `hh:mm:ss`, with `d.` before when a day or more.
pub fn span(seconds: u64) -> String {
    let (d, rest) = (seconds / DAY, seconds % DAY);
    let clock = format!(
        "{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
    if d > 0 { format!("{d}.{clock}") } else { clock }
}

/// The values given for one group, from an action's input (an empty field is not given), or
/// every problem, each at its setting's name.
pub fn check_group(
    group: Group,
    input: &Value,
) -> Result<BTreeMap<String, Value>, Vec<FieldError>> {
    let mut given = BTreeMap::new();
    let mut problems = Vec::new();
    let empty = Map::new();
    for (name, value) in input.as_object().unwrap_or(&empty) {
        let setting = Setting::find(name).filter(|s| s.group == group);
        let Some(setting) = setting else {
            problems.push(FieldError {
                path: format!("/{name}"),
                code: "unknown".into(),
                message: says(
                    format!("{name} is not a setting of the {} group", group.title()),
                    format!("{name} n'est pas un paramètre du groupe {}", group.title()),
                ),
            });
            continue;
        };
        if value.as_str().is_some_and(|t| t.trim().is_empty()) {
            continue;
        }
        match setting.read(value) {
            Some(v) => {
                given.insert(setting.name.to_string(), v);
            }
            None => problems.push(FieldError {
                path: format!("/{}", setting.name),
                code: "invalid".into(),
                message: says(
                    format!("expected {}", setting.accepts()),
                    format!("attendu : {}", setting.accepts()),
                ),
            }),
        }
    }
    if problems.is_empty() {
        Ok(given)
    } else {
        Err(problems)
    }
}

/// The groups Corral manages under `given` (the values set, by setting name).
pub fn managed(given: &BTreeMap<String, Value>) -> Vec<Group> {
    GROUPS
        .into_iter()
        .filter(|g| g.settings().any(|s| given.contains_key(s.name)))
        .collect()
}

/// `Set-MobileDeviceMailboxPolicy`'s parameters for `given`: every setting of every managed
/// group, or `None` when no group is managed (nothing is sent then).
pub fn parameters(given: &BTreeMap<String, Value>) -> Option<Map<String, Value>> {
    let groups = managed(given);
    if groups.is_empty() {
        return None;
    }
    let mut p = Map::new();
    p.insert("Identity".into(), json!(POLICY));
    for g in groups {
        for s in g.settings() {
            p.insert(
                s.name.into(),
                given.get(s.name).cloned().unwrap_or_else(|| s.default()),
            );
        }
    }
    Some(p)
}

/// The form of a group's `edit`: every setting optional, the given ones filled in.
pub fn form(group: Group, given: &BTreeMap<String, Value>) -> Value {
    let mut properties = Map::new();
    for s in group.settings() {
        let mut p = match s.kind {
            Type::Bool => json!({"type": "string", "enum": ["true", "false"]}),
            Type::Choice(words) => json!({"type": "string", "enum": words}),
            Type::Int { .. } => json!({"type": "integer"}),
            Type::Limit { .. } | Type::Span { .. } => json!({"type": "string"}),
        };
        p["title"] = json!(s.name);
        p["description"] = json!(says(
            format!(
                "{}: {}. Corral's default: {}",
                s.title,
                s.accepts(),
                shown(&s.default())
            ),
            format!(
                "{} : {}. Valeur par défaut de Corral : {}",
                tr(s.title),
                s.accepts(),
                shown(&s.default())
            ),
        ));
        if let Some(v) = given.get(s.name) {
            p["default"] = match v {
                Value::Bool(b) => json!(b.to_string()),
                other => other.clone(),
            };
        }
        properties.insert(s.name.into(), p);
    }
    json!({"type": "object", "properties": properties})
}

/// A value as administrators read it.
pub fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => tr("not set").into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_setting_makes_its_whole_group_managed_and_none_sends_nothing() {
        assert_eq!(parameters(&BTreeMap::new()), None);
        let given = check_group(Group::Password, &json!({"MinPasswordLength": "8"})).unwrap();
        let p = parameters(&given).unwrap();
        assert_eq!(p["MinPasswordLength"], json!(8));
        assert_eq!(p["PasswordEnabled"], json!(false));
        assert_eq!(p["MaxInactivityTimeLock"], json!("Unlimited"));
        assert_eq!(p.len(), Group::Password.settings().count() + 1);
        assert!(!p.contains_key("AllowCamera"));
    }

    #[test]
    fn values_are_checked_against_the_contract_naming_the_setting() {
        let bad = json!({"MinPasswordLength": 17, "MaxInactivityTimeLock": "02:00:00",
                         "MaxPasswordFailedAttempts": "3", "AllowCamera": true});
        let problems = check_group(Group::Password, &bad).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/AllowCamera",
                "/MaxInactivityTimeLock",
                "/MaxPasswordFailedAttempts",
                "/MinPasswordLength"
            ]
        );
        assert_eq!(problems[3].message, "expected a whole number from 1 to 16");
        let good = json!({"MaxInactivityTimeLock": "00:05:00", "PasswordExpiration": "90.00:00:00",
                          "MaxPasswordFailedAttempts": "unlimited", "PasswordEnabled": "true"});
        let given = check_group(Group::Password, &good).unwrap();
        assert_eq!(given["MaxPasswordFailedAttempts"], json!("Unlimited"));
        assert_eq!(given["PasswordExpiration"], json!("90.00:00:00"));
        assert_eq!(given["PasswordEnabled"], json!(true));
        assert!(check_group(Group::Security, &json!({"AllowBluetooth": "handsfreeonly"})).is_ok());
    }

    #[test]
    fn durations_read_and_write_as_exchange_does() {
        assert_eq!(seconds("00:01:00"), Some(60));
        assert_eq!(seconds("730.00:00:00"), Some(730 * DAY));
        assert_eq!(seconds("1:00:00"), None);
        assert_eq!(seconds("00:60:00"), None);
        assert_eq!(span(90 * DAY), "90.00:00:00");
        assert_eq!(span(3600), "01:00:00");
        for s in SETTINGS {
            assert_eq!(s.read(&s.default()), Some(s.default()), "{}", s.name);
        }
    }
}
