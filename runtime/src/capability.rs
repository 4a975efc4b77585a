//! Capabilities a plugin can be granted, and the grant set of one installation.
//!
//! Why: the WIT world lists every host capability as its own interface. The
//! component's imports say what a plugin *uses*; the tenant administrator says
//! what it *may* use. Only the intersection is linked, and a component
//! importing anything outside its grants is refused (see `plugin.rs`).

use std::fmt;

/// One host capability (one WIT interface of `corral:plugin`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    Logging,
    Kv,
    Http,
    Directory,
    Clock,
    /// Vendor API calls with the tenant's credential, and the plugin's tenant settings
    /// (`corral:plugin@0.2.0` and later).
    Vendor,
    /// Reporting the devices a plugin manages to the host (`corral:plugin@0.4.0` and later).
    Inventory,
}

impl Capability {
    pub const ALL: [Capability; 7] = [
        Capability::Logging,
        Capability::Kv,
        Capability::Http,
        Capability::Directory,
        Capability::Clock,
        Capability::Vendor,
        Capability::Inventory,
    ];

    /// The WIT interface name, without package or version (`kv`).
    pub fn interface(self) -> &'static str {
        match self {
            Capability::Logging => "logging",
            Capability::Kv => "kv",
            Capability::Http => "http",
            Capability::Directory => "directory",
            Capability::Clock => "clock",
            Capability::Vendor => "vendor",
            Capability::Inventory => "inventory",
        }
    }

    /// Inverse of [`Capability::interface`].
    pub fn from_interface(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.interface() == name)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.interface())
    }
}

/// A small set of capabilities.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CapabilitySet(u8);

impl CapabilitySet {
    pub const fn empty() -> Self {
        CapabilitySet(0)
    }
    pub fn all() -> Self {
        Capability::ALL.into_iter().collect()
    }
    pub fn contains(self, c: Capability) -> bool {
        self.0 & c.bit() != 0
    }
    pub fn insert(&mut self, c: Capability) {
        self.0 |= c.bit();
    }
    pub fn with(mut self, c: Capability) -> Self {
        self.insert(c);
        self
    }
    pub fn intersection(self, other: Self) -> Self {
        CapabilitySet(self.0 & other.0)
    }
    /// Capabilities in `self` that are not in `other`.
    pub fn difference(self, other: Self) -> Self {
        CapabilitySet(self.0 & !other.0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Capability> {
        Capability::ALL
            .into_iter()
            .filter(move |c| self.contains(*c))
    }
}

impl FromIterator<Capability> for CapabilitySet {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        let mut s = CapabilitySet::empty();
        for c in iter {
            s.insert(c);
        }
        s
    }
}

impl fmt::Debug for CapabilitySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for CapabilitySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.iter().map(Capability::interface).collect();
        write!(f, "{{{}}}", names.join(", "))
    }
}

/// What one installation (tenant x plugin version) is granted.
#[derive(Clone, Debug, Default)]
pub struct Grants {
    /// Capabilities linked into the plugin.
    pub capabilities: CapabilitySet,
    /// Hosts the `http` capability may reach: exact names (`api.vendor.com`)
    /// or a leading wildcard (`*.googleapis.com`). Empty = nothing (default deny).
    pub http_allow_hosts: Vec<String>,
    /// OAuth 2 scopes the `vendor` capability exchanges the tenant's credential for (what the
    /// plugin's `extension-info` declares).
    pub oauth_scopes: Vec<String>,
}

impl Grants {
    /// Nothing granted.
    pub fn none() -> Self {
        Grants::default()
    }

    /// Grant exactly these capabilities (no HTTP hosts).
    pub fn of(capabilities: impl IntoIterator<Item = Capability>) -> Self {
        Grants {
            capabilities: capabilities.into_iter().collect(),
            http_allow_hosts: Vec::new(),
            oauth_scopes: Vec::new(),
        }
    }

    /// Grant = requested ∩ allowed-by-the-tenant-admin.
    pub fn intersect(
        requested: CapabilitySet,
        allowed: CapabilitySet,
        http_allow_hosts: Vec<String>,
    ) -> Self {
        Grants {
            capabilities: requested.intersection(allowed),
            http_allow_hosts,
            oauth_scopes: Vec::new(),
        }
    }
}
