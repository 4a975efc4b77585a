//! The Exchange ActiveSync connector plugin (SPEC G1 to G8) end to end: the real component, the
//! Exchange admin endpoint's stand-in over HTTPS (checking every cmdlet against the contract),
//! the admin API.
//!
//! - connectors, one per organisation, each with its own OAuth 2 client whose secret the host
//!   keeps sealed (never in an answer, the history or the plugin's settings), added only with the
//!   *modify site* permission (403 otherwise); a connector Exchange refuses is failed, with its
//!   error in its log;
//! - discovery: Exchange's devices in the inventory as `<user>_<devicetype>`, linked to their
//!   user for an on-premises organisation, by hand for Exchange Online;
//! - settings groups managed whole or not at all, access rules with each device's evaluation
//!   explained, wipes and their cancellation (each gated, 403 otherwise), a user's own wipe from
//!   the portal, the external MDM option; the 60-minute retry on a controllable clock.

use corral_tests::exchange::{ExchangeStandIn, CLIENT_ID, CLIENT_SECRET};
use corral_tests::exchange_cmdlets::Kind;
use corral_tests::{walkthrough, Client, Db, Env};
use serde_json::{json, Value};

const ONLINE: &str = "contoso.onmicrosoft.com";
const ON_PREMISES: &str = "fabrikam.local";

struct Setup {
    env: Env,
    server: corral_tests::Server,
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
        server,
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
        self.act_in(c, "connectors", action, item, input).await
    }

    async fn act_in(
        &self,
        c: &Client,
        collection: &str,
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
                "/api/v1/plugins/{}/collections/{collection}/actions/{action}",
                self.plugin
            ),
            Some(body),
        )
        .await
    }

    /// An item of `collection`, as the admin API shows it.
    async fn item(&self, collection: &str, id: &str) -> Value {
        let path = format!(
            "/api/v1/plugins/{}/collections/{collection}/items/{id}",
            self.plugin
        );
        let r = self.c.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {r:?}");
        r.body
    }

    /// Every item of `collection`.
    async fn items(&self, collection: &str) -> Vec<Value> {
        let path = format!(
            "/api/v1/plugins/{}/collections/{collection}/items",
            self.plugin
        );
        let r = self.c.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {r:?}");
        r.body["items"].as_array().cloned().unwrap_or_default()
    }

    /// An installed online connector for Contoso: its id.
    async fn contoso(&self) -> String {
        let r = self
            .act(
                &self.c,
                "create",
                None,
                self.connector("Contoso", ONLINE, "online", CLIENT_SECRET),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(value(&r.body["item"], "status"), "installed", "{r:?}");
        r.body["item"]["id"].as_str().unwrap().to_string()
    }

    /// A signed-in administrator with these Exchange permissions only.
    async fn admin(&self, email: &str, permissions: &[&str]) -> Client {
        let password = "admin passphrase 1";
        let r = self
            .c
            .send(
                "POST",
                "/api/v1/admins",
                Some(
                    json!({"email": email, "role": "admin", "password": password,
                            "exchange_permissions": permissions}),
                ),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        let totp = corral_tests::totp_from_uri(r.body["totp_uri"].as_str().unwrap());
        let admin = self.server.client();
        let r = admin
            .sign_in("acme", email, password, &corral_tests::totp_code(&totp, 0))
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        admin
    }

    /// The inventory's device named `name`, as the device list shows it.
    async fn inventory_device(&self, name: &str) -> Value {
        let listed = self.c.get("/api/v1/devices?limit=100").await;
        assert_eq!(listed.status, 200, "{listed:?}");
        listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {listed:?}"))
            .clone()
    }

    /// The parameters of every `cmdlet` run in `org`.
    fn sent(&self, org: &str, cmdlet: &str) -> Vec<Value> {
        let x = self.exchange.exchange.lock().unwrap();
        x.ran
            .iter()
            .filter(|(o, c, _)| o == org && c == cmdlet)
            .map(|(_, _, p)| p.clone())
            .collect()
    }

    fn connector(&self, name: &str, organization: &str, kind: &str, secret: &str) -> Value {
        json!({"name": name, "kind": kind, "endpoint": self.exchange.base_url,
               "organization": organization, "token_uri": self.exchange.token_uri("acme-directory"),
               "client_id": CLIENT_ID, "client_secret": secret})
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

/// The property `name` of an item's `list` (`values` or `details`), "" when absent.
fn property(item: &Value, list: &str, name: &str) -> String {
    item[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .and_then(|d| d["value"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn detail(item: &Value, name: &str) -> String {
    property(item, "details", name)
}

fn value(item: &Value, name: &str) -> String {
    property(item, "values", name)
}

async fn connectors_and_discovery(db: Db) {
    let s = setup(db).await;

    // Without the *modify site* permission: 403, nothing added.
    let password = "admin passphrase 1";
    let totp = s
        .env
        .create_admin("acme", "ann@acme.example", "admin", password)
        .await;
    let ann = s.server.client();
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
    let mut jdoe = device("jdoe@fabrikam.local", 1, "iPhone", "iOS 17.1 21B74");
    jdoe["LastSuccessSync"] = json!("2026-12-01T09:30:00Z");
    s.exchange.add_device(ON_PREMISES, jdoe);
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
    // When it last synchronised, from its mailbox's statistics.
    let one =
        s.c.get(&format!("/api/v1/devices/{}", jane["id"].as_str().unwrap()))
            .await;
    assert_eq!(
        one.body["discovery"]["last_seen_at"], 1_796_117_400_000i64,
        "{one:?}"
    );
    assert!(s
        .exchange
        .ran(ON_PREMISES)
        .contains(&"Get-MobileDeviceStatistics".to_string()));
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
    let now = s.item("connectors", &id).await;
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
    let now = s.item("connectors", &id).await;
    assert_eq!(value(&now, "status"), "failed");
    assert_eq!(detail(&now, "attempt-2"), "");
    assert!(s.exchange.ran(ONLINE).is_empty());
    // 60 minutes after the failure: tried again, installed, both attempts in the log.
    set_clock(t0 + 60 * 60_000);
    s.sync().await;
    let now = s.item("connectors", &id).await;
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

/// An Exchange device as `Get-MobileDevice` lists it.
fn exchange_device(who: &str, n: u32, kind: &str, model: &str, os: &str, agent: &str) -> Value {
    json!({"Identity": format!("{who}\\ExchangeActiveSyncDevices\\{kind}§{n}"),
           "DeviceId": format!("ID{n}"), "DeviceType": kind, "DeviceModel": model,
           "DeviceOS": os, "DeviceUserAgent": agent,
           "DeviceAccessState": "Allowed", "DeviceWipeStatus": "",
           "UserPrincipalName": who})
}

/// G2: one setting of a group makes Corral send the whole group (the others at its documented
/// defaults, shown as such); a group with none is never sent; a value outside the contract is
/// refused naming the setting, before anything is sent; *modify connector policy* (403).
#[tokio::test]
async fn settings_groups_are_managed_whole_or_not_at_all() {
    let s = setup(Db::Sqlite).await;
    let id = s.contoso().await;
    let policy = |s: &Setup| -> Value {
        let x = s.exchange.exchange.lock().unwrap();
        x.organisations[ONLINE].policies[0].clone()
    };

    // Without the permission: 403, nothing kept or sent.
    let site_only = s.admin("site@acme.example", &["modify_site"]).await;
    let r = s
        .act_in(
            &site_only,
            "settings",
            "edit",
            Some(&format!("{id}-password")),
            json!({"MinPasswordLength": "8"}),
        )
        .await;
    assert_eq!(r.status, 403, "{r:?}");

    // Values outside the contract: each setting named, nothing sent.
    let r = s
        .act_in(
            &s.c,
            "settings",
            "edit",
            Some(&format!("{id}-password")),
            json!({"MinPasswordLength": "17", "MaxInactivityTimeLock": "02:00:00",
                   "PasswordHistory": "x", "AllowCamera": "false"}),
        )
        .await;
    assert_eq!(r.status, 422, "{r:?}");
    let text = r.body.to_string();
    for setting in [
        "MinPasswordLength",
        "MaxInactivityTimeLock",
        "PasswordHistory",
        "AllowCamera",
    ] {
        assert!(text.contains(&format!("/{setting}")), "{setting}: {text}");
    }
    assert!(s.sent(ONLINE, "Set-MobileDeviceMailboxPolicy").is_empty());

    // One setting: the whole Password group, the rest at Corral's defaults; no other group.
    let r = s
        .act_in(
            &s.c,
            "settings",
            "edit",
            Some(&format!("{id}-password")),
            json!({"MinPasswordLength": "8", "MaxInactivityTimeLock": "00:05:00"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let sent = s.sent(ONLINE, "Set-MobileDeviceMailboxPolicy");
    assert_eq!(sent.len(), 1);
    let p = sent[0].as_object().unwrap();
    let mut names: Vec<&str> = p.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "AllowSimplePassword",
            "AlphanumericPasswordRequired",
            "Identity",
            "MaxInactivityTimeLock",
            "MaxPasswordFailedAttempts",
            "MinPasswordComplexCharacters",
            "MinPasswordLength",
            "PasswordEnabled",
            "PasswordExpiration",
            "PasswordHistory",
            "PasswordRecoveryEnabled"
        ]
    );
    assert_eq!(p["Identity"], "Default");
    assert_eq!(p["MinPasswordLength"], 8);
    assert_eq!(p["PasswordEnabled"], false);
    assert_eq!(p["MaxPasswordFailedAttempts"], "Unlimited");
    assert_eq!(policy(&s)["MaxInactivityTimeLock"], "00:05:00");
    assert!(policy(&s).get("AllowCamera").is_none());
    let item = s.item("settings", &format!("{id}-password")).await;
    assert_eq!(value(&item, "managed-by"), "Corral");
    assert_eq!(detail(&item, "MinPasswordLength"), "8");
    assert_eq!(detail(&item, "PasswordEnabled"), "false (Corral's default)");
    assert_eq!(detail(&item, "policy"), "sent to Exchange");
    let security = s.item("settings", &format!("{id}-security")).await;
    assert_eq!(value(&security, "managed-by"), "Exchange");
    assert_eq!(detail(&security, "AllowCamera"), "left to Exchange");

    // A second group: both sent, each whole.
    let r = s
        .act_in(
            &s.c,
            "settings",
            "edit",
            Some(&format!("{id}-security")),
            json!({"AllowCamera": "false", "AllowBluetooth": "HandsfreeOnly"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let last = s
        .sent(ONLINE, "Set-MobileDeviceMailboxPolicy")
        .pop()
        .unwrap();
    assert_eq!(last["AllowCamera"], false);
    assert_eq!(last["AllowWiFi"], true);
    assert_eq!(last["MinPasswordLength"], 8);
    assert!(last.get("MaxEmailAgeFilter").is_none(), "{last}");
    // Nothing given to a group left to Exchange: nothing sent.
    let before = s.sent(ONLINE, "Set-MobileDeviceMailboxPolicy").len();
    let r = s
        .act_in(
            &s.c,
            "settings",
            "edit",
            Some(&format!("{id}-email-management")),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        s.sent(ONLINE, "Set-MobileDeviceMailboxPolicy").len(),
        before
    );

    // Exchange unreachable: the change is kept and goes at the next sync.
    s.exchange.exchange.lock().unwrap().down = true;
    let r = s
        .act_in(
            &s.c,
            "settings",
            "edit",
            Some(&format!("{id}-email-management")),
            json!({"MaxEmailAgeFilter": "OneWeek"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(
        detail(&r.body["item"], "policy").starts_with("not sent yet"),
        "{r:?}"
    );
    s.exchange.exchange.lock().unwrap().down = false;
    s.sync().await;
    assert_eq!(policy(&s)["MaxEmailAgeFilter"], "OneWeek");
    let item = s.item("settings", &format!("{id}-email-management")).await;
    assert_eq!(detail(&item, "policy"), "sent to Exchange");
    s.exchange.assert_conforms();
}

/// G3: allow, block and quarantine by each characteristic, the default level, and the
/// evaluation of each device explained (collection item and device in the inventory).
#[tokio::test]
async fn access_rules_decide_and_explain_each_device() {
    let s = setup(Db::Sqlite).await;
    let id = s.contoso().await;
    let rule = |ch: &str, q: &str, level: &str| json!({"organization": ONLINE, "characteristic": ch, "query_string": q, "level": level});
    // Without *modify connector policy*: 403.
    let site_only = s.admin("site@acme.example", &["modify_site"]).await;
    let r = s
        .act_in(
            &site_only,
            "access-rules",
            "create",
            None,
            rule("DeviceType", "iPhone", "Block"),
        )
        .await;
    assert_eq!(r.status, 403, "{r:?}");
    let r = s.act_in(&s.c, "access-rules", "create", None,
        json!({"organization": ONLINE, "characteristic": "XMSWLHeader", "query_string": "", "level": "Deny"})).await;
    assert_eq!(r.status, 422, "{r:?}");
    for field in ["/characteristic", "/query_string", "/level"] {
        assert!(r.body.to_string().contains(field), "{field}: {r:?}");
    }
    // A rule Corral did not make stays.
    s.exchange.exchange.lock().unwrap().organisations.get_mut(ONLINE).unwrap().rules.push(
        json!({"Identity": "Nokia (DeviceType)", "Name": "Nokia (DeviceType)", "QueryString": "Nokia",
               "Characteristic": "DeviceType", "AccessLevel": "Block"}));

    // Each level with each characteristic, and a device matching each rule only.
    let characteristics = ["DeviceType", "DeviceModel", "DeviceOS", "UserAgent"];
    let levels = ["Allow", "Block", "Quarantine"];
    let who = "amy@contoso.onmicrosoft.com";
    let mut n = 0;
    for ch in characteristics {
        for level in levels {
            n += 1;
            let q = format!("{ch}-{level}");
            let r = s
                .act_in(&s.c, "access-rules", "create", None, rule(ch, &q, level))
                .await;
            assert_eq!(r.status, 200, "{r:?}");
            let field = |f: &str| {
                if f == ch {
                    q.clone()
                } else {
                    format!("other-{n}")
                }
            };
            s.exchange.add_device(
                ONLINE,
                exchange_device(
                    who,
                    n,
                    &field("DeviceType"),
                    &field("DeviceModel"),
                    &field("DeviceOS"),
                    &field("UserAgent"),
                ),
            );
        }
    }
    let at_exchange = s.exchange.exchange.lock().unwrap().organisations[ONLINE]
        .rules
        .clone();
    assert_eq!(at_exchange.len(), 13);
    for ch in characteristics {
        for level in levels {
            let name = format!("{ch}-{level} ({ch})");
            let r = at_exchange
                .iter()
                .find(|r| r["Identity"] == name.as_str())
                .unwrap_or_else(|| panic!("{name} in {at_exchange:?}"));
            assert_eq!(
                (r["Characteristic"].as_str(), r["AccessLevel"].as_str()),
                (Some(ch), Some(level))
            );
        }
    }
    // A device no rule matches takes the default level: Exchange's, then Corral's.
    s.exchange.add_device(
        ONLINE,
        exchange_device(who, 99, "Plain", "Plain", "Plain 1", "Plain/1"),
    );
    let r = s
        .act(&s.c, "access", Some(&id), json!({"level": "Quarantine"}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        detail(&r.body["item"], "default-access-level"),
        "Quarantine"
    );
    assert_eq!(
        s.exchange.exchange.lock().unwrap().organisations[ONLINE].settings["DefaultAccessLevel"],
        "Quarantine"
    );
    s.sync().await;

    let devices = s.items("devices").await;
    assert_eq!(devices.len(), 13, "{devices:?}");
    let mut n = 0;
    for ch in characteristics {
        for level in levels {
            n += 1;
            let d = devices
                .iter()
                .find(|d| detail(d, "device-id") == format!("ID{n}"))
                .unwrap();
            assert_eq!(value(d, "access"), level, "{d}");
            assert_eq!(
                detail(d, "access-rule"),
                format!("{ch}-{level} ({ch})"),
                "{d}"
            );
            assert!(
                detail(d, "access-explanation")
                    .contains(&format!("the rule {ch}-{level} ({ch}) decided")),
                "{d}"
            );
        }
    }
    let plain = devices
        .iter()
        .find(|d| detail(d, "device-id") == "ID99")
        .unwrap();
    assert_eq!(value(plain, "access"), "Quarantine");
    assert!(
        detail(plain, "access-explanation").contains("default access level"),
        "{plain}"
    );
    // The inventory's device says the same.
    let entry = s.inventory_device("amy_Plain").await;
    let one =
        s.c.get(&format!(
            "/api/v1/devices/{}",
            entry["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(one.status, 200, "{one:?}");
    let facts = one.body["discovery"]["details"].as_array().unwrap().clone();
    let fact = |name: &str| {
        facts
            .iter()
            .find(|f| f["name"] == name)
            .map(|f| f["value"].clone())
    };
    assert_eq!(fact("access"), Some(json!("Quarantine")), "{one:?}");
    assert!(
        fact("access-explanation")
            .unwrap()
            .as_str()
            .unwrap()
            .contains("default"),
        "{one:?}"
    );

    // A level changed, a rule removed: Exchange follows; the rule Corral did not make stays.
    let listed = s.items("access-rules").await;
    let block_type = listed
        .iter()
        .find(|r| r["title"] == "DeviceType-Block (DeviceType)")
        .unwrap();
    let rid = block_type["id"].as_str().unwrap();
    let r = s
        .act_in(
            &s.c,
            "access-rules",
            "edit",
            Some(rid),
            json!({"level": "Allow"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(s.sent(ONLINE, "Set-ActiveSyncDeviceAccessRule").len(), 1);
    let r = s
        .act_in(&s.c, "access-rules", "remove", Some(rid), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let at_exchange = s.exchange.exchange.lock().unwrap().organisations[ONLINE]
        .rules
        .clone();
    assert_eq!(at_exchange.len(), 12);
    assert!(at_exchange
        .iter()
        .any(|r| r["Identity"] == "Nokia (DeviceType)"));
    assert!(!at_exchange
        .iter()
        .any(|r| r["Identity"] == "DeviceType-Block (DeviceType)"));
    // The same rule twice: refused.
    let r = s
        .act_in(
            &s.c,
            "access-rules",
            "create",
            None,
            rule("devicemodel", "DeviceModel-Allow", "Block"),
        )
        .await;
    assert_eq!(r.status, 422, "{r:?}");
    s.exchange.assert_conforms();
}

/// G4, G5, G7: wipes and their cancellation gated by *delete resource* / *modify resource*
/// (403), each in the history with who asked; a user's own wipe (through the host's command
/// path); an Exchange Online device linked to its user by hand; external MDM keeping the
/// devices enrolled in Corral in their mailbox's allowed devices.
#[tokio::test]
async fn wipes_affinity_and_external_mdm() {
    let s = setup(Db::Sqlite).await;
    let id = s.contoso().await;
    let who = "amy@contoso.onmicrosoft.com";
    let amy =
        s.c.create_user(json!({"email": who, "first_name": "Amy", "last_name": "Ray"}))
            .await;
    s.exchange.add_device(
        ONLINE,
        exchange_device(
            who,
            1,
            "iPhone",
            "iPhone15C2",
            "iOS 17.1 21B74",
            "Apple-iPhone15C2/2101.74",
        ),
    );
    let mut enrolled = exchange_device(
        who,
        2,
        "Android",
        "Pixel 8",
        "Android 14",
        "Android-Mail/14",
    );
    enrolled["DeviceImei"] = json!("356938035643809");
    s.exchange.add_device(ONLINE, enrolled);
    s.sync().await;
    let devices = s.items("devices").await;
    let iphone = devices
        .iter()
        .find(|d| value(d, "name") == "amy_iPhone")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Wipe: *delete resource*; cancel: *modify resource*.
    let nobody = s.admin("nobody@acme.example", &[]).await;
    let cancels = s.admin("cancels@acme.example", &["modify_resource"]).await;
    let wipes = s.admin("wipes@acme.example", &["delete_resource"]).await;
    for (who, action) in [
        (&nobody, "wipe"),
        (&nobody, "cancel-wipe"),
        (&cancels, "wipe"),
        (&wipes, "cancel-wipe"),
    ] {
        let r = s
            .act_in(who, "devices", action, Some(&iphone), json!({}))
            .await;
        assert_eq!(r.status, 403, "{action}: {r:?}");
    }
    assert!(s.sent(ONLINE, "Clear-MobileDevice").is_empty());
    let r = s
        .act_in(&wipes, "devices", "wipe", Some(&iphone), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(value(&r.body["item"], "wipe"), "WipePending");
    let r = s
        .act_in(&cancels, "devices", "cancel-wipe", Some(&iphone), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(value(&r.body["item"], "wipe"), "WipeCanceled");
    let identity = format!("{who}\\ExchangeActiveSyncDevices\\iPhone§1");
    assert_eq!(
        s.exchange.exchange.lock().unwrap().organisations[ONLINE].wipes,
        [(identity.clone(), false), (identity.clone(), true)]
    );
    let h =
        s.c.get("/api/v1/history?object_type=vendor_object&limit=100")
            .await;
    let text = h.body.to_string();
    assert!(
        text.contains("wipes@acme.example") && text.contains("cancels@acme.example"),
        "{text}"
    );

    // Exchange Online: the device is linked to its user by hand (*modify resource*), and the
    // next sync keeps it.
    let entry = s.inventory_device("amy_iPhone").await;
    let device_id = entry["id"].as_str().unwrap().to_string();
    assert!(entry["user_id"].is_null());
    let path = format!("/api/v1/devices/{device_id}/owner");
    let r = nobody
        .send("PUT", &path, Some(json!({"user_id": amy})))
        .await;
    assert_eq!(r.status, 403, "{r:?}");
    let r =
        s.c.send("PUT", &path, Some(json!({"user_id": "nobody"})))
            .await;
    assert_eq!(r.status, 400, "{r:?}");
    assert!(r.body.to_string().contains("user_id"), "{r:?}");
    let r = cancels
        .send("PUT", &path, Some(json!({"user_id": amy})))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["user_id"], amy.as_str());
    s.sync().await;
    let one = s.c.get(&format!("/api/v1/devices/{device_id}")).await;
    assert_eq!(one.body["user_id"], amy.as_str(), "{one:?}");

    // A wipe through the host's command path needs *delete resource* for a discovered device.
    let wipe = json!({"command": "wipe"});
    let commands = format!("/api/v1/devices/{device_id}/commands");
    let r = cancels.send("POST", &commands, Some(wipe.clone())).await;
    assert_eq!(r.status, 403, "{r:?}");
    let r = wipes.send("POST", &commands, Some(wipe)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(s.sent(ONLINE, "Clear-MobileDevice").len(), 3);
    let r =
        s.c.send("POST", &commands, Some(json!({"command": "lock"})))
            .await;
    assert_eq!(r.status, 409, "{r:?}");

    // External MDM: off, nothing; on, the device enrolled in Corral (same IMEI) is kept in
    // its mailbox's allowed devices; off again, taken out.
    // Amy's Pixel, enrolled in Corral (its IMEI known to the inventory).
    s.env.execute_sql(
        "INSERT INTO devices (id, tenant_id, user_id, platform, os_version, hardware_id, name, \
         model, state, archived, mdm_enabled, registrations, registered_at, created_at, updated_at) \
         SELECT 'pixel-1', tenant_id, user_id, 'android', '14', 'PIXEL1', 'Pixel', 'Pixel 8', \
         'active', 0, 1, 1, 0, 0, 0 FROM devices WHERE name = 'amy_iPhone'",
    ).await;
    s.env
        .execute_sql(
            "INSERT INTO device_identifiers (tenant_id, device_id, kind, value) \
         SELECT tenant_id, 'pixel-1', 'imei', '356938035643809' FROM devices WHERE id = 'pixel-1'",
        )
        .await;
    let allowed = |s: &Setup| {
        s.exchange.exchange.lock().unwrap().organisations[ONLINE]
            .allowed
            .get(who)
            .cloned()
            .unwrap_or_default()
    };
    assert!(allowed(&s).is_empty());
    let mut on = s.connector("Contoso", ONLINE, "online", "");
    on["external_mdm"] = json!(true);
    let r = s.act(&s.c, "edit", Some(&id), on.clone()).await;
    assert_eq!(r.status, 200, "{r:?}");
    s.sync().await;
    assert_eq!(allowed(&s), ["ID2"]);
    let android = s
        .items("devices")
        .await
        .into_iter()
        .find(|d| value(d, "name") == "amy_Android")
        .unwrap();
    assert_eq!(value(&android, "access"), "Allow");
    assert!(
        detail(&android, "access-explanation").contains("external MDM"),
        "{android}"
    );
    on["external_mdm"] = json!(false);
    let r = s.act(&s.c, "edit", Some(&id), on).await;
    assert_eq!(r.status, 200, "{r:?}");
    s.sync().await;
    assert!(allowed(&s).is_empty());
    s.exchange.assert_conforms();
}

/// G4: a user wipes their own discovered device from the portal, after a confirmation page
/// (nothing sent before it is posted, a cross-site post refused); the wipe is recorded as
/// theirs; another user's device is not theirs to wipe.
#[tokio::test]
async fn a_user_wipes_their_own_device_from_the_portal() {
    let s = setup(Db::Sqlite).await;
    s.contoso().await;
    let amy_mail = "amy@contoso.onmicrosoft.com";
    let amy =
        s.c.create_user(
            json!({"email": amy_mail, "first_name": "Amy", "last_name": "Ray",
                            "password": "amy's long password"}),
        )
        .await;
    let bob =
        s.c.create_user(
            json!({"email": "bob@contoso.onmicrosoft.com", "first_name": "Bob",
                            "last_name": "Lee"}),
        )
        .await;
    s.exchange.add_device(
        ONLINE,
        exchange_device(
            amy_mail,
            1,
            "iPhone",
            "iPhone15C2",
            "iOS 17.1 21B74",
            "Apple-iPhone/1",
        ),
    );
    s.exchange.add_device(
        ONLINE,
        exchange_device(
            "bob@contoso.onmicrosoft.com",
            2,
            "Android",
            "Pixel 8",
            "Android 14",
            "Mail/1",
        ),
    );
    s.sync().await;
    let id_of = |d: Value| d["id"].as_str().unwrap().to_string();
    let amys = id_of(s.inventory_device("amy_iPhone").await);
    let bobs = id_of(s.inventory_device("bob_Android").await);
    for (device, user) in [(&amys, &amy), (&bobs, &bob)] {
        let r =
            s.c.send(
                "PUT",
                &format!("/api/v1/devices/{device}/owner"),
                Some(json!({"user_id": user})),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
    }

    let url = s.c.get("/api/v1/registration").await.body["url"]
        .as_str()
        .unwrap()
        .to_string();
    let b = corral_tests::portal::Browser::new(&s.server.url);
    let page = b.get(&url).await;
    let home = b
        .submit(
            &page,
            "/sign-in",
            &[("email", amy_mail), ("password", "amy's long password")],
        )
        .await;
    let items = home.texts("ul.devices li");
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(items[0].contains("Found through your mailbox"), "{items:?}");
    let href = home.attr("ul.devices li a", "href").expect("a wipe link");
    assert!(href.ends_with(&format!("/devices/{amys}/wipe")), "{href}");

    // The confirmation: nothing sent yet.
    let confirm = b.get(&href).await;
    assert_eq!(confirm.status, 200, "{confirm:?}");
    assert_eq!(confirm.h1(), "Wipe this device?");
    assert!(s.sent(ONLINE, "Clear-MobileDevice").is_empty());
    // A post without the page's token (another site's form): refused, nothing sent.
    let forged = b.post_raw(&href, &[]).await;
    assert_eq!(forged.status, 403, "{forged:?}");
    assert!(s.sent(ONLINE, "Clear-MobileDevice").is_empty());
    // Bob's device: not hers.
    let base = href
        .trim_end_matches(&format!("/devices/{amys}/wipe"))
        .to_string();
    let other = b.get(&format!("{base}/devices/{bobs}/wipe")).await;
    assert_eq!(other.status, 404, "{other:?}");
    let r = b
        .post_raw(
            &format!("{base}/devices/{bobs}/wipe"),
            &[("csrf", confirm.csrf().as_str())],
        )
        .await;
    assert_eq!(r.status, 404, "{r:?}");
    assert!(s.sent(ONLINE, "Clear-MobileDevice").is_empty());

    // Confirmed: asked of Exchange, in the history as Amy's.
    let done = b
        .submit(&confirm, &format!("/devices/{amys}/wipe"), &[])
        .await;
    assert_eq!(done.status, 200, "{done:?}");
    assert_eq!(done.h1(), "Wipe requested");
    let sent = s.sent(ONLINE, "Clear-MobileDevice");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0]["Identity"],
        format!("{amy_mail}\\ExchangeActiveSyncDevices\\iPhone§1")
    );
    assert!(sent[0].get("Cancel").is_none());
    let h =
        s.c.get(&format!(
            "/api/v1/history?object_type=device&object_id={amys}"
        ))
        .await;
    let entry = h
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "command")
        .unwrap_or_else(|| panic!("{h:?}"))
        .clone();
    assert_eq!(entry["actor_type"], "user", "{entry}");
    assert_eq!(entry["actor_label"], amy_mail, "{entry}");
    // In French too.
    let fr = b.get(&format!("{href}?lang=fr")).await;
    assert_eq!(fr.h1(), "Effacer cet appareil ?");
    s.exchange.assert_conforms();
}

/// The Exchange pages of the console in a real browser (tests/browser/exchange-walkthrough.mjs),
/// JavaScript off; screenshots in `test-output/console-browser/exchange/`. What the pages did
/// is then checked at the stand-in and in the inventory.
async fn walk_through(width: u32, height: u32) {
    let s = setup(Db::Sqlite).await;
    let who = "amy@contoso.onmicrosoft.com";
    let amy =
        s.c.create_user(json!({"email": who, "first_name": "Amy", "last_name": "Ray"}))
            .await;
    s.exchange.add_device(
        ONLINE,
        exchange_device(
            who,
            1,
            "iPhone",
            "iPhone15C2",
            "iOS 17.1 21B74",
            "Apple-iPhone/1",
        ),
    );
    let password = "console passphrase 1";
    let r =
        s.c.send(
            "POST",
            "/api/v1/admins",
            Some(
                json!({"email": "exo@acme.example", "role": "admin", "password": password,
                        "exchange_permissions": ["modify_site", "modify_connector_policy",
                                                 "delete_resource", "modify_resource"]}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let totp = corral_tests::totp_from_uri(r.body["totp_uri"].as_str().unwrap());
    let out_dir = walkthrough::workspace().join("test-output/console-browser/exchange");
    let args = json!({
        "base": s.server.url,
        "tenant": "acme",
        "email": "exo@acme.example",
        "password": password,
        "totpSecret": totp.get_secret_base32(),
        "width": width,
        "height": height,
        "outDir": out_dir,
        "plugin": s.plugin,
        "organization": ONLINE,
        "endpoint": s.exchange.base_url,
        "tokenUri": s.exchange.token_uri("acme-directory"),
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "userEmail": who,
    });
    let limit = std::time::Duration::from_secs(180);
    let report = walkthrough::run("exchange-walkthrough.mjs", &args, limit, &s.server).await;
    walkthrough::assert_screenshots(&report, 11, width, height);
    // What the pages did is what Exchange and the inventory hold.
    {
        let x = s.exchange.exchange.lock().unwrap();
        let org = &x.organisations[ONLINE];
        assert_eq!(org.policies[0]["MinPasswordLength"], 8);
        assert!(org
            .rules
            .iter()
            .any(|r| r["Identity"] == "iPhone15C2 (DeviceModel)" && r["AccessLevel"] == "Block"));
        assert_eq!(
            org.wipes,
            [(format!("{who}\\ExchangeActiveSyncDevices\\iPhone§1"), false)]
        );
    }
    let device = s.inventory_device("amy_iPhone").await;
    assert_eq!(device["user_id"], amy.as_str());
    s.exchange.assert_conforms();
}

#[tokio::test]
async fn exchange_pages_in_a_browser_at_desktop_size() {
    walk_through(1280, 800).await;
}

#[tokio::test]
async fn exchange_pages_in_a_browser_at_phone_size() {
    walk_through(390, 844).await;
}

/// What the connector shows is worded in the reader's language (`locale`, 0.7.0): the admin
/// API's `Accept-Language`, English otherwise; identifiers stay as they are.
#[tokio::test]
async fn the_connector_speaks_the_readers_language() {
    let s = setup(Db::Sqlite).await;
    let id = s.contoso().await;
    let french = [("accept-language", "fr-FR,fr;q=0.9")];
    let collections = format!("/api/v1/plugins/{}/collections", s.plugin);
    let title = |r: &corral_tests::Reply, name: &str| {
        r.body
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["title"]
            .clone()
    };
    let en = s.c.get(&collections).await;
    assert_eq!(title(&en, "connectors"), "Connectors");
    let fr = s.c.send_with("GET", &collections, &french, "").await;
    assert_eq!(fr.status, 200, "{fr:?}");
    assert_eq!(title(&fr, "connectors"), "Connecteurs");
    assert_eq!(title(&fr, "settings"), "Groupes de paramètres");
    let item =
        s.c.send_with(
            "GET",
            &format!("{collections}/connectors/items/{id}"),
            &french,
            "",
        )
        .await;
    assert_eq!(value(&item.body, "status"), "installé", "{item:?}");
    // A field error in French, at the same pointer.
    let body = json!({"item": format!("{id}-password"), "input": {"MinPasswordLength": "17"}});
    let r =
        s.c.send_with(
            "POST",
            &format!("{collections}/settings/actions/edit"),
            &[french[0], ("content-type", "application/json")],
            &body.to_string(),
        )
        .await;
    assert_eq!(r.status, 422, "{r:?}");
    let text = r.body.to_string();
    assert!(text.contains("/MinPasswordLength"), "{text}");
    assert!(
        text.contains("attendu : un nombre entier de 1 à 16"),
        "{text}"
    );
    // Without a language the host speaks: English.
    let de =
        s.c.send_with("GET", &collections, &[("accept-language", "de")], "")
            .await;
    assert_eq!(title(&de, "connectors"), "Connectors");
}

/// Exchange's devices are kept in buckets and listed a page at a time: every device once,
/// however many; one is found, wiped and forgotten with its connector.
#[tokio::test]
async fn many_devices_are_paged_and_each_found_once() {
    let s = setup(Db::Sqlite).await;
    let id = s.contoso().await;
    for n in 0..450 {
        let who = format!("user{}@contoso.onmicrosoft.com", n % 50);
        s.exchange.add_device(
            ONLINE,
            exchange_device(&who, n, "iPhone", "iPhone15C2", "iOS 17.1 21B74", "Apple/1"),
        );
    }
    s.sync().await;
    let path = format!("/api/v1/plugins/{}/collections/devices/items", s.plugin);
    let mut seen = std::collections::BTreeSet::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &token {
            Some(t) => format!("{path}?page_token={t}"),
            None => path.clone(),
        };
        let r = s.c.get(&url).await;
        assert_eq!(r.status, 200, "{r:?}");
        pages += 1;
        for item in r.body["items"].as_array().unwrap() {
            assert!(seen.insert(detail(item, "device-id")), "{item} twice");
        }
        match r.body["next_page_token"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 450);
    assert!(pages >= 2, "{pages} pages");
    // One found by its id; the ones Exchange no longer lists forgotten at the next sync.
    let first = s.items("devices").await[0].clone();
    let one = s.item("devices", first["id"].as_str().unwrap()).await;
    assert_eq!(one["id"], first["id"]);
    s.exchange
        .exchange
        .lock()
        .unwrap()
        .organisations
        .get_mut(ONLINE)
        .unwrap()
        .devices
        .truncate(10);
    s.sync().await;
    let r = s.c.get(&path).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 10, "{r:?}");
    assert!(r.body["next_page_token"].is_null());
    let r = s.act(&s.c, "remove", Some(&id), json!({})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = s.c.get(&path).await;
    assert!(r.body["items"].as_array().unwrap().is_empty(), "{r:?}");
    s.exchange.assert_conforms();
}
