//! A local stand-in of Google's endpoints for the AMAPI plugin's tests: HTTPS on loopback with
//! a certificate from a test CA (the server under test trusts it through
//! `CORRAL_PLUGIN_EXTRA_ROOTS`), an OAuth 2 token endpoint and the Android Management API.
//!
//! It holds every request to Google's contract, mechanically:
//! - the token endpoint checks the JWT bearer grant (RFC 7523): the assertion's RS256 signature
//!   against the test service account's public key, its issuer, audience, scope and expiry;
//! - every API request must carry a token it issued, name a method of the discovery document
//!   (method and path), and send a body that conforms to the method's request schema
//!   ([`Discovery::violations`]); anything else is answered with an error and recorded in
//!   [`GoogleStandIn::violations`], which a test asserts empty;
//! - answers are shaped like the API's (an `EnrollmentToken` with its `qrCode` provisioning
//!   JSON, `Empty`, ...), and are themselves checked against the response schema.

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

/// The e-mail of the test service account.
pub const CLIENT_EMAIL: &str = "corral-test@corral-test.iam.gserviceaccount.com";
pub const SCOPE: &str = "https://www.googleapis.com/auth/androidmanagement";

/// One API request the stand-in accepted.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The discovery method id, e.g. `androidmanagement.enterprises.enrollmentTokens.create`.
    pub method: String,
    /// Path after the host, e.g. `/v1/enterprises/LC01/enrollmentTokens`.
    pub path: String,
    pub body: Value,
}

#[derive(Default)]
struct Log {
    requests: Vec<Recorded>,
    violations: Vec<String>,
    tokens_issued: Vec<String>,
    revoked: usize,
}

struct Shared {
    discovery: Discovery,
    account: PKey<Private>,
    token_uri: String,
    log: Mutex<Log>,
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

/// A test CA and a `localhost` certificate it signed: (CA PEM, leaf PEM, leaf key PEM).
fn test_pki() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let ca_key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut ca = X509::builder().unwrap();
    ca.set_version(2).unwrap();
    ca.set_serial_number(&BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    ca.set_subject_name(&name("Corral test CA")).unwrap();
    ca.set_issuer_name(&name("Corral test CA")).unwrap();
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
        let (ca_pem, cert_pem, key_pem) = test_pki();
        let ca_file = dir.join("google-stand-in-ca.pem");
        std::fs::write(&ca_file, &ca_pem).unwrap();
        let identity = native_tls::Identity::from_pkcs8(&cert_pem, &key_pem).unwrap();
        let acceptor: tokio_native_tls::TlsAcceptor =
            native_tls::TlsAcceptor::new(identity).unwrap().into();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let base_url = format!("https://localhost:{port}");
        let shared = Arc::new(Shared {
            discovery: Discovery::android_management(),
            account: PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap(),
            token_uri: format!("{base_url}/token"),
            log: Mutex::default(),
        });
        let acceptor = Arc::new(acceptor);
        let serving = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (acceptor, shared) = (acceptor.clone(), serving.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |req| {
                        let shared = shared.clone();
                        async move { Ok::<_, Infallible>(shared.answer(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
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
}

fn reply(status: u16, body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

fn google_error(status: u16, message: &str) -> Response<Full<Bytes>> {
    reply(
        status,
        json!({"error": {"code": status, "message": message, "status": "INVALID_ARGUMENT"}}),
    )
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
    fn violation(&self, what: String) {
        self.log.lock().unwrap().violations.push(what);
    }

    async fn answer(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let method = req.method().as_str().to_string();
        let path = req.uri().path().to_string();
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = req.into_body().collect().await.unwrap().to_bytes();
        if path == "/token" && method == "POST" {
            return self.token(&body);
        }
        let (issued, revoked) = {
            let log = self.log.lock().unwrap();
            let position = auth
                .strip_prefix("Bearer ")
                .and_then(|t| log.tokens_issued.iter().position(|i| i == t));
            (
                position.is_some(),
                position.is_some_and(|p| p < log.revoked),
            )
        };
        if !issued {
            self.violation(format!("{method} {path}: no valid access token"));
        }
        if !issued || revoked {
            return google_error(401, "Request had invalid authentication credentials.");
        }
        let Some(found) = self.discovery.method(&method, path.trim_start_matches('/')) else {
            self.violation(format!("{method} {path}: no such API method"));
            return google_error(404, "Method not found.");
        };
        let body: Value = if body.is_empty() {
            Value::Null
        } else {
            match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(e) => {
                    self.violation(format!("{method} {path}: body is not JSON: {e}"));
                    return google_error(400, "Invalid JSON payload received.");
                }
            }
        };
        match (&found.request, &body) {
            (Some(schema), body) => {
                let problems = self.discovery.violations(schema, body);
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
        self.log.lock().unwrap().requests.push(Recorded {
            method: found.id.clone(),
            path: path.clone(),
            body: body.clone(),
        });
        let answer = self.result(&found.id, &path, &body);
        if let Some(schema) = &found.response {
            let problems = self.discovery.violations(schema, &answer);
            assert!(
                problems.is_empty(),
                "stand-in answer departs from {schema}: {problems:?}"
            );
        }
        reply(200, answer)
    }

    /// What the API answers to an accepted request.
    fn result(&self, id: &str, path: &str, body: &Value) -> Value {
        let resource = path.trim_start_matches("/v1/");
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
            _ => json!({}),
        }
    }

    /// The OAuth 2 token endpoint: a JWT bearer grant signed by the test service account.
    fn token(&self, body: &[u8]) -> Response<Full<Bytes>> {
        let form: std::collections::HashMap<String, String> =
            form_pairs(std::str::from_utf8(body).unwrap_or_default());
        let refuse = |why: String| {
            self.violation(format!("token endpoint: {why}"));
            reply(
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
                .is_some_and(|s| s.split(' ').any(|s| s == SCOPE))
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
            token
        };
        reply(
            200,
            json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}),
        )
    }
}

fn form_pairs(body: &str) -> std::collections::HashMap<String, String> {
    reqwest::Url::parse(&format!("http://x/?{body}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}
