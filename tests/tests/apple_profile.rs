//! Apple profile download (SPEC D1 to D3, D10) against the real server: the portal hands out a
//! one-time link; the profile it returns is CMS-signed so that `openssl cms -verify` accepts it
//! against the tenant CA, and every key of TopLevel, com.apple.mdm and
//! com.apple.security.pkcs12 is checked against Apple's schemas (tests/fixtures/apple).

use std::path::{Path, PathBuf};

use corral_tests::apple::{AppleTenant, MDM_URL};
use corral_tests::portal::Browser;
use corral_tests::{both_backends, Db};
use openssl::pkcs12::Pkcs12;
use openssl::x509::X509;
use plist::{Dictionary, Value};
use yaml_rust2::{Yaml, YamlLoader};

both_backends!(
    downloaded_profile_is_signed_and_follows_apples_schemas,
    download_links_work_once_and_expire,
);

/// The tenant CA of `apple`, written to `dir`.
async fn ca(apple: &AppleTenant, dir: &Path) -> PathBuf {
    let r = apple.admin.get("/api/v1/apple/certificates").await;
    assert_eq!(r.status, 200, "{r:?}");
    let path = dir.join("ca.pem");
    std::fs::write(&path, r.body["ca_certificate"].as_str().unwrap()).unwrap();
    path
}

/// `openssl cms -verify` against the tenant CA; returns the signed content.
fn cms_verify(profile: &[u8], ca: &Path, dir: &Path) -> Result<Vec<u8>, String> {
    let input = dir.join("profile.der");
    let output = dir.join("profile.xml");
    std::fs::write(&input, profile).unwrap();
    let run = std::process::Command::new("openssl")
        .args(["cms", "-verify", "-inform", "DER", "-in"])
        .arg(&input)
        .arg("-CAfile")
        .arg(ca)
        .arg("-out")
        .arg(&output)
        .output()
        .expect("openssl runs");
    if run.status.success() {
        Ok(std::fs::read(output).unwrap())
    } else {
        Err(String::from_utf8_lossy(&run.stderr).into_owned())
    }
}

fn schema(name: &str) -> Yaml {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/apple")
        .join(format!("{name}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap();
    YamlLoader::load_from_str(&text).unwrap().remove(0)
}

/// Checks `payload` against the payload keys of Apple's schema `name`: every required key is
/// there, every key the schema knows has its type, its value in the range list and matches its
/// format. Returns the keys it checked.
fn check_against(name: &str, payload: &Dictionary) -> Vec<String> {
    let schema = schema(name);
    let keys = schema["payloadkeys"].as_vec().expect("payloadkeys");
    let mut checked = Vec::new();
    for spec in keys {
        let key = spec["key"].as_str().unwrap();
        let presence = spec["presence"].as_str().unwrap_or("optional");
        let Some(value) = payload.get(key) else {
            assert_ne!(
                presence, "required",
                "{name}: required key {key} is missing"
            );
            continue;
        };
        let expected = spec["type"].as_str().unwrap();
        assert_eq!(
            corral_tests::apple::schema_type(value),
            expected,
            "{name}: {key} has the wrong type"
        );
        if let Some(range) = spec["rangelist"].as_vec() {
            let allowed: Vec<String> = range
                .iter()
                .map(|r| match r {
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::String(s) => s.clone(),
                    Yaml::Boolean(b) => b.to_string(),
                    other => format!("{other:?}"),
                })
                .collect();
            let actual = match value {
                Value::Integer(i) => i.to_string(),
                Value::String(s) => s.clone(),
                Value::Boolean(b) => b.to_string(),
                other => format!("{other:?}"),
            };
            assert!(
                allowed.contains(&actual),
                "{name}: {key} = {actual}, allowed {allowed:?}"
            );
        }
        if let Some(format) = spec["format"].as_str() {
            let re = regex::Regex::new(format).unwrap();
            let text = value.as_string().unwrap_or_default();
            assert!(
                re.is_match(text),
                "{name}: {key} = {text} does not match {format}"
            );
        }
        checked.push(key.to_string());
    }
    checked
}

fn parse(xml: &[u8]) -> Dictionary {
    Value::from_reader_xml(xml)
        .expect("the signed content is an XML plist")
        .into_dictionary()
        .expect("a dictionary at the top")
}

async fn downloaded_profile_is_signed_and_follows_apples_schemas(db: Db) {
    let apple = AppleTenant::start(db).await;
    let dir = tempfile::tempdir().unwrap();
    let ca_path = ca(&apple, dir.path()).await;
    let ca = X509::from_pem(&std::fs::read(&ca_path).unwrap()).unwrap();

    for (kind, scope) in [
        ("ios", None),
        ("macos", Some("System")),
        ("macos-user", Some("User")),
    ] {
        let res = apple.download(kind).await;
        assert_eq!(res.status, 200, "{kind}: {}", res.html);
        assert_eq!(
            res.headers["content-type"],
            "application/x-apple-aspen-config"
        );
        let disposition = res.headers["content-disposition"].to_str().unwrap();
        assert!(
            disposition.starts_with("attachment; filename=\"acme-")
                && disposition.ends_with(".mobileconfig\""),
            "{disposition}"
        );

        let xml = cms_verify(&res.bytes, &ca_path, dir.path())
            .unwrap_or_else(|e| panic!("openssl cms -verify refused the {kind} profile: {e}"));
        let top = parse(&xml);
        let checked = check_against("TopLevel", &top);
        for key in [
            "PayloadIdentifier",
            "PayloadUUID",
            "PayloadType",
            "PayloadVersion",
            "PayloadContent",
        ] {
            assert!(
                checked.iter().any(|k| k == key),
                "TopLevel {key} not checked"
            );
        }
        assert_eq!(
            top.get("PayloadScope").and_then(Value::as_string),
            scope,
            "{kind}"
        );

        let content = top["PayloadContent"].as_array().unwrap();
        let by_type = |t: &str| {
            content
                .iter()
                .filter_map(Value::as_dictionary)
                .find(|p| p.get("PayloadType").and_then(Value::as_string) == Some(t))
                .unwrap_or_else(|| panic!("no {t} payload"))
        };
        let mdm = by_type("com.apple.mdm");
        let identity = by_type("com.apple.security.pkcs12");
        let checked = check_against("com.apple.mdm", mdm);
        for key in [
            "IdentityCertificateUUID",
            "Topic",
            "ServerURL",
            "CheckInURL",
            "SignMessage",
            "AccessRights",
        ] {
            assert!(
                checked.iter().any(|k| k == key),
                "com.apple.mdm {key} not set"
            );
        }
        check_against("com.apple.security.pkcs12", identity);
        assert_eq!(
            mdm["ServerURL"].as_string(),
            Some(format!("{MDM_URL}/mdm/acme/server").as_str())
        );
        assert_eq!(
            mdm["CheckInURL"].as_string(),
            Some(format!("{MDM_URL}/mdm/acme/checkin").as_str())
        );
        assert_eq!(mdm["SignMessage"].as_boolean(), Some(true));
        assert!(mdm["Topic"]
            .as_string()
            .unwrap()
            .starts_with("com.apple.mgmt."));
        assert_eq!(mdm["IdentityCertificateUUID"], identity["PayloadUUID"]);
        assert_eq!(
            mdm.contains_key("ServerCapabilities"),
            kind != "ios",
            "the macOS user channel is offered on macOS"
        );

        // The identity opens with its password and was issued by the tenant CA.
        let p12 = Pkcs12::from_der(identity["PayloadContent"].as_data().unwrap()).unwrap();
        let parsed = p12
            .parse2(identity["Password"].as_string().unwrap())
            .expect("the identity opens with the payload's password");
        let cert = parsed.cert.unwrap();
        assert!(
            parsed.pkey.is_some(),
            "the identity carries its private key"
        );
        assert!(
            cert.verify(&ca.public_key().unwrap()).unwrap(),
            "issued by the tenant CA"
        );
    }

    // Another tenant's CA does not verify this tenant's profiles.
    apple.env.create_tenant("globex").await;
    let globex = apple
        .env
        .signed_in_owner(&apple.server, "globex", "owner")
        .await;
    let r = globex.get("/api/v1/apple/certificates").await;
    let other_ca = dir.path().join("other-ca.pem");
    std::fs::write(&other_ca, r.body["ca_certificate"].as_str().unwrap()).unwrap();
    let res = apple.download("ios").await;
    assert!(cms_verify(&res.bytes, &other_ca, dir.path()).is_err());
    // No key material in the log.
    let log = apple.server.log();
    assert!(!log.contains("PRIVATE KEY"), "the log shows a private key");
}

async fn download_links_work_once_and_expire(db: Db) {
    let apple = AppleTenant::start(db).await;
    let page = apple.profile_page().await;
    let link = apple
        .browser
        .submit_for_location(&page, "/profile", &[("kind", "ios")])
        .await;
    assert!(link.contains("/profile/"), "{link}");
    let first = apple.browser.get(&link).await;
    assert_eq!(first.status, 200);
    // Replayed: refused, with a way to a fresh download.
    let again = apple.browser.get(&link).await;
    assert_eq!(
        (again.status, again.h1().as_str()),
        (410, "This download link has expired")
    );
    let fresh = again
        .attr("a[href$='/profile']", "href")
        .expect("a fresh-download link");
    assert_eq!(apple.browser.get(&fresh).await.status, 200);
    // Another browser (no session) cannot use a used link either.
    assert_eq!(Browser::new(&apple.server.url).get(&link).await.status, 410);

    // Expired before use.
    let link = apple
        .browser
        .submit_for_location(&page, "/profile", &[("kind", "macos")])
        .await;
    let n = apple
        .env
        .execute_sql("UPDATE apple_enrolments SET link_expires_at = 1 WHERE status = 'link'")
        .await;
    assert_eq!(n, 1);
    let stale = apple.browser.get(&link).await;
    assert_eq!(stale.status, 410, "{stale:?}");
    // Unknown kinds are refused on the page.
    let bad = apple
        .browser
        .submit(&page, "/profile", &[("kind", "windows")])
        .await;
    assert_eq!(bad.status, 422);
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An operator installs their own CA and signing certificate (made with the openssl command):
/// profiles are then signed by it, and identities issued by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_installs_their_own_pki() {
    let apple = AppleTenant::start(Db::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=Acme own CA",
            "-days",
            "30",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "signer.key",
            "-out",
            "signer.csr",
            "-subj",
            "/CN=Acme own signing",
        ],
    );
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "signer.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "signer.pem",
            "-days",
            "30",
        ],
    );
    openssl(
        d,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "other.key",
        ],
    );
    let path = |f: &str| d.join(f).display().to_string();

    // A key that is not the signing certificate's: refused, naming it; nothing changes.
    let before = apple.admin.get("/api/v1/apple/certificates").await.body;
    let out = apple
        .env
        .cli(
            &[
                "tenant",
                "install-apple-pki",
                "--tenant",
                "acme",
                "--ca-cert",
                &path("ca.pem"),
                "--ca-key",
                &path("ca.key"),
                "--signing-cert",
                &path("signer.pem"),
                "--signing-key",
                &path("other.key"),
            ],
            "",
        )
        .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("signing_key"), "{stderr}");
    assert_eq!(
        apple.admin.get("/api/v1/apple/certificates").await.body,
        before
    );

    apple
        .env
        .cli_ok(
            &[
                "tenant",
                "install-apple-pki",
                "--tenant",
                "acme",
                "--ca-cert",
                &path("ca.pem"),
                "--ca-key",
                &path("ca.key"),
                "--signing-cert",
                &path("signer.pem"),
                "--signing-key",
                &path("signer.key"),
            ],
            "",
        )
        .await;
    let r = apple.admin.get("/api/v1/apple/certificates").await;
    let installed = std::fs::read_to_string(d.join("ca.pem")).unwrap();
    assert_eq!(
        X509::from_pem(r.body["ca_certificate"].as_str().unwrap().as_bytes())
            .unwrap()
            .to_der()
            .unwrap(),
        X509::from_pem(installed.as_bytes())
            .unwrap()
            .to_der()
            .unwrap()
    );
    let profile = apple.download("ios").await;
    cms_verify(&profile.bytes, &d.join("ca.pem"), d).expect("signed by the installed PKI");
    let r = apple.admin.get("/api/v1/history?object_type=tenant").await;
    assert!(
        r.body
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "apple_pki_installed"),
        "{r:?}"
    );
}
