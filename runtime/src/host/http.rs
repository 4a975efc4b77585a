//! `corral:plugin/http`: outbound HTTPS under a default-deny policy.
//!
//! A request is sent only if: the URL is `https`; its host is on the
//! installation's allow-list (exact name or `*.suffix`); every address it
//! resolves to is public (loopback, private, link-local, CGNAT, multicast,
//! documentation and other special ranges are refused unless the operator set
//! `HostServices::allow_private_addresses`). The approved addresses are handed
//! to the [`crate::HttpClient`], which must connect only to them.

use std::net::{IpAddr, Ipv4Addr};

use crate::backend::{OutboundError, OutboundRequest};
use crate::state::HostState;
use crate::wit::since_v0_1_0::corral::plugin::http::{Host, HttpError, Request, Response};
use crate::wit::since_v0_1_0::corral::plugin::types::{HttpMethod, Property};

/// Whether an address is acceptable for outbound plugin traffic by default.
pub(crate) fn is_public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link local
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64
                || s[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible / reserved
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // CGNAT 100.64/10
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18/15
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF 192.0.0/24
        || o[0] >= 240) // reserved
}

fn host_allowed(host: &str, allow: &[String]) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    allow.iter().any(|pattern| {
        let p = pattern.to_ascii_lowercase();
        match p.strip_prefix("*.") {
            Some(suffix) => {
                host.len() > suffix.len() + 1
                    && host.ends_with(suffix)
                    && host[..host.len() - suffix.len()].ends_with('.')
            }
            None => host == p,
        }
    })
}

fn method(m: HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Delete => "DELETE",
    }
}

impl HostState {
    pub(super) async fn send_checked(&mut self, request: Request) -> Result<Response, HttpError> {
        let ctx = self.ctx.clone();
        let url =
            url::Url::parse(&request.url).map_err(|e| HttpError::InvalidUrl(e.to_string()))?;
        if url.scheme() != "https" {
            return Err(HttpError::Denied(format!(
                "scheme {} is not allowed, only https",
                url.scheme()
            )));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(HttpError::Denied(
                "credentials in URLs are not allowed".into(),
            ));
        }
        let host = url
            .host_str()
            .ok_or_else(|| HttpError::InvalidUrl("no host".into()))?
            .to_owned();
        if !host_allowed(
            host.trim_start_matches('[').trim_end_matches(']'),
            &ctx.grants.http_allow_hosts,
        ) {
            return Err(HttpError::Denied(format!(
                "host {host} is not on the allow-list"
            )));
        }
        if request
            .body
            .as_ref()
            .is_some_and(|b| b.len() > ctx.limits.max_http_body_bytes)
        {
            return Err(HttpError::Denied("request body too large".into()));
        }
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs = match url.host() {
            Some(url::Host::Ipv4(ip)) => vec![(IpAddr::V4(ip), port).into()],
            Some(url::Host::Ipv6(ip)) => vec![(IpAddr::V6(ip), port).into()],
            _ => ctx
                .services
                .http
                .resolve(&host, port)
                .await
                .map_err(|e| HttpError::Transport(e.to_string()))?,
        };
        if addrs.is_empty() {
            return Err(HttpError::Transport(format!("{host} did not resolve")));
        }
        if !ctx.services.allow_private_addresses
            && let Some(bad) = addrs.iter().find(|a| !is_public_address(a.ip()))
        {
            return Err(HttpError::Denied(format!(
                "{host} resolves to non-public address {}",
                bad.ip()
            )));
        }
        let out = OutboundRequest {
            method: method(request.method),
            url,
            headers: request
                .headers
                .into_iter()
                .map(|p| (p.name, p.value))
                .collect(),
            body: request.body,
            addrs,
        };
        let resp = tokio::time::timeout(ctx.limits.http_timeout, ctx.services.http.send(out))
            .await
            .map_err(|_| HttpError::Timeout)?
            .map_err(|e| match e {
                OutboundError::Timeout => HttpError::Timeout,
                OutboundError::TooLarge => HttpError::TooLarge,
                OutboundError::Transport(m) => HttpError::Transport(m),
            })?;
        if resp.body.len() > ctx.limits.max_http_body_bytes {
            return Err(HttpError::TooLarge);
        }
        Ok(Response {
            status: resp.status,
            headers: resp
                .headers
                .into_iter()
                .map(|(name, value)| Property { name, value })
                .collect(),
            body: resp.body,
        })
    }
}

impl Host for HostState {
    async fn send(&mut self, request: Request) -> Result<Response, HttpError> {
        self.send_checked(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_ranges() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(
                !is_public_address(bad.parse().unwrap()),
                "{bad} should be refused"
            );
        }
        for good in ["8.8.8.8", "142.250.74.110", "2a00:1450:4007:80e::200e"] {
            assert!(
                is_public_address(good.parse().unwrap()),
                "{good} should be allowed"
            );
        }
    }

    #[test]
    fn allow_list_matching() {
        let allow = vec!["api.vendor.com".to_string(), "*.googleapis.com".to_string()];
        assert!(host_allowed("api.vendor.com", &allow));
        assert!(host_allowed("API.Vendor.com.", &allow));
        assert!(host_allowed("androidmanagement.googleapis.com", &allow));
        assert!(!host_allowed("googleapis.com", &allow));
        assert!(!host_allowed("evilgoogleapis.com", &allow));
        assert!(!host_allowed("api.vendor.com.evil.net", &allow));
        assert!(!host_allowed("other.vendor.com", &allow));
    }
}
