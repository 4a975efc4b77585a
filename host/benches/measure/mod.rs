//! What the benchmarks share: their knobs (environment variables), the process's CPU time, the
//! rate line they print, and the Apple benchmarks' starting point (a tenant on a fresh SQLite
//! file, with a user and its PKI). Each benchmark includes it with `mod measure;`, so a figure
//! in `docs/` is computed the same way whichever benchmark printed it.

#![allow(dead_code)] // each benchmark uses its own part

use std::time::Instant;

use corral_host::apple::enrolments::AppleSettings;
use corral_host::apple::pki::TenantPki;
use corral_host::history::Actor;
use corral_host::secrets::SecretBox;
use corral_host::store::Store;
use corral_host::tenants::{self, Tenant};
use corral_host::users::{self, NewUser};

/// The number in environment variable `name`, or `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU seconds this process has used so far (all threads), from /proc (Linux).
pub fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name: state is the 3rd field, utime the 14th, stime the 15th.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Prints the rate of `n` items done since `started` (wall time, CPU time per item, cores
/// busy) and returns it, per second.
pub fn report(what: &str, n: usize, started: Instant, cpu_at_start: f64) -> f64 {
    let secs = started.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu_at_start;
    let rate = n as f64 / secs;
    println!(
        "{what}: {n} in {secs:.2} s = {rate:.0}/s ({:.0} µs each; {:.0} µs CPU each, {:.2} cores busy)",
        secs * 1e6 / n as f64,
        cpu * 1e6 / n as f64,
        cpu / secs
    );
    rate
}

/// An Apple tenant ready to enrol: its database, server key, settings, and one user.
pub struct AppleBench {
    pub url: String,
    pub store: Store,
    pub secrets: SecretBox,
    pub settings: AppleSettings,
    pub tenant: Tenant,
    pub user_id: String,
}

impl AppleBench {
    /// A migrated SQLite file at `path`, a tenant "bench" with its PKI and the user Pat.
    pub async fn start(path: &std::path::Path) -> AppleBench {
        let url = format!("sqlite://{}", path.display());
        let store = Store::connect(&url, 16).await.unwrap();
        store.migrate().await.unwrap();
        let secrets = SecretBox::from_key(&[7; 32]);
        let settings = AppleSettings::new(Some("https://mdm.bench.example".into()));
        let tenant = tenants::create(&store, &Actor::Operator, "bench", "Bench Corp")
            .await
            .unwrap();
        let new = users::prepare(NewUser {
            email: "pat@bench.example".into(),
            first_name: "Pat".into(),
            last_name: "Roe".into(),
            password: None,
        })
        .await
        .unwrap();
        let mut tx = store.scoped(&tenant.id).await.unwrap();
        let user = users::create(&mut tx, &Actor::Operator, new).await.unwrap();
        tx.commit().await.unwrap();
        TenantPki::load_or_create(&store, &tenant.id, &secrets, &tenant.name)
            .await
            .unwrap();
        AppleBench {
            url,
            store,
            secrets,
            settings,
            tenant,
            user_id: user.id,
        }
    }
}
