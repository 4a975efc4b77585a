//! The storage layer on both backends: migrations, tenant scoping, history rules.

use corral_host::admins::{self, AdminUpdate, NewAdmin, Role};
use corral_host::history::{self, Actor};
use corral_host::secrets::SecretBox;
use corral_host::store::{Scoped, Store};
use corral_host::{tenants, Error};
use corral_tests::{both_backends, Db};

both_backends!(
    migrations_are_idempotent,
    scoped_handles_only_reach_their_tenant,
    history_is_append_only,
    tenant_and_admin_uniqueness,
    last_owner_is_kept,
    secret_key_fingerprint_is_checked,
    a_dropped_write_keeps_nothing_and_holds_no_lock,
);

/// A migrated store on a fresh database; the temp dir keeps the SQLite file alive.
async fn store(db: Db) -> (Store, tempfile::TempDir) {
    let (store, _url, dir) = store_at(db).await;
    (store, dir)
}

/// [`store`], and the database's URL (for a second process).
async fn store_at(db: Db) -> (Store, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = corral_tests::database_url(db, dir.path()).await;
    let store = Store::connect(&url, 4).await.unwrap();
    store.migrate().await.unwrap();
    (store, url, dir)
}

fn secrets() -> SecretBox {
    SecretBox::from_key(&[9; 32])
}

fn new_admin(email: &str, role: Role) -> NewAdmin {
    NewAdmin {
        email: email.into(),
        role,
        password: "a long enough password".into(),
        exchange_permissions: vec![],
    }
}

async fn migrations_are_idempotent(db: Db) {
    let (store, _dir) = store(db).await;
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
    assert!(tenants::list(&store).await.unwrap().is_empty());
}

async fn scoped_handles_only_reach_their_tenant(db: Db) {
    let (store, _dir) = store(db).await;
    let a = tenants::create(&store, &Actor::Operator, "alpha", "Alpha")
        .await
        .unwrap();
    let b = tenants::create(&store, &Actor::Operator, "bravo", "Bravo")
        .await
        .unwrap();
    let mut tx = store.scoped(&b.id).await.unwrap();
    let bob = admins::create(
        &mut tx,
        &Actor::Operator,
        &secrets(),
        "bravo",
        admins::prepare(new_admin("bob@b.example", Role::Owner))
            .await
            .unwrap(),
    )
    .await
    .unwrap()
    .admin;
    tx.commit().await.unwrap();

    let mut as_a = store.scoped(&a.id).await.unwrap();
    assert!(admins::list(&mut as_a).await.unwrap().is_empty());
    assert!(matches!(
        admins::get(&mut as_a, &bob.id).await,
        Err(Error::NotFound(_))
    ));
    let update = AdminUpdate {
        role: Some(Role::Admin),
        ..Default::default()
    };
    assert!(matches!(
        admins::update(&mut as_a, &Actor::Operator, &bob.id, update).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        admins::delete(&mut as_a, &Actor::Operator, &bob.id).await,
        Err(Error::NotFound(_))
    ));
    let q = history::Query {
        object_type: "admin".into(),
        object_id: Some(bob.id.clone()),
        limit: None,
    };
    assert!(history::query(&mut as_a, &q).await.unwrap().is_empty());
    drop(as_a);

    let mut as_b = store.scoped_read(&b.id).await.unwrap();
    assert_eq!(
        admins::get(&mut as_b, &bob.id).await.unwrap().role,
        Role::Owner
    );
    assert_eq!(history::query(&mut as_b, &q).await.unwrap().len(), 1);
}

async fn history_is_append_only(db: Db) {
    let (store, _dir) = store(db).await;
    let t = tenants::create(&store, &Actor::Operator, "alpha", "Alpha")
        .await
        .unwrap();
    let mut tx = store.scoped(&t.id).await.unwrap();
    let q = history::Query {
        object_type: "tenant".into(),
        object_id: Some(t.id.as_str().into()),
        limit: None,
    };
    let entries = history::query(&mut tx, &q).await.unwrap();
    assert_eq!((entries.len(), entries[0].action.as_str()), (1, "created"));
    assert_eq!(entries[0].after.as_ref().unwrap()["slug"], "alpha");
    drop(tx);

    let raw = store.raw_pool_for_tests();
    for sql in [
        "UPDATE history SET action = 'forged'",
        "DELETE FROM history",
    ] {
        let err = sqlx::query(sql).execute(raw).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

async fn tenant_and_admin_uniqueness(db: Db) {
    let (store, _dir) = store(db).await;
    let a = tenants::create(&store, &Actor::Operator, "alpha", "Alpha")
        .await
        .unwrap();
    let b = tenants::create(&store, &Actor::Operator, "bravo", "Bravo")
        .await
        .unwrap();
    let dup = tenants::create(&store, &Actor::Operator, "alpha", "Again").await;
    assert!(
        matches!(
            dup,
            Err(Error::Conflict {
                code: "slug_taken",
                ..
            })
        ),
        "{dup:?}"
    );
    assert!(matches!(
        tenants::create(&store, &Actor::Operator, "Bad Slug", "x").await,
        Err(Error::Invalid { ref field, .. }) if field == "slug"
    ));
    assert_eq!(tenants::list(&store).await.unwrap().len(), 2);

    // The same e-mail may administer two tenants, but only once per tenant.
    for t in [&a, &b] {
        let mut tx = store.scoped(&t.id).await.unwrap();
        admins::create(
            &mut tx,
            &Actor::Operator,
            &secrets(),
            &t.slug,
            admins::prepare(new_admin("x@x.example", Role::Owner))
                .await
                .unwrap(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let mut tx = store.scoped(&a.id).await.unwrap();
    let again = admins::create(
        &mut tx,
        &Actor::Operator,
        &secrets(),
        "alpha",
        admins::prepare(new_admin("X@x.example", Role::Admin))
            .await
            .unwrap(),
    )
    .await;
    assert!(matches!(
        again,
        Err(Error::Conflict {
            code: "email_taken",
            ..
        })
    ));
}

async fn last_owner_is_kept(db: Db) {
    let (store, _dir) = store(db).await;
    let t = tenants::create(&store, &Actor::Operator, "alpha", "Alpha")
        .await
        .unwrap();
    let mut tx = store.scoped(&t.id).await.unwrap();
    let owner = admins::create(
        &mut tx,
        &Actor::Operator,
        &secrets(),
        "alpha",
        admins::prepare(new_admin("o@x.example", Role::Owner))
            .await
            .unwrap(),
    )
    .await
    .unwrap()
    .admin;
    let demote = AdminUpdate {
        role: Some(Role::Admin),
        ..Default::default()
    };
    let r = admins::update(&mut tx, &Actor::Operator, &owner.id, demote).await;
    assert!(matches!(
        r,
        Err(Error::Conflict {
            code: "last_owner",
            ..
        })
    ));
    let r = admins::delete(&mut tx, &Actor::Operator, &owner.id).await;
    assert!(matches!(
        r,
        Err(Error::Conflict {
            code: "last_owner",
            ..
        })
    ));
}

async fn secret_key_fingerprint_is_checked(db: Db) {
    let (store, _dir) = store(db).await;
    secrets().check_against(&store).await.unwrap();
    secrets().check_against(&store).await.unwrap();
    let other = SecretBox::from_key(&[1; 32]);
    assert!(matches!(
        other.check_against(&store).await,
        Err(Error::Config(_))
    ));
}

/// A write transaction dropped without a commit (an error, a client that went away) keeps
/// nothing and releases its locks at once: another process's writer gets in without waiting
/// for this process to write again, and this process's next writer starts clean.
async fn a_dropped_write_keeps_nothing_and_holds_no_lock(db: Db) {
    let (store, url, _dir) = store_at(db).await;
    let tenant = tenants::create(&store, &Actor::Operator, "alpha", "Alpha")
        .await
        .unwrap();
    let mut tx = store.scoped(&tenant.id).await.unwrap();
    tx.lock_tenant().await.unwrap();
    add_ann(&mut tx).await;
    drop(tx);

    // Another process on the same database (SQLite: the same file).
    let other = Store::connect(&url, 1).await.unwrap();
    let mut theirs = tokio::time::timeout(std::time::Duration::from_secs(3), async {
        let mut tx = other.scoped(&tenant.id).await.unwrap();
        tx.lock_tenant().await.unwrap();
        tx
    })
    .await
    .expect("the dropped transaction still holds the write lock");
    assert!(admins::list(&mut theirs).await.unwrap().is_empty());
    drop(theirs);

    let mut ours = store.scoped(&tenant.id).await.unwrap();
    assert!(admins::list(&mut ours).await.unwrap().is_empty());
    add_ann(&mut ours).await;
    ours.commit().await.unwrap();
    let mut check = other.scoped_read(&tenant.id).await.unwrap();
    assert_eq!(admins::list(&mut check).await.unwrap().len(), 1);
}

/// Adds the owner Ann to the tenant `alpha`.
async fn add_ann(scoped: &mut Scoped) {
    admins::create(
        scoped,
        &Actor::Operator,
        &secrets(),
        "alpha",
        admins::prepare(new_admin("ann@a.example", Role::Owner))
            .await
            .unwrap(),
    )
    .await
    .unwrap();
}
