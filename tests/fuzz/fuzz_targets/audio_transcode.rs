//! Fuzzes streamed audio transcoding: the decoder fed in pieces of every
//! size (the read-ahead window, the M4A whole-input switch), conversion,
//! every encoder and container writer, through
//! `harness/audio_transcode.rs`, which checks the transcoder's promises.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness/audio_transcode.rs"]
mod harness;

fuzz_target!(|data: &[u8]| {
    let _ = harness::fuzz_entry(data);
});
