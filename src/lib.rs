//! framecast: a Rust media SDK that runs natively and in WebAssembly.
//!
//! The core (everything but `web`) is plain Rust: time units, frames, the
//! H.264 codec. It builds and tests natively and runs unchanged in the
//! browser, in edge workers and in the reference server. The `web` module
//! holds the wasm-bindgen bindings and is compiled for `wasm32` only.

pub mod audio;
pub mod codec;
#[cfg(feature = "decode")]
pub mod decode;
pub mod encode;
pub mod error;
pub mod frame;
pub mod ingest;
pub mod job;
pub mod mux;
pub mod playlist;
pub mod preset;
#[cfg(feature = "publish")]
pub mod publish;
pub mod registry;
pub mod time;
#[cfg(feature = "transcode")]
pub mod transcode;
pub mod video;

mod sys;
#[cfg(any(test, feature = "publish"))]
mod xorshift;

#[cfg(target_arch = "wasm32")]
pub mod web;

// Unit tests include the fuzz harnesses of tests/fuzz/harness, which are
// written against the public API as `framecast::...`.
#[cfg(test)]
extern crate self as framecast;
