//! Checks walloc as Rust's global allocator, driven by `rust/test.mjs` under node: each export
//! runs one scenario and returns 0, or the number of the first check that failed.
use std::alloc::{GlobalAlloc, Layout};
use std::collections::HashMap;

#[global_allocator]
static ALLOCATOR: walloc::Walloc = walloc::Walloc;

// Fails the scenario with `code` unless `condition` holds.
macro_rules! ensure {
    ($condition:expr, $code:expr) => {
        if !$condition {
            return $code;
        }
    };
}

// A word that depends on the key and the position, so a block that moved or was overwritten
// shows up as a wrong value.
fn pattern(key: u32, index: usize) -> u64 {
    (key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index as u64
}

// The secure build holds the last 64 freed blocks in a quarantine and counts them as live
// (include/walloc.h). Freeing 64 fresh blocks pushes every older one out, so the counters read
// after this are comparable exactly in both builds: each call ends with the same 64 frees.
fn settled_stats() -> walloc::Stats {
    let fillers: Vec<Box<[u8; 16]>> = (0..64).map(|_| Box::new([0; 16])).collect();
    drop(fillers);
    walloc::stats()
}

/// Seeds the secure build's canary secret with 64 random bits from the host; returns 0 when
/// walloc took the seed (always, before the first allocation).
#[no_mangle]
pub extern "C" fn seed_heap(secret: u64) -> u32 {
    if walloc::seed(secret) { 0 } else { 1 }
}

/// A `HashMap` of `String`s to growing `Vec`s: inserts, grows, removes half, and reads
/// everything back. Every allocation must be walloc's (its counters move) and every byte must
/// come back when the map is dropped.
#[no_mangle]
pub extern "C" fn collections(keys: u32) -> u32 {
    let before = settled_stats();
    let mut map: HashMap<String, Vec<u64>> = HashMap::new();
    for key in 0..keys {
        let length = (key as usize * 7) % 300;
        map.insert(format!("key-{key}-{}", "x".repeat(key as usize % 40)), (0..length).map(|i| pattern(key, i)).collect());
    }
    let during = walloc::stats();
    ensure!(during.alloc_count >= before.alloc_count + 2 * keys as usize, 1);
    ensure!(during.live_bytes > before.live_bytes, 2);
    ensure!(walloc::check().is_ok(), 3);

    for key in (0..keys).step_by(2) {
        ensure!(map.remove(&format!("key-{key}-{}", "x".repeat(key as usize % 40))).is_some(), 4);
    }
    for key in (1..keys).step_by(2) {
        let values = map.get_mut(&format!("key-{key}-{}", "x".repeat(key as usize % 40)));
        let Some(values) = values else { return 5 };
        let length = values.len();
        values.extend((length..length + 1000).map(|i| pattern(key, i)));
    }
    for (name, values) in &map {
        let key: u32 = name.split('-').nth(1).and_then(|k| k.parse().ok()).unwrap_or(u32::MAX);
        ensure!(key % 2 == 1, 6);
        ensure!(values.iter().enumerate().all(|(i, &v)| v == pattern(key, i)), 7);
    }
    ensure!(walloc::check().is_ok(), 8);
    drop(map);
    let after = settled_stats();
    ensure!(after.live_bytes == before.live_bytes, 9);
    ensure!(after.alloc_count - before.alloc_count == after.free_count - before.free_count, 10);
    0
}

/// A `Vec` grown one element at a time to `length` (walloc's realloc moves it rarely), then
/// shrunk to fit; the contents must survive every move.
#[no_mangle]
pub extern "C" fn vec_growth(length: u32) -> u32 {
    let before = settled_stats();
    let mut values: Vec<u32> = Vec::new();
    let mut moves = 0;
    let mut last = values.as_ptr();
    for i in 0..length {
        values.push(i.wrapping_mul(2_654_435_761));
        if values.as_ptr() != last {
            moves += 1;
            last = values.as_ptr();
        }
    }
    ensure!(values.iter().enumerate().all(|(i, &v)| v == (i as u32).wrapping_mul(2_654_435_761)), 1);
    ensure!(moves < 64, 2);
    values.truncate(length as usize / 3);
    values.shrink_to_fit();
    ensure!(values.iter().enumerate().all(|(i, &v)| v == (i as u32).wrapping_mul(2_654_435_761)), 3);
    ensure!(walloc::check().is_ok(), 4);
    drop(values);
    ensure!(settled_stats().live_bytes == before.live_bytes, 5);
    0
}

#[repr(C, align(64))]
struct Line([u8; 64]);

#[repr(C, align(4096))]
struct Page([u8; 100]);

/// Layouts stricter than malloc's alignment go through aligned_alloc; zeroed allocation
/// through calloc. Both must hold across realloc.
#[no_mangle]
pub extern "C" fn alignment() -> u32 {
    let pages: Vec<Box<Page>> = (0..5).map(|i| Box::new(Page([i as u8; 100]))).collect();
    ensure!(pages.iter().all(|p| p.as_ref() as *const Page as usize % 4096 == 0), 1);
    ensure!(pages.iter().enumerate().all(|(i, p)| p.0.iter().all(|&b| b == i as u8)), 2);

    let mut lines: Vec<Line> = Vec::with_capacity(1);
    for i in 0..200 {
        lines.push(Line([i as u8; 64]));
        ensure!(lines.as_ptr() as usize % 64 == 0, 3);
    }
    ensure!(lines.iter().enumerate().all(|(i, l)| l.0.iter().all(|&b| b == i as u8)), 4);

    let small = unsafe { ALLOCATOR.alloc(Layout::from_size_align(4, 16).unwrap()) };
    ensure!(!small.is_null() && small as usize % 16 == 0, 5);
    unsafe { ALLOCATOR.dealloc(small, Layout::from_size_align(4, 16).unwrap()) };

    for length in [1usize, 100, 5000, 100_000, 3_000_000] {
        let mut zeros = vec![0u8; length];
        ensure!(zeros.iter().all(|&b| b == 0), 6);
        zeros.fill(0xA5);
    }
    let zeroed_line = unsafe { ALLOCATOR.alloc_zeroed(Layout::new::<[Line; 3]>()) };
    ensure!(!zeroed_line.is_null() && zeroed_line as usize % 64 == 0, 7);
    ensure!((0..192).all(|i| unsafe { *zeroed_line.add(i) } == 0), 8);
    unsafe { ALLOCATOR.dealloc(zeroed_line, Layout::new::<[Line; 3]>()) };
    ensure!(walloc::check().is_ok(), 9);
    0
}

/// Exhaustion is an error Rust can handle: under a cap, `try_reserve` fails, nothing already
/// allocated is lost, and the same request succeeds once the cap is lifted.
#[no_mangle]
pub extern "C" fn exhaustion() -> u32 {
    let kept: Vec<u8> = (0..=255).collect();
    let memory = walloc::stats().memory_bytes;
    let previous = walloc::set_limit(memory + (1 << 20));
    let before = walloc::stats();
    let mut big: Vec<u8> = Vec::new();
    ensure!(big.try_reserve_exact(64 << 20).is_err(), 1);
    let after = walloc::stats();
    ensure!(after.live_bytes == before.live_bytes && after.alloc_count == before.alloc_count, 2);
    ensure!(kept.iter().enumerate().all(|(i, &b)| b as usize == i), 3);
    ensure!(walloc::check().is_ok(), 4);
    walloc::set_limit(previous);
    ensure!(big.try_reserve_exact(64 << 20).is_ok(), 5);
    big.resize(64 << 20, 7);
    ensure!(big[(64 << 20) - 1] == 7, 6);
    0
}

/// Frees a block and returns its address, for `free_again`.
#[no_mangle]
pub extern "C" fn freed_block() -> usize {
    let block = Box::into_raw(Box::new([1u64; 4])) as *mut u8;
    unsafe { ALLOCATOR.dealloc(block, Layout::new::<[u64; 4]>()) };
    block as usize
}

/// Frees `address` again: walloc must report the double free and trap.
#[no_mangle]
pub extern "C" fn free_again(address: usize) {
    unsafe { ALLOCATOR.dealloc(address as *mut u8, Layout::new::<[u64; 4]>()) };
}

/// Writes one byte past a block's usable size and frees it: the secure build's canary must
/// report the overflow and trap. Returns the block's address when the write went unnoticed.
#[no_mangle]
pub extern "C" fn overflow() -> usize {
    let block = unsafe { ALLOCATOR.alloc(Layout::new::<[u8; 40]>()) };
    unsafe {
        let usable = walloc::usable_size(block);
        *block.add(usable) ^= 0xFF;
        ALLOCATOR.dealloc(block, Layout::new::<[u8; 40]>());
    }
    block as usize
}

static mut ERROR: [u8; 160] = [0; 160];

/// Copies walloc's last error message into a buffer the host reads at `error_text()`, and
/// returns its length. A trapped module's exports stay callable, so the host calls this after
/// catching the trap.
#[no_mangle]
pub extern "C" fn fetch_error() -> usize {
    let text = walloc::last_error();
    let buffer = unsafe { &mut *std::ptr::addr_of_mut!(ERROR) };
    buffer[..text.len()].copy_from_slice(text.as_bytes());
    text.len()
}

/// Where `fetch_error` leaves the message.
#[no_mangle]
pub extern "C" fn error_text() -> *const u8 {
    std::ptr::addr_of!(ERROR) as *const u8
}
