//! The Exchange ActiveSync connector plugin (SPEC G1 to G8) end to end: the real component, the
//! Exchange admin endpoint's stand-in over HTTPS (checking every cmdlet against the contract),
//! the admin API.
//!
//! - connectors, one per organisation, each with its own OAuth 2 client whose secret the host
//!   keeps sealed (never in an answer, the history or the plugin's settings), added only with the
//!   *modify site* permission (403 otherwise); a connector Exchange refuses is failed, with its
//!   error in its log;
//! - discovery: Exchange's devices in the inventory as `<user>_<devicetype>`, linked to their
//!   user for an on-premises organisation, not for Exchange Online.

use corral_tests::exchange::{ExchangeStandIn, CLIENT_ID, CLIENT_SECRET};
use corral_tests::exchange_cmdlets::Kind;
use corral_tests::{Client, Db, Env};
use serde_json::{json, Value};

const ONLINE: &str = "contoso.onmicrosoft.com";
const ON_PREMISES: &str = "fabrikam.local";

struct Setup {
    env: Env,
    _server: corral_tests::Server,
    c: Client,
    plugin: String,
    exchange: ExchangeStandIn,
}

async fn setup(db: Db) -> Setup {
    setup_with(db, |env| env).await
}

async fn setup_with(db: Db, more: impl FnOnce(Env) -> Env) -> Setup {
    let env = Env::new(db).await;
    std::fs::create_dir_all(env.data_dir()).unwrap();
    let exchange = ExchangeStandIn::start(&env.data_dir()).await;
    exchange.add_organisation(ONLINE, Kind::Online);
    exchange.add_organisation(ON_PREMISES, Kind::OnPremises);
    let env = env
        .with_env(
            "CORRAL_PLUGIN_EXTRA_ROOTS",
            exchange.ca_file().to_str().unwrap(),
        )
        .with_env("CORRAL_PLUGIN_ALLOW_PRIVATE_ADDRESSES", "true");
    let env = more(env);
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "owner").await;
    let (plugin, uploaded) = c.install_active("corral_exchange_plugin").await;
    let version = &uploaded.body["plugin"]["versions"][0];
    assert_eq!(version["world_version"], "0.7.0", "{uploaded:?}");
    let r = c
        .send(
            "PUT",
            &format!("/api/v1/plugins/{plugin}/grants"),
            Some(json!({"capabilities": version["requested_capabilities"],
                        "http_allow_hosts": ["localhost"]})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    Setup {
        env,
        _server: server,
        c,
        plugin,
        exchange,
    }
}

impl Setup {
    async fn act(
        &self,
        c: &Client,
        action: &str,
        item: Option<&str>,
        input: Value,
    ) -> corral_tests::Reply {
        let mut body = json!({"input": input});
        if let Some(item) = item {
            body["item"] = json!(item);
        }
        c.send(
            "POST",
            &format!(
                "/api/v1/plugins/{}/collections/connectors/actions/{action}",
                self.plugin
            ),
            Some(body),
        )
        .await
    }

    fn connector(&self, name: &str, organization: &str, kind: &str, secret: &str) -> Value {
        json!({"name": name, "kind": kind, "endpoint": self.exchange.base_url,
               "organization": organization, "token_uri": self.exchange.token_uri("acme-directory"),
               "client_id": CLIENT_ID, "client_secret": secret})
    }

    async fn connector_item(&self, id: &str) -> Value {
        let path = format!(
            "/api/v1/plugins/{}/collections/connectors/items/{id}",
            self.plugin
        );
        let r = self.c.get(&path).await;
        assert_eq!(r.status, 200, "{r:?}");
        r.body
    }

    async fn sync(&self) {
        let r = self
            .c
            .send(
                "POST",
                &format!("/api/v1/plugins/{}/devices/sync", self.plugin),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
    }
}

fn detail(item: &Value, name: &str) -> String {
    item["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .and_then(|d| d["value"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn value(item: &Value, name: &str) -> String {
    item["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .and_then(|d| d["value"].as_str())
        .unwrap_or_default()
        .to_string()
}

async fn connectors_and_discovery(db: Db) {
    let s = setup(db).await;

    // Without the *modify site* permission: 403, nothing added.
    let password = "admin passphrase 1";
    let totp = s
        .env
        .create_admin("acme", "ann@acme.example", "admin", password)
        .await;
    let ann = s._server.client();
    let r = ann
        .sign_in(
            "acme",
            "ann@acme.example",
            password,
            &corral_tests::totp_code(&totp, 0),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let online = s.connector("Contoso", ONLINE, "online", CLIENT_SECRET);
    let r = s.act(&ann, "create", None, online.clone()).await;
    assert_eq!(r.status, 403, "{r:?}");
    assert!(s.exchange.ran(ONLINE).is_empty());

    // Bad input: every field named, nothing sent.
    let r = s
        .act(
            &s.c,
            "create",
            None,
            json!({"name": "", "kind": "cloud", "endpoint": "http://x", "organization": "a b",
                   "token_uri": "ftp://t", "client_id": ""}),
        )
        .await;
    assert_eq!(r.status, 422, "{r:?}");
    let fields = r.body.to_string();
    for field in [
        "/name",
        "/kind",
        "/endpoint",
        "/organization",
        "/token_uri",
        "/client_id",
        "/client_secret",
    ] {
        assert!(fields.contains(field), "{field} in {fields}");
    }

    // A wrong secret: the connector is kept, failed, Exchange's refusal in its log.
    let r = s
        .act(
            &s.c,
            "create",
            None,
            s.connector("Contoso", ONLINE, "online", "wrong"),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let item = &r.body["item"];
    let id = item["id"].as_str().unwrap().to_string();
    assert_eq!(value(item, "status"), "failed", "{item}");
    assert!(detail(item, "last-error").contains("refused"), "{item}");
    assert!(detail(item, "attempt-1").contains("failed"), "{item}");
    // The right one: installed.
    let mut fixed = online.clone();
    fixed["name"] = json!("Contoso");
    let r = s.act(&s.c, "edit", Some(&id), fixed).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(value(&r.body["item"], "status"), "installed", "{r:?}");
    assert_eq!(
        s.exchange.ran(ONLINE),
        ["Get-ActiveSyncOrganizationSettings"]
    );
    // One connector per organisation.
    let r = s.act(&s.c, "create", None, online.clone()).await;
    assert_eq!(r.status, 422, "{r:?}");
    assert!(r.body.to_string().contains("/organization"), "{r:?}");
    let r = s
        .act(
            &s.c,
            "create",
            None,
            s.connector("Fabrikam", ON_PREMISES, "on-premises", CLIENT_SECRET),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(value(&r.body["item"], "status"), "installed", "{r:?}");

    // The secret is nowhere to be read back.
    for path in [
        format!("/api/v1/plugins/{}/collections/connectors/items", s.plugin),
        format!(
            "/api/v1/plugins/{}/collections/connectors/items/{id}",
            s.plugin
        ),
        format!(
            "/api/v1/plugins/{}/collections/connectors/forms/edit?item={id}",
            s.plugin
        ),
        format!("/api/v1/plugins/{}/vendor", s.plugin),
        "/api/v1/history?object_type=vendor_object".to_string(),
    ] {
        let r = s.c.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {r:?}");
        let text = r.body.to_string();
        assert!(
            !text.contains(CLIENT_SECRET) && !text.contains("\"wrong\""),
            "{path}: {text}"
        );
    }
    let h = s.c.get("/api/v1/history?object_type=vendor_object").await;
    assert!(h.body.to_string().contains("(secret, not kept)"), "{h:?}");

    // Discovery: `<user>_<devicetype>`; affinity on-premises only.
    let user =
        s.c.create_user(
            json!({"email": "jdoe@fabrikam.local", "first_name": "Jane", "last_name": "Doe"}),
        )
        .await;
    s.c.create_user(
        json!({"email": "amy@contoso.onmicrosoft.com", "first_name": "Amy", "last_name": "Ray"}),
    )
    .await;
    let device = |who: &str, n: u32, kind: &str, os: &str| {
        json!({"Identity": format!("{who}\\ExchangeActiveSyncDevices\\{kind}§{n}"),
               "DeviceId": format!("ID{n}"), "DeviceType": kind, "DeviceModel": kind,
               "DeviceOS": os, "DeviceUserAgent": format!("{kind}/1.0"),
               "DeviceAccessState": "Allowed", "DeviceWipeStatus": "",
               "UserPrincipalName": who})
    };
    s.exchange.add_device(
        ON_PREMISES,
        device("jdoe@fabrikam.local", 1, "iPhone", "iOS 17.1 21B74"),
    );
    s.exchange.add_device(
        ONLINE,
        device("amy@contoso.onmicrosoft.com", 2, "Android", "Android 14"),
    );
    s.exchange.add_device(
        ONLINE,
        device(
            "amy@contoso.onmicrosoft.com",
            3,
            "WindowsMail",
            "Windows 11",
        ),
    );
    s.sync().await;
    let listed = s.c.get("/api/v1/devices?limit=100").await;
    assert_eq!(listed.status, 200, "{listed:?}");
    let all = listed.body.as_array().cloned().unwrap();
    let found = |name: &str| {
        all.iter()
            .find(|d| d["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {all:?}"))
            .clone()
    };
    let jane = found("jdoe_iPhone");
    assert_eq!(jane["state"], "discovered");
    assert_eq!(jane["platform"], "ios");
    assert_eq!(jane["user_id"], user.as_str());
    let amy = found("amy_Android");
    assert_eq!(amy["platform"], "android");
    assert!(amy["user_id"].is_null(), "Exchange Online: by hand {amy}");
    assert_eq!(found("amy_WindowsMail")["platform"], "other");
    // A device Exchange no longer reports is forgotten.
    s.exchange
        .exchange
        .lock()
        .unwrap()
        .organisations
        .get_mut(ONLINE)
        .unwrap()
        .devices
        .pop();
    s.sync().await;
    let listed = s.c.get("/api/v1/devices?limit=100").await;
    assert!(
        !listed.body.to_string().contains("amy_WindowsMail"),
        "{listed:?}"
    );
    assert!(
        listed.body.to_string().contains("amy_Android"),
        "{listed:?}"
    );

    // Removing a connector forgets its client.
    let r = s.act(&s.c, "remove", Some(&id), json!({})).await;
    assert_eq!(r.status, 200, "{r:?}");
    s.exchange.assert_conforms();
}

/// G8: a connector that cannot be installed is tried again 60 minutes after its last attempt,
/// at the host's inventory sync (the clock is the test's), each attempt in its log.
#[tokio::test]
async fn a_failed_connector_is_retried_every_60_minutes() {
    let clock = tempfile::NamedTempFile::new().unwrap();
    let set_clock = |ms: u64| std::fs::write(clock.path(), ms.to_string()).unwrap();
    let t0: u64 = 1_767_225_600_000;
    set_clock(t0);
    let s = setup_with(Db::Sqlite, |env| {
        env.with_env("CORRAL_TEST_CLOCK_FILE", clock.path().to_str().unwrap())
    })
    .await;
    s.exchange.exchange.lock().unwrap().down = true;
    let r = s
        .act(
            &s.c,
            "create",
            None,
            s.connector("Contoso", ONLINE, "online", CLIENT_SECRET),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let id = r.body["item"]["id"].as_str().unwrap().to_string();
    let now = s.connector_item(&id).await;
    assert_eq!(value(&now, "status"), "failed");
    assert!(
        detail(&now, "last-error").contains("503") || detail(&now, "last-error").contains("down"),
        "{now}"
    );
    assert_eq!(
        detail(&now, "next-attempt-ms"),
        (t0 + 3_600_000).to_string()
    );
    s.exchange.exchange.lock().unwrap().down = false;
    // Not yet: 59 minutes later nothing is tried.
    set_clock(t0 + 59 * 60_000);
    s.sync().await;
    let now = s.connector_item(&id).await;
    assert_eq!(value(&now, "status"), "failed");
    assert_eq!(detail(&now, "attempt-2"), "");
    assert!(s.exchange.ran(ONLINE).is_empty());
    // 60 minutes after the failure: tried again, installed, both attempts in the log.
    set_clock(t0 + 60 * 60_000);
    s.sync().await;
    let now = s.connector_item(&id).await;
    assert_eq!(value(&now, "status"), "installed", "{now}");
    assert_eq!(detail(&now, "last-error"), "");
    assert!(
        detail(&now, "attempt-1").starts_with(&format!("{t0} failed")),
        "{now}"
    );
    assert!(
        detail(&now, "attempt-2").starts_with(&format!("{} installed", t0 + 3_600_000)),
        "{now}"
    );
    assert_eq!(
        s.exchange.ran(ONLINE),
        ["Get-ActiveSyncOrganizationSettings", "Get-MobileDevice"]
    );
    s.exchange.assert_conforms();
}

#[tokio::test]
async fn connectors_and_discovery_sqlite() {
    connectors_and_discovery(Db::Sqlite).await;
}

#[tokio::test]
async fn connectors_and_discovery_postgres() {
    connectors_and_discovery(Db::Postgres).await;
}
