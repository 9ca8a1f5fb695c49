//! Platform support for the C/C++ code that framecast links (OpenH264 and
//! FDK AAC's encoder).
//!
//! Native builds use the system C library and need nothing from here. The
//! `wasm32-unknown-unknown` build links wasi-libc for string, math and
//! formatting routines, and this module supplies the handful of system
//! calls and the allocator it expects, so the final module has no WASI
//! imports at all.

#[cfg(all(target_arch = "wasm32", any(feature = "h264", feature = "aac")))]
mod wasm;

#[cfg(all(target_arch = "wasm32", any(feature = "h264", feature = "aac")))]
pub use wasm::set_stdio_sink;

#[cfg(all(target_arch = "wasm32", any(feature = "h264", feature = "aac")))]
/// Receives text that the C code writes to stdout (`fd == 1`) or stderr
/// (`fd == 2`), one call per write.
pub type StdioSink = fn(fd: u32, text: &str);
