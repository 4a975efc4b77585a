//! `corral:plugin/clock`: wall-clock time in Unix milliseconds.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::state::HostState;
use crate::wit::since_v0_1_0::corral::plugin::clock::Host;

impl Host for HostState {
    async fn now_ms(&mut self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}
