//! Device lifecycle on both backends (SPEC D7, D8): re-registration after retire, wipe and
//! delete leaves exactly one Active entry and a complete history; Android 10 and later get a new
//! entry with the older ones archived.

use corral_host::devices::{self, Action, Device, DeviceQuery, Platform, Registration, State};
use corral_host::history::{self, Actor};
use corral_host::store::Store;
use corral_host::tenants::{self, Tenant};
use corral_host::Error;
use corral_tests::{both_backends, Db};

both_backends!(
    apple_device_reregisters_into_its_entry_after_retire_and_wipe,
    deleted_device_registers_as_a_new_entry,
    android_10_gets_a_new_entry_and_archives_the_older,
    android_9_keeps_one_entry,
    transitions_are_checked,
    devices_stay_in_their_tenant,
);

async fn setup(db: Db) -> (Store, Tenant, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = corral_tests::database_url(db, dir.path()).await;
    let store = Store::connect(&url, 4).await.unwrap();
    store.migrate().await.unwrap();
    let tenant = tenants::create(&store, &Actor::Operator, "acme", "Acme")
        .await
        .unwrap();
    (store, tenant, dir)
}

fn reg(platform: Platform, hardware_id: &str, os: &str) -> Registration {
    Registration {
        platform,
        hardware_id: hardware_id.into(),
        os_version: os.into(),
        name: "Ann's phone".into(),
        model: "Phone".into(),
        user_id: None,
    }
}

async fn register(store: &Store, t: &Tenant, r: Registration) -> Device {
    let mut tx = store.scoped(&t.id).await.unwrap();
    let d = devices::register(&mut tx, &Actor::System, r).await.unwrap();
    tx.commit().await.unwrap();
    d
}

async fn act(store: &Store, t: &Tenant, id: &str, action: Action) -> Result<Device, Error> {
    let mut tx = store.scoped(&t.id).await.unwrap();
    let d = devices::apply(&mut tx, &Actor::System, id, action).await?;
    tx.commit().await.unwrap();
    Ok(d)
}

/// Every entry of the physical device `hardware_id` (archived ones too).
async fn entries(store: &Store, t: &Tenant, hardware_id: &str) -> Vec<Device> {
    let mut read = store.scoped_read(&t.id).await.unwrap();
    let q = DeviceQuery {
        include_archived: true,
        ..Default::default()
    };
    devices::list(&mut read, &q)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.hardware_id == hardware_id)
        .collect()
}

fn active(entries: &[Device]) -> Vec<&Device> {
    entries
        .iter()
        .filter(|d| d.state == State::Active && !d.archived)
        .collect()
}

async fn actions(store: &Store, t: &Tenant, id: &str) -> Vec<String> {
    let mut read = store.scoped_read(&t.id).await.unwrap();
    let q = history::Query {
        object_type: "device".into(),
        object_id: Some(id.into()),
        limit: None,
    };
    let mut entries = history::query(&mut read, &q).await.unwrap();
    entries.reverse(); // oldest first
    entries.into_iter().map(|e| e.action).collect()
}

async fn apple_device_reregisters_into_its_entry_after_retire_and_wipe(db: Db) {
    let (store, t, _dir) = setup(db).await;
    let first = register(&store, &t, reg(Platform::Ios, "UDID-1", "17.4")).await;
    assert_eq!((first.state, first.registrations), (State::Active, 1));

    let retired = act(&store, &t, &first.id, Action::Retire).await.unwrap();
    assert_eq!(
        (retired.state, retired.mdm_enabled),
        (State::Retired, false)
    );
    let again = register(&store, &t, reg(Platform::Ios, "UDID-1", "17.5")).await;
    assert_eq!(again.id, first.id, "Apple devices keep their entry");
    assert_eq!(
        (
            again.state,
            again.mdm_enabled,
            again.registrations,
            again.os_version.as_str()
        ),
        (State::Active, true, 2, "17.5")
    );

    act(&store, &t, &first.id, Action::Wipe).await.unwrap();
    let again = register(&store, &t, reg(Platform::Ios, "UDID-1", "17.5")).await;
    assert_eq!(
        (again.id.as_str(), again.registrations),
        (first.id.as_str(), 3)
    );

    let all = entries(&store, &t, "UDID-1").await;
    assert_eq!(all.len(), 1);
    assert_eq!(active(&all).len(), 1);
    assert_eq!(
        actions(&store, &t, &first.id).await,
        [
            "created",
            "retired",
            "re_registered",
            "wiped",
            "re_registered"
        ]
    );
}

async fn deleted_device_registers_as_a_new_entry(db: Db) {
    let (store, t, _dir) = setup(db).await;
    let first = register(&store, &t, reg(Platform::Macos, "UDID-M", "14.2")).await;
    let mut tx = store.scoped(&t.id).await.unwrap();
    devices::delete(&mut tx, &Actor::System, &first.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(entries(&store, &t, "UDID-M").await.is_empty());

    let again = register(&store, &t, reg(Platform::Macos, "UDID-M", "14.2")).await;
    assert_ne!(again.id, first.id);
    let all = entries(&store, &t, "UDID-M").await;
    assert_eq!((all.len(), active(&all).len()), (1, 1));
    // The deleted entry's history is still there, next to the new one's.
    assert_eq!(actions(&store, &t, &first.id).await, ["created", "deleted"]);
    assert_eq!(actions(&store, &t, &again.id).await, ["created"]);
}

async fn android_10_gets_a_new_entry_and_archives_the_older(db: Db) {
    let (store, t, _dir) = setup(db).await;
    let first = register(&store, &t, reg(Platform::Android, "SERIAL-A", "13")).await;
    // Re-registration after retire, after wipe, and straight over the live entry.
    act(&store, &t, &first.id, Action::Retire).await.unwrap();
    let second = register(&store, &t, reg(Platform::Android, "SERIAL-A", "13")).await;
    act(&store, &t, &second.id, Action::Wipe).await.unwrap();
    let third = register(&store, &t, reg(Platform::Android, "SERIAL-A", "14.0")).await;
    let fourth = register(&store, &t, reg(Platform::Android, "SERIAL-A", "14.0")).await;
    let ids = [&first.id, &second.id, &third.id, &fourth.id];
    let mut unique = ids.to_vec();
    unique.dedup();
    assert_eq!(unique.len(), 4, "a new entry each time");

    let all = entries(&store, &t, "SERIAL-A").await;
    assert_eq!(all.len(), 4);
    let live = active(&all);
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].id, fourth.id, "only the newest is Active");
    for old in all.iter().filter(|d| d.id != fourth.id) {
        assert!(old.archived && !old.mdm_enabled, "{old:?}");
        assert_ne!(old.state, State::Active, "{old:?}");
    }
    // The default list shows the live entry only.
    let mut read = store.scoped_read(&t.id).await.unwrap();
    let listed = devices::list(&mut read, &DeviceQuery::default())
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|d| &d.id).collect::<Vec<_>>(),
        [&fourth.id]
    );
    drop(read);
    assert_eq!(
        actions(&store, &t, &first.id).await,
        ["created", "retired", "archived"]
    );
    assert_eq!(
        actions(&store, &t, &third.id).await,
        ["created", "archived"]
    );
    // An archived entry never changes again.
    let err = act(&store, &t, &first.id, Action::Wipe).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Conflict {
                code: "device_archived",
                ..
            }
        ),
        "{err:?}"
    );
}

async fn android_9_keeps_one_entry(db: Db) {
    let (store, t, _dir) = setup(db).await;
    let first = register(&store, &t, reg(Platform::Android, "IMEI-9", "9")).await;
    act(&store, &t, &first.id, Action::Retire).await.unwrap();
    let again = register(&store, &t, reg(Platform::Android, "IMEI-9", "9")).await;
    assert_eq!(again.id, first.id);
    let all = entries(&store, &t, "IMEI-9").await;
    assert_eq!((all.len(), active(&all).len()), (1, 1));
}

async fn transitions_are_checked(db: Db) {
    let (store, t, _dir) = setup(db).await;
    let d = register(&store, &t, reg(Platform::Ios, "UDID-T", "17.0")).await;
    act(&store, &t, &d.id, Action::Retire).await.unwrap();
    let err = act(&store, &t, &d.id, Action::Wipe).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Conflict {
                code: "device_not_active",
                ..
            }
        ),
        "{err:?}"
    );
    let mut tx = store.scoped(&t.id).await.unwrap();
    let bad = devices::register(&mut tx, &Actor::System, reg(Platform::Android, "X", "Q")).await;
    assert!(
        matches!(bad, Err(Error::Invalid { ref field, .. }) if field == "os_version"),
        "{bad:?}"
    );
    let bad = devices::register(&mut tx, &Actor::System, reg(Platform::Ios, " ", "17")).await;
    assert!(
        matches!(bad, Err(Error::Invalid { ref field, .. }) if field == "hardware_id"),
        "{bad:?}"
    );
}

async fn devices_stay_in_their_tenant(db: Db) {
    let (store, t, _dir) = setup(db).await;
    let other = tenants::create(&store, &Actor::Operator, "globex", "Globex")
        .await
        .unwrap();
    let d = register(&store, &t, reg(Platform::Ios, "UDID-X", "17.0")).await;
    // The same hardware in another tenant is another device.
    let theirs = register(&store, &other, reg(Platform::Ios, "UDID-X", "17.0")).await;
    assert_ne!(theirs.id, d.id);
    let err = act(&store, &other, &d.id, Action::Retire)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound("device")), "{err:?}");
    assert_eq!(entries(&store, &t, "UDID-X").await.len(), 1);
}
