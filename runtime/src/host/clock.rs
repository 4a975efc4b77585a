//! `corral:plugin/clock`: wall-clock time in Unix milliseconds, from the host's
//! [`crate::backend::WallClock`] (the system's; a controllable one in tests).

use crate::state::HostState;
use crate::wit::since_v0_1_0::corral::plugin::clock::Host;

impl Host for HostState {
    async fn now_ms(&mut self) -> u64 {
        self.ctx.services.clock.now_ms()
    }
}
