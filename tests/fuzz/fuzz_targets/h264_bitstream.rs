//! Fuzz target for the H.264 bitstream helpers (Annex B / length-prefixed framing, RBSP,
//! SPS and avcC parsing); all checks live in `harness/h264_bitstream.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness/h264_bitstream.rs"]
mod harness;

fuzz_target!(|data: &[u8]| {
    harness::fuzz_entry(data);
});
