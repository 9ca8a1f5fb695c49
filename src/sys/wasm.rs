//! WASI system calls and the C allocator for the wasm32 build, in Rust.
//!
//! wasi-libc reaches the host through functions named
//! `__imported_wasi_snapshot_preview1_*`. Defining them here resolves them at
//! link time, so no `wasi_snapshot_preview1` import is left in the module.
//! Only the calls that the linked C code can reach are defined; the
//! import-list test fails if a new one appears.
//!
//! `malloc` and friends are routed to Rust's global allocator so that one
//! allocator owns the linear memory.

use std::alloc::{alloc, dealloc, realloc as rust_realloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::StdioSink;

// WASI errno values (wasi_snapshot_preview1).
const ERRNO_SUCCESS: i32 = 0;
const ERRNO_BADF: i32 = 8;
const ERRNO_INVAL: i32 = 28;
const ERRNO_NOSYS: i32 = 52;
const ERRNO_SPIPE: i32 = 70;

static SINK: AtomicUsize = AtomicUsize::new(0);

/// Routes what C code prints to stdout/stderr to `sink` (default: dropped).
pub fn set_stdio_sink(sink: StdioSink) {
    SINK.store(sink as usize, Ordering::Relaxed);
}

fn sink() -> Option<StdioSink> {
    let raw = SINK.load(Ordering::Relaxed);
    // SAFETY: SINK only ever holds 0 or a value stored from a `StdioSink`.
    (raw != 0).then(|| unsafe { std::mem::transmute::<usize, StdioSink>(raw) })
}

thread_local! {
    static LAST_NS: Cell<u64> = const { Cell::new(0) };
}

/// Wall-clock time in nanoseconds from `Date.now()`, forced to increase
/// strictly so that code measuring elapsed time never sees zero or negative
/// steps, even where the host freezes the clock (edge workers).
fn now_ns() -> u64 {
    let wall = (js_sys::Date::now().max(0.0) * 1_000_000.0) as u64;
    LAST_NS.with(|last| {
        let t = wall.max(last.get() + 1);
        last.set(t);
        t
    })
}

/// `clock_time_get(id, precision, *time) -> errno`: every clock reads the
/// same wall clock.
#[no_mangle]
unsafe extern "C" fn __imported_wasi_snapshot_preview1_clock_time_get(_id: i32, _precision: i64, out: i32) -> i32 {
    if out == 0 {
        return ERRNO_INVAL;
    }
    (out as usize as *mut u64).write_unaligned(now_ns());
    ERRNO_SUCCESS
}

/// `fd_write(fd, *iovs, iovs_len, *nwritten) -> errno`: stdout and stderr go
/// to the sink set with [`set_stdio_sink`]; other descriptors do not exist.
#[no_mangle]
unsafe extern "C" fn __imported_wasi_snapshot_preview1_fd_write(fd: i32, iovs: i32, len: i32, nwritten: i32) -> i32 {
    if fd != 1 && fd != 2 {
        return ERRNO_BADF;
    }
    let mut total: u32 = 0;
    let mut text = Vec::new();
    for i in 0..len.max(0) as usize {
        let iov = (iovs as usize as *const u32).add(i * 2);
        let (buf, n) = (iov.read_unaligned(), iov.add(1).read_unaligned());
        text.extend_from_slice(std::slice::from_raw_parts(buf as usize as *const u8, n as usize));
        total = total.wrapping_add(n);
    }
    if let Some(sink) = sink() {
        sink(fd as u32, &String::from_utf8_lossy(&text));
    }
    if nwritten != 0 {
        (nwritten as usize as *mut u32).write_unaligned(total);
    }
    ERRNO_SUCCESS
}

/// `fd_read(fd, *iovs, iovs_len, *nread) -> errno`: reached through stdio's
/// read path, which FDK AAC's file helpers link (`FDKfread`); there is
/// nothing to read.
#[no_mangle]
extern "C" fn __imported_wasi_snapshot_preview1_fd_read(_fd: i32, _iovs: i32, _len: i32, _nread: i32) -> i32 {
    ERRNO_BADF
}

/// `fd_close(fd) -> errno`: there are no files to close.
#[no_mangle]
extern "C" fn __imported_wasi_snapshot_preview1_fd_close(_fd: i32) -> i32 {
    ERRNO_BADF
}

/// `fd_seek(fd, offset, whence, *newoffset) -> errno`: stdio cannot seek.
#[no_mangle]
extern "C" fn __imported_wasi_snapshot_preview1_fd_seek(_fd: i32, _off: i64, _whence: i32, _out: i32) -> i32 {
    ERRNO_SPIPE
}

/// `fd_fdstat_get(fd, *stat) -> errno`: asked by stdio to decide buffering.
#[no_mangle]
extern "C" fn __imported_wasi_snapshot_preview1_fd_fdstat_get(_fd: i32, _out: i32) -> i32 {
    ERRNO_BADF
}

/// `poll_oneoff`: reached by `usleep`; there is nothing to wait for.
#[no_mangle]
extern "C" fn __imported_wasi_snapshot_preview1_poll_oneoff(_a: i32, _b: i32, _c: i32, _d: i32) -> i32 {
    ERRNO_NOSYS
}

/// `proc_exit(code)`: reached by `exit`/`abort`; a wasm module cannot exit,
/// so it traps.
#[no_mangle]
extern "C" fn __imported_wasi_snapshot_preview1_proc_exit(_code: i32) -> ! {
    std::process::abort()
}

// --- C allocator over Rust's global allocator -------------------------------
//
// Every block carries a 16-byte header just before the pointer handed to C:
// the usable size and the alignment, so that free/realloc can rebuild the
// Layout.

const HEADER: usize = 16;
const MIN_ALIGN: usize = 16;

unsafe fn c_alloc(size: usize, align: usize, zeroed: bool) -> *mut u8 {
    let align = align.max(MIN_ALIGN);
    let offset = align.max(HEADER);
    let Some(total) = size.checked_add(offset) else { return std::ptr::null_mut() };
    let Ok(layout) = Layout::from_size_align(total, align) else { return std::ptr::null_mut() };
    let base = if zeroed { std::alloc::alloc_zeroed(layout) } else { alloc(layout) };
    if base.is_null() {
        return base;
    }
    let user = base.add(offset);
    (user.sub(HEADER) as *mut usize).write(size);
    (user.sub(HEADER - 4) as *mut usize).write(align);
    user
}

unsafe fn header(user: *mut u8) -> (usize, usize) {
    ((user.sub(HEADER) as *const usize).read(), (user.sub(HEADER - 4) as *const usize).read())
}

unsafe fn layout_of(user: *mut u8) -> (*mut u8, Layout) {
    let (size, align) = header(user);
    let offset = align.max(HEADER);
    (user.sub(offset), Layout::from_size_align_unchecked(size + offset, align))
}

#[no_mangle]
unsafe extern "C" fn malloc(size: usize) -> *mut u8 {
    c_alloc(size, MIN_ALIGN, false)
}

#[no_mangle]
unsafe extern "C" fn calloc(n: usize, size: usize) -> *mut u8 {
    match n.checked_mul(size) {
        Some(total) => c_alloc(total, MIN_ALIGN, true),
        None => std::ptr::null_mut(),
    }
}

#[no_mangle]
unsafe extern "C" fn free(user: *mut u8) {
    if !user.is_null() {
        let (base, layout) = layout_of(user);
        dealloc(base, layout);
    }
}

#[no_mangle]
unsafe extern "C" fn realloc(user: *mut u8, size: usize) -> *mut u8 {
    if user.is_null() {
        return malloc(size);
    }
    let (_, align) = header(user);
    if align != MIN_ALIGN {
        // Over-aligned blocks keep their alignment by copying.
        let new = c_alloc(size, align, false);
        if !new.is_null() {
            std::ptr::copy_nonoverlapping(user, new, header(user).0.min(size));
            free(user);
        }
        return new;
    }
    let (base, layout) = layout_of(user);
    let Some(total) = size.checked_add(HEADER) else { return std::ptr::null_mut() };
    let new_base = rust_realloc(base, layout, total);
    if new_base.is_null() {
        return new_base;
    }
    let new_user = new_base.add(HEADER);
    (new_user.sub(HEADER) as *mut usize).write(size);
    new_user
}

#[no_mangle]
unsafe extern "C" fn aligned_alloc(align: usize, size: usize) -> *mut u8 {
    if !align.is_power_of_two() {
        return std::ptr::null_mut();
    }
    c_alloc(size, align, false)
}

#[no_mangle]
unsafe extern "C" fn posix_memalign(out: *mut *mut u8, align: usize, size: usize) -> i32 {
    if !align.is_power_of_two() || align < std::mem::size_of::<usize>() {
        return 28; // EINVAL
    }
    let p = c_alloc(size, align, false);
    if p.is_null() {
        return 48; // ENOMEM
    }
    *out = p;
    0
}
