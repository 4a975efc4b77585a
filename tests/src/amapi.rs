//! The AMAPI plugin's test set-up, shared by the test files that exercise it against the
//! Google stand-in ([`crate::google`]): a tenant with the plugin installed and active, the
//! stand-in trusted and reachable, and helpers to grant, configure and call it.

use serde_json::{json, Value};

use crate::google::{GoogleStandIn, Recorded};
use crate::{Client, Db, Env};

/// A tenant with the AMAPI plugin installed and active, and a Google stand-in.
pub struct Setup {
    pub env: Env,
    pub server: crate::Server,
    /// The tenant owner's signed-in client.
    pub c: Client,
    /// The plugin's id.
    pub plugin: String,
    pub google: GoogleStandIn,
}

/// A tenant `acme` whose owner installed and activated the AMAPI plugin (world 0.5.0).
pub async fn setup(db: Db) -> Setup {
    let env = Env::new(db).await;
    std::fs::create_dir_all(env.data_dir()).unwrap();
    let google = GoogleStandIn::start(&env.data_dir()).await;
    let env = env
        .with_env(
            "CORRAL_PLUGIN_EXTRA_ROOTS",
            google.ca_file().to_str().unwrap(),
        )
        .with_env("CORRAL_PLUGIN_ALLOW_PRIVATE_ADDRESSES", "true")
        .with_env("CORRAL_JOBS_EVERY_SECS", "1")
        .with_env("CORRAL_PLUGIN_DELIVERY_RETRY_SECS", "1");
    let clock = env.data_dir().join("clock");
    let env = env.with_env("CORRAL_TEST_CLOCK_FILE", clock.to_str().unwrap());
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "owner").await;
    let (plugin, uploaded) = c.install_active("corral_amapi_plugin").await;
    let version = &uploaded.body["plugin"]["versions"][0];
    assert_eq!(version["world_version"], "0.7.0", "{uploaded:?}");
    assert!(
        version["requested_capabilities"]
            .as_array()
            .unwrap()
            .contains(&json!("vendor")),
        "{uploaded:?}"
    );
    Setup {
        env,
        server,
        c,
        plugin,
        google,
    }
}

/// `recorded` is the API method `method` (after `androidmanagement.enterprises.`), on `path`
/// when one is given.
pub fn assert_call(recorded: &Recorded, method: &str, path: Option<&str>) {
    assert_eq!(
        recorded.method,
        format!("androidmanagement.enterprises.{method}"),
        "{recorded:?}"
    );
    if let Some(path) = path {
        assert_eq!(recorded.path, path, "{recorded:?}");
    }
}

/// `r` is a refusal with `status` whose message mentions `needle`.
pub fn assert_refused(r: &crate::Reply, status: u16, needle: &str) {
    assert_eq!(r.status, status, "{r:?}");
    let message = r.body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "{r:?}");
}

/// `r` is a 400 naming `field`.
pub fn assert_field(r: &crate::Reply, field: &str) {
    assert_eq!((r.status, r.error().1), (400, Some(field)), "{r:?}");
}

impl Setup {
    /// Allows what the plugin requests, with `hosts` as the HTTPS allow-list.
    pub async fn grant(&self, hosts: &[&str]) {
        let requested = self
            .c
            .get(&format!("/api/v1/plugins/{}", self.plugin))
            .await
            .body["versions"][0]["requested_capabilities"]
            .clone();
        let r = self
            .c
            .send(
                "PUT",
                &format!("/api/v1/plugins/{}/grants", self.plugin),
                Some(json!({"capabilities": requested, "http_allow_hosts": hosts})),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
    }

    /// The enterprise id and the stand-in's URL as settings, and the test service account.
    pub async fn configure(&self) {
        self.configure_with(json!({})).await;
    }

    /// [`Setup::configure`] with more settings (`extra`, an object of name to value).
    pub async fn configure_with(&self, extra: Value) {
        let mut settings = json!({
            "enterprise-id": "enterprises/LC01abcdef",
            "api-base-url": self.google.base_url,
        });
        for (name, value) in extra.as_object().unwrap() {
            settings[name] = value.clone();
        }
        let r = self
            .c
            .send(
                "PUT",
                &format!("/api/v1/plugins/{}/vendor/settings", self.plugin),
                Some(json!({ "settings": settings })),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        let r = self
            .c
            .send(
                "PUT",
                &format!("/api/v1/plugins/{}/vendor/credential", self.plugin),
                Some(json!({"type": "service_account", "key": self.google.service_account_key()})),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
    }

    pub async fn perform(&self, action: &str, input: Value) -> crate::Reply {
        self.c
            .send(
                "POST",
                &format!("/api/v1/plugins/{}/actions/{action}", self.plugin),
                Some(input),
            )
            .await
    }

    /// Sets the server's inventory clock (`CORRAL_TEST_CLOCK_FILE`) to `unix_ms`.
    pub fn set_clock(&self, unix_ms: i64) {
        std::fs::write(self.env.data_dir().join("clock"), unix_ms.to_string()).unwrap();
    }

    /// `POST /api/v1/plugins/{id}/devices/sync`: the plugin reports its devices now.
    pub async fn sync_devices(&self) -> crate::Reply {
        self.c
            .send(
                "POST",
                &format!("/api/v1/plugins/{}/devices/sync", self.plugin),
                None,
            )
            .await
    }
}
