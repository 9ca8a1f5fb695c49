//! The `audio_decode` fuzz harness: container probing and parsing, the
//! codecs, MP4 edit lists and the conversion chain on arbitrary bytes, with
//! the decoder's promises. Written against framecast's public API; the fuzz
//! target and tests/audio_decode.rs include this file.

use framecast::audio::{AudioConverter, ChannelLayout, ConvertOptions, SampleRate};
use framecast::decode::audio::MAX_FRAMES_PER_PACKET;
use framecast::decode::{AudioDecoder, DecodeOptions};

/// Decodes arbitrary `data` and checks what decoding promises; for the
/// `audio_decode` fuzz target and the corpus replay in tests/audio_decode.rs.
/// Panics only if a promise is broken: a chunk in another format than
/// `AudioDecoder::info` says, timestamps that are not contiguous, output
/// after an error. Stops after 2^20 samples. The first chunks also go
/// through an `AudioConverter` to 48 kHz stereo.
pub fn fuzz_entry(data: &[u8]) {
    let Ok(mut dec) = AudioDecoder::from_bytes(data, &DecodeOptions::default()) else { return };
    let info = dec.info().clone();
    let options = ConvertOptions::new(SampleRate::HZ_48000, ChannelLayout::Stereo);
    let mut converter = AudioConverter::new(info.sample_rate, info.layout, &options).ok();
    let (mut samples, mut pts) = (0usize, 0i64);
    while samples < 1 << 20 {
        match dec.next_chunk() {
            Ok(Some(chunk)) => {
                assert_eq!((chunk.rate(), chunk.layout(), chunk.pts()), (info.sample_rate, info.layout, pts));
                assert!(chunk.frames() as u64 <= MAX_FRAMES_PER_PACKET);
                pts = chunk.end_pts();
                samples += chunk.samples().len();
                if let Some(c) = converter.as_mut().filter(|_| samples < 1 << 16) {
                    c.process(&chunk).expect("the converter takes the decoder's chunks");
                }
            }
            Ok(None) => break,
            Err(_) => {
                assert_eq!(dec.next_chunk(), Ok(None));
                break;
            }
        }
    }
    assert_eq!(dec.stats().frames, pts as u64);
    if let Some(c) = converter.as_mut() {
        let _ = c.flush();
    }
}
