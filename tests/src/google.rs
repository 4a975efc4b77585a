//! A local stand-in of Google's endpoints for the AMAPI and zero-touch plugins' tests: HTTPS on
//! loopback with a certificate from a test CA (the server under test trusts it through
//! `CORRAL_PLUGIN_EXTRA_ROOTS`), an OAuth 2 token endpoint, the Android Management API and the
//! zero-touch customer API (its state and prose rules in [`crate::provisioning`]). A token
//! serves only the API whose scope it was issued for.
//!
//! It holds every request to Google's contract, mechanically:
//! - the token endpoint checks the JWT bearer grant (RFC 7523): the assertion's RS256 signature
//!   against the test service account's public key, its issuer, audience, scope and expiry;
//! - every API request must carry a token it issued, name a method of the discovery document
//!   (method and path, custom verbs like `:issueCommand` included), send a body that conforms
//!   to the method's request schema ([`Discovery::violations`]) and query parameters the method
//!   takes, of their type and enum ([`Discovery::query_violations`]);
//! - and keep the few rules the document states in prose: a `devices.list` `pageToken` is one
//!   the stand-in issued, a `devices.patch` `updateMask` names fields of `Device` and sets
//!   `state` only to `ACTIVE` or `DISABLED`, an `issueCommand` names its command `type`.
//!
//! Any departure is answered with a Google error and recorded in [`GoogleStandIn::violations`],
//! which a test asserts empty. Conforming requests are recorded ([`GoogleStandIn::requests`]),
//! with their decoded query, whatever the answer.
//!
//! Answers are shaped like the API's, and are themselves checked against the response schema:
//! an `EnrollmentToken` with its `qrCode` provisioning JSON, the `Policy` patched, `Empty`, ...
//! Devices are the test's to set up ([`GoogleStandIn::add_device`], checked against `Device`):
//! `devices.list` answers pages of at most two (fewer when `pageSize` says so) so that a client
//! must follow `nextPageToken`; `devices.get`, `devices.patch` (the `updateMask` fields, or all
//! the body's), `devices.delete` and `devices.issueCommand` (an `Operation` whose metadata is
//! the `Command`) answer 404 `NOT_FOUND` for a device the stand-in does not hold, as Google
//! does: a legitimate answer, not a violation.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
use openssl::x509::{X509NameBuilder, X509};
use serde_json::{json, Value};

use crate::discovery::Discovery;
use crate::provisioning::Provisioning;

/// The e-mail of the test service account.
pub const CLIENT_EMAIL: &str = "corral-test@corral-test.iam.gserviceaccount.com";
pub const SCOPE: &str = "https://www.googleapis.com/auth/androidmanagement";
/// The scope of the zero-touch customer API.
pub const ZERO_TOUCH_SCOPE: &str = "https://www.googleapis.com/auth/androidworkzerotouchemm";

/// One API request the stand-in accepted.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The discovery method id, e.g. `androidmanagement.enterprises.enrollmentTokens.create`.
    pub method: String,
    /// Path after the host, e.g. `/v1/enterprises/LC01/enrollmentTokens`.
    pub path: String,
    /// The query's pairs, percent-decoded, in order (e.g. `("updateMask", "policyName")`, or
    /// `wipeDataFlags` once per flag).
    pub query: Vec<(String, String)>,
    pub body: Value,
}

#[derive(Default)]
struct Log {
    requests: Vec<Recorded>,
    violations: Vec<String>,
    tokens_issued: Vec<String>,
    /// The scopes each issued token carries (same order).
    token_scopes: Vec<String>,
    revoked: usize,
}

/// The enterprise's devices as the stand-in holds them.
#[derive(Default)]
struct Devices {
    /// Each `Device` with the number it was added under (page tokens count on it), oldest first.
    stored: Vec<(u64, Value)>,
    added: u64,
    /// Operations `issueCommand` started.
    operations: u64,
}

/// Devices per `devices.list` page at most: small, so that clients must follow the pages.
const PAGE: usize = 2;

/// An answer: status and JSON body.
pub(crate) type Answer = (u16, Value);

struct Shared {
    discovery: Discovery,
    /// The zero-touch API's document and state.
    provisioning_discovery: Discovery,
    provisioning: Mutex<Provisioning>,
    account: PKey<Private>,
    token_uri: String,
    log: Mutex<Log>,
    devices: Mutex<Devices>,
    /// TLS connections accepted (the host keeps its connections to a vendor open).
    connections: std::sync::atomic::AtomicUsize,
}

/// The running stand-in (stops when dropped).
pub struct GoogleStandIn {
    shared: Arc<Shared>,
    /// `https://localhost:PORT`.
    pub base_url: String,
    ca_file: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for GoogleStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn name(cn: &str) -> openssl::x509::X509Name {
    let mut b = X509NameBuilder::new().unwrap();
    b.append_entry_by_text("CN", cn).unwrap();
    b.build()
}

/// A test CA named `ca_name` and a `localhost` certificate it signed: (CA PEM, leaf PEM, leaf
/// key PEM). Each stand-in's CA has a name of its own: a client trusting several finds the
/// issuer of a certificate by name.
pub(crate) fn test_pki(ca_name: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let ca_key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut ca = X509::builder().unwrap();
    ca.set_version(2).unwrap();
    ca.set_serial_number(&BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    ca.set_subject_name(&name(ca_name)).unwrap();
    ca.set_issuer_name(&name(ca_name)).unwrap();
    ca.set_pubkey(&ca_key).unwrap();
    ca.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    ca.set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    ca.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
        .unwrap();
    ca.sign(&ca_key, MessageDigest::sha256()).unwrap();
    let ca = ca.build();

    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut leaf = X509::builder().unwrap();
    leaf.set_version(2).unwrap();
    leaf.set_serial_number(&BigNum::from_u32(2).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    leaf.set_subject_name(&name("localhost")).unwrap();
    leaf.set_issuer_name(ca.subject_name()).unwrap();
    leaf.set_pubkey(&key).unwrap();
    leaf.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    leaf.set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .dns("localhost")
        .build(&leaf.x509v3_context(Some(&ca), None))
        .unwrap();
    leaf.append_extension(san).unwrap();
    leaf.sign(&ca_key, MessageDigest::sha256()).unwrap();
    let leaf = leaf.build();
    (
        ca.to_pem().unwrap(),
        leaf.to_pem().unwrap(),
        key.private_key_to_pem_pkcs8().unwrap(),
    )
}

impl GoogleStandIn {
    /// Starts the stand-in on a free loopback port; the test CA is written under `dir`.
    pub async fn start(dir: &Path) -> GoogleStandIn {
        let ca_file = dir.join("google-stand-in-ca.pem");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let base_url = format!("https://localhost:{port}");
        let shared = Arc::new(Shared::new(format!("{base_url}/token")));
        let serving = shared.clone();
        let task = serve_https(
            listener,
            &ca_file,
            move |req| {
                let shared = serving.clone();
                Box::pin(async move { shared.answer(req).await })
            },
            {
                let shared = shared.clone();
                move || {
                    shared
                        .connections
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            },
        );
        GoogleStandIn {
            shared,
            base_url,
            ca_file,
            task,
        }
    }

    /// The PEM file of the test CA (for `CORRAL_PLUGIN_EXTRA_ROOTS`).
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// The service-account key file, as Google issues it.
    pub fn service_account_key(&self) -> Value {
        json!({
            "type": "service_account",
            "project_id": "corral-test",
            "private_key_id": "0123456789abcdef",
            "private_key": String::from_utf8(self.shared.account.private_key_to_pem_pkcs8().unwrap()).unwrap(),
            "client_email": CLIENT_EMAIL,
            "client_id": "123456789",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.shared.token_uri,
        })
    }

    /// TLS connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared
            .connections
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// API requests accepted so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.log.lock().unwrap().requests.clone()
    }

    /// Every departure from Google's contract seen so far (empty when all conformed).
    pub fn violations(&self) -> Vec<String> {
        self.shared.log.lock().unwrap().violations.clone()
    }

    /// Revokes every access token issued so far (as Google does when a key is disabled).
    pub fn revoke_tokens(&self) {
        let mut log = self.shared.log.lock().unwrap();
        log.revoked = log.tokens_issued.len();
    }

    /// Panics listing every departure from Google's contract, if there was any.
    pub fn assert_conforms(&self) {
        let violations = self.violations();
        assert!(violations.is_empty(), "{violations:?}");
    }

    /// Access tokens issued by the token endpoint.
    pub fn tokens_issued(&self) -> usize {
        self.shared.log.lock().unwrap().tokens_issued.len()
    }

    /// Adds a device, as if it had enrolled: a `Device` resource named
    /// `enterprises/{enterpriseId}/devices/{deviceId}`. Panics if it departs from the
    /// discovery document's `Device` schema, or if the stand-in already holds that name.
    pub fn add_device(&self, device: Value) {
        self.shared.add_device(device)
    }

    /// The devices the stand-in holds (those added and not deleted), oldest first.
    pub fn devices(&self) -> Vec<Value> {
        self.shared.devices()
    }

    /// The zero-touch customer API's state: customers, DPCs, configurations, devices (set up
    /// and looked at by tests).
    pub fn zero_touch(&self) -> std::sync::MutexGuard<'_, Provisioning> {
        self.shared.provisioning.lock().unwrap()
    }

    /// Changes the device `name` (e.g. marks it `policyCompliant`, as Google would once it
    /// applied its policy). Panics if there is no such device, or if the device then departs
    /// from the `Device` schema or has another name.
    pub fn set_device(&self, name: &str, f: impl FnOnce(&mut Value)) {
        self.shared.set_device(name, f)
    }
}

/// A boxed answer to one request.
pub(crate) type Answering =
    std::pin::Pin<Box<dyn std::future::Future<Output = Response<Full<Bytes>>> + Send>>;

/// Serves HTTPS on `listener` with a fresh test CA (written to `ca_file`) and a `localhost`
/// certificate: `answer` answers each request, `connected` is told of each TLS connection.
pub(crate) fn serve_https(
    listener: tokio::net::TcpListener,
    ca_file: &Path,
    answer: impl Fn(Request<Incoming>) -> Answering + Send + Sync + 'static,
    connected: impl Fn() + Send + Sync + 'static,
) -> tokio::task::JoinHandle<()> {
    let ca_name = format!(
        "Corral test CA {}",
        ca_file.file_stem().unwrap_or_default().to_string_lossy()
    );
    let (ca_pem, cert_pem, key_pem) = test_pki(&ca_name);
    std::fs::write(ca_file, &ca_pem).unwrap();
    let identity = native_tls::Identity::from_pkcs8(&cert_pem, &key_pem).unwrap();
    let acceptor: tokio_native_tls::TlsAcceptor =
        native_tls::TlsAcceptor::new(identity).unwrap().into();
    let acceptor = Arc::new(acceptor);
    let answer = Arc::new(answer);
    let connected = Arc::new(connected);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let (acceptor, answer, connected) =
                (acceptor.clone(), answer.clone(), connected.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                connected();
                let service = hyper::service::service_fn(move |req| {
                    let answering = answer(req);
                    async move { Ok::<_, Infallible>(answering.await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    })
}

pub(crate) fn reply((status, body): Answer) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

/// An error as Google's APIs answer it, its `status` the canonical code of the HTTP status.
pub(crate) fn google_error(status: u16, message: &str) -> Answer {
    let code = match status {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ALREADY_EXISTS",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        _ => "UNKNOWN",
    };
    (
        status,
        json!({"error": {"code": status, "message": message, "status": code}}),
    )
}

fn not_found() -> Answer {
    google_error(404, "Requested entity was not found.")
}

/// The value of the query parameter `name` (its first, if it comes more than once).
pub(crate) fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The decoded pairs of a query string (or of a form body), in order.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{query}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

/// A `devices.list` page token: opaque to clients, the number of the last device listed.
pub(crate) fn page_token(after: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("after {after}"))
}

/// The number in a page token the stand-in issued.
pub(crate) fn page_after(token: &str) -> Option<u64> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
    text.strip_prefix("after ")?.parse().ok()
}

/// The paths of an `updateMask` (`policyName,state`; `policy_name` as Google also takes it, in
/// the JSON names of the fields). `None` when it names none: then the whole body applies.
fn mask_paths(mask: Option<&str>) -> Option<Vec<String>> {
    let camel = |segment: &str| {
        let mut out = String::new();
        let mut upper = false;
        for c in segment.chars() {
            match c {
                '_' => upper = true,
                c if upper => {
                    out.extend(c.to_uppercase());
                    upper = false;
                }
                c => out.push(c),
            }
        }
        out
    };
    let paths: Vec<String> = mask?
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.split('.').map(camel).collect::<Vec<_>>().join("."))
        .collect();
    (!paths.is_empty()).then_some(paths)
}

/// Sets (or, for `None`, clears) the field at dotted `path` of `target`, making the objects on
/// the way.
fn set_field(target: &mut Value, path: &str, value: Option<Value>) {
    let fields: Vec<&str> = path.split('.').collect();
    let (last, parents) = fields.split_last().expect("a field");
    let mut at = target;
    for field in parents {
        if !at[*field].is_object() {
            if value.is_none() {
                return;
            }
            at[*field] = json!({});
        }
        at = &mut at[*field];
    }
    match value {
        Some(v) => at[*last] = v,
        None => {
            if let Some(map) = at.as_object_mut() {
                map.remove(*last);
            }
        }
    }
}

/// The field at dotted `path` of `value`, if it is there.
fn field<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |at, f| at.get(f))
}

/// `enterprises/{enterpriseId}/devices/{deviceId}`, each id non-empty.
fn is_device_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    matches!(parts[..], ["enterprises", e, "devices", d] if !e.is_empty() && !d.is_empty())
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// RFC 3339 UTC, the way Google writes timestamps.
fn timestamp(unix: u64) -> String {
    chrono::DateTime::from_timestamp(unix as i64, 0)
        .expect("a time in range")
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Shared {
    fn new(token_uri: String) -> Shared {
        Shared {
            discovery: Discovery::android_management(),
            provisioning_discovery: Discovery::device_provisioning(),
            provisioning: Mutex::default(),
            account: PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap(),
            token_uri,
            log: Mutex::default(),
            devices: Mutex::default(),
            connections: Default::default(),
        }
    }

    fn violation(&self, what: String) {
        self.log.lock().unwrap().violations.push(what);
    }

    fn add_device(&self, device: Value) {
        let problems = self.discovery.violations("Device", &device);
        assert!(problems.is_empty(), "not a Device: {problems:?}: {device}");
        let name = device["name"].as_str().unwrap_or_default();
        assert!(
            is_device_name(name),
            "a Device is named enterprises/{{enterpriseId}}/devices/{{deviceId}}: {device}"
        );
        let mut devices = self.devices.lock().unwrap();
        assert!(
            !devices.stored.iter().any(|(_, d)| d["name"] == name),
            "the stand-in already holds {name}"
        );
        devices.added += 1;
        let n = devices.added;
        devices.stored.push((n, device));
    }

    fn devices(&self) -> Vec<Value> {
        let devices = self.devices.lock().unwrap();
        devices.stored.iter().map(|(_, d)| d.clone()).collect()
    }

    fn device(&self, name: &str) -> Option<Value> {
        let devices = self.devices.lock().unwrap();
        devices
            .stored
            .iter()
            .find(|(_, d)| d["name"] == name)
            .map(|(_, d)| d.clone())
    }

    /// Replaces the stored device of the same name; false when there is none (any more).
    fn replace_device(&self, device: Value) -> bool {
        let mut devices = self.devices.lock().unwrap();
        match devices
            .stored
            .iter_mut()
            .find(|(_, d)| d["name"] == device["name"])
        {
            Some((_, d)) => {
                *d = device;
                true
            }
            None => false,
        }
    }

    fn set_device(&self, name: &str, f: impl FnOnce(&mut Value)) {
        // `f` runs on a copy, without the lock: it may well look at the stand-in itself.
        let mut device = self
            .device(name)
            .unwrap_or_else(|| panic!("the stand-in holds no device {name}"));
        f(&mut device);
        assert_eq!(device["name"], name, "set_device may not rename {name}");
        let problems = self.discovery.violations("Device", &device);
        assert!(problems.is_empty(), "not a Device: {problems:?}: {device}");
        assert!(self.replace_device(device), "{name} went meanwhile");
    }

    async fn answer(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let method = req.method().as_str().to_string();
        let path = req.uri().path().to_string();
        let query = req.uri().query().map(str::to_string);
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = req.into_body().collect().await.unwrap().to_bytes();
        reply(self.respond(&method, &path, query.as_deref(), &auth, &body))
    }

    /// The answer to one HTTP request: `path` and `query` as in the request line (`query`
    /// without its `?`), `auth` the `Authorization` header.
    fn respond(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        auth: &str,
        body: &[u8],
    ) -> Answer {
        if path == "/token" && method == "POST" {
            return self.token(body);
        }
        let (issued, revoked, scopes) = {
            let log = self.log.lock().unwrap();
            let position = auth
                .strip_prefix("Bearer ")
                .and_then(|t| log.tokens_issued.iter().position(|i| i == t));
            (
                position.is_some(),
                position.is_some_and(|p| p < log.revoked),
                position
                    .map(|p| log.token_scopes[p].clone())
                    .unwrap_or_default(),
            )
        };
        if !issued {
            self.violation(format!("{method} {path}: no valid access token"));
        }
        if !issued || revoked {
            return google_error(401, "Request had invalid authentication credentials.");
        }
        // The Android Management API, else the zero-touch customer API (their paths differ:
        // `v1/enterprises/...`, `v1/customers/...`), each with its own scope.
        let target = path.trim_start_matches('/');
        let (discovery, found, scope) = match self.discovery.method(method, target) {
            Some(found) => (&self.discovery, found, SCOPE),
            None => match self.provisioning_discovery.method(method, target) {
                Some(found) if found.id.starts_with("androiddeviceprovisioning.customers") => {
                    (&self.provisioning_discovery, found, ZERO_TOUCH_SCOPE)
                }
                _ => {
                    self.violation(format!("{method} {path}: no such API method"));
                    return google_error(404, "Method not found.");
                }
            },
        };
        if !scopes.split(' ').any(|s| s == scope) {
            self.violation(format!(
                "{method} {path}: the token lacks the scope {scope}"
            ));
            return google_error(403, "Request had insufficient authentication scopes.");
        }
        let body: Value = if body.is_empty() {
            Value::Null
        } else {
            match serde_json::from_slice(body) {
                Ok(v) => v,
                Err(e) => {
                    self.violation(format!("{method} {path}: body is not JSON: {e}"));
                    return google_error(400, "Invalid JSON payload received.");
                }
            }
        };
        match (&found.request, &body) {
            (Some(schema), body) => {
                let problems = discovery.violations(schema, body);
                if !problems.is_empty() {
                    self.violation(format!("{method} {path}: {problems:?}"));
                    return google_error(400, &format!("Invalid JSON payload: {problems:?}"));
                }
            }
            (None, Value::Null) => {}
            (None, _) => {
                self.violation(format!(
                    "{method} {path}: a body where the method takes none"
                ));
                return google_error(400, "This method takes no body.");
            }
        }
        let query = query.map(query_pairs).unwrap_or_default();
        let problems = discovery.query_violations(&found, &query);
        if !problems.is_empty() {
            self.violation(format!("{method} {path}: {problems:?}"));
            return google_error(400, &format!("Invalid query parameters: {problems:?}"));
        }
        let ruled = if scope == SCOPE {
            self.rules(&found.id, &query, &body)
        } else {
            self.provisioning
                .lock()
                .unwrap()
                .rules(&found.id, path, &query, &body)
        };
        if let Err(problem) = ruled {
            self.violation(format!("{method} {path}: {problem}"));
            return google_error(400, &problem);
        }
        // The request conforms to the contract, so it is recorded whatever the answer: a 404
        // for a device the stand-in does not hold is Google's answer to a legitimate request
        // (e.g. deleting a device that is already gone), and tests may well look for it. In
        // bulk mode, a device's apply or unclaim is only counted (a million of them would not
        // fit in a log).
        let bulk = scope != SCOPE
            && (found.id.ends_with(".devices.applyConfiguration")
                || found.id.ends_with(".devices.unclaim"))
            && self.provisioning.lock().unwrap().bulk();
        if !bulk {
            self.log.lock().unwrap().requests.push(Recorded {
                method: found.id.clone(),
                path: path.to_string(),
                query: query.clone(),
                body: body.clone(),
            });
        }
        let answer = if scope == SCOPE {
            self.result(&found.id, path, &query, &body)
        } else {
            self.provisioning
                .lock()
                .unwrap()
                .result(&found.id, path, &query, &body)
        };
        let answer = match answer {
            Ok(answer) => answer,
            Err(error) => return error,
        };
        if let Some(schema) = &found.response {
            let problems = discovery.violations(schema, &answer);
            assert!(
                problems.is_empty(),
                "stand-in answer departs from {schema}: {problems:?}"
            );
        }
        (200, answer)
    }

    /// The rules of method `id` the discovery document states in its descriptions rather than
    /// its schemas, as Google enforces them (with a 400).
    fn rules(&self, id: &str, query: &[(String, String)], body: &Value) -> Result<(), String> {
        match id.trim_start_matches("androidmanagement.enterprises.") {
            "devices.list" => match param(query, "pageToken") {
                Some(token) if !token.is_empty() && page_after(token).is_none() => Err(format!(
                    "pageToken {token:?} is not one this stand-in issued"
                )),
                _ => Ok(()),
            },
            "devices.patch" => {
                let paths = mask_paths(param(query, "updateMask"));
                if let Some(unknown) = paths
                    .iter()
                    .flatten()
                    .find(|p| !self.discovery.has_field("Device", p))
                {
                    return Err(format!("updateMask: {unknown:?} is not a field of Device"));
                }
                let sets_state = paths.map_or(body.get("state").is_some(), |paths| {
                    paths.iter().any(|p| p == "state")
                });
                // "when calling enterprises.devices.patch, ACTIVE and DISABLED are the only
                // allowable values" (Device.state).
                match body["state"].as_str() {
                    Some(state) if sets_state && state != "ACTIVE" && state != "DISABLED" => Err(
                        format!("devices.patch may set state ACTIVE or DISABLED, not {state}"),
                    ),
                    None if sets_state => Err("devices.patch may not clear state".into()),
                    _ => Ok(()),
                }
            }
            // COMMAND_TYPE_UNSPECIFIED: "This value is disallowed."
            "devices.issueCommand" => match body["type"].as_str() {
                None | Some("COMMAND_TYPE_UNSPECIFIED") => {
                    Err("a Command needs its type".to_string())
                }
                Some(_) => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// What the API answers to an accepted request: the answer, or Google's error.
    fn result(
        &self,
        id: &str,
        path: &str,
        query: &[(String, String)],
        body: &Value,
    ) -> Result<Value, Answer> {
        let resource = path.trim_start_matches("/v1/");
        Ok(
            match id.trim_start_matches("androidmanagement.enterprises.") {
                "enrollmentTokens.create" => {
                    let seconds: u64 = body["duration"]
                        .as_str()
                        .and_then(|d| d.strip_suffix('s'))
                        .and_then(|d| d.parse().ok())
                        .unwrap_or(3600);
                    let n = self.log.lock().unwrap().requests.len();
                    let value = format!("TOKEN{n:04}ABCDEFGHIJ");
                    let qr = json!({
                        "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME":
                            "com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver",
                        "android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM":
                            "I5YvS0O5hXY46mb01BlRjq4oJJGs2kuUcHvVkAPEXlg",
                        "android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION":
                            "https://play.google.com/managed/downloadManagingApp?identifier=setup",
                        "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE": {
                            "com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN": value,
                        },
                    });
                    let mut token = json!({
                        "name": format!("{resource}/tok{n:04}"),
                        "value": value,
                        "duration": format!("{seconds}s"),
                        "expirationTimestamp": timestamp(now() + seconds),
                        "policyName": body["policyName"].as_str().map(str::to_string)
                            .unwrap_or_else(|| format!("{}/policies/default", resource.trim_end_matches("/enrollmentTokens"))),
                        "qrCode": qr.to_string(),
                        "oneTimeOnly": false,
                    });
                    if let Some(data) = body["additionalData"].as_str() {
                        token["additionalData"] = json!(data);
                    }
                    token
                }
                "policies.patch" => {
                    let mut policy = body.clone();
                    policy["name"] = json!(resource);
                    policy["version"] = json!("1");
                    policy
                }
                "devices.list" => self.device_page(resource.trim_end_matches("/devices"), query),
                "devices.get" => self.device(resource).ok_or_else(not_found)?,
                "devices.patch" => {
                    let mut device = self.device(resource).ok_or_else(not_found)?;
                    let paths = mask_paths(param(query, "updateMask")).unwrap_or_else(|| {
                        body.as_object()
                            .map(|b| b.keys().cloned().collect())
                            .unwrap_or_default()
                    });
                    // The name is the device's, whatever the body says.
                    for path in paths.iter().filter(|p| p.as_str() != "name") {
                        set_field(&mut device, path, field(body, path).cloned());
                    }
                    // "You can specify only the policyId ... The rest of the policy name is
                    // inferred" (Device.policyName).
                    if let Some(id) = device["policyName"].as_str().filter(|p| !p.contains('/')) {
                        let enterprise = resource.split("/devices/").next().unwrap_or_default();
                        device["policyName"] = json!(format!("{enterprise}/policies/{id}"));
                    }
                    if !self.replace_device(device.clone()) {
                        return Err(not_found());
                    }
                    device
                }
                "devices.delete" => {
                    let mut devices = self.devices.lock().unwrap();
                    let before = devices.stored.len();
                    devices.stored.retain(|(_, d)| d["name"] != resource);
                    if devices.stored.len() == before {
                        return Err(not_found());
                    }
                    json!({})
                }
                "devices.issueCommand" => {
                    let name = resource.trim_end_matches(":issueCommand");
                    let device = self.device(name).ok_or_else(not_found)?;
                    let n = {
                        let mut devices = self.devices.lock().unwrap();
                        devices.operations += 1;
                        devices.operations
                    };
                    // The operation's metadata is the Command, as the server completes it.
                    let mut command = json!({
                        "@type": "type.googleapis.com/google.android.devicemanagement.v1.Command",
                        "duration": "600s",
                    });
                    for (k, v) in body.as_object().into_iter().flatten() {
                        command[k] = v.clone();
                    }
                    command["createTime"] = json!(timestamp(now()));
                    if let Some(user) = device["userName"].as_str() {
                        command["userName"] = json!(user);
                    }
                    json!({
                        "name": format!("{name}/operations/{n}"),
                        "done": false,
                        "metadata": command,
                    })
                }
                _ => json!({}),
            },
        )
    }

    /// A `devices.list` page of `parent`'s devices: after the page token's, at most [`PAGE`]
    /// (or `pageSize`, when smaller and positive), with a `nextPageToken` when more follow.
    fn device_page(&self, parent: &str, query: &[(String, String)]) -> Value {
        let after = param(query, "pageToken").and_then(page_after).unwrap_or(0);
        let size = param(query, "pageSize")
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|&s| s > 0)
            .map_or(PAGE, |s| s.min(PAGE));
        let prefix = format!("{parent}/devices/");
        let devices = self.devices.lock().unwrap();
        let mut rest = devices.stored.iter().filter(|(n, d)| {
            *n > after && d["name"].as_str().is_some_and(|d| d.starts_with(&prefix))
        });
        let page: Vec<&(u64, Value)> = rest.by_ref().take(size).collect();
        let mut answer = json!({});
        if !page.is_empty() {
            answer["devices"] = page.iter().map(|(_, d)| d.clone()).collect();
        }
        if let (Some((last, _)), Some(_)) = (page.last(), rest.next()) {
            answer["nextPageToken"] = json!(page_token(*last));
        }
        answer
    }

    /// The OAuth 2 token endpoint: a JWT bearer grant signed by the test service account.
    fn token(&self, body: &[u8]) -> Answer {
        let form: std::collections::HashMap<String, String> =
            form_pairs(std::str::from_utf8(body).unwrap_or_default());
        let refuse = |why: String| {
            self.violation(format!("token endpoint: {why}"));
            (
                400,
                json!({"error": "invalid_grant", "error_description": why}),
            )
        };
        if form.get("grant_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
        {
            return refuse(format!("grant_type {:?}", form.get("grant_type")));
        }
        let Some(assertion) = form.get("assertion") else {
            return refuse("no assertion".into());
        };
        let parts: Vec<&str> = assertion.split('.').collect();
        if parts.len() != 3 {
            return refuse("the assertion is not a JWT".into());
        }
        let decode = |p: &str| URL_SAFE_NO_PAD.decode(p).unwrap_or_default();
        let header: Value = serde_json::from_slice(&decode(parts[0])).unwrap_or_default();
        let claims: Value = serde_json::from_slice(&decode(parts[1])).unwrap_or_default();
        if header["alg"] != "RS256" {
            return refuse(format!("alg {}", header["alg"]));
        }
        let mut verifier =
            openssl::sign::Verifier::new(MessageDigest::sha256(), &self.account).unwrap();
        verifier
            .update(format!("{}.{}", parts[0], parts[1]).as_bytes())
            .unwrap();
        if !verifier.verify(&decode(parts[2])).unwrap_or(false) {
            return refuse("the assertion's signature does not verify".into());
        }
        let t = now();
        if claims["iss"] != CLIENT_EMAIL
            || claims["aud"] != self.token_uri.as_str()
            || !claims["scope"]
                .as_str()
                .is_some_and(|s| s.split(' ').any(|s| s == SCOPE || s == ZERO_TOUCH_SCOPE))
            || claims["iat"].as_u64().is_none_or(|iat| iat > t + 60)
            || claims["exp"]
                .as_u64()
                .is_none_or(|exp| exp <= t || exp > t + 3600 + 60)
        {
            return refuse(format!("claims {claims}"));
        }
        let token = {
            let mut log = self.log.lock().unwrap();
            let token = format!("ya29.test-{}", log.tokens_issued.len() + 1);
            log.tokens_issued.push(token.clone());
            log.token_scopes
                .push(claims["scope"].as_str().unwrap_or_default().to_string());
            token
        };
        (
            200,
            json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}),
        )
    }
}

fn form_pairs(body: &str) -> std::collections::HashMap<String, String> {
    query_pairs(body).into_iter().collect()
}

#[cfg(test)]
mod tests {
    //! The stand-in's answers through [`Shared::respond`], without a server.

    use super::*;

    fn stand_in() -> Shared {
        let s = Shared::new("https://localhost:1/token".into());
        s.log.lock().unwrap().tokens_issued.push("t".into());
        s.log
            .lock()
            .unwrap()
            .token_scopes
            .push(format!("{SCOPE} {ZERO_TOUCH_SCOPE}"));
        s
    }

    /// `target` is the path and query, e.g. `/v1/enterprises/e1/devices?pageSize=1`.
    fn call(s: &Shared, method: &str, target: &str, body: Option<Value>) -> Answer {
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (target, None),
        };
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        s.respond(method, path, query, "Bearer t", body.as_bytes())
    }

    fn device(enterprise: &str, id: &str) -> Value {
        json!({
            "name": format!("enterprises/{enterprise}/devices/{id}"),
            "state": "ACTIVE",
            "appliedState": "ACTIVE",
            "managementMode": "DEVICE_OWNER",
            "ownership": "COMPANY_OWNED",
            "enrollmentTime": "2025-01-02T03:04:05Z",
            "enrollmentTokenName": format!("enterprises/{enterprise}/enrollmentTokens/tok"),
            "enrollmentTokenData": "{\"profile\":\"p1\"}",
            "policyName": format!("enterprises/{enterprise}/policies/default"),
            "appliedPolicyName": format!("enterprises/{enterprise}/policies/default"),
            "appliedPolicyVersion": "1",
            "policyCompliant": false,
            "userName": format!("enterprises/{enterprise}/users/u1"),
            "hardwareInfo": {"serialNumber": format!("SN-{id}"), "manufacturer": "Google", "model": "Pixel 8"},
            "softwareInfo": {"androidVersion": "15", "securityPatchLevel": "2025-01-05"},
            "networkInfo": {"imei": "490154203237518"},
        })
    }

    fn names(page: &Value) -> Vec<&str> {
        page["devices"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| d["name"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn devices_list_in_pages() {
        let s = stand_in();
        for id in ["d1", "d2", "d3"] {
            s.add_device(device("e1", id));
        }
        s.add_device(device("e2", "x1"));
        let (status, first) = call(&s, "GET", "/v1/enterprises/e1/devices", None);
        assert_eq!(status, 200, "{first}");
        assert_eq!(
            names(&first),
            ["enterprises/e1/devices/d1", "enterprises/e1/devices/d2"]
        );
        let token = first["nextPageToken"].as_str().unwrap();
        let (_, second) = call(
            &s,
            "GET",
            &format!("/v1/enterprises/e1/devices?pageToken={token}&pageSize=100"),
            None,
        );
        assert_eq!(second, json!({"devices": [device("e1", "d3")]}));
        let (_, one) = call(&s, "GET", "/v1/enterprises/e1/devices?pageSize=1", None);
        assert_eq!(names(&one), ["enterprises/e1/devices/d1"]);
        assert!(one["nextPageToken"].is_string());
        assert_eq!(
            call(&s, "GET", "/v1/enterprises/e3/devices", None),
            (200, json!({}))
        );
        let requests = s.log.lock().unwrap().requests.clone();
        assert_eq!(
            requests[1].method,
            "androidmanagement.enterprises.devices.list"
        );
        assert_eq!(
            requests[1].query,
            [
                ("pageToken".to_string(), token.to_string()),
                ("pageSize".to_string(), "100".to_string())
            ]
        );
        assert!(s.log.lock().unwrap().violations.is_empty());
    }

    #[test]
    fn devices_get_patch_delete_and_commands() {
        let s = stand_in();
        s.add_device(device("e1", "d1"));
        let (status, got) = call(&s, "GET", "/v1/enterprises/e1/devices/d1", None);
        assert_eq!((status, got), (200, device("e1", "d1")));

        let (status, patched) = call(
            &s,
            "PATCH",
            "/v1/enterprises/e1/devices/d1?updateMask=policy_name,state",
            Some(json!({"policyName": "cosu", "state": "DISABLED", "policyCompliant": true})),
        );
        assert_eq!(status, 200, "{patched}");
        assert_eq!(patched["policyName"], "enterprises/e1/policies/cosu");
        assert_eq!(patched["state"], "DISABLED");
        assert_eq!(patched["policyCompliant"], false, "not in the mask");
        s.set_device("enterprises/e1/devices/d1", |d| {
            d["policyCompliant"] = json!(true)
        });
        assert_eq!(s.devices()[0]["policyCompliant"], true);

        let (status, op) = call(
            &s,
            "POST",
            "/v1/enterprises/e1/devices/d1:issueCommand",
            Some(json!({"type": "LOCK"})),
        );
        assert_eq!(status, 200, "{op}");
        assert_eq!(op["name"], "enterprises/e1/devices/d1/operations/1");
        assert_eq!(op["done"], false);
        assert_eq!(op["metadata"]["type"], "LOCK");

        let (status, gone) = call(
            &s,
            "DELETE",
            "/v1/enterprises/e1/devices/d1?wipeDataFlags=WIPE_EXTERNAL_STORAGE\
             &wipeDataFlags=WIPE_ESIMS&wipeReasonMessage=Lost%20phone",
            None,
        );
        assert_eq!((status, gone), (200, json!({})));
        assert!(s.devices().is_empty());
        let delete = s.log.lock().unwrap().requests.last().unwrap().clone();
        assert_eq!(
            delete.query[2],
            ("wipeReasonMessage".into(), "Lost phone".into())
        );

        // A device that is not (any more) there: Google's 404, recorded, no violation.
        for (method, target, body) in [
            ("GET", "/v1/enterprises/e1/devices/d1", None),
            ("DELETE", "/v1/enterprises/e1/devices/d1", None),
            (
                "PATCH",
                "/v1/enterprises/e1/devices/d1",
                Some(json!({"state": "ACTIVE"})),
            ),
            (
                "POST",
                "/v1/enterprises/e1/devices/d1:issueCommand",
                Some(json!({"type": "REBOOT"})),
            ),
        ] {
            let (status, error) = call(&s, method, target, body);
            assert_eq!(status, 404, "{method} {target}");
            assert_eq!(error["error"]["status"], "NOT_FOUND");
        }
        let log = s.log.lock().unwrap();
        assert_eq!(log.requests.len(), 8);
        assert!(log.violations.is_empty(), "{:?}", log.violations);
    }

    #[test]
    fn contract_departures_are_refused_and_recorded() {
        let s = stand_in();
        s.add_device(device("e1", "d1"));
        for (method, target, body) in [
            ("GET", "/v1/enterprises/e1/devices?pageSize=two", None),
            ("GET", "/v1/enterprises/e1/devices?page_size=1", None),
            ("GET", "/v1/enterprises/e1/devices?pageToken=bogus", None),
            (
                "GET",
                "/v1/enterprises/e1/devices?pageSize=1&pageSize=2",
                None,
            ),
            (
                "GET",
                "/v1/enterprises/e1/devices/d1?parent=enterprises/e1",
                None,
            ),
            (
                "DELETE",
                "/v1/enterprises/e1/devices/d1?wipeDataFlags=WIPE_ALL",
                None,
            ),
            (
                "PATCH",
                "/v1/enterprises/e1/devices/d1?updateMask=color",
                Some(json!({})),
            ),
            (
                "PATCH",
                "/v1/enterprises/e1/devices/d1",
                Some(json!({"state": "LOST"})),
            ),
            (
                "POST",
                "/v1/enterprises/e1/devices/d1:issueCommand",
                Some(json!({"duration": "60s"})),
            ),
            (
                "POST",
                "/v1/enterprises/e1/devices/d1:issueCommand",
                Some(json!({"type": "SELF_DESTRUCT"})),
            ),
            ("POST", "/v1/enterprises/e1/devices/d1:selfDestruct", None),
        ] {
            let (status, _) = call(&s, method, target, body);
            assert!(
                status == 400 || status == 404,
                "{method} {target}: {status}"
            );
        }
        let log = s.log.lock().unwrap();
        assert!(log.requests.is_empty(), "{:?}", log.requests);
        assert_eq!(log.violations.len(), 11, "{:#?}", log.violations);
        // The document's standard parameters are every method's.
        drop(log);
        let (status, _) = call(
            &s,
            "GET",
            "/v1/enterprises/e1/devices/d1?prettyPrint=false&alt=json",
            None,
        );
        assert_eq!(status, 200);
    }

    #[test]
    fn zero_touch_customer_api() {
        let s = stand_in();
        s.provisioning
            .lock()
            .unwrap()
            .add_customer("1", "Acme", "TERMS_STATUS_ACCEPTED");
        s.provisioning
            .lock()
            .unwrap()
            .add_customer("2", "Late", "TERMS_STATUS_NOT_ACCEPTED");
        let imei_device = s.provisioning.lock().unwrap().add_device(
            "1",
            json!({"imei": "490154203237518", "manufacturer": "Google"}),
        );
        let (status, first) = call(&s, "GET", "/v1/customers?pageSize=1", None);
        assert_eq!(status, 200, "{first}");
        assert_eq!(first["customers"][0]["companyId"], "1");
        let token = first["nextPageToken"].as_str().unwrap().to_string();
        let (_, second) = call(
            &s,
            "GET",
            &format!("/v1/customers?pageSize=100&pageToken={token}"),
            None,
        );
        assert_eq!(
            second["customers"][0]["termsStatus"],
            "TERMS_STATUS_NOT_ACCEPTED"
        );

        let good = json!({"configurationName": "Sales", "companyName": "Acme",
            "contactEmail": "help@acme.example", "contactPhone": "+33 1 23", "isDefault": true,
            "dpcResourcePath": "customers/1/dpcs/corral", "dpcExtras": "{}"});
        let (status, made) = call(
            &s,
            "POST",
            "/v1/customers/1/configurations",
            Some(good.clone()),
        );
        assert_eq!(status, 200, "{made}");
        let name = made["name"].as_str().unwrap().to_string();
        let (_, other) = call(
            &s,
            "POST",
            "/v1/customers/1/configurations",
            Some(good.clone()),
        );
        let (_, first_now) = call(&s, "GET", &format!("/v1/{name}"), None);
        assert_eq!(first_now["isDefault"], false, "one default at a time");
        assert_eq!(other["isDefault"], true);
        let (status, patched) = call(
            &s,
            "PATCH",
            &format!("/v1/{name}?updateMask=companyName"),
            Some(json!({"companyName": "Acme SA"})),
        );
        assert_eq!(
            (status, patched["companyName"].clone()),
            (200, json!("Acme SA"))
        );

        let apply = json!({"configuration": name, "device": {"deviceId": imei_device}});
        assert_eq!(
            call(
                &s,
                "POST",
                "/v1/customers/1/devices:applyConfiguration",
                Some(apply)
            )
            .0,
            200
        );
        let (status, refused) = call(&s, "DELETE", &format!("/v1/{name}"), None);
        assert_eq!(
            (status, refused["error"]["status"].clone()),
            (400, json!("FAILED_PRECONDITION"))
        );
        let by_imei = json!({"device": {"deviceIdentifier": {"imei": "490154203237518"}}});
        assert_eq!(
            call(
                &s,
                "POST",
                "/v1/customers/1/devices:removeConfiguration",
                Some(by_imei.clone())
            )
            .0,
            200
        );
        assert_eq!(call(&s, "DELETE", &format!("/v1/{name}"), None).0, 200);
        s.provisioning.lock().unwrap().fail_next(&[429]);
        assert_eq!(
            call(
                &s,
                "POST",
                "/v1/customers/1/devices:unclaim",
                Some(by_imei.clone())
            )
            .0,
            429
        );
        assert_eq!(
            call(
                &s,
                "POST",
                "/v1/customers/1/devices:unclaim",
                Some(by_imei.clone())
            )
            .0,
            200
        );
        assert_eq!(
            call(&s, "POST", "/v1/customers/1/devices:unclaim", Some(by_imei)).0,
            404
        );
        // Terms not accepted: Google's 403 with a TosError, not a violation.
        let (status, tos) = call(&s, "GET", "/v1/customers/2/configurations", None);
        assert_eq!(status, 403);
        assert!(tos["error"]["details"][0]["@type"]
            .as_str()
            .unwrap()
            .ends_with("TosError"));
        assert!(
            s.log.lock().unwrap().violations.is_empty(),
            "{:?}",
            s.log.lock().unwrap().violations
        );

        // Departures from the contract.
        let mut bad_phone = good.clone();
        bad_phone["contactPhone"] = json!("call me");
        let mut output_only = good.clone();
        output_only["configurationId"] = json!("9");
        let mut no_default = good.clone();
        no_default.as_object_mut().unwrap().remove("isDefault");
        for (method, target, body) in [
            ("GET", "/v1/customers", None),
            ("GET", "/v1/customers?pageSize=101", None),
            ("POST", "/v1/customers/1/configurations", Some(bad_phone)),
            ("POST", "/v1/customers/1/configurations", Some(output_only)),
            ("POST", "/v1/customers/1/configurations", Some(no_default)),
            (
                "PATCH",
                "/v1/customers/1/configurations/502",
                Some(json!({"companyName": "x"})),
            ),
            (
                "PATCH",
                "/v1/customers/1/configurations/502?updateMask=name",
                Some(json!({})),
            ),
            (
                "POST",
                "/v1/customers/1/devices:applyConfiguration",
                Some(
                    json!({"configuration": "customers/2/configurations/502", "device": {"deviceId": "1"}}),
                ),
            ),
            (
                "POST",
                "/v1/customers/1/devices:unclaim",
                Some(json!({"device": {"deviceIdentifier": {"imei": "490154203237519"}}})),
            ),
            (
                "POST",
                "/v1/customers/1/devices:unclaim",
                Some(json!({"device": {"deviceIdentifier": {"serialNumber": "S1"}}})),
            ),
            (
                "POST",
                "/v1/customers/1/devices:unclaim",
                Some(
                    json!({"device": {"deviceId": "1", "deviceIdentifier": {"imei": "490154203237518"}}}),
                ),
            ),
            (
                "POST",
                "/v1/customers/1/devices:unclaim",
                Some(
                    json!({"device": {"deviceIdentifier": {"imei": "490154203237518", "deviceType": "PHONE"}}}),
                ),
            ),
            ("GET", "/v1/customers/1/devices?pageToken=bogus", None),
        ] {
            let (status, answer) = call(&s, method, target, body);
            assert_eq!(status, 400, "{method} {target}: {answer}");
        }
        assert_eq!(
            s.log.lock().unwrap().violations.len(),
            13,
            "{:#?}",
            s.log.lock().unwrap().violations
        );
    }

    #[test]
    fn a_token_serves_only_the_api_of_its_scope() {
        let s = Shared::new("https://localhost:1/token".into());
        s.log.lock().unwrap().tokens_issued.push("t".into());
        s.log.lock().unwrap().token_scopes.push(SCOPE.into());
        s.provisioning
            .lock()
            .unwrap()
            .add_customer("1", "Acme", "TERMS_STATUS_ACCEPTED");
        assert_eq!(call(&s, "GET", "/v1/customers?pageSize=1", None).0, 403);
        assert_eq!(s.log.lock().unwrap().violations.len(), 1);
    }

    #[test]
    #[should_panic(expected = "not a Device")]
    fn a_device_departing_from_the_schema_is_refused() {
        let mut d = device("e1", "d1");
        d["state"] = json!("ENROLLED");
        stand_in().add_device(d);
    }
}
