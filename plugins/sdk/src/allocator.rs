//! The allocator of plugins built for `wasm32-unknown-unknown` (no WASI imports).
//!
//! Why: the standard library's allocator on that target takes every byte from `memory.grow`,
//! so the first allocation of every fresh instance grows its memory, which the host pays for
//! with two page-protection changes (grow, then reset when the instance is dropped) and a TLB
//! shootdown across its threads: about 10 µs per call. Here the heap starts in the free end of
//! the module's initial memory (after the 64 KiB stack and the data: pages the host keeps
//! resident between instances), and only an instance that outgrows it grows its memory. The allocator is talc;
//! this module only says where its memory comes from.

use core::alloc::Layout;
use core::ptr::addr_of;

use talc::{OomHandler, Span, Talc, Talck, locking::AssumeUnlockable};

const PAGE: usize = 64 << 10;

unsafe extern "C" {
    /// Where the linker's layout ends (stack, then data): the heap may start here.
    static __heap_base: u8;
}

/// First the initial memory's free end, then memory grown for what does not fit (at least
/// 1 MiB at a time).
pub struct ArenaThenGrow {
    arena_claimed: bool,
}

impl OomHandler for ArenaThenGrow {
    fn handle_oom(talc: &mut Talc<Self>, layout: Layout) -> Result<(), ()> {
        if !talc.oom_handler.arena_claimed {
            talc.oom_handler.arena_claimed = true;
            // The rest of the initial memory, past the stack and the data, used by nothing.
            let base = addr_of!(__heap_base) as *mut u8;
            let end = core::arch::wasm32::memory_size::<0>() * PAGE;
            let arena = Span::new(base, end as *mut u8);
            // SAFETY: the span is valid, writable memory of this module that nothing else uses,
            // claimed once.
            if unsafe { talc.claim(arena) }.is_ok() {
                return Ok(());
            }
        }
        let needed = layout.size() + layout.align() + 64;
        let pages = needed.div_ceil(PAGE).max(16);
        let previous = core::arch::wasm32::memory_grow::<0>(pages);
        if previous == usize::MAX {
            return Err(());
        }
        let base = (previous * PAGE) as *mut u8;
        // SAFETY: pages just added to the memory, used by nothing else.
        unsafe { talc.claim(Span::from_base_size(base, pages * PAGE)) }.map(|_| ())
    }
}

// SAFETY: a plugin instance is single-threaded (no wasm threads in the component model here).
#[global_allocator]
static ALLOCATOR: Talck<AssumeUnlockable, ArenaThenGrow> = Talc::new(ArenaThenGrow {
    arena_claimed: false,
})
.lock();
