//! `framecast::decode::AudioDecoder` against files ffmpeg makes from a known
//! signal: every container and codec of the build decodes with the right
//! format, length and timing, lossless ones bit-exact and lossy ones close
//! to the source; damaged inputs give typed errors, quickly, never a panic.
//!
//! The source is 3 s of 44.1 kHz stereo, 16-bit: a log sweep 50 Hz - 12 kHz
//! on the left, a falling linear sweep 11 kHz - 200 Hz at a lower level on
//! the right (so swapped channels are caught), below the low-pass of every
//! lossy encoder at the bit rates used, written to
//! target/testdata/audio/source.wav and encoded by ffmpeg into the test set
//! there.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use framecast::audio::{AudioConverter, ChannelLayout, ConvertOptions, PcmChunk, SampleRate};
use framecast::decode::{AudioDecodeError, AudioDecoder, DecodeOptions, DecodeStats, SourceCodec, SourceContainer};

// The fuzz harness: the decoder's promises on any input.
#[path = "fuzz/harness/audio_decode.rs"]
mod harness;

const RATE: u32 = 44_100;
const FRAMES: usize = 3 * RATE as usize;

/// The source: interleaved stereo 16-bit samples.
fn source() -> &'static [i16] {
    static SOURCE: OnceLock<Vec<i16>> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let pi2 = 2.0 * std::f64::consts::PI;
        let dur = FRAMES as f64 / f64::from(RATE);
        let (f0, f1) = (50.0f64, 12_000.0f64);
        let k = (f1 / f0).ln() / dur;
        (0..FRAMES)
            .flat_map(|n| {
                let t = n as f64 / f64::from(RATE);
                let left = 0.5 * (pi2 * f0 * ((k * t).exp() - 1.0) / k).sin();
                let right = 0.3 * (pi2 * (11_000.0 * t - (10_800.0 / dur) * t * t / 2.0)).sin();
                [(left * 32767.0).round() as i16, (right * 32767.0).round() as i16]
            })
            .collect()
    })
}

/// The source as `f32` (full scale 1.0), the decoder's scale.
fn source_f32(channel: usize) -> Vec<f32> {
    source().iter().skip(channel).step_by(2).map(|&s| f32::from(s) / 32768.0).collect()
}

fn write_wav(path: &Path, channels: u16, samples: &[i16]) {
    let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let mut w = Vec::new();
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&channels.to_le_bytes());
    w.extend_from_slice(&RATE.to_le_bytes());
    w.extend_from_slice(&(RATE * u32::from(channels) * 2).to_le_bytes());
    w.extend_from_slice(&(channels * 2).to_le_bytes());
    w.extend_from_slice(&16u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&(data.len() as u32).to_le_bytes());
    w.extend_from_slice(&data);
    std::fs::write(path, w).unwrap();
}

/// One file of the test set.
struct Case {
    file: &'static str,
    ffmpeg: &'static [&'static str],
    container: SourceContainer,
    codec: SourceCodec,
    layout: ChannelLayout,
    lossless: bool,
    /// Frames of encoder delay left in the decoded output (the container
    /// does not say how much to drop).
    delay: usize,
    /// Frames the decoded length may exceed the source by (codec padding
    /// the container does not describe).
    slack: usize,
    /// Lowest acceptable SNR for a lossy codec, dB (see `LOSSY_FLOORS`).
    snr_floor: f64,
}

/// Lossy floors: 5-6 dB below the SNR measured with this build and ffmpeg
/// 5.1's encoders at these settings (MP3 30.5 dB, AAC 39-40 dB, Vorbis 38
/// dB; printed by `cargo test --test audio_decode -- --nocapture`). Waveform SNR is a
/// blunt measure for perceptual codecs, so the floors only say "this is the
/// signal, aligned, at the right level"; a wrong delay, a swapped or
/// silent channel or a sign error gives an SNR near 0 dB.
const CASES: &[Case] = &[
    Case {
        file: "s16.wav",
        ffmpeg: &["-c:a", "pcm_s16le"],
        container: SourceContainer::Wav,
        codec: SourceCodec::Pcm,
        layout: ChannelLayout::Stereo,
        lossless: true,
        delay: 0,
        slack: 0,
        snr_floor: 0.0,
    },
    Case {
        file: "f32.wav",
        ffmpeg: &["-c:a", "pcm_f32le"],
        container: SourceContainer::Wav,
        codec: SourceCodec::Pcm,
        layout: ChannelLayout::Stereo,
        lossless: true,
        delay: 0,
        slack: 0,
        snr_floor: 0.0,
    },
    Case {
        file: "s16be.aiff",
        ffmpeg: &["-c:a", "pcm_s16be"],
        container: SourceContainer::Aiff,
        codec: SourceCodec::Pcm,
        layout: ChannelLayout::Stereo,
        lossless: true,
        delay: 0,
        slack: 0,
        snr_floor: 0.0,
    },
    Case {
        file: "s16.caf",
        ffmpeg: &["-c:a", "pcm_s16le"],
        container: SourceContainer::Caf,
        codec: SourceCodec::Pcm,
        layout: ChannelLayout::Stereo,
        lossless: true,
        delay: 0,
        slack: 0,
        snr_floor: 0.0,
    },
    Case {
        file: "alac.caf",
        ffmpeg: &["-c:a", "alac"],
        container: SourceContainer::Caf,
        codec: SourceCodec::Alac,
        layout: ChannelLayout::Stereo,
        lossless: true,
        delay: 0,
        slack: 0,
        snr_floor: 0.0,
    },
    Case {
        file: "alac.m4a",
        ffmpeg: &["-c:a", "alac"],
        container: SourceContainer::Mp4,
        codec: SourceCodec::Alac,
        layout: ChannelLayout::Stereo,
        lossless: true,
        delay: 0,
        slack: 0,
        snr_floor: 0.0,
    },
    Case {
        file: "audio.flac",
        ffmpeg: &["-c:a", "flac"],
        container: SourceContainer::Flac,
        codec: SourceCodec::Flac,
        layout: ChannelLayout::Stereo,
        lossless: true,
        delay: 0,
        slack: 0,
        snr_floor: 0.0,
    },
    Case {
        file: "flac.mkv",
        ffmpeg: &["-c:a", "flac"],
        container: SourceContainer::Matroska,
        codec: SourceCodec::Flac,
        layout: ChannelLayout::Stereo,
        lossless: true,
        delay: 0,
        slack: 0,
        snr_floor: 0.0,
    },
    Case {
        file: "flac.ogg",
        ffmpeg: &["-c:a", "flac"],
        container: SourceContainer::Ogg,
        codec: SourceCodec::Flac,
        layout: ChannelLayout::Stereo,
        lossless: true,
        delay: 0,
        slack: 0,
        snr_floor: 0.0,
    },
    Case {
        file: "mono.wav",
        ffmpeg: &["-ac", "1", "-c:a", "pcm_s16le"],
        container: SourceContainer::Wav,
        codec: SourceCodec::Pcm,
        layout: ChannelLayout::Mono,
        lossless: true,
        delay: 0,
        slack: 0,
        snr_floor: 0.0,
    },
    Case {
        file: "surround.flac",
        ffmpeg: &["-af", "pan=5.1|FL=c0|FR=c1|FC=0.5*c0+0.5*c1|LFE=0*c0|BL=c0|BR=c1", "-c:a", "flac"],
        container: SourceContainer::Flac,
        codec: SourceCodec::Flac,
        layout: ChannelLayout::Surround51,
        lossless: true,
        delay: 0,
        slack: 0,
        snr_floor: 0.0,
    },
    Case {
        file: "lame.mp3",
        ffmpeg: &["-c:a", "libmp3lame", "-b:a", "192k"],
        container: SourceContainer::Mpeg,
        codec: SourceCodec::Mp3,
        layout: ChannelLayout::Stereo,
        lossless: false,
        delay: 0,
        slack: 0,
        snr_floor: 25.0,
    },
    Case {
        file: "aac.m4a",
        ffmpeg: &["-c:a", "aac", "-b:a", "192k"],
        container: SourceContainer::Mp4,
        codec: SourceCodec::Aac,
        layout: ChannelLayout::Stereo,
        lossless: false,
        delay: 0,
        slack: 0,
        snr_floor: 33.0,
    },
    Case {
        file: "vorbis.ogg",
        ffmpeg: &["-c:a", "libvorbis", "-q:a", "6"],
        container: SourceContainer::Ogg,
        codec: SourceCodec::Vorbis,
        layout: ChannelLayout::Stereo,
        lossless: false,
        delay: 0,
        slack: 0,
        snr_floor: 32.0,
    },
    Case {
        file: "adts.aac",
        ffmpeg: &["-c:a", "aac", "-b:a", "192k", "-f", "adts"],
        container: SourceContainer::Adts,
        codec: SourceCodec::Aac,
        layout: ChannelLayout::Stereo,
        lossless: false,
        delay: 1024,
        slack: 1024,
        snr_floor: 33.0,
    },
    Case {
        file: "aac.mkv",
        ffmpeg: &["-c:a", "aac", "-b:a", "192k"],
        container: SourceContainer::Matroska,
        codec: SourceCodec::Aac,
        layout: ChannelLayout::Stereo,
        lossless: false,
        delay: 1024,
        slack: 1024,
        snr_floor: 33.0,
    },
    Case {
        file: "vorbis.webm",
        ffmpeg: &["-c:a", "libvorbis", "-q:a", "6"],
        container: SourceContainer::Matroska,
        codec: SourceCodec::Vorbis,
        layout: ChannelLayout::Stereo,
        lossless: false,
        delay: 0,
        slack: 1024,
        snr_floor: 32.0,
    },
];

/// The test set directory, made once per test run.
fn test_set() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/testdata/audio");
        std::fs::create_dir_all(&dir).unwrap();
        let src = dir.join("source.wav");
        write_wav(&src, 2, source());
        for case in CASES {
            let out = Command::new("ffmpeg")
                .args(["-v", "error", "-y", "-i"])
                .arg(&src)
                .args(case.ffmpeg)
                .arg(dir.join(case.file))
                .output()
                .expect("ffmpeg is installed (run .ci/bootstrap.sh)");
            assert!(out.status.success(), "ffmpeg {}: {}", case.file, String::from_utf8_lossy(&out.stderr));
        }
        dir
    })
}

/// Every chunk of a decode, checking that timestamps are contiguous from 0.
fn decode_all(dec: AudioDecoder<'_>) -> (Vec<PcmChunk>, Result<(), AudioDecodeError>) {
    let (chunks, end, _) = decode_with_stats(dec);
    (chunks, end)
}

fn decode_with_stats(mut dec: AudioDecoder<'_>) -> (Vec<PcmChunk>, Result<(), AudioDecodeError>, DecodeStats) {
    let mut chunks: Vec<PcmChunk> = Vec::new();
    loop {
        match dec.next_chunk() {
            Ok(Some(c)) => {
                assert_eq!(c.pts(), chunks.last().map_or(0, |l| l.end_pts()), "timestamps are contiguous");
                chunks.push(c);
            }
            Ok(None) => return (chunks, Ok(()), dec.stats()),
            Err(e) => {
                assert_eq!(dec.next_chunk(), Ok(None), "finished after an error");
                return (chunks, Err(e), dec.stats());
            }
        }
    }
}

/// One channel of decoded chunks.
fn channel(chunks: &[PcmChunk], c: usize) -> Vec<f32> {
    chunks.iter().flat_map(|k| k.samples().iter().skip(c).step_by(k.channels()).copied().collect::<Vec<_>>()).collect()
}

/// SNR in dB of `got[lag..]` against `want`, over the middle of the signal.
fn snr_db(want: &[f32], got: &[f32], lag: usize) -> f64 {
    let (mut s, mut e) = (0.0f64, 0.0f64);
    for (i, &w) in want.iter().enumerate().take(want.len() - 2048).skip(2048) {
        let g = got.get(i + lag).copied().unwrap_or(0.0);
        s += f64::from(w).powi(2);
        e += f64::from(g - w).powi(2);
    }
    10.0 * (s / e.max(1e-30)).log10()
}

#[test]
fn every_format_decodes_with_the_right_format_length_and_signal() {
    let dir = test_set();
    let (left, right) = (source_f32(0), source_f32(1));
    for case in CASES {
        let file = std::fs::File::open(dir.join(case.file)).unwrap();
        let dec = AudioDecoder::open(file, &DecodeOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", case.file));
        let info = dec.info().clone();
        assert_eq!(
            (info.container, info.codec, info.sample_rate.hz(), info.layout),
            (case.container, case.codec, RATE, case.layout),
            "{}",
            case.file
        );
        let (chunks, end) = decode_all(dec);
        assert_eq!(end, Ok(()), "{}", case.file);
        let frames: usize = chunks.iter().map(PcmChunk::frames).sum();
        assert!(
            (FRAMES + case.delay..=FRAMES + case.delay + case.slack).contains(&frames),
            "{}: {frames} frames",
            case.file
        );
        if let Some(declared) = info.frames {
            assert!(
                (declared as usize).abs_diff(frames) <= 4096,
                "{}: declares {declared}, decodes {frames}",
                case.file
            );
        }
        // Transcoding: every input converts to 48 kHz stereo, time-aligned
        // and of the length the rates give.
        let mut conv = AudioConverter::new(
            info.sample_rate,
            info.layout,
            &ConvertOptions::new(SampleRate::HZ_48000, ChannelLayout::Stereo),
        )
        .unwrap();
        let mut converted = 0;
        for c in &chunks {
            converted += conv.process(c).unwrap().map_or(0, |o| o.frames());
        }
        converted += conv.flush().unwrap().map_or(0, |o| o.frames());
        assert_eq!(
            converted as f64,
            (frames as f64 * 48_000.0 / f64::from(RATE)).round(),
            "{}: converted length",
            case.file
        );
        let got: Vec<Vec<f32>> = (0..case.layout.channels()).map(|c| channel(&chunks, c)).collect();
        match case.layout {
            ChannelLayout::Mono => {
                // ffmpeg's -ac 1 averages the channels and rounds to 16 bits.
                let mean: Vec<f32> = left.iter().zip(&right).map(|(l, r)| (l + r) / 2.0).collect();
                let err = mean.iter().zip(&got[0]).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
                assert!(err <= 1.0 / 32768.0, "{}: max error {err}", case.file);
            }
            ChannelLayout::Surround51 => {
                // FL, FR, C = mean, LFE silent, BL = FL, BR = FR: the channel
                // order is WAVE's.
                assert_eq!(got[0], left, "{}: FL", case.file);
                assert_eq!(got[1], right, "{}: FR", case.file);
                assert!(got[3].iter().all(|&s| s == 0.0), "{}: LFE", case.file);
                assert_eq!(got[4], left, "{}: BL", case.file);
                assert_eq!(got[5], right, "{}: BR", case.file);
                let mean_err = left
                    .iter()
                    .zip(&right)
                    .zip(&got[2])
                    .map(|((l, r), c)| ((l + r) / 2.0 - c).abs())
                    .fold(0f32, f32::max);
                assert!(mean_err <= 1.0 / 32768.0, "{}: FC", case.file);
            }
            _ if case.lossless => {
                assert_eq!(got[0], left, "{}: left channel", case.file);
                assert_eq!(got[1], right, "{}: right channel", case.file);
            }
            _ => {
                let lag = case.delay;
                let (snr_l, snr_r) = (snr_db(&left, &got[0], lag), snr_db(&right, &got[1], lag));
                eprintln!("{}: SNR left {snr_l:.1} dB, right {snr_r:.1} dB", case.file);
                assert!(
                    snr_l >= case.snr_floor && snr_r >= case.snr_floor,
                    "{}: SNR {snr_l:.1} / {snr_r:.1} dB",
                    case.file
                );
                // Time-aligned: a frame early or late is much worse.
                for off in [lag + 1, lag + 64].into_iter().chain(lag.checked_sub(1)) {
                    let snr = snr_db(&left, &got[0], off);
                    assert!(snr < snr_l - 3.0, "{}: SNR {snr:.1} dB at lag {off}, {snr_l:.1} at {lag}", case.file);
                }
            }
        }
    }
}

#[test]
fn memory_unseekable_and_file_sources_agree() {
    let dir = test_set();
    for file in ["lame.mp3", "audio.flac", "vorbis.ogg", "s16.wav"] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let (a, _) = decode_all(AudioDecoder::from_bytes(&bytes, &DecodeOptions::default()).unwrap());
        let (b, _) = decode_all(
            AudioDecoder::open_unseekable(std::io::Cursor::new(bytes.clone()), &DecodeOptions::default()).unwrap(),
        );
        let (c, _) = decode_all(
            AudioDecoder::open(std::fs::File::open(dir.join(file)).unwrap(), &DecodeOptions::default()).unwrap(),
        );
        assert_eq!(a, c, "{file}: bytes vs file");
        assert_eq!(channel(&a, 0), channel(&b, 0), "{file}: bytes vs unseekable");
    }
}

/// Decodes hostile bytes: the frames decoded, the outcome and the
/// counters; checks that it took less than 10 s.
fn hostile_stats(bytes: &[u8], what: &str) -> (usize, Result<(), AudioDecodeError>, DecodeStats) {
    let start = Instant::now();
    let result = match AudioDecoder::from_bytes(bytes, &DecodeOptions::default()) {
        Ok(dec) => {
            let (chunks, end, stats) = decode_with_stats(dec);
            (chunks.iter().map(PcmChunk::frames).sum(), end, stats)
        }
        Err(e) => (0, Err(e), DecodeStats::default()),
    };
    assert!(start.elapsed() < Duration::from_secs(10), "{what}: took {:?}", start.elapsed());
    if let Err(e) = &result.1 {
        assert!(!e.to_string().is_empty());
    }
    result
}

fn hostile(bytes: &[u8], what: &str) -> (usize, Result<(), AudioDecodeError>) {
    let (frames, end, _) = hostile_stats(bytes, what);
    (frames, end)
}

#[test]
fn empty_and_random_inputs_are_refused() {
    assert_eq!(hostile(&[], "empty").1, Err(AudioDecodeError::Empty));
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for (i, len) in [1usize, 7, 64, 1000, 65_536, 300_000].into_iter().enumerate() {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let (frames, end) = hostile(&bytes, &format!("random {i}"));
        assert!(end.is_err() || frames == 0, "random bytes {len}: {frames} frames, {end:?}");
    }
}

/// Cut files: never more audio than the whole file holds, and either a
/// typed error or a clean end. Which one depends on the container (an MP4
/// cut before its `moov` at the end has no index at all; MP3 and ADTS
/// streams just end); the ones that know their length report the cut.
#[test]
fn truncated_files_give_what_they_hold_then_a_typed_error() {
    let dir = test_set();
    for case in CASES {
        let bytes = std::fs::read(dir.join(case.file)).unwrap();
        for cut in [4, 200, bytes.len() / 3, bytes.len() - 1] {
            let (frames, end) = hostile(&bytes[..cut], &format!("{} cut at {cut}", case.file));
            eprintln!("{} cut at {cut}/{}: {frames} frames, {end:?}", case.file, bytes.len());
            assert!(frames < FRAMES + case.delay, "{} cut at {cut}: {frames} frames", case.file);
        }
    }
    let wav = std::fs::read(dir.join("s16.wav")).unwrap();
    let (frames, end) = hostile(&wav[..wav.len() / 3], "wav");
    assert!(frames > FRAMES / 4 && matches!(end, Err(AudioDecodeError::Truncated { .. })), "{frames} {end:?}");
    let flac = std::fs::read(dir.join("audio.flac")).unwrap();
    let (frames, end) = hostile(&flac[..flac.len() / 2], "flac");
    assert!(frames > FRAMES / 4 && matches!(end, Err(AudioDecodeError::Truncated { .. })), "{frames} {end:?}");
    let m4a = std::fs::read(dir.join("aac.m4a")).unwrap();
    let (_, end) = hostile(&m4a[..m4a.len() - 100], "m4a");
    assert_eq!(end, Err(AudioDecodeError::Corrupt { reason: "isomp4: missing moov atom", packet: None }));
}

#[test]
fn flipped_bytes_are_skipped_or_refused() {
    let dir = test_set();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for case in CASES {
        let clean = std::fs::read(dir.join(case.file)).unwrap();
        for round in 0..2 {
            let mut bytes = clean.clone();
            // 20 flipped bytes in the second half, where the media data is
            // in every file of the set.
            for _ in 0..20 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let at = bytes.len() / 2 + (state as usize) % (bytes.len() / 2);
                bytes[at] ^= 1 << (state >> 59 & 7);
            }
            let (frames, end, stats) = hostile_stats(&bytes, &format!("{} round {round}", case.file));
            eprintln!("{} flipped round {round}: {frames} frames, {end:?} {stats:?}", case.file);
            assert!(frames <= FRAMES + case.delay + case.slack, "{}: {frames} frames", case.file);
            if case.codec == SourceCodec::Pcm {
                assert_eq!((frames, end), (FRAMES, Ok(())), "{}: PCM has nothing to damage but samples", case.file);
            }
        }
    }
}

/// A run of garbage over several packets in the middle of the media data:
/// the codec rejects them, silence of the same length replaces them, the
/// length and timing of the stream are kept; with `max_bad_packets` 0 the
/// first damaged packet fails the decode. (ADTS has no index: its reader
/// resynchronises past frames whose headers the garbage destroyed, so up to
/// 3 frames may be missing there. Matroska is left out: Symphonia's reader
/// ends the stream, without an error, at a damaged cluster.)
#[test]
fn damaged_packets_are_concealed_or_refused() {
    let dir = test_set();
    for (file, expected, missing) in
        [("adts.aac", FRAMES + 1024, 3 * 1024), ("aac.m4a", FRAMES, 0), ("alac.m4a", FRAMES, 0)]
    {
        let mut bytes = std::fs::read(dir.join(file)).unwrap();
        let at = bytes.len() * 2 / 5;
        for (i, b) in bytes[at..at + 1500].iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37) ^ 0xa5;
        }
        let (frames, end, stats) = hostile_stats(&bytes, file);
        eprintln!("{file}: {frames} frames, {end:?}, {stats:?}");
        assert_eq!(end, Ok(()), "{file}");
        assert!(stats.bad_packets >= 1, "{file}: {stats:?}");
        assert!((expected - missing..=expected).contains(&frames), "{file}: {frames} frames, {stats:?}");
        assert!(stats.concealed_frames >= 1024 * stats.bad_packets, "{file}: {stats:?}");
        let strict = DecodeOptions { max_bad_packets: 0, ..DecodeOptions::default() };
        let mut dec = AudioDecoder::from_bytes(&bytes, &strict).unwrap();
        let err = loop {
            match dec.next_chunk() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("{file}: decoded to the end"),
                Err(e) => break e,
            }
        };
        assert!(matches!(err, AudioDecodeError::TooManyBadPackets { count: 1, .. }), "{file}: {err}");
    }
}

/// Replays the fuzz seeds (`tests/fuzz/corpus/audio_decode/`, one small
/// file per container and codec) through the fuzz entry point, whole and
/// in 60 deterministic mutations each: truncations, flipped bits, bytes
/// overwritten with extreme values.
#[test]
fn fuzz_corpus_replays_without_panics() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus/audio_decode");
    let mut state = 0x1234_5678_9abc_def1u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut seeds = 0;
    for entry in std::fs::read_dir(&corpus).unwrap_or_else(|e| panic!("{}: {e}", corpus.display())) {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        harness::fuzz_entry(&data);
        for round in 0..60 {
            let mut m = data.clone();
            match round % 3 {
                0 => m.truncate(next() as usize % data.len().max(1)),
                1 => {
                    for _ in 0..1 + round % 7 {
                        let at = next() as usize % m.len().max(1);
                        if let Some(b) = m.get_mut(at) {
                            *b ^= 1 << (next() % 8);
                        }
                    }
                }
                _ => {
                    let at = next() as usize % m.len().max(1);
                    let fill = [0x00, 0xff, 0x7f, 0x80][round % 4];
                    let end = (at + 4).min(m.len());
                    m[at..end].fill(fill);
                }
            }
            harness::fuzz_entry(&m);
        }
        seeds += 1;
    }
    assert!(seeds >= 10, "the corpus has only {seeds} seeds");
}

/// Speed figures (release builds only; `make test` runs with `--release`):
/// 60 s of 44.1 kHz stereo MP3 (pink noise, 192 kbit/s, made by ffmpeg)
/// decoded, then converted to 48 kHz stereo. Prints the times; fails only
/// below 20x real time, far under what this machine does, so that a busy
/// machine does not fail it.
#[test]
fn decode_and_resample_speed() {
    if cfg!(debug_assertions) {
        eprintln!("speed figures need a release build: cargo test --release --test audio_decode");
        return;
    }
    let path = test_set().join("noise60.mp3");
    if !path.exists() {
        let out = Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "anoisesrc=color=pink:duration=60:sample_rate=44100:amplitude=0.3:seed=7",
                "-ac",
                "2",
                "-c:a",
                "libmp3lame",
                "-b:a",
                "192k",
            ])
            .arg(&path)
            .output()
            .expect("ffmpeg is installed (run .ci/bootstrap.sh)");
        assert!(out.status.success(), "ffmpeg: {}", String::from_utf8_lossy(&out.stderr));
    }
    let bytes = std::fs::read(&path).unwrap();
    let mut best = (f64::MAX, f64::MAX);
    for _ in 0..3 {
        let start = Instant::now();
        let (chunks, end) = decode_all(AudioDecoder::from_bytes(&bytes, &DecodeOptions::default()).unwrap());
        let decode = start.elapsed().as_secs_f64();
        assert_eq!(end, Ok(()));
        assert_eq!(chunks.iter().map(PcmChunk::frames).sum::<usize>(), 60 * 44_100);
        let start = Instant::now();
        let options = ConvertOptions::new(SampleRate::HZ_48000, ChannelLayout::Stereo);
        let mut conv = AudioConverter::new(SampleRate::HZ_44100, ChannelLayout::Stereo, &options).unwrap();
        let mut frames = 0;
        for c in &chunks {
            frames += conv.process(c).unwrap().map_or(0, |o| o.frames());
        }
        frames += conv.flush().unwrap().map_or(0, |o| o.frames());
        let convert = start.elapsed().as_secs_f64();
        assert_eq!(frames, 60 * 48_000);
        best = (best.0.min(decode), best.1.min(convert));
    }
    eprintln!(
        "60 s 44.1 kHz stereo MP3, best of 3: decode {:.1} ms ({:.0}x real time), resample to 48 kHz {:.1} ms ({:.0}x real time)",
        best.0 * 1e3,
        60.0 / best.0,
        best.1 * 1e3,
        60.0 / best.1
    );
    assert!(best.0 < 3.0 && best.1 < 3.0, "{best:?}");
}

/// Opus (no decoder in Symphonia) and a file without audio are refused by
/// name.
#[test]
fn unsupported_codec_and_no_audio_track() {
    let dir = test_set();
    let make = |name: &str, args: &[&str]| {
        let path = dir.join(name);
        let out = Command::new("ffmpeg")
            .args(["-v", "error", "-y"])
            .args(args)
            .arg(&path)
            .output()
            .expect("ffmpeg is installed");
        assert!(out.status.success(), "ffmpeg {name}: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::read(path).unwrap()
    };
    // Opus in Ogg and WebM decodes (tests/opus_input.rs); in MP4 it does not.
    let opus = make("opus.mp4", &["-i", dir.join("source.wav").to_str().unwrap(), "-t", "0.5", "-c:a", "libopus"]);
    assert_eq!(
        AudioDecoder::from_bytes(&opus, &DecodeOptions::default()).unwrap_err(),
        AudioDecodeError::UnsupportedCodec { codec: "opus".into() }
    );
    let video =
        make("video.mp4", &["-f", "lavfi", "-i", "testsrc2=size=64x64:rate=10", "-t", "0.3", "-c:v", "libx264"]);
    let err = AudioDecoder::from_bytes(&video, &DecodeOptions::default()).unwrap_err();
    assert_eq!(err, AudioDecodeError::NoAudioTrack);
    assert_eq!(err.to_string(), "the input has no audio track");
}
