//! Bulk imports of CSV files through a plugin (SPEC F3, F4): the imports a plugin's collection
//! declares (`corral:plugin@0.5.0`; zero-touch's apply and unregister files), whose rows the
//! plugin checks in batches (`map-import-rows`) and turns into vendor requests, which the host
//! sends at its own pace.
//!
//! Rules:
//! - an upload is refused at once, changing nothing, when it is larger than the limit (413),
//!   when its header lacks one of the import's columns or has one it does not know, or when it
//!   has no row; otherwise it answers at once with its job, queued;
//! - the file is written to disk as it arrives and read back from there in chunks: never whole
//!   in memory;
//! - a tenant's jobs run one at a time, oldest first; other tenants' jobs run beside them;
//! - every row gets a status (`runner`), every row that does not go through is kept with its
//!   line number, its fields and why;
//! - the job's end is announced to the administrator who uploaded the file: a notification and
//!   an e-mail through the outbox, linking to the job's page of failed rows.

pub mod runner;

use std::path::PathBuf;
use std::time::Duration;

use futures::{Stream, StreamExt};
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;

use crate::collections::Import;
use crate::error::Error;
use crate::history::{self, Change};
use crate::plugins::HookError;
use crate::services::AsAdmin;
use crate::store::{new_id, now_ms, Scoped};

/// How imports run in this process.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where uploaded files are kept while their job runs.
    pub dir: PathBuf,
    /// Largest file accepted, in bytes.
    pub max_bytes: u64,
    /// Rows sent to the vendor per second, per job (0: as fast as the vendor answers).
    pub rows_per_second: u32,
    /// Rows whose vendor requests are in flight at once, per job.
    pub in_flight: usize,
    /// Tries of a request the vendor answers 429 or 5xx (or that does not arrive).
    pub tries: u32,
    /// First wait before trying again (doubling each time, or the vendor's `Retry-After`).
    pub retry_base: Duration,
    /// How long a process holds a job without renewing its lease (a job whose process died is
    /// picked up once it passed).
    pub lease: Duration,
    /// Rows per batch handed to the plugin (and per chunk of statuses).
    pub batch_rows: usize,
    /// How often the runner looks for jobs to run.
    pub poll: Duration,
}

impl Settings {
    pub fn new(data_dir: &std::path::Path) -> Settings {
        Settings {
            dir: data_dir.join("imports"),
            max_bytes: 50 << 20,
            rows_per_second: 50,
            in_flight: 8,
            tries: 5,
            retry_base: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            batch_rows: 1000,
            poll: Duration::from_secs(1),
        }
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for the tenant's earlier jobs.
    Queued,
    /// Rows read and checked by the plugin.
    Validating,
    /// Valid rows sent to the vendor.
    Applying,
    /// Every row has its final status.
    Done,
    /// Stopped for good (the file is gone, the plugin was removed): `error` says why.
    Failed,
}

impl JobState {
    pub fn code(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Validating => "validating",
            JobState::Applying => "applying",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    fn from_code(code: &str) -> JobState {
        match code {
            "validating" => JobState::Validating,
            "applying" => JobState::Applying,
            "done" => JobState::Done,
            "failed" => JobState::Failed,
            _ => JobState::Queued,
        }
    }
}

/// An import job and its progress.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Job {
    pub id: String,
    pub plugin_id: String,
    pub collection: String,
    /// The import's name (e.g. `zero-touch-apply`).
    pub import: String,
    pub file_name: String,
    pub file_bytes: i64,
    pub state: JobState,
    pub error: Option<String>,
    /// Rows in the file (the header not counted).
    pub total_rows: i64,
    /// Rows read and checked so far.
    pub rows_read: i64,
    /// Rows the plugin accepted.
    pub rows_valid: i64,
    /// Rows the plugin refused.
    pub rows_invalid: i64,
    /// Rows the vendor took.
    pub rows_applied: i64,
    /// Rows the vendor refused (after the tries).
    pub rows_failed: i64,
    /// Who uploaded the file.
    pub uploaded_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

pub(crate) const JOB_COLUMNS: &str = "id, plugin_id, collection, import_kind, file_name, \
    file_bytes, state, error, total_rows, rows_read, rows_valid, rows_invalid, rows_applied, \
    rows_failed, admin_email, created_at, updated_at, finished_at";

#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    id: String,
    plugin_id: String,
    collection: String,
    import_kind: String,
    file_name: String,
    file_bytes: i64,
    state: String,
    error: Option<String>,
    total_rows: i64,
    rows_read: i64,
    rows_valid: i64,
    rows_invalid: i64,
    rows_applied: i64,
    rows_failed: i64,
    admin_email: String,
    created_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
}

impl From<JobRow> for Job {
    fn from(r: JobRow) -> Job {
        Job {
            id: r.id,
            plugin_id: r.plugin_id,
            collection: r.collection,
            import: r.import_kind,
            file_name: r.file_name,
            file_bytes: r.file_bytes,
            state: JobState::from_code(&r.state),
            error: r.error,
            total_rows: r.total_rows,
            rows_read: r.rows_read,
            rows_valid: r.rows_valid,
            rows_invalid: r.rows_invalid,
            rows_applied: r.rows_applied,
            rows_failed: r.rows_failed,
            uploaded_by: r.admin_email,
            created_at: r.created_at,
            updated_at: r.updated_at,
            finished_at: r.finished_at,
        }
    }
}

/// A row that did not go through.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Failure {
    /// Line number in the file (the header is line 1).
    pub line: i64,
    /// The row's fields, in the file's column order.
    pub fields: Vec<String>,
    pub reason: String,
}

/// A page of a job's failed rows, by line.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FailurePage {
    pub failures: Vec<Failure>,
    /// Failed rows in all.
    pub total: i64,
}

/// The file of job `id`.
pub(crate) fn file_of(settings: &Settings, id: &str) -> PathBuf {
    settings.dir.join(format!("{id}.csv"))
}

/// What the upload learnt of a file: its size, its records (the header one of them) and its
/// header.
struct Received {
    bytes: u64,
    records: u64,
    header: Vec<String>,
}

/// Writes `body` to `path` as it arrives, counting its CSV records (quoted fields with line
/// breaks count once) and keeping its header, refusing more than `max` bytes.
async fn receive<S, E>(path: &std::path::Path, mut body: S, max: u64) -> Result<Received, Error>
where
    S: Stream<Item = Result<axum::body::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(|e| Error::Internal(format!("import file {}: {e}", path.display())))?;
    let mut counter = csv_core::Reader::new();
    let mut records = 0u64;
    let mut bytes = 0u64;
    let mut head: Vec<u8> = Vec::new();
    let mut out = [0u8; 4096];
    let mut ends = [0usize; 64];
    let mut last_byte = b'\n';
    while let Some(chunk) = body.next().await {
        let chunk =
            chunk.map_err(|e| Error::invalid("file", format!("the upload broke off: {e}")))?;
        bytes += chunk.len() as u64;
        if bytes > max {
            return Err(Error::TooLarge {
                field: "file".into(),
                message: format!("a file may be at most {max} bytes ({} MiB)", max >> 20),
            });
        }
        if records == 0 && head.len() < 64 * 1024 {
            head.extend_from_slice(&chunk[..chunk.len().min(64 * 1024 - head.len())]);
        }
        if let Some(&b) = chunk.last() {
            last_byte = b;
        }
        let mut input: &[u8] = &chunk;
        loop {
            let (result, read, _, _) = counter.read_record(input, &mut out, &mut ends);
            input = &input[read..];
            match result {
                csv_core::ReadRecordResult::Record => records += 1,
                csv_core::ReadRecordResult::InputEmpty => break,
                csv_core::ReadRecordResult::OutputFull
                | csv_core::ReadRecordResult::OutputEndsFull => {}
                csv_core::ReadRecordResult::End => break,
            }
            if input.is_empty() {
                break;
            }
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| Error::Internal(format!("import file: {e}")))?;
    }
    // The last record, when the file does not end with a line break.
    if bytes > 0 && last_byte != b'\n' {
        let (result, _, _, _) = counter.read_record(&[], &mut out, &mut ends);
        if result == csv_core::ReadRecordResult::Record {
            records += 1;
        }
    }
    file.flush()
        .await
        .map_err(|e| Error::Internal(format!("import file: {e}")))?;
    file.sync_all()
        .await
        .map_err(|e| Error::Internal(format!("import file: {e}")))?;
    let header = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(head.as_slice())
        .records()
        .next()
        .and_then(Result::ok)
        .map(|r| {
            r.iter()
                .map(|f| f.trim().trim_start_matches('\u{feff}').to_lowercase())
                .collect()
        })
        .unwrap_or_default();
    Ok(Received {
        bytes,
        records,
        header,
    })
}

/// The header's problem for `import`, if any: a column missing, or one it does not take.
fn header_problem(import: &Import, header: &[String]) -> Option<String> {
    if let Some(missing) = import
        .columns
        .iter()
        .find(|c| !header.contains(&c.to_lowercase()))
    {
        return Some(format!(
            "the header lacks the column {missing} (expected {})",
            import.columns.join(",")
        ));
    }
    if let Some(unknown) = header
        .iter()
        .find(|h| !import.columns.iter().any(|c| c.to_lowercase() == **h))
    {
        return Some(format!(
            "the column {unknown:?} is not one of this import's ({})",
            import.columns.join(",")
        ));
    }
    None
}

async fn job(scoped: &mut Scoped, id: &str) -> Result<Job, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query_as::<_, JobRow>(&format!(
        "SELECT {JOB_COLUMNS} FROM import_jobs WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(scoped.conn())
    .await?
    .map(Job::from)
    .ok_or(Error::NotFound("import job"))
}

impl AsAdmin<'_> {
    /// Starts an import of `collection`'s import `import` with the file `body` (CSV): the job,
    /// queued, once the file is on disk and its header checked.
    pub async fn start_import<S, E>(
        &self,
        plugin_id: &str,
        collection: &str,
        import: &str,
        file_name: &str,
        body: S,
    ) -> Result<Job, HookError>
    where
        S: Stream<Item = Result<axum::body::Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let described = self.plugin_collection(plugin_id, collection).await?;
        let Some(found) = described.imports.iter().find(|i| i.name == import).cloned() else {
            return Err(Error::NotFound("import").into());
        };
        self.require(found.permission.permission())?;
        let file_name = file_name.trim();
        if file_name.is_empty() || file_name.chars().count() > 200 {
            return Err(
                Error::invalid("file_name", "give the file's name (1 to 200 characters)").into(),
            );
        }
        let settings = self.services.plugins().imports().clone();
        tokio::fs::create_dir_all(&settings.dir)
            .await
            .map_err(|e| Error::Internal(format!("import directory: {e}")))?;
        let id = new_id();
        let path = file_of(&settings, &id);
        let received = match receive(&path, body, settings.max_bytes).await {
            Ok(r) => r,
            Err(e) => {
                let _ = tokio::fs::remove_file(&path).await;
                return Err(e.into());
            }
        };
        let refusal = if received.records <= 1 {
            Some(Error::invalid(
                "file",
                "the file has no rows under its header",
            ))
        } else {
            header_problem(&found, &received.header).map(|m| Error::invalid("file", m))
        };
        if let Some(e) = refusal {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(e.into());
        }
        let now = now_ms();
        let mut scoped = self.write(found.permission.permission()).await?;
        crate::plugins::registry::require(&mut scoped, plugin_id).await?;
        sqlx::query(
            "INSERT INTO import_jobs (id, tenant_id, plugin_id, collection, import_kind, \
             file_name, file_bytes, header_json, state, total_rows, admin_id, admin_email, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             $13, $13)",
        )
        .bind(&id)
        .bind(self.tenant().as_str())
        .bind(plugin_id)
        .bind(collection)
        .bind(import)
        .bind(file_name)
        .bind(received.bytes as i64)
        .bind(serde_json::to_string(&received.header).unwrap_or_default())
        .bind(JobState::Queued.code())
        .bind(received.records as i64 - 1)
        .bind(&self.me.admin.id)
        .bind(&self.me.admin.email)
        .bind(now)
        .execute(scoped.conn())
        .await
        .map_err(Error::from)?;
        let started = job(&mut scoped, &id).await?;
        history::record(
            &mut scoped,
            &self.actor(),
            Change::created("import_job", &id, &started),
        )
        .await?;
        scoped.commit().await?;
        self.services.plugins().wake_imports();
        Ok(started)
    }

    /// The tenant's import jobs, newest first (at most 100).
    pub async fn import_jobs(&self) -> Result<Vec<Job>, Error> {
        let mut scoped = self.read().await?;
        let tenant = scoped.tenant().as_str().to_string();
        let rows = sqlx::query_as::<_, JobRow>(&format!(
            "SELECT {JOB_COLUMNS} FROM import_jobs WHERE tenant_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT 100"
        ))
        .bind(tenant)
        .fetch_all(scoped.conn())
        .await?;
        Ok(rows.into_iter().map(Job::from).collect())
    }

    /// One import job and its progress.
    pub async fn import_job(&self, id: &str) -> Result<Job, Error> {
        job(&mut self.read().await?, id).await
    }

    /// A page of a job's failed rows, by line.
    pub async fn import_failures(
        &self,
        id: &str,
        offset: i64,
        limit: i64,
    ) -> Result<FailurePage, Error> {
        if !(1..=10_000).contains(&limit) {
            return Err(Error::invalid("limit", "1 to 10000"));
        }
        if offset < 0 {
            return Err(Error::invalid("offset", "0 or more"));
        }
        let mut scoped = self.read().await?;
        let found = job(&mut scoped, id).await?;
        let tenant = scoped.tenant().as_str().to_string();
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT line, fields, reason FROM import_failures WHERE tenant_id = $1 AND \
             job_id = $2 ORDER BY line LIMIT $3 OFFSET $4",
        )
        .bind(&tenant)
        .bind(&found.id)
        .bind(limit)
        .bind(offset)
        .fetch_all(scoped.conn())
        .await?;
        Ok(FailurePage {
            failures: rows
                .into_iter()
                .map(|(line, fields, reason)| Failure {
                    line,
                    fields: serde_json::from_str(&fields).unwrap_or_default(),
                    reason,
                })
                .collect(),
            total: found.rows_invalid + found.rows_failed,
        })
    }

    /// A job's failed rows as CSV: `line`, the file's columns, `reason`.
    pub async fn import_failures_csv(&self, id: &str) -> Result<Vec<u8>, Error> {
        let mut scoped = self.read().await?;
        let found = job(&mut scoped, id).await?;
        let tenant = scoped.tenant().as_str().to_string();
        let header: String = sqlx::query_scalar(
            "SELECT header_json FROM import_jobs WHERE tenant_id = $1 AND id = $2",
        )
        .bind(&tenant)
        .bind(&found.id)
        .fetch_one(scoped.conn())
        .await?;
        let header: Vec<String> = serde_json::from_str(&header).unwrap_or_default();
        let mut out = csv::Writer::from_writer(Vec::new());
        let csv_error = |e: csv::Error| Error::Internal(format!("CSV: {e}"));
        out.write_record(
            std::iter::once("line".to_string())
                .chain(header.iter().cloned())
                .chain(std::iter::once("reason".to_string())),
        )
        .map_err(csv_error)?;
        let mut after = 0i64;
        loop {
            let rows: Vec<(i64, String, String)> = sqlx::query_as(
                "SELECT line, fields, reason FROM import_failures WHERE tenant_id = $1 AND \
                 job_id = $2 AND line > $3 ORDER BY line LIMIT 5000",
            )
            .bind(&tenant)
            .bind(&found.id)
            .bind(after)
            .fetch_all(scoped.conn())
            .await?;
            let Some(last) = rows.last().map(|r| r.0) else {
                break;
            };
            for (line, fields, reason) in rows {
                let mut fields: Vec<String> = serde_json::from_str(&fields).unwrap_or_default();
                fields.resize(header.len(), String::new());
                out.write_record(
                    std::iter::once(line.to_string())
                        .chain(fields)
                        .chain(std::iter::once(reason)),
                )
                .map_err(csv_error)?;
            }
            after = last;
        }
        out.into_inner()
            .map_err(|e| Error::Internal(format!("CSV: {e}")))
    }
}
