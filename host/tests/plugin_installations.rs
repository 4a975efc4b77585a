//! A plugin's installation (its compiled code and stocked instances) is let go when its version
//! changes, when it is switched off or deleted, and after it has been idle (issue 20): the
//! process keeps no installation of a plugin that no longer runs.

use std::time::Duration;

use corral_host::admins::{Admin, Role};
use corral_host::apple::AppleSettings;
use corral_host::devices::inventory::Clock;
use corral_host::history::Actor;
use corral_host::plugins::{Plugins, Settings};
use corral_host::secrets::SecretBox;
use corral_host::services::{AsAdmin, Services};
use corral_host::sessions::{Authenticated, Policy};
use corral_host::store::Store;
use corral_host::tenants;
use corral_plugin_runtime::api::Configuration;
use corral_plugin_runtime::{AdmissionLimits, ExecutorConfig};
use corral_tests::{guest, Db};

#[tokio::test]
async fn installations_are_let_go_when_their_plugin_changes_stops_or_idles() {
    let dir = tempfile::tempdir().unwrap();
    let url = corral_tests::database_url(Db::Sqlite, dir.path()).await;
    let store = Store::connect(&url, 4).await.unwrap();
    store.migrate().await.unwrap();
    let tenant = tenants::create(&store, &Actor::Operator, "acme", "Acme")
        .await
        .unwrap();
    let secrets = SecretBox::from_key(&[9; 32]);
    let settings = Settings {
        max_upload_bytes: 32 << 20,
        compile_timeout: Duration::from_secs(600),
        allow_private_addresses: false,
        extra_roots: None,
        delivery_retry: Duration::from_secs(30),
        clock: Clock::System,
        executor: ExecutorConfig {
            threads: 1,
            nice: 10,
            long_after: Duration::from_millis(10),
        },
        cpu_deadline: Duration::from_secs(1),
        wall_timeout: Duration::from_secs(10),
        admission: AdmissionLimits::default(),
        imports: corral_host::imports::Settings::new(dir.path()),
    };
    let plugins = Plugins::new(store.clone(), &secrets, dir.path(), &settings).unwrap();
    let policy = Policy {
        max_failures: 5,
        lockout: Duration::from_secs(60),
        session_ttl: Duration::from_secs(3600),
        attempts_per_minute: 60,
    };
    let apple = AppleSettings {
        mdm_url: None,
        link_minutes: 10,
        install_secs: 600,
        reminder_every_secs: 3600,
        remind_days: 3,
        push: corral_host::apple::push::PushSettings::defaults("https://localhost"),
    };
    let services = Services::new(
        store,
        secrets,
        policy,
        "http://localhost",
        plugins.clone(),
        apple,
    );
    let me = Authenticated {
        tenant: tenant.id.clone(),
        tenant_slug: "acme".into(),
        admin: Admin {
            id: "admin-1".into(),
            email: "owner@acme.example".into(),
            role: Role::Owner,
            exchange_permissions: Vec::new(),
            created_at: 0,
            updated_at: 0,
        },
    };
    let me = services.as_admin(&me);
    let kiosk = Configuration {
        kind: "kiosk".into(),
        id: String::new(),
        name: "Lobby".into(),
        priority: 0,
        body: "{}".into(),
    };

    let (plugin, seq) = me
        .upload_plugin(&guest("corral_example_plugin"))
        .await
        .unwrap();
    let grants = ["logging".to_string(), "kv".into(), "clock".into()];
    me.set_plugin_grants(&plugin.id, &grants, &[])
        .await
        .unwrap();
    let (_, second) = me
        .upload_plugin(&guest("corral_example_plugin_v2"))
        .await
        .unwrap();
    me.activate_plugin(&plugin.id, seq).await.unwrap();
    assert_eq!(
        plugins.installed_count(),
        0,
        "nothing installed before a call"
    );
    called(&me, &plugins, &plugin.id, &kiosk, 1).await;
    // A new version: the old installation is let go at once.
    me.activate_plugin(&plugin.id, second).await.unwrap();
    assert_eq!(plugins.installed_count(), 0);
    called(&me, &plugins, &plugin.id, &kiosk, 1).await;
    // Switched off.
    me.deactivate_plugin(&plugin.id).await.unwrap();
    assert_eq!(plugins.installed_count(), 0);
    // Idle.
    me.activate_plugin(&plugin.id, seq).await.unwrap();
    called(&me, &plugins, &plugin.id, &kiosk, 1).await;
    assert_eq!(plugins.release_idle(Duration::from_secs(600)), 0);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(plugins.release_idle(Duration::from_millis(10)), 1);
    assert_eq!(plugins.installed_count(), 0);
    // Deleted.
    called(&me, &plugins, &plugin.id, &kiosk, 1).await;
    me.delete_plugin(&plugin.id).await.unwrap();
    assert_eq!(plugins.installed_count(), 0);
}

/// Validates a configuration through the plugin (so it is installed) and checks how many
/// installations the process keeps afterwards.
async fn called(
    me: &AsAdmin<'_>,
    plugins: &Plugins,
    plugin: &str,
    kiosk: &Configuration,
    expect: usize,
) {
    me.validate_configuration(plugin, kiosk).await.unwrap();
    assert_eq!(plugins.installed_count(), expect);
}
