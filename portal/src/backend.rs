//! The narrow interface between the portal and the server (the host implements it). The portal
//! knows nothing of databases, hashing or tenants' keys: it asks these questions and renders the
//! answers. Every call after [`Backend::open`] names the tenant the registration URL resolved to,
//! so a session, a PIN or a password of one tenant never works on another tenant's portal.

use async_trait::async_trait;

use crate::i18n::Lang;

/// A tenant as the portal sees it, resolved from a registration URL.
#[derive(Debug, Clone)]
pub struct PortalTenant {
    /// Opaque id, passed back to the backend unchanged.
    pub id: String,
    pub name: String,
    /// The tenant's language, used when the browser states no preference.
    pub language: Lang,
}

/// What a registration URL's token resolves to.
#[derive(Debug, Clone)]
pub enum Opened {
    Tenant(PortalTenant),
    /// Signed with an enrolment key the tenant has since rotated: the user needs a new
    /// invitation.
    Rotated,
    /// Not a registration URL of any tenant.
    Invalid,
}

/// Where a signed-in user stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Password accepted; the tenant requires a one-time PIN as well.
    NeedsPin,
    /// PIN accepted; the user has no password yet and must set one.
    NeedsPassword,
    /// Signed in.
    Active,
}

#[derive(Debug, Clone)]
pub struct PortalUser {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// An unmanaged-device (MAM-only) user: their portal is their app list.
    pub unmanaged: bool,
}

/// An app of the catalogue, as the portal lists it to a user.
#[derive(Debug, Clone)]
pub struct PortalApp {
    pub id: String,
    pub name: String,
    pub android: bool,
    /// The store page (store and business apps).
    pub store_url: Option<String>,
    /// An uploaded file the portal serves (in-house apps).
    pub in_house: bool,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user: PortalUser,
    pub stage: Stage,
}

/// A new session: the token goes into the portal's cookie.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub stage: Stage,
}

#[derive(Debug, Clone)]
pub enum PasswordOutcome {
    SignedIn(NewSession),
    /// Unknown e-mail, wrong password or no password: the portal does not say which.
    Refused,
    /// A directory user, and the directory that checks their password cannot be reached.
    DirectoryUnavailable,
    /// Too many failed attempts in a row for this e-mail address (known or not): wait.
    AccountLocked {
        retry_after_secs: i64,
    },
}

#[derive(Debug, Clone)]
pub enum PinOutcome {
    /// Accepted and used up; with a session token when none existed (PIN-first sign-in).
    Accepted(NewSession),
    Wrong {
        remaining: i64,
    },
    /// Too many wrong tries: the PIN no longer works, even when right.
    Locked,
    Expired,
    /// No usable PIN for that e-mail (never issued, already used, or replaced by a newer one).
    NoPin,
    /// A PIN entered with an e-mail address (no password first) that is not accepted, for
    /// whatever reason: wrong, expired, locked, used, or no such user. One answer for all, so
    /// that the page does not tell who is invited.
    NotAccepted,
    /// Too many failed attempts in a row for this e-mail address (known or not): wait.
    AccountLocked {
        retry_after_secs: i64,
    },
}

/// Why a new password was refused; the portal words it in the user's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Weakness {
    TooShort { min: usize },
    TooLong { max: usize },
    TooSimple,
}

#[derive(Debug, Clone)]
pub enum SetPasswordOutcome {
    Done,
    Weak(Weakness),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceState {
    Active,
    /// Found through a service the user uses (their mailbox...), not enrolled.
    Discovered,
    Retired,
    Wiped,
    Reset,
}

/// A device of the signed-in user.
#[derive(Debug, Clone)]
pub struct Device {
    /// Opaque id, passed back to the backend unchanged.
    pub id: String,
    pub name: String,
    /// As shown: "iOS", "macOS", "Android".
    pub platform: String,
    pub os_version: String,
    pub state: DeviceState,
    /// Under management (false after check-out or retirement).
    pub managed: bool,
    /// What the user may do to it from the portal (SPEC G4, I1), in the order offered.
    pub actions: Vec<OwnAction>,
}

/// What users do to their own devices from the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnAction {
    /// Lock an enrolled Apple device (SPEC I1).
    Lock,
    /// Erase a device: an enrolled Apple device (I1) or one found through the user's mailbox
    /// (G4).
    Wipe,
    /// Remove management from an enrolled Apple device (I1).
    Retire,
}

impl OwnAction {
    /// The action's path segment.
    pub fn code(self) -> &'static str {
        match self {
            OwnAction::Lock => "lock",
            OwnAction::Wipe => "wipe",
            OwnAction::Retire => "retire",
        }
    }
    pub fn from_code(code: &str) -> Option<OwnAction> {
        [OwnAction::Lock, OwnAction::Wipe, OwnAction::Retire]
            .into_iter()
            .find(|a| a.code() == code)
    }
}

/// The answer to a user's action on their own device.
#[derive(Debug, Clone)]
pub enum ActionOutcome {
    /// Queued for the device (or asked of the service that reaches it): done at its next
    /// connection. `pin`: what unlocks a Mac after a lock or an erase.
    Requested { pin: Option<String> },
    /// Not one of the user's devices the portal does this to.
    NotFound,
    /// The service could not be reached or refused; nothing was done.
    Failed,
}

/// The content of the registration QR code: the tenant's registration URL with a short-lived,
/// one-time device token.
#[derive(Debug, Clone)]
pub struct DeviceRegistration {
    pub url: String,
    /// Minutes the token stays valid.
    pub valid_minutes: i64,
}

/// Which management profile the user asks for (SPEC D1, D10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileKind {
    /// iPhone or iPad (iOS 12.2 and later).
    Ios,
    /// Mac (macOS 11 and later), the whole device (PayloadScope System).
    MacosDevice,
    /// Mac, this user's account only (PayloadScope User).
    MacosUser,
}

impl ProfileKind {
    pub fn code(self) -> &'static str {
        match self {
            ProfileKind::Ios => "ios",
            ProfileKind::MacosDevice => "macos",
            ProfileKind::MacosUser => "macos-user",
        }
    }
    pub fn from_code(code: &str) -> Option<ProfileKind> {
        match code {
            "ios" => Some(ProfileKind::Ios),
            "macos" => Some(ProfileKind::MacosDevice),
            "macos-user" => Some(ProfileKind::MacosUser),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum ProfileLinkOutcome {
    /// A one-time download link's token, valid a few minutes.
    Link { token: String, valid_minutes: i64 },
    /// The server cannot make profiles (no https MDM address configured).
    Unavailable,
}

#[derive(Debug, Clone)]
pub enum ProfileDownload {
    /// The signed profile (`application/x-apple-aspen-config`).
    Profile { bytes: Vec<u8>, filename: String },
    /// The link was used already or has expired.
    Stale,
}

/// A failure of the server behind the portal (database down...): shown as a generic error page,
/// logged by the host.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BackendError(pub String);

pub type BackendResult<T> = Result<T, BackendError>;

/// What the portal needs from the server.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Resolves the token of a registration URL (`/r/<token>`).
    async fn open(&self, registration_token: &str) -> BackendResult<Opened>;

    /// The session behind a cookie, if it is alive and belongs to `tenant`.
    async fn session(&self, tenant: &str, session_token: &str) -> BackendResult<Option<Session>>;

    /// Signs in with e-mail and password (B3, I1).
    async fn sign_in_with_password(
        &self,
        tenant: &str,
        email: &str,
        password: &str,
    ) -> BackendResult<PasswordOutcome>;

    /// Signs in with e-mail and one-time PIN (B4): users without a password, or anyone holding
    /// a fresh invitation.
    async fn sign_in_with_pin(
        &self,
        tenant: &str,
        email: &str,
        pin: &str,
    ) -> BackendResult<PinOutcome>;

    /// The PIN step of a session in [`Stage::NeedsPin`].
    async fn confirm_pin(
        &self,
        tenant: &str,
        session_token: &str,
        pin: &str,
    ) -> BackendResult<PinOutcome>;

    /// The shortest password the server accepts (stated before the user types).
    fn password_min_length(&self) -> usize;

    /// Sets the password of a session in [`Stage::NeedsPassword`], which becomes active.
    async fn set_password(
        &self,
        tenant: &str,
        session_token: &str,
        password: &str,
    ) -> BackendResult<SetPasswordOutcome>;

    async fn sign_out(&self, tenant: &str, session_token: &str) -> BackendResult<()>;

    /// The devices of the session's user.
    async fn devices(&self, tenant: &str, session_token: &str) -> BackendResult<Vec<Device>>;

    /// Does `action` to one of the session user's devices (one offering it), recorded as
    /// theirs.
    async fn act_on_device(
        &self,
        tenant: &str,
        session_token: &str,
        device_id: &str,
        action: OwnAction,
    ) -> BackendResult<ActionOutcome>;

    /// The apps the session's user may get (for unmanaged-device users, only those allowed
    /// on unmanaged devices).
    async fn apps(&self, tenant: &str, session_token: &str) -> BackendResult<Vec<PortalApp>>;

    /// An in-house app's file (name and content), if the session's user may get it.
    async fn app_file(
        &self,
        tenant: &str,
        session_token: &str,
        app_id: &str,
    ) -> BackendResult<Option<(String, Vec<u8>)>>;

    /// Whether the server can make profiles at all.
    fn profiles_available(&self) -> bool;

    /// A one-time link to a new management profile for the session's user.
    async fn profile_link(
        &self,
        tenant: &str,
        session_token: &str,
        kind: ProfileKind,
    ) -> BackendResult<ProfileLinkOutcome>;

    /// Uses up a profile download link (the link is the credential).
    async fn download_profile(
        &self,
        tenant: &str,
        link_token: &str,
    ) -> BackendResult<ProfileDownload>;

    /// A fresh one-time device registration for the session's user (the QR code's content).
    async fn device_registration(
        &self,
        tenant: &str,
        session_token: &str,
        registration_token: &str,
    ) -> BackendResult<DeviceRegistration>;
}
