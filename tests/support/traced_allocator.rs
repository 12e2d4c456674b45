//! A global allocator whose `alloc` and `dealloc` are traced, for the tests
//! that the machinery's own allocations run untraced. A test binary that
//! includes this module has it as its global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use otel_runtime::traced;

struct TracedAllocator;

static DEALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for TracedAllocator {
    #[traced]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }

    #[traced(skip(ptr))]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        DEALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: TracedAllocator = TracedAllocator;

/// How many deallocations the process has made so far.
pub fn deallocations() -> usize {
    DEALLOCS.load(Ordering::Relaxed)
}
