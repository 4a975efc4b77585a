//! Migrations, embedded in the binary: each backend only ever sees its own folder.

use sqlx::migrate::Migrator;

use super::{Backend, Store};
use crate::error::Error;

static SQLITE: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("../migrations/postgres");

pub(super) async fn run(store: &Store) -> Result<(), Error> {
    let migrator = match store.backend() {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    };
    migrator
        .run(store.pool())
        .await
        .map_err(|e| Error::Unavailable(format!("database migration failed: {e}")))
}
