//! Invitations (SPEC B2, B4): an e-mail with the tenant's registration link, a one-time PIN when
//! the tenant requires one or the user has no password yet, and short instructions, in the
//! tenant's language. The message goes through the outbox in the same transaction as the PIN and
//! the history entry, so an invitation accepted is never lost. Sending again issues a new PIN
//! (the old one stops working) and the same link: a lost invitation is replaced by the same URL,
//! and `<url>/go` reaches the same page.

use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Error;
use crate::guesses::{Account, Guesses, Secret};
use crate::history::{self, Actor, Change};
use crate::mail::{self, About, Message};
use crate::registration::settings::Language;
use crate::registration::{keys, pins, settings};
use crate::secrets::SecretBox;
use crate::store::Scoped;
use crate::users;

/// What was sent to one user.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Invitation {
    pub user_id: String,
    /// The queued message (its delivery status: `GET /api/v1/mail?object_id=<user id>`).
    pub mail_id: String,
    /// Whether the e-mail carries a one-time PIN.
    pub pin_issued: bool,
}

/// Invites every listed user, or none when one id is unknown (`user_ids[i]`).
pub async fn invite(
    scoped: &mut Scoped,
    actor: &Actor,
    secrets: &SecretBox,
    base_url: &str,
    tenant_slug: &str,
    user_ids: &[String],
) -> Result<Vec<Invitation>, Error> {
    if user_ids.is_empty() || user_ids.len() > 1000 {
        return Err(Error::invalid("user_ids", "give 1 to 1000 user ids"));
    }
    Error::refuse_repeats("user_ids", user_ids)?;
    let tenant_settings = settings::get(scoped).await?;
    let url = format!(
        "{base_url}/r/{}",
        keys::current_token(scoped, secrets, tenant_slug).await?
    );
    let mut sent = Vec::with_capacity(user_ids.len());
    for (i, id) in user_ids.iter().enumerate() {
        let user = users::get(scoped, id).await.map_err(|e| match e {
            Error::NotFound(_) => Error::invalid(format!("user_ids[{i}]"), "no such user"),
            other => other,
        })?;
        let pin = if tenant_settings.require_registration_pin || !user.has_password {
            // A new PIN comes with fresh tries.
            let account = Account::new(Secret::PortalPin, scoped.tenant().as_str(), &user.email);
            Guesses::forget(scoped, &account).await?;
            Some(pins::issue(scoped, &user.id, tenant_settings.pin_validity_hours).await?)
        } else {
            None
        };
        let message = if user.unmanaged {
            compose_mam(
                tenant_settings.language,
                &user,
                &url,
                pin.as_deref(),
                tenant_settings.pin_validity_hours,
            )
        } else {
            compose(
                tenant_settings.language,
                &user,
                &url,
                pin.as_deref(),
                tenant_settings.pin_validity_hours,
            )
        };
        let about = About {
            kind: "invitation",
            object_type: "user",
            object_id: &user.id,
        };
        let mail_id = mail::enqueue(scoped, about, message).await?;
        let invitation = Invitation {
            user_id: user.id.clone(),
            mail_id,
            pin_issued: pin.is_some(),
        };
        history::record(
            scoped,
            actor,
            Change::new::<(), _>("user", &user.id, "invited", None, Some(&invitation)),
        )
        .await?;
        sent.push(invitation);
    }
    Ok(sent)
}

/// The invitation of an unmanaged-device (MAM-only) user (SPEC C5): a "Get started" button to
/// their app list, and how to allow installs from unknown sources on Android.
fn compose_mam(
    language: Language,
    user: &users::User,
    url: &str,
    pin: Option<&str>,
    pin_hours: i64,
) -> Message {
    let days = (pin_hours + 23) / 24;
    let apps = format!("{url}/apps");
    let (subject, hello, intro, button, pin_line, android) = match language {
        Language::En => (
            "Get your work apps",
            format!("Hello {},", user.first_name),
            "Your organisation offers you its apps for your own phone or tablet, without \
             managing the device. Open this on the device to see them:",
            "Get started",
            pin.map(|p| format!("Your one-time PIN: {p} (valid {days} day(s), single use).")),
            "Android: to install apps that do not come from Google Play, allow installs from \
             unknown sources (Settings > Security > Unknown sources).",
        ),
        Language::Fr => (
            "Obtenez vos applications professionnelles",
            format!("Bonjour {},", user.first_name),
            "Votre organisation met ses applications à votre disposition sur votre téléphone \
             ou tablette, sans gérer l'appareil. Ouvrez ceci sur l'appareil pour les voir :",
            "Commencer",
            pin.map(|p| {
                format!(
                    "Votre code PIN à usage unique : {p} (valable {days} jour(s), une seule fois)."
                )
            }),
            "Android : pour installer des applications qui ne viennent pas de Google Play, \
             autorisez les sources inconnues (Réglages > Sécurité > Sources inconnues).",
        ),
    };
    let pin_text = pin_line
        .as_deref()
        .map(|l| format!("{l}\n\n"))
        .unwrap_or_default();
    let text = format!("{hello}\n\n{intro}\n{button}: {apps}\n\n{pin_text}{android}\n");
    let html = format!(
        "<p>{}</p><p>{}</p><p><a class=\"button\" href=\"{}\">{}</a></p>{}<p>{}</p>",
        mail::escape(&hello),
        mail::escape(intro),
        mail::escape(&apps),
        mail::escape(button),
        pin_line
            .map(|l| format!("<p><strong>{}</strong></p>", mail::escape(&l)))
            .unwrap_or_default(),
        mail::escape(android),
    );
    Message {
        to: user.email.clone(),
        subject: subject.to_string(),
        text,
        html,
    }
}

fn compose(
    language: Language,
    user: &users::User,
    url: &str,
    pin: Option<&str>,
    pin_hours: i64,
) -> Message {
    let days = (pin_hours + 23) / 24;
    let (subject, hello, intro, pin_line, steps, lost) = match language {
        Language::En => (
            "Register your device",
            format!("Hello {},", user.first_name),
            "You are invited to register your phone, tablet or Mac. Open this link on the device:",
            pin.map(|p| format!("Your one-time PIN: {p} (valid {days} day(s), single use).")),
            "1. Open the link. 2. Sign in with your e-mail address and your password or the PIN. \
             3. Follow the steps on screen.",
            format!("Lost this e-mail? The same link works again, as does {url}/go."),
        ),
        Language::Fr => (
            "Inscrivez votre appareil",
            format!("Bonjour {},", user.first_name),
            "Vous êtes invité à inscrire votre téléphone, tablette ou Mac. Ouvrez ce lien sur l'appareil :",
            pin.map(|p| format!("Votre code PIN à usage unique : {p} (valable {days} jour(s), une seule fois).")),
            "1. Ouvrez le lien. 2. Connectez-vous avec votre adresse e-mail et votre mot de passe ou le PIN. \
             3. Suivez les étapes à l'écran.",
            format!("Invitation perdue ? Le même lien fonctionne à nouveau, ainsi que {url}/go."),
        ),
    };
    let pin_text = pin_line
        .as_deref()
        .map(|l| format!("{l}\n\n"))
        .unwrap_or_default();
    let text = format!("{hello}\n\n{intro}\n{url}\n\n{pin_text}{steps}\n\n{lost}\n");
    let html = format!(
        "<p>{}</p><p>{}</p><p><a href=\"{url}\">{url}</a></p>{}<p>{}</p><p>{}</p>",
        mail::escape(&hello),
        mail::escape(intro),
        pin_line
            .map(|l| format!("<p><strong>{}</strong></p>", mail::escape(&l)))
            .unwrap_or_default(),
        mail::escape(steps),
        mail::escape(&lost),
    );
    Message {
        to: user.email.clone(),
        subject: subject.to_string(),
        text,
        html,
    }
}
