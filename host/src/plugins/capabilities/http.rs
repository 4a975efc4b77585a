//! The `http` capability: outbound HTTPS for plugins granted it, to the hosts the tenant allows.
//!
//! Why clients are kept: building a `reqwest::Client` loads the system's certificate
//! authorities and a new client opens a new connection, so a client per request cost a
//! certificate store and a TLS handshake per vendor call (a 7-device AMAPI sync spent most of
//! its second of CPU there). A client is kept per host and approved addresses, so calls to a
//! vendor reuse its connections, and a host that resolves elsewhere gets a new client.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use corral_plugin_runtime::{HttpClient, OutboundError, OutboundRequest, OutboundResponse};

/// Outbound HTTPS for plugins granted `http`. The runtime has already checked the allow-list
/// and resolved the host to public addresses (unless the operator allows private ones); the
/// connection goes only to those addresses, and redirects are not followed (each hop would
/// need the same checks).
pub struct TlsHttpClient {
    timeout: Duration,
    /// Trusted besides the system's certificate authorities (operator setting).
    extra_roots: Vec<reqwest::Certificate>,
    clients: Mutex<HashMap<ClientKey, reqwest::Client>>,
}

/// A host and the addresses it was approved at (ports aside: the URL's port is used).
type ClientKey = (String, Vec<SocketAddr>);

/// Clients kept at most (all are dropped when full: one costs a handshake to rebuild).
const MAX_CLIENTS: usize = 256;
/// Idle connections kept per host and client.
const IDLE_PER_HOST: usize = 64;

impl TlsHttpClient {
    pub fn new(timeout: Duration, extra_roots: Vec<reqwest::Certificate>) -> TlsHttpClient {
        TlsHttpClient {
            timeout,
            extra_roots,
            clients: Mutex::default(),
        }
    }

    /// The client that connects `host` only to `addrs`.
    fn client(&self, host: &str, addrs: &[SocketAddr]) -> Result<reqwest::Client, OutboundError> {
        let key = (host.to_owned(), addrs.to_vec());
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let mut builder = reqwest::Client::builder();
        for root in &self.extra_roots {
            builder = builder.add_root_certificate(root.clone());
        }
        let client = builder
            .resolve_to_addrs(host, addrs)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .pool_max_idle_per_host(IDLE_PER_HOST)
            .build()
            .map_err(|e| OutboundError::Transport(e.to_string()))?;
        if clients.len() >= MAX_CLIENTS {
            clients.clear();
        }
        clients.insert(key, client.clone());
        Ok(client)
    }
}

/// The certificate authorities of the operator's PEM file, if one is set.
pub fn load_roots(
    path: Option<&std::path::Path>,
) -> Result<Vec<reqwest::Certificate>, crate::error::Error> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let pem = std::fs::read(path).map_err(|e| {
        crate::error::Error::Config(format!("plugin trust roots {}: {e}", path.display()))
    })?;
    reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        crate::error::Error::Config(format!("plugin trust roots {}: {e}", path.display()))
    })
}

#[async_trait]
impl HttpClient for TlsHttpClient {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        let host = request
            .url
            .host_str()
            .ok_or_else(|| OutboundError::Transport("URL without host".into()))?
            .to_string();
        let client = self.client(&host, &request.addrs)?;
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|e| OutboundError::Transport(e.to_string()))?;
        let mut builder = client.request(method, request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let response = builder.send().await.map_err(|e| {
            if e.is_timeout() {
                OutboundError::Timeout
            } else {
                OutboundError::Transport(e.to_string())
            }
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let body = response
            .bytes()
            .await
            .map_err(|e| OutboundError::Transport(e.to_string()))?
            .to_vec();
        Ok(OutboundResponse {
            status,
            headers,
            body,
        })
    }
}
