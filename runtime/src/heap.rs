//! Giving freed memory back to the system.
//!
//! Why: plugins make the process allocate in bursts far above its steady state: compiling an
//! 18 MB component takes hundreds of MB of Cranelift buffers, its bytes and artifact are
//! copied whole, and the database library builds 18 MB records. glibc's allocator keeps what
//! was freed for reuse: large blocks move its mmap threshold up (so the next ones come from
//! the heap and stay there), and the small ones leave the per-thread arenas fragmented. A
//! server that had compiled a large plugin once stayed at 500 to 700 MB resident, with 9 MB
//! still in use. So, with glibc (no-ops elsewhere):
//!
//! - [`limit_retention`] (once, when the runtime starts) fixes the mmap threshold: blocks of
//!   1 MiB and more are mapped on their own and unmapped when freed;
//! - [`give_back`] returns the free pages of every arena to the system. It walks the arenas
//!   (with their locks taken), so it runs after the bursts only: after a compile, and when the
//!   host lets go of installations.

/// Blocks of this size and above are mapped on their own and unmapped when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 1 << 20;

/// Fixes the allocator's mmap threshold (see the module's doc). Idempotent.
pub fn limit_retention() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: mallopt only changes allocator parameters; glibc serialises it with the
        // allocator's own locks.
        ONCE.call_once(|| unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        });
    }
}

/// Returns the allocator's free pages to the system (see the module's doc).
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes the arenas' locks itself and only releases free memory.
    unsafe {
        libc::malloc_trim(0);
    }
}
