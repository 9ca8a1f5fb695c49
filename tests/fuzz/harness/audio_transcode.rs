//! The `audio_transcode` fuzz harness: streamed audio transcoding (the
//! decoder fed in pieces of every size, the read-ahead window, the M4A
//! whole-input switch, conversion, every encoder and container writer) on
//! arbitrary bytes, with the transcoder's promises. Written against
//! framecast's public API; the fuzz target and tests/audio_transcode.rs
//! include this file.

use framecast::preset::Preset;
use framecast::transcode::audio::OPEN_AHEAD;
use framecast::transcode::{AudioTranscodeOptions, AudioTranscoder, TranscodeError};

/// The `audio_transcode` fuzz target's body: the first byte picks the
/// output and the size of the pieces the rest is pushed in. Checks the
/// transcoder's promises: no panic, input held past the decoder bounded,
/// refusal after an error, output sizes consistent. Returns whether the
/// transcode succeeded.
pub fn fuzz_entry(data: &[u8]) -> bool {
    let Some((&control, input)) = data.split_first() else { return false };
    let outputs = [
        r#"{"name":"a","container":"mp4","audio":{"codec":"AAC","bitRate":64,"channels":1}}"#,
        r#"{"name":"o","container":"ogg","audio":{"codec":"opus","bitRate":32,"channels":1}}"#,
        r#"{"name":"f","container":"flac","audio":{"codec":"flac","sampleRate":22050}}"#,
        r#"{"name":"w","container":"wav","audio":{"codec":"pcm","sampleRate":22050,"channels":1}}"#,
    ];
    let preset = Preset::from_json(outputs[usize::from(control & 3)]).expect("the fuzz presets are valid");
    let mut options = AudioTranscodeOptions::new(preset);
    options.decode.max_bad_packets = 8;
    let Ok(mut t) = AudioTranscoder::new(options) else { return false };
    let piece = 1 + (usize::from(control >> 2) << 10);
    let mut out = 0u64;
    for chunk in input.chunks(piece) {
        if t.push(chunk).is_err() {
            assert!(matches!(t.push(&[0]), Err(TranscodeError::Failed)));
            return false;
        }
        let p = t.progress();
        assert!(p.buffering_whole_input || p.input_bytes - p.read_bytes <= (OPEN_AHEAD + piece) as u64);
        out += t.take_output().len() as u64;
    }
    match t.finish() {
        Ok(summary) => {
            out += t.take_output().len() as u64;
            assert_eq!(summary.output_bytes, out);
            assert!(summary.frames > 0);
            true
        }
        Err(_) => {
            assert!(matches!(t.finish(), Err(TranscodeError::Failed)));
            false
        }
    }
}
