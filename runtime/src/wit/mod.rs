//! Host-side bindings, one module per frozen WIT version.
//!
//! Why: a frozen WIT package never changes, so plugins built against
//! `corral:plugin@0.1.0` must keep working after `0.2.0` ships. Each version gets
//! its own `bindgen!` module (`v0_1`, `v0_2`, ...). The runtime detects a
//! component's version from the newest interface it exports (`devices@0.4.0`,
//! `enrolment-tokens@0.3.0`, `extension@0.2.0`, else `hooks@0.1.0`), picks
//! the matching module, and converts old types to the current API where they
//! differ. 0.2.0 only adds interfaces, and its repeated types are mapped onto 0.1's, so
//! [`crate::api`] re-exports `v0_1`'s types for both.

pub mod v0_1;
pub mod v0_2;
pub mod v0_3;
pub mod v0_4;

/// WIT package versions this host can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorldVersion {
    /// `corral:plugin@0.1.0`
    V0_1,
    /// `corral:plugin@0.2.0`: adds the `vendor` capability and the `extension` export.
    V0_2,
    /// `corral:plugin@0.3.0`: adds the `enrolment-tokens` export.
    V0_3,
    /// `corral:plugin@0.4.0`: adds the `inventory` capability and the `devices` export.
    V0_4,
}

impl WorldVersion {
    /// Every supported version, oldest first.
    pub const ALL: &'static [WorldVersion] = &[
        WorldVersion::V0_1,
        WorldVersion::V0_2,
        WorldVersion::V0_3,
        WorldVersion::V0_4,
    ];

    /// The semantic version string of the WIT package.
    pub fn as_str(self) -> &'static str {
        match self {
            WorldVersion::V0_1 => "0.1.0",
            WorldVersion::V0_2 => "0.2.0",
            WorldVersion::V0_3 => "0.3.0",
            WorldVersion::V0_4 => "0.4.0",
        }
    }

    /// The version at which this world has `interface` (0.2.0 imports and exports 0.1.0's
    /// interfaces unchanged and adds `vendor` and `extension`), or None when it lacks it.
    pub fn interface_version(self, interface: &str) -> Option<&'static str> {
        use WorldVersion::*;
        match (self, interface) {
            (V0_4, "inventory" | "devices" | "settings") => Some("0.4.0"),
            (V0_1 | V0_2 | V0_3, "inventory" | "devices" | "settings") => None,
            (V0_3 | V0_4, "enrolment-tokens") => Some("0.3.0"),
            (V0_1 | V0_2, "enrolment-tokens") => None,
            (V0_2 | V0_3 | V0_4, "vendor" | "extension") => Some("0.2.0"),
            (V0_1, "vendor" | "extension") => None,
            _ => Some("0.1.0"),
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
