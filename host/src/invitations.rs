//! Invitations (SPEC B2, B4): an e-mail with the tenant's registration link, a one-time PIN when
//! the tenant requires one or the user has no password yet, and short instructions, in the
//! tenant's language. The message goes through the outbox in the same transaction as the PIN and
//! the history entry, so an invitation accepted is never lost. Sending again issues a new PIN
//! (the old one stops working) and the same link: a lost invitation is replaced by the same URL,
//! and `<url>/go` reaches the same page.
//!
//! Inviting is done in two phases so that no write turn waits for cryptography: [`prepare`]
//! reads what the messages depend on, hashes the new PINs (through the bulk hashing lane) and
//! composes every message; [`write`] then stores them in one short transaction, after checking
//! that what they were composed from (the tenant's settings, its registration key, each user)
//! has not changed meanwhile. When it has, the invitations are composed again.

use serde::Serialize;
use utoipa::ToSchema;

use crate::admins::Permission;
use corral_messages::{self as messages, Lang};

use crate::error::Error;
use crate::guesses::{Account, Guesses, Secret};
use crate::history::{self, Actor, Change};
use crate::mail::{self, About, Message};
use crate::passwords::{self, Hashed};
use crate::registration::settings::{Language, UserSettings};
use crate::registration::{keys, pins, settings};
use crate::secrets::SecretBox;
use crate::services::AsAdmin;
use crate::store::{Scoped, Store};
use crate::tenants::TenantId;
use crate::users::{self, User};

/// Most users invited by one request.
pub const MAX_PER_REQUEST: usize = 5000;

/// How many times invitations are composed again when what they depend on keeps changing
/// between composing and writing them.
const ATTEMPTS: usize = 3;

/// What was sent to one user.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Invitation {
    pub user_id: String,
    /// The queued message (its delivery status: `GET /api/v1/mail?object_id=<user id>`).
    pub mail_id: String,
    /// Whether the e-mail carries a one-time PIN.
    pub pin_issued: bool,
}

/// What invitations are sent with: the server's keys and addresses, and the tenant's slug.
#[derive(Clone, Copy)]
pub struct Sender<'a> {
    pub secrets: &'a SecretBox,
    pub base_url: &'a str,
    pub tenant_slug: &'a str,
}

/// A user as their invitation was composed for them; checked again when it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitee {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub has_password: bool,
    pub unmanaged: bool,
}

impl From<&User> for Invitee {
    fn from(user: &User) -> Invitee {
        Invitee {
            id: user.id.clone(),
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            has_password: user.has_password,
            unmanaged: user.unmanaged,
        }
    }
}

impl From<&users::Prepared> for Invitee {
    fn from(user: &users::Prepared) -> Invitee {
        Invitee {
            id: user.id.clone(),
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            has_password: user.has_password(),
            unmanaged: user.unmanaged,
        }
    }
}

/// Invitations composed and their PINs hashed, ready for [`write`].
pub struct Prepared {
    settings: UserSettings,
    token: String,
    letters: Vec<Letter>,
}

struct Letter {
    invitee: Invitee,
    pin_hash: Option<Hashed>,
    message: Message,
}

/// Invites every listed user, or none when one id is unknown (`user_ids[i]`).
pub async fn invite(
    store: &Store,
    tenant: &TenantId,
    actor: &Actor,
    sender: Sender<'_>,
    user_ids: &[String],
) -> Result<Vec<Invitation>, Error> {
    if user_ids.is_empty() || user_ids.len() > MAX_PER_REQUEST {
        return Err(Error::invalid(
            "user_ids",
            format!("give 1 to {MAX_PER_REQUEST} user ids"),
        ));
    }
    Error::refuse_repeats("user_ids", user_ids)?;
    for _ in 0..ATTEMPTS {
        let invitees = {
            let mut reader = store.reader(tenant).await?;
            read_invitees(&mut reader, user_ids).await?
        };
        let prepared = prepare(store, tenant, sender, invitees).await?;
        let mut scoped = store.scoped(tenant).await?;
        if let Some(sent) = write(&mut scoped, actor, sender, prepared, true).await? {
            scoped.commit().await?;
            return Ok(sent);
        }
    }
    Err(changed_meanwhile())
}

/// The conflict answered when a tenant's settings or users keep changing while invitations to
/// them are being composed.
pub fn changed_meanwhile() -> Error {
    Error::Conflict {
        code: "changed_meanwhile",
        message: "the tenant's registration settings or these users changed while the \
                  invitations were being prepared; send them again"
            .into(),
    }
}

/// The listed users, in order; an unknown id is refused naming its position.
async fn read_invitees(scoped: &mut Scoped, user_ids: &[String]) -> Result<Vec<Invitee>, Error> {
    let found = users::get_many(scoped, user_ids).await?;
    user_ids
        .iter()
        .zip(found)
        .enumerate()
        .map(|(i, (_, user))| match user {
            Some(user) => Ok(Invitee::from(&user)),
            None => Err(Error::invalid(format!("user_ids[{i}]"), "no such user")),
        })
        .collect()
}

/// Composes the invitations of `invitees` and hashes their new PINs, outside any write
/// transaction (creating the tenant's first registration key, in a short one of its own, when
/// it has none).
pub async fn prepare(
    store: &Store,
    tenant: &TenantId,
    sender: Sender<'_>,
    invitees: Vec<Invitee>,
) -> Result<Prepared, Error> {
    let (settings, token) = {
        let mut reader = store.reader(tenant).await?;
        let settings = settings::get(&mut reader).await?;
        let token = keys::existing_token(&mut reader, sender.secrets, sender.tenant_slug).await?;
        (settings, token)
    };
    let token = match token {
        Some(token) => token,
        None => {
            let mut scoped = store.scoped(tenant).await?;
            let token =
                keys::current_token(&mut scoped, sender.secrets, sender.tenant_slug).await?;
            scoped.commit().await?;
            token
        }
    };
    let url = format!("{}/r/{token}", sender.base_url);
    let needs_pin = |invitee: &Invitee| settings.require_registration_pin || !invitee.has_password;
    let pins: Vec<String> = invitees
        .iter()
        .filter(|i| needs_pin(i))
        .map(|_| pins::new_pin())
        .collect();
    let mut hashes = passwords::hash_all(pins.clone()).await?.into_iter();
    let mut pins = pins.into_iter();
    let letters = invitees
        .into_iter()
        .map(|invitee| {
            let (pin, pin_hash) = if needs_pin(&invitee) {
                (pins.next(), hashes.next())
            } else {
                (None, None)
            };
            let compose = if invitee.unmanaged {
                compose_mam
            } else {
                compose
            };
            let message = compose(
                settings.language,
                &invitee,
                &url,
                pin.as_deref(),
                settings.pin_validity_hours,
            );
            Letter {
                invitee,
                pin_hash,
                message,
            }
        })
        .collect();
    Ok(Prepared {
        settings,
        token,
        letters,
    })
}

/// Writes prepared invitations in the caller's transaction: the PINs (revoking older ones, with
/// fresh tries), the messages and the history. `Ok(None)` when what they were composed from
/// changed meanwhile: nothing was written; [`prepare`] them again. `recheck_users` is false
/// only for users created in this same transaction.
pub async fn write(
    scoped: &mut Scoped,
    actor: &Actor,
    sender: Sender<'_>,
    prepared: Prepared,
    recheck_users: bool,
) -> Result<Option<Vec<Invitation>>, Error> {
    if settings::get(scoped).await? != prepared.settings
        || keys::existing_token(scoped, sender.secrets, sender.tenant_slug).await?
            != Some(prepared.token)
    {
        return Ok(None);
    }
    if recheck_users {
        let ids: Vec<String> = prepared
            .letters
            .iter()
            .map(|l| l.invitee.id.clone())
            .collect();
        let now = users::get_many(scoped, &ids).await?;
        let unchanged = prepared
            .letters
            .iter()
            .zip(now)
            .all(|(letter, user)| user.is_some_and(|u| Invitee::from(&u) == letter.invitee));
        if !unchanged {
            return Ok(None);
        }
    }
    let tenant = scoped.tenant().as_str().to_string();
    let issued: Vec<(&str, &Hashed)> = prepared
        .letters
        .iter()
        .filter_map(|l| l.pin_hash.as_ref().map(|h| (l.invitee.id.as_str(), h)))
        .collect();
    pins::store_all(scoped, &issued, prepared.settings.pin_validity_hours).await?;
    // A new PIN comes with fresh tries.
    let accounts: Vec<Account> = prepared
        .letters
        .iter()
        .filter(|l| l.pin_hash.is_some())
        .map(|l| Account::new(Secret::PortalPin, &tenant, &l.invitee.email))
        .collect();
    Guesses::forget_all(scoped, &accounts).await?;
    let messages = prepared
        .letters
        .iter()
        .map(|l| {
            let about = About {
                kind: "invitation",
                object_type: "user",
                object_id: &l.invitee.id,
            };
            (about, l.message.clone())
        })
        .collect();
    let mail_ids = mail::enqueue_all(scoped, messages).await?;
    let sent: Vec<Invitation> = prepared
        .letters
        .iter()
        .zip(mail_ids)
        .map(|(l, mail_id)| Invitation {
            user_id: l.invitee.id.clone(),
            mail_id,
            pin_issued: l.pin_hash.is_some(),
        })
        .collect();
    let changes = sent
        .iter()
        .map(|invitation| {
            Change::new::<(), _>(
                "user",
                &invitation.user_id,
                "invited",
                None,
                Some(invitation),
            )
        })
        .collect();
    history::record_all(scoped, actor, changes).await?;
    Ok(Some(sent))
}

/// The line giving a one-time PIN and how long it is valid.
fn pin_text_of(lang: Lang, pin: &str, days: i64) -> String {
    messages::format(
        lang,
        "invitation-pin",
        &[("pin", pin.into()), ("days", days.into())],
    )
}

/// The invitation of an unmanaged-device (MAM-only) user (SPEC C5): a "Get started" button to
/// their app list, and how to allow installs from unknown sources on Android.
fn compose_mam(
    language: Language,
    user: &Invitee,
    url: &str,
    pin: Option<&str>,
    pin_hours: i64,
) -> Message {
    let lang = language.lang();
    let days = (pin_hours + 23) / 24;
    let apps = format!("{url}/apps");
    let subject = messages::text(lang, "mam-invitation-subject");
    let hello = messages::format(
        lang,
        "invitation-hello",
        &[("name", user.first_name.as_str().into())],
    );
    let intro = messages::text(lang, "mam-invitation-intro");
    let button = messages::text(lang, "mam-invitation-button");
    let pin_line = pin.map(|p| pin_text_of(lang, p, days));
    let android = messages::text(lang, "mam-invitation-android");
    let pin_text = pin_line
        .as_deref()
        .map(|l| format!("{l}\n\n"))
        .unwrap_or_default();
    let text = format!("{hello}\n\n{intro}\n{button}: {apps}\n\n{pin_text}{android}\n");
    let html = format!(
        "<p>{}</p><p>{}</p><p><a class=\"button\" href=\"{}\">{}</a></p>{}<p>{}</p>",
        mail::escape(&hello),
        mail::escape(&intro),
        mail::escape(&apps),
        mail::escape(&button),
        pin_line
            .map(|l| format!("<p><strong>{}</strong></p>", mail::escape(&l)))
            .unwrap_or_default(),
        mail::escape(&android),
    );
    Message {
        to: user.email.clone(),
        subject,
        text,
        html,
    }
}

fn compose(
    language: Language,
    user: &Invitee,
    url: &str,
    pin: Option<&str>,
    pin_hours: i64,
) -> Message {
    let lang = language.lang();
    let days = (pin_hours + 23) / 24;
    let subject = messages::text(lang, "invitation-subject");
    let hello = messages::format(
        lang,
        "invitation-hello",
        &[("name", user.first_name.as_str().into())],
    );
    let intro = messages::text(lang, "invitation-intro");
    let pin_line = pin.map(|p| pin_text_of(lang, p, days));
    let steps = messages::text(lang, "invitation-steps");
    let lost = messages::format(lang, "invitation-lost", &[("url", url.into())]);
    let pin_text = pin_line
        .as_deref()
        .map(|l| format!("{l}\n\n"))
        .unwrap_or_default();
    let text = format!("{hello}\n\n{intro}\n{url}\n\n{pin_text}{steps}\n\n{lost}\n");
    let html = format!(
        "<p>{}</p><p>{}</p><p><a href=\"{url}\">{url}</a></p>{}<p>{}</p><p>{}</p>",
        mail::escape(&hello),
        mail::escape(&intro),
        pin_line
            .map(|l| format!("<p><strong>{}</strong></p>", mail::escape(&l)))
            .unwrap_or_default(),
        mail::escape(&steps),
        mail::escape(&lost),
    );
    Message {
        to: user.email.clone(),
        subject,
        text,
        html,
    }
}

impl AsAdmin<'_> {
    /// Sends (or sends again) invitations to users; see [`invite`].
    pub async fn invite_users(&self, user_ids: &[String]) -> Result<Vec<Invitation>, Error> {
        self.require(Permission::ManageUsers)?;
        invite(
            self.services.store(),
            self.tenant(),
            &self.actor(),
            self.invitation_sender(),
            user_ids,
        )
        .await
    }
}
