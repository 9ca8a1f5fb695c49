//! Fuzzes the MP4 reader: whole-file parsing (progressive and fragmented),
//! init segments, media segments and upload validation, all through
//! `harness/mp4_reader.rs`, which also checks the sample iterators'
//! invariants. Must never crash, hang or allocate beyond the input's size.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness/mp4_reader.rs"]
mod harness;

fuzz_target!(|data: &[u8]| {
    harness::fuzz_entry(data);
});
