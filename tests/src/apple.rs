//! Playing an Apple device for the tests: open a downloaded profile as the device would (CMS
//! envelope, PKCS #12 identity with its password), then send check-in messages signed with that
//! identity in the `Mdm-Signature` header, as a device with `SignMessage` does.

use base64::Engine;
use openssl::pkcs12::Pkcs12;
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::X509;
use plist::{Dictionary, Value};
use yaml_rust2::{Yaml, YamlLoader};

/// The signed content of a profile (not verified here: see the profile tests for that).
pub fn profile_content(signed: &[u8]) -> Dictionary {
    let pkcs7 = Pkcs7::from_der(signed).expect("a CMS envelope");
    let mut out = Vec::new();
    let store = X509StoreBuilder::new().unwrap().build();
    pkcs7
        .verify(
            &Stack::new().unwrap(),
            &store,
            None,
            Some(&mut out),
            Pkcs7Flags::NOVERIFY,
        )
        .expect("signed content");
    Value::from_reader_xml(&out[..])
        .unwrap()
        .into_dictionary()
        .unwrap()
}

/// A device that installed a profile.
#[derive(Clone)]
pub struct PlayedDevice {
    pub cert: X509,
    pub key: PKey<Private>,
    pub topic: String,
    /// Path of the check-in URL (the host part is the public MDM URL; tests talk to the
    /// server directly).
    pub checkin_path: String,
    /// Path of the command channel (`ServerURL`).
    pub server_path: String,
    pub udid: String,
    /// One HTTP client for all its requests (making one loads the system's root certificates:
    /// milliseconds of CPU, too much per request for the benchmarks that play devices).
    pub http: reqwest::Client,
}

fn payload<'a>(profile: &'a Dictionary, kind: &str) -> &'a Dictionary {
    profile["PayloadContent"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_dictionary)
        .find(|p| p.get("PayloadType").and_then(Value::as_string) == Some(kind))
        .unwrap_or_else(|| panic!("no {kind} payload"))
}

impl PlayedDevice {
    /// Installs the signed profile: takes its identity and MDM settings.
    pub fn install(signed_profile: &[u8], udid: &str) -> PlayedDevice {
        let profile = profile_content(signed_profile);
        let identity = payload(&profile, "com.apple.security.pkcs12");
        let mdm = payload(&profile, "com.apple.mdm");
        let parsed = Pkcs12::from_der(identity["PayloadContent"].as_data().unwrap())
            .unwrap()
            .parse2(identity["Password"].as_string().unwrap())
            .unwrap();
        let path_of = |key: &str| {
            let url = mdm[key].as_string().unwrap();
            let rest = &url[url.find("://").unwrap() + 3..];
            rest[rest.find('/').unwrap()..].to_string()
        };
        PlayedDevice {
            cert: parsed.cert.unwrap(),
            key: parsed.pkey.unwrap(),
            topic: mdm["Topic"].as_string().unwrap().to_string(),
            checkin_path: path_of("CheckInURL"),
            server_path: path_of("ServerURL"),
            udid: udid.to_string(),
            http: reqwest::Client::new(),
        }
    }

    /// The same device pretending another identity (forged or another tenant's).
    pub fn with_identity(&self, cert: X509, key: PKey<Private>) -> PlayedDevice {
        PlayedDevice {
            cert,
            key,
            topic: self.topic.clone(),
            checkin_path: self.checkin_path.clone(),
            server_path: self.server_path.clone(),
            udid: self.udid.clone(),
            http: self.http.clone(),
        }
    }

    /// `Mdm-Signature` of `body`: base64 of a detached CMS signature by the identity.
    pub fn signature(&self, body: &[u8]) -> String {
        let sig = Pkcs7::sign(
            &self.cert,
            &self.key,
            &Stack::new().unwrap(),
            body,
            Pkcs7Flags::DETACHED | Pkcs7Flags::BINARY,
        )
        .unwrap();
        base64::engine::general_purpose::STANDARD.encode(sig.to_der().unwrap())
    }

    pub fn message(&self, kind: &str) -> Dictionary {
        let mut d = Dictionary::new();
        d.insert("MessageType".into(), Value::from(kind));
        d.insert("Topic".into(), Value::from(self.topic.as_str()));
        d.insert("UDID".into(), Value::from(self.udid.as_str()));
        match kind {
            "Authenticate" => {
                d.insert("DeviceName".into(), Value::from("Pat's iPhone"));
                d.insert("Model".into(), Value::from("iPhone15,2"));
                d.insert("ModelName".into(), Value::from("iPhone"));
                d.insert("OSVersion".into(), Value::from("17.4"));
                d.insert("BuildVersion".into(), Value::from("21E219"));
                d.insert("ProductName".into(), Value::from("iPhone15,2"));
                d.insert("SerialNumber".into(), Value::from("F2LXK0ABCD"));
            }
            "TokenUpdate" => {
                d.insert("Token".into(), Value::Data(vec![7u8; 32]));
                d.insert("PushMagic".into(), Value::from("5B7F1C2A-push-magic"));
                d.insert("NotOnConsole".into(), Value::from(false));
            }
            _ => {}
        }
        d
    }

    /// Reports `status` on the command channel (signed); returns the HTTP status and body.
    pub async fn report(&self, base_url: &str, status: &str, udid: &str) -> (u16, Vec<u8>) {
        let mut d = Dictionary::new();
        d.insert("Status".into(), Value::from(status));
        d.insert("UDID".into(), Value::from(udid));
        if status != "Idle" {
            d.insert(
                "CommandUUID".into(),
                Value::from("0C5D3C5E-0000-4000-8000-000000000001"),
            );
        }
        self.put_report(base_url, &d).await
    }

    /// Puts `message` on the command channel, signed: the HTTP status and the body.
    async fn put_report(&self, base_url: &str, message: &Dictionary) -> (u16, Vec<u8>) {
        let mut body = Vec::new();
        plist::to_writer_xml(&mut body, &Value::Dictionary(message.clone())).unwrap();
        let r = self
            .http
            .put(format!("{base_url}{}", self.server_path))
            .header("mdm-signature", self.signature(&body))
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.bytes().await.unwrap().to_vec())
    }

    /// Reports on the command channel with `fields` besides the UDID (a command's answer:
    /// `Status`, `CommandUUID`, its response keys), signed; returns the HTTP status and the
    /// next command, if any.
    pub async fn send(&self, base_url: &str, fields: Dictionary) -> (u16, Option<Dictionary>) {
        let mut d = fields;
        d.insert("UDID".into(), Value::from(self.udid.as_str()));
        let (status, bytes) = self.put_report(base_url, &d).await;
        let next = (!bytes.is_empty()).then(|| {
            Value::from_reader_xml(&bytes[..])
                .expect("a command is an XML plist")
                .into_dictionary()
                .expect("a dictionary")
        });
        (status, next)
    }

    /// Sends a check-in message as XML, signed unless `signed` is false; returns the status.
    pub async fn check_in(&self, base_url: &str, message: &Dictionary, signed: bool) -> u16 {
        let mut body = Vec::new();
        plist::to_writer_xml(&mut body, &Value::Dictionary(message.clone())).unwrap();
        let mut req = self
            .http
            .put(format!("{base_url}{}", self.checkin_path))
            .header("content-type", "application/x-apple-aspen-mdm-checkin");
        if signed {
            req = req.header("mdm-signature", self.signature(&body));
        }
        req.body(body).send().await.unwrap().status().as_u16()
    }
}

/// The schema type (`<string>`, `<array>`...) of a plist value, as Apple's YAML schemas name
/// them.
pub fn schema_type(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "<string>",
        Value::Integer(_) => "<integer>",
        Value::Boolean(_) => "<boolean>",
        Value::Data(_) => "<data>",
        Value::Array(_) => "<array>",
        Value::Dictionary(_) => "<dictionary>",
        Value::Date(_) => "<date>",
        Value::Real(_) => "<real>",
        _ => "<other>",
    }
}

/// The public MDM URL the Apple tests give the server (profiles need https).
pub const MDM_URL: &str = "https://mdm.acme.test:8443";

/// A server with an https MDM URL, a tenant `slug` with a user pat@<slug>.example signed in to
/// the portal in `browser`.
pub struct AppleTenant {
    pub env: crate::Env,
    pub server: crate::Server,
    pub admin: crate::Client,
    pub browser: crate::portal::Browser,
    pub home: crate::portal::Page,
}

impl AppleTenant {
    pub async fn start(db: crate::Db) -> AppleTenant {
        AppleTenant::start_in(crate::Env::new(db).await).await
    }

    /// Same as [`AppleTenant::start`] in a prepared environment (extra settings, SMTP).
    pub async fn start_in(env: crate::Env) -> AppleTenant {
        let env = env.with_env("CORRAL_MDM_URL", MDM_URL);
        env.create_tenant("acme").await;
        let server = env.serve().await;
        let admin = env.signed_in_owner(&server, "acme", "owner").await;
        let (browser, home) = sign_in_user(&admin, &server, "pat@acme.example").await;
        AppleTenant {
            env,
            server,
            admin,
            browser,
            home,
        }
    }

    pub async fn profile_page(&self) -> crate::portal::Page {
        let path = self.home.attr("a[href$='/profile']", "href").unwrap();
        let page = self.browser.get(&path).await;
        assert_eq!(
            (page.status, page.h1().as_str()),
            (200, "Mac, iPhone or iPad")
        );
        page
    }

    /// A device of `kind` (ios, macos) with `udid`, enrolled by the signed-in user and active
    /// (Authenticate, TokenUpdate): the played device and its id in the inventory.
    pub async fn enrolled(&self, kind: &str, udid: &str) -> (PlayedDevice, String) {
        let profile = self.download(kind).await;
        assert_eq!(profile.status, 200);
        let device = PlayedDevice::install(&profile.bytes, udid);
        for message in ["Authenticate", "TokenUpdate"] {
            let status = device
                .check_in(&self.server.url, &device.message(message), true)
                .await;
            assert_eq!(status, 200, "{message}");
        }
        // Newest registration first.
        let r = self.admin.get("/api/v1/devices").await;
        (device, r.body[0]["id"].as_str().unwrap().to_string())
    }

    /// Downloads a profile of `kind` (ios, macos, macos-user) through the portal.
    pub async fn download(&self, kind: &str) -> crate::portal::Page {
        let page = self.profile_page().await;
        self.browser
            .submit(&page, "/profile", &[("kind", kind)])
            .await
    }
}

/// A poll of the command channel with nothing to report (`Status` Idle).
pub fn idle() -> Dictionary {
    let mut d = Dictionary::new();
    d.insert("Status".into(), "Idle".into());
    d
}

/// A device's answer to the command `uuid`, with `Status` and the keys in `more`.
pub fn answer(uuid: &str, status: &str, more: &[(&str, plist::Value)]) -> Dictionary {
    let mut d = Dictionary::new();
    d.insert("Status".into(), status.into());
    d.insert("CommandUUID".into(), uuid.into());
    for (k, v) in more {
        d.insert((*k).into(), v.clone());
    }
    d
}

/// What an iPhone with a compliant passcode answers to `SecurityInfo` (its `SecurityInfo`).
pub fn security_info() -> Value {
    let mut info = Dictionary::new();
    info.insert("HardwareEncryptionCaps".into(), Value::Integer(3.into()));
    info.insert("PasscodePresent".into(), true.into());
    info.insert("PasscodeCompliant".into(), true.into());
    info.insert("PasscodeCompliantWithProfiles".into(), true.into());
    Value::Dictionary(info)
}

/// A device's `Acknowledged` answer to command `uuid` whose schema is `file`, with the keys in
/// `more`, checked against that schema's response keys (the keys every answer has, `Status`,
/// `CommandUUID` and the device's id, are the command channel's, not the command's).
pub fn acknowledged(file: &str, uuid: &str, more: &[(&str, plist::Value)]) -> Dictionary {
    let response: Dictionary = more
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    check_keys(
        &format!("{file} answer"),
        &schema(file)["responsekeys"],
        &response,
    );
    answer(uuid, "Acknowledged", more)
}

/// Apple's schema of a command (`tests/fixtures/apple/commands/<file>.yaml`, from Apple's
/// device-management repository).
pub fn schema(file: &str) -> Yaml {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/apple/commands")
        .join(format!("{file}.yaml"));
    YamlLoader::load_from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .remove(0)
}

/// Checks `dict` against `keys` (a schema's `payloadkeys` or `responsekeys`): every required
/// key there, no key the schema does not have, each of its type; a dictionary's keys checked
/// the same way against its subkeys; an array of strings whose item has subkeys takes only
/// those words (DeviceInformation's queries).
pub fn check_keys(what: &str, keys: &Yaml, dict: &Dictionary) {
    let keys = keys.as_vec().cloned().unwrap_or_default();
    for (name, value) in dict {
        let spec = keys
            .iter()
            .find(|k| k["key"].as_str() == Some(name.as_str()))
            .unwrap_or_else(|| panic!("{what}: {name} is not in Apple's schema"));
        assert_eq!(
            schema_type(value),
            spec["type"].as_str().unwrap(),
            "{what}: {name}"
        );
        if let (Value::Dictionary(inner), Some(_)) = (value, spec["subkeys"].as_vec()) {
            check_keys(&format!("{what}: {name}"), &spec["subkeys"], inner);
        }
        if let (Value::Array(items), Some(item)) = (value, spec["subkeys"].as_vec()) {
            let words: Vec<&str> = item[0]["subkeys"]
                .as_vec()
                .map(|w| w.iter().filter_map(|k| k["key"].as_str()).collect())
                .unwrap_or_default();
            for i in items {
                let word = i.as_string().unwrap();
                assert!(
                    words.is_empty() || words.contains(&word),
                    "{what}: {name} {word}"
                );
            }
        }
    }
    for spec in &keys {
        if spec["presence"].as_str() == Some("required") {
            let key = spec["key"].as_str().unwrap();
            assert!(dict.contains_key(key), "{what}: {key} is required");
        }
    }
}

/// A command as the device got it, checked against the schema `file`: its UUID.
pub fn checked_command(file: &str, command: &Dictionary) -> String {
    let schema = schema(file);
    let c = command["Command"].as_dictionary().unwrap();
    assert_eq!(
        c["RequestType"].as_string(),
        schema["payload"]["requesttype"].as_str(),
        "{file}"
    );
    let mut rest = c.clone();
    rest.remove("RequestType");
    check_keys(file, &schema["payloadkeys"], &rest);
    command["CommandUUID"].as_string().unwrap().to_string()
}

/// Creates a user with a password through `admin` and signs them in to the portal.
pub async fn sign_in_user(
    admin: &crate::Client,
    server: &crate::Server,
    email: &str,
) -> (crate::portal::Browser, crate::portal::Page) {
    let r = admin
        .send(
            "POST",
            "/api/v1/users",
            Some(
                serde_json::json!({"email": email, "first_name": "Pat", "last_name": "Roe",
                        "password": "pat's long password"}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let url = admin.get("/api/v1/registration").await.body["url"]
        .as_str()
        .unwrap()
        .to_string();
    let browser = crate::portal::Browser::new(&server.url);
    let page = browser.get(&url).await;
    let home = browser
        .submit(
            &page,
            "/sign-in",
            &[("email", email), ("password", "pat's long password")],
        )
        .await;
    assert!(home.url.ends_with("/home"), "{home:?}");
    (browser, home)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema check the tests' answers go through refuses what Apple's schema does not
    /// allow: a required key missing, a key it does not name, a nested key of the wrong type.
    #[test]
    fn answers_outside_apple_s_schema_are_refused() {
        let refused = |more: Vec<(&'static str, Value)>| {
            std::panic::catch_unwind(move || acknowledged("information.security", "u", &more))
                .is_err()
        };
        assert!(!refused(vec![("SecurityInfo", security_info())]));
        assert!(refused(vec![]), "SecurityInfo is required");
        assert!(refused(vec![
            ("SecurityInfo", security_info()),
            ("Extra", true.into())
        ]));
        let mut wrong = Dictionary::new();
        wrong.insert("PasscodePresent".into(), "yes".into());
        assert!(refused(vec![("SecurityInfo", Value::Dictionary(wrong))]));
    }
}
