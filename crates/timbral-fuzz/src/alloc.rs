//! A global allocator that counts live heap bytes and their peak, so the campaign can report
//! the most memory one input took and refuse an input that would take more than a limit.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Wraps the system allocator; install with `#[global_allocator]`.
pub struct PeakAlloc {
    live: AtomicUsize,
    peak: AtomicUsize,
    limit: AtomicUsize,
}

impl PeakAlloc {
    pub const fn new() -> PeakAlloc {
        PeakAlloc { live: AtomicUsize::new(0), peak: AtomicUsize::new(0), limit: AtomicUsize::new(usize::MAX) }
    }

    /// Starts a new peak measurement from the bytes live now.
    pub fn reset_peak(&self) {
        self.peak.store(self.live.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    pub fn live(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    /// Live bytes past which an allocation fails (and the process aborts, naming its size).
    pub fn set_limit(&self, bytes: usize) {
        self.limit.store(bytes, Ordering::Relaxed);
    }
}

impl Default for PeakAlloc {
    fn default() -> Self {
        PeakAlloc::new()
    }
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = self.live.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        if live > self.limit.load(Ordering::Relaxed) {
            self.live.fetch_sub(layout.size(), Ordering::Relaxed);
            return std::ptr::null_mut();
        }
        self.peak.fetch_max(live, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.live.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let grow = new_size - layout.size();
            let live = self.live.fetch_add(grow, Ordering::Relaxed) + grow;
            if live > self.limit.load(Ordering::Relaxed) {
                self.live.fetch_sub(grow, Ordering::Relaxed);
                return std::ptr::null_mut();
            }
            self.peak.fetch_max(live, Ordering::Relaxed);
        } else {
            self.live.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract for `realloc` is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
