//! The allocator of plugins built for `wasm32-unknown-unknown` (no WASI imports).
//!
//! Why: the standard library's allocator on that target takes every byte from `memory.grow`,
//! so the first allocation of every fresh instance grows its memory, which the host pays for
//! with two page-protection changes (grow, then reset when the instance is dropped) and a TLB
//! shootdown across its threads: about 10 µs per call. Here the heap starts in the free end of
//! the module's initial memory (after the 64 KiB stack and the data: pages the host keeps
//! resident between instances), and only an instance that outgrows it grows its memory.
//!
//! Blocks come from talc. In front of it, small blocks (up to 256 bytes) are kept by size class
//! once freed and handed out again first: a hook call allocates and frees a few dozen of them
//! (every string and list the host passes in or takes back is one), and talc's bin search and
//! merging of neighbours cost about 10 ns each, against 2 for a list's pop or push; that was a
//! quarter of a warm hook call (`docs/plugin-bench.md`). A freed small block only serves later
//! blocks of its own class, so a plugin holds at most its peak of small blocks per class.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
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

/// Size classes: 16, 32, ..., 256 bytes, aligned to 16.
const CLASS: usize = 16;
const CLASSES: usize = 16;

/// The class of a small block, None for a block talc serves directly.
fn class(layout: Layout) -> Option<usize> {
    (layout.size() != 0 && layout.size() <= CLASS * CLASSES && layout.align() <= CLASS)
        .then(|| (layout.size() - 1) / CLASS)
}

/// Freed small blocks, a list per class threaded through the blocks themselves (the first word
/// of a free block is the address of the next one, 0 at the end).
pub struct SmallBlocks<A> {
    free: UnsafeCell<[usize; CLASSES]>,
    large: A,
}

// SAFETY: a plugin instance is single-threaded (no wasm threads in the component model here),
// so the lists are never used from two threads.
unsafe impl<A: Sync> Sync for SmallBlocks<A> {}

unsafe impl<A: GlobalAlloc> GlobalAlloc for SmallBlocks<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(c) = class(layout) else {
            // SAFETY: the caller's layout, passed on.
            return unsafe { self.large.alloc(layout) };
        };
        // SAFETY: single-threaded (above); a listed address is a free block of class `c`,
        // whose first word holds the next one.
        unsafe {
            let free = &mut *self.free.get();
            match free[c] {
                0 => self
                    .large
                    .alloc(Layout::from_size_align_unchecked((c + 1) * CLASS, CLASS)),
                block => {
                    free[c] = *(block as *const usize);
                    block as *mut u8
                }
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(c) = class(layout) else {
            // SAFETY: a block this allocator gave for `layout` from `large`.
            return unsafe { self.large.dealloc(ptr, layout) };
        };
        // SAFETY: `ptr` is a block of class `c` (given by `alloc` for the same layout), at least
        // 16 bytes and aligned to 16, no longer used by its owner: it becomes the list's head.
        unsafe {
            let free = &mut *self.free.get();
            *(ptr as *mut usize) = free[c];
            free[c] = ptr as usize;
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's guarantees, as for `GlobalAlloc::realloc`.
        unsafe {
            let new = Layout::from_size_align_unchecked(new_size, layout.align());
            match (class(layout), class(new)) {
                // Still fits its block.
                (Some(a), Some(b)) if a == b => ptr,
                // Neither is small: talc may grow or shrink the block in place.
                (None, None) => self.large.realloc(ptr, layout, new_size),
                _ => {
                    let to = self.alloc(new);
                    if !to.is_null() {
                        core::ptr::copy_nonoverlapping(ptr, to, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    to
                }
            }
        }
    }
}

#[global_allocator]
static ALLOCATOR: SmallBlocks<Talck<AssumeUnlockable, ArenaThenGrow>> = SmallBlocks {
    free: UnsafeCell::new([0; CLASSES]),
    large: Talc::new(ArenaThenGrow {
        arena_claimed: false,
    })
    .lock(),
};
