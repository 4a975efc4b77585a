//! Connectors (SPEC G1, G8): one per Exchange organisation of the tenant, kept in the plugin's
//! `kv` (`connectors/<id>`), each with its own OAuth 2 client, whose secret the host keeps
//! sealed (`vendor.keep-credential`, the connector's id being the account) and never hands back.
//!
//! A connector is installed when Exchange answers it (`Get-ActiveSyncOrganizationSettings`);
//! one that cannot be installed (Exchange unreachable, credentials refused) is tried again
//! [`RETRY_MS`] after its last attempt, at the host's next inventory sync. Every attempt is in
//! its log (the last [`LOG_KEPT`]).

use corral_plugin_sdk::capabilities::{clock, kv, vendor};
use corral_plugin_sdk::types::{FieldError, Item, PluginError, Property};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::access::Rule;
use crate::invoke::invoke;
use crate::wording::tr;

const PREFIX: &str = "connectors/";
const NEXT_ID: &str = "next-connector-id";
/// A connector that could not be installed is tried again this long after its last attempt.
pub const RETRY_MS: u64 = 60 * 60 * 1000;
/// Attempts kept in a connector's log.
pub const LOG_KEPT: usize = 50;
/// Exchange Online's endpoint, the default of an online connector.
pub const ONLINE_ENDPOINT: &str = "https://outlook.office365.com";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    #[default]
    Online,
    OnPremises,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Online => "online",
            Kind::OnPremises => "on-premises",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attempt {
    pub at_ms: u64,
    /// `installed` or `failed`.
    pub outcome: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Connector {
    pub id: String,
    pub name: String,
    pub kind: Kind,
    pub endpoint: String,
    pub organization: String,
    pub token_uri: String,
    pub client_id: String,
    /// Devices also enrolled in Corral keep receiving mail (SPEC G7).
    pub external_mdm: bool,
    /// `installing`, `installed` or `failed`.
    pub status: String,
    pub last_error: Option<String>,
    /// When a failed connector is tried again (Unix milliseconds).
    pub next_attempt_ms: Option<u64>,
    pub log: Vec<Attempt>,
    /// The settings given, by `Set-MobileDeviceMailboxPolicy` name (SPEC G2, module `policy`).
    #[serde(default)]
    pub settings: BTreeMap<String, Value>,
    /// The access rules (SPEC G3, module `access`), and the next rule's number.
    #[serde(default)]
    pub rules: Vec<Rule>,
    #[serde(default)]
    pub next_rule: u64,
    /// The default access level Corral sets, none when left to Exchange.
    #[serde(default)]
    pub default_access: Option<String>,
    /// The default access level Exchange last answered.
    #[serde(default)]
    pub exchange_default_access: Option<String>,
    /// The rules Corral made at Exchange (their identities), so that it removes only its own.
    #[serde(default)]
    pub sent_rules: Vec<String>,
    /// Settings, rules or default level changed since they were last sent (module `enforce`).
    #[serde(default)]
    pub unsent: bool,
    /// Why they could not be sent last time.
    #[serde(default)]
    pub enforce_error: Option<String>,
    /// External MDM: the device ids Corral keeps in each mailbox's allowed devices (SPEC G7).
    #[serde(default)]
    pub allowed: BTreeMap<String, Vec<String>>,
}

fn kv_error(e: impl std::fmt::Debug) -> PluginError {
    PluginError::Internal(format!("kv: {e:?}"))
}

pub fn all() -> Result<Vec<Connector>, PluginError> {
    let keys = kv::list_keys(PREFIX, 1000).map_err(kv_error)?;
    let mut found = Vec::new();
    for key in keys {
        if let Some(bytes) = kv::get(&key).map_err(kv_error)?
            && let Ok(c) = serde_json::from_slice(&bytes)
        {
            found.push(c);
        }
    }
    Ok(found)
}

pub fn get(id: &str) -> Result<Option<Connector>, PluginError> {
    Ok(kv::get(&format!("{PREFIX}{id}"))
        .map_err(kv_error)?
        .and_then(|b| serde_json::from_slice(&b).ok()))
}

pub fn save(c: &Connector) -> Result<(), PluginError> {
    let bytes = serde_json::to_vec(c).map_err(|e| PluginError::Internal(e.to_string()))?;
    kv::set(&format!("{PREFIX}{}", c.id), &bytes).map_err(kv_error)
}

pub fn remove(id: &str) -> Result<(), PluginError> {
    vendor::forget_credential(id);
    kv::delete(&format!("{PREFIX}{id}")).map_err(kv_error)
}

fn new_id() -> Result<String, PluginError> {
    let next = kv::get(NEXT_ID)
        .map_err(kv_error)?
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(1);
    kv::set(NEXT_ID, (next + 1).to_string().as_bytes()).map_err(kv_error)?;
    Ok(format!("c{next}"))
}

/// The form of `create` (no current) and `edit`.
pub fn form(current: Option<&Connector>) -> Value {
    let text = |title: &str, value: Option<&str>| {
        let mut p = json!({"type": "string", "title": title});
        if let Some(v) = value {
            p["default"] = json!(v);
        }
        p
    };
    let mut required = vec!["name", "kind", "organization", "token_uri", "client_id"];
    if current.is_none() {
        required.push("client_secret");
    }
    json!({
        "type": "object",
        "required": required,
        "properties": {
            "name": text(tr("Name"), current.map(|c| c.name.as_str())),
            "kind": {"type": "string", "title": tr("Kind"), "enum": ["online", "on-premises"],
                     "default": current.map_or("online", |c| c.kind.code())},
            "endpoint": {"type": "string", "title": tr("Endpoint (https; Exchange Online's by default, an on-premises gateway otherwise)"),
                         "default": current.map_or(ONLINE_ENDPOINT, |c| c.endpoint.as_str())},
            "organization": text(tr("Organisation (e.g. contoso.onmicrosoft.com)"), current.map(|c| c.organization.as_str())),
            "token_uri": text(tr("OAuth 2 token endpoint (https)"), current.map(|c| c.token_uri.as_str())),
            "client_id": text(tr("Application (client) id"), current.map(|c| c.client_id.as_str())),
            "client_secret": {"type": "string", "writeOnly": true,
                              "title": if current.is_some() { tr("Client secret (empty: keep the current one)") } else { tr("Client secret") }},
            "external_mdm": {"type": "boolean", "title": tr("External MDM: devices also enrolled in Corral keep receiving mail"),
                             "default": current.is_some_and(|c| c.external_mdm)},
        }
    })
}

fn problem(path: &str, message: &str) -> FieldError {
    FieldError {
        path: path.into(),
        code: "invalid".into(),
        message: message.into(),
    }
}

fn https(value: &str) -> bool {
    value
        .strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace))
}

/// The connector `input` describes (changing `current`, if any), or every problem found.
/// Answers the connector and the secret given, if any.
pub fn check(
    input: &Value,
    current: Option<&Connector>,
    others: &[Connector],
) -> Result<(Connector, Option<String>), Vec<FieldError>> {
    let mut problems = Vec::new();
    let text = |name: &str| input[name].as_str().unwrap_or_default().trim().to_string();
    let name = text("name");
    if name.is_empty() || name.chars().count() > 100 {
        problems.push(problem("/name", tr("give 1 to 100 characters")));
    }
    let kind = match text("kind").as_str() {
        "online" => Kind::Online,
        "on-premises" => Kind::OnPremises,
        _ => {
            problems.push(problem("/kind", tr("online or on-premises")));
            Kind::Online
        }
    };
    let mut endpoint = text("endpoint");
    if endpoint.is_empty() && kind == Kind::Online {
        endpoint = ONLINE_ENDPOINT.into();
    }
    if !https(&endpoint) {
        problems.push(problem("/endpoint", tr("expected an https:// URL")));
    }
    let organization = text("organization");
    let valid_org = !organization.is_empty()
        && organization.len() <= 255
        && organization
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c));
    if !valid_org {
        problems.push(problem(
            "/organization",
            tr("expected the organisation's domain, e.g. contoso.onmicrosoft.com"),
        ));
    } else if others.iter().any(|o| {
        o.organization.eq_ignore_ascii_case(&organization) && current.is_none_or(|c| c.id != o.id)
    }) {
        problems.push(problem(
            "/organization",
            tr("this organisation has a connector already (one per organisation)"),
        ));
    }
    let token_uri = text("token_uri");
    if !https(&token_uri) {
        problems.push(problem("/token_uri", tr("expected an https:// URL")));
    }
    let client_id = text("client_id");
    if client_id.is_empty() || client_id.len() > 512 {
        problems.push(problem(
            "/client_id",
            tr("expected the application (client) id"),
        ));
    }
    let secret = input["client_secret"]
        .as_str()
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string);
    let client_changed =
        current.is_none_or(|c| c.client_id != client_id || c.token_uri != token_uri);
    if secret.is_none() && client_changed {
        problems.push(problem(
            "/client_secret",
            tr("give the client secret (required for a new client or token endpoint)"),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let connector = match current {
        Some(c)
            if !c.organization.eq_ignore_ascii_case(&organization) || c.endpoint != endpoint =>
        {
            // Another organisation: everything Corral manages goes there, nothing of its own
            // is known there yet.
            Connector {
                name,
                kind,
                endpoint,
                organization,
                token_uri,
                client_id,
                external_mdm: input["external_mdm"].as_bool().unwrap_or(false),
                unsent: true,
                sent_rules: Vec::new(),
                allowed: BTreeMap::new(),
                ..c.clone()
            }
        }
        Some(c) => Connector {
            name,
            kind,
            endpoint,
            organization,
            token_uri,
            client_id,
            external_mdm: input["external_mdm"].as_bool().unwrap_or(false),
            ..c.clone()
        },
        None => Connector {
            id: String::new(),
            name,
            kind,
            endpoint,
            organization,
            token_uri,
            client_id,
            external_mdm: input["external_mdm"].as_bool().unwrap_or(false),
            status: "installing".into(),
            ..Connector::default()
        },
    };
    Ok((connector, secret))
}

/// Stores the connector (a new one gets its id) and its secret, if given, with the host.
pub fn store(
    mut c: Connector,
    secret: Option<&str>,
) -> Result<Result<Connector, Vec<FieldError>>, PluginError> {
    if c.id.is_empty() {
        c.id = new_id()?;
    }
    if let Some(secret) = secret {
        let credential = json!({"type": "client_credentials", "client_id": c.client_id,
                                "client_secret": secret, "token_uri": c.token_uri});
        if let Err(problems) = vendor::keep_credential(&c.id, &credential.to_string()) {
            return Ok(Err(problems));
        }
    }
    save(&c)?;
    Ok(Ok(c))
}

/// One installation attempt, recorded in the connector's log.
pub fn attempt(c: &mut Connector) -> Result<(), PluginError> {
    let now = clock::now_ms();
    match invoke(c, "Get-ActiveSyncOrganizationSettings", Map::new()) {
        Ok(answer) => {
            c.exchange_default_access = answer
                .first()
                .and_then(|s| s["DefaultAccessLevel"].as_str())
                .map(str::to_string);
            c.status = "installed".into();
            c.last_error = None;
            c.next_attempt_ms = None;
            c.log.push(Attempt {
                at_ms: now,
                outcome: "installed".into(),
                message: "Exchange answered".into(),
            });
        }
        Err(failure) => {
            c.status = "failed".into();
            c.last_error = Some(failure.0.clone());
            c.next_attempt_ms = Some(now + RETRY_MS);
            c.log.push(Attempt {
                at_ms: now,
                outcome: "failed".into(),
                message: failure.0,
            });
        }
    }
    let excess = c.log.len().saturating_sub(LOG_KEPT);
    c.log.drain(..excess);
    if c.status == "installed" && c.unsent {
        crate::enforce::send(c);
    }
    save(c)
}

/// Tries again every failed connector whose time has come, and sends what an installed one
/// could not send before.
pub fn retry_due() -> Result<(), PluginError> {
    let now = clock::now_ms();
    for mut c in all()? {
        if c.status != "installed" && c.next_attempt_ms.is_none_or(|at| at <= now) {
            attempt(&mut c)?;
        } else if c.status == "installed" && c.unsent {
            crate::enforce::send(&mut c);
            save(&c)?;
        }
    }
    Ok(())
}

/// A status as people read it.
fn status_words(status: &str) -> &'static str {
    match status {
        "installed" => tr("installed"),
        "failed" => tr("failed"),
        _ => tr("installing"),
    }
}

pub fn item(c: &Connector) -> Item {
    let p = |name: &str, value: String| Property {
        name: name.into(),
        value,
    };
    let mut details = vec![
        p("endpoint", c.endpoint.clone()),
        p("token-uri", c.token_uri.clone()),
        p("client-id", c.client_id.clone()),
        p("external-mdm", c.external_mdm.to_string()),
        p(
            "default-access-level",
            match (&c.default_access, &c.exchange_default_access) {
                (Some(l), _) => l.clone(),
                (None, Some(l)) => format!("{l} ({})", tr("left to Exchange")),
                (None, None) => tr("left to Exchange").into(),
            },
        ),
        p("policy", crate::enforce::state(c)),
        p("last-error", c.last_error.clone().unwrap_or_default()),
        p(
            "next-attempt-ms",
            c.next_attempt_ms.map(|t| t.to_string()).unwrap_or_default(),
        ),
    ];
    for (i, a) in c.log.iter().enumerate().rev() {
        details.push(p(
            &format!("attempt-{}", i + 1),
            format!("{} {}: {}", a.at_ms, a.outcome, a.message),
        ));
    }
    Item {
        id: c.id.clone(),
        title: c.name.clone(),
        values: vec![
            p("name", c.name.clone()),
            p("kind", c.kind.code().into()),
            p("organization", c.organization.clone()),
            p("status", status_words(&c.status).into()),
        ],
        details,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> Value {
        json!({"name": "Contoso", "kind": "online", "organization": "contoso.onmicrosoft.com",
               "token_uri": "https://login.microsoftonline.com/t/oauth2/v2.0/token",
               "client_id": "app", "client_secret": "s"})
    }

    #[test]
    fn an_online_connector_defaults_to_exchange_online() {
        let (c, secret) = check(&input(), None, &[]).unwrap();
        assert_eq!(c.endpoint, ONLINE_ENDPOINT);
        assert_eq!(secret.as_deref(), Some("s"));
        let mut on_premises = input();
        on_premises["kind"] = json!("on-premises");
        let problems = check(&on_premises, None, &[]).unwrap_err();
        assert_eq!(problems[0].path, "/endpoint", "{problems:?}");
    }

    #[test]
    fn one_connector_per_organisation_and_a_secret_for_a_new_client() {
        let (mut first, _) = check(&input(), None, &[]).unwrap();
        first.id = "c1".into();
        let others = [first.clone()];
        let mut same = input();
        same["organization"] = json!("CONTOSO.onmicrosoft.com");
        assert_eq!(
            check(&same, None, &others).unwrap_err()[0].path,
            "/organization"
        );
        // Its own edit keeps its organisation, and its secret when the client is the same.
        let mut edit = input();
        edit["client_secret"] = json!("");
        let (edited, secret) = check(&edit, Some(&first), &others).unwrap();
        assert_eq!((edited.id.as_str(), secret), ("c1", None));
        edit["client_id"] = json!("another-app");
        assert_eq!(
            check(&edit, Some(&first), &others).unwrap_err()[0].path,
            "/client_secret"
        );
    }
}
