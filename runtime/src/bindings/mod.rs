//! Host-side bindings, one module per frozen WIT version.
//!
//! Why: a frozen WIT package never changes, so plugins built against
//! `corral:plugin@0.1.0` must keep working after `0.2.0` ships. Each version gets
//! its own `bindgen!` module (`v0_1`, later `v0_2`, ...). The runtime detects a
//! component's version from its export name (`corral:plugin/hooks@X.Y.Z`), picks
//! the matching module, and converts old types to the current API where they
//! differ. Today there is one version, so [`crate::api`] re-exports `v0_1`'s types.

pub mod v0_1;

/// WIT package versions this host can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WorldVersion {
    /// `corral:plugin@0.1.0`
    V0_1,
}

impl WorldVersion {
    /// Every supported version, oldest first.
    pub const ALL: &'static [WorldVersion] = &[WorldVersion::V0_1];

    /// The semantic version string of the WIT package.
    pub fn as_str(self) -> &'static str {
        match self {
            WorldVersion::V0_1 => "0.1.0",
        }
    }

    /// Parse the version part of an interface name (`0.1.0`).
    pub fn parse(v: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|w| w.as_str() == v)
    }
}

impl std::fmt::Display for WorldVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "corral:plugin@{}", self.as_str())
    }
}
