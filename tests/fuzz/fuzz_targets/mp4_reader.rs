//! Fuzzes the MP4 reader: whole-file parsing (progressive and fragmented),
//! init segments, media segments and upload validation, all through
//! `reader::fuzz_entry`, which also checks the sample iterators'
//! invariants. Must never crash, hang or allocate beyond the input's size.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    framecast::mux::reader::fuzz_entry(data);
});
