//! Delivery of the outbox over SMTP (lettre). Each host process runs one dispatcher; they share
//! the work through leases: a dispatcher claims a few due messages by writing a fresh lease token
//! and expiry on them (a conditional UPDATE, so only one claim wins), sends them, then marks each
//! sent or schedules its retry. A lease outlives the SMTP timeout, so a slow send is never
//! claimed again while it may still succeed.

use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Tokio1Executor};

use crate::error::Error;
use crate::secrets::random_token;
use crate::store::{now_ms, Store};

/// Delivery settings; see `config::ServeArgs` for defaults and variables.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `smtp://host:port` (plain or STARTTLS when offered), `smtps://host:port` (TLS); `None`
    /// leaves messages pending with the reason in `last_error`.
    pub smtp_url: Option<String>,
    pub from: String,
    pub poll: Duration,
    pub retry_base: Duration,
    pub max_attempts: i64,
}

const BATCH: i64 = 20;
const SEND_TIMEOUT: Duration = Duration::from_secs(20);
const LEASE: Duration = Duration::from_secs(120);
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

pub struct Dispatcher {
    store: Store,
    settings: Settings,
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

#[derive(sqlx::FromRow)]
struct Claimed {
    id: String,
    recipient: String,
    subject: String,
    body_text: String,
    body_html: String,
    attempts: i64,
}

impl Dispatcher {
    pub fn new(store: Store, settings: Settings) -> Result<Dispatcher, Error> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| Error::Config(format!("CORRAL_MAIL_FROM is not an address: {e}")))?;
        let transport = match &settings.smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| Error::Config(format!("CORRAL_SMTP_URL: {e}")))?
                    .timeout(Some(SEND_TIMEOUT))
                    .build(),
            ),
            None => None,
        };
        Ok(Dispatcher {
            store,
            settings,
            transport,
            from,
        })
    }

    /// Runs until the process ends.
    pub async fn run(self) {
        if self.transport.is_none() {
            tracing::warn!("CORRAL_SMTP_URL is not set: mail waits in the outbox");
        }
        loop {
            match self.run_once().await {
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "mail dispatch failed; will retry"),
            }
            tokio::time::sleep(self.settings.poll).await;
        }
    }

    /// Claims and handles one batch of due messages; returns how many were claimed.
    pub async fn run_once(&self) -> Result<usize, Error> {
        let Some(transport) = &self.transport else {
            return Ok(0);
        };
        let now = now_ms();
        let token = random_token();
        sqlx::query(
            "UPDATE mail_outbox SET lease_token = $1, lease_until = $2 \
             WHERE status = 'pending' AND next_attempt_at <= $3 AND lease_until <= $3 AND id IN \
             (SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= $3 \
              AND lease_until <= $3 ORDER BY next_attempt_at LIMIT $4)",
        )
        .bind(&token)
        .bind(now + LEASE.as_millis() as i64)
        .bind(now)
        .bind(BATCH)
        .execute(self.store.pool())
        .await?;
        let claimed = sqlx::query_as::<_, Claimed>(
            "SELECT id, recipient, subject, body_text, body_html, attempts FROM mail_outbox \
             WHERE lease_token = $1 AND status = 'pending'",
        )
        .bind(&token)
        .fetch_all(self.store.pool())
        .await?;
        for message in &claimed {
            let outcome = match self.build(message) {
                Ok(email) => transport
                    .send(email)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            self.settle(message, &token, outcome).await?;
        }
        Ok(claimed.len())
    }

    fn build(&self, m: &Claimed) -> Result<lettre::Message, String> {
        let to: Mailbox = m
            .recipient
            .parse()
            .map_err(|e| format!("bad recipient: {e}"))?;
        lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&m.subject)
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(m.body_text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(m.body_html.clone()),
                    ),
            )
            .map_err(|e| format!("cannot build message: {e}"))
    }

    async fn settle(
        &self,
        m: &Claimed,
        token: &str,
        outcome: Result<(), String>,
    ) -> Result<(), Error> {
        let now = now_ms();
        match outcome {
            Ok(()) => {
                sqlx::query(
                    "UPDATE mail_outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, \
                     lease_token = NULL, lease_until = 0, last_error = NULL \
                     WHERE id = $2 AND lease_token = $3",
                )
                .bind(now)
                .bind(&m.id)
                .bind(token)
                .execute(self.store.pool())
                .await?;
                tracing::info!(message = %m.id, "mail sent");
            }
            Err(reason) => {
                let attempts = m.attempts + 1;
                let status = if attempts >= self.settings.max_attempts {
                    "failed"
                } else {
                    "pending"
                };
                let backoff = self
                    .settings
                    .retry_base
                    .saturating_mul(1u32 << (attempts - 1).clamp(0, 16) as u32)
                    .min(MAX_BACKOFF);
                sqlx::query(
                    "UPDATE mail_outbox SET status = $1, attempts = $2, next_attempt_at = $3, \
                     last_error = $4, lease_token = NULL, lease_until = 0 \
                     WHERE id = $5 AND lease_token = $6",
                )
                .bind(status)
                .bind(attempts)
                .bind(now + backoff.as_millis() as i64)
                .bind(&reason)
                .bind(&m.id)
                .bind(token)
                .execute(self.store.pool())
                .await?;
                tracing::warn!(message = %m.id, attempts, %status, error = %reason, "mail not sent");
            }
        }
        Ok(())
    }
}
