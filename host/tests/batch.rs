//! Group commit (`store::batch`), on both databases: requests that arrive while a batch is being
//! written are written together; one bad request in a batch fails alone (the batch is rolled
//! back and every request applied again by itself, so nothing is written twice); and a request
//! whose caller went away is still written.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corral_host::error::Error;
use corral_host::history::{self, Actor, Change};
use corral_host::store::batch::{Batch, Batcher};
use corral_host::store::{Scoped, Store};
use corral_host::tenants::{self, TenantId};
use corral_tests::{both_backends, Db};

both_backends!(a_bad_request_fails_alone_and_nothing_is_lost);

/// Records one history entry per item. Item 0 holds its batch for a while (so that the others
/// queue up behind it); a negative item is refused, after the items before it in the batch were
/// written.
struct Recorder {
    largest_batch: Arc<AtomicUsize>,
}

impl Batch for Recorder {
    type Item = i64;
    type Output = i64;

    async fn apply(&self, scoped: &mut Scoped, items: &[i64]) -> Result<Vec<i64>, Error> {
        self.largest_batch.fetch_max(items.len(), Ordering::SeqCst);
        let mut out = Vec::new();
        for &item in items {
            if item == 0 {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            if item < 0 {
                return Err(Error::invalid("item", "negative"));
            }
            let change = Change::new::<(), _>(
                "batch_test",
                &item.to_string(),
                "created",
                None,
                Some(&item),
            );
            history::record(scoped, &Actor::System, change).await?;
            out.push(item * 2);
        }
        Ok(out)
    }
}

async fn recorded(store: &Store, tenant: &TenantId) -> Vec<String> {
    let mut scoped = store.scoped_read(tenant).await.unwrap();
    let entries = history::query(
        &mut scoped,
        &history::Query {
            object_type: "batch_test".into(),
            object_id: None,
            limit: Some(500),
        },
    )
    .await
    .unwrap();
    let mut ids: Vec<String> = entries.into_iter().map(|e| e.object_id).collect();
    ids.sort();
    ids
}

async fn a_bad_request_fails_alone_and_nothing_is_lost(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let url = corral_tests::database_url(db, dir.path()).await;
    let store = Store::connect(&url, 4).await.unwrap();
    store.migrate().await.unwrap();
    let tenant = tenants::create(&store, &Actor::Operator, "acme", "Acme")
        .await
        .unwrap()
        .id;
    let largest_batch = Arc::new(AtomicUsize::new(0));
    let batcher = Batcher::new(
        store.clone(),
        Recorder {
            largest_batch: largest_batch.clone(),
        },
    );

    // Item 0 goes first and holds the writer; the others arrive meanwhile.
    let first = {
        let (batcher, tenant) = (batcher.clone(), tenant.clone());
        tokio::spawn(async move { batcher.submit(&tenant, 0).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut others = Vec::new();
    for item in [1, 2, -3, 4, 5] {
        let (batcher, tenant) = (batcher.clone(), tenant.clone());
        others.push((
            item,
            tokio::spawn(async move { batcher.submit(&tenant, item).await }),
        ));
    }
    // A caller that goes away before its answer: its request is written all the same.
    let abandoned = {
        let (batcher, tenant) = (batcher.clone(), tenant.clone());
        tokio::spawn(async move { batcher.submit(&tenant, 6).await })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    abandoned.abort();

    assert_eq!(first.await.unwrap().unwrap(), 0);
    for (item, handle) in others {
        match handle.await.unwrap() {
            Ok(doubled) => assert_eq!(doubled, item * 2),
            Err(Error::Invalid { field, .. }) => {
                assert_eq!((item, field.as_str()), (-3, "item"))
            }
            Err(e) => panic!("item {item}: {e}"),
        }
    }
    assert!(
        largest_batch.load(Ordering::SeqCst) > 1,
        "the requests that waited were written together"
    );

    // Every good request exactly once (the failed batch was rolled back, not half-kept), the
    // abandoned one included; the bad one not at all.
    let mut written = recorded(&store, &tenant).await;
    for _ in 0..50 {
        if written.len() >= 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        written = recorded(&store, &tenant).await;
    }
    assert_eq!(written, ["0", "1", "2", "4", "5", "6"]);
}
