//! walloc as the global allocator of a `wasm32-unknown-unknown` program.
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOCATOR: walloc::Walloc = walloc::Walloc;
//! ```
//!
//! Every `Box`, `Vec`, `String` and `HashMap` then lives in walloc's heap, the C library of this
//! repository linked in by `build.rs`. Rust keeps what walloc promises C programs: exhaustion is
//! a null pointer (so `Vec::try_reserve` returns an error and plain allocation goes to
//! `handle_alloc_error`), and a pointer freed twice or never allocated is reported by walloc
//! (`walloc: double free of 0x...`, readable through [`last_error`]) before the module traps,
//! which in Rust can only happen in `unsafe` code that breaks `GlobalAlloc`'s contract. With the
//! `secure` feature the canaries, fill checks and quarantine of `libwalloc-secure.a` come too.
//!
//! walloc is single-threaded, as `wasm32-unknown-unknown` programs without shared memory are.
#![no_std]

use core::alloc::{GlobalAlloc, Layout};
use core::ffi::{c_char, c_int, c_void, CStr};
use core::fmt;
use core::ops::Deref;

extern "C" {
    fn walloc_malloc(size: usize) -> *mut c_void;
    fn walloc_calloc(count: usize, size: usize) -> *mut c_void;
    fn walloc_realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
    fn walloc_aligned_alloc(alignment: usize, size: usize) -> *mut c_void;
    fn walloc_free(ptr: *mut c_void);
    fn walloc_malloc_usable_size(ptr: *mut c_void) -> usize;
    fn walloc_set_limit(bytes: usize) -> usize;
    fn walloc_seed(seed: u64) -> c_int;
    fn walloc_get_stats(out: *mut Stats);
    fn walloc_check() -> c_int;
    fn walloc_last_error() -> *const c_char;
}

/// The allocator: a unit struct to name in `#[global_allocator]`. Its methods are walloc's
/// malloc family, so their costs are those documented in `include/walloc.h`: O(1) for blocks up
/// to 64 KiB, a best-fit page span above.
pub struct Walloc;

// malloc aligns blocks of 16 bytes or more to 16 and smaller ones to 8; anything stricter goes
// through aligned_alloc, which costs a little more.
#[inline]
fn malloc_aligns(align: usize, size: usize) -> bool {
    align <= 8 || (align <= 16 && size >= 16)
}

unsafe impl GlobalAlloc for Walloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if malloc_aligns(layout.align(), layout.size()) {
            walloc_malloc(layout.size()) as *mut u8
        } else {
            walloc_aligned_alloc(layout.align(), layout.size()) as *mut u8
        }
    }

    // calloc knows which memory is fresh from memory.grow and skips clearing it.
    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if malloc_aligns(layout.align(), layout.size()) {
            return walloc_calloc(1, layout.size()) as *mut u8;
        }
        let ptr = walloc_aligned_alloc(layout.align(), layout.size()) as *mut u8;
        if !ptr.is_null() {
            ptr.write_bytes(0, layout.size());
        }
        ptr
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        walloc_free(ptr as *mut c_void)
    }

    // walloc's realloc grows and shrinks in place where it can; it keeps only malloc's
    // alignment, so stricter layouts move by hand.
    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if malloc_aligns(layout.align(), layout.size()) && malloc_aligns(layout.align(), new_size) {
            return walloc_realloc(ptr as *mut c_void, new_size) as *mut u8;
        }
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        let moved = self.alloc(new_layout);
        if !moved.is_null() {
            moved.copy_from_nonoverlapping(ptr, layout.size().min(new_size));
            self.dealloc(ptr, layout);
        }
        moved
    }
}

/// The heap's counters, as `struct walloc_stats` in `include/walloc.h` defines them:
/// `heap_bytes` = small spans + medium spans + live large blocks + free pages + `meta_bytes` +
/// `tier_bytes` + `gc_bytes`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Linear memory the heap owns, from its first page to its end.
    pub heap_bytes: usize,
    /// Usable bytes of live blocks.
    pub live_bytes: usize,
    /// The highest `live_bytes` seen.
    pub peak_live_bytes: usize,
    /// Free pages plus free blocks in partly used spans.
    pub free_bytes: usize,
    /// Page-table leaves and span descriptors.
    pub meta_bytes: usize,
    /// Successful allocations (a realloc that moves counts as one).
    pub alloc_count: usize,
    /// Blocks released.
    pub free_count: usize,
    /// Successful `memory.grow` calls.
    pub grow_count: usize,
    /// Current size of linear memory (`usize::MAX` at 4 GiB).
    pub memory_bytes: usize,
    /// Pages held by tiered arenas.
    pub tier_bytes: usize,
    /// Pages held by the garbage collector.
    pub gc_bytes: usize,
}

/// Returns the heap's counters. O(1): walloc keeps them current on every call.
pub fn stats() -> Stats {
    let mut out = Stats::default();
    unsafe { walloc_get_stats(&mut out) };
    out
}

/// Walks the whole heap (every span, bitmap, block header, page-table entry and descriptor) and
/// returns `Err` with walloc's one-line message when anything is inconsistent, which means
/// something wrote where it should not. Cost: O(heap size / 4 KiB + live blocks / 64); meant
/// for tests and debug builds.
pub fn check() -> Result<(), ErrorText> {
    if unsafe { walloc_check() } == 0 {
        Ok(())
    } else {
        Err(last_error())
    }
}

/// Caps the linear memory the heap may grow to, in bytes (whole 64 KiB pages; static data and
/// the stack count too), and returns the previous cap; `usize::MAX` restores the default, the
/// engine's own limit. Past the cap allocation fails as exhaustion does. O(1), no errors.
pub fn set_limit(bytes: usize) -> usize {
    unsafe { walloc_set_limit(bytes) }
}

/// Seeds the secret that keys the secure build's canaries. A `wasm32-unknown-unknown` module
/// has no source of randomness of its own, so a program linked with the `secure` feature should
/// call this with 64 random bits (from its host) before it allocates. Returns `false` once the
/// heap is in use, when a new secret could no longer be applied; the default build ignores the
/// seed and returns `true`. O(1).
pub fn seed(secret: u64) -> bool {
    unsafe { walloc_seed(secret) == 0 }
}

/// Returns how many bytes the block at `ptr` may hold (at least what was asked for). O(1).
///
/// # Safety
/// `ptr` must be a live block of this allocator; anything else is reported and traps.
pub unsafe fn usable_size(ptr: *mut u8) -> usize {
    walloc_malloc_usable_size(ptr as *mut c_void)
}

/// Returns a copy of walloc's last error message (a fatal report or a failed [`check`]), empty
/// when there was none. A module's exports stay callable after it trapped, so a host that
/// caught walloc's trap can learn through an export calling this which pointer was at fault.
/// O(length of the message).
pub fn last_error() -> ErrorText {
    let text = unsafe { CStr::from_ptr(walloc_last_error()) }.to_bytes();
    let mut out = ErrorText { bytes: [0; ERROR_CAPACITY], length: text.len().min(ERROR_CAPACITY) };
    out.bytes[..out.length].copy_from_slice(&text[..out.length]);
    out
}

// walloc's messages are single lines of at most 158 bytes.
const ERROR_CAPACITY: usize = 160;

/// One of walloc's error messages, copied out of the library so that later errors cannot change
/// it; reads as a `&str`.
#[derive(Clone, Copy)]
pub struct ErrorText {
    bytes: [u8; ERROR_CAPACITY],
    length: usize,
}

impl Deref for ErrorText {
    type Target = str;
    fn deref(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.length]).unwrap_or("walloc: (message not UTF-8)")
    }
}

impl fmt::Display for ErrorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl fmt::Debug for ErrorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
