//! The smallest useful program on walloc: a wasm module that counts the distinct words of a text
//! its JavaScript host hands in. Build and run it with `make rust-example` (see README.md).
use std::collections::HashMap;

#[global_allocator]
static ALLOCATOR: walloc::Walloc = walloc::Walloc;

/// Gives the host a buffer of `length` bytes to write the text into.
#[no_mangle]
pub extern "C" fn text_buffer(length: usize) -> *mut u8 {
    Box::leak(vec![0u8; length].into_boxed_slice()).as_mut_ptr()
}

/// Counts the distinct words of the text in the buffer, frees the buffer, and returns the count,
/// or -1 when walloc's heap check fails afterwards.
#[no_mangle]
pub extern "C" fn distinct_words(text: *mut u8, length: usize) -> i32 {
    let bytes = unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(text, length)) };
    let mut counts: HashMap<String, usize> = HashMap::new();
    for word in String::from_utf8_lossy(&bytes).split(|c: char| !c.is_alphanumeric()) {
        if !word.is_empty() {
            *counts.entry(word.to_lowercase()).or_default() += 1;
        }
    }
    let distinct = counts.len() as i32;
    drop(counts);
    drop(bytes);
    if walloc::check().is_err() {
        return -1;
    }
    distinct
}

/// Bytes of live blocks in walloc's heap: 0 once everything above is freed.
#[no_mangle]
pub extern "C" fn live_bytes() -> usize {
    walloc::stats().live_bytes
}
