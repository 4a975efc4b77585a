//! The `directory` capability's device look-ups (issue 19): a plugin finds its tenant's devices
//! by serial number or either IMEI, and lists a user's devices; another tenant's devices are
//! never found, even under the same serial number.

use corral_host::devices::{self, Platform, Registration};
use corral_host::history::Actor;
use corral_host::plugins::capabilities::directory::DbDirectory;
use corral_host::store::Store;
use corral_host::tenants;
use corral_host::users::{self, NewUser};
use corral_plugin_runtime::{Directory, Scope};
use corral_tests::{both_backends, Db};

both_backends!(devices_are_found_by_serial_or_imei_in_their_tenant_only);

async fn store(db: Db) -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = corral_tests::database_url(db, dir.path()).await;
    let store = Store::connect(&url, 4).await.unwrap();
    store.migrate().await.unwrap();
    (store, dir)
}

/// A tenant with one user and one Android device of that user, known by `serial` and `imeis`.
async fn tenant_with_device(
    store: &Store,
    slug: &str,
    serial: &str,
    imeis: &[&str],
) -> (Scope, String, String) {
    let tenant = tenants::create(store, &Actor::Operator, slug, slug)
        .await
        .unwrap();
    let new = users::prepare(NewUser {
        email: format!("pat@{slug}.example"),
        first_name: "Pat".into(),
        last_name: "Roe".into(),
        password: None,
    })
    .await
    .unwrap();
    let mut scoped = store.scoped(&tenant.id).await.unwrap();
    let user = users::create(&mut scoped, &Actor::Operator, new)
        .await
        .unwrap();
    let device = devices::register(
        &mut scoped,
        &Actor::System,
        Registration {
            platform: Platform::Android,
            hardware_id: serial.into(),
            os_version: "14".into(),
            name: format!("{slug} phone"),
            model: "Pixel 8".into(),
            user_id: Some(user.id.clone()),
        },
    )
    .await
    .unwrap();
    let imeis: Vec<String> = imeis.iter().map(|i| i.to_string()).collect();
    devices::set_identifiers(&mut scoped, &device.id, Some(serial), &imeis)
        .await
        .unwrap();
    scoped.commit().await.unwrap();
    let scope = Scope {
        tenant_id: tenant.id.as_str().to_string(),
        plugin_id: "directory-test".into(),
    };
    (scope, user.id, device.id)
}

async fn devices_are_found_by_serial_or_imei_in_their_tenant_only(db: Db) {
    let (store, _dir) = store(db).await;
    let (a, a_user, a_device) = tenant_with_device(
        &store,
        "alpha",
        "r58m12ab",
        &["356938035643809", "35-693803-564381-7"],
    )
    .await;
    // Another tenant's device under the same serial number, and one IMEI of its own.
    let (b, b_user, b_device) =
        tenant_with_device(&store, "bravo", "R58M12AB", &["490154203237518"]).await;
    let directory = DbDirectory {
        store: store.clone(),
    };

    // By serial (any case, spaces around) and by either IMEI (dashes allowed).
    for key in [
        "R58M12AB",
        " r58m12ab ",
        "356938035643809",
        "356938035643817",
        "35-693803-564381-7",
    ] {
        let found = directory.find_device(&a, key).await.unwrap();
        let found = found.unwrap_or_else(|| panic!("{key:?} not found"));
        assert_eq!(found.id, a_device, "{key:?}");
        assert_eq!(found.owner_user_id.as_deref(), Some(a_user.as_str()));
        assert_eq!(found.serial_number.as_deref(), Some("R58M12AB"));
        assert_eq!(found.imeis, ["356938035643809", "356938035643817"]);
        assert_eq!(
            (
                found.model.as_deref(),
                found.os.as_deref(),
                found.os_version.as_deref()
            ),
            (Some("Pixel 8"), Some("android"), Some("14"))
        );
    }
    // The same serial in the other tenant is that tenant's device; their IMEIs stay apart.
    let found = directory
        .find_device(&b, "R58M12AB")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, b_device);
    assert!(directory
        .find_device(&a, "490154203237518")
        .await
        .unwrap()
        .is_none());
    assert!(directory
        .find_device(&b, "356938035643809")
        .await
        .unwrap()
        .is_none());
    // Unknown values, a serial's digits and blanks find nothing.
    for key in ["NOPE", "", "   ", "58"] {
        assert!(
            directory.find_device(&a, key).await.unwrap().is_none(),
            "{key:?}"
        );
    }

    // A user's devices; another tenant's user id lists nothing.
    let listed = directory.list_user_devices(&a, &a_user).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, a_device);
    assert!(directory
        .list_user_devices(&a, &b_user)
        .await
        .unwrap()
        .is_empty());
    assert!(directory
        .list_user_devices(&b, &a_user)
        .await
        .unwrap()
        .is_empty());

    // Reported again with other identifiers: the old ones no longer find it.
    let tenant_a = tenants::find_by_slug(&store, "alpha")
        .await
        .unwrap()
        .unwrap();
    let mut scoped = store.scoped(&tenant_a.id).await.unwrap();
    devices::set_identifiers(&mut scoped, &a_device, Some("NEWSERIAL"), &[])
        .await
        .unwrap();
    scoped.commit().await.unwrap();
    assert!(directory
        .find_device(&a, "R58M12AB")
        .await
        .unwrap()
        .is_none());
    assert!(directory
        .find_device(&a, "356938035643809")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        directory
            .find_device(&a, "newserial")
            .await
            .unwrap()
            .unwrap()
            .id,
        a_device
    );
}
