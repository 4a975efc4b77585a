//! Process configuration: command-line flags, each also readable from a `CORRAL_*` environment
//! variable (flags win). The README lists them all.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::error::Error;
use crate::sessions::Policy;

/// Where the data lives; shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// Database URL: `sqlite://PATH` or `postgres://USER@HOST/DB`. Default: a SQLite file
    /// `corral.db` in the data directory.
    #[arg(
        long = "database",
        env = "CORRAL_DATABASE_URL",
        global = true,
        value_name = "URL"
    )]
    pub database_url: Option<String>,
    /// Directory for the SQLite database and the secret key file (created when missing).
    #[arg(
        long,
        env = "CORRAL_DATA_DIR",
        global = true,
        default_value = "corral-data"
    )]
    pub data_dir: PathBuf,
    /// Server secret key, base64 of 32 bytes, encrypting secrets at rest. Default: the file
    /// `secret.key` in the data directory, generated on first start. Every process sharing a
    /// database needs the same key.
    #[arg(long, env = "CORRAL_SECRET_KEY", global = true, hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Largest number of database connections this process opens.
    #[arg(
        long,
        env = "CORRAL_DATABASE_MAX_CONNECTIONS",
        global = true,
        default_value_t = 10
    )]
    pub max_connections: u32,
}

impl StorageArgs {
    /// The database URL, defaulting to SQLite in the data directory (which is created, readable
    /// by this user only: it holds the secret key and the database).
    pub fn database_url(&self) -> Result<String, Error> {
        let mut dir = std::fs::DirBuilder::new();
        std::os::unix::fs::DirBuilderExt::mode(&mut dir, 0o700);
        dir.recursive(true).create(&self.data_dir).map_err(|e| {
            Error::Config(format!(
                "cannot create data directory {}: {e}",
                self.data_dir.display()
            ))
        })?;
        Ok(match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("corral.db").display()),
        })
    }
}

/// Options of `corral serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed on stdout).
    #[arg(long, env = "CORRAL_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Public URL of this server, used in links and to decide on Secure cookies.
    /// Default: http://<listen address>.
    #[arg(long, env = "CORRAL_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Failed administrator sign-ins in a row before the account is locked.
    #[arg(long, env = "CORRAL_MAX_FAILED_SIGN_INS", default_value_t = 5)]
    pub max_failed_sign_ins: i64,
    /// How long a locked administrator account stays locked, in minutes.
    #[arg(long, env = "CORRAL_LOCKOUT_MINUTES", default_value_t = 15)]
    pub lockout_minutes: u64,
    /// Attempts at a secret (sign-in, PIN, registration link) one client address may make per
    /// minute, and at once; more get 429 with Retry-After.
    #[arg(long, env = "CORRAL_ATTEMPTS_PER_MINUTE", default_value_t = 60)]
    pub attempts_per_minute: u32,
    /// Lifetime of an administrator session, in hours.
    #[arg(long, env = "CORRAL_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: u64,
    /// SMTP server for outgoing mail: smtp://HOST:PORT (STARTTLS when offered; add
    /// ?tls=required to insist) or smtps://HOST:PORT, with USER:PASS@ when it needs a login.
    /// Unset: mail waits in the outbox.
    #[arg(
        long,
        env = "CORRAL_SMTP_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,
    /// Sender of outgoing mail.
    #[arg(
        long,
        env = "CORRAL_MAIL_FROM",
        default_value = "Corral <corral@localhost>"
    )]
    pub mail_from: String,
    /// How often the outbox is checked for due messages, in milliseconds.
    #[arg(long, env = "CORRAL_MAIL_POLL_MS", default_value_t = 1000)]
    pub mail_poll_ms: u64,
    /// Delay before the first retry of a failed message, in milliseconds; doubles each time
    /// (at most an hour).
    #[arg(long, env = "CORRAL_MAIL_RETRY_BASE_MS", default_value_t = 30_000)]
    pub mail_retry_base_ms: u64,
    /// Attempts before a message is marked failed.
    #[arg(long, env = "CORRAL_MAIL_MAX_ATTEMPTS", default_value_t = 12)]
    pub mail_max_attempts: i64,
    /// Public https:// URL of the Apple MDM endpoints (`/mdm/checkin`, `/mdm/server`) that
    /// profiles point devices at. Default: the base URL when it is https; without an https URL
    /// the portal offers no profile downloads.
    #[arg(long, env = "CORRAL_MDM_URL", value_name = "URL")]
    pub mdm_url: Option<String>,
    /// Lifetime of a profile download link, in minutes (1 to 60).
    #[arg(long, env = "CORRAL_PROFILE_LINK_MINUTES", default_value_t = 5,
          value_parser = clap::value_parser!(i64).range(1..=60))]
    pub profile_link_minutes: i64,
    /// Time to install a downloaded profile, in seconds (60 to 3600); an enrolment not
    /// installed by then is cancelled, and a device that had begun re-enrolling loses MDM.
    #[arg(long, env = "CORRAL_PROFILE_INSTALL_SECS", default_value_t = 600,
          value_parser = clap::value_parser!(i64).range(1..=3600))]
    pub profile_install_secs: i64,
    /// Interval of reminder e-mails to a user who downloaded a profile and did not finish, in
    /// seconds (default one day).
    #[arg(long, env = "CORRAL_ENROLMENT_REMINDER_SECS", default_value_t = 86_400,
          value_parser = clap::value_parser!(i64).range(1..=2_592_000))]
    pub enrolment_reminder_secs: i64,
    /// For how many days after the download reminders are sent (1 to 90).
    #[arg(long, env = "CORRAL_ENROLMENT_REMINDER_DAYS", default_value_t = 7,
          value_parser = clap::value_parser!(i64).range(1..=90))]
    pub enrolment_reminder_days: i64,
    /// Base URL of Apple's push service (APNs), which wakes Apple devices when commands wait
    /// for them.
    #[arg(
        long,
        env = "CORRAL_APNS_URL",
        default_value = "https://api.push.apple.com"
    )]
    pub apns_url: String,
    /// PEM file of certificate authorities trusted for the APNs URL besides the system's (a
    /// test stand-in of APNs).
    #[arg(long, env = "CORRAL_APNS_EXTRA_ROOTS")]
    pub apns_extra_roots: Option<std::path::PathBuf>,
    /// How long APNs keeps a push for an offline device, in seconds (default 7 days).
    #[arg(long, env = "CORRAL_APNS_EXPIRATION_SECS", default_value_t = 604_800,
          value_parser = clap::value_parser!(i64).range(0..=2_592_000))]
    pub apns_expiration_secs: i64,
    /// Delay before a push APNs refused for now (429, 5xx, no answer) is tried again, in
    /// milliseconds; doubles with each attempt, at most an hour.
    #[arg(long, env = "CORRAL_APNS_RETRY_MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(i64).range(1..=3_600_000))]
    pub apns_retry_ms: i64,
    /// Attempts of one push before it is given up (the sweep offers it again later).
    #[arg(long, env = "CORRAL_APNS_MAX_ATTEMPTS", default_value_t = 10,
          value_parser = clap::value_parser!(i64).range(1..=100))]
    pub apns_max_attempts: i64,
    /// A device with commands waiting and no contact (nor push) for this long is pushed
    /// again, in seconds (default 4 hours).
    #[arg(long, env = "CORRAL_APNS_SWEEP_AFTER_SECS", default_value_t = 14_400,
          value_parser = clap::value_parser!(i64).range(1..=2_592_000))]
    pub apns_sweep_after_secs: i64,
    /// How often each process looks for pushes made due elsewhere (another process, a
    /// retry), in milliseconds.
    #[arg(long, env = "CORRAL_APNS_POLL_MS", default_value_t = 1_000,
          value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub apns_poll_ms: u64,
    /// How often each process looks for due scheduled work (reminders, expired installs), in
    /// seconds. A job runs in one process at a time whatever the number of processes.
    #[arg(long, env = "CORRAL_JOBS_EVERY_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub jobs_every_secs: u64,
    /// How often plugins that manage devices at their vendor (AMAPI) bring the device
    /// inventory up to date, in seconds (administrators can also ask for it at once).
    #[arg(long, env = "CORRAL_PLUGIN_INVENTORY_SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(10..=86400))]
    pub plugin_inventory_secs: u64,
    #[command(flatten)]
    pub plugins: PluginArgs,
}

/// Plugin host settings (`serve` and `plugin install`).
#[derive(Debug, Clone, Args)]
pub struct PluginArgs {
    /// Largest plugin component accepted, in bytes.
    #[arg(long, env = "CORRAL_PLUGIN_MAX_UPLOAD_BYTES", default_value_t = 32 << 20)]
    pub plugin_max_upload_bytes: usize,
    /// Time budget for compiling one uploaded plugin, in seconds.
    #[arg(long, env = "CORRAL_PLUGIN_COMPILE_TIMEOUT_SECS", default_value_t = 60)]
    pub plugin_compile_timeout_secs: u64,
    /// Let plugins granted outbound HTTPS reach loopback and private addresses (tests,
    /// on-premises vendor servers). Off: only public addresses.
    #[arg(long, env = "CORRAL_PLUGIN_ALLOW_PRIVATE_ADDRESSES")]
    pub plugin_allow_private_addresses: bool,
    /// PEM file of certificate authorities plugins' outbound HTTPS trusts besides the system's
    /// (an on-premises vendor server, a test stand-in of a vendor API).
    #[arg(long, env = "CORRAL_PLUGIN_EXTRA_ROOTS")]
    pub plugin_extra_roots: Option<std::path::PathBuf>,
    /// First delay, in seconds, before a configuration change a plugin failed to take is
    /// offered again (doubling with each failure, at most an hour).
    #[arg(long, env = "CORRAL_PLUGIN_DELIVERY_RETRY_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub plugin_delivery_retry_secs: u64,
    /// CPU time one plugin call may use, in milliseconds (CPU time: however many calls share
    /// the cores).
    #[arg(long, env = "CORRAL_PLUGIN_CPU_MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub plugin_cpu_ms: u64,
    /// Wall-clock time one plugin call may last, in seconds (the backstop; waiting on vendor
    /// calls counts here).
    #[arg(long, env = "CORRAL_PLUGIN_WALL_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=600))]
    pub plugin_wall_secs: u64,
    /// Threads plugin calls run on (their own, so the server's threads keep answering while
    /// plugins burn CPU); 0: as many as the machine has cores.
    #[arg(long, env = "CORRAL_PLUGIN_THREADS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=256))]
    pub plugin_threads: u64,
    /// Scheduling priority of those threads (`nice`, 0 to 19; higher leaves the cores to the
    /// server's own threads first).
    #[arg(long, env = "CORRAL_PLUGIN_NICE", default_value_t = 10,
          value_parser = clap::value_parser!(i64).range(0..=19))]
    pub plugin_nice: i64,
    /// A plugin's compiled code and instances are let go after this many seconds without a
    /// call (and at once when its version changes or it is switched off or deleted).
    #[arg(long, env = "CORRAL_PLUGIN_IDLE_SECS", default_value_t = 600,
          value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub plugin_idle_secs: u64,
    /// Plugin calls running at once, all tenants together.
    #[arg(long, env = "CORRAL_PLUGIN_CALLS", default_value_t = 32,
          value_parser = clap::value_parser!(u64).range(1..=96))]
    pub plugin_calls: u64,
    /// Plugin calls of one tenant running at once (its share; further calls wait their turn);
    /// 0: as many as there are plugin threads.
    #[arg(long, env = "CORRAL_PLUGIN_TENANT_CALLS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=96))]
    pub plugin_tenant_calls: u64,
    /// Calls of one plugin of a tenant running at once; 0: the tenant's share. (One less than
    /// the plugin threads leaves a thread to everyone else while a plugin loops, but also
    /// serialises a plugin's calls that wait on its vendor: see docs/plugin-fairness-bench.md.)
    #[arg(long, env = "CORRAL_PLUGIN_PLUGIN_CALLS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=96))]
    pub plugin_plugin_calls: u64,
    /// Calls of one tenant running at once once they have used `CORRAL_PLUGIN_LONG_CALL_MS` of
    /// CPU (CPU-bound calls; the others wait, parked, until one ends); 0: one less than the
    /// plugin threads (at least 1), so that a tenant's loops always leave a thread free.
    #[arg(long, env = "CORRAL_PLUGIN_TENANT_LONG_CALLS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=96))]
    pub plugin_tenant_long_calls: u64,
    /// CPU time (milliseconds) after which a plugin call counts as long: it then needs one of
    /// its tenant's long-call turns, and runs on the long calls' threads (`nice` 19), after
    /// every short call.
    #[arg(long, env = "CORRAL_PLUGIN_LONG_CALL_MS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub plugin_long_call_ms: u64,
    /// Calls of one tenant waiting for a turn; more get 429 at once.
    #[arg(long, env = "CORRAL_PLUGIN_TENANT_QUEUE", default_value_t = 32,
          value_parser = clap::value_parser!(u64).range(0..=10000))]
    pub plugin_tenant_queue: u64,
    /// Longest wait for a turn, in milliseconds; a call still waiting then gets 429.
    #[arg(long, env = "CORRAL_PLUGIN_QUEUE_WAIT_MS", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub plugin_queue_wait_ms: u64,
    /// Largest CSV file a bulk import through a plugin takes, in bytes (larger: 413).
    #[arg(long, env = "CORRAL_IMPORT_MAX_BYTES", default_value_t = 50 << 20,
          value_parser = clap::value_parser!(u64).range(1..=(1 << 34)))]
    pub import_max_bytes: u64,
    /// Rows an import sends to the vendor per second (each job); 0: as fast as the vendor
    /// answers.
    #[arg(long, env = "CORRAL_IMPORT_ROWS_PER_SECOND", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub import_rows_per_second: u32,
    /// Rows of an import whose vendor requests are in flight at once (at most these are sent
    /// again after a crash).
    #[arg(long, env = "CORRAL_IMPORT_IN_FLIGHT", default_value_t = 8,
          value_parser = clap::value_parser!(u64).range(1..=256))]
    pub import_in_flight: u64,
    /// Tries of a vendor request answered 429 or 5xx (or not answered) before its row fails.
    #[arg(long, env = "CORRAL_IMPORT_TRIES", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=20))]
    pub import_tries: u32,
    /// First wait before trying a vendor request again, in milliseconds (doubling, unless the
    /// vendor says `Retry-After`).
    #[arg(long, env = "CORRAL_IMPORT_RETRY_MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub import_retry_ms: u64,
    /// Seconds a process holds an import job without renewing its lease; a job whose process
    /// died is picked up once this passed.
    #[arg(long, env = "CORRAL_IMPORT_LEASE_SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub import_lease_secs: u64,
    /// Rows per batch handed to the plugin.
    #[arg(long, env = "CORRAL_IMPORT_BATCH_ROWS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub import_batch_rows: u64,
    /// Testing aid: read "now" for the device inventory's deadlines (the 10-minute compliance
    /// rule, token expiry) and for plugins' `clock` capability as Unix milliseconds from this
    /// file, when it exists. Never set it in production.
    #[arg(long, env = "CORRAL_TEST_CLOCK_FILE")]
    pub test_clock_file: Option<std::path::PathBuf>,
}

impl PluginArgs {
    pub fn settings(&self) -> crate::plugins::Settings {
        let threads = match self.plugin_threads {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n as usize,
        };
        let tenant_running = match self.plugin_tenant_calls {
            0 => threads,
            n => n as usize,
        };
        crate::plugins::Settings {
            max_upload_bytes: self.plugin_max_upload_bytes,
            compile_timeout: Duration::from_secs(self.plugin_compile_timeout_secs.max(1)),
            allow_private_addresses: self.plugin_allow_private_addresses,
            extra_roots: self.plugin_extra_roots.clone(),
            delivery_retry: Duration::from_secs(self.plugin_delivery_retry_secs),
            executor: corral_plugin_runtime::ExecutorConfig {
                threads,
                nice: self.plugin_nice as i32,
                long_after: Duration::from_millis(self.plugin_long_call_ms),
            },
            cpu_deadline: Duration::from_millis(self.plugin_cpu_ms),
            wall_timeout: Duration::from_secs(self.plugin_wall_secs),
            admission: corral_plugin_runtime::AdmissionLimits {
                running: self.plugin_calls as usize,
                tenant_running,
                plugin_running: match self.plugin_plugin_calls {
                    0 => tenant_running,
                    n => n as usize,
                },
                tenant_waiting: self.plugin_tenant_queue as usize,
                max_wait: Duration::from_millis(self.plugin_queue_wait_ms),
                tenant_long_running: match self.plugin_tenant_long_calls {
                    0 => threads.saturating_sub(1).max(1),
                    n => n as usize,
                },
                long_after: Duration::from_millis(self.plugin_long_call_ms),
            },
            clock: match &self.test_clock_file {
                Some(path) => crate::devices::inventory::Clock::File(path.clone()),
                None => crate::devices::inventory::Clock::System,
            },
            imports: crate::imports::Settings {
                max_bytes: self.import_max_bytes,
                rows_per_second: self.import_rows_per_second,
                in_flight: self.import_in_flight as usize,
                tries: self.import_tries,
                retry_base: Duration::from_millis(self.import_retry_ms),
                lease: Duration::from_secs(self.import_lease_secs),
                batch_rows: self.import_batch_rows as usize,
                ..crate::imports::Settings::new(std::path::Path::new("."))
            },
        }
    }
}

impl ServeArgs {
    pub fn mail(&self) -> crate::mail::dispatch::Settings {
        crate::mail::dispatch::Settings {
            smtp_url: self.smtp_url.clone(),
            from: self.mail_from.clone(),
            poll: Duration::from_millis(self.mail_poll_ms.max(10)),
            retry_base: Duration::from_millis(self.mail_retry_base_ms.max(10)),
            max_attempts: self.mail_max_attempts.max(1),
        }
    }

    pub fn policy(&self) -> Policy {
        Policy {
            max_failures: self.max_failed_sign_ins.max(1),
            lockout: Duration::from_secs(self.lockout_minutes * 60),
            session_ttl: Duration::from_secs(self.session_hours.max(1) * 3600),
            attempts_per_minute: self.attempts_per_minute.max(1),
        }
    }
}
