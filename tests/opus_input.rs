//! Opus input: Ogg Opus and a WebM's Opus track decode through framecast's
//! Opus decoder to exactly the samples ffmpeg decodes (pre-skip and end
//! trimmed), and transcode to AAC in MP4 with the input's duration.

mod common;

use std::path::Path;
use std::process::Command;

use framecast::decode::{AudioDecoder, DecodeOptions, SourceCodec, SourceContainer};
use framecast::preset::Preset;
use framecast::transcode::{AudioTranscodeOptions, AudioTranscoder};

/// 1.37 s of a stereo 440/660 Hz tone at 48 kHz as `name`, with `args`.
fn make(name: &str, args: &[&str]) -> std::path::PathBuf {
    let mut all = vec!["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1.37"];
    all.extend(["-f", "lavfi", "-i", "sine=frequency=660:sample_rate=48000:duration=1.37"]);
    all.extend(["-filter_complex", "[0:a][1:a]amerge=inputs=2[a]", "-map", "[a]"]);
    all.extend(args);
    common::ffmpeg_output(name, &all)
}

/// Seconds of the first audio stream, as ffprobe reports it.
fn probe_duration(file: &Path) -> f64 {
    let out = common::ffprobe(&["-select_streams", "a:0", "-show_entries", "stream=duration", "-of", "csv=p=0"], file);
    out.trim().parse().unwrap_or_else(|_| panic!("{}: duration {out:?}", file.display()))
}

/// Our decoder's frame count equals ffmpeg's, and the decoder says Opus;
/// returns the decoded duration in seconds.
fn decodes_like_ffmpeg(file: &Path, container: SourceContainer) -> f64 {
    let data = std::fs::read(file).unwrap();
    let mut d = AudioDecoder::from_bytes(&data, &DecodeOptions::default()).unwrap();
    assert_eq!((d.info().codec, d.info().container), (SourceCodec::Opus, container));
    assert_eq!(d.info().layout.channels(), 2);
    let mut frames = 0;
    let mut peak = 0f32;
    while let Some(chunk) = d.next_chunk().unwrap() {
        frames += chunk.frames();
        peak = chunk.samples().iter().fold(peak, |p, s| p.max(s.abs()));
    }
    let (theirs, stderr) = common::ffmpeg_f32(file, &[]);
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(frames, theirs.len() / 2, "{}: frames", file.display());
    assert!(peak > 0.05, "the tone is there (peak {peak})");
    assert_eq!(d.stats().bad_packets, 0);
    frames as f64 / 48_000.0
}

/// Transcodes `file` pushed in 4 KB pieces to AAC in MP4; ffprobe gives
/// the input's duration (`want`, seconds, as ffmpeg decodes it) within one
/// AAC frame, and ffmpeg decodes the output without a message.
fn transcodes_to_aac(file: &Path, want: f64) {
    let json = r#"{"name":"aac mp4","container":"mp4","audio":{"codec":"AAC","bitRate":128,"sampleRate":48000}}"#;
    let mut t = AudioTranscoder::new(AudioTranscodeOptions::new(Preset::from_json(json).unwrap())).unwrap();
    let mut out = Vec::new();
    for piece in std::fs::read(file).unwrap().chunks(4096) {
        t.push(piece).unwrap();
        out.extend(t.take_output());
    }
    let summary = t.finish().unwrap();
    out.extend(t.take_output());
    assert_eq!(summary.input.codec, SourceCodec::Opus);
    let out_path = file.with_extension("aac.m4a");
    std::fs::write(&out_path, &out).unwrap();
    let got = probe_duration(&out_path);
    assert!((got - want).abs() <= 1024.0 / 48_000.0, "{}: {got} s, input {want} s", out_path.display());
    let codec = common::ffprobe(&["-show_entries", "stream=codec_name", "-of", "csv=p=0"], &out_path);
    assert_eq!(codec.trim(), "aac");
    let decode = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(&out_path)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(decode.status.success() && decode.stderr.is_empty(), "{}", String::from_utf8_lossy(&decode.stderr));
}

#[test]
fn ogg_opus_decodes_and_transcodes() {
    let file = make("opus_input.opus", &["-c:a", "libopus", "-b:a", "96k", "-f", "ogg"]);
    let seconds = decodes_like_ffmpeg(&file, SourceContainer::Ogg);
    // Exactly the 1.37 s encoded: the pre-skip and the end padding are
    // trimmed (ffprobe's stream duration of an .opus counts the pre-skip).
    assert!((seconds - 1.37).abs() < 1e-6, "{seconds} s");
    transcodes_to_aac(&file, seconds);
}

#[test]
fn webm_opus_track_decodes_and_transcodes() {
    let mut args = vec!["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=1.37"];
    args.extend(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1.37"]);
    args.extend(["-f", "lavfi", "-i", "sine=frequency=660:sample_rate=48000:duration=1.37"]);
    args.extend(["-filter_complex", "[1:a][2:a]amerge=inputs=2[a]", "-map", "0:v", "-map", "[a]"]);
    args.extend(["-c:v", "libvpx", "-c:a", "libopus", "-f", "webm"]);
    let file = common::ffmpeg_output("opus_input.webm", &args);
    let seconds = decodes_like_ffmpeg(&file, SourceContainer::Matroska);
    transcodes_to_aac(&file, seconds);
}
