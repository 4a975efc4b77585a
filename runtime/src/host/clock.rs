//! `corral:plugin/clock`: wall-clock time in Unix milliseconds.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::bindings::v0_1::corral::plugin::clock::Host;
use crate::state::HostState;

impl Host for HostState {
    async fn now_ms(&mut self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}
