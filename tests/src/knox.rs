//! A local HTTPS stand-in of Samsung's Knox cloud services for Knox Mobile Enrollment (KME):
//! the Knox OAuth 2.0 token endpoint (client credentials, "2-legged" flow) and the KME API the
//! Knox plugin uses. It refuses what the API does not allow, and records each refusal as a
//! violation ([`KnoxStandIn::assert_conforms`]):
//!
//! - `POST /oauth2/token`: a form with `grant_type=client_credentials`, the cloud app's
//!   `client_id` and `client_secret`, and a `scope` of KME scopes (`kme`, `kme.devices`,
//!   `kme.devices:read`, `kme.devices:write`, `kme.profiles`, `kme.profiles:read`,
//!   `kme.profiles:write`, `kme.reseller`); anything else is refused;
//! - every API request carries `Authorization: Bearer` with a token issued here whose scopes
//!   allow the call (reading, writing devices or profiles, approving uploads);
//! - `GET /kcs/v1/kme/devices/list` takes only `pageNum` (from 0), `pageSize` (1 to 100) and
//!   `changedAfter` (a number of hours `12h`, of minutes `30m`, or a date `YYYY-MM-DD`); it
//!   answers `{totalCount, deviceList}` and at most [`PAGE`] devices per page whatever the
//!   page size, so clients must page on `totalCount`;
//! - profiles: `GET /kcs/v1/kme/profiles/list` (`pageNum`, `pageSize`), `POST
//!   /kcs/v1/kme/profiles/create`, `PUT /kcs/v1/kme/profiles/{id}` (every detail), `DELETE
//!   /kcs/v1/kme/profiles/{id}`; a profile's body has only [`PROFILE_FIELDS`], a
//!   `profileName`, and the rules of the 20.12 release notes: `supportPhoneNumber` and
//!   `supportEmailAddress` required unless `doEnabled`; with `doEnabled` or `aeEnabled`,
//!   `skipSetupWizard` true, `supportedMDM` given and `allowUserCancel` false. A profile still
//!   assigned to devices is not deleted (400);
//! - `POST /kcs/v2/kme/devices/unassignProfile` with `{"deviceIds": [...]}` (a device's `id`,
//!   IMEI or serial number): partial success, as documented: the valid devices are unassigned
//!   whatever the others; the answer lists `successDeviceList`, `notFoundDeviceList` (well
//!   formed, no such device) and `invalidDeviceList` (neither an IMEI nor a serial number);
//! - uploads by resellers waiting for approval (`approvalStatus` `PENDING`): `POST
//!   /kcs/v2/kme/devices/approve` and `POST /kcs/v2/kme/devices/assignProfile` (with a
//!   `profileId`) take `deviceIds` and answer as `unassignProfile`. The public KME reference
//!   at hand documents neither; their shape follows `unassignProfile` (see `docs/knox.md`).
//!
//! Unknown paths (404), methods (405), query parameters and body fields (400) are violations.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use http_body_util::BodyExt;
use serde_json::{json, Value};

use crate::google::{reply, serve_https, Answer};
use crate::provisioning::is_imei;

/// Devices per list page at most, whatever the page size asked.
pub const PAGE: usize = 2;
/// The test cloud app.
pub const CLIENT_ID: &str = "corral-test-app";
pub const CLIENT_SECRET: &str = "s3cret-of-the-test-app";

const SCOPES: [&str; 8] = [
    "kme",
    "kme.devices",
    "kme.devices:read",
    "kme.devices:write",
    "kme.profiles",
    "kme.profiles:read",
    "kme.profiles:write",
    "kme.reseller",
];

/// The fields of a profile's body.
pub const PROFILE_FIELDS: [&str; 12] = [
    "profileName",
    "description",
    "mdmApkUrl",
    "customData",
    "doEnabled",
    "aeEnabled",
    "skipSetupWizard",
    "allowUserCancel",
    "supportPhoneNumber",
    "supportEmailAddress",
    "supportedMDM",
    "companyName",
];

/// The answer of one API call: (query, body, path).
type Handler = fn(&mut Kme, &[(String, String)], &[u8], &str) -> Answer;

#[derive(Default)]
struct Kme {
    devices: Vec<Value>,
    profiles: Vec<Value>,
    next_id: u64,
    /// Access tokens issued, with their scopes.
    tokens: Vec<(String, Vec<String>)>,
    violations: Vec<String>,
    /// Every request: (method, path with query).
    requests: Vec<(String, String)>,
    /// Statuses to answer the next device changes with (unassign, approve, assign).
    failures: VecDeque<u16>,
    /// The clock of `updateTime`, in Unix milliseconds (tests move it).
    now_ms: i64,
}

/// The running stand-in (stops when dropped).
pub struct KnoxStandIn {
    kme: Arc<Mutex<Kme>>,
    /// `https://localhost:PORT`.
    pub base_url: String,
    ca_file: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for KnoxStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn error(status: u16, code: &str, message: &str) -> Answer {
    (status, json!({"code": code, "message": message}))
}

impl KnoxStandIn {
    pub async fn start(dir: &Path) -> KnoxStandIn {
        let ca_file = dir.join("knox-stand-in-ca.pem");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let kme = Arc::new(Mutex::new(Kme {
            next_id: 1000,
            now_ms: 1_767_225_600_000,
            ..Kme::default()
        }));
        let serving = kme.clone();
        let task = serve_https(
            listener,
            &ca_file,
            move |req| {
                let kme = serving.clone();
                Box::pin(async move {
                    let method = req.method().as_str().to_string();
                    let path = req.uri().path().to_string();
                    let query = req.uri().query().unwrap_or_default().to_string();
                    let auth = req
                        .headers()
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    let body = req.into_body().collect().await.unwrap().to_bytes();
                    let mut kme = kme.lock().unwrap();
                    kme.requests
                        .push((method.clone(), format!("{path}?{query}")));
                    let answer = kme.respond(&method, &path, &query, &auth, &body);
                    if answer.0 == 400 || answer.0 == 404 || answer.0 == 405 || answer.0 == 401 {
                        let what = format!("{method} {path}?{query}: {}", answer.1);
                        kme.violations.push(what);
                    }
                    reply(answer)
                })
            },
            || {},
        );
        KnoxStandIn {
            kme,
            base_url: format!("https://localhost:{port}"),
            ca_file,
            task,
        }
    }

    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// The Knox OAuth 2.0 token endpoint.
    pub fn token_uri(&self) -> String {
        format!("{}/oauth2/token", self.base_url)
    }

    /// The credential as the admin API takes it.
    pub fn credential(&self) -> Value {
        json!({"type": "client_credentials", "client_id": CLIENT_ID,
               "client_secret": CLIENT_SECRET, "token_uri": self.token_uri()})
    }

    /// Adds a device to the customer's KME account: `mei` (IMEI, or "" for none),
    /// `serialNumber`, `model`, optionally `resellerId`/`resellerName`/`uploadId` and
    /// `approvalStatus` (`APPROVED` by default). Answers its `id`.
    pub fn add_device(&self, mut device: Value) -> String {
        let mut kme = self.kme.lock().unwrap();
        kme.next_id += 1;
        let id = format!("d{}", kme.next_id);
        let now = kme.now_ms;
        let fields = device.as_object_mut().unwrap();
        fields.insert("id".into(), json!(id));
        fields.entry("approvalStatus").or_insert(json!("APPROVED"));
        fields.entry("createTime").or_insert(json!(now));
        fields.insert("updateTime".into(), json!(now));
        fields.entry("tags").or_insert(json!([]));
        kme.devices.push(device);
        id
    }

    /// Adds a profile (as the KME portal would) and answers its id.
    pub fn add_profile(&self, name: &str) -> String {
        let mut kme = self.kme.lock().unwrap();
        kme.next_id += 1;
        let id = kme.next_id.to_string();
        kme.profiles.push(json!({
            "id": id, "profileName": name, "mdmApkUrl": "https://mdm.example.com/agent.apk",
            "doEnabled": true, "skipSetupWizard": true, "allowUserCancel": false,
            "supportedMDM": "Corral",
        }));
        id
    }

    /// Assigns profile `profile` (or none) to device `id`, as the KME portal would.
    pub fn set_profile(&self, id: &str, profile: Option<&str>) {
        let mut kme = self.kme.lock().unwrap();
        let name = profile.map(|p| {
            kme.profiles
                .iter()
                .find(|x| x["id"] == p)
                .expect("a profile")["profileName"]
                .clone()
        });
        kme.now_ms += 60_000;
        let now = kme.now_ms;
        let d = kme
            .devices
            .iter_mut()
            .find(|d| d["id"] == id)
            .expect("a device");
        match (profile, name) {
            (Some(p), Some(n)) => {
                d["profileId"] = json!(p);
                d["profileName"] = n;
            }
            _ => {
                let fields = d.as_object_mut().unwrap();
                fields.remove("profileId");
                fields.remove("profileName");
            }
        }
        d["updateTime"] = json!(now);
    }

    pub fn device(&self, id: &str) -> Value {
        let kme = self.kme.lock().unwrap();
        kme.devices
            .iter()
            .find(|d| d["id"] == id)
            .cloned()
            .expect("a device")
    }

    pub fn profiles(&self) -> Vec<Value> {
        self.kme.lock().unwrap().profiles.clone()
    }

    /// Moves the stand-in's clock (the `updateTime` of later changes).
    pub fn advance_ms(&self, ms: i64) {
        self.kme.lock().unwrap().now_ms += ms;
    }

    /// The next device changes answer these statuses, first first.
    pub fn fail_next(&self, statuses: &[u16]) {
        self.kme.lock().unwrap().failures.extend(statuses);
    }

    /// Every request so far: (method, path?query).
    pub fn requests(&self) -> Vec<(String, String)> {
        self.kme.lock().unwrap().requests.clone()
    }

    pub fn violations(&self) -> Vec<String> {
        self.kme.lock().unwrap().violations.clone()
    }

    /// Forgets the violations recorded so far (after a test provoked them on purpose).
    pub fn clear_violations(&self) {
        self.kme.lock().unwrap().violations.clear();
    }

    pub fn assert_conforms(&self) {
        let violations = self.violations();
        assert!(
            violations.is_empty(),
            "KME contract violations: {violations:#?}"
        );
    }
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// A serial number as KME takes one: 6 to 20 letters and digits.
fn is_serial(s: &str) -> bool {
    (6..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The body's object, refusing fields not in `allowed`.
fn object(body: &[u8], allowed: &[&str]) -> Result<serde_json::Map<String, Value>, Answer> {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        return Err(error(
            400,
            "INVALID_REQUEST",
            "the body is not a JSON object",
        ));
    };
    if let Some(unknown) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(error(
            400,
            "INVALID_REQUEST",
            &format!("unknown field {unknown}"),
        ));
    }
    Ok(fields)
}

/// The `deviceIds` of a device change (1 to 1000 strings).
fn device_ids(fields: &serde_json::Map<String, Value>) -> Result<Vec<String>, Answer> {
    let ids: Option<Vec<String>> = fields["deviceIds"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or(None);
    match ids {
        Some(ids) if !ids.is_empty() && ids.len() <= 1000 => Ok(ids),
        _ => Err(error(
            400,
            "INVALID_REQUEST",
            "deviceIds: 1 to 1000 device ids (strings)",
        )),
    }
}

fn page_of(query: &[(String, String)]) -> Result<(usize, usize), Answer> {
    let number = |name: &str, default: usize, range: std::ops::RangeInclusive<usize>| match query
        .iter()
        .find(|(n, _)| n == name)
    {
        None => Ok(default),
        Some((_, v)) => v
            .parse::<usize>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| error(400, "INVALID_REQUEST", &format!("{name} {v:?}"))),
    };
    Ok((
        number("pageNum", 0, 0..=100_000)?,
        number("pageSize", 10, 1..=100)?,
    ))
}

impl Kme {
    fn respond(
        &mut self,
        method: &str,
        path: &str,
        query: &str,
        auth: &str,
        body: &[u8],
    ) -> Answer {
        let query: Vec<(String, String)> = form(query.as_bytes());
        if path == "/oauth2/token" {
            return match method {
                "POST" => self.token(&query, body),
                _ => error(405, "METHOD_NOT_ALLOWED", method),
            };
        }
        let scopes = match auth
            .strip_prefix("Bearer ")
            .and_then(|t| self.tokens.iter().find(|(issued, _)| issued == t))
        {
            Some((_, scopes)) => scopes.clone(),
            None => return error(401, "UNAUTHORIZED", "no valid access token"),
        };
        let allows = |wanted: &[&str]| wanted.iter().any(|w| scopes.iter().any(|s| s == w));
        let read_devices = ["kme", "kme.devices", "kme.devices:read"];
        let write_devices = ["kme", "kme.devices", "kme.devices:write"];
        let read_profiles = ["kme", "kme.profiles", "kme.profiles:read"];
        let write_profiles = ["kme", "kme.profiles", "kme.profiles:write"];
        let (needed, answer): (&[&str], Handler) = match (method, path) {
            ("GET", "/kcs/v1/kme/devices/list") => (&read_devices, Kme::devices_list),
            ("GET", "/kcs/v1/kme/profiles/list") => (&read_profiles, Kme::profiles_list),
            ("POST", "/kcs/v1/kme/profiles/create") => (&write_profiles, Kme::profile_create),
            ("PUT", p) | ("DELETE", p) if p.starts_with("/kcs/v1/kme/profiles/") => {
                if method == "PUT" {
                    (&write_profiles, Kme::profile_update)
                } else {
                    (&write_profiles, Kme::profile_delete)
                }
            }
            ("POST", "/kcs/v2/kme/devices/unassignProfile")
            | ("POST", "/kcs/v2/kme/devices/assignProfile") => (&write_devices, Kme::device_change),
            ("POST", "/kcs/v2/kme/devices/approve") => {
                (&["kme", "kme.reseller"], Kme::device_change)
            }
            (_, p)
                if [
                    "/kcs/v1/kme/devices/list",
                    "/kcs/v1/kme/profiles/list",
                    "/kcs/v1/kme/profiles/create",
                    "/kcs/v2/kme/devices/unassignProfile",
                    "/kcs/v2/kme/devices/assignProfile",
                    "/kcs/v2/kme/devices/approve",
                ]
                .contains(&p) =>
            {
                return error(405, "METHOD_NOT_ALLOWED", method)
            }
            _ => return error(404, "NOT_FOUND", path),
        };
        if !allows(needed) {
            return error(
                403,
                "FORBIDDEN",
                &format!("the token lacks one of {needed:?}"),
            );
        }
        if method != "GET" && !query.is_empty() {
            return error(400, "INVALID_REQUEST", "no query parameters here");
        }
        answer(self, &query, body, path)
    }

    fn token(&mut self, query: &[(String, String)], body: &[u8]) -> Answer {
        if !query.is_empty() {
            return error(400, "invalid_request", "parameters go in the form body");
        }
        let fields = form(body);
        let get = |name: &str| {
            fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        if let Some((unknown, _)) = fields.iter().find(|(n, _)| {
            !["grant_type", "client_id", "client_secret", "scope"].contains(&n.as_str())
        }) {
            return (
                400,
                json!({"error": "invalid_request", "error_description": format!("unknown parameter {unknown}")}),
            );
        }
        if get("grant_type") != Some("client_credentials") {
            return (400, json!({"error": "unsupported_grant_type"}));
        }
        if get("client_id") != Some(CLIENT_ID) || get("client_secret") != Some(CLIENT_SECRET) {
            return (401, json!({"error": "invalid_client"}));
        }
        let scopes: Vec<String> = get("scope")
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if scopes.is_empty() || scopes.iter().any(|s| !SCOPES.contains(&s.as_str())) {
            return (
                400,
                json!({"error": "invalid_scope", "error_description": format!("{scopes:?}")}),
            );
        }
        let token = format!("knox-test-{}", self.tokens.len() + 1);
        self.tokens.push((token.clone(), scopes));
        (
            200,
            json!({"access_token": token, "token_type": "Bearer", "expires_in": 1800}),
        )
    }

    fn devices_list(&mut self, query: &[(String, String)], _: &[u8], _: &str) -> Answer {
        if let Some((unknown, _)) = query
            .iter()
            .find(|(n, _)| !["pageNum", "pageSize", "changedAfter"].contains(&n.as_str()))
        {
            return error(
                400,
                "INVALID_REQUEST",
                &format!("unknown parameter {unknown}"),
            );
        }
        let (page, size) = match page_of(query) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let after = match query.iter().find(|(n, _)| n == "changedAfter") {
            None => None,
            Some((_, v)) => match self.cutoff(v) {
                Some(t) => Some(t),
                None => return error(400, "INVALID_REQUEST", &format!("changedAfter {v:?}")),
            },
        };
        let matching: Vec<&Value> = self
            .devices
            .iter()
            .filter(|d| after.is_none_or(|t| d["updateTime"].as_i64().unwrap_or(0) >= t))
            .collect();
        let size = size.min(PAGE);
        let list: Vec<Value> = matching
            .iter()
            .skip(page * size)
            .take(size)
            .map(|d| (*d).clone())
            .collect();
        (
            200,
            json!({"totalCount": matching.len(), "deviceList": list}),
        )
    }

    /// The time `changedAfter` names: `12h`, `30m` before now, or a date.
    fn cutoff(&self, v: &str) -> Option<i64> {
        let amount = |unit: char, ms: i64| -> Option<i64> {
            let n: i64 = v.strip_suffix(unit)?.parse().ok().filter(|n| *n > 0)?;
            Some(self.now_ms - n * ms)
        };
        amount('h', 3_600_000)
            .or_else(|| amount('m', 60_000))
            .or_else(|| {
                let date = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()?;
                Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
            })
    }

    fn profiles_list(&mut self, query: &[(String, String)], _: &[u8], _: &str) -> Answer {
        if let Some((unknown, _)) = query
            .iter()
            .find(|(n, _)| !["pageNum", "pageSize"].contains(&n.as_str()))
        {
            return error(
                400,
                "INVALID_REQUEST",
                &format!("unknown parameter {unknown}"),
            );
        }
        let (page, size) = match page_of(query) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let size = size.min(PAGE);
        let list: Vec<Value> = self
            .profiles
            .iter()
            .skip(page * size)
            .take(size)
            .cloned()
            .collect();
        (
            200,
            json!({"totalCount": self.profiles.len(), "profileList": list}),
        )
    }

    /// A profile body's problems, by the 20.12 release notes' rules.
    fn checked_profile(body: &[u8]) -> Result<serde_json::Map<String, Value>, Answer> {
        let fields = object(body, &PROFILE_FIELDS)?;
        let text = |name: &str| {
            fields
                .get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let flag = |name: &str| fields.get(name).and_then(Value::as_bool).unwrap_or(false);
        let refuse = |why: &str| Err(error(400, "INVALID_PROFILE", why));
        if text("profileName").is_none() {
            return refuse("profileName is required");
        }
        for name in PROFILE_FIELDS {
            let Some(v) = fields.get(name) else { continue };
            let boolean = matches!(
                name,
                "doEnabled" | "aeEnabled" | "skipSetupWizard" | "allowUserCancel"
            );
            if boolean != v.is_boolean() || (!boolean && !v.is_string()) {
                return refuse(&format!("{name} has the wrong type"));
            }
        }
        if !flag("doEnabled")
            && (text("supportPhoneNumber").is_none() || text("supportEmailAddress").is_none())
        {
            return refuse(
                "supportPhoneNumber and supportEmailAddress are required unless doEnabled",
            );
        }
        if flag("doEnabled") || flag("aeEnabled") {
            if !flag("skipSetupWizard") {
                return refuse("skipSetupWizard must be true when doEnabled or aeEnabled");
            }
            if text("supportedMDM").is_none() {
                return refuse("supportedMDM is required when doEnabled or aeEnabled");
            }
            if flag("allowUserCancel") {
                return refuse("allowUserCancel must be false when doEnabled or aeEnabled");
            }
        }
        if let Some(data) = text("customData") {
            if serde_json::from_str::<Value>(data).is_err() {
                return refuse("customData is not JSON");
            }
        }
        Ok(fields)
    }

    fn profile_create(&mut self, _: &[(String, String)], body: &[u8], _: &str) -> Answer {
        let fields = match Kme::checked_profile(body) {
            Ok(f) => f,
            Err(e) => return e,
        };
        self.next_id += 1;
        let mut profile = Value::Object(fields);
        profile["id"] = json!(self.next_id.to_string());
        self.profiles.push(profile.clone());
        (200, profile)
    }

    fn profile_id(path: &str) -> &str {
        path.trim_start_matches("/kcs/v1/kme/profiles/")
    }

    fn profile_update(&mut self, _: &[(String, String)], body: &[u8], path: &str) -> Answer {
        let id = Kme::profile_id(path).to_string();
        let fields = match Kme::checked_profile(body) {
            Ok(f) => f,
            Err(e) => return e,
        };
        let Some(profile) = self.profiles.iter_mut().find(|p| p["id"] == id.as_str()) else {
            return (404, json!({"code": "PROFILE_NOT_FOUND", "message": id}));
        };
        let mut new = Value::Object(fields);
        new["id"] = json!(id);
        *profile = new.clone();
        let name = new["profileName"].clone();
        for d in self
            .devices
            .iter_mut()
            .filter(|d| d["profileId"] == id.as_str())
        {
            d["profileName"] = name.clone();
        }
        (200, new)
    }

    fn profile_delete(&mut self, _: &[(String, String)], body: &[u8], path: &str) -> Answer {
        if !body.is_empty() {
            return error(400, "INVALID_REQUEST", "DELETE takes no body");
        }
        let id = Kme::profile_id(path).to_string();
        let Some(at) = self.profiles.iter().position(|p| p["id"] == id.as_str()) else {
            return (404, json!({"code": "PROFILE_NOT_FOUND", "message": id}));
        };
        let assigned = self
            .devices
            .iter()
            .filter(|d| d["profileId"] == id.as_str())
            .count();
        if assigned > 0 {
            return (
                409,
                json!({"code": "PROFILE_IN_USE",
                "message": format!("the profile is assigned to {assigned} devices")}),
            );
        }
        self.profiles.remove(at);
        (200, json!({}))
    }

    /// `unassignProfile`, `assignProfile` and `approve`: each valid device id is changed
    /// whatever the others.
    fn device_change(&mut self, _: &[(String, String)], body: &[u8], path: &str) -> Answer {
        let assign = path.ends_with("/assignProfile");
        let approve = path.ends_with("/approve");
        let allowed: &[&str] = if assign {
            &["deviceIds", "profileId"]
        } else {
            &["deviceIds"]
        };
        let fields = match object(body, allowed) {
            Ok(f) => f,
            Err(e) => return e,
        };
        let ids = match device_ids(&fields) {
            Ok(ids) => ids,
            Err(e) => return e,
        };
        let profile = if assign {
            let Some(id) = fields.get("profileId").and_then(Value::as_str) else {
                return error(400, "INVALID_REQUEST", "profileId is required");
            };
            match self.profiles.iter().find(|p| p["id"] == id) {
                Some(p) => Some((id.to_string(), p["profileName"].clone())),
                None => return (404, json!({"code": "PROFILE_NOT_FOUND", "message": id})),
            }
        } else {
            None
        };
        if let Some(status) = self.failures.pop_front() {
            return error(status, "UNAVAILABLE", "try again later");
        }
        self.now_ms += 1000;
        let now = self.now_ms;
        let (mut success, mut not_found, mut invalid) = (vec![], vec![], vec![]);
        for id in ids {
            let found = self.devices.iter_mut().find(|d| {
                d["id"] == id.as_str()
                    || d["mei"] == id.as_str()
                    || d["serialNumber"] == id.as_str()
            });
            match found {
                Some(d) => {
                    if approve {
                        d["approvalStatus"] = json!("APPROVED");
                    } else if let Some((pid, name)) = &profile {
                        d["profileId"] = json!(pid);
                        d["profileName"] = name.clone();
                    } else {
                        let f = d.as_object_mut().unwrap();
                        f.remove("profileId");
                        f.remove("profileName");
                    }
                    d["updateTime"] = json!(now);
                    success.push(id);
                }
                None if is_imei(&id) || is_serial(&id) => not_found.push(id),
                None => invalid.push(id),
            }
        }
        (
            200,
            json!({"successDeviceList": success, "notFoundDeviceList": not_found,
                     "invalidDeviceList": invalid}),
        )
    }
}

/// A tenant `acme` whose owner installed the zero-touch plugin (customer
/// [`crate::zero_touch::CUSTOMER`] at the Google stand-in) and the Knox plugin (at the KME
/// stand-in, with the test cloud app's client credentials), both trusted through one bundle
/// of the two stand-ins' CAs.
pub struct Setup {
    /// The zero-touch set-up (server, owner's client, zero-touch plugin, Google stand-in).
    pub zt: crate::zero_touch::Setup,
    pub kme: KnoxStandIn,
    /// The Knox plugin's id.
    pub plugin: String,
}

pub async fn setup(db: crate::Db) -> Setup {
    let env = crate::Env::new(db).await;
    std::fs::create_dir_all(env.data_dir()).unwrap();
    let google = crate::google::GoogleStandIn::start(&env.data_dir()).await;
    google
        .zero_touch()
        .add_customer(crate::zero_touch::CUSTOMER, "Acme", "TERMS_STATUS_ACCEPTED");
    let kme = KnoxStandIn::start(&env.data_dir()).await;
    let bundle = env.data_dir().join("stand-in-cas.pem");
    let mut pem = std::fs::read(google.ca_file()).unwrap();
    pem.extend(std::fs::read(kme.ca_file()).unwrap());
    std::fs::write(&bundle, pem).unwrap();
    let env = env
        .with_env("CORRAL_PLUGIN_EXTRA_ROOTS", bundle.to_str().unwrap())
        .with_env("CORRAL_PLUGIN_ALLOW_PRIVATE_ADDRESSES", "true");
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "owner").await;
    let zero_touch = crate::zero_touch::install(&c, &google).await;
    let plugin = install(&c, &kme).await;
    Setup {
        zt: crate::zero_touch::Setup {
            env,
            server,
            c,
            plugin: zero_touch,
            google,
        },
        kme,
        plugin,
    }
}

/// Installs the Knox plugin in `c`'s tenant, granted and configured for the stand-in `kme`;
/// answers its id.
pub async fn install(c: &crate::Client, kme: &KnoxStandIn) -> String {
    let (plugin, uploaded) = c.install_active("corral_knox_plugin").await;
    let version = &uploaded.body["plugin"]["versions"][0];
    assert_eq!(version["world_version"], "0.7.0", "{uploaded:?}");
    let requested = version["requested_capabilities"].clone();
    c.set_up_vendor_plugin(
        &plugin,
        requested,
        json!({"api-base-url": kme.base_url, "customer-id": "KME-4711"}),
        kme.credential(),
    )
    .await;
    plugin
}

impl Setup {
    /// Runs both plugins' inventory syncs.
    pub async fn sync(&self) {
        for plugin in [&self.zt.plugin, &self.plugin] {
            let r = self
                .zt
                .c
                .send(
                    "POST",
                    &format!("/api/v1/plugins/{plugin}/devices/sync"),
                    None,
                )
                .await;
            assert_eq!(r.status, 200, "{r:?}");
        }
    }

    /// A Knox collection action.
    pub async fn act(
        &self,
        collection: &str,
        action: &str,
        item: Option<&str>,
        input: Value,
    ) -> crate::Reply {
        let mut body = json!({"input": input});
        if let Some(item) = item {
            body["item"] = json!(item);
        }
        self.zt
            .c
            .send(
                "POST",
                &format!(
                    "/api/v1/plugins/{}/collections/{collection}/actions/{action}",
                    self.plugin
                ),
                Some(body),
            )
            .await
    }

    /// The decision listed for the device with serial number or IMEI `who`.
    pub async fn decision(&self, who: &str) -> Value {
        let r = self
            .zt
            .c
            .get(&format!("/api/v1/provisioning?search={who}"))
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        let found = r.body["decisions"].as_array().unwrap();
        assert_eq!(found.len(), 1, "one decision for {who}: {r:?}");
        found[0].clone()
    }
}
