//! Exchange's cmdlets as the plugin sends them: `POST {endpoint}/adminapi/beta/{organization}/
//! InvokeCommand` with `{"CmdletInput": {"CmdletName", "Parameters"}}`, as Exchange Online's
//! management module does (an on-premises organisation through a gateway of the same shape),
//! with the connector's own OAuth 2 client (the host's `vendor.send-as`, the connector's id
//! being the account). Results come back as `{"value": [...]}`; an error as `{"error":
//! {"code", "message"}}`, whose message is what administrators see.

use corral_plugin_sdk::capabilities::http::Request;
use corral_plugin_sdk::capabilities::vendor;
use corral_plugin_sdk::types::{HttpMethod, Property};
use serde_json::{Map, Value, json};

use crate::connectors::Connector;

/// Why a cmdlet did not run: Exchange's words, or the transport's.
#[derive(Debug)]
pub struct Failure(pub String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Runs `cmdlet` with `parameters` in the connector's organisation: its output objects.
pub fn invoke(
    connector: &Connector,
    cmdlet: &str,
    parameters: Map<String, Value>,
) -> Result<Vec<Value>, Failure> {
    let url = format!(
        "{}/adminapi/beta/{}/InvokeCommand",
        connector.endpoint.trim_end_matches('/'),
        connector.organization
    );
    let body = json!({"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters}});
    let answer = vendor::send_as(
        &connector.id,
        &Request {
            method: HttpMethod::Post,
            url,
            headers: vec![Property {
                name: "content-type".into(),
                value: "application/json".into(),
            }],
            body: Some(body.to_string().into_bytes()),
        },
    )
    .map_err(|e| Failure(format!("{cmdlet}: Exchange could not be reached: {e:?}")))?;
    let value: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    if !(200..300).contains(&answer.status) {
        let message = value["error"]["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("status {}", answer.status));
        return Err(Failure(format!("{cmdlet}: {message}")));
    }
    Ok(value["value"].as_array().cloned().unwrap_or_default())
}
