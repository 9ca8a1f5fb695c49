//! Fuzzes the MPEG-TS demuxer: arbitrary bytes pushed in pieces of 1 to
//! 256 bytes, the invariants of its units, and the units muxed again,
//! through `harness/ts_demux.rs`. Must never crash, hang or allocate beyond
//! its bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness/ts_demux.rs"]
mod harness;

fuzz_target!(|data: &[u8]| {
    harness::fuzz_entry(data);
});
