//! Storage: one sqlx `Any` pool that serves both SQLite (the zero-configuration default) and
//! PostgreSQL (for several host processes sharing one database).
//!
//! Rules for everything that touches the database:
//! - Tenant data is only ever read or written through a [`Scoped`] transaction, which carries the
//!   tenant id and is the only way repository functions learn it. A handler cannot forget the
//!   tenant filter because it never supplies one: it gets a `Scoped` from the authenticated
//!   session (or, for operator commands, from a tenant looked up by slug).
//! - Queries use `$n` placeholders and only TEXT / BIGINT / BLOB columns, so the same SQL runs on
//!   both backends (see `migrations/`). Ids and timestamps are made in Rust.
//! - Every state change and its history entry are written in the same transaction.

pub mod batch;
mod migrate;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, ConnectOptions, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::Error;
use crate::tenants::TenantId;

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Picks the backend from a database URL, refusing anything else with a clear message.
    pub fn from_url(url: &str) -> Result<Backend, Error> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(Error::Config(format!(
                "database URL must start with sqlite: or postgres:// (got {:?})",
                url.split(':').next().unwrap_or_default()
            )))
        }
    }
}

/// The database, shared by every request of this process. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite only: where write transactions run (see [`Writer`]).
    writer: Option<Writer>,
}

/// How long a write transaction waits for its turn (as SQLite's `busy_timeout`).
const WRITE_TURN_TIMEOUT: Duration = Duration::from_secs(10);

/// SQLite allows one writer at a time, so this process writes through one connection of its
/// own, taken in turn: queueing here wakes the next writer the moment the previous one
/// commits, where SQLite's busy handler would make it sleep and poll (1 ms, 2 ms, 5 ms...),
/// and the connection's page cache stays warm (a connection drops its cache whenever another
/// connection wrote). Other processes on the same file still meet SQLite's own lock and
/// busy timeout.
///
/// The connection is held here for good rather than checked out of a pool: sqlx returns a
/// pooled connection from a spawned task that first pings it, so every write transaction
/// waited for that task to get a turn on a busy runtime (two fifths of a check-in batch's
/// time at load, docs/apple-bench.md). Transactions on it are plain `BEGIN IMMEDIATE` / `COMMIT`
/// statements; see [`WriteTurn`] for the rollback of one that is dropped.
#[derive(Clone)]
struct Writer {
    turn: Arc<Mutex<WriteConn>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Writer")
    }
}

/// The writer connection and whether a transaction is open on it.
struct WriteConn {
    conn: AnyConnection,
    /// A transaction was begun and neither committed nor rolled back yet.
    open: bool,
}

impl WriteConn {
    /// Ends an open transaction without keeping its changes. (When the statement that began
    /// or ended it was abandoned half-way, there may be none left: that is not an error.)
    async fn roll_back(&mut self) {
        if self.open {
            match self.conn.execute("ROLLBACK").await {
                Err(e) if !e.to_string().contains("no transaction is active") => {
                    tracing::warn!(error = %e, "rolling back an abandoned write transaction");
                }
                _ => {}
            }
            self.open = false;
        }
    }
}

/// The writer connection while one transaction holds it. Dropped without a commit (an error,
/// or a request whose client went away), it rolls the transaction back on a task of its own
/// and only then lets the next writer in, so the write lock on the file is released at once
/// rather than when this process next writes (other processes may be waiting for it).
struct WriteTurn(Option<OwnedMutexGuard<WriteConn>>);

impl WriteTurn {
    /// The connection (only [`Drop`] takes it out).
    fn conn(&mut self) -> &mut WriteConn {
        self.0.as_mut().expect("a write turn is held until dropped")
    }
}

impl Drop for WriteTurn {
    fn drop(&mut self) {
        let Some(mut conn) = self.0.take().filter(|c| c.open) else {
            return;
        };
        // Outside a runtime (the process is ending) the next writer rolls back first.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { conn.roll_back().await });
        }
    }
}

/// The SQLite database holds password hashes and sealed secrets: its file (and its WAL and
/// shared-memory files, which SQLite creates with the database file's mode) is readable by this
/// user only. SQLite itself would create it 0644; an empty file is a valid empty database, so it
/// is created here first. Files left readable by an older version are tightened.
fn private_sqlite_files(url: &str) -> Result<(), Error> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" || url.contains("mode=memory") {
        return Ok(());
    }
    let denied =
        |e: std::io::Error| Error::Config(format!("cannot prepare database file {path}: {e}"));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(denied(e)),
    }
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{path}{suffix}");
        if let Ok(meta) = std::fs::metadata(&file) {
            if meta.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .map_err(denied)?;
            }
        }
    }
    Ok(())
}

/// Settings of every SQLite connection. temp_store: statement journals (every multi-row
/// UPDATE of a batch writes one) and temporary sort trees stay in memory instead of temporary
/// files. soft_heap_limit (process-wide): SQLite's page caches together stay near 8 MiB
/// (each connection's own cache would otherwise keep up to 2 MiB of whatever it read last,
/// plugin components included); the system's file cache serves the rest.
const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
    PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; \
    PRAGMA soft_heap_limit = 8388608;";

impl Store {
    /// Connects to `url` (creating the SQLite file when missing). Does not migrate.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, Error> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        if backend == Backend::Sqlite {
            private_sqlite_files(&url)?;
        }
        let options = AnyConnectOptions::from_str(&url)
            .map_err(|e| Error::Config(format!("invalid database URL: {e}")))?;
        let pool = Self::pool_options(backend, max_connections.max(1))
            .connect_with(options.clone())
            .await
            .map_err(|e| Error::Unavailable(format!("cannot open the database: {e}")))?;
        let writer = match backend {
            Backend::Sqlite => {
                let mut conn = options
                    .connect()
                    .await
                    .map_err(|e| Error::Unavailable(format!("cannot open the database: {e}")))?;
                conn.execute(SQLITE_PRAGMAS).await?;
                Some(Writer {
                    turn: Arc::new(Mutex::new(WriteConn { conn, open: false })),
                })
            }
            Backend::Postgres => None,
        };
        Ok(Store {
            pool,
            backend,
            writer,
        })
    }

    fn pool_options(backend: Backend, max_connections: u32) -> AnyPoolOptions {
        AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            // A SQLite connection is a file handle in this process: it cannot go stale, and the
            // liveness ping sqlx sends on every checkout is one more round trip to the
            // connection's thread. PostgreSQL connections can be dropped by the server.
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(SQLITE_PRAGMAS).await?;
                    }
                    Ok(())
                })
            })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the migrations of this backend (`migrations/sqlite` or `migrations/postgres`).
    /// Safe to run from several processes at once on PostgreSQL (sqlx takes an advisory lock).
    pub async fn migrate(&self) -> Result<(), Error> {
        migrate::run(self).await
    }

    /// Readiness: the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The pool, for reads and writes that are not tenant data (tenants, server settings).
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The raw pool, for tests that check what the database itself refuses (history
    /// triggers). Not for application code, which goes through [`Scoped`].
    #[doc(hidden)]
    pub fn raw_pool_for_tests(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a write transaction scoped to one tenant: the only way to reach tenant data.
    /// On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`, after this process's
    /// writer queue) so that a read followed by a write cannot fail with "database is locked"
    /// when another connection wrote in between. Keep write transactions short: do slow work
    /// (cryptography, password hashing) before opening one.
    pub async fn scoped(&self, tenant: &TenantId) -> Result<Scoped, Error> {
        let conn = match &self.writer {
            Some(writer) => {
                // Bounded like SQLite's own busy timeout: a writer that never gets its turn
                // fails instead of hanging.
                let mut turn =
                    tokio::time::timeout(WRITE_TURN_TIMEOUT, writer.turn.clone().lock_owned())
                        .await
                        .map_err(|_| {
                            Error::Unavailable(format!(
                                "the database is busy: no write turn within {} s",
                                WRITE_TURN_TIMEOUT.as_secs()
                            ))
                        })?;
                turn.roll_back().await;
                // Marked open before BEGIN runs: should this future be dropped meanwhile, the
                // next writer rolls back whatever began.
                turn.open = true;
                if let Err(e) = turn.conn.execute("BEGIN IMMEDIATE").await {
                    turn.open = false;
                    return Err(e.into());
                }
                Conn::Write(WriteTurn(Some(turn)))
            }
            None => Conn::Tx(self.pool.begin().await?),
        };
        Ok(Scoped {
            conn,
            tenant: tenant.clone(),
            backend: self.backend,
        })
    }

    /// Begins a read-only transaction scoped to one tenant. It takes no write lock, so it can
    /// be held across slow work (password checks); do not write through it.
    pub async fn scoped_read(&self, tenant: &TenantId) -> Result<Scoped, Error> {
        Ok(Scoped {
            conn: Conn::Tx(self.pool.begin().await?),
            tenant: tenant.clone(),
            backend: self.backend,
        })
    }

    /// A pooled connection scoped to one tenant, outside any transaction: each statement sees
    /// the latest committed data. For the read phase of hot paths (check-ins, profile
    /// downloads) that then write in a short [`Store::scoped`] transaction; never write
    /// through it.
    pub async fn reader(&self, tenant: &TenantId) -> Result<Scoped, Error> {
        Ok(Scoped {
            conn: Conn::Plain(self.pool.acquire().await?),
            tenant: tenant.clone(),
            backend: self.backend,
        })
    }
}

enum Conn {
    Tx(Transaction<'static, Any>),
    Plain(PoolConnection<Any>),
    /// A SQLite write transaction on this process's writer connection.
    Write(WriteTurn),
}

/// A transaction bound to one tenant. Repository functions take `&mut Scoped` and filter every
/// statement by [`Scoped::tenant`]; dropping it without [`Scoped::commit`] rolls back.
pub struct Scoped {
    conn: Conn,
    tenant: TenantId,
    backend: Backend,
}

impl Scoped {
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The database engine (for statements written differently on each).
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection, for repository functions. Every statement run on it must bind
    /// `self.tenant()`.
    pub(crate) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        match &mut self.conn {
            Conn::Tx(tx) => tx,
            Conn::Plain(conn) => conn,
            Conn::Write(turn) => &mut turn.conn().conn,
        }
    }

    /// Serialises writers of this tenant until commit (a row lock on PostgreSQL; SQLite write
    /// transactions are serialised already). Used by checks that span rows, such as "the
    /// tenant keeps at least one owner".
    pub async fn lock_tenant(&mut self) -> Result<(), Error> {
        let tenant = self.tenant.as_str().to_string();
        sqlx::query("UPDATE tenants SET name = name WHERE id = $1")
            .bind(tenant)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Commits the transaction (a no-op for a [`Store::reader`]).
    pub async fn commit(self) -> Result<(), Error> {
        match self.conn {
            Conn::Tx(tx) => tx.commit().await?,
            Conn::Write(mut turn) => {
                // A failed COMMIT leaves the transaction open, and dropping the turn rolls it
                // back.
                let conn = turn.conn();
                conn.conn.execute("COMMIT").await?;
                conn.open = false;
            }
            Conn::Plain(_) => {}
        }
        Ok(())
    }
}

/// Current time in unix milliseconds, the unit of every timestamp column.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A new time-ordered id (UUID v7) for a row.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A unique-constraint violation (same meaning on both backends) as a 409 with `code`; other
/// errors pass through.
pub(crate) fn unique_as_conflict<T>(
    result: Result<T, sqlx::Error>,
    code: &'static str,
    message: impl FnOnce() -> String,
) -> Result<T, Error> {
    match result {
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(Error::Conflict {
            code,
            message: message(),
        }),
        other => Ok(other?),
    }
}

/// The `LIKE` pattern (with `ESCAPE '\'`) of lower-cased text starting with `prefix`: the
/// prefix lower-cased, its `%`, `_` and `\` taken literally.
pub fn starts_with_pattern(prefix: &str) -> String {
    let escaped = prefix
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("{escaped}%")
}
