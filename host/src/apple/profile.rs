//! The enrolment profile (SPEC D3, D10): a `Configuration` with the device identity (a
//! `com.apple.security.pkcs12` payload) and the `com.apple.mdm` payload pointing at this server,
//! built with the `plist` crate from the keys of Apple's schemas (TopLevel, com.apple.mdm,
//! com.apple.security.pkcs12), then CMS-signed by the tenant.

use plist::{Dictionary, Value};

/// macOS device channel (`System`) or user channel (`User`, SPEC D10). iOS profiles are always
/// `System`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    System,
    User,
}

impl Scope {
    pub fn code(self) -> &'static str {
        match self {
            Scope::System => "system",
            Scope::User => "user",
        }
    }
    pub fn from_code(code: &str) -> Scope {
        if code == "user" {
            Scope::User
        } else {
            Scope::System
        }
    }
}

/// Everything a profile says.
pub struct ProfileSpec<'a> {
    pub tenant_slug: &'a str,
    pub organization: &'a str,
    pub enrolment_id: &'a str,
    /// `https://...` base of the MDM endpoints.
    pub mdm_url: &'a str,
    pub topic: &'a str,
    pub identity_p12: Vec<u8>,
    pub identity_password: &'a str,
    /// `Some` for macOS (its payload scope); `None` for iOS.
    pub macos_scope: Option<Scope>,
}

/// Every access right (1 to 4096, OR-ed).
pub const ALL_ACCESS_RIGHTS: i64 = 8191;

fn uuid() -> String {
    uuid::Uuid::now_v7().to_string().to_uppercase()
}

fn payload(kind: &str, identifier: String, display: &str) -> Dictionary {
    let mut d = Dictionary::new();
    d.insert("PayloadType".into(), Value::from(kind));
    d.insert("PayloadVersion".into(), Value::from(1));
    d.insert("PayloadIdentifier".into(), Value::from(identifier));
    d.insert("PayloadUUID".into(), Value::from(uuid()));
    d.insert("PayloadDisplayName".into(), Value::from(display));
    d
}

/// The `PayloadIdentifier` of a tenant's enrolment profile (removing it ends management).
pub fn identifier(tenant_slug: &str) -> String {
    format!("corral.{tenant_slug}.enrolment")
}

/// The profile's XML plist (unsigned).
pub fn build(spec: &ProfileSpec<'_>) -> Vec<u8> {
    let base = identifier(spec.tenant_slug);

    let mut identity = payload(
        "com.apple.security.pkcs12",
        format!("{base}.identity"),
        "Device identity",
    );
    let identity_uuid = identity["PayloadUUID"]
        .as_string()
        .unwrap_or_default()
        .to_string();
    identity.insert(
        "PayloadContent".into(),
        Value::Data(spec.identity_p12.clone()),
    );
    identity.insert("Password".into(), Value::from(spec.identity_password));
    identity.insert(
        "PayloadCertificateFileName".into(),
        Value::from(format!("{}.p12", spec.enrolment_id)),
    );

    let mut mdm = payload("com.apple.mdm", format!("{base}.mdm"), "Device management");
    mdm.insert("IdentityCertificateUUID".into(), Value::from(identity_uuid));
    mdm.insert("Topic".into(), Value::from(spec.topic));
    mdm.insert(
        "ServerURL".into(),
        Value::from(format!("{}/mdm/{}/server", spec.mdm_url, spec.tenant_slug)),
    );
    mdm.insert(
        "CheckInURL".into(),
        Value::from(format!("{}/mdm/{}/checkin", spec.mdm_url, spec.tenant_slug)),
    );
    mdm.insert("SignMessage".into(), Value::from(true));
    mdm.insert("CheckOutWhenRemoved".into(), Value::from(true));
    mdm.insert("AccessRights".into(), Value::from(ALL_ACCESS_RIGHTS));
    if spec.macos_scope.is_some() {
        // macOS: the server also accepts the user channel (SPEC D10).
        mdm.insert(
            "ServerCapabilities".into(),
            Value::Array(vec![Value::from("com.apple.mdm.per-user-connections")]),
        );
    }

    let mut top = payload(
        "Configuration",
        base,
        &format!("{} device management", spec.organization),
    );
    top.insert("PayloadOrganization".into(), Value::from(spec.organization));
    top.insert(
        "PayloadDescription".into(),
        Value::from(format!(
            "Lets {} manage this device: install it to finish your registration.",
            spec.organization
        )),
    );
    if let Some(scope) = spec.macos_scope {
        top.insert(
            "PayloadScope".into(),
            Value::from(match scope {
                Scope::System => "System",
                Scope::User => "User",
            }),
        );
    }
    top.insert(
        "PayloadContent".into(),
        Value::Array(vec![Value::Dictionary(identity), Value::Dictionary(mdm)]),
    );
    let mut out = Vec::new();
    plist::to_writer_xml(&mut out, &Value::Dictionary(top)).expect("writing to memory");
    out
}
