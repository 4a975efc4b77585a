//! The zero-touch plugin's test set-up: a tenant `acme` with the plugin installed, granted,
//! configured with the test service account and the stand-in's URL, and a customer account
//! at the stand-in ([`crate::provisioning`] inside [`crate::google`]); helpers to reach the
//! plugin's collections through the admin API.

use serde_json::{json, Value};

use crate::google::GoogleStandIn;
use crate::{Client, Db, Env, Reply};

/// The customer id of the stand-in's customer account.
pub const CUSTOMER: &str = "1234567";

pub struct Setup {
    pub env: Env,
    pub server: crate::Server,
    /// The tenant owner's signed-in client.
    pub c: Client,
    pub plugin: String,
    pub google: GoogleStandIn,
}

/// A tenant whose owner installed, granted and configured the zero-touch plugin (world 0.5.0),
/// with customer [`CUSTOMER`] ("Acme", terms accepted) at the stand-in.
pub async fn setup(db: Db) -> Setup {
    setup_with(db, &[]).await
}

/// [`setup`] with more environment for the server (`CORRAL_IMPORT_...`).
pub async fn setup_with(db: Db, vars: &[(&str, &str)]) -> Setup {
    let mut env = Env::new(db).await;
    for (name, value) in vars {
        env = env.with_env(name, value);
    }
    std::fs::create_dir_all(env.data_dir()).unwrap();
    let google = GoogleStandIn::start(&env.data_dir()).await;
    google
        .zero_touch()
        .add_customer(CUSTOMER, "Acme", "TERMS_STATUS_ACCEPTED");
    let env = env
        .with_env(
            "CORRAL_PLUGIN_EXTRA_ROOTS",
            google.ca_file().to_str().unwrap(),
        )
        .with_env("CORRAL_PLUGIN_ALLOW_PRIVATE_ADDRESSES", "true");
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "owner").await;
    let plugin = install(&c, &google).await;
    Setup {
        env,
        server,
        c,
        plugin,
        google,
    }
}

/// Installs the zero-touch plugin in `c`'s tenant, granted (outbound HTTPS to `localhost`),
/// configured for the stand-in, with the test service account; answers its id.
pub async fn install(c: &Client, google: &GoogleStandIn) -> String {
    let (plugin, uploaded) = c.install_active("corral_zero_touch_plugin").await;
    let version = &uploaded.body["plugin"]["versions"][0];
    assert_eq!(version["world_version"], "0.7.0", "{uploaded:?}");
    let requested = version["requested_capabilities"].clone();
    for wanted in ["vendor", "inventory", "kv", "directory"] {
        assert!(
            requested.as_array().unwrap().contains(&json!(wanted)),
            "{uploaded:?}"
        );
    }
    c.set_up_vendor_plugin(
        &plugin,
        requested,
        json!({"api-base-url": google.base_url}),
        json!({"type": "service_account", "key": google.service_account_key()}),
    )
    .await;
    plugin
}

impl Setup {
    fn base(&self, collection: &str) -> String {
        format!("/api/v1/plugins/{}/collections/{collection}", self.plugin)
    }

    /// `GET .../items` with an optional search and page token.
    pub async fn items(&self, c: &Client, collection: &str, query: &str) -> Reply {
        c.get(&format!("{}/items{query}", self.base(collection)))
            .await
    }

    pub async fn item(&self, c: &Client, collection: &str, id: &str) -> Reply {
        c.get(&format!("{}/items/{id}", self.base(collection)))
            .await
    }

    pub async fn form(
        &self,
        c: &Client,
        collection: &str,
        action: &str,
        item: Option<&str>,
    ) -> Reply {
        let query = item.map(|i| format!("?item={i}")).unwrap_or_default();
        c.get(&format!("{}/forms/{action}{query}", self.base(collection)))
            .await
    }

    pub async fn act(
        &self,
        c: &Client,
        collection: &str,
        action: &str,
        item: Option<&str>,
        input: Value,
    ) -> Reply {
        let mut body = json!({"input": input});
        if let Some(item) = item {
            body["item"] = json!(item);
        }
        c.send(
            "POST",
            &format!("{}/actions/{action}", self.base(collection)),
            Some(body),
        )
        .await
    }

    /// A configuration's input, with `name` and the customer's DPC.
    pub fn configuration(name: &str) -> Value {
        json!({
            "configurationName": name,
            "dpcResourcePath": format!("customers/{CUSTOMER}/dpcs/corral"),
            "dpcExtras": "{\"com.example.corral.SERVER\": \"https://corral.example\"}",
            "companyName": "Acme",
            "contactEmail": "help@acme.example",
            "contactPhone": "+33 (1) 23 45 67 89",
            "customMessage": "Your device is set up by Acme IT.",
            "isDefault": false,
        })
    }

    /// Creates a configuration through the plugin: its id (the CSV's `profileid`).
    pub async fn create_configuration(&self, name: &str, default: bool) -> String {
        let mut input = Setup::configuration(name);
        input["isDefault"] = json!(default);
        let r = self
            .act(&self.c, "configurations", "create", None, input)
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        r.body["item"]["id"].as_str().unwrap().to_string()
    }
}

impl Setup {
    /// Uploads `csv` for the devices collection's import `import`.
    pub async fn upload(&self, c: &Client, import: &str, file_name: &str, csv: &[u8]) -> Reply {
        c.post_bytes(
            &format!(
                "/api/v1/plugins/{}/collections/devices/imports/{import}?file_name={file_name}",
                self.plugin
            ),
            "text/csv",
            csv.to_vec(),
        )
        .await
    }

    /// Waits until import job `id` is done or failed (at most `secs`): the job.
    pub async fn finished(&self, id: &str, secs: u64) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let job = self.c.get(&format!("/api/v1/imports/{id}")).await;
            assert_eq!(job.status, 200, "{job:?}");
            if job.body["state"] == "done" || job.body["state"] == "failed" {
                return job.body;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "job not finished: {job:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// The kinds of bad rows a generated file mixes in, with a word of the reason each gets.
pub const BAD_ROWS: [(&str, &str); 9] = [
    ("luhn", "Luhn"),
    ("short-imei", "15 digits"),
    ("modem-type", "expected IMEI"),
    ("no-manufacturer", "manufacturer"),
    ("serial-without-model", "needs its model"),
    ("profile-type", "ZERO_TOUCH"),
    ("unknown-profile", "configuration ids"),
    ("dual-sim", "use "),
    ("extra-field", "fields where the header has 7"),
];

/// The IMEI numbered `n` (15 digits, valid Luhn check digit).
pub fn imei(n: u64) -> String {
    let body = format!("35{:012}", n % 1_000_000_000_000);
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let t = d * 2;
                if t > 9 {
                    t - 9
                } else {
                    t
                }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// A generated zero-touch file and what it should give.
pub struct Generated {
    pub rows: u64,
    pub bytes: u64,
    /// Line number and kind (of [`BAD_ROWS`]) of every bad row.
    pub bad: Vec<(u64, &'static str)>,
}

/// Writes a file of `rows` rows to `path` for configuration `profile` (`owner` = 0 instead
/// when `unregister`): IMEI rows and serial+model rows alternating, one bad row of each kind
/// in turn every `bad_every` rows. `dual_sim` is the higher IMEI of a dual-SIM device the host
/// knows (the dual-SIM bad rows name it).
pub fn generate(
    path: &std::path::Path,
    rows: u64,
    bad_every: u64,
    profile: &str,
    unregister: bool,
    dual_sim: &str,
) -> Generated {
    use std::io::Write;
    let file = std::fs::File::create(path).unwrap();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let last = if unregister { "owner" } else { "profileid" };
    writeln!(
        out,
        "modemtype,modemid,serial,model,manufacturer,profiletype,{last}"
    )
    .unwrap();
    let good_profile = if unregister { "0" } else { profile };
    let mut bad = Vec::new();
    for n in 0..rows {
        let line = n + 2;
        if n % bad_every == bad_every - 1 {
            let kind = BAD_ROWS[(bad.len()) % BAD_ROWS.len()].0;
            let i = imei(n);
            let row = match kind {
                "luhn" => {
                    let mut wrong = i.clone().into_bytes();
                    wrong[14] = b'0' + (wrong[14] - b'0' + 1) % 10;
                    format!(
                        "IMEI,{},,,Google,ZERO_TOUCH,{good_profile}",
                        String::from_utf8(wrong).unwrap()
                    )
                }
                "short-imei" => format!("IMEI,{},,,Google,ZERO_TOUCH,{good_profile}", &i[..14]),
                "modem-type" => format!("MEID,{i},,,Google,ZERO_TOUCH,{good_profile}"),
                "no-manufacturer" => format!("IMEI,{i},,,,ZERO_TOUCH,{good_profile}"),
                "serial-without-model" => {
                    format!(",,R58X{n:08},,samsung,ZERO_TOUCH,{good_profile}")
                }
                "profile-type" => format!("IMEI,{i},,,Google,KNOX,{good_profile}"),
                "unknown-profile" => format!(
                    "IMEI,{i},,,Google,ZERO_TOUCH,{}",
                    if unregister { "7" } else { "999999" }
                ),
                "dual-sim" => format!("IMEI,{dual_sim},,,Google,ZERO_TOUCH,{good_profile}"),
                _ => format!("IMEI,{i},,,Google,ZERO_TOUCH,{good_profile},extra"),
            };
            writeln!(out, "{row}").unwrap();
            bad.push((line, kind));
        } else if n % 2 == 0 {
            writeln!(out, "IMEI,{},,,Google,ZERO_TOUCH,{good_profile}", imei(n)).unwrap();
        } else {
            writeln!(
                out,
                ",,R58M{n:08},SM-G991B,samsung,ZERO_TOUCH,{good_profile}"
            )
            .unwrap();
        }
    }
    out.flush().unwrap();
    drop(out);
    Generated {
        rows,
        bytes: std::fs::metadata(path).unwrap().len(),
        bad,
    }
}
