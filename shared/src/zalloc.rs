//! A global allocator that wipes memory when it is freed.
//!
//! Secret values pass through buffers the core does not own: reqwest and
//! hyper request buffers (a provider token in an `Authorization` header),
//! serde_json strings (a value typed into the UI), D-Bus messages (the master
//! key), bincode and frame buffers. Those are freed without being cleared,
//! and freed heap memory keeps its bytes until reused, where a memory
//! disclosure (or a core file, were one ever written) would find them.
//! Every process of the core uses this allocator, so every freed block is
//! zeroed first — the same guarantee `zeroize` gives our own types, extended
//! to every crate's buffers. Live buffers still hold what they hold; the
//! code drops secret-bearing state as soon as an operation ends.
//!
//! `realloc` is a fresh allocation, a copy and a wiped free: growing a buffer
//! in place would be faster but could leave the old tail behind when the
//! block moves.

use std::alloc::{GlobalAlloc, Layout, System};

use zeroize::Zeroize;

/// Zeroes every block before handing it back to the system allocator.
pub struct ZeroizingAlloc;

// SAFETY: every method forwards to `System` with the same layout contract;
// the only addition is wiping a block we own (between its allocation and its
// release) with volatile writes.
unsafe impl GlobalAlloc for ZeroizingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` is a live block of `layout.size()` bytes we allocated.
        unsafe {
            std::slice::from_raw_parts_mut(ptr, layout.size()).zeroize();
            System.dealloc(ptr, layout);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return std::ptr::null_mut();
        };
        // SAFETY: `new_layout` is valid and non-zero-sized (realloc's contract).
        let new = unsafe { System.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are live, distinct, and at least this long.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_round_trip_and_grow_with_their_contents() {
        let a = ZeroizingAlloc;
        let layout = Layout::from_size_align(64, 8).unwrap();
        // SAFETY: a valid layout; the block is used within its size and freed once.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            std::ptr::write_bytes(p, 0xAB, 64);
            let q = a.realloc(p, layout, 256);
            assert!(!q.is_null());
            assert!(std::slice::from_raw_parts(q, 64).iter().all(|b| *b == 0xAB));
            a.dealloc(q, Layout::from_size_align(256, 8).unwrap());
        }
    }
}
