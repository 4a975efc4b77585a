//! Host implementations of the capability interfaces, one file per WIT
//! interface. Each is linked into a plugin only when the capability is granted
//! (see `plugin.rs`), so none of them has to re-check the grant; they enforce
//! the per-call limits (sizes, counts) and the tenant scope instead. 0.2.0 reuses 0.1.0's
//! interfaces, so only `vendor` (`since_v0_2_0`), `inventory` (`since_v0_4_0`), `device-lookup` and
//! `registrations` (`since_v0_5_0`), 0.6.0's `registrations` (`since_v0_6_0`, in the same
//! file as 0.5.0's), 0.7.0's `vendor` (in the same file as 0.2.0's) and `discoveries`
//! (`since_v0_7_0`) are implemented against newer bindings.

mod clock;
mod device_lookup;
mod directory;
mod discoveries;
mod http;
mod inventory;
mod kv;
mod locale;
mod logging;
mod registrations;
mod vendor;

pub(crate) use vendor::TokenCache;

use crate::state::HostState;
use crate::wit::since_v0_1_0::corral::plugin::types;

/// `types` has no functions; the empty impl lets its (type-only) instance be linked.
impl types::Host for HostState {}
