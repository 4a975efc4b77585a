//! `corral serve`: binds the listener, announces the address, serves until SIGINT/SIGTERM.
//! The process keeps no state of its own beyond caches: sessions, lockouts and everything
//! else live in the database, so several processes behind a load balancer act as one.

use std::io::Write;

use std::time::Duration;

use crate::apple::{follow_up, push, push_certificate, AppleSettings};
use crate::config::ServeArgs;
use crate::configurations::deliveries;
use crate::devices::inventory;
use crate::error::Error;
use crate::http::{self, AppState};
use crate::jobs::{Job, Scheduler};
use crate::mail::dispatch::Dispatcher;
use crate::plugins::Plugins;
use crate::secrets::SecretBox;
use crate::store::Store;

pub async fn serve(
    store: Store,
    secrets: SecretBox,
    plugins: Plugins,
    args: ServeArgs,
) -> Result<(), Error> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| Error::Config(format!("cannot listen on {}: {e}", args.listen)))?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::Internal(format!("listener address: {e}")))?;
    let base_url = args
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"))
        .trim_end_matches('/')
        .to_string();
    let dispatcher = Dispatcher::new(store.clone(), args.mail())?;
    let mdm_url = args
        .mdm_url
        .clone()
        .unwrap_or_else(|| base_url.clone())
        .trim_end_matches('/')
        .to_string();
    let apple = AppleSettings {
        mdm_url: if mdm_url.starts_with("https://") {
            Some(mdm_url)
        } else {
            tracing::warn!(
                "no https MDM URL (CORRAL_MDM_URL): the portal offers no Apple profiles"
            );
            None
        },
        link_minutes: args.profile_link_minutes,
        install_secs: args.profile_install_secs,
        reminder_every_secs: args.enrolment_reminder_secs,
        remind_days: args.enrolment_reminder_days,
        push: crate::apple::push::PushSettings {
            url: args.apns_url.trim_end_matches('/').to_string(),
            extra_roots: crate::plugins::capabilities::http::load_roots(
                args.apns_extra_roots.as_deref(),
            )?,
            expiration_secs: args.apns_expiration_secs,
            retry_ms: args.apns_retry_ms,
            max_attempts: args.apns_max_attempts,
            sweep_after_secs: args.apns_sweep_after_secs,
            poll: Duration::from_millis(args.apns_poll_ms),
        },
    };
    let scheduler = scheduler(&store, &secrets, &plugins, &apple, &base_url, &args);
    tokio::spawn(release_idle_plugins(
        plugins.clone(),
        Duration::from_secs(args.plugins.plugin_idle_secs),
    ));
    let imports = crate::imports::runner::Runner::new(store.clone(), plugins.clone(), &base_url);
    let state = AppState::new(
        store.clone(),
        secrets.clone(),
        args.policy(),
        &base_url,
        plugins,
        apple,
    );
    let pusher = state.pushes().clone();
    let app = http::router(state);

    // The first line on stdout is the address: scripts and tests read it (useful with port 0).
    println!("corral listening on http://{local}");
    let _ = std::io::stdout().flush();
    tracing::info!(%local, %base_url, "serving");
    tokio::spawn(dispatcher.run());
    tokio::spawn(scheduler.run());
    tokio::spawn(imports.run());
    tokio::spawn(pusher.run(store, secrets));

    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| Error::Internal(format!("server: {e}")))
}

/// Lets go of plugin installations no call used for `idle` (each process its own), so that a
/// plugin used once does not keep its compiled code and instances for the life of the process.
async fn release_idle_plugins(plugins: Plugins, idle: Duration) {
    let mut every = tokio::time::interval(idle.min(Duration::from_secs(60)));
    loop {
        every.tick().await;
        let released = plugins.release_idle(idle);
        if released > 0 {
            tracing::info!(released, "idle plugin installations released");
        }
    }
}

/// The scheduled work of every host process (each job runs in one process at a time).
fn scheduler(
    store: &Store,
    secrets: &SecretBox,
    plugins: &Plugins,
    apple: &AppleSettings,
    base_url: &str,
    args: &ServeArgs,
) -> Scheduler {
    let plugins = plugins.clone();
    let every = Duration::from_secs(args.jobs_every_secs);
    let push = apple.push.clone();
    let (secrets, apple, base_url) = (secrets.clone(), apple.clone(), base_url.to_string());
    Scheduler::new(
        store.clone(),
        every,
        vec![
            Job::new("apple.cancel_unfinished", every, |store| async move {
                follow_up::cancel_unfinished(&store).await
            }),
            Job::new("apple.reminders", every, move |store| {
                let (secrets, apple, base_url) = (secrets.clone(), apple.clone(), base_url.clone());
                async move { follow_up::send_reminders(&store, &secrets, &apple, &base_url).await }
            }),
            Job::new("apple.push_sweep", every, {
                move |store| {
                    let push = push.clone();
                    async move { push::sweep(&store, &push).await.map(|n| n as usize) }
                }
            }),
            Job::new("apple.push_certificate_expiry", every, |store| async move {
                push_certificate::warn_expiring(&store).await
            }),
            Job::new("plugins.deliveries", every, {
                let plugins = plugins.clone();
                move |store| {
                    let plugins = plugins.clone();
                    async move { deliveries::deliver_due(&plugins, &store).await }
                }
            }),
            Job::new(
                "plugins.inventory",
                Duration::from_secs(args.plugin_inventory_secs),
                move |store| {
                    let plugins = plugins.clone();
                    async move { inventory::sync_all(&plugins, &store).await }
                },
            ),
        ],
    )
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
