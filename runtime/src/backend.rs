//! Abstract host state behind async traits.
//!
//! Why: the key-value store and the tenant directory will live in the database
//! layer of the host (SQLite / PostgreSQL), and outbound HTTP in a real client;
//! this crate must not depend on either. The runtime only talks to these
//! traits. Every method receives the [`Scope`] of the call, which the host
//! fixed when it installed the plugin for a tenant: the plugin never supplies
//! a tenant id, so it cannot address another tenant's data.
//!
//! In-memory implementations for tests live in [`crate::memory`].

use std::net::SocketAddr;

use async_trait::async_trait;

/// Who a call runs for. Fixed by the host per installation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    pub tenant_id: String,
    /// Stable plugin identifier (not the version: KV data survives upgrades).
    pub plugin_id: String,
}

/// Failure of a backend (database down, quota, ...). Shown to the guest as
/// `unavailable` / `too-large`, never as a trap.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BackendError {
    #[error("backend unavailable: {0}")]
    Unavailable(String),
    #[error("quota exceeded: {0}")]
    Quota(String),
}

/// Key-value store scoped to (tenant, plugin).
#[async_trait]
pub trait KvBackend: Send + Sync + 'static {
    async fn get(&self, scope: &Scope, key: &str) -> Result<Option<Vec<u8>>, BackendError>;
    async fn set(&self, scope: &Scope, key: &str, value: Vec<u8>) -> Result<(), BackendError>;
    async fn delete(&self, scope: &Scope, key: &str) -> Result<(), BackendError>;
    /// Keys beginning with `prefix`, sorted, at most `limit`.
    async fn list_keys(
        &self,
        scope: &Scope,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<String>, BackendError>;
}

/// A user of the tenant, as plugins may see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryUser {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// "local" or "ldap".
    pub source: String,
}

/// A device of the tenant, as plugins may see it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct DirectoryDevice {
    pub id: String,
    pub owner_user_id: Option<String>,
    pub name: String,
    pub serial_number: Option<String>,
    pub imeis: Vec<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub os: Option<String>,
    pub os_version: Option<String>,
}

/// Read-only directory of one tenant (users and devices). Implementations
/// must filter by `scope.tenant_id`.
#[async_trait]
pub trait Directory: Send + Sync + 'static {
    async fn find_user_by_email(
        &self,
        scope: &Scope,
        email: &str,
    ) -> Result<Option<DirectoryUser>, BackendError>;
    async fn get_user(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<DirectoryUser>, BackendError>;
    async fn list_user_devices(
        &self,
        scope: &Scope,
        user_id: &str,
    ) -> Result<Vec<DirectoryDevice>, BackendError>;
    async fn find_device(
        &self,
        scope: &Scope,
        serial_or_imei: &str,
    ) -> Result<Option<DirectoryDevice>, BackendError>;
    /// For each serial number or IMEI, in order, the device it identifies (`find_device` for
    /// many; an implementation answers them with one query).
    async fn find_devices(
        &self,
        scope: &Scope,
        identifiers: &[String],
    ) -> Result<Vec<Option<DirectoryDevice>>, BackendError> {
        let mut found = Vec::with_capacity(identifiers.len());
        for identifier in identifiers {
            found.push(self.find_device(scope, identifier).await?);
        }
        Ok(found)
    }
}

/// An outbound request that already passed the allow-list / address policy.
#[derive(Clone, Debug)]
pub struct OutboundRequest {
    pub method: &'static str,
    pub url: url::Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// The addresses the policy approved: connect only to these (prevents DNS
    /// rebinding between the check and the connection).
    pub addrs: Vec<SocketAddr>,
}

#[derive(Clone, Debug)]
pub struct OutboundResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum OutboundError {
    #[error("timeout")]
    Timeout,
    #[error("response too large")]
    TooLarge,
    #[error("transport: {0}")]
    Transport(String),
}

/// Performs outbound HTTPS for the `http` capability. The runtime applies the
/// allow-list and address policy *before* calling it (see `host/http.rs`).
#[async_trait]
pub trait HttpClient: Send + Sync + 'static {
    /// Resolve a host name. The default uses the system resolver.
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, OutboundError> {
        tokio::net::lookup_host((host, port))
            .await
            .map(|it| it.collect())
            .map_err(|e| OutboundError::Transport(format!("cannot resolve {host}: {e}")))
    }

    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError>;
}

/// An [`HttpClient`] that sends nothing (for hosts without outbound HTTP).
#[derive(Debug, Default)]
pub struct NoHttpClient;

#[async_trait]
impl HttpClient for NoHttpClient {
    async fn send(&self, _request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        Err(OutboundError::Transport(
            "outbound HTTP is not configured on this host".into(),
        ))
    }
}

/// A vendor credential a tenant set for a plugin, as the host stores it (sealed). The runtime
/// uses it to authorise `vendor.send`; the plugin never sees it.
#[derive(Clone)]
pub enum VendorCredential {
    /// An OAuth 2 service account (the fields of a Google service-account key file): the
    /// runtime signs a JWT assertion (RS256) and exchanges it at `token_uri` (RFC 7523).
    ServiceAccount {
        client_email: String,
        private_key_pem: String,
        token_uri: String,
    },
    /// An OAuth 2 client (client id and secret, e.g. a Knox cloud app or an Entra
    /// application): the runtime asks `token_uri` for a token with the client credentials
    /// grant (RFC 6749 section 4.4), the secret in the form body.
    ClientCredentials {
        client_id: String,
        client_secret: String,
        token_uri: String,
    },
}

impl std::fmt::Debug for VendorCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VendorCredential::ServiceAccount {
                client_email,
                token_uri,
                ..
            } => f
                .debug_struct("ServiceAccount")
                .field("client_email", client_email)
                .field("token_uri", token_uri)
                .field("private_key_pem", &"(redacted)")
                .finish(),
            VendorCredential::ClientCredentials {
                client_id,
                token_uri,
                ..
            } => f
                .debug_struct("ClientCredentials")
                .field("client_id", client_id)
                .field("token_uri", token_uri)
                .field("client_secret", &"(redacted)")
                .finish(),
        }
    }
}

/// Where the `vendor` capability finds a plugin's settings and credential in a tenant.
#[async_trait]
pub trait VendorBackend: Send + Sync + 'static {
    /// A non-secret setting of (tenant, plugin).
    async fn setting(&self, scope: &Scope, name: &str) -> Result<Option<String>, BackendError>;
    /// The credential of (tenant, plugin), opened.
    async fn credential(&self, scope: &Scope) -> Result<Option<VendorCredential>, BackendError>;

    /// The credential the plugin keeps for its account `account` (0.7.0), opened.
    async fn account_credential(
        &self,
        scope: &Scope,
        account: &str,
    ) -> Result<Option<VendorCredential>, BackendError> {
        let _ = (scope, account);
        Ok(None)
    }

    /// Checks and keeps (sealed) `credential` (JSON text) as account `account`'s: `Ok(Err)`
    /// lists the problems found (a JSON Pointer each), and nothing changed.
    async fn keep_account_credential(
        &self,
        scope: &Scope,
        account: &str,
        credential: &str,
    ) -> Result<Result<(), Vec<crate::api::FieldError>>, BackendError> {
        let _ = (scope, account, credential);
        Err(BackendError::Unavailable(
            "this host keeps no credentials for plugins".into(),
        ))
    }

    /// Forgets account `account`'s credential.
    async fn forget_account_credential(
        &self,
        scope: &Scope,
        account: &str,
    ) -> Result<(), BackendError> {
        let _ = (scope, account);
        Ok(())
    }
}

/// A [`VendorBackend`] with no settings and no credentials.
#[derive(Debug, Default)]
pub struct NoVendor;

#[async_trait]
impl VendorBackend for NoVendor {
    async fn setting(&self, _scope: &Scope, _name: &str) -> Result<Option<String>, BackendError> {
        Ok(None)
    }
    async fn credential(&self, _scope: &Scope) -> Result<Option<VendorCredential>, BackendError> {
        Ok(None)
    }
}

/// Why the host could not take a device report (shown to the plugin as `plugin-error`).
#[derive(Debug, Clone, thiserror::Error)]
pub enum InventoryError {
    /// The report is malformed (e.g. an empty vendor name); the plugin's fault.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// Where the `inventory` capability's reports go: the host's device records of a tenant.
#[async_trait]
pub trait InventoryBackend: Send + Sync + 'static {
    /// Record (or update) the device the plugin reports and answer what the plugin must do.
    async fn report_device(
        &self,
        scope: &Scope,
        report: crate::api::DeviceReport,
    ) -> Result<crate::api::Verdict, InventoryError>;

    /// Record (or update) devices registered at the plugin's provisioning service and not
    /// enrolled yet (`registrations`, 0.5.0); answers how many.
    async fn record_registrations(
        &self,
        scope: &Scope,
        registrations: Vec<crate::api::Registration>,
    ) -> Result<u32, InventoryError> {
        let _ = (scope, registrations);
        Err(no_inventory())
    }

    /// Remove the plugin's registrations not recorded since `since_ms`; answers how many.
    async fn forget_registrations(
        &self,
        scope: &Scope,
        since_ms: u64,
    ) -> Result<u32, InventoryError> {
        let _ = (scope, since_ms);
        Err(no_inventory())
    }

    /// Record (or update) devices found at the plugin's vendor, not managed by it
    /// (`discoveries`, 0.7.0); answers how many.
    async fn record_discoveries(
        &self,
        scope: &Scope,
        discoveries: Vec<crate::api::Discovery>,
    ) -> Result<u32, InventoryError> {
        let _ = (scope, discoveries);
        Err(no_inventory())
    }

    /// Remove the plugin's discovered devices not recorded since `since_ms`; answers how many.
    async fn forget_discoveries(
        &self,
        scope: &Scope,
        since_ms: u64,
    ) -> Result<u32, InventoryError> {
        let _ = (scope, since_ms);
        Err(no_inventory())
    }
}

fn no_inventory() -> InventoryError {
    InventoryError::Backend(BackendError::Unavailable(
        "this host keeps no device inventory".into(),
    ))
}

/// An [`InventoryBackend`] that keeps nothing (for hosts without device records).
#[derive(Debug, Default)]
pub struct NoInventory;

#[async_trait]
impl InventoryBackend for NoInventory {
    async fn report_device(
        &self,
        _scope: &Scope,
        _report: crate::api::DeviceReport,
    ) -> Result<crate::api::Verdict, InventoryError> {
        Err(no_inventory())
    }
}

/// The time the `clock` capability tells plugins (Unix milliseconds): the system's, or a
/// controllable one for tests.
pub trait WallClock: Send + Sync + 'static {
    fn now_ms(&self) -> u64;
}

/// The system's clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl WallClock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}
