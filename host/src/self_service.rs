//! Self-service enrolment: the server's side of the portal's narrow interface
//! ([`corral_portal::Backend`]). Each question the portal asks is answered from the
//! registration, user and session modules, within the tenant the registration URL resolved to.
//! The rules of the walk-through live here (the portal's pages only present them):
//!
//! - password sign-in (B3) needs no invitation; when the tenant requires a registration PIN and
//!   the user has never registered with one, the PIN is asked next;
//! - PIN sign-in (B4) uses the PIN up; a user without a password must then set one;
//! - every step checks the session's stage, so no step can be skipped.

use async_trait::async_trait;
use corral_portal::{
    ActionOutcome, Backend, BackendError, BackendResult, Device, DeviceRegistration, DeviceState,
    NewSession, Opened, OwnAction, PasswordOutcome, PinOutcome, PortalApp, PortalTenant,
    PortalUser, ProfileDownload, ProfileKind, ProfileLinkOutcome, Session, SetPasswordOutcome,
    Stage, Weakness,
};

use crate::apple::profile::Scope;
use crate::apple::{commands, enrolments};
use crate::apps;
use crate::devices::{self, Platform};
use crate::directory;
use crate::error::Error;
use crate::guesses::{Account, Secret};
use crate::history::Actor;
use crate::passwords;
use crate::registration::pins::{self, PinCheck};
use crate::registration::sessions::{self, Stage as DbStage};
use crate::registration::settings;
use crate::registration::{device_tokens, keys};
use crate::services::Services;
use crate::store::Scoped;
use crate::tenants::TenantId;
use crate::users::{self, User};

/// What the portal asks of this server.
pub struct PortalBackend {
    state: Services,
}

impl PortalBackend {
    pub fn new(services: Services) -> PortalBackend {
        PortalBackend { state: services }
    }
}

fn failed(e: Error) -> BackendError {
    BackendError(e.to_string())
}

/// The session of a step only a signed-in user reaches (the portal checked it just before).
fn signed_in(session: Option<sessions::PortalSession>) -> BackendResult<sessions::PortalSession> {
    session.ok_or_else(|| BackendError("the session is not signed in".into()))
}

fn stage(s: DbStage) -> Stage {
    match s {
        DbStage::NeedsPin => Stage::NeedsPin,
        DbStage::NeedsPassword => Stage::NeedsPassword,
        DbStage::Active => Stage::Active,
    }
}

/// The apps offered to the user of an active portal session (none without one).
async fn offered_apps(read: &mut Scoped, session_token: &str) -> Result<Vec<apps::UserApp>, Error> {
    let Some(session) = sessions::find_at(read, session_token, DbStage::Active).await? else {
        return Ok(Vec::new());
    };
    let user = users::get(read, &session.user_id).await?;
    apps::for_user(read, &user).await
}

fn portal_user(u: User) -> PortalUser {
    PortalUser {
        id: u.id,
        email: u.email,
        first_name: u.first_name,
        last_name: u.last_name,
        unmanaged: u.unmanaged,
    }
}

impl PortalBackend {
    fn tenant(id: &str) -> TenantId {
        TenantId::from_db(id.to_string())
    }

    async fn write(&self, tenant: &str) -> Result<Scoped, Error> {
        self.state.store().scoped(&Self::tenant(tenant)).await
    }

    async fn read(&self, tenant: &str) -> Result<Scoped, Error> {
        self.state.store().scoped_read(&Self::tenant(tenant)).await
    }

    /// Starts a session for a user who has just proved who they are.
    async fn start(&self, tenant: &str, user_id: &str, at: DbStage) -> Result<NewSession, Error> {
        let mut tx = self.write(tenant).await?;
        let token = sessions::start(&mut tx, user_id, at).await?;
        tx.commit().await?;
        Ok(NewSession {
            token,
            stage: stage(at),
        })
    }

    /// How long `account` stays locked after failed attempts in a row (`None`: not locked).
    async fn locked(&self, account: &Account) -> BackendResult<Option<i64>> {
        match self
            .state
            .guesses()
            .check(self.state.store(), account)
            .await
        {
            Ok(()) => Ok(None),
            Err(Error::Locked { retry_after_secs }) => Ok(Some(retry_after_secs)),
            Err(other) => Err(failed(other)),
        }
    }

    /// The session behind `token` if it is at `at`.
    async fn session_at(
        &self,
        tenant: &str,
        token: &str,
        at: DbStage,
    ) -> Result<Option<sessions::PortalSession>, Error> {
        let mut read = self.read(tenant).await?;
        sessions::find_at(&mut read, token, at).await
    }

    async fn pin_outcome(
        &self,
        tenant: &str,
        user: &User,
        pin: &str,
        token: Option<&str>,
    ) -> Result<PinOutcome, Error> {
        let check = pins::check(self.state.store(), &Self::tenant(tenant), &user.id, pin).await?;
        Ok(match check {
            PinCheck::Accepted => {
                // Directory users have their password in the directory.
                let next = if user.has_password || user.source == "ldap" {
                    DbStage::Active
                } else {
                    DbStage::NeedsPassword
                };
                match token {
                    // The PIN step of a password sign-in.
                    Some(token) => {
                        let mut tx = self.write(tenant).await?;
                        let moved =
                            sessions::advance(&mut tx, token, DbStage::NeedsPin, next).await?;
                        tx.commit().await?;
                        if !moved {
                            return Ok(PinOutcome::NoPin);
                        }
                        PinOutcome::Accepted(NewSession {
                            token: token.to_string(),
                            stage: stage(next),
                        })
                    }
                    None => PinOutcome::Accepted(self.start(tenant, &user.id, next).await?),
                }
            }
            PinCheck::Wrong { remaining } => PinOutcome::Wrong { remaining },
            PinCheck::Locked => PinOutcome::Locked,
            PinCheck::Expired => PinOutcome::Expired,
            PinCheck::NoPin => PinOutcome::NoPin,
        })
    }
}

#[async_trait]
impl Backend for PortalBackend {
    async fn open(&self, registration_token: &str) -> BackendResult<Opened> {
        let verified = keys::verify(self.state.store(), self.state.secrets(), registration_token)
            .await
            .map_err(failed)?;
        let tenant = match verified {
            Ok(tenant) => tenant,
            Err(keys::Refusal::Rotated) => return Ok(Opened::Rotated),
            Err(keys::Refusal::Invalid) => return Ok(Opened::Invalid),
        };
        let mut read = self
            .state
            .store()
            .scoped_read(&tenant.id)
            .await
            .map_err(failed)?;
        let language = settings::get(&mut read)
            .await
            .map_err(failed)?
            .language
            .lang();
        Ok(Opened::Tenant(PortalTenant {
            id: tenant.id.as_str().to_string(),
            name: tenant.name,
            language,
        }))
    }

    async fn session(&self, tenant: &str, session_token: &str) -> BackendResult<Option<Session>> {
        let mut read = self.read(tenant).await.map_err(failed)?;
        let Some(found) = sessions::find(&mut read, session_token)
            .await
            .map_err(failed)?
        else {
            return Ok(None);
        };
        let user = match users::get(&mut read, &found.user_id).await {
            Ok(u) => u,
            Err(Error::NotFound(_)) => return Ok(None),
            Err(e) => return Err(failed(e)),
        };
        Ok(Some(Session {
            user: portal_user(user),
            stage: stage(found.stage),
        }))
    }

    async fn sign_in_with_password(
        &self,
        tenant: &str,
        email: &str,
        password: &str,
    ) -> BackendResult<PasswordOutcome> {
        // Counted (and locked) whether or not the address is a user's.
        let account = Account::new(Secret::PortalPassword, tenant, email);
        let (guesses, store) = (self.state.guesses(), self.state.store());
        if let Some(retry_after_secs) = self.locked(&account).await? {
            return Ok(PasswordOutcome::AccountLocked { retry_after_secs });
        }
        // Read everything first; the read ends before the (slow) password check.
        let (user, hash, needs_pin, directory) = {
            let mut read = self.read(tenant).await.map_err(failed)?;
            let user = users::find_by_email(&mut read, email)
                .await
                .map_err(failed)?;
            let (hash, needs_pin) = match &user {
                Some(u) => {
                    let hash = users::password_hash(&mut read, &u.id)
                        .await
                        .map_err(failed)?;
                    // The tenant requires a PIN to register and the user has not yet
                    // registered with one.
                    let required = settings::get(&mut read)
                        .await
                        .map_err(failed)?
                        .require_registration_pin;
                    let registered = pins::ever_used(&mut read, &u.id).await.map_err(failed)?;
                    (hash, required && !registered)
                }
                None => (None, false),
            };
            let directory = match &user {
                Some(u) if u.source == "ldap" => directory::get(&mut read, self.state.secrets())
                    .await
                    .map_err(failed)?,
                _ => None,
            };
            (user, hash, needs_pin, directory)
        };
        let right = match (&user, directory) {
            // Directory users: the directory checks the password (a bind).
            (Some(u), Some(directory)) if u.source == "ldap" => {
                match directory.check_password(&u.email, password).await {
                    Ok(right) => right,
                    Err(Error::Upstream { message, .. }) => {
                        tracing::warn!(%message, "portal sign-in: directory unavailable");
                        return Ok(PasswordOutcome::DirectoryUnavailable);
                    }
                    Err(e) => return Err(failed(e)),
                }
            }
            // Unknown users and users without a password cost one hash check too.
            _ => {
                // (`verify` checks against a dummy hash when there is none: always run it.)
                let has_hash = hash.is_some();
                let matches = passwords::verify(password.to_string(), hash)
                    .await
                    .map_err(failed)?;
                has_hash && matches
            }
        };
        let (Some(user), true) = (user, right) else {
            guesses.failed(store, &account).await.map_err(failed)?;
            return Ok(PasswordOutcome::Refused);
        };
        guesses.succeeded(store, &account).await.map_err(failed)?;
        let at = if needs_pin {
            DbStage::NeedsPin
        } else {
            DbStage::Active
        };
        Ok(PasswordOutcome::SignedIn(
            self.start(tenant, &user.id, at).await.map_err(failed)?,
        ))
    }

    async fn sign_in_with_pin(
        &self,
        tenant: &str,
        email: &str,
        pin: &str,
    ) -> BackendResult<PinOutcome> {
        // Counted (and locked) whether or not the address is a user's, and answered alike:
        // every refusal is `NotAccepted`, after the same hash check.
        let account = Account::new(Secret::PortalPin, tenant, email);
        let (guesses, store) = (self.state.guesses(), self.state.store());
        if let Some(retry_after_secs) = self.locked(&account).await? {
            return Ok(PinOutcome::AccountLocked { retry_after_secs });
        }
        let user = {
            let mut read = self.read(tenant).await.map_err(failed)?;
            users::find_by_email(&mut read, email)
                .await
                .map_err(failed)?
        };
        let outcome = match user {
            Some(user) => self
                .pin_outcome(tenant, &user, pin, None)
                .await
                .map_err(failed)?,
            None => {
                passwords::verify(pin.to_string(), None)
                    .await
                    .map_err(failed)?;
                PinOutcome::NoPin
            }
        };
        if let PinOutcome::Accepted(_) = outcome {
            guesses.succeeded(store, &account).await.map_err(failed)?;
            return Ok(outcome);
        }
        guesses.failed(store, &account).await.map_err(failed)?;
        Ok(PinOutcome::NotAccepted)
    }

    async fn confirm_pin(
        &self,
        tenant: &str,
        session_token: &str,
        pin: &str,
    ) -> BackendResult<PinOutcome> {
        let Some(session) = self
            .session_at(tenant, session_token, DbStage::NeedsPin)
            .await
            .map_err(failed)?
        else {
            return Ok(PinOutcome::NoPin);
        };
        let user = {
            let mut read = self.read(tenant).await.map_err(failed)?;
            users::get(&mut read, &session.user_id)
                .await
                .map_err(failed)?
        };
        self.pin_outcome(tenant, &user, pin, Some(session_token))
            .await
            .map_err(failed)
    }

    async fn set_password(
        &self,
        tenant: &str,
        session_token: &str,
        password: &str,
    ) -> BackendResult<SetPasswordOutcome> {
        if let Some(weak) = passwords::weakness(password) {
            return Ok(SetPasswordOutcome::Weak(match weak {
                passwords::Weakness::TooShort => Weakness::TooShort {
                    min: passwords::MIN_LENGTH,
                },
                passwords::Weakness::TooLong => Weakness::TooLong {
                    max: passwords::MAX_LENGTH,
                },
                passwords::Weakness::TooSimple => Weakness::TooSimple,
            }));
        }
        // Hashed before the write transaction, which never waits for argon2.
        let hash = passwords::hash(password.to_string())
            .await
            .map_err(failed)?;
        let mut tx = self.write(tenant).await.map_err(failed)?;
        let Some(session) = sessions::find_at(&mut tx, session_token, DbStage::NeedsPassword)
            .await
            .map_err(failed)?
        else {
            return Err(BackendError(
                "the session is not waiting for a password".into(),
            ));
        };
        let user = users::get(&mut tx, &session.user_id)
            .await
            .map_err(failed)?;
        let actor = Actor::User {
            id: user.id.clone(),
            email: user.email.clone(),
        };
        users::set_password(&mut tx, &actor, &user.id, hash)
            .await
            .map_err(failed)?;
        sessions::advance(
            &mut tx,
            session_token,
            DbStage::NeedsPassword,
            DbStage::Active,
        )
        .await
        .map_err(failed)?;
        tx.commit().await.map_err(failed)?;
        Ok(SetPasswordOutcome::Done)
    }

    async fn sign_out(&self, tenant: &str, session_token: &str) -> BackendResult<()> {
        let mut tx = self.write(tenant).await.map_err(failed)?;
        sessions::end(&mut tx, session_token)
            .await
            .map_err(failed)?;
        tx.commit().await.map_err(failed)
    }

    async fn apps(&self, tenant: &str, session_token: &str) -> BackendResult<Vec<PortalApp>> {
        let mut read = self.read(tenant).await.map_err(failed)?;
        let offered = offered_apps(&mut read, session_token)
            .await
            .map_err(failed)?;
        Ok(offered
            .into_iter()
            .map(|a| PortalApp {
                id: a.app.id,
                name: a.app.name,
                android: a.app.platform == apps::AppPlatform::Android,
                store_url: a.app.store_url,
                in_house: a.app.kind == apps::Kind::InHouse,
            })
            .collect())
    }

    async fn app_file(
        &self,
        tenant: &str,
        session_token: &str,
        app_id: &str,
    ) -> BackendResult<Option<(String, Vec<u8>)>> {
        let mut read = self.read(tenant).await.map_err(failed)?;
        let offered = offered_apps(&mut read, session_token)
            .await
            .map_err(failed)?;
        if !offered.iter().any(|a| a.app.id == app_id) {
            return Ok(None);
        }
        match apps::file(&mut read, app_id).await {
            Ok(file) => Ok(Some(file)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(failed(e)),
        }
    }

    async fn devices(&self, tenant: &str, session_token: &str) -> BackendResult<Vec<Device>> {
        let mut read = self.read(tenant).await.map_err(failed)?;
        let Some(session) = sessions::find_at(&mut read, session_token, DbStage::Active)
            .await
            .map_err(failed)?
        else {
            return Ok(Vec::new());
        };
        let enrolled = crate::apple::commands::enrolled_devices_of(&mut read, &session.user_id)
            .await
            .map_err(failed)?;
        let query = devices::DeviceQuery {
            user_id: Some(session.user_id),
            ..Default::default()
        };
        Ok(devices::list(&mut read, &query)
            .await
            .map_err(failed)?
            .into_iter()
            // A device awaiting enrolment is not in the user's hands yet.
            .filter(|d| d.state != devices::State::Awaiting)
            .map(|d| Device {
                id: d.id.clone(),
                actions: if d.archived {
                    Vec::new()
                } else if d.state == devices::State::Discovered {
                    // A device found through the user's mailbox is theirs to wipe (SPEC G4).
                    vec![OwnAction::Wipe]
                } else if d.state == devices::State::Active && enrolled.contains(&d.id) {
                    // An enrolled Apple device (SPEC I1).
                    vec![OwnAction::Lock, OwnAction::Wipe, OwnAction::Retire]
                } else {
                    Vec::new()
                },
                name: d.name,
                platform: match d.platform {
                    Platform::Ios => "iOS",
                    Platform::Macos => "macOS",
                    Platform::Android => "Android",
                    // A mail client Exchange reports: its model says most.
                    Platform::Other => d.model.as_str(),
                }
                .to_string(),
                os_version: d.os_version,
                state: match d.state {
                    devices::State::Active => DeviceState::Active,
                    devices::State::Discovered => DeviceState::Discovered,
                    devices::State::Retired => DeviceState::Retired,
                    devices::State::Wiped => DeviceState::Wiped,
                    devices::State::Reset | devices::State::Awaiting => DeviceState::Reset,
                },
                managed: d.mdm_enabled,
            })
            .collect())
    }

    async fn act_on_device(
        &self,
        tenant: &str,
        session_token: &str,
        device_id: &str,
        action: OwnAction,
    ) -> BackendResult<ActionOutcome> {
        let tenant_id = Self::tenant(tenant);
        let (user, device) = {
            let mut read = self.read(tenant).await.map_err(failed)?;
            let Some(session) = sessions::find_at(&mut read, session_token, DbStage::Active)
                .await
                .map_err(failed)?
            else {
                return Ok(ActionOutcome::NotFound);
            };
            let user = users::get(&mut read, &session.user_id)
                .await
                .map_err(failed)?;
            let device = match devices::get(&mut read, device_id).await {
                Ok(d) => d,
                Err(Error::NotFound(_)) => return Ok(ActionOutcome::NotFound),
                Err(e) => return Err(failed(e)),
            };
            (user, device)
        };
        if device.user_id.as_deref() != Some(user.id.as_str()) || device.archived {
            return Ok(ActionOutcome::NotFound);
        }
        if device.state == devices::State::Discovered {
            // Reached through the plugin that discovered it (SPEC G4): only a wipe.
            if action != OwnAction::Wipe {
                return Ok(ActionOutcome::NotFound);
            }
            let wiped = devices::commands::wipe_own(
                self.state.plugins(),
                self.state.store(),
                &tenant_id,
                (&user.id, &user.email),
                device_id,
            )
            .await;
            return match wiped {
                Ok(_) => Ok(ActionOutcome::Requested { pin: None }),
                Err(e) => {
                    tracing::warn!(tenant, device_id, error = %e, "a user's wipe failed");
                    Ok(ActionOutcome::Failed)
                }
            };
        }
        // An enrolled Apple device (SPEC I1): the administrators' queue, as the user.
        let own = match action {
            OwnAction::Lock => commands::OwnAction::Lock,
            OwnAction::Wipe => commands::OwnAction::Wipe,
            OwnAction::Retire => commands::OwnAction::Retire,
        };
        let actor = Actor::User {
            id: user.id.clone(),
            email: user.email.clone(),
        };
        let mut scoped = self
            .state
            .store()
            .scoped(&tenant_id)
            .await
            .map_err(failed)?;
        let pin = match commands::act_for_user(
            &mut scoped,
            self.state.secrets(),
            &actor,
            &user.id,
            device_id,
            own,
            crate::store::now_ms(),
        )
        .await
        {
            Ok(pin) => pin,
            Err(Error::NotFound(_)) => return Ok(ActionOutcome::NotFound),
            Err(e) => return Err(failed(e)),
        };
        scoped.commit().await.map_err(failed)?;
        self.state.pushes().wake();
        Ok(ActionOutcome::Requested { pin })
    }

    fn password_min_length(&self) -> usize {
        passwords::MIN_LENGTH
    }

    fn profiles_available(&self) -> bool {
        self.state.apple().mdm_url.is_some()
    }

    async fn profile_link(
        &self,
        tenant: &str,
        session_token: &str,
        kind: ProfileKind,
    ) -> BackendResult<ProfileLinkOutcome> {
        if !self.profiles_available() {
            return Ok(ProfileLinkOutcome::Unavailable);
        }
        let mut tx = self.write(tenant).await.map_err(failed)?;
        let session = signed_in(
            sessions::find_at(&mut tx, session_token, DbStage::Active)
                .await
                .map_err(failed)?,
        )?;
        let (platform, scope) = match kind {
            ProfileKind::Ios => (Platform::Ios, Scope::System),
            ProfileKind::MacosDevice => (Platform::Macos, Scope::System),
            ProfileKind::MacosUser => (Platform::Macos, Scope::User),
        };
        let link = enrolments::create_link(
            &mut tx,
            self.state.apple(),
            &session.user_id,
            platform,
            scope,
        )
        .await
        .map_err(failed)?;
        tx.commit().await.map_err(failed)?;
        Ok(ProfileLinkOutcome::Link {
            token: link.token,
            valid_minutes: link.valid_minutes,
        })
    }

    async fn download_profile(
        &self,
        tenant: &str,
        link_token: &str,
    ) -> BackendResult<ProfileDownload> {
        let tenant = Self::tenant(tenant);
        let download = self
            .state
            .downloads()
            .fetch(&tenant, link_token)
            .await
            .map_err(failed)?;
        Ok(match download {
            enrolments::Download::Profile { bytes, filename } => {
                ProfileDownload::Profile { bytes, filename }
            }
            enrolments::Download::Stale => ProfileDownload::Stale,
        })
    }

    async fn device_registration(
        &self,
        tenant: &str,
        session_token: &str,
        registration_token: &str,
    ) -> BackendResult<DeviceRegistration> {
        let mut tx = self.write(tenant).await.map_err(failed)?;
        let session = signed_in(
            sessions::find_at(&mut tx, session_token, DbStage::Active)
                .await
                .map_err(failed)?,
        )?;
        let token = device_tokens::issue(&mut tx, &session.user_id)
            .await
            .map_err(failed)?;
        tx.commit().await.map_err(failed)?;
        Ok(DeviceRegistration {
            url: format!(
                "{}/r/{registration_token}?device_token={token}",
                self.state.base_url()
            ),
            valid_minutes: device_tokens::VALID_MINUTES,
        })
    }
}
