//! `corral:plugin/locale@0.7.0`: the language of the person a call serves, as the host set it
//! on the installation the call went through ([`crate::Installation::in_language`]); English
//! for the host's own work. Linked for every 0.7.0 plugin, no grant needed: it reveals nothing
//! beyond the words the plugin is about to show.

use crate::state::HostState;
use crate::wit::since_v0_7_0::corral::plugin0_7_0::locale::Host;

impl Host for HostState {
    async fn language(&mut self) -> String {
        self.language.to_string()
    }
}
