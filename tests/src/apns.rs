//! A stand-in of Apple's push service (APNs) for MDM pushes: HTTP/2 over TLS (ALPN `h2` only),
//! a client certificate required and issued by the stand-in's "Apple" CA (the tenants' MDM push
//! certificates, made by [`ApnsStandIn::push_certificate`]). It refuses, with APNs' status and
//! reason, what the provider API does not allow for an MDM push:
//!
//! - anything but `POST /3/device/<hex token>`;
//! - `apns-push-type` other than `mdm` (InvalidPushType);
//! - `apns-topic` missing (MissingTopic) or not the UID of the client certificate's subject
//!   (TopicDisallowed);
//! - `apns-expiration` missing or not a whole number of seconds, or in the past but not 0
//!   (BadExpirationDate); `apns-priority` other than 5 or 10 (BadPriority);
//! - a body other than a JSON object with exactly one string member `mdm` (BadPayload).
//!
//! Every push and refusal is recorded; statuses queued with [`ApnsStandIn::answer_next`]
//! answer the next pushes instead of 200 (after the checks), and a hook may run before each
//! answer (a device polling as soon as it is woken).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::ssl::{AlpnError, Ssl, SslAcceptor, SslMethod, SslVerifyMode};
use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage};
use openssl::x509::{X509NameBuilder, X509};

/// One push as received.
#[derive(Debug, Clone)]
pub struct Push {
    pub token: String,
    pub topic: String,
    pub push_magic: String,
    pub expiration: i64,
    pub priority: String,
    /// The status answered.
    pub status: u16,
}

type Hook =
    Arc<dyn Fn(&Push) -> Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send + Sync>;

#[derive(Default)]
struct State {
    pushes: Vec<Push>,
    refusals: Vec<String>,
    script: VecDeque<u16>,
    hook: Option<Hook>,
}

pub struct ApnsStandIn {
    pub url: String,
    ca_file: PathBuf,
    apple_ca: X509,
    apple_key: PKey<Private>,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ApnsStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn rsa() -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
}

impl ApnsStandIn {
    /// Starts the stand-in on a free loopback port; its server CA is written under `dir`.
    pub async fn start(dir: &Path) -> ApnsStandIn {
        let ca_file = dir.join("apns-ca.pem");
        let (ca_pem, cert_pem, key_pem) = crate::google::test_pki("Corral test CA apns");
        std::fs::write(&ca_file, &ca_pem).unwrap();

        // The "Apple" CA that issues push certificates.
        let apple_key = rsa();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "Stand-in Apple Push CA")
            .unwrap();
        let name = name.build();
        let mut ca = X509::builder().unwrap();
        ca.set_version(2).unwrap();
        ca.set_serial_number(&BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap())
            .unwrap();
        ca.set_subject_name(&name).unwrap();
        ca.set_issuer_name(&name).unwrap();
        ca.set_pubkey(&apple_key).unwrap();
        ca.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        ca.set_not_after(&Asn1Time::days_from_now(800).unwrap())
            .unwrap();
        ca.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
        ca.sign(&apple_key, MessageDigest::sha256()).unwrap();
        let apple_ca = ca.build();

        let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
        acceptor
            .set_certificate(&X509::from_pem(&cert_pem).unwrap())
            .unwrap();
        acceptor
            .set_private_key(&PKey::private_key_from_pem(&key_pem).unwrap())
            .unwrap();
        acceptor
            .cert_store_mut()
            .add_cert(apple_ca.clone())
            .unwrap();
        acceptor.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        acceptor.set_alpn_select_callback(|_, offered| {
            openssl::ssl::select_next_proto(b"\x02h2", offered).ok_or(AlpnError::ALERT_FATAL)
        });
        let acceptor = Arc::new(acceptor.build());

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "https://localhost:{}",
            listener.local_addr().unwrap().port()
        );
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (acceptor, state) = (acceptor.clone(), shared.clone());
                tokio::spawn(async move {
                    let ssl = Ssl::new(acceptor.context()).unwrap();
                    let mut tls = tokio_openssl::SslStream::new(ssl, tcp).unwrap();
                    if Pin::new(&mut tls).accept().await.is_err() {
                        return;
                    }
                    if tls.ssl().selected_alpn_protocol() != Some(b"h2") {
                        state.lock().unwrap().refusals.push("not HTTP/2".into());
                        return;
                    }
                    let cert_topic = tls
                        .ssl()
                        .peer_certificate()
                        .and_then(|c| {
                            c.subject_name()
                                .entries_by_nid(Nid::USERID)
                                .next()
                                .and_then(|e| e.data().to_string().ok())
                        })
                        .unwrap_or_default();
                    let service = hyper::service::service_fn(move |req| {
                        let (state, cert_topic) = (state.clone(), cert_topic.clone());
                        async move { Ok::<_, Infallible>(answer(&state, &cert_topic, req).await) }
                    });
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        ApnsStandIn {
            url,
            ca_file,
            apple_ca,
            apple_key,
            state,
            task,
        }
    }

    /// A test environment on `db` whose servers push to this stand-in (retries after 200 ms).
    pub async fn env(&self, db: crate::Db) -> crate::Env {
        crate::Env::new(db)
            .await
            .with_env("CORRAL_APNS_URL", &self.url)
            .with_env("CORRAL_APNS_EXTRA_ROOTS", self.ca_file().to_str().unwrap())
            .with_env("CORRAL_APNS_RETRY_MS", "200")
    }

    /// Uploads, as `admin`, a push certificate for `topic` valid `days` days (the answer).
    pub async fn install(
        &self,
        admin: &crate::Client,
        topic: &str,
        days: u32,
        confirm_topic_change: bool,
    ) -> crate::Reply {
        let (certificate, key) = self.push_certificate(topic, days);
        admin
            .send(
                "PUT",
                "/api/v1/apple/push-certificate",
                Some(
                    serde_json::json!({"certificate": certificate, "private_key": key,
                    "confirm_topic_change": confirm_topic_change}),
                ),
            )
            .await
    }

    /// The PEM file of the stand-in's server CA (for `CORRAL_APNS_EXTRA_ROOTS`).
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// An MDM push certificate for `topic` as Apple issues them (`UID=<topic>` in the
    /// subject), valid for `days` from now: (certificate PEM, PKCS#1 key PEM).
    pub fn push_certificate(&self, topic: &str, days: u32) -> (String, String) {
        let key = rsa();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_nid(Nid::USERID, topic).unwrap();
        let uuid = topic.rsplit('.').next().unwrap_or(topic);
        name.append_entry_by_text("CN", &format!("APSP:{uuid}"))
            .unwrap();
        name.append_entry_by_text("C", "US").unwrap();
        let name = name.build();
        let mut b = X509::builder().unwrap();
        b.set_version(2).unwrap();
        let serial = BigNum::from_u32(rand_serial()).unwrap();
        b.set_serial_number(&serial.to_asn1_integer().unwrap())
            .unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(self.apple_ca.subject_name()).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(days).unwrap())
            .unwrap();
        b.append_extension(ExtendedKeyUsage::new().client_auth().build().unwrap())
            .unwrap();
        b.sign(&self.apple_key, MessageDigest::sha256()).unwrap();
        let cert = b.build();
        let rsa_key = key.rsa().unwrap();
        (
            String::from_utf8(cert.to_pem().unwrap()).unwrap(),
            String::from_utf8(rsa_key.private_key_to_pem().unwrap()).unwrap(),
        )
    }

    /// The pushes received, oldest first (refused ones not included).
    pub fn pushes(&self) -> Vec<Push> {
        self.state.lock().unwrap().pushes.clone()
    }

    /// What was refused as against the contract (expected empty).
    pub fn refusals(&self) -> Vec<String> {
        self.state.lock().unwrap().refusals.clone()
    }

    /// The next pushes (that pass the checks) are answered with these statuses, in turn.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.state.lock().unwrap().script.extend(statuses);
    }

    /// Runs `hook` on each push that passes the checks, before it is answered.
    pub fn on_push<F, Fut>(&self, hook: F)
    where
        F: Fn(Push) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let hook = Arc::new(hook);
        self.state.lock().unwrap().hook = Some(Arc::new(move |push: &Push| {
            let (hook, push) = (hook.clone(), push.clone());
            Box::pin(async move { hook(push).await })
        }));
    }

    /// Waits (at most `secs`) until `n` pushes answered 200 have arrived.
    pub async fn wait_delivered(&self, n: usize, secs: u64) -> Vec<Push> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let delivered: Vec<Push> = self
                .pushes()
                .into_iter()
                .filter(|p| p.status == 200)
                .collect();
            if delivered.len() >= n || std::time::Instant::now() > deadline {
                return delivered;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

fn rand_serial() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1000);
    NEXT.fetch_add(1, Ordering::Relaxed) + std::process::id() % 1000 * 100_000
}

fn reply(status: u16, reason: Option<&str>) -> Response<Full<Bytes>> {
    let body = reason
        .map(|r| format!("{{\"reason\":\"{r}\"}}"))
        .unwrap_or_default();
    Response::builder()
        .status(status)
        .header("apns-id", uuid::Uuid::now_v7().to_string())
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

async fn answer(
    state: &Arc<Mutex<State>>,
    cert_topic: &str,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let refuse = |status: u16, reason: &str, detail: String| {
        state
            .lock()
            .unwrap()
            .refusals
            .push(format!("{reason}: {detail}"));
        reply(status, Some(reason))
    };
    let path = req.uri().path().to_string();
    let token = path
        .strip_prefix("/3/device/")
        .unwrap_or_default()
        .to_string();
    if req.method() != hyper::Method::POST {
        return refuse(405, "MethodNotAllowed", req.method().to_string());
    }
    if token.len() < 64 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return refuse(400, "BadDeviceToken", path);
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    if header("apns-push-type").as_deref() != Some("mdm") {
        return refuse(
            400,
            "InvalidPushType",
            format!("{:?}", header("apns-push-type")),
        );
    }
    let Some(topic) = header("apns-topic") else {
        return refuse(400, "MissingTopic", String::new());
    };
    if topic != cert_topic {
        return refuse(
            400,
            "TopicDisallowed",
            format!("{topic} on {cert_topic}'s certificate"),
        );
    }
    let now = chrono::Utc::now().timestamp();
    let expiration = match header("apns-expiration").map(|e| e.parse::<i64>()) {
        Some(Ok(e)) if e == 0 || e > now => e,
        other => return refuse(400, "BadExpirationDate", format!("{other:?}")),
    };
    let priority = header("apns-priority").unwrap_or_default();
    if priority != "10" && priority != "5" {
        return refuse(400, "BadPriority", priority);
    }
    let Ok(body) = req.into_body().collect().await else {
        return refuse(400, "BadPayload", "unreadable".into());
    };
    let body: serde_json::Value = match serde_json::from_slice(&body.to_bytes()) {
        Ok(v) => v,
        Err(e) => return refuse(400, "BadPayload", e.to_string()),
    };
    let magic = match body.as_object() {
        Some(o) if o.len() == 1 && o.get("mdm").is_some_and(|m| m.is_string()) => {
            o["mdm"].as_str().unwrap_or_default().to_string()
        }
        _ => return refuse(400, "BadPayload", body.to_string()),
    };
    let (status, hook) = {
        let mut s = state.lock().unwrap();
        (s.script.pop_front().unwrap_or(200), s.hook.clone())
    };
    let push = Push {
        token,
        topic,
        push_magic: magic,
        expiration,
        priority,
        status,
    };
    if status == 200 {
        if let Some(hook) = hook {
            hook(&push).await;
        }
    }
    state.lock().unwrap().pushes.push(push);
    let reason = match status {
        200 => None,
        429 => Some("TooManyRequests"),
        410 => Some("Unregistered"),
        503 => Some("ServiceUnavailable"),
        _ => Some("InternalServerError"),
    };
    reply(status, reason)
}
