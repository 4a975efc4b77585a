//! The tenant's zero-touch customer account, as the customer API reaches it: through the
//! host's `vendor` capability with the scope `androidworkzerotouchemm`, at the base URL of the
//! tenant's `api-base-url` setting (Google's by default; tests use a local stand-in).
//!
//! Rules:
//! - the customer is the one of the `customer-id` setting (taken as is for the API's calls,
//!   checked against `customers.list` for the account's page), else the only one
//!   `customers.list` answers for the service account (pages of 100); none, or several without
//!   the setting, is an error saying what to do;
//! - a customer whose `termsStatus` is not `TERMS_STATUS_ACCEPTED`, or a 403 answer carrying a
//!   `TosError`, is an error naming the terms of service: an owner must accept them in the
//!   zero-touch portal before the API does anything for the customer.

use corral_google::{Api, error_detail_types, error_message, refused};
use corral_plugin_sdk::capabilities::vendor;
use corral_plugin_sdk::types::{HttpMethod, PluginError};
use serde_json::Value;

/// Google's endpoint, unless the tenant's `api-base-url` setting says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://androiddeviceprovisioning.googleapis.com";
pub const API_BASE_URL: &str = "api-base-url";
pub const CUSTOMER_ID: &str = "customer-id";
pub const SCOPE: &str = "https://www.googleapis.com/auth/androidworkzerotouchemm";
const ACCEPTED: &str = "TERMS_STATUS_ACCEPTED";

/// The customer account the tenant works in.
#[derive(Clone, Debug, PartialEq)]
pub struct Customer {
    /// `companyId`, e.g. "1234567".
    pub id: String,
    pub name: String,
    /// The whole `Company`, for the account's page.
    pub company: Value,
}

impl Customer {
    /// `customers/{id}`.
    pub fn resource(&self) -> String {
        format!("customers/{}", self.id)
    }
}

pub fn api() -> Api {
    Api::from_setting(API_BASE_URL, DEFAULT_BASE_URL)
}

/// The error for a customer that has not accepted the terms of service.
pub fn terms_not_accepted(who: &str, status: &str) -> PluginError {
    PluginError::Denied(format!(
        "the zero-touch customer {who} has not accepted Google's zero-touch terms of service \
         (termsStatus {status}): an owner of the customer account must accept them in the \
         zero-touch portal first"
    ))
}

/// Google's refusal, with a `TosError` read as the terms of service not accepted.
pub fn refusal(path: &str, status: u16, answer: &Value) -> PluginError {
    if status == 403 && error_detail_types(answer).any(|t| t.ends_with("TosError")) {
        return PluginError::Denied(format!(
            "{path}: Google refused because the customer has not accepted the zero-touch terms \
             of service (TosError: {}): an owner of the customer account must accept them in \
             the zero-touch portal first",
            error_message(answer).unwrap_or("no message")
        ));
    }
    refused(path, status, answer)
}

/// One call to the customer API: a 2xx answer's JSON, else the refusal ([`refusal`]).
pub fn call(
    method: HttpMethod,
    path: &str,
    query: &[(&str, &str)],
    body: Option<Value>,
) -> Result<Value, PluginError> {
    match api().send(method, path, query, body)? {
        (200..=299, answer) => Ok(answer),
        (status, answer) => Err(refusal(path, status, &answer)),
    }
}

/// Every customer account of the service account (`customers.list`, pages of 100).
pub fn list() -> Result<Vec<Value>, PluginError> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut query = vec![("pageSize", "100")];
        if let Some(t) = &token {
            query.push(("pageToken", t.as_str()));
        }
        let page = call(HttpMethod::Get, "customers", &query, None)?;
        all.extend(page["customers"].as_array().into_iter().flatten().cloned());
        match page["nextPageToken"].as_str() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(all),
        }
    }
}

/// Picks the customer among `companies` (the `customer-id` setting's, else the only one) and
/// checks its terms of service.
pub fn choose(companies: &[Value], wanted: Option<&str>) -> Result<Customer, PluginError> {
    let id_of = |c: &Value| c["companyId"].as_str().unwrap_or_default().to_string();
    let found =
        match wanted.map(str::trim).filter(|w| !w.is_empty()) {
            Some(wanted) => {
                let wanted = wanted.trim_start_matches("customers/");
                companies.iter().find(|c| id_of(c) == wanted).ok_or_else(|| {
                PluginError::Denied(format!(
                    "the service account is not a member of the zero-touch customer {wanted} \
                     (setting {CUSTOMER_ID}); it is a member of: {}",
                    names(companies)
                ))
            })?
            }
            None => match companies {
                [] => {
                    return Err(PluginError::Denied(
                    "the service account is a member of no zero-touch customer account: add its \
                     e-mail as an admin in the zero-touch portal"
                        .into(),
                ));
                }
                [only] => only,
                several => {
                    return Err(PluginError::Denied(format!(
                        "the service account is a member of {} zero-touch customer accounts ({}): \
                     say which one in the setting {CUSTOMER_ID}",
                        several.len(),
                        names(several)
                    )));
                }
            },
        };
    let customer = Customer {
        id: id_of(found),
        name: found["companyName"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        company: found.clone(),
    };
    match found["termsStatus"].as_str() {
        Some(ACCEPTED) => Ok(customer),
        status => Err(terms_not_accepted(
            &format!("{} ({})", customer.name, customer.id),
            status.unwrap_or("TERMS_STATUS_UNSPECIFIED"),
        )),
    }
}

fn names(companies: &[Value]) -> String {
    companies
        .iter()
        .map(|c| {
            format!(
                "{} ({})",
                c["companyName"].as_str().unwrap_or_default(),
                c["companyId"].as_str().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The customer account as `customers.list` shows it, its terms of service accepted.
pub fn account() -> Result<Customer, PluginError> {
    choose(&list()?, vendor::setting(CUSTOMER_ID).as_deref())
}

/// The customer the tenant works in: the `customer-id` setting's without asking Google (whose
/// answers then say, with a `TosError`, when its terms are not accepted), else [`account`].
pub fn current() -> Result<Customer, PluginError> {
    match vendor::setting(CUSTOMER_ID) {
        Some(id) if !id.trim().is_empty() => {
            let id = id.trim().trim_start_matches("customers/").to_string();
            Ok(Customer {
                name: id.clone(),
                company: serde_json::json!({"companyId": id}),
                id,
            })
        }
        _ => account(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn company(id: &str, terms: &str) -> Value {
        json!({"name": format!("customers/{id}"), "companyId": id, "companyName": format!("Co {id}"), "termsStatus": terms})
    }

    #[test]
    fn the_customer_is_the_setting_s_or_the_only_one() {
        let one = [company("1", ACCEPTED)];
        assert_eq!(choose(&one, None).unwrap().id, "1");
        assert_eq!(
            choose(&one, Some("customers/1")).unwrap().resource(),
            "customers/1"
        );
        let two = [company("1", ACCEPTED), company("2", ACCEPTED)];
        assert_eq!(choose(&two, Some("2")).unwrap().name, "Co 2");
        let denied = |r: Result<Customer, PluginError>| match r {
            Err(PluginError::Denied(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(denied(choose(&two, None)).contains("say which one in the setting customer-id"));
        assert!(denied(choose(&two, Some("3"))).contains("Co 1 (1), Co 2 (2)"));
        assert!(denied(choose(&[], None)).contains("no zero-touch customer"));
    }

    #[test]
    fn terms_not_accepted_are_named() {
        for terms in ["TERMS_STATUS_NOT_ACCEPTED", "TERMS_STATUS_STALE"] {
            match choose(&[company("1", terms)], None) {
                Err(PluginError::Denied(m)) => {
                    assert!(m.contains("terms of service") && m.contains(terms), "{m}")
                }
                other => panic!("{other:?}"),
            }
        }
        let tos = json!({"error": {"code": 403, "message": "accept the ToS", "status":
            "PERMISSION_DENIED", "details": [{"@type":
            "type.googleapis.com/google.android.device.provisioning.v1.TosError"}]}});
        match refusal("customers/1/devices", 403, &tos) {
            PluginError::Denied(m) => assert!(m.contains("TosError: accept the ToS"), "{m}"),
            other => panic!("{other:?}"),
        }
        let other = json!({"error": {"code": 403, "message": "no", "status": "PERMISSION_DENIED"}});
        assert!(matches!(
            refusal("x", 403, &other),
            PluginError::Upstream(_)
        ));
    }
}
