//! Fuzzes streamed audio transcoding: the decoder fed in pieces of every
//! size (the read-ahead window, the M4A whole-input switch), conversion,
//! every encoder and container writer, through
//! `transcode::audio::fuzz_entry`, which checks the transcoder's promises.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = framecast::transcode::audio::fuzz_entry(data);
});
