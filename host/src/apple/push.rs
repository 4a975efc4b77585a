//! Waking Apple devices through APNs (issue 25): a device learns that commands wait for it
//! from an MDM push (`{"mdm": PushMagic}` to its push token, on the tenant's push certificate's
//! topic), then polls the command channel.
//!
//! Why this way: a push owed to an enrolment is a row of `apple_pushes`, written in the
//! transaction that makes it due (a command enqueued, the sweep), so it can only be seen, and
//! sent, once that transaction has committed: the device that wakes finds its command. The
//! [`Pusher`] of each process takes due rows (a conditional claim: one process sends each
//! push), sends them over HTTP/2 with an expiration (APNs keeps the push for a device that is
//! offline until then) and deletes them; a 429 or 5xx answer, or no answer, is tried again
//! later, doubling the delay each time up to [`PushSettings::max_attempts`]. Other refusals
//! (a bad token, an unregistered device, a certificate APNs does not take) are final and kept
//! on the enrolment as its last push error. The sweep ([`sweep`], a scheduled job) pushes again
//! devices with commands waiting that have not been in contact for a while: a device can miss
//! a push, and APNs keeps only the last one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::error::Error;
use crate::secrets::SecretBox;
use crate::store::{new_id, now_ms, Scoped, Store};
use crate::tenants::TenantId;

use super::push_certificate;

/// Apple's production APNs.
pub const APNS_URL: &str = "https://api.push.apple.com";

/// How pushes go out.
#[derive(Debug, Clone)]
pub struct PushSettings {
    /// APNs' base URL (`https://api.push.apple.com`; a stand-in in tests).
    pub url: String,
    /// Certificate authorities trusted for `url` besides the system's.
    pub extra_roots: Vec<reqwest::Certificate>,
    /// How long APNs keeps a push for a device that is offline, in seconds.
    pub expiration_secs: i64,
    /// The first retry's delay, in milliseconds (doubling each time, at most an hour).
    pub retry_ms: i64,
    /// Attempts before a push is given up (the sweep offers it again later).
    pub max_attempts: i64,
    /// A device with commands waiting and no contact for this long is pushed again, seconds.
    pub sweep_after_secs: i64,
    /// How often each process looks for due pushes another process (or a retry) made due.
    pub poll: Duration,
}

impl PushSettings {
    pub fn defaults(url: &str) -> PushSettings {
        PushSettings {
            url: url.trim_end_matches('/').to_string(),
            extra_roots: Vec::new(),
            expiration_secs: 7 * 86_400,
            retry_ms: 5_000,
            max_attempts: 10,
            sweep_after_secs: 4 * 3600,
            poll: Duration::from_secs(1),
        }
    }
}

/// Pushes one run sends at most.
const BATCH: i64 = 200;
/// A claim older than this lapsed (its process died mid-push): the push is due again.
const CLAIM_MS: i64 = 60_000;
/// At most this long between a retry and the next.
const MAX_RETRY_MS: i64 = 3_600_000;

/// Owes the enrolment a push, in the caller's transaction: due at once (a retry waiting is
/// brought forward; a push being sent is sent again, since it may have left before this
/// transaction's command was visible).
pub async fn owe(scoped: &mut Scoped, enrolment_id: &str, now: i64) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO apple_pushes (enrolment_id, tenant_id, due_at, attempts, created_at) \
         VALUES ($1, $2, $3, 0, $3) ON CONFLICT (enrolment_id) DO UPDATE SET \
         due_at = excluded.due_at, attempts = 0, claim = NULL, claimed_at = NULL",
    )
    .bind(enrolment_id)
    .bind(scoped.tenant().as_str().to_string())
    .bind(now)
    .execute(scoped.conn())
    .await?;
    Ok(())
}

/// Owes a push to every active enrolment with a command waiting that has had no contact and
/// no push (delivered or given up) for `sweep_after_secs`, in tenants with a push certificate
/// (a scheduled job). Returns how many.
pub async fn sweep(store: &Store, settings: &PushSettings) -> Result<u64, Error> {
    let now = now_ms();
    let before = now - settings.sweep_after_secs * 1000;
    let done = sqlx::query(
        "INSERT INTO apple_pushes (enrolment_id, tenant_id, due_at, attempts, created_at) \
         SELECT e.id, e.tenant_id, $1, 0, $1 FROM apple_enrolments e \
         WHERE e.status = 'active' AND e.push_token IS NOT NULL \
         AND (e.checked_in_at IS NULL OR e.checked_in_at < $2) \
         AND (e.pushed_at IS NULL OR e.pushed_at < $2) \
         AND EXISTS (SELECT 1 FROM apple_push_certificates pc WHERE pc.tenant_id = e.tenant_id) \
         AND EXISTS (SELECT 1 FROM apple_commands c WHERE c.tenant_id = e.tenant_id \
             AND c.enrolment_id = e.id AND c.status IN ('pending', 'not_now')) \
         AND NOT EXISTS (SELECT 1 FROM apple_pushes p WHERE p.enrolment_id = e.id)",
    )
    .bind(now)
    .bind(before)
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected())
}

/// What APNs made of one push.
enum Outcome {
    Delivered,
    /// Worth trying again (429, 5xx, no answer).
    Retry(String),
    /// Final (a bad token, an unregistered device, a refused certificate, no certificate).
    Refused(String),
}

/// Sends the pushes owed, in every process; [`Pusher::wake`] after a commit that owes some
/// makes them go at once, the poll finds the others'.
#[derive(Clone)]
pub struct Pusher {
    inner: Arc<Inner>,
}

struct Inner {
    settings: PushSettings,
    wake: Notify,
    /// One HTTP/2 client per tenant certificate (by tenant and certificate serial).
    clients: Mutex<HashMap<(String, String), reqwest::Client>>,
}

impl Pusher {
    pub fn new(settings: PushSettings) -> Pusher {
        Pusher {
            inner: Arc::new(Inner {
                settings,
                wake: Notify::new(),
                clients: Mutex::default(),
            }),
        }
    }

    pub fn settings(&self) -> &PushSettings {
        &self.inner.settings
    }

    /// Pushes are owed (committed): send them now rather than at the next poll.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Sends due pushes until the process ends.
    pub async fn run(self, store: Store, secrets: SecretBox) {
        loop {
            match self.run_once(&store, &secrets).await {
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "sending pushes"),
            }
            let _ =
                tokio::time::timeout(self.inner.settings.poll, self.inner.wake.notified()).await;
        }
    }

    /// Sends the pushes due now (at most [`BATCH`]), at once; returns how many were taken.
    pub async fn run_once(&self, store: &Store, secrets: &SecretBox) -> Result<usize, Error> {
        let now = now_ms();
        let due: Vec<(String, TenantId, i64)> = sqlx::query_as(
            "SELECT enrolment_id, tenant_id, attempts FROM apple_pushes \
             WHERE due_at <= $1 AND (claim IS NULL OR claimed_at < $2) \
             ORDER BY due_at LIMIT $3",
        )
        .bind(now)
        .bind(now - CLAIM_MS)
        .bind(BATCH)
        .fetch_all(store.pool())
        .await?;
        let taken = due.len();
        let mut sends = tokio::task::JoinSet::new();
        for (enrolment_id, tenant, attempts) in due {
            let claim = new_id();
            let claimed = sqlx::query(
                "UPDATE apple_pushes SET claim = $1, claimed_at = $2 \
                 WHERE enrolment_id = $3 AND due_at <= $2 AND (claim IS NULL OR claimed_at < $4)",
            )
            .bind(&claim)
            .bind(now)
            .bind(&enrolment_id)
            .bind(now - CLAIM_MS)
            .execute(store.pool())
            .await?;
            if claimed.rows_affected() != 1 {
                continue;
            }
            let (pusher, store, secrets) = (self.clone(), store.clone(), secrets.clone());
            sends.spawn(async move {
                let outcome = pusher.send(&store, &secrets, &tenant, &enrolment_id).await;
                let outcome = outcome.unwrap_or_else(|e| Outcome::Retry(e.to_string()));
                if let Err(e) = pusher
                    .settle(
                        &store,
                        &tenant,
                        &enrolment_id,
                        &claim,
                        attempts + 1,
                        outcome,
                    )
                    .await
                {
                    tracing::warn!(error = %e, enrolment = %enrolment_id, "recording a push");
                }
            });
        }
        while sends.join_next().await.is_some() {}
        Ok(taken)
    }

    /// Sends the push of one enrolment.
    async fn send(
        &self,
        store: &Store,
        secrets: &SecretBox,
        tenant: &TenantId,
        enrolment_id: &str,
    ) -> Result<Outcome, Error> {
        let mut read = store.scoped_read(tenant).await?;
        let target: Option<(String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT status, push_token, push_magic FROM apple_enrolments \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(enrolment_id)
        .fetch_optional(read.conn())
        .await?;
        let Some((status, Some(token), Some(magic))) = target else {
            return Ok(Outcome::Refused("the device sent no push token".into()));
        };
        if status != "active" {
            return Ok(Outcome::Refused(format!("the enrolment is {status}")));
        }
        let Some(certificate) = push_certificate::current(&mut read, secrets).await? else {
            return Ok(Outcome::Refused(
                "the tenant has no APNs push certificate: upload one".into(),
            ));
        };
        drop(read);
        let client = self.client(tenant, &certificate)?;
        let expiration = now_ms() / 1000 + self.inner.settings.expiration_secs;
        let url = format!("{}/3/device/{token}", self.inner.settings.url);
        let answer = client
            .post(&url)
            .header("apns-topic", &certificate.topic)
            .header("apns-push-type", "mdm")
            .header("apns-priority", "10")
            .header("apns-expiration", expiration.to_string())
            .json(&serde_json::json!({ "mdm": magic }))
            .send()
            .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => return Ok(Outcome::Retry(format!("APNs did not answer: {e}"))),
        };
        let status = answer.status();
        if status.is_success() {
            return Ok(Outcome::Delivered);
        }
        let reason = answer
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_string))
            .unwrap_or_default();
        let said = format!("APNs answered {} {reason}", status.as_u16());
        Ok(if status.as_u16() == 429 || status.is_server_error() {
            Outcome::Retry(said)
        } else {
            Outcome::Refused(said)
        })
    }

    /// The HTTP/2 client presenting the tenant's certificate.
    fn client(
        &self,
        tenant: &TenantId,
        certificate: &push_certificate::Identity,
    ) -> Result<reqwest::Client, Error> {
        let key = (tenant.as_str().to_string(), certificate.serial.clone());
        let mut clients = self.inner.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let identity =
            reqwest::Identity::from_pkcs8_pem(certificate.pem.as_bytes(), &certificate.key_pem)
                .map_err(|e| Error::Internal(format!("the push certificate: {e}")))?;
        let mut builder = reqwest::Client::builder()
            .use_native_tls()
            .identity(identity)
            .http2_prior_knowledge()
            .timeout(Duration::from_secs(30));
        for root in &self.inner.settings.extra_roots {
            builder = builder.add_root_certificate(root.clone());
        }
        let client = builder
            .build()
            .map_err(|e| Error::Internal(format!("an APNs client: {e}")))?;
        // A replaced certificate's client is dropped.
        clients.retain(|(t, _), _| t != tenant.as_str());
        clients.insert(key, client.clone());
        Ok(client)
    }

    /// Records what became of a push: delivered or refused, the row goes; a retry makes it
    /// due later. Only the claim's holder settles it: a push owed again meanwhile stays due.
    async fn settle(
        &self,
        store: &Store,
        tenant: &TenantId,
        enrolment_id: &str,
        claim: &str,
        attempts: i64,
        outcome: Outcome,
    ) -> Result<(), Error> {
        let now = now_ms();
        let mut scoped = store.scoped(tenant).await?;
        let (error, retry) = match outcome {
            Outcome::Delivered => (None, false),
            Outcome::Retry(e) if attempts < self.inner.settings.max_attempts => (Some(e), true),
            Outcome::Retry(e) => (
                Some(format!("{e} (gave up after {attempts} attempts)")),
                false,
            ),
            Outcome::Refused(e) => (Some(e), false),
        };
        if retry {
            let delay = (self.inner.settings.retry_ms << (attempts - 1).min(20)).min(MAX_RETRY_MS);
            sqlx::query(
                "UPDATE apple_pushes SET due_at = $1, attempts = $2, last_error = $3, \
                 claim = NULL, claimed_at = NULL WHERE enrolment_id = $4 AND claim = $5",
            )
            .bind(now + delay)
            .bind(attempts)
            .bind(&error)
            .bind(enrolment_id)
            .bind(claim)
            .execute(scoped.conn())
            .await?;
            tracing::info!(enrolment = %enrolment_id, attempts, error = ?error, "push to retry");
        } else {
            sqlx::query("DELETE FROM apple_pushes WHERE enrolment_id = $1 AND claim = $2")
                .bind(enrolment_id)
                .bind(claim)
                .execute(scoped.conn())
                .await?;
            // Delivered or given up: the sweep tries again once `sweep_after_secs` passed.
            sqlx::query(
                "UPDATE apple_enrolments SET pushed_at = $1, push_error = $2 \
                 WHERE tenant_id = $3 AND id = $4",
            )
            .bind(now)
            .bind(error.clone())
            .bind(tenant.as_str())
            .bind(enrolment_id)
            .execute(scoped.conn())
            .await?;
            if let Some(error) = &error {
                tracing::warn!(enrolment = %enrolment_id, %error, "push not delivered");
            }
        }
        scoped.commit().await
    }
}
