//! `framecast::transcode` end to end: inputs ffmpeg makes from a known
//! signal go through [`AudioTranscoder`] to every output format, and
//! ffprobe and ffmpeg (not framecast) read the results back.
//!
//! The source is 3 s of 44.1 kHz stereo 16-bit: a log sweep 60 Hz - 10 kHz
//! at -6 dBFS on the left, a 440 Hz tone at -10 dBFS on the right, kept
//! below every lossy encoder's low-pass at the rates used. Outputs are
//! compared with ffmpeg's own resampling of the source at lag 0: gapless
//! trimming (edit lists, Ogg pre-skip) must put every sample back where
//! it was, or the SNR collapses.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use framecast::error::Coded;
use framecast::mux::wav::wav_header;
use framecast::preset::Preset;
use framecast::transcode::{
    transcode_audio, transcode_audio_bytes, AudioTranscodeOptions, AudioTranscoder, TranscodeError, READ_AHEAD,
};

// The fuzz harness: the transcoder's promises on any input.
#[path = "fuzz/harness/audio_transcode.rs"]
mod harness;

const RATE: u32 = 44_100;
const SECONDS: f64 = 3.0;

fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = common::testdata_dir().join("transcode");
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

/// Interleaved stereo source samples, `seconds` long.
fn signal(seconds: f64) -> Vec<i16> {
    let n = (seconds * f64::from(RATE)) as usize;
    let pi2 = 2.0 * std::f64::consts::PI;
    let k = (10_000.0f64 / 60.0).ln() / seconds;
    (0..n)
        .flat_map(|i| {
            let t = i as f64 / f64::from(RATE);
            let left = 0.5 * (pi2 * 60.0 * ((k * t).exp() - 1.0) / k).sin();
            let right = 0.316 * (pi2 * 440.0 * t).sin();
            [(left * 32767.0).round() as i16, (right * 32767.0).round() as i16]
        })
        .collect()
}

/// A WAV file of `signal(seconds)`, written once.
fn source(seconds: f64) -> PathBuf {
    let path = dir().join(format!("source-{seconds}s.wav"));
    if !path.exists() {
        let pcm = signal(seconds);
        let mut bytes = wav_header(RATE, 2, 16, Some((pcm.len() / 2) as u64));
        bytes.extend(pcm.iter().flat_map(|s| s.to_le_bytes()));
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
    }
    path
}

/// The source encoded by ffmpeg with `args` into `name`, made once.
fn input(name: &str, args: &[&str]) -> PathBuf {
    let source = source(SECONDS);
    let mut all = vec!["-i", source.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    common::ffmpeg_make(dir(), name, &all)
}

/// ffmpeg's decode of `file` as interleaved f32 at `rate` Hz, 2 channels.
fn ffmpeg_f32(file: &Path, rate: u32) -> Vec<f32> {
    common::ffmpeg_f32(file, &["-ac", "2", "-ar", &rate.to_string()]).0
}

/// SNR (dB) of channel `c` of `got` against `want`, at lag 0, skipping the
/// first and last 50 ms.
fn snr_db(want: &[f32], got: &[f32], c: usize, rate: u32) -> f64 {
    let edge = (rate / 20) as usize * 2;
    let (mut s, mut e) = (0.0f64, 0.0f64);
    for i in (edge + c..want.len().saturating_sub(edge)).step_by(2) {
        let g = got.get(i).copied().unwrap_or(0.0);
        s += f64::from(want[i]).powi(2);
        e += f64::from(g - want[i]).powi(2);
    }
    10.0 * (s / e.max(1e-30)).log10()
}

/// A xorshift32 sequence from `seed` (non-zero), for reproducible damage.
fn xorshift(mut seed: u32) -> impl FnMut() -> usize {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as usize
    }
}

fn preset(json: &str) -> Preset {
    Preset::from_json(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

/// The output presets, with the ffprobe codec name, rate, extension and the
/// SNR floor against the source (see `outputs_of_a_lossless_input`).
const OUTPUTS: &[(&str, &str, u32, &str, f64)] = &[
    (
        r#"{"name":"aac mp4","container":"mp4","audio":{"codec":"AAC","bitRate":128,"sampleRate":48000}}"#,
        "aac",
        48_000,
        "m4a",
        30.0,
    ),
    (
        r#"{"name":"aac fmp4","container":"fmp4","audio":{"codec":"AAC","bitRate":128,"sampleRate":48000}}"#,
        "aac",
        48_000,
        "mp4",
        30.0,
    ),
    (r#"{"name":"opus ogg","container":"ogg","audio":{"codec":"opus","bitRate":128}}"#, "opus", 48_000, "opus", 18.0),
    (r#"{"name":"opus fmp4","container":"fmp4","audio":{"codec":"opus","bitRate":128}}"#, "opus", 48_000, "mp4", 18.0),
    (r#"{"name":"flac","container":"flac","audio":{"codec":"flac"}}"#, "flac", 44_100, "flac", 60.0),
    (
        r#"{"name":"flac mp4","container":"mp4","audio":{"codec":"flac","sampleRate":48000}}"#,
        "flac",
        48_000,
        "m4a",
        40.0,
    ),
    (
        r#"{"name":"wav","container":"wav","audio":{"codec":"pcm","codecOptions":{"bitDepth":24}}}"#,
        "pcm_s24le",
        44_100,
        "wav",
        60.0,
    ),
];

/// Transcodes `file` streamed from disk, writes the result, checks it with
/// ffprobe (codec, rate, channels, duration within one codec frame) and
/// returns its path and the samples ffmpeg decodes before the input's
/// first.
fn transcode_file(file: &Path, preset_json: &str, codec: &str, rate: u32, ext: &str) -> (PathBuf, usize) {
    let name = file.file_name().unwrap().to_string_lossy().replace('.', "_");
    let out_path = dir().join(format!("out-{name}-{}.{ext}", preset(preset_json).name.replace(' ', "-")));
    let mut out = std::fs::File::create(&out_path).unwrap();
    let mut fractions = Vec::new();
    let summary = transcode_audio(
        std::fs::File::open(file).unwrap(),
        &mut out,
        AudioTranscodeOptions::new(preset(preset_json)),
        |p| fractions.push(p.fraction()),
    )
    .unwrap_or_else(|e| panic!("{} -> {preset_json}: {e}", file.display()));
    drop(out);
    assert_eq!((summary.sample_rate, summary.channels), (rate, 2));
    assert_eq!(summary.output_bytes, std::fs::metadata(&out_path).unwrap().len());
    let expected = (SECONDS * f64::from(rate)).round() as u64;
    assert!(summary.frames.abs_diff(expected) <= 1, "{}: {} frames presented", out_path.display(), summary.frames);
    let probe = common::ffprobe(
        &["-show_entries", "stream=codec_name,sample_rate,channels:format=duration", "-of", "default=nw=1"],
        &out_path,
    );
    assert!(probe.contains(&format!("codec_name={codec}\n")), "{}: {probe}", out_path.display());
    assert!(
        probe.contains(&format!("sample_rate={rate}\n")) && probe.contains("channels=2\n"),
        "{}: {probe}",
        out_path.display()
    );
    // Duration within one codec frame (1024 AAC, 960 Opus; 20 ms covers
    // both at 48 kHz), from ffmpeg's decode rather than container fields.
    // ffmpeg ignores edit lists in fragmented MP4 (its own fMP4 output
    // has none and keeps the AAC priming too), so there it decodes the
    // priming first; Ogg and Opus's dOps pre-skip it trims.
    let lag = if ext == "mp4" && codec == "aac" { summary.priming as usize } else { 0 };
    let decoded = ffmpeg_f32(&out_path, rate).len() / 2;
    let frame = (rate / 50) as usize;
    assert!(
        decoded.abs_diff(expected as usize + lag) <= frame,
        "{}: ffmpeg decodes {decoded} frames, want {expected} + {lag}",
        out_path.display()
    );
    (out_path, lag)
}

#[test]
fn outputs_of_a_lossless_input() {
    // Floors: lossless outputs at the source rate are exact but for
    // 16-bit rounding (>= 60 dB); through framecast's resampler against
    // ffmpeg's, both near-transparent (>= 40 dB); AAC at 128 kbit/s
    // measures 59-60 dB on this simple signal (floor 30 dB, the issue's); Opus is a perceptual codec whose
    // waveform SNR is lower (24-29 dB measured at 128 kbit/s), the floor
    // still fails on misalignment (a one-sample lag on 10 kHz costs more).
    let src = source(SECONDS);
    let reference: Vec<Vec<f32>> = [44_100, 48_000].iter().map(|&r| ffmpeg_f32(&src, r)).collect();
    for &(json, codec, rate, ext, floor) in OUTPUTS {
        let (out, lag) = transcode_file(&src, json, codec, rate, ext);
        let got = ffmpeg_f32(&out, rate).split_off(lag * 2);
        let want = &reference[usize::from(rate == 48_000)];
        let (l, r) = (snr_db(want, &got, 0, rate), snr_db(want, &got, 1, rate));
        println!("{json}: SNR left {l:.1} dB, right {r:.1} dB");
        assert!(l >= floor && r >= floor, "{json}: SNR {l:.1} / {r:.1} dB, floor {floor}");
    }
}

#[test]
fn every_input_format_transcodes_to_aac() {
    // Inputs in every container and codec the decoder reads; the m4a files
    // come in both box orders (ffmpeg puts moov last unless faststart).
    let inputs: &[(&str, &[&str], f64)] = &[
        ("in.mp3", &["-c:a", "libmp3lame", "-b:a", "192k"], 22.0),
        ("in-aac.m4a", &["-c:a", "aac", "-b:a", "192k"], 25.0),
        ("in-aac-faststart.m4a", &["-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart"], 25.0),
        ("in-alac.m4a", &["-c:a", "alac"], 30.0),
        ("in.flac", &["-c:a", "flac"], 30.0),
        ("in-vorbis.ogg", &["-c:a", "libvorbis", "-q:a", "6"], 22.0),
        ("in-s16.wav", &["-c:a", "pcm_s16le"], 30.0),
        ("in-f32.caf", &["-c:a", "pcm_f32le"], 30.0),
        ("in.aiff", &["-c:a", "pcm_s16be"], 30.0),
        ("in-flac.mkv", &["-c:a", "flac"], 30.0),
    ];
    let (json, codec, rate, ext, _) = OUTPUTS[0];
    let want = ffmpeg_f32(&source(SECONDS), rate);
    for &(name, args, floor) in inputs {
        let file = input(name, args);
        let (out, _) = transcode_file(&file, json, codec, rate, ext);
        let got = ffmpeg_f32(&out, rate);
        let snr = snr_db(&want, &got, 0, rate).min(snr_db(&want, &got, 1, rate));
        println!("{name} -> AAC: SNR {snr:.1} dB");
        assert!(snr >= floor, "{name}: SNR {snr:.1} dB, floor {floor}");
    }
}

/// A long WAV streamed in small pieces: output comes out before the end,
/// the input held never exceeds the read-ahead window, and the result is
/// the same bytes as the whole-input path.
#[test]
fn long_inputs_stream_in_bounded_memory() {
    let src = std::fs::read(source(40.0)).unwrap(); // 7 MB
    let json = r#"{"name":"aac fmp4","container":"fmp4","audio":{"codec":"AAC","bitRate":128}}"#;
    let mut t = AudioTranscoder::new(AudioTranscodeOptions::new(preset(json))).unwrap();
    let mut out = Vec::new();
    let mut first_output_at = None;
    let mut last_fraction = 0.0;
    for piece in src.chunks(16 << 10) {
        t.push(piece).unwrap_or_else(|e| panic!("at {} bytes: {e}", t.progress().input_bytes));
        let p = t.progress();
        let held = p.input_bytes - p.read_bytes;
        assert!(held <= (READ_AHEAD + (2 << 20) + (80 << 10)) as u64, "holds {held} input bytes");
        assert!(!p.buffering_whole_input);
        if let Some(f) = p.fraction() {
            assert!(f >= last_fraction, "progress goes forward");
            last_fraction = f;
        }
        let ready = t.take_output();
        if !ready.is_empty() && first_output_at.is_none() {
            first_output_at = Some(p.input_bytes);
        }
        out.extend(ready);
    }
    let summary = t.finish().unwrap();
    out.extend(t.take_output());
    assert!(t.progress().fraction().unwrap() > 0.999, "{:?}", t.progress());
    assert!(first_output_at.unwrap() < src.len() as u64 / 2, "fragments come out while the input streams");
    assert!(summary.patches.is_empty());
    let (whole, _) = transcode_audio_bytes(&src, AudioTranscodeOptions::new(preset(json))).unwrap();
    assert!(out == whole, "streamed and whole-input transcodes agree");
    assert!(matches!(t.push(&[0]), Err(TranscodeError::Finished)));
}

#[test]
fn an_m4a_with_moov_last_is_kept_whole_then_decoded() {
    // 100 s at 320 kbit/s (4 MB), so that the decoder would open before
    // the moov arrives.
    let src = source(100.0);
    let m4a = dir().join("long-moov-last-100s.m4a");
    if !m4a.exists() {
        let st = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-i"])
            .arg(&src)
            .args(["-c:a", "aac", "-b:a", "320k"])
            .arg(&m4a)
            .status()
            .unwrap();
        assert!(st.success());
    }
    let bytes = std::fs::read(&m4a).unwrap();
    let json = OUTPUTS[0].0;
    let mut t = AudioTranscoder::new(AudioTranscodeOptions::new(preset(json))).unwrap();
    let mut saw_buffering = false;
    for piece in bytes.chunks(64 << 10) {
        t.push(piece).unwrap();
        saw_buffering |= t.progress().buffering_whole_input;
    }
    assert!(saw_buffering, "a {} byte m4a with moov last is buffered", bytes.len());
    let summary = t.finish().unwrap();
    assert_eq!(summary.frames, 100 * 48_000);
}

#[test]
fn damaged_inputs_give_typed_errors() {
    let json = OUTPUTS[0].0;
    let run = |bytes: &[u8]| {
        let mut t = AudioTranscoder::new(AudioTranscodeOptions::new(preset(json))).unwrap();
        let r = t.push(bytes).and_then(|()| t.finish());
        if r.is_err() {
            assert!(matches!(t.push(&[1]), Err(TranscodeError::Failed)), "refuses after an error");
        }
        r
    };
    assert_eq!(run(&[]).unwrap_err().code(), "unsupported-input");
    assert_eq!(run(b"this is not audio at all, just some text that goes on").unwrap_err().code(), "unsupported-input");
    let mp3 = std::fs::read(input("in.mp3", &["-c:a", "libmp3lame", "-b:a", "192k"])).unwrap();
    // Cut short: MP3 decodes what is there (a stream has no declared end).
    let cut = run(&mp3[..mp3.len() / 2]).unwrap();
    assert!(cut.frames > 0 && cut.frames < 3 * 48_000);
    let flac = std::fs::read(input("in.flac", &["-c:a", "flac"])).unwrap();
    let mut damaged = flac.clone();
    let mut next = xorshift(0x2545_f491);
    for _ in 0..400 {
        let at = 8192 + (next() % (damaged.len() - 8192));
        damaged[at] ^= 0x5a;
    }
    // Damaged FLAC frames are skipped (concealed) up to the decoder's
    // limit, or the input fails as corrupt; never a panic.
    match run(&damaged) {
        Ok(s) => assert!(s.decode.bad_packets > 0),
        Err(e) => assert_eq!(e.code(), "decode-error", "{e}"),
    }
    // A FLAC header and nothing after it: no samples, a typed error.
    assert_eq!(run(&flac[..8192]).map(|s| s.frames).unwrap_or(0), 0);
    for bad in [&flac[..100], &flac[..flac.len() / 3]] {
        let _ = run(bad);
    }
}

#[test]
fn presets_that_cannot_drive_an_audio_transcode_are_refused() {
    let refused = |json: &str| AudioTranscoder::new(AudioTranscodeOptions::new(preset(json))).unwrap_err();
    let e = refused(
        r#"{"name":"v","container":"mp4","video":{"bitRate":800,"maxWidth":640,"maxHeight":360},"audio":{"codec":"AAC","bitRate":128}}"#,
    );
    assert_eq!((e.code().as_str(), e.field().as_deref()), ("invalid-preset", Some("video")));
    let e = refused(r#"{"name":"h","container":"hls","audio":{"codec":"AAC","bitRate":128}}"#);
    assert_eq!(e.field().as_deref(), Some("container"));
    let e = refused(r#"{"name":"t","container":"ts","audio":{"codec":"AAC","bitRate":128}}"#);
    assert_eq!((e.code().as_str(), e.field().as_deref()), ("invalid-preset", Some("container")));
    let mut options = AudioTranscodeOptions::new(preset(OUTPUTS[0].0));
    options.gain_db = f64::NAN;
    assert_eq!(AudioTranscoder::new(options).unwrap_err().field().as_deref(), Some("gainDb"));
    // HE-AAC is valid in a preset but not encoded by this build: refused
    // when the encoder is chosen, with the field.
    let he =
        r#"{"name":"he","container":"mp4","audio":{"codec":"AAC","bitRate":64,"codecOptions":{"profile":"HE-AAC"}}}"#;
    let wav = std::fs::read(source(SECONDS)).unwrap();
    let e = transcode_audio_bytes(&wav, AudioTranscodeOptions::new(preset(he))).unwrap_err();
    assert_eq!((e.code().as_str(), e.field().as_deref()), ("invalid-preset", Some("audio.codecOptions.profile")));
    #[cfg(not(feature = "mp3"))]
    {
        let mp3 = r#"{"name":"m","container":"mp3","audio":{"codec":"mp3","bitRate":192}}"#;
        let e = transcode_audio_bytes(&wav, AudioTranscodeOptions::new(preset(mp3))).unwrap_err();
        assert!(e.to_string().contains("`mp3` cargo feature"), "{e}");
    }
}

/// MP3 output (the `mp3` feature): ffmpeg reads it as MP3 at the preset's
/// rate; a raw MP3 stream cannot say how much priming to drop, so ffmpeg
/// decodes (some of) the encoder delay first and at most one frame of
/// padding last.
#[cfg(feature = "mp3")]
#[test]
fn mp3_output() {
    let json = r#"{"name":"mp3","container":"mp3","audio":{"codec":"mp3","bitRate":192,"sampleRate":44100}}"#;
    let (out, summary) =
        transcode_audio_bytes(&std::fs::read(source(SECONDS)).unwrap(), AudioTranscodeOptions::new(preset(json)))
            .unwrap();
    assert_eq!((summary.codec.as_str(), summary.mime_type, summary.sample_rate), ("mp3", "audio/mpeg", 44_100));
    let path = dir().join("out.mp3");
    std::fs::write(&path, out).unwrap();
    let probe =
        common::ffprobe(&["-show_entries", "stream=codec_name,sample_rate,channels", "-of", "default=nw=1"], &path);
    assert!(
        probe.contains("codec_name=mp3\n") && probe.contains("sample_rate=44100\n") && probe.contains("channels=2\n"),
        "{probe}"
    );
    let got = ffmpeg_f32(&path, 44_100);
    let decoded = got.len() / 2;
    let input = (SECONDS * 44_100.0) as usize;
    let most = input + summary.priming as usize + 1152;
    assert!((input..=most).contains(&decoded), "{decoded} frames, want {input} to {most}");
}

/// The fuzz target's body over its seeds (the decoder's corpus behind a
/// control byte) and mutations of them: never a panic, and the
/// transcoder's promises hold (`harness/audio_transcode.rs` asserts
/// them).
#[test]
fn fuzz_seeds_and_mutations_keep_the_promises() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus/audio_transcode");
    let mut next = xorshift(0x9e37_79b9);
    let (mut runs, mut seeds, mut transcoded) = (0, 0, 0);
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        seeds += 1;
        transcoded += usize::from(harness::fuzz_entry(&data));
        for _ in 0..12 {
            let mut m = data.clone();
            m[0] = next() as u8;
            for _ in 0..1 + next() % 16 {
                let at = 1 + next() % (m.len() - 1);
                m[at] = next() as u8;
            }
            if next() % 4 == 0 {
                m.truncate(1 + next() % (m.len() - 1));
            }
            let _ = harness::fuzz_entry(&m);
            runs += 1;
        }
    }
    assert!(runs >= 12 * 13, "{runs} mutated runs");
    // The seeds are real files: they all transcode.
    assert_eq!(transcoded, seeds, "{transcoded} of {seeds} seeds transcode");
}

/// The transcoder writes through any `mux::sink::Sink`: into a directory
/// (renamed into place at the end, header patched there) and through a
/// callback, every output format is byte for byte what
/// `transcode_audio_bytes` makes, and the summary's patches are the ones
/// the sink received.
#[test]
fn every_output_goes_through_a_sink() {
    use framecast::mux::sink::{CallbackSink, DirectorySink, Output, SinkEvent};
    let bytes = std::fs::read(source(SECONDS)).unwrap();
    let root = dir().join("sink-out");
    let _ = std::fs::remove_dir_all(&root);
    for &(json, _, _, ext, _) in OUTPUTS {
        let (want, summary) = transcode_audio_bytes(&bytes, AudioTranscodeOptions::new(preset(json))).unwrap();
        let name = format!("{}.{ext}", preset(json).name.replace(' ', "-"));
        let options = AudioTranscodeOptions::new(preset(json));
        let mut t = AudioTranscoder::with_sink(options, DirectorySink::new(&root), Output::file(&name)).unwrap();
        for chunk in bytes.chunks(7_000) {
            t.push(chunk).unwrap();
        }
        let s = t.finish().unwrap();
        assert_eq!((s.output_bytes, &s.patches), (summary.output_bytes, &summary.patches), "{json}");
        assert_eq!(std::fs::read(t.sink().root().join(&name)).unwrap(), want, "{json}: the directory's file");

        let mut calls: Vec<String> = Vec::new();
        let mut streamed: Vec<u8> = Vec::new();
        let sink = CallbackSink::new(|e: SinkEvent<'_>| {
            match e {
                SinkEvent::Begin(o) => calls.push(format!("begin {}", o.name)),
                SinkEvent::Data(d) => streamed.extend_from_slice(d),
                SinkEvent::Patch { offset, bytes } => {
                    calls.push(format!("patch {offset} {}", bytes.len()));
                    let at = offset as usize;
                    streamed[at..at + bytes.len()].copy_from_slice(bytes);
                }
                SinkEvent::End => calls.push("end".into()),
            }
            Ok(())
        });
        let mut t =
            AudioTranscoder::with_sink(AudioTranscodeOptions::new(preset(json)), sink, Output::file(&name)).unwrap();
        t.push(&bytes).unwrap();
        let s = t.finish().unwrap();
        drop(t);
        let mut expected = vec![format!("begin {name}")];
        expected.extend(s.patches.iter().map(|p| format!("patch {} {}", p.offset, p.bytes.len())));
        expected.push("end".into());
        assert_eq!(calls, expected, "{json}");
        assert_eq!(streamed, want, "{json}: the callback's bytes");
        let mut after = AudioTranscoder::with_sink(
            AudioTranscodeOptions::new(preset(json)),
            CallbackSink::new(|_: SinkEvent<'_>| Ok(())),
            Output::file(&name),
        )
        .unwrap();
        after.push(&bytes).unwrap();
        after.finish().unwrap();
        assert_eq!(after.finish().unwrap_err(), TranscodeError::Finished);
    }
    let _ = std::fs::remove_dir_all(&root);
}

/// A sink's error ends the transcode with that error and its code, and the
/// transcoder refuses further calls.
#[test]
fn a_sink_error_fails_the_transcode() {
    use framecast::mux::sink::{CallbackSink, Output, SinkError, SinkEvent};
    let bytes = std::fs::read(source(SECONDS)).unwrap();
    let json = OUTPUTS[4].0;
    let full = || SinkError::Io { name: "out.flac".into(), message: "disk full".into() };
    let sink = CallbackSink::new(|e: SinkEvent<'_>| match e {
        SinkEvent::Patch { .. } => Err(full()),
        _ => Ok(()),
    });
    let mut t =
        AudioTranscoder::with_sink(AudioTranscodeOptions::new(preset(json)), sink, Output::file("out.flac")).unwrap();
    t.push(&bytes).unwrap();
    let err = t.finish().unwrap_err();
    assert_eq!(err, TranscodeError::Output(full()));
    assert_eq!(err.code().as_str(), "mux-error");
    assert_eq!(t.push(&bytes).unwrap_err(), TranscodeError::Failed);
}
