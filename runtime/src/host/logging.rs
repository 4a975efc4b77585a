//! `corral:plugin/logging`: plugin log lines go to `tracing`, tagged with
//! tenant, plugin and version. Long lines are truncated and lines beyond the
//! per-call budget are dropped (a plugin cannot flood the host log).

use crate::state::HostState;
use crate::wit::since_v0_1_0::corral::plugin::logging::{Host, Level};

impl Host for HostState {
    async fn log(&mut self, level: Level, message: String) {
        self.log_lines += 1;
        let limits = &self.ctx.limits;
        if self.log_lines > limits.max_log_lines {
            if self.log_lines == limits.max_log_lines + 1 {
                tracing::warn!(tenant = %self.ctx.scope.tenant_id, plugin = %self.ctx.plugin, "plugin log budget exhausted; further lines dropped");
            }
            return;
        }
        let mut msg = message.as_str();
        if msg.len() > limits.max_log_line_bytes {
            let mut end = limits.max_log_line_bytes;
            while !msg.is_char_boundary(end) {
                end -= 1;
            }
            msg = &msg[..end];
        }
        let tenant = &self.ctx.scope.tenant_id;
        let plugin = &self.ctx.plugin;
        match level {
            Level::Trace => tracing::trace!(tenant = %tenant, plugin = %plugin, "{msg}"),
            Level::Debug => tracing::debug!(tenant = %tenant, plugin = %plugin, "{msg}"),
            Level::Info => tracing::info!(tenant = %tenant, plugin = %plugin, "{msg}"),
            Level::Warn => tracing::warn!(tenant = %tenant, plugin = %plugin, "{msg}"),
            Level::Error => tracing::error!(tenant = %tenant, plugin = %plugin, "{msg}"),
        }
    }
}
