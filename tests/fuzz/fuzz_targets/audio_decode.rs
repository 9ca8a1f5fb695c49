//! Fuzzes the audio decoder: container probing and parsing (WAV, AIFF,
//! CAF, MP4 with our edit-list scan, Matroska, Ogg, FLAC, MP3, ADTS), the
//! codecs behind them and the conversion chain, through
//! `harness/audio_decode.rs`, which checks the decoder's promises. Must
//! never crash, hang or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness/audio_decode.rs"]
mod harness;

fuzz_target!(|data: &[u8]| {
    harness::fuzz_entry(data);
});
