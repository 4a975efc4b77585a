//! A local stand-in of Exchange's admin REST endpoint, as Exchange Online's management module
//! uses it (`POST {endpoint}/adminapi/beta/{organization}/InvokeCommand` with `{"CmdletInput":
//! {"CmdletName", "Parameters"}}`, results as `{"value": [...]}`), and of the Microsoft identity
//! platform's token endpoint (client credentials, scope `https://outlook.office365.com/.default`).
//! An on-premises organisation is reached through a gateway of the same shape.
//!
//! It refuses, as Exchange would, and records as a violation ([`Exchange::violations`]): a
//! request without a token it issued, a body with other fields, a cmdlet not in the contract, a
//! parameter the cmdlet does not have or that does not exist for the organisation's kind, a
//! value outside the listed ones ([`crate::exchange_cmdlets::Cmdlets::check`]). It keeps each
//! organisation's state (access rules, organisation settings, mailbox policies, devices, CAS
//! mailboxes' allowed device ids, wipes) so that tests read the results back.
//!
//! [`Exchange::respond`] answers one request; the HTTPS server around it comes with the
//! plugin's tests.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::exchange_cmdlets::{Cmdlets, Kind};

pub const SCOPE: &str = "https://outlook.office365.com/.default";
pub const CLIENT_ID: &str = "corral-exchange-app";
pub const CLIENT_SECRET: &str = "exchange-app-secret";

/// One Exchange organisation's state.
#[derive(Debug)]
pub struct Organisation {
    pub kind: Kind,
    pub rules: Vec<Value>,
    pub settings: Map<String, Value>,
    pub policies: Vec<Value>,
    pub devices: Vec<Value>,
    /// `ActiveSyncAllowedDeviceIDs` by mailbox.
    pub allowed: BTreeMap<String, Vec<String>>,
    /// Wipes asked (device identity, cancelled).
    pub wipes: Vec<(String, bool)>,
}

impl Organisation {
    pub fn new(kind: Kind) -> Organisation {
        let mut settings = Map::new();
        settings.insert("DefaultAccessLevel".into(), json!("Allow"));
        Organisation {
            kind,
            rules: Vec::new(),
            settings,
            policies: vec![json!({"Name": "Default", "Identity": "Default", "IsDefault": true})],
            devices: Vec::new(),
            allowed: BTreeMap::new(),
            wipes: Vec::new(),
        }
    }
}

/// The endpoint's state.
pub struct Exchange {
    cmdlets: Cmdlets,
    pub organisations: BTreeMap<String, Organisation>,
    tokens: Vec<String>,
    violations: Vec<String>,
    /// Every cmdlet run: (organisation, cmdlet, parameters).
    pub ran: Vec<(String, String, Value)>,
    /// Unreachable: every request answers 503.
    pub down: bool,
}

impl Default for Exchange {
    fn default() -> Exchange {
        Exchange {
            cmdlets: Cmdlets::load(),
            organisations: BTreeMap::new(),
            tokens: Vec::new(),
            violations: Vec::new(),
            ran: Vec::new(),
            down: false,
        }
    }
}

type Answer = (u16, Value);

fn error(status: u16, code: &str, message: &str) -> Answer {
    (status, json!({"error": {"code": code, "message": message}}))
}

/// A parameter's string value ("" when absent).
fn text<'a>(p: &'a Map<String, Value>, name: &str) -> &'a str {
    p.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
        .unwrap_or_default()
}

fn flag(p: &Map<String, Value>, name: &str) -> bool {
    p.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .is_some_and(|(_, v)| v == &json!(true))
}

impl Exchange {
    pub fn add_organisation(&mut self, name: &str, kind: Kind) {
        self.organisations
            .insert(name.to_string(), Organisation::new(kind));
    }

    pub fn violations(&self) -> &[String] {
        &self.violations
    }

    /// One request: `path` without query, `auth` the `Authorization` header.
    pub fn respond(&mut self, method: &str, path: &str, auth: &str, body: &[u8]) -> Answer {
        if self.down {
            return error(503, "ServiceUnavailable", "the endpoint is down");
        }
        let answer = self.answer(method, path, auth, body);
        // A cmdlet's own failure (a rule that exists already...) and a wrong client secret are
        // answers, not violations.
        let refused_client = answer.1["error"] == "invalid_client";
        if answer.0 >= 400 && answer.1["error"]["code"] != "CmdletError" && !refused_client {
            self.violations
                .push(format!("{method} {path}: {}", answer.1));
        }
        answer
    }

    fn answer(&mut self, method: &str, path: &str, auth: &str, body: &[u8]) -> Answer {
        if path.ends_with("/oauth2/v2.0/token") {
            return match method {
                "POST" => self.token(body),
                _ => error(405, "MethodNotAllowed", method),
            };
        }
        let Some(org) = path
            .strip_prefix("/adminapi/beta/")
            .and_then(|rest| rest.strip_suffix("/InvokeCommand"))
        else {
            return error(404, "NotFound", path);
        };
        if method != "POST" {
            return error(405, "MethodNotAllowed", method);
        }
        let token = auth.strip_prefix("Bearer ").unwrap_or_default();
        if !self.tokens.iter().any(|t| t == token) {
            return error(401, "Unauthorized", "no valid access token");
        }
        let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(body) else {
            return error(400, "BadRequest", "the body is not a JSON object");
        };
        if request.keys().any(|k| k != "CmdletInput") {
            return error(400, "BadRequest", "the body has only CmdletInput");
        }
        let input = request["CmdletInput"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        if input.keys().any(|k| k != "CmdletName" && k != "Parameters") {
            return error(
                400,
                "BadRequest",
                "CmdletInput has CmdletName and Parameters only",
            );
        }
        let Some(cmdlet) = input.get("CmdletName").and_then(Value::as_str) else {
            return error(400, "BadRequest", "CmdletName is required");
        };
        let parameters = match input.get("Parameters") {
            None => Map::new(),
            Some(Value::Object(p)) => p.clone(),
            Some(_) => return error(400, "BadRequest", "Parameters is an object"),
        };
        let Some(kind) = self.organisations.get(org).map(|o| o.kind) else {
            return error(404, "NotFound", &format!("no organisation {org}"));
        };
        if let Err(why) = self.cmdlets.check(cmdlet, &parameters, kind) {
            return error(400, "InvalidCmdlet", &why);
        }
        self.ran.push((
            org.to_string(),
            cmdlet.to_string(),
            Value::Object(parameters.clone()),
        ));
        let o = self.organisations.get_mut(org).expect("checked above");
        match run(o, cmdlet, &parameters) {
            Ok(value) => (200, json!({ "value": value })),
            Err(why) => error(400, "CmdletError", &why),
        }
    }

    fn token(&mut self, body: &[u8]) -> Answer {
        let form: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
        let get = |n: &str| form.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        if form.iter().any(|(k, _)| {
            !["grant_type", "client_id", "client_secret", "scope"].contains(&k.as_str())
        }) || get("grant_type") != Some("client_credentials")
        {
            return (400, json!({"error": "invalid_request"}));
        }
        if get("client_id") != Some(CLIENT_ID) || get("client_secret") != Some(CLIENT_SECRET) {
            return (401, json!({"error": "invalid_client"}));
        }
        if get("scope") != Some(SCOPE) {
            return (400, json!({"error": "invalid_scope"}));
        }
        let token = format!("exo-test-{}", self.tokens.len() + 1);
        self.tokens.push(token.clone());
        (
            200,
            json!({"access_token": token, "token_type": "Bearer", "expires_in": 3599}),
        )
    }
}

/// What the cmdlet does to the organisation, and its output objects.
fn run(o: &mut Organisation, cmdlet: &str, p: &Map<String, Value>) -> Result<Vec<Value>, String> {
    let identity = text(p, "Identity").to_string();
    match cmdlet {
        "New-ActiveSyncDeviceAccessRule" => {
            let name = format!("{} ({})", text(p, "QueryString"), text(p, "Characteristic"));
            if o.rules.iter().any(|r| r["Identity"] == name.as_str()) {
                return Err(format!("the access rule {name} already exists"));
            }
            let rule = json!({"Identity": name, "Name": name, "QueryString": text(p, "QueryString"),
                "Characteristic": text(p, "Characteristic"), "AccessLevel": text(p, "AccessLevel")});
            o.rules.push(rule.clone());
            Ok(vec![rule])
        }
        "Set-ActiveSyncDeviceAccessRule" => {
            let rule = o
                .rules
                .iter_mut()
                .find(|r| r["Identity"] == identity.as_str())
                .ok_or_else(|| format!("the access rule {identity} was not found"))?;
            if !text(p, "AccessLevel").is_empty() {
                rule["AccessLevel"] = json!(text(p, "AccessLevel"));
            }
            Ok(vec![])
        }
        "Remove-ActiveSyncDeviceAccessRule" => {
            let before = o.rules.len();
            o.rules.retain(|r| r["Identity"] != identity.as_str());
            if o.rules.len() == before {
                return Err(format!("the access rule {identity} was not found"));
            }
            Ok(vec![])
        }
        "Get-ActiveSyncDeviceAccessRule" => Ok(o.rules.clone()),
        "Set-ActiveSyncOrganizationSettings" => {
            for (k, v) in p {
                o.settings.insert(k.clone(), v.clone());
            }
            Ok(vec![])
        }
        "Get-ActiveSyncOrganizationSettings" => Ok(vec![Value::Object(o.settings.clone())]),
        "Get-MobileDevice" | "Get-MobileDeviceStatistics" => {
            let mailbox = text(p, "Mailbox");
            Ok(o.devices
                .iter()
                .filter(|d| mailbox.is_empty() || d["UserPrincipalName"] == mailbox)
                .filter(|d| identity.is_empty() || d["Identity"] == identity.as_str())
                .cloned()
                .collect())
        }
        "Clear-MobileDevice" => {
            let device = o
                .devices
                .iter_mut()
                .find(|d| d["Identity"] == identity.as_str())
                .ok_or_else(|| format!("the mobile device {identity} was not found"))?;
            let cancel = flag(p, "Cancel");
            device["DeviceWipeStatus"] = json!(if cancel {
                "WipeCanceled"
            } else {
                "WipePending"
            });
            o.wipes.push((identity, cancel));
            Ok(vec![])
        }
        "Set-CASMailbox" => {
            if let Some((_, ids)) = p
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("ActiveSyncAllowedDeviceIDs"))
            {
                let list = o.allowed.entry(identity).or_default();
                match ids {
                    Value::Null => list.clear(),
                    Value::Array(all) => {
                        *list = all
                            .iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    }
                    Value::Object(change) => {
                        for add in change
                            .get("Add")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                        {
                            if let Some(id) =
                                add.as_str().filter(|id| !list.iter().any(|l| l == id))
                            {
                                list.push(id.to_string());
                            }
                        }
                        for remove in change
                            .get("Remove")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                        {
                            list.retain(|l| Some(l.as_str()) != remove.as_str());
                        }
                    }
                    other => return Err(format!("ActiveSyncAllowedDeviceIDs: {other}")),
                }
            }
            Ok(vec![])
        }
        "New-MobileDeviceMailboxPolicy" => {
            let name = text(p, "Name").to_string();
            if o.policies.iter().any(|x| x["Name"] == name.as_str()) {
                return Err(format!("the policy {name} already exists"));
            }
            let mut policy = Value::Object(p.clone());
            policy["Identity"] = json!(name);
            o.policies.push(policy.clone());
            Ok(vec![policy])
        }
        "Set-MobileDeviceMailboxPolicy" => {
            let policy = o
                .policies
                .iter_mut()
                .find(|x| x["Identity"] == identity.as_str())
                .ok_or_else(|| format!("the policy {identity} was not found"))?;
            for (k, v) in p
                .iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("Identity"))
            {
                policy[k.as_str()] = v.clone();
            }
            Ok(vec![])
        }
        "Get-MobileDeviceMailboxPolicy" => Ok(o
            .policies
            .iter()
            .filter(|x| identity.is_empty() || x["Identity"] == identity.as_str())
            .cloned()
            .collect()),
        "Remove-MobileDeviceMailboxPolicy" | "Remove-MobileDevice" => {
            let list = if cmdlet == "Remove-MobileDevice" {
                &mut o.devices
            } else {
                &mut o.policies
            };
            let before = list.len();
            list.retain(|x| x["Identity"] != identity.as_str());
            if list.len() == before {
                return Err(format!("{identity} was not found"));
            }
            Ok(vec![])
        }
        // The Exchange 2010 names: accepted by the contract, not used by Corral.
        _ => Ok(vec![]),
    }
}

/// The stand-in served over HTTPS (its own CA), for the plugin's tests.
pub struct ExchangeStandIn {
    pub exchange: std::sync::Arc<std::sync::Mutex<Exchange>>,
    /// `https://localhost:<port>`: the endpoint, and the token endpoint's host.
    pub base_url: String,
    ca_file: std::path::PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ExchangeStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ExchangeStandIn {
    pub async fn start(dir: &std::path::Path) -> ExchangeStandIn {
        use http_body_util::BodyExt;
        let ca_file = dir.join("exchange-stand-in-ca.pem");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let exchange = std::sync::Arc::new(std::sync::Mutex::new(Exchange::default()));
        let serving = exchange.clone();
        let task = crate::google::serve_https(
            listener,
            &ca_file,
            move |req| {
                let exchange = serving.clone();
                Box::pin(async move {
                    let method = req.method().as_str().to_string();
                    let path = req.uri().path().to_string();
                    let auth = req
                        .headers()
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    let body = req.into_body().collect().await.unwrap().to_bytes();
                    let answer = exchange
                        .lock()
                        .unwrap()
                        .respond(&method, &path, &auth, &body);
                    crate::google::reply(answer)
                })
            },
            || {},
        );
        ExchangeStandIn {
            exchange,
            base_url: format!("https://localhost:{port}"),
            ca_file,
            task,
        }
    }

    pub fn ca_file(&self) -> &std::path::Path {
        &self.ca_file
    }

    /// The token endpoint of the directory (tenant) `directory`.
    pub fn token_uri(&self, directory: &str) -> String {
        format!("{}/{directory}/oauth2/v2.0/token", self.base_url)
    }

    pub fn add_organisation(&self, name: &str, kind: Kind) {
        self.exchange.lock().unwrap().add_organisation(name, kind);
    }

    /// Adds a device to organisation `org`, as `Get-MobileDevice` lists it.
    pub fn add_device(&self, org: &str, device: Value) {
        let mut x = self.exchange.lock().unwrap();
        x.organisations.get_mut(org).unwrap().devices.push(device);
    }

    /// The cmdlets run so far in `org`, by name.
    pub fn ran(&self, org: &str) -> Vec<String> {
        let x = self.exchange.lock().unwrap();
        x.ran
            .iter()
            .filter(|(o, _, _)| o == org)
            .map(|(_, c, _)| c.clone())
            .collect()
    }

    /// Every request it refused: none may have come from the plugin.
    pub fn assert_conforms(&self) {
        let x = self.exchange.lock().unwrap();
        assert!(x.violations().is_empty(), "{:#?}", x.violations());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoke(x: &mut Exchange, org: &str, cmdlet: &str, parameters: Value, token: &str) -> Answer {
        let body = json!({"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters}});
        x.respond(
            "POST",
            &format!("/adminapi/beta/{org}/InvokeCommand"),
            &format!("Bearer {token}"),
            body.to_string().as_bytes(),
        )
    }

    fn token(x: &mut Exchange) -> String {
        let form = format!(
            "grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&scope={}",
            url::form_urlencoded::byte_serialize(SCOPE.as_bytes()).collect::<String>()
        );
        let (status, answer) = x.respond("POST", "/tenant/oauth2/v2.0/token", "", form.as_bytes());
        assert_eq!(status, 200, "{answer}");
        answer["access_token"].as_str().unwrap().to_string()
    }

    #[test]
    fn cmdlets_are_checked_then_run_against_the_state() {
        let mut x = Exchange::default();
        x.add_organisation("contoso.onmicrosoft.com", Kind::Online);
        x.add_organisation("corp.example", Kind::OnPremises);
        let t = token(&mut x);
        let online = "contoso.onmicrosoft.com";
        let rule = json!({"AccessLevel": "Quarantine", "Characteristic": "DeviceModel", "QueryString": "iPhone"});
        assert_eq!(
            invoke(
                &mut x,
                online,
                "New-ActiveSyncDeviceAccessRule",
                rule.clone(),
                &t
            )
            .0,
            200
        );
        assert_eq!(x.organisations[online].rules.len(), 1);
        assert_eq!(
            invoke(&mut x, online, "New-ActiveSyncDeviceAccessRule", rule, &t).0,
            400
        );
        let (status, answer) = invoke(
            &mut x,
            online,
            "Get-ActiveSyncDeviceAccessRule",
            json!({}),
            &t,
        );
        assert_eq!(
            (status, answer["value"][0]["AccessLevel"].as_str()),
            (200, Some("Quarantine"))
        );
        // What Exchange refuses: a parameter of the other kind, a wrong value, no token.
        let dc = json!({"Identity": "Default", "DomainController": "dc1.corp.example"});
        assert_eq!(
            invoke(
                &mut x,
                online,
                "Set-MobileDeviceMailboxPolicy",
                dc.clone(),
                &t
            )
            .0,
            400
        );
        assert_eq!(
            invoke(
                &mut x,
                "corp.example",
                "Set-MobileDeviceMailboxPolicy",
                dc,
                &t
            )
            .0,
            200
        );
        let old = json!({"Identity": "Default", "DevicePasswordEnabled": true});
        assert_eq!(
            invoke(&mut x, online, "Set-MobileDeviceMailboxPolicy", old, &t).0,
            400
        );
        assert_eq!(
            invoke(
                &mut x,
                online,
                "Get-ActiveSyncDeviceAccessRule",
                json!({}),
                "forged"
            )
            .0,
            401
        );
        assert_eq!(x.violations().len(), 3, "{:?}", x.violations());
        // The allowed device ids of a mailbox, added and removed.
        let add = json!({"Identity": "ann@contoso.com", "ActiveSyncAllowedDeviceIDs": {"Add": ["A1", "B2"]}});
        assert_eq!(invoke(&mut x, online, "Set-CASMailbox", add, &t).0, 200);
        let remove = json!({"Identity": "ann@contoso.com", "ActiveSyncAllowedDeviceIDs": {"Remove": ["A1"]}});
        assert_eq!(invoke(&mut x, online, "Set-CASMailbox", remove, &t).0, 200);
        assert_eq!(x.organisations[online].allowed["ann@contoso.com"], ["B2"]);
    }
}
