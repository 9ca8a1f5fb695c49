//! Fuzz target for the H.264 bitstream helpers (Annex B / length-prefixed framing, RBSP,
//! SPS and avcC parsing); all checks live in `bitstream::fuzz_entry`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    framecast::codec::h264::bitstream::fuzz_entry(data);
});
