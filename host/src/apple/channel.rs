//! The MDM command channel (`ServerURL`, `PUT /mdm/<tenant>/server`; SPEC D4, issue 25): the
//! device reports its status (and its answer to the command it got) and asks for its next
//! command.
//!
//! Why here, this way: a device working through its queue sends one message per command, so
//! this is the hottest write path after check-ins. As there, the signature is checked and the
//! plist read and serialized before any database work, and the writes (the answer recorded,
//! the next command claimed, the last contact) go through group commit
//! ([`crate::store::batch`]): reports that arrive together are written in one transaction,
//! each by its own conditional statements, so the queue's rules (`commands`) hold per report.

use plist::Dictionary;

use super::checkin::{device_id_of, dictionary, string, verify_signature, Refused};
use super::commands::{self, Answer};
use crate::error::Error;
use crate::secrets::SecretBox;
use crate::store::batch::{Batch, Batcher};
use crate::store::{now_ms, Scoped, Store};
use crate::tenants::TenantId;

/// A report checked and read, waiting for its writes.
pub struct Report {
    enrolment_id: String,
    answer: Option<Answer>,
    /// A command may be due: claim the next one.
    queued: bool,
    /// The last contact is a minute old or more: record this one.
    stale: bool,
    now: i64,
}

struct ReportBatch {
    secrets: SecretBox,
}

impl Batch for ReportBatch {
    type Item = Report;
    /// The next command's plist, if any.
    type Output = Option<String>;

    async fn apply(
        &self,
        scoped: &mut Scoped,
        items: &[Report],
    ) -> Result<Vec<Option<String>>, Error> {
        let mut sent = Vec::with_capacity(items.len());
        for r in items {
            if let Some(answer) = &r.answer {
                commands::record(scoped, &r.enrolment_id, answer, r.now).await?;
            }
            let skip = r.answer.as_ref().filter(|a| a.not_now()).map(|a| a.uuid());
            let next = if r.queued {
                commands::next(scoped, &self.secrets, &r.enrolment_id, skip, r.now).await?
            } else {
                None
            };
            if r.stale {
                sqlx::query(
                    "UPDATE apple_enrolments SET checked_in_at = $1 \
                     WHERE tenant_id = $2 AND id = $3",
                )
                .bind(r.now)
                .bind(scoped.tenant().as_str().to_string())
                .bind(&r.enrolment_id)
                .execute(scoped.conn())
                .await?;
            }
            sent.push(next.map(|(_, plist)| plist));
        }
        Ok(sent)
    }
}

/// The command channel of every tenant (one per process). Cheap to clone.
#[derive(Clone)]
pub struct CommandChannel {
    batcher: Batcher<ReportBatch>,
}

impl CommandChannel {
    pub fn new(store: Store, secrets: SecretBox) -> CommandChannel {
        CommandChannel {
            batcher: Batcher::new(store, ReportBatch { secrets }),
        }
    }

    /// Handles one report. Authenticated like check-ins; the message's UDID (or EnrollmentID)
    /// must be the one the enrolment authenticated with, and the enrolment must be active.
    /// Answers the next command's plist, or none: "nothing to do". A poll with nothing to
    /// answer and nothing queued writes nothing but the last contact, at most once a minute.
    pub async fn handle(
        &self,
        tenant: &TenantId,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<Result<Option<String>, Refused>, Error> {
        let Some(signature) = signature else {
            return Ok(Err(Refused::Unsigned));
        };
        let fingerprint = match verify_signature(signature, body) {
            Ok(fingerprint) => fingerprint,
            Err(refused) => return Ok(Err(refused)),
        };
        let message = match dictionary(body) {
            Ok(d) => d,
            Err(refused) => return Ok(Err(refused)),
        };
        let answer = match answer_in(&message) {
            Ok(answer) => answer,
            Err(refused) => return Ok(Err(refused)),
        };
        let udid = match device_id_of(&message) {
            Ok(udid) => udid,
            Err(refused) => return Ok(Err(refused)),
        };

        let now = now_ms();
        let store = self.batcher.store();
        let mut reader = store.reader(tenant).await?;
        let row: Option<(String, String, Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT id, status, udid, checked_in_at FROM apple_enrolments \
             WHERE tenant_id = $1 AND identity_sha256 = $2",
        )
        .bind(tenant.as_str())
        .bind(&fingerprint)
        .fetch_optional(reader.conn())
        .await?;
        let Some((enrolment_id, enrolment_status, enrolled_udid, seen)) = row else {
            return Ok(Err(Refused::UnknownIdentity));
        };
        if enrolment_status != "active" {
            return Ok(Err(Refused::EnrolmentEnded));
        }
        if enrolled_udid.as_deref() != Some(udid.as_str()) {
            return Ok(Err(Refused::UnknownIdentity));
        }
        let queued =
            answer.is_some() || commands::has_open(&mut reader, &enrolment_id, None, now).await?;
        drop(reader);
        let stale = seen.is_none_or(|s| now - s >= 60_000);
        if !queued && !stale {
            return Ok(Ok(None));
        }
        let report = Report {
            enrolment_id,
            answer,
            queued,
            stale,
            now,
        };
        Ok(Ok(self.batcher.submit(tenant, report).await?))
    }
}

/// The answer the message reports, if it answers a command (not for Idle).
fn answer_in(message: &Dictionary) -> Result<Option<Answer>, Refused> {
    let reported = string(message, "Status");
    match reported.as_deref() {
        Some("Idle") => Ok(None),
        Some(status @ ("Acknowledged" | "Error" | "CommandFormatError" | "NotNow")) => {
            let Some(uuid) = string(message, "CommandUUID") else {
                return Err(Refused::Malformed(
                    "CommandUUID is required with a command result".into(),
                ));
            };
            Answer::of(&uuid, status, message)
                .map(Some)
                .map_err(|e| Refused::Malformed(e.to_string()))
        }
        Some(other) => Err(Refused::Malformed(format!("unknown Status {other}"))),
        None => Err(Refused::Malformed("Status is required".into())),
    }
}
