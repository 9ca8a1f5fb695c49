//! Fuzzes the Matroska/WebM demuxer through `harness/mkv_demux.rs`: one
//! push and several chunkings must agree, and every frame must belong to a
//! listed track. Must never crash, hang or allocate beyond its limits.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness/mkv_demux.rs"]
mod harness;

fuzz_target!(|data: &[u8]| {
    harness::fuzz_entry(data);
});
