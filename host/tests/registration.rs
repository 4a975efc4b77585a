//! Registration URLs and one-time PINs on both backends.

use corral_host::expiring_tokens::{self, Kind, Value};
use corral_host::history::Actor;
use corral_host::passwords;
use corral_host::registration::device_tokens;
use corral_host::registration::keys::{self, Refusal};
use corral_host::registration::pins::{self, PinCheck};
use corral_host::secrets::SecretBox;
use corral_host::store::Scoped;
use corral_host::store::Store;
use corral_host::tenants;
use corral_host::users::{self, NewUser};
use corral_tests::{both_backends, Db};

both_backends!(
    registration_urls_follow_key_rotation,
    pins_are_single_use_expire_and_lock,
    expiring_tokens_are_hashed_scoped_and_purged
);

async fn store(db: Db) -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = corral_tests::database_url(db, dir.path()).await;
    let store = Store::connect(&url, 4).await.unwrap();
    store.migrate().await.unwrap();
    (store, dir)
}

async fn registration_urls_follow_key_rotation(db: Db) {
    let (store, _dir) = store(db).await;
    let secrets = SecretBox::from_key(&[3; 32]);
    let a = tenants::create(&store, &Actor::Operator, "alpha", "Alpha")
        .await
        .unwrap();
    tenants::create(&store, &Actor::Operator, "bravo", "Bravo")
        .await
        .unwrap();
    let mut tx = store.scoped(&a.id).await.unwrap();
    let v1 = keys::current_token(&mut tx, &secrets, "alpha")
        .await
        .unwrap();
    assert_eq!(
        keys::current_token(&mut tx, &secrets, "alpha")
            .await
            .unwrap(),
        v1,
        "stable"
    );
    tx.commit().await.unwrap();
    assert_eq!(
        keys::verify(&store, &secrets, &v1)
            .await
            .unwrap()
            .unwrap()
            .slug,
        "alpha"
    );

    let mut tx = store.scoped(&a.id).await.unwrap();
    assert_eq!(
        keys::rotate(&mut tx, &secrets, &Actor::Operator)
            .await
            .unwrap(),
        2
    );
    let v2 = keys::current_token(&mut tx, &secrets, "alpha")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(v2.starts_with("alpha.2.") && v2 != v1);
    assert_eq!(
        keys::verify(&store, &secrets, &v1)
            .await
            .unwrap()
            .unwrap_err(),
        Refusal::Rotated
    );
    assert!(keys::verify(&store, &secrets, &v2).await.unwrap().is_ok());

    let mac = v2.rsplit('.').next().unwrap();
    for forged in [
        format!("bravo.2.{mac}"),
        format!("alpha.2.{}", mac.replace(&mac[..2], "AA")),
        "alpha.3.x".to_string(),
        "alpha".to_string(),
        "nobody.1.abc".to_string(),
    ] {
        assert_eq!(
            keys::verify(&store, &secrets, &forged)
                .await
                .unwrap()
                .unwrap_err(),
            Refusal::Invalid,
            "{forged}"
        );
    }
    let other_key = SecretBox::from_key(&[4; 32]);
    assert!(
        keys::verify(&store, &other_key, &v2).await.is_err(),
        "sealed keys need the server key"
    );
}

/// Issues a new PIN for one user (as an invitation does).
async fn issue(tx: &mut Scoped, user_id: &str, validity_hours: i64) -> String {
    let pin = pins::new_pin();
    let hash = passwords::hash(pin.clone()).await.unwrap();
    pins::store_all(tx, &[(user_id, &hash)], validity_hours)
        .await
        .unwrap();
    pin
}

async fn pins_are_single_use_expire_and_lock(db: Db) {
    let (store, _dir) = store(db).await;
    let t = tenants::create(&store, &Actor::Operator, "alpha", "Alpha")
        .await
        .unwrap();
    let new = |email: &str| NewUser {
        email: email.into(),
        first_name: "A".into(),
        last_name: "B".into(),
        password: None,
    };
    let mut tx = store.scoped(&t.id).await.unwrap();
    let ann = users::create(
        &mut tx,
        &Actor::Operator,
        users::prepare(new("ann@a.example")).await.unwrap(),
    )
    .await
    .unwrap();
    let bob = users::create(
        &mut tx,
        &Actor::Operator,
        users::prepare(new("bob@a.example")).await.unwrap(),
    )
    .await
    .unwrap();
    let cid = users::create(
        &mut tx,
        &Actor::Operator,
        users::prepare(new("cid@a.example")).await.unwrap(),
    )
    .await
    .unwrap();
    let ann_pin = issue(&mut tx, &ann.id, 168).await;
    let old_bob_pin = issue(&mut tx, &bob.id, 168).await;
    let bob_pin = issue(&mut tx, &bob.id, 168).await;
    let cid_pin = issue(&mut tx, &cid.id, 0).await;
    tx.commit().await.unwrap();
    assert_eq!(ann_pin.len(), 8);

    // Single use.
    assert_eq!(
        pins::check(&store, &t.id, &ann.id, &ann_pin).await.unwrap(),
        PinCheck::Accepted
    );
    assert_eq!(
        pins::check(&store, &t.id, &ann.id, &ann_pin).await.unwrap(),
        PinCheck::NoPin
    );

    // A new PIN revokes the old one; five wrong tries lock it, even against the right PIN.
    if old_bob_pin != bob_pin {
        assert_eq!(
            pins::check(&store, &t.id, &bob.id, &old_bob_pin)
                .await
                .unwrap(),
            PinCheck::Wrong { remaining: 4 }
        );
    } else {
        assert_eq!(
            pins::check(&store, &t.id, &bob.id, "00000000x")
                .await
                .unwrap(),
            PinCheck::Wrong { remaining: 4 }
        );
    }
    for remaining in (0..4).rev() {
        let wrong = if bob_pin == "00000000" {
            "00000001"
        } else {
            "00000000"
        };
        assert_eq!(
            pins::check(&store, &t.id, &bob.id, wrong).await.unwrap(),
            PinCheck::Wrong { remaining }
        );
    }
    assert_eq!(
        pins::check(&store, &t.id, &bob.id, &bob_pin).await.unwrap(),
        PinCheck::Locked,
        "sixth try, right PIN"
    );

    // Expired.
    assert_eq!(
        pins::check(&store, &t.id, &cid.id, &cid_pin).await.unwrap(),
        PinCheck::Expired
    );
    // Another tenant's user id finds nothing.
    let other = tenants::create(&store, &Actor::Operator, "bravo", "Bravo")
        .await
        .unwrap();
    assert_eq!(
        pins::check(&store, &other.id, &ann.id, &ann_pin)
            .await
            .unwrap(),
        PinCheck::NoPin
    );
}

/// One helper issues every expiring token (sessions, QR device tokens, Apple links): the token
/// is stored only as its hash, in its tenant, and issuing one forgets that tenant's expired
/// rows of a purged kind, never another tenant's and never those of a kind kept as records.
async fn expiring_tokens_are_hashed_scoped_and_purged(db: Db) {
    let (store, _dir) = store(db).await;
    let a = tenants::create(&store, &Actor::Operator, "alpha", "Alpha")
        .await
        .unwrap();
    let b = tenants::create(&store, &Actor::Operator, "beta", "Beta")
        .await
        .unwrap();
    let user = |email: &str| NewUser {
        email: email.into(),
        first_name: "A".into(),
        last_name: "B".into(),
        password: None,
    };
    let mut tx = store.scoped(&a.id).await.unwrap();
    let ann = users::create(
        &mut tx,
        &Actor::Operator,
        users::prepare(user("ann@a.example")).await.unwrap(),
    )
    .await
    .unwrap();
    let expired = device_tokens::issue(&mut tx, &ann.id).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.scoped(&b.id).await.unwrap();
    let bob = users::create(
        &mut tx,
        &Actor::Operator,
        users::prepare(user("bob@b.example")).await.unwrap(),
    )
    .await
    .unwrap();
    let other_tenant = device_tokens::issue(&mut tx, &bob.id).await.unwrap();
    tx.commit().await.unwrap();

    // Stored as the SHA-256 of the token, never the token.
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT token_hash FROM device_registration_tokens")
            .fetch_all(store.raw_pool_for_tests())
            .await
            .unwrap();
    assert_eq!(stored.len(), 2);
    assert!(!stored.contains(&expired) && !stored.contains(&other_tenant));
    assert!(stored.iter().all(|h| h.len() == 64));

    // Both expire; a new token in tenant A forgets A's expired one only.
    sqlx::query("UPDATE device_registration_tokens SET expires_at = 1")
        .execute(store.raw_pool_for_tests())
        .await
        .unwrap();
    let mut tx = store.scoped(&a.id).await.unwrap();
    let fresh = device_tokens::issue(&mut tx, &ann.id).await.unwrap();
    assert_eq!(
        device_tokens::redeem(&mut tx, &expired).await.unwrap(),
        None
    );
    assert_eq!(
        device_tokens::redeem(&mut tx, &fresh).await.unwrap(),
        Some(ann.id.clone())
    );
    tx.commit().await.unwrap();
    let left: Vec<String> =
        sqlx::query_scalar("SELECT tenant_id FROM device_registration_tokens ORDER BY tenant_id")
            .fetch_all(store.raw_pool_for_tests())
            .await
            .unwrap();
    let mut expected = vec![a.id.as_str().to_string(), b.id.as_str().to_string()];
    expected.sort();
    assert_eq!(left, expected, "A's fresh token and B's expired one");

    // A kind kept as records (like Apple enrolments) is not purged.
    let kept = Kind {
        purge_expired: false,
        ..KEPT
    };
    let mut tx = store.scoped(&a.id).await.unwrap();
    let columns = || vec![("user_id", Value::Text(ann.id.clone()))];
    expiring_tokens::issue(&mut tx, kept, -1, columns())
        .await
        .unwrap();
    expiring_tokens::issue(&mut tx, kept, 60_000, columns())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM device_registration_tokens WHERE tenant_id = $1")
            .bind(a.id.as_str())
            .fetch_one(store.raw_pool_for_tests())
            .await
            .unwrap();
    assert_eq!(count, 3, "the expired record stays");
}

const KEPT: Kind = Kind {
    table: "device_registration_tokens",
    hash_column: "token_hash",
    expires_column: "expires_at",
    purge_expired: false,
};
