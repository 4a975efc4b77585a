//! The services: what the API, the portal and the console call. `Services` holds what every
//! operation can reach (the store, the sealed-secret box, the plugin runtime, the limits on
//! guessing); [`AsAdmin`] is one signed-in administrator acting through them. The operations
//! themselves live in the domain modules (`users`, `devices`, `plugins::registry`, ...) as
//! methods of `AsAdmin`, each one checking the permission, opening the transaction, calling
//! plugins where needed and writing the history, so that a front end only parses input, calls
//! one of them and presents the answer.

use std::sync::Arc;

use crate::admins::Permission;
use crate::apple::checkin::CheckIns;
use crate::apple::enrolments::Downloads;
use crate::apple::AppleSettings;
use crate::error::Error;
use crate::guesses::Guesses;
use crate::history::Actor;
use crate::plugins::Plugins;
use crate::secrets::SecretBox;
use crate::sessions::{Authenticated, Policy};
use crate::store::{Scoped, Store};
use crate::tenants::TenantId;

/// What every operation can reach. Cheap to clone; holds nothing another process would need.
#[derive(Clone)]
pub struct Services {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    secrets: SecretBox,
    policy: Policy,
    secure_cookies: bool,
    base_url: String,
    plugins: Plugins,
    apple: AppleSettings,
    check_ins: CheckIns,
    command_channel: crate::apple::channel::CommandChannel,
    downloads: Downloads,
    guesses: Guesses,
    pushes: crate::apple::push::Pusher,
}

impl Services {
    pub fn new(
        store: Store,
        secrets: SecretBox,
        policy: Policy,
        base_url: &str,
        plugins: Plugins,
        apple: AppleSettings,
    ) -> Services {
        Services {
            inner: Arc::new(Inner {
                check_ins: CheckIns::new(store.clone()),
                command_channel: crate::apple::channel::CommandChannel::new(
                    store.clone(),
                    secrets.clone(),
                ),
                downloads: Downloads::new(store.clone(), secrets.clone(), apple.clone()),
                guesses: Guesses::new(
                    policy.max_failures,
                    policy.lockout,
                    policy.attempts_per_minute,
                ),
                store,
                secrets,
                policy,
                secure_cookies: base_url.starts_with("https://"),
                base_url: base_url.trim_end_matches('/').to_string(),
                plugins,
                pushes: crate::apple::push::Pusher::new(apple.push.clone()),
                apple,
            }),
        }
    }
    /// Public URL of this server, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }
    pub fn apple(&self) -> &AppleSettings {
        &self.inner.apple
    }
    pub fn plugins(&self) -> &Plugins {
        &self.inner.plugins
    }
    pub fn store(&self) -> &Store {
        &self.inner.store
    }
    /// Sends APNs pushes; `wake` it after committing a transaction that owes some.
    pub fn pushes(&self) -> &crate::apple::push::Pusher {
        &self.inner.pushes
    }
    pub fn check_ins(&self) -> &CheckIns {
        &self.inner.check_ins
    }
    pub fn command_channel(&self) -> &crate::apple::channel::CommandChannel {
        &self.inner.command_channel
    }
    pub fn downloads(&self) -> &Downloads {
        &self.inner.downloads
    }
    pub fn secrets(&self) -> &SecretBox {
        &self.inner.secrets
    }
    /// The limits on guessing secrets (per account and per client address).
    pub fn guesses(&self) -> &Guesses {
        &self.inner.guesses
    }
    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }
    pub fn secure_cookies(&self) -> bool {
        self.inner.secure_cookies
    }
}

impl Services {
    /// The signed-in administrator `me`, acting through these services.
    pub fn as_admin<'a>(&'a self, me: &'a Authenticated) -> AsAdmin<'a> {
        AsAdmin {
            services: self,
            me,
            language: corral_plugin_runtime::locale::DEFAULT,
        }
    }
}

/// One signed-in administrator acting through the services. Every administrator operation is
/// a method of this type, defined in the domain module it belongs to.
#[derive(Clone, Copy)]
pub struct AsAdmin<'a> {
    pub services: &'a Services,
    pub me: &'a Authenticated,
    /// The language the administrator reads (`en`, `fr`): what plugins word is in it.
    pub language: &'static str,
}

impl<'a> AsAdmin<'a> {
    /// The same administrator, reading `language`.
    pub fn in_language(self, language: &'static str) -> AsAdmin<'a> {
        AsAdmin { language, ..self }
    }

    /// What invitations from this administrator's tenant are sent with.
    pub fn invitation_sender(&self) -> crate::invitations::Sender<'a> {
        crate::invitations::Sender {
            secrets: self.services.secrets(),
            base_url: self.services.base_url(),
            tenant_slug: &self.me.tenant_slug,
        }
    }

    pub fn tenant(&self) -> &TenantId {
        &self.me.tenant
    }

    /// The administrator as the history names them.
    pub fn actor(&self) -> Actor {
        self.me.admin.actor()
    }

    /// Refuses the operation unless the administrator's role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), Error> {
        self.me.admin.require(permission)
    }

    /// A write transaction in the administrator's tenant, once `permission` is checked.
    pub async fn write(&self, permission: Permission) -> Result<Scoped, Error> {
        self.require(permission)?;
        self.services.store().scoped(&self.me.tenant).await
    }

    /// A read-only view of the administrator's tenant (every role may read).
    pub async fn read(&self) -> Result<Scoped, Error> {
        self.services.store().scoped_read(&self.me.tenant).await
    }
}
