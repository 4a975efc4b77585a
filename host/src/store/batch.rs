//! Group commit for hot write paths (Apple check-ins, profile downloads): requests of one kind
//! that arrive while the previous batch is being written wait together and are then applied in
//! one transaction, by statements that each cover the whole batch. A database round trip and a
//! commit cost the same for one row as for sixty, so under load the cost per request falls
//! with the queue; an idle server still writes each request at once (a batch of one).
//!
//! Rules for a [`Batch`]:
//! - `apply` gives one output per item, in item order, and has no effect outside the
//!   transaction it is given;
//! - it is correct for any subset of the items: when a batch fails inside its transaction, the
//!   transaction is rolled back and every item is applied again alone, so one bad item fails
//!   only its own request, and nothing another request asked for is lost;
//! - items of different tenants never share a batch.
//!
//! The batch runs on its own task, so a caller that goes away (a dropped HTTP connection) does
//! not abandon the others' writes.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::{Backend, Scoped, Store};
use crate::error::Error;
use crate::tenants::TenantId;

/// Most items in one batch: bounds statement size (and bind parameters) and a batch's latency.
pub const MAX_ITEMS: usize = 64;

/// One kind of request that can be written in batches.
pub trait Batch: Send + Sync + 'static {
    type Item: Send + Sync + 'static;
    type Output: Send + 'static;

    /// Applies `items` inside `scoped` (not committed here): one output per item, in order.
    fn apply(
        &self,
        scoped: &mut Scoped,
        items: &[Self::Item],
    ) -> impl Future<Output = Result<Vec<Self::Output>, Error>> + Send;
}

type Reply<B> = oneshot::Sender<Result<<B as Batch>::Output, Error>>;
type Waiting<B> = Vec<(<B as Batch>::Item, Reply<B>)>;

/// Queues requests per tenant and writes them in batches. Cheap to clone.
pub struct Batcher<B: Batch> {
    inner: Arc<Inner<B>>,
}

impl<B: Batch> Clone for Batcher<B> {
    fn clone(&self) -> Self {
        Batcher {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<B: Batch> {
    store: Store,
    batch: B,
    /// Requests waiting, by tenant. A tenant has an entry exactly while its writer task runs.
    queues: Mutex<HashMap<TenantId, Waiting<B>>>,
}

impl<B: Batch> Batcher<B> {
    pub fn new(store: Store, batch: B) -> Batcher<B> {
        Batcher {
            inner: Arc::new(Inner {
                store,
                batch,
                queues: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Applies `item` for `tenant`, together with whatever else is waiting, and returns its
    /// output once committed.
    pub async fn submit(&self, tenant: &TenantId, item: B::Item) -> Result<B::Output, Error> {
        let (reply, answer) = oneshot::channel();
        let start_writer = {
            let mut queues = self.inner.queues.lock().expect("batch queues");
            match queues.get_mut(tenant) {
                Some(waiting) => {
                    waiting.push((item, reply));
                    false
                }
                None => {
                    queues.insert(tenant.clone(), vec![(item, reply)]);
                    true
                }
            }
        };
        if start_writer {
            let writer = Writer {
                inner: self.inner.clone(),
                tenant: tenant.clone(),
            };
            tokio::spawn(writer.run());
        }
        answer
            .await
            .unwrap_or_else(|_| Err(Error::Internal("a write batch was abandoned".into())))
    }
}

/// The task that writes one tenant's batches until its queue is empty.
struct Writer<B: Batch> {
    inner: Arc<Inner<B>>,
    tenant: TenantId,
}

impl<B: Batch> Writer<B> {
    async fn run(self) {
        loop {
            let taken: Waiting<B> = {
                let mut queues = self.inner.queues.lock().expect("batch queues");
                let Some(waiting) = queues.get_mut(&self.tenant) else {
                    return;
                };
                if waiting.is_empty() {
                    queues.remove(&self.tenant);
                    return;
                }
                let n = waiting.len().min(MAX_ITEMS);
                waiting.drain(..n).collect()
            };
            let (items, replies): (Vec<_>, Vec<_>) = taken.into_iter().unzip();
            self.write(&items, replies).await;
        }
    }

    async fn write(&self, items: &[B::Item], replies: Vec<Reply<B>>) {
        match self.attempt(items).await {
            Ok(outputs) if outputs.len() == items.len() => {
                for (reply, output) in replies.into_iter().zip(outputs) {
                    let _ = reply.send(Ok(output));
                }
            }
            Ok(_) => {
                for reply in replies {
                    let _ = reply.send(Err(Error::Internal(
                        "a write batch gave the wrong number of outputs".into(),
                    )));
                }
            }
            Err(Failed::Begin(e)) => {
                // Nothing was tried: every request gets the reason (the database is down or
                // busy), as each would have alone.
                let message = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(Error::Unavailable(message.clone())));
                }
            }
            Err(Failed::Apply(e)) if items.len() == 1 => {
                let _ = replies.into_iter().next().map(|r| r.send(Err(e)));
            }
            Err(Failed::Apply(_)) => {
                // One item may have caused it: each is applied again alone, so only that one
                // fails.
                for (item, reply) in items.iter().zip(replies) {
                    let result = match self.attempt(std::slice::from_ref(item)).await {
                        Ok(mut outputs) if outputs.len() == 1 => Ok(outputs.remove(0)),
                        Ok(_) => Err(Error::Internal(
                            "a write batch gave the wrong number of outputs".into(),
                        )),
                        Err(Failed::Begin(e) | Failed::Apply(e)) => Err(e),
                    };
                    let _ = reply.send(result);
                }
            }
        }
    }

    async fn attempt(&self, items: &[B::Item]) -> Result<Vec<B::Output>, Failed> {
        let mut scoped = self
            .inner
            .store
            .scoped(&self.tenant)
            .await
            .map_err(Failed::Begin)?;
        let outputs = self
            .inner
            .batch
            .apply(&mut scoped, items)
            .await
            .map_err(Failed::Apply)?;
        scoped.commit().await.map_err(Failed::Apply)?;
        Ok(outputs)
    }
}

impl<B: Batch> Drop for Writer<B> {
    /// A writer that panicked leaves its queue: the waiting requests fail (their replies are
    /// dropped) instead of waiting for a writer that is gone, and the next request starts a
    /// new one. After a normal end the entry is gone already.
    fn drop(&mut self) {
        if std::thread::panicking() {
            if let Ok(mut queues) = self.inner.queues.lock() {
                queues.remove(&self.tenant);
            }
        }
    }
}

enum Failed {
    /// The transaction could not begin.
    Begin(Error),
    /// A statement or the commit failed (rolled back).
    Apply(Error),
}

/// Most rows in one multi-row statement of a bulk write: at 16 columns, 8,000 bind parameters,
/// well within SQLite's (32,766) and PostgreSQL's (65,535) limits.
pub(crate) const ROWS_PER_STATEMENT: usize = 500;

/// The tenant's rows whose `column` is one of `values`: `select` (`SELECT ... FROM table`) is
/// completed with the tenant filter and an `IN` list, a few hundred values per statement.
pub(crate) async fn rows_among<T>(
    scoped: &mut Scoped,
    select: &str,
    column: &str,
    values: &[String],
) -> Result<Vec<T>, Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let tenant = scoped.tenant().as_str().to_string();
    let mut rows = Vec::with_capacity(values.len());
    for chunk in values.chunks(ROWS_PER_STATEMENT) {
        let mut p = Placeholders::new(scoped);
        let sql = format!(
            "{select} WHERE tenant_id = {} AND {column} IN ({})",
            p.next(),
            p.list(chunk.len())
        );
        let mut query = sqlx::query_as::<_, T>(&sql).bind(tenant.clone());
        for value in chunk {
            query = query.bind(value.clone());
        }
        rows.extend(query.fetch_all(scoped.conn()).await?);
    }
    Ok(rows)
}

/// Placeholders numbered in order of appearance, for statements whose size follows the batch:
/// `$1, $2, ...` on PostgreSQL, anonymous `?` on SQLite (sqlx looks every named SQLite parameter
/// up by name, which is quadratic for a statement of hundreds of parameters). Take placeholders
/// in the order they appear in the statement text, and bind one value per placeholder, in that
/// same order.
pub(crate) struct Placeholders {
    sqlite: bool,
    taken: usize,
}

impl Placeholders {
    pub(crate) fn new(scoped: &Scoped) -> Placeholders {
        Placeholders {
            sqlite: scoped.backend() == Backend::Sqlite,
            taken: 0,
        }
    }

    /// The next placeholder.
    pub(crate) fn next(&mut self) -> String {
        self.taken += 1;
        if self.sqlite {
            "?".to_string()
        } else {
            format!("${}", self.taken)
        }
    }

    /// `n` placeholders, comma-separated (an `IN (...)` list).
    pub(crate) fn list(&mut self, n: usize) -> String {
        (0..n).map(|_| self.next()).collect::<Vec<_>>().join(", ")
    }

    /// `rows` parenthesised rows of `columns` placeholders (a `VALUES` list).
    pub(crate) fn rows(&mut self, rows: usize, columns: usize) -> String {
        (0..rows)
            .map(|_| format!("({})", self.list(columns)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// For tests of batch statements: the SQLite query plan (`EXPLAIN QUERY PLAN`'s `detail`
/// column, parameters unbound) of `statement` for each batch size that matters (SQLite's
/// planner changes its choice of index with the size of an `IN` list), on a freshly migrated
/// database.
#[cfg(test)]
pub(crate) async fn plans_by_batch_size(
    statement: impl Fn(Placeholders, usize) -> String,
) -> Vec<(usize, Vec<String>)> {
    use sqlx::Row;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("plan.db").display());
    let store = Store::connect(&url, 1).await.unwrap();
    store.migrate().await.unwrap();
    let mut reader = store
        .reader(&TenantId::from_db("tenant".into()))
        .await
        .unwrap();
    let mut plans = Vec::new();
    for n in [1, 2, 3, 10, 30, MAX_ITEMS] {
        let sql = statement(Placeholders::new(&reader), n);
        let plan = sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
            .fetch_all(reader.conn())
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<String, _>(3))
            .collect();
        plans.push((n, plan));
    }
    plans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order_on_postgres_and_anonymous_on_sqlite() {
        let mut pg = Placeholders {
            sqlite: false,
            taken: 0,
        };
        assert_eq!(pg.next(), "$1");
        assert_eq!(pg.rows(2, 2), "($2, $3), ($4, $5)");
        assert_eq!(pg.list(2), "$6, $7");
        let mut lite = Placeholders {
            sqlite: true,
            taken: 0,
        };
        assert_eq!(lite.rows(1, 3), "(?, ?, ?)");
    }
}
