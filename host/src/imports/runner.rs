//! Runs import jobs (SPEC F3, F4): each process runs a [`Runner`], which takes the oldest
//! unfinished job of each tenant whose lease is free (one conditional UPDATE: one process wins
//! it), renews the lease while it works, and gives it up when done. A process that dies leaves
//! a lease that runs out, and the job is picked up where its last written status left it.
//!
//! A job has two phases:
//! - **validating**: the file is read from disk in chunks of `batch_rows` rows (a reader
//!   thread), each chunk checked by the plugin (`check-import-rows`, which prepares nothing;
//!   `map-import-rows` for plugins before `corral:plugin@0.5.0`) and written in one
//!   transaction: its statuses, its refused rows with their reasons, the job's counters. A
//!   chunk is written whole or not at all, so a restart reads again from the end of the last
//!   chunk written. Reading, checking and writing overlap.
//! - **applying**: each chunk with rows still waiting is read again and handed to the plugin
//!   once more for the vendor requests of its valid rows, which are sent at the configured
//!   pace, `in_flight` rows at a time, each tried again on 429, 5xx or a broken connection
//!   (after the vendor's `Retry-After`, else a doubling wait) up to `tries` times. After each
//!   group the chunk's statuses are written: a restart sends again at most the rows that were
//!   in flight (the vendors' applies are idempotent).
//!
//! The job's end: the file is removed; the administrator who uploaded it gets a notification
//! and an e-mail (outbox) with the counts and a link to the job's page of failed rows.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use corral_plugin_runtime::api::{
    FieldError, HttpError, ImportBatch, ImportRow, ImportValues, Property, RefusedRow, RowOutcome,
    RowResult, VendorRequest,
};
use corral_plugin_runtime::Installation;
use futures::StreamExt;
use tokio::sync::mpsc;

use super::{file_of, JobState, Settings};
use crate::error::Error;
use crate::mail::{self, About, Message};
use crate::plugins::{HookError, Plugins};
use crate::secrets::random_token;
use crate::store::batch::{Placeholders, ROWS_PER_STATEMENT};
use crate::store::{now_ms, Store};
use crate::tenants::TenantId;

const UNFINISHED: &str = "'queued', 'validating', 'applying'";
/// Statuses of a row, one character each in `import_chunks.statuses`.
const WAITING: char = 'v';
const REFUSED: char = 'x';
const APPLIED: char = 'a';
const FAILED: char = 'f';
/// Chunks checked by the plugin at once while validating.
const CHECKED_AT_ONCE: usize = 2;
/// How long a call waits for the tenant's plugin calls to make room.
const BUSY_WAIT: Duration = Duration::from_millis(200);
/// Longest reason kept for a row.
const MAX_REASON: usize = 1000;

/// Runs the import jobs of every tenant; one per process.
pub struct Runner {
    store: Store,
    plugins: Plugins,
    settings: Settings,
    base_url: String,
}

/// A job this process holds.
struct Held {
    id: String,
    tenant: TenantId,
    token: String,
    /// Cleared when the lease could not be renewed: stop at once, another process has it.
    live: Arc<AtomicBool>,
}

/// A chunk of rows read from the file.
struct Chunk {
    seq: i64,
    byte_start: u64,
    byte_end: u64,
    line_start: u64,
    line_end: u64,
    rows: Vec<Row>,
}

/// A chunk's outcome, to be written.
struct Checked {
    /// The chunk's place in the file (its rows moved out).
    chunk: Chunk,
    rows: i64,
    statuses: String,
    /// (line, fields, reason) of the refused rows.
    refused: Vec<(u64, Vec<String>, String)>,
    valid: i64,
}

#[derive(sqlx::FromRow)]
struct JobPlan {
    plugin_id: String,
    import_kind: String,
    header_json: String,
    state: String,
    file_name: String,
    admin_id: Option<String>,
    admin_email: String,
}

impl Runner {
    pub fn new(store: Store, plugins: Plugins, base_url: &str) -> Runner {
        let settings = plugins.imports().clone();
        Runner {
            store,
            plugins,
            settings,
            base_url: base_url.trim_end_matches('/').to_string(),
        }
    }

    /// Runs until the process ends.
    pub async fn run(self) {
        let runner = Arc::new(self);
        loop {
            loop {
                match runner.claim().await {
                    Ok(Some(held)) => {
                        let runner = runner.clone();
                        tokio::spawn(async move { runner.hold(held).await });
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "imports: cannot look for jobs");
                        break;
                    }
                }
            }
            tokio::select! {
                _ = runner.plugins.imports_woken() => {}
                _ = tokio::time::sleep(runner.settings.poll) => {}
            }
        }
    }

    /// Takes the oldest unfinished job of a tenant with no job held and no older one waiting.
    async fn claim(&self) -> Result<Option<Held>, Error> {
        let now = now_ms();
        let token = random_token();
        let row: Option<(String, String)> = sqlx::query_as(&format!(
            "UPDATE import_jobs SET lease_token = $1, lease_until = $2 WHERE id = \
             (SELECT j.id FROM import_jobs j WHERE j.state IN ({UNFINISHED}) \
              AND j.lease_until <= $3 AND NOT EXISTS (SELECT 1 FROM import_jobs o \
              WHERE o.tenant_id = j.tenant_id AND o.id <> j.id AND o.state IN ({UNFINISHED}) \
              AND (o.lease_until > $3 OR o.created_at < j.created_at \
                   OR (o.created_at = j.created_at AND o.id < j.id))) \
              ORDER BY j.created_at, j.id LIMIT 1) \
             AND lease_until <= $3 RETURNING id, tenant_id"
        ))
        .bind(&token)
        .bind(now + self.settings.lease.as_millis() as i64)
        .bind(now)
        .fetch_optional(self.store.pool())
        .await?;
        Ok(row.map(|(id, tenant)| Held {
            id,
            tenant: TenantId::from_db(tenant),
            token,
            live: Arc::new(AtomicBool::new(true)),
        }))
    }

    /// Runs a held job, renewing its lease meanwhile, and lets it go.
    async fn hold(self: Arc<Self>, held: Held) {
        let renew = {
            let (store, id, token, live) = (
                self.store.clone(),
                held.id.clone(),
                held.token.clone(),
                held.live.clone(),
            );
            let lease = self.settings.lease;
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(lease / 3).await;
                    let renewed = sqlx::query(
                        "UPDATE import_jobs SET lease_until = $1 WHERE id = $2 AND lease_token = $3",
                    )
                    .bind(now_ms() + lease.as_millis() as i64)
                    .bind(&id)
                    .bind(&token)
                    .execute(store.pool())
                    .await;
                    if !matches!(renewed, Ok(r) if r.rows_affected() == 1) {
                        live.store(false, Ordering::SeqCst);
                        return;
                    }
                }
            })
        };
        let outcome = self.work(&held).await;
        renew.abort();
        let release_in = match outcome {
            Ok(()) => 0,
            Err(e) => {
                tracing::warn!(job = %held.id, error = %e, "import job: will try again");
                // Try again after a pause rather than at once.
                now_ms() + self.settings.lease.as_millis() as i64 / 2
            }
        };
        let _ = sqlx::query(
            "UPDATE import_jobs SET lease_token = NULL, lease_until = $1 WHERE id = $2 AND \
             lease_token = $3",
        )
        .bind(release_in)
        .bind(&held.id)
        .bind(&held.token)
        .execute(self.store.pool())
        .await;
        self.plugins.wake_imports();
    }

    async fn plan(&self, held: &Held) -> Result<JobPlan, Error> {
        Ok(sqlx::query_as::<_, JobPlan>(
            "SELECT plugin_id, import_kind, header_json, state, file_name, admin_id, \
             admin_email FROM import_jobs WHERE id = $1 AND tenant_id = $2",
        )
        .bind(&held.id)
        .bind(held.tenant.as_str())
        .fetch_one(self.store.pool())
        .await?)
    }

    async fn work(&self, held: &Held) -> Result<(), Error> {
        let plan = self.plan(held).await?;
        let path = file_of(&self.settings, &held.id);
        if !path.exists() {
            return self
                .finish(
                    held,
                    &plan,
                    Some("the uploaded file is gone from this server".into()),
                )
                .await;
        }
        let header: Vec<String> = serde_json::from_str(&plan.header_json).unwrap_or_default();
        let mut state = JobState::from_code(&plan.state);
        if state == JobState::Queued {
            self.set_state(held, JobState::Validating).await?;
            state = JobState::Validating;
        }
        if state == JobState::Validating {
            self.validate(held, &plan, &header).await?;
            self.set_state(held, JobState::Applying).await?;
        }
        self.apply(held, &plan, &header).await?;
        self.finish(held, &plan, None).await
    }

    async fn set_state(&self, held: &Held, state: JobState) -> Result<(), Error> {
        let r = sqlx::query(
            "UPDATE import_jobs SET state = $1, updated_at = $2 WHERE id = $3 AND lease_token = $4",
        )
        .bind(state.code())
        .bind(now_ms())
        .bind(&held.id)
        .bind(&held.token)
        .execute(self.store.pool())
        .await?;
        lease_kept(r.rows_affected())
    }

    /// The plugin's installation for the job's tenant, waiting while the tenant's calls are
    /// at their share.
    async fn installation(&self, held: &Held, plugin_id: &str) -> Result<Installation, Error> {
        loop {
            match self.plugins.for_call(&held.tenant, plugin_id).await {
                Ok(i) => return Ok(i),
                Err(HookError::Busy(..)) => tokio::time::sleep(BUSY_WAIT).await,
                Err(HookError::Setup(e)) => return Err(e),
                Err(other) => return Err(Error::Unavailable(other.to_string())),
            }
        }
    }

    /// The plugin's results for `rows` (one per row, same order), trying again while the
    /// tenant is busy or the plugin fails for a while.
    async fn map_rows(
        &self,
        held: &Held,
        plan: &JobPlan,
        header: &[String],
        rows: Vec<(u64, Vec<String>)>,
    ) -> Result<(Vec<RowResult>, ImportBatch), Error> {
        let count = rows.len();
        let batch = ImportBatch {
            job_id: held.id.clone(),
            import_kind: plan.import_kind.clone(),
            rows: rows
                .into_iter()
                .map(|(line, fields)| ImportRow {
                    line: line as u32,
                    fields: header
                        .iter()
                        .zip(fields)
                        .map(|(name, value)| Property {
                            name: name.clone(),
                            value,
                        })
                        .collect(),
                })
                .collect(),
        };
        let mut tries = Tries::new(&self.settings);
        loop {
            let installation = self.installation(held, &plan.plugin_id).await?;
            let answer = installation.map_import_rows(&batch).await;
            let failure = match crate::plugins::hook(&installation, answer) {
                Ok(results) if results.len() == count => return Ok((results, batch)),
                Ok(results) => format!(
                    "the plugin answered {} results for {count} rows",
                    results.len(),
                ),
                Err(HookError::Busy(..)) => {
                    tokio::time::sleep(BUSY_WAIT).await;
                    continue;
                }
                Err(e) => e.to_string(),
            };
            tries.failed(held, failure).await?;
        }
    }

    /// The rows the plugin refuses among `rows` (each line once, all of them in the batch),
    /// trying again while the tenant is busy or the plugin fails for a while.
    async fn check_rows(
        &self,
        held: &Held,
        plan: &JobPlan,
        columns: &Arc<[String]>,
        rows: &Arc<[ImportValues]>,
    ) -> Result<Vec<RefusedRow>, Error> {
        let mut tries = Tries::new(&self.settings);
        loop {
            let installation = self.installation(held, &plan.plugin_id).await?;
            let answer = installation
                .check_import_rows(&plan.import_kind, &held.id, columns, rows)
                .await;
            let failure = match crate::plugins::hook(&installation, answer) {
                Ok(refused) => match refused_in(rows, refused) {
                    Ok(refused) => return Ok(refused),
                    Err(e) => e,
                },
                Err(HookError::Busy(..)) => {
                    tokio::time::sleep(BUSY_WAIT).await;
                    continue;
                }
                Err(e) => e.to_string(),
            };
            tries.failed(held, failure).await?;
        }
    }

    async fn validate(&self, held: &Held, plan: &JobPlan, header: &[String]) -> Result<(), Error> {
        let last: Option<(i64, i64, i64)> = sqlx::query_as(
            "SELECT seq, byte_end, line_end FROM import_chunks WHERE job_id = $1 \
             ORDER BY seq DESC LIMIT 1",
        )
        .bind(&held.id)
        .fetch_optional(self.store.pool())
        .await?;
        let path = file_of(&self.settings, &held.id);
        let batch_rows = self.settings.batch_rows;
        let columns = header.len();
        let header: Arc<[String]> = header.into();
        let (to_check, mut read) = mpsc::channel::<Result<Chunk, String>>(2);
        let live = held.live.clone();
        let reader = std::thread::spawn(move || {
            read_chunks(&path, last, columns, batch_rows, &to_check, &live)
        });
        let (to_write, mut written) = mpsc::channel::<Checked>(2);
        let writer = {
            let (store, job, token, tenant) = (
                self.store.clone(),
                held.id.clone(),
                held.token.clone(),
                held.tenant.clone(),
            );
            tokio::spawn(async move {
                while let Some(checked) = written.recv().await {
                    write_checked(&store, &tenant, &job, &token, checked).await?;
                }
                Ok::<(), Error>(())
            })
        };
        // Two chunks checked at once (the plugin's calls of a tenant may use two threads),
        // written in order.
        let mut outcome = Ok(());
        let began = Instant::now();
        let mut checking = futures::stream::FuturesOrdered::new();
        let mut reading = true;
        loop {
            if reading && checking.len() < CHECKED_AT_ONCE {
                match read.recv().await {
                    Some(Ok(chunk)) => {
                        checking.push_back(self.check(held, plan, &header, chunk));
                        continue;
                    }
                    Some(Err(e)) => {
                        outcome = Err(Error::Internal(format!("reading the file: {e}")));
                        break;
                    }
                    None => reading = false,
                }
            }
            let Some(checked) = checking.next().await else {
                break;
            };
            if !held.live.load(Ordering::SeqCst) {
                outcome = Err(Error::Conflict {
                    code: "lease_lost",
                    message: "another process holds the job".into(),
                });
                break;
            }
            match checked {
                Ok(checked) => {
                    if to_write.send(checked).await.is_err() {
                        break;
                    }
                }
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        drop(checking);
        drop(read);
        drop(to_write);
        let _ = reader.join();
        let written = writer
            .await
            .map_err(|e| Error::Internal(format!("import writer: {e}")))?;
        tracing::info!(
            job = %held.id,
            secs = began.elapsed().as_secs_f64(),
            "import: rows checked"
        );
        outcome.and(written)
    }

    /// The statuses and refusals of a chunk's rows, from the host's reading and the plugin.
    async fn check(
        &self,
        held: &Held,
        plan: &JobPlan,
        header: &Arc<[String]>,
        mut chunk: Chunk,
    ) -> Result<Checked, Error> {
        let rows = std::mem::take(&mut chunk.rows);
        let count = rows.len();
        // The host's refusals, and the rows the plugin checks (moved, not copied).
        let mut mine: Vec<(u64, Refused)> = Vec::new();
        let mut readable: Vec<ImportValues> = Vec::with_capacity(count);
        for (line, row) in rows {
            match row {
                Ok(values) => readable.push(ImportValues {
                    line: line as u32,
                    values,
                }),
                Err(refused) => mine.push((line, refused)),
            }
        }
        let readable: Arc<[ImportValues]> = readable.into();
        let theirs = if readable.is_empty() {
            Vec::new()
        } else {
            self.check_rows(held, plan, header, &readable).await?
        };
        let mut statuses: Vec<(u64, char)> = Vec::with_capacity(count);
        let mut refused = Vec::new();
        let mut theirs = theirs.into_iter().peekable();
        for row in readable.iter() {
            let line = u64::from(row.line);
            match theirs.next_if(|r| r.line == row.line) {
                None => statuses.push((line, WAITING)),
                Some(r) => {
                    statuses.push((line, REFUSED));
                    refused.push((line, row.values.clone(), reason_of(&r.problems)));
                }
            }
        }
        let valid = (statuses.len() - refused.len()) as i64;
        for (line, Refused { fields, reason }) in mine {
            statuses.push((line, REFUSED));
            refused.push((line, fields, reason));
        }
        // In the file's order (lines grow through a chunk).
        statuses.sort_unstable_by_key(|(line, _)| *line);
        refused.sort_unstable_by_key(|(line, _, _)| *line);
        Ok(Checked {
            chunk,
            rows: count as i64,
            statuses: statuses.into_iter().map(|(_, c)| c).collect(),
            refused,
            valid,
        })
    }

    async fn apply(&self, held: &Held, plan: &JobPlan, header: &[String]) -> Result<(), Error> {
        let chunks: Vec<(i64, i64, i64, String)> = sqlx::query_as(
            "SELECT seq, byte_start, line_start, statuses FROM import_chunks \
             WHERE job_id = $1 AND statuses LIKE '%v%' ORDER BY seq",
        )
        .bind(&held.id)
        .fetch_all(self.store.pool())
        .await?;
        let path = file_of(&self.settings, &held.id);
        let mut pacer = Pacer::new(self.settings.rows_per_second);
        for (seq, byte_start, line_start, statuses) in chunks {
            let rows = {
                let path = path.clone();
                let count = statuses.chars().count();
                let columns = header.len();
                tokio::task::spawn_blocking(move || {
                    read_rows(&path, byte_start as u64, line_start as u64, count, columns)
                })
                .await
                .map_err(|e| Error::Internal(format!("reading the file: {e}")))?
                .map_err(|e| Error::Internal(format!("reading the file: {e}")))?
            };
            let mut statuses: Vec<char> = statuses.chars().collect();
            let waiting: Vec<(usize, u64, Vec<String>)> = rows
                .into_iter()
                .enumerate()
                .filter(|(i, _)| statuses.get(*i) == Some(&WAITING))
                .filter_map(|(i, (line, r))| r.ok().map(|f| (i, line, f)))
                .collect();
            let asked: Vec<(u64, Vec<String>)> =
                waiting.iter().map(|(_, l, f)| (*l, f.clone())).collect();
            let (results, _) = self.map_rows(held, plan, header, asked).await?;
            let installation = self.installation(held, &plan.plugin_id).await?;
            let jobs: Vec<(usize, u64, Vec<String>, RowResult)> = waiting
                .into_iter()
                .zip(results)
                .map(|((i, line, fields), r)| (i, line, fields, r))
                .collect();
            for group in jobs.chunks(self.settings.in_flight.max(1)) {
                if !held.live.load(Ordering::SeqCst) {
                    return Err(Error::Conflict {
                        code: "lease_lost",
                        message: "another process holds the job".into(),
                    });
                }
                let mut sends = Vec::with_capacity(group.len());
                for (_, _, _, result) in group {
                    pacer.wait().await;
                    let requests = match &result.outcome {
                        RowOutcome::Accepted(action) => Ok(action.requests.clone()),
                        _ => Err(refusal(result).unwrap_or_default()),
                    };
                    let installation = installation.clone();
                    let settings = self.settings.clone();
                    sends.push(tokio::spawn(async move {
                        match requests {
                            Ok(requests) => send_all(&installation, &settings, &requests).await,
                            Err(reason) => Err(reason),
                        }
                    }));
                }
                let mut applied = 0i64;
                let mut failed = Vec::new();
                for ((i, line, fields, _), send) in group.iter().zip(sends) {
                    let outcome = send
                        .await
                        .unwrap_or_else(|e| Err(format!("the request's task ended: {e}")));
                    match outcome {
                        Ok(()) => {
                            statuses[*i] = APPLIED;
                            applied += 1;
                        }
                        Err(reason) => {
                            statuses[*i] = FAILED;
                            failed.push((*line, fields.clone(), reason));
                        }
                    }
                }
                write_applied(
                    &self.store,
                    &held.tenant,
                    &held.id,
                    &held.token,
                    seq,
                    &statuses.iter().collect::<String>(),
                    applied,
                    &failed,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Ends the job: its final state, its file removed, the summary to whoever uploaded it.
    async fn finish(
        &self,
        held: &Held,
        plan: &JobPlan,
        error: Option<String>,
    ) -> Result<(), Error> {
        let now = now_ms();
        let state = if error.is_some() {
            JobState::Failed
        } else {
            JobState::Done
        };
        let mut scoped = self.store.scoped(&held.tenant).await?;
        let r = sqlx::query(
            "UPDATE import_jobs SET state = $1, error = $2, finished_at = $3, updated_at = $3 \
             WHERE id = $4 AND lease_token = $5",
        )
        .bind(state.code())
        .bind(&error)
        .bind(now)
        .bind(&held.id)
        .bind(&held.token)
        .execute(scoped.conn())
        .await?;
        lease_kept(r.rows_affected())?;
        let counts: (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT total_rows, rows_applied, rows_invalid, rows_failed FROM import_jobs \
             WHERE id = $1",
        )
        .bind(&held.id)
        .fetch_one(scoped.conn())
        .await?;
        let (total, applied, invalid, failed) = counts;
        let link = format!("{}/console/imports/{}", self.base_url, held.id);
        let summary = match &error {
            Some(e) => format!("The import of {} stopped: {e}.", plan.file_name),
            None => format!(
                "The import of {} is done: {applied} of {total} rows applied, {invalid} refused, \
                 {failed} failed at the vendor.",
                plan.file_name
            ),
        };
        if let Some(admin) = &plan.admin_id {
            crate::notifications::notify(&mut scoped, admin, &summary, &link, now).await?;
        }
        let failures = if invalid + failed > 0 {
            format!(
                "\n\nThe rows that did not go through, with why: {link}\n(as CSV: {}/api/v1/imports/{}/failures.csv)",
                self.base_url, held.id
            )
        } else {
            String::new()
        };
        mail::enqueue(
            &mut scoped,
            About {
                kind: "import_summary",
                object_type: "import_job",
                object_id: &held.id,
            },
            Message {
                to: plan.admin_email.clone(),
                subject: format!("Import of {}: {}", plan.file_name, state.code()),
                text: format!("{summary}{failures}\n"),
                html: format!(
                    "<p>{}</p><p><a href=\"{}\">{}</a></p>",
                    mail::escape(&summary),
                    mail::escape(&link),
                    mail::escape(&link)
                ),
            },
        )
        .await?;
        scoped.commit().await?;
        let _ = tokio::fs::remove_file(file_of(&self.settings, &held.id)).await;
        Ok(())
    }
}

fn lease_kept(rows: u64) -> Result<(), Error> {
    if rows == 1 {
        Ok(())
    } else {
        Err(Error::Conflict {
            code: "lease_lost",
            message: "another process holds the job".into(),
        })
    }
}

/// The tries of a plugin call checking or mapping rows: a busy tenant is waited for without
/// counting; a failure counts, and waits twice as long as the one before it.
struct Tries {
    wait: Duration,
    left: u32,
}

impl Tries {
    fn new(settings: &Settings) -> Tries {
        Tries {
            wait: settings.retry_base,
            left: settings.tries,
        }
    }

    /// After a failed try: waits before the next one, or ends with `failure` when it was the
    /// last.
    async fn failed(&mut self, held: &Held, failure: String) -> Result<(), Error> {
        self.left = self.left.saturating_sub(1);
        if self.left == 0 {
            return Err(Error::Unavailable(format!("checking rows: {failure}")));
        }
        tracing::warn!(job = %held.id, %failure, "import: the plugin could not check rows");
        tokio::time::sleep(self.wait).await;
        self.wait *= 2;
        Ok(())
    }
}

/// Why the plugin did not accept a row, if it did not.
fn refusal(result: &RowResult) -> Option<String> {
    match &result.outcome {
        RowOutcome::Accepted(_) => None,
        RowOutcome::Skipped(r) => Some(
            format!("skipped: {}", r.message)
                .chars()
                .take(MAX_REASON)
                .collect(),
        ),
        RowOutcome::Rejected(problems) => Some(reason_of(problems)),
    }
}

/// A refused row's reason: its problems, each with its column.
fn reason_of(problems: &[FieldError]) -> String {
    if problems.is_empty() {
        return "refused".to_string();
    }
    let reason = problems
        .iter()
        .map(|p| match p.path.as_str() {
            "" => p.message.clone(),
            column => format!("{column}: {}", p.message),
        })
        .collect::<Vec<_>>()
        .join("; ");
    reason.chars().take(MAX_REASON).collect()
}

/// The plugin's refused rows of a batch in the batch's order, each line once (its problems
/// together); an answer naming a line the batch does not have is the plugin's failure.
fn refused_in(rows: &[ImportValues], refused: Vec<RefusedRow>) -> Result<Vec<RefusedRow>, String> {
    let mut by_line: std::collections::BTreeMap<u32, Vec<FieldError>> = Default::default();
    for row in refused {
        if rows.binary_search_by_key(&row.line, |r| r.line).is_err() {
            return Err(format!(
                "the plugin refused line {}, which the batch does not have",
                row.line
            ));
        }
        by_line.entry(row.line).or_default().extend(row.problems);
    }
    Ok(by_line
        .into_iter()
        .map(|(line, problems)| RefusedRow { line, problems })
        .collect())
}

/// A row's fields from a record (as many as the header has columns), or why the host refuses
/// it with what could be read of them.
fn fields_of(record: &csv::ByteRecord, columns: usize) -> Result<Vec<String>, Refused> {
    let mut fields: Vec<String> = record
        .iter()
        .map(|f| String::from_utf8_lossy(f).trim().to_string())
        .collect();
    let reason = if record.len() > columns {
        Some(format!(
            "the row has {} fields where the header has {columns}",
            record.len()
        ))
    } else if record.iter().any(|f| std::str::from_utf8(f).is_err()) {
        Some("the row is not UTF-8 text".to_string())
    } else {
        None
    };
    fields.resize(columns, String::new());
    match reason {
        None => Ok(fields),
        Some(reason) => Err(Refused { fields, reason }),
    }
}

/// A row's line number with its fields in the file's column order, or the host's reason to
/// refuse it.
type Row = (u64, Result<Vec<String>, Refused>);

/// A row the host refuses before the plugin sees it.
#[derive(Debug)]
struct Refused {
    fields: Vec<String>,
    reason: String,
}

fn csv_reader(file: std::fs::File) -> csv::Reader<std::fs::File> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(file)
}

/// Reads the file's rows in chunks after the last chunk written (`last`: its seq, end byte and
/// end line), sending each down `out`.
fn read_chunks(
    path: &std::path::Path,
    last: Option<(i64, i64, i64)>,
    columns: usize,
    batch_rows: usize,
    out: &mpsc::Sender<Result<Chunk, String>>,
    live: &AtomicBool,
) {
    let run = || -> Result<(), String> {
        let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
        let mut reader = csv_reader(file);
        let mut record = csv::ByteRecord::new();
        let mut seq = match last {
            Some((seq, byte_end, line_end)) => {
                let mut at = csv::Position::new();
                at.set_byte(byte_end as u64).set_line(line_end as u64);
                reader.seek(at).map_err(|e| e.to_string())?;
                seq + 1
            }
            None => {
                // The header.
                reader
                    .read_byte_record(&mut record)
                    .map_err(|e| e.to_string())?;
                0
            }
        };
        loop {
            if !live.load(Ordering::SeqCst) {
                return Ok(());
            }
            let start = reader.position().clone();
            let mut rows = Vec::with_capacity(batch_rows);
            while rows.len() < batch_rows {
                match reader.read_byte_record(&mut record) {
                    Ok(true) => {
                        let line = record.position().map_or(0, |p| p.line());
                        rows.push((line, fields_of(&record, columns)));
                    }
                    Ok(false) => break,
                    Err(e) => {
                        // A broken record (e.g. an unclosed quote): refused, reading goes on.
                        let line = e.position().map_or(0, |p| p.line());
                        rows.push((
                            line,
                            Err(Refused {
                                fields: vec![String::new(); columns],
                                reason: format!("the row cannot be read: {e}"),
                            }),
                        ));
                    }
                }
            }
            if rows.is_empty() {
                return Ok(());
            }
            let end = reader.position().clone();
            let chunk = Chunk {
                seq,
                byte_start: start.byte(),
                byte_end: end.byte(),
                line_start: start.line(),
                line_end: end.line(),
                rows,
            };
            if out.blocking_send(Ok(chunk)).is_err() {
                return Ok(());
            }
            seq += 1;
        }
    };
    if let Err(e) = run() {
        let _ = out.blocking_send(Err(e));
    }
}

/// `count` rows from `byte_start` (line `line_start`).
fn read_rows(
    path: &std::path::Path,
    byte_start: u64,
    line_start: u64,
    count: usize,
    columns: usize,
) -> Result<Vec<Row>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut reader = csv_reader(file);
    let mut at = csv::Position::new();
    at.set_byte(byte_start).set_line(line_start);
    reader.seek(at).map_err(|e| e.to_string())?;
    let mut record = csv::ByteRecord::new();
    let mut rows = Vec::with_capacity(count);
    while rows.len() < count {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line());
                rows.push((line, fields_of(&record, columns)));
            }
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                rows.push((
                    line,
                    Err(Refused {
                        fields: vec![String::new(); columns],
                        reason: format!("the row cannot be read: {e}"),
                    }),
                ));
            }
        }
    }
    Ok(rows)
}

/// Writes a checked chunk: its statuses, its refused rows, the job's counters, in one
/// transaction (only while the lease is held).
async fn write_checked(
    store: &Store,
    tenant: &TenantId,
    job: &str,
    token: &str,
    checked: Checked,
) -> Result<(), Error> {
    let mut scoped = store.scoped(tenant).await?;
    let c = &checked.chunk;
    let rows = checked.rows;
    let r = sqlx::query(
        "UPDATE import_jobs SET rows_read = rows_read + $1, rows_valid = rows_valid + $2, \
         rows_invalid = rows_invalid + $3, updated_at = $4 WHERE id = $5 AND lease_token = $6",
    )
    .bind(rows)
    .bind(checked.valid)
    .bind(rows - checked.valid)
    .bind(now_ms())
    .bind(job)
    .bind(token)
    .execute(scoped.conn())
    .await?;
    lease_kept(r.rows_affected())?;
    sqlx::query(
        "INSERT INTO import_chunks (job_id, tenant_id, seq, byte_start, byte_end, line_start, \
         line_end, statuses) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(job)
    .bind(tenant.as_str())
    .bind(c.seq)
    .bind(c.byte_start as i64)
    .bind(c.byte_end as i64)
    .bind(c.line_start as i64)
    .bind(c.line_end as i64)
    .bind(&checked.statuses)
    .execute(scoped.conn())
    .await?;
    insert_failures(&mut scoped, tenant, job, &checked.refused).await?;
    scoped.commit().await
}

async fn insert_failures(
    scoped: &mut crate::store::Scoped,
    tenant: &TenantId,
    job: &str,
    failures: &[(u64, Vec<String>, String)],
) -> Result<(), Error> {
    for part in failures.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO import_failures (job_id, tenant_id, line, fields, reason) VALUES {} \
             ON CONFLICT (job_id, line) DO NOTHING",
            Placeholders::new(scoped).rows(part.len(), 5)
        );
        let mut query = sqlx::query(&sql);
        for (line, fields, reason) in part {
            query = query
                .bind(job.to_string())
                .bind(tenant.as_str().to_string())
                .bind(*line as i64)
                .bind(serde_json::to_string(fields).unwrap_or_default())
                .bind(reason.clone());
        }
        query.execute(scoped.conn()).await?;
    }
    Ok(())
}

/// Writes a chunk's statuses after a group of rows was sent, with the job's counters and the
/// rows that failed.
#[allow(clippy::too_many_arguments)]
async fn write_applied(
    store: &Store,
    tenant: &TenantId,
    job: &str,
    token: &str,
    seq: i64,
    statuses: &str,
    applied: i64,
    failed: &[(u64, Vec<String>, String)],
) -> Result<(), Error> {
    let mut scoped = store.scoped(tenant).await?;
    let r = sqlx::query(
        "UPDATE import_jobs SET rows_applied = rows_applied + $1, rows_failed = rows_failed + $2, \
         updated_at = $3 WHERE id = $4 AND lease_token = $5",
    )
    .bind(applied)
    .bind(failed.len() as i64)
    .bind(now_ms())
    .bind(job)
    .bind(token)
    .execute(scoped.conn())
    .await?;
    lease_kept(r.rows_affected())?;
    sqlx::query("UPDATE import_chunks SET statuses = $1 WHERE job_id = $2 AND seq = $3")
        .bind(statuses)
        .bind(job)
        .bind(seq)
        .execute(scoped.conn())
        .await?;
    insert_failures(&mut scoped, tenant, job, failed).await?;
    scoped.commit().await
}

/// Paces rows to a rate (none when 0).
struct Pacer {
    every: Option<Duration>,
    next: Instant,
}

impl Pacer {
    fn new(rows_per_second: u32) -> Pacer {
        Pacer {
            every: (rows_per_second > 0).then(|| Duration::from_secs(1) / rows_per_second),
            next: Instant::now(),
        }
    }

    async fn wait(&mut self) {
        let Some(every) = self.every else {
            return;
        };
        let now = Instant::now();
        if self.next > now {
            tokio::time::sleep(self.next - now).await;
        }
        self.next = self.next.max(now) + every;
    }
}

/// Sends a row's requests in order; the first that fails for good fails the row, with the
/// vendor's message.
async fn send_all(
    installation: &Installation,
    settings: &Settings,
    requests: &[VendorRequest],
) -> Result<(), String> {
    for request in requests {
        send_one(installation, settings, request).await?;
    }
    Ok(())
}

async fn send_one(
    installation: &Installation,
    settings: &Settings,
    request: &VendorRequest,
) -> Result<(), String> {
    let mut wait = settings.retry_base;
    let mut tries = 0;
    loop {
        tries += 1;
        let last = tries >= settings.tries;
        let retry_after = match installation.send_vendor_request(request).await {
            Ok(r) if (200..300).contains(&r.status) => return Ok(()),
            Ok(r) if r.status == 429 || r.status >= 500 => {
                if last {
                    return Err(vendor_message(r.status, &r.body));
                }
                r.headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("retry-after"))
                    .and_then(|h| h.value.trim().parse::<u64>().ok())
                    .map(|s| Duration::from_secs(s.min(300)))
            }
            Ok(r) => return Err(vendor_message(r.status, &r.body)),
            Err(HttpError::Denied(m)) => return Err(format!("not sent: {m}")),
            Err(HttpError::InvalidUrl(m)) => return Err(format!("not sent: {m}")),
            Err(e) => {
                if last {
                    return Err(format!("the vendor could not be reached: {e:?}"));
                }
                None
            }
        };
        tokio::time::sleep(retry_after.unwrap_or(wait)).await;
        wait *= 2;
    }
}

/// The vendor's message in an error answer (`error.message`, as Google's and most JSON APIs
/// put it), else the start of the answer.
fn vendor_message(status: u16, body: &[u8]) -> String {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v["error"]["message"]
                .as_str()
                .or(v["message"].as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned());
    format!("the vendor answered {status}: {message}")
        .chars()
        .take(MAX_REASON)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plugins_refusals_are_merged_by_line_and_kept_to_the_batch() {
        let rows: Vec<ImportValues> = [2, 3, 5]
            .map(|line| ImportValues {
                line,
                values: vec![],
            })
            .into();
        let problem = |path: &str| FieldError {
            path: path.into(),
            code: "invalid".into(),
            message: format!("bad {path}"),
        };
        let refused = |line, path| RefusedRow {
            line,
            problems: vec![problem(path)],
        };
        let merged = refused_in(
            &rows,
            vec![refused(5, "a"), refused(2, "b"), refused(5, "c")],
        )
        .unwrap();
        assert_eq!(
            merged
                .iter()
                .map(|r| (r.line, reason_of(&r.problems)))
                .collect::<Vec<_>>(),
            [
                (2, "b: bad b".to_string()),
                (5, "a: bad a; c: bad c".to_string())
            ]
        );
        let stray = refused_in(&rows, vec![refused(4, "a")]).unwrap_err();
        assert!(stray.contains("line 4"), "{stray}");
        assert_eq!(reason_of(&[]), "refused");
    }

    #[test]
    fn vendor_messages_are_read() {
        let google =
            br#"{"error": {"code": 404, "message": "Device not found.", "status": "NOT_FOUND"}}"#;
        assert_eq!(
            vendor_message(404, google),
            "the vendor answered 404: Device not found."
        );
        assert_eq!(
            vendor_message(502, b"<html>bad gateway"),
            "the vendor answered 502: <html>bad gateway"
        );
    }

    #[test]
    fn rows_are_read_in_chunks_with_their_lines_and_resumed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        std::fs::write(&path, "a,b\n1,2\n\"multi\nline\",3\n4,5,6\n7\n8,9").unwrap();
        let (tx, mut rx) = mpsc::channel(10);
        let live = AtomicBool::new(true);
        read_chunks(&path, None, 2, 2, &tx, &live);
        drop(tx);
        let mut chunks = Vec::new();
        while let Some(c) = rx.blocking_recv() {
            chunks.push(c.unwrap());
        }
        let lines: Vec<Vec<u64>> = chunks
            .iter()
            .map(|c| c.rows.iter().map(|r| r.0).collect())
            .collect();
        assert_eq!(lines, [vec![2, 3], vec![5, 6], vec![7]]);
        assert_eq!(chunks[0].rows[1].1.as_ref().unwrap(), &["multi\nline", "3"]);
        assert!(chunks[1].rows[0].1.is_err(), "three fields for two columns");
        assert_eq!(chunks[1].rows[1].1.as_ref().unwrap(), &["7", ""]);
        // Resumed after the first chunk: the same rows again.
        let (tx, mut rx) = mpsc::channel(10);
        let first = &chunks[0];
        read_chunks(
            &path,
            Some((0, first.byte_end as i64, first.line_end as i64)),
            2,
            2,
            &tx,
            &live,
        );
        drop(tx);
        let again = rx.blocking_recv().unwrap().unwrap();
        assert_eq!((again.seq, again.rows[0].0), (1, 5));
        // Read again by position, as the apply phase does.
        let rows = read_rows(&path, chunks[1].byte_start, chunks[1].line_start, 2, 2).unwrap();
        assert_eq!(rows[1].1.as_ref().unwrap(), &["7", ""]);
    }
}
