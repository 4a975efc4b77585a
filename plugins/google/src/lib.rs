//! Google's REST APIs as Corral's Google plugins (AMAPI, zero-touch) reach them: through the
//! host's `vendor` capability (the host adds the tenant's service-account token), JSON in and
//! out, query parameters given plain and percent-encoded here ([`query_string`]), and Google's
//! error answers (`{"error": {"code", "message", "status", "details"}}`) read into a
//! `plugin-error` an administrator can act on ([`refused`]).
//!
//! Why a crate of its own: both plugins speak to Google the same way; each keeps only what is
//! its API's (base URL, resource names, rules).

use corral_plugin_sdk::capabilities::http::{Request, Response};
use corral_plugin_sdk::capabilities::vendor;
use corral_plugin_sdk::types::{HttpMethod, PluginError, Property};
use serde_json::{Value, json};

/// One Google API: its base URL (`https://androidmanagement.googleapis.com`, or a tenant's
/// setting pointing elsewhere), without a trailing slash.
#[derive(Clone, Debug)]
pub struct Api {
    base: String,
}

impl Api {
    /// The API at `base` (a trailing slash is dropped).
    pub fn new(base: &str) -> Api {
        Api {
            base: base.trim_end_matches('/').to_string(),
        }
    }

    /// The API at the URL of the vendor setting `setting` if the tenant set one, else
    /// `default`.
    pub fn from_setting(setting: &str, default: &str) -> Api {
        Api::new(&vendor::setting(setting).unwrap_or_else(|| default.to_string()))
    }

    /// The absolute URL of `v1/{path}` with `query` (percent-encoded here; give it plain).
    pub fn url(&self, path: &str, query: &[(&str, &str)]) -> String {
        let mut url = format!("{}/v1/{path}", self.base);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query_string(query));
        }
        url
    }

    /// Sends one request with the tenant's credential: the status and the answer's JSON.
    pub fn send(
        &self,
        method: HttpMethod,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<(u16, Value), PluginError> {
        let mut headers = Vec::new();
        if body.is_some() {
            headers.push(Property {
                name: "content-type".into(),
                value: "application/json".into(),
            });
        }
        let request = Request {
            method,
            url: self.url(path, query),
            headers,
            body: body.map(|b| b.to_string().into_bytes()),
        };
        let Response { status, body, .. } =
            vendor::send(&request).map_err(|e| PluginError::Upstream(format!("{path}: {e:?}")))?;
        let answer: Value = if body.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(&body)
                .map_err(|e| PluginError::Upstream(format!("{path}: answer is not JSON: {e}")))?
        };
        Ok((status, answer))
    }

    /// [`Api::send`], and a 2xx answer's JSON (else the refusal, [`refused`]).
    pub fn call(
        &self,
        method: HttpMethod,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<Value, PluginError> {
        match self.send(method, path, query, body)? {
            (200..=299, answer) => Ok(answer),
            (status, answer) => Err(refused(path, status, &answer)),
        }
    }
}

/// `name=value&...` in the order given, encoded as `application/x-www-form-urlencoded`
/// (`form_urlencoded`, the `url` crate's); a name may come more than once (repeated parameters
/// such as `wipeDataFlags`).
pub fn query_string(query: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish()
}

/// Google's message in an error answer, if it has one.
pub fn error_message(answer: &Value) -> Option<&str> {
    answer["error"]["message"].as_str()
}

/// The `@type`s of an error answer's `details` (e.g. `...TosError`).
pub fn error_detail_types(answer: &Value) -> impl Iterator<Item = &str> {
    answer["error"]["details"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["@type"].as_str())
}

/// The refusal an administrator reads for a non-2xx answer.
pub fn refused(path: &str, status: u16, answer: &Value) -> PluginError {
    let message = error_message(answer).unwrap_or("no message");
    PluginError::Upstream(format!("{path}: Google answered {status}: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_string(&[]), "");
        assert_eq!(
            query_string(&[("pageToken", "a+b/c=="), ("pageSize", "100")]),
            "pageToken=a%2Bb%2Fc%3D%3D&pageSize=100"
        );
        assert_eq!(
            query_string(&[
                ("wipeDataFlags", "WIPE_EXTERNAL_STORAGE"),
                ("wipeDataFlags", "PRESERVE_RESET_PROTECTION_DATA"),
                ("wipeReasonMessage", "Not compliant: é & co~"),
            ]),
            "wipeDataFlags=WIPE_EXTERNAL_STORAGE&wipeDataFlags=PRESERVE_RESET_PROTECTION_DATA\
             &wipeReasonMessage=Not+compliant%3A+%C3%A9+%26+co%7E"
        );
        assert_eq!(
            Api::new("https://x.test/").url("customers", &[("pageSize", "100")]),
            "https://x.test/v1/customers?pageSize=100"
        );
    }

    #[test]
    fn google_errors_are_read() {
        let answer = json!({"error": {"code": 403, "message": "Terms", "status":
            "PERMISSION_DENIED", "details": [{"@type": "type.googleapis.com/x.TosError"}]}});
        assert_eq!(error_message(&answer), Some("Terms"));
        assert_eq!(
            error_detail_types(&answer).collect::<Vec<_>>(),
            ["type.googleapis.com/x.TosError"]
        );
        match refused("customers", 403, &answer) {
            PluginError::Upstream(m) => assert_eq!(m, "customers: Google answered 403: Terms"),
            other => panic!("{other:?}"),
        }
    }
}
