//! End-to-end test harness: runs the real `corral` binary (built by `scripts/test.sh`, or by
//! `cargo build -p corral-host` before `cargo test`) against a real SQLite file or a real
//! PostgreSQL server, and talks to it over HTTP like any client.
//!
//! PostgreSQL comes from `CORRAL_TEST_POSTGRES_URL`, a URL of a server where the tests may
//! `CREATE DATABASE` (scripts/test.sh starts a throw-away cluster and sets it). Each test gets a
//! database of its own. There is no silent skip: without the variable the PostgreSQL tests fail
//! and say how to run them.

pub mod amapi;
pub mod apns;
pub mod apple;
pub mod discovery;
pub mod exchange;
pub mod exchange_cmdlets;
pub mod google;
pub mod knox;
pub mod network;
pub mod portal;
pub mod provisioning;
pub mod walkthrough;
pub mod zero_touch;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use totp_rs::TOTP;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs an async test body once per backend: `both_backends!(name)` expects
/// `async fn name(db: Db)` in scope and creates `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::Db::Postgres).await
            }
        }
    )+};
}

/// The `corral` binary next to this test executable (target/<profile>/corral).
pub fn corral_bin() -> PathBuf {
    if let Ok(bin) = std::env::var("CORRAL_BIN") {
        return bin.into();
    }
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable lives in target/<profile>/deps");
    let bin = profile_dir.join("corral");
    assert!(
        bin.exists(),
        "{} is missing: build it first (`cargo build -p corral-host`; scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// A fresh database (and data directory) for one test.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub db: Db,
    pub database_url: String,
    extra_env: Vec<(String, String)>,
}

impl Env {
    pub async fn new(db: Db) -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = database_url(db, dir.path()).await;
        Env {
            dir,
            db,
            database_url,
            extra_env: Vec::new(),
        }
    }

    /// Another process environment (own data directory, so own secret key file) on the same
    /// database.
    pub fn sharing_database(&self) -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
            db: self.db,
            database_url: self.database_url.clone(),
            extra_env: Vec::new(),
        }
    }

    /// Adds an environment variable to every process this env starts.
    pub fn with_env(mut self, key: &str, value: &str) -> Env {
        self.extra_env.push((key.into(), value.into()));
        self
    }

    /// Sends mail to the SMTP server on `smtp_port`, polling the outbox every 100 ms and
    /// retrying from 200 ms on.
    pub fn with_smtp(self, smtp_port: u16) -> Env {
        self.with_env("CORRAL_SMTP_URL", &format!("smtp://127.0.0.1:{smtp_port}"))
            .with_env("CORRAL_MAIL_POLL_MS", "100")
            .with_env("CORRAL_MAIL_RETRY_BASE_MS", "200")
            .with_env("CORRAL_MAIL_FROM", "Corral <corral@acme.example>")
    }

    /// Runs one SQL statement on the test's database (to make time pass for a stored row, for
    /// example); returns the rows affected.
    pub async fn execute_sql(&self, sql: &str) -> u64 {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&self.database_url).await.unwrap();
        let done = sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
        done.rows_affected()
    }

    /// The first column of the first row of `sql` on the test's database, as a number (a
    /// `COUNT(*)`, for example).
    pub async fn number_sql(&self, sql: &str) -> i64 {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&self.database_url).await.unwrap();
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
        pool.close().await;
        n
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(corral_bin());
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CORRAL_DATABASE_URL", &self.database_url)
            .env("CORRAL_DATA_DIR", self.data_dir())
            .env("CORRAL_DATABASE_MAX_CONNECTIONS", "5")
            .env("RUST_LOG", "info")
            .current_dir(self.dir.path());
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs `corral ARGS` to completion, feeding `stdin`.
    pub async fn cli(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn corral");
        let mut input = child.stdin.take().unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut input, stdin.as_bytes())
            .await
            .unwrap();
        drop(input);
        tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("corral CLI timed out")
            .unwrap()
    }

    /// Like [`Env::cli`], panicking with the output unless it succeeds; returns stdout.
    pub async fn cli_ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.cli(args, stdin).await;
        assert!(
            out.status.success(),
            "corral {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub async fn create_tenant(&self, slug: &str) -> String {
        self.cli_ok(
            &[
                "tenant",
                "create",
                "--slug",
                slug,
                "--name",
                &format!("Tenant {slug}"),
            ],
            "",
        )
        .await
        .trim()
        .to_string()
    }

    /// Creates an administrator with the CLI; returns its TOTP generator.
    pub async fn create_admin(
        &self,
        tenant: &str,
        email: &str,
        role: &str,
        password: &str,
    ) -> TOTP {
        let out = self
            .cli_ok(
                &[
                    "admin", "create", "--tenant", tenant, "--email", email, "--role", role,
                ],
                &format!("{password}\n"),
            )
            .await;
        let uri = out.trim();
        assert!(
            uri.starts_with("otpauth://totp/"),
            "unexpected output {uri:?}"
        );
        totp_from_uri(uri)
    }

    /// Creates an owner `<name>@<tenant>.example` with the CLI and signs it in on `server`.
    pub async fn signed_in_owner(&self, server: &Server, tenant: &str, name: &str) -> Client {
        let email = format!("{name}@{tenant}.example");
        let password = "owner passphrase 1";
        let totp = self.create_admin(tenant, &email, "owner", password).await;
        let client = server.client();
        let r = client
            .sign_in(tenant, &email, password, &totp_code(&totp, 0))
            .await;
        assert_eq!(r.status, 200, "sign-in of {email}: {r:?}");
        client
    }

    /// Starts `corral serve` on a free port and waits until it announces its address.
    pub async fn serve(&self) -> Server {
        self.serve_with(&[]).await
    }

    /// Another process behind the same public address as `front` (as several processes behind
    /// one load balancer are), so the links it puts in e-mails are `front`'s.
    pub async fn serve_behind(&self, front: &Server) -> Server {
        self.serve_with(&["--base-url", &front.url]).await
    }

    async fn serve_with(&self, extra_args: &[&str]) -> Server {
        let log_path = self
            .dir
            .path()
            .join(format!("serve-{}.log", uuid::Uuid::now_v7()));
        let log = std::fs::File::create(&log_path).unwrap();
        let mut child = self
            .command()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("spawn corral serve");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("corral serve did not start: {}", read(&log_path)))
            .unwrap()
            .unwrap_or_else(|| panic!("corral serve exited: {}", read(&log_path)));
        let url = line
            .strip_prefix("corral listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server {
            url,
            child,
            log_path,
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A running `corral serve`; killed when dropped.
pub struct Server {
    pub url: String,
    pub child: Child,
    log_path: PathBuf,
}

impl Server {
    /// A client with its own cookie jar (one browser).
    pub fn client(&self) -> Client {
        Client {
            base: self.url.clone(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .unwrap(),
        }
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        read(&self.log_path)
    }
}

/// An HTTP client bound to one server (clones share the cookie jar).
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

/// Status and JSON body of a response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: serde_json::Value,
}

impl Reply {
    /// `error.code` and `error.field` of an error body.
    pub fn error(&self) -> (&str, Option<&str>) {
        (
            self.body["error"]["code"].as_str().unwrap_or("<no code>"),
            self.body["error"]["field"].as_str(),
        )
    }
}

impl Client {
    /// The same client pointed at another server (shares cookies).
    pub fn against(&self, server: &Server) -> Client {
        Client {
            base: server.url.clone(),
            http: self.http.clone(),
        }
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<serde_json::Value>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let writes = method != reqwest::Method::GET && method != reqwest::Method::HEAD;
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req.json(&body);
        } else if writes {
            // As the API asks of every cookie-authenticated write, body or not.
            req = req.header("content-type", "application/json");
        }
        into_reply(req.send().await.expect("request")).await
    }

    /// Sends a raw body with a content type.
    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body.to_string());
        into_reply(req.send().await.expect("request")).await
    }

    /// Sends `body` (may be empty) with the given headers only (no content type unless named).
    pub async fn send_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        into_reply(req.body(body.to_string()).send().await.expect("request")).await
    }

    /// Posts raw bytes to `path` with `content_type`.
    pub async fn post_bytes(&self, path: &str, content_type: &str, bytes: Vec<u8>) -> Reply {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(bytes);
        into_reply(req.send().await.expect("request")).await
    }

    /// Uploads a plugin component.
    pub async fn upload(&self, bytes: Vec<u8>) -> Reply {
        let req = self
            .http
            .post(format!("{}/api/v1/plugins", self.base))
            .header("content-type", "application/wasm")
            .body(bytes);
        into_reply(req.send().await.expect("request")).await
    }

    /// Grants plugin `plugin` the `capabilities` and outbound HTTPS to `localhost` (a
    /// stand-in), then gives it its vendor `settings` and `credential` (all must succeed).
    pub async fn set_up_vendor_plugin(
        &self,
        plugin: &str,
        capabilities: serde_json::Value,
        settings: serde_json::Value,
        credential: serde_json::Value,
    ) {
        let base = format!("/api/v1/plugins/{plugin}");
        for (path, body) in [
            (
                "grants",
                serde_json::json!({"capabilities": capabilities, "http_allow_hosts": ["localhost"]}),
            ),
            (
                "vendor/settings",
                serde_json::json!({ "settings": settings }),
            ),
            ("vendor/credential", credential),
        ] {
            let r = self
                .send("PUT", &format!("{base}/{path}"), Some(body))
                .await;
            assert_eq!(r.status, 200, "{path}: {r:?}");
        }
    }

    /// Uploads the built guest `name`, allows the capabilities it requests (no HTTPS hosts)
    /// and activates it as version 1 (all must succeed); returns the plugin id and the upload's
    /// reply.
    pub async fn install_active(&self, name: &str) -> (String, Reply) {
        let uploaded = self.upload(guest(name)).await;
        assert_eq!(uploaded.status, 201, "{uploaded:?}");
        let id = uploaded.body["plugin"]["id"].as_str().unwrap().to_string();
        let requested = uploaded.body["plugin"]["versions"][0]["requested_capabilities"].clone();
        let r = self
            .send(
                "PUT",
                &format!("/api/v1/plugins/{id}/grants"),
                Some(serde_json::json!({"capabilities": requested})),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        let r = self
            .send(
                "POST",
                &format!("/api/v1/plugins/{id}/activate"),
                Some(serde_json::json!({"version": 1})),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        (id, uploaded)
    }

    /// Creates an end user from `body` (as `POST /api/v1/users` takes it); returns its id.
    pub async fn create_user(&self, body: serde_json::Value) -> String {
        let r = self.send("POST", "/api/v1/users", Some(body)).await;
        assert_eq!(r.status, 201, "{r:?}");
        r.body["id"].as_str().unwrap().to_string()
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None).await
    }

    /// Signs in with password and a TOTP code; returns the reply.
    pub async fn sign_in(&self, tenant: &str, email: &str, password: &str, code: &str) -> Reply {
        self.send(
            "POST",
            "/api/v1/session",
            Some(serde_json::json!({
                "tenant": tenant, "email": email, "password": password, "totp": code
            })),
        )
        .await
    }
}

async fn into_reply(res: reqwest::Response) -> Reply {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap_or_default();
    let body = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// A guest component built by scripts/build-guests.sh (e.g. `corral_example_plugin`).
pub fn guest(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/target/wasm32-wasip2/release")
        .join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build the guests first (scripts/build-guests.sh; scripts/test.sh does)",
            path.display()
        )
    })
}

pub fn totp_from_uri(uri: &str) -> TOTP {
    TOTP::from_url_unchecked(uri).expect("valid otpauth URI")
}

/// The code for the current step, or `steps` steps later (the server accepts one step of
/// skew, which lets a test sign the same administrator in twice without waiting).
pub fn totp_code(totp: &TOTP, steps: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    totp.generate((now + steps * 30) as u64)
}

/// A real SMTP server (aiosmtpd, started by the test) that stores what it receives in a
/// Maildir. Python with aiosmtpd comes from `CORRAL_TEST_PYTHON` (scripts/test.sh sets it up).
pub struct SmtpSink {
    pub port: u16,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
    child: Child,
}

/// A free loopback port (nothing listens on it when this returns).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        SmtpSink::start_on(free_port()).await
    }

    /// Starts the sink on `port` and waits until it accepts connections.
    pub async fn start_on(port: u16) -> SmtpSink {
        let python = std::env::var("CORRAL_TEST_PYTHON").unwrap_or_else(|_| {
            panic!("CORRAL_TEST_PYTHON is not set: run the suite with scripts/test.sh (it installs aiosmtpd)")
        });
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("maildir");
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        let child = Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start aiosmtpd");
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return SmtpSink {
                    port,
                    maildir,
                    _dir: dir,
                    child,
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the SMTP sink did not start on port {port}");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Raw messages received so far.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut files: Vec<_> = std::fs::read_dir(self.maildir.join("new"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        // Maildir names are "<secs>.M<micros>P<pid>Q<n>.<host>": order by arrival time (the
        // microseconds are not zero-padded, so a plain sort would not do).
        files.sort_by_key(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            let mut parts = name.split('.');
            let secs: u64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let micros: u64 = parts
                .next()
                .and_then(|s| s.strip_prefix('M'))
                .and_then(|s| s.split('P').next())
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            (secs, micros, name)
        });
        files
            .into_iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect()
    }

    /// Waits until at least `n` messages arrived (at most `timeout`), then returns them all.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let raw = self.messages();
            if raw.len() >= n || std::time::Instant::now() > deadline {
                return raw.iter().map(|m| Received::parse(m)).collect();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// The 8-digit one-time PIN in an invitation's text.
pub fn pin_in(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 8)
        .map(str::to_string)
}

/// The first `http(s)://` link in a text.
pub fn link_in(text: &str) -> Option<String> {
    text.split_whitespace()
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
        .map(|w| w.trim_end_matches(['.', ',']).to_string())
}

/// A received e-mail, decoded.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Received {
    fn parse(raw: &[u8]) -> Received {
        let m = mail_parser::MessageParser::default()
            .parse(raw)
            .expect("an e-mail");
        let to = m
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_string();
        Received {
            to,
            subject: m.subject().unwrap_or_default().to_string(),
            text: m.body_text(0).unwrap_or_default().to_string(),
            html: m.body_html(0).unwrap_or_default().to_string(),
        }
    }
}

/// The PostgreSQL server URL the tests may create databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("CORRAL_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "CORRAL_TEST_POSTGRES_URL is not set: run the suite with scripts/test.sh, which \
             starts a PostgreSQL server for the tests, or point it at one where the tests may \
             CREATE DATABASE"
        )
    })
}

/// A fresh database for one test: a SQLite file in `dir`, or a new PostgreSQL database.
pub async fn database_url(db: Db, dir: &Path) -> String {
    match db {
        Db::Sqlite => format!("sqlite://{}", dir.join("corral.db").display()),
        Db::Postgres => create_postgres_database().await,
    }
}

/// Creates an empty database for one test; returns its URL.
pub async fn create_postgres_database() -> String {
    let admin_url = postgres_admin_url();
    let name = format!("corral_test_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at CORRAL_TEST_POSTGRES_URL: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let (server, _db) = admin_url
        .rsplit_once('/')
        .expect("CORRAL_TEST_POSTGRES_URL ends with /DATABASE");
    format!("{server}/{name}")
}

/// Drops a test database, closing its connections (used to simulate the database going away).
pub async fn drop_postgres_database(url: &str) {
    let name = url.rsplit('/').next().unwrap();
    let mut conn = sqlx::PgConnection::connect(&postgres_admin_url())
        .await
        .unwrap();
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .expect("drop test database");
}

/// The `p`th percentile (0 to 100, nearest rank) of `values`; NaN when there are none. For the
/// benchmarks' latency reports.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
