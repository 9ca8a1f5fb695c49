//! Fuzzes the job reader: arbitrary bytes as job JSON through reading,
//! validation, resolution and the status model, via `harness/job_json.rs`.
//! Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness/job_json.rs"]
mod harness;

fuzz_target!(|data: &[u8]| {
    harness::fuzz_entry(data);
});
