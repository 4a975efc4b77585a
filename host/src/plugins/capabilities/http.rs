//! The `http` capability: outbound HTTPS for plugins granted it, to the hosts the tenant allows.

use std::time::Duration;

use async_trait::async_trait;
use corral_plugin_runtime::{HttpClient, OutboundError, OutboundRequest, OutboundResponse};

/// Outbound HTTPS for plugins granted `http`. The runtime has already checked the allow-list
/// and resolved the host to public addresses (unless the operator allows private ones); the
/// connection goes only to those addresses, and redirects are not followed (each hop would
/// need the same checks).
pub struct TlsHttpClient {
    pub timeout: Duration,
    /// Trusted besides the system's certificate authorities (operator setting).
    pub extra_roots: Vec<reqwest::Certificate>,
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
        let mut client = reqwest::Client::builder();
        for root in &self.extra_roots {
            client = client.add_root_certificate(root.clone());
        }
        let client = client
            .resolve_to_addrs(&host, &request.addrs)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .build()
            .map_err(|e| OutboundError::Transport(e.to_string()))?;
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
