//! AAC-LC encoding through FDK AAC, checked against ffmpeg: the packets are
//! framed as ADTS, ffprobe names the stream, ffmpeg's own AAC decoder
//! decodes it, and the result is compared with the input sample by sample.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use common::{ffprobe, testdata_dir};
use framecast::codec::aac::{AacEncoder, AacEncoderConfig, AacPacket, FDK_AAC_BUILD};

/// A logarithmic sine sweep from `f0` to `f1` Hz over `seconds`, amplitude
/// `amp` (full scale 1.0), starting at `phase` radians.
fn sweep(rate: u32, seconds: f64, f0: f64, f1: f64, amp: f64, phase: f64) -> Vec<f64> {
    let n = (rate as f64 * seconds) as usize;
    let k = (f1 / f0).ln();
    (0..n)
        .map(|i| {
            let t = i as f64 / rate as f64;
            // Phase of an exponential chirp: 2 pi f0 T / k (e^(k t / T) - 1).
            let arg = 2.0 * std::f64::consts::PI * f0 * seconds / k * ((k * t / seconds).exp() - 1.0);
            amp * (arg + phase).sin()
        })
        .collect()
}

/// Interleaves channels and quantises to i16.
fn interleave(channels: &[Vec<f64>]) -> Vec<i16> {
    let n = channels[0].len();
    (0..n)
        .flat_map(|i| channels.iter().map(move |c| (c[i] * 32768.0).round().clamp(-32768.0, 32767.0) as i16))
        .collect()
}

struct Encoded {
    packets: Vec<AacPacket>,
    delay: usize,
    bandwidth: f64,
    adts: Vec<u8>,
    seconds: f64,
}

/// Encodes `pcm` in 10 ms pieces (the size a capture callback delivers),
/// then flushes, and frames the packets as ADTS.
fn encode(config: AacEncoderConfig, pcm: &[i16]) -> Encoded {
    let channels = config.channels as usize;
    let piece = config.sample_rate as usize / 100 * channels;
    let mut enc = AacEncoder::new(config).expect("encoder");
    let start = Instant::now();
    let mut packets = Vec::new();
    for chunk in pcm.chunks(piece) {
        packets.extend(enc.encode(chunk).expect("encode"));
    }
    packets.extend(enc.flush().expect("flush"));
    let seconds = start.elapsed().as_secs_f64();
    let mut adts = Vec::new();
    for p in &packets {
        enc.format().write_adts_frame(&p.data, &mut adts).expect("ADTS frame");
    }
    Encoded { packets, delay: enc.encoder_delay() as usize, bandwidth: enc.bandwidth() as f64, adts, seconds }
}

/// ffmpeg's native AAC decoder, interleaved s16.
fn ffmpeg_decode(path: &std::path::Path, channels: usize) -> Vec<i16> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "s16le", "-ac", &channels.to_string(), "-"])
        .output()
        .expect("ffmpeg is installed (run .ci/bootstrap.sh)");
    assert!(out.status.success() && out.stderr.is_empty(), "ffmpeg errors: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect()
}

/// Sums over sample frames `range` of the input, all channels, with decoded
/// sample `i + lag` (per channel) against input sample `i`: (input energy,
/// decoded energy, error energy).
fn energies(
    input: &[i16],
    decoded: &[i16],
    channels: usize,
    lag: usize,
    range: std::ops::Range<usize>,
) -> (f64, f64, f64) {
    let (mut x2, mut y2, mut e2) = (0f64, 0f64, 0f64);
    for i in range {
        for c in 0..channels {
            let x = input.get(i * channels + c).copied().unwrap_or(0) as f64;
            let y = decoded.get((i + lag) * channels + c).copied().unwrap_or(0) as f64;
            x2 += x * x;
            y2 += y * y;
            e2 += (x - y) * (x - y);
        }
    }
    (x2, y2, e2)
}

/// 10 log10(sum x^2 / sum (x - y)^2) over all channels and all input
/// samples, the decoded stream shifted by `lag`.
fn snr_db(input: &[i16], decoded: &[i16], channels: usize, lag: usize) -> f64 {
    let (x2, _, e2) = energies(input, decoded, channels, lag, 0..input.len() / channels);
    db(x2 / e2.max(1e-9))
}

fn db(ratio: f64) -> f64 {
    10.0 * ratio.log10()
}

/// SNR figures of a sweep round trip, in dB.
struct SweepResult {
    /// Over the whole input.
    full_band: f64,
    /// Over the part of the sweep below 95% of the encoder's bandwidth.
    in_band: f64,
}

const F0: f64 = 20.0;
const F1: f64 = 16_000.0;
const SECONDS: f64 = 10.0;

/// The sample index at which the sweep reaches `f` Hz (the sweep's length
/// if it never does).
fn sweep_index(rate: u32, f: f64) -> usize {
    let n = (rate as f64 * SECONDS) as usize;
    if f >= F1 {
        return n;
    }
    ((SECONDS * (f / F0).ln() / (F1 / F0).ln()) * rate as f64) as usize
}

/// Encodes a 20 Hz - 16 kHz log sweep (10 s), decodes it with ffmpeg and
/// checks format, length, alignment and the encoder's low-pass.
fn sweep_round_trip(name: &str, rate: u32, channels: u16, bitrate: u32) -> SweepResult {
    let left = sweep(rate, SECONDS, F0, F1, 0.5, 0.0);
    let mut sources = vec![left];
    if channels == 2 {
        // The right channel differs (phase, level) so a swapped or merged
        // channel would show.
        sources.push(sweep(rate, SECONDS, F0, F1, 0.35, std::f64::consts::FRAC_PI_2));
    }
    let pcm = interleave(&sources);
    let ch = channels as usize;
    let mut config = AacEncoderConfig::new(rate, channels);
    config.bitrate = bitrate;
    let enc = encode(config, &pcm);

    let path = testdata_dir().join(format!("aac_encode_{name}.aac"));
    std::fs::write(&path, &enc.adts).expect("write .aac");
    let probe = ffprobe(
        &[
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=codec_name,profile,sample_rate,channels",
            "-of",
            "compact=p=0:nk=1",
        ],
        &path,
    );
    assert_eq!(probe.trim(), format!("aac|LC|{rate}|{channels}"), "ffprobe of {name}");

    let decoded = ffmpeg_decode(&path, ch);
    let input_frames = pcm.len() / ch;
    let decoded_frames = decoded.len() / ch;
    assert_eq!(decoded_frames, enc.packets.len() * 1024, "ffmpeg decodes every packet to 1024 samples");
    let trimmed = decoded_frames as i64 - enc.delay as i64;
    assert!(
        (0..1024).contains(&(trimmed - input_frames as i64)),
        "{name}: {trimmed} samples after trimming the {} delay, input {input_frames}",
        enc.delay
    );

    let full_band = snr_db(&pcm, &decoded, ch, enc.delay);
    // FDK codes nothing above its bandwidth; the MDCT's window spreads the
    // edge over a few hundred Hz.
    let in_band_end = sweep_index(rate, 0.95 * enc.bandwidth);
    let in_band_at = |lag: usize| {
        let (x2, _, e2) = energies(&pcm, &decoded, ch, lag, 0..in_band_end);
        db(x2 / e2.max(1e-9))
    };
    let in_band = in_band_at(enc.delay);
    // The reported delay is the exact alignment: one sample either way, or
    // another codec's usual priming (1024, 2048, 2112), is far worse.
    for lag in [enc.delay - 1, enc.delay + 1, 1024, 2048, 2112] {
        let other = in_band_at(lag);
        assert!(
            other < in_band - 6.0,
            "{name}: SNR {other:.1} dB at lag {lag} vs {in_band:.1} dB at the reported delay"
        );
    }
    let mut stop_note = String::new();
    let band_end = sweep_index(rate, enc.bandwidth);
    if band_end < input_frames {
        let (above, _, _) = energies(&pcm, &decoded, ch, enc.delay, band_end..input_frames);
        let (all, _, _) = energies(&pcm, &decoded, ch, enc.delay, 0..input_frames);
        let stop_start = sweep_index(rate, 1.02 * enc.bandwidth);
        let (x2, y2, _) = energies(&pcm, &decoded, ch, enc.delay, stop_start..input_frames);
        let gain = db(y2 / x2);
        assert!(
            gain < -15.0,
            "{name}: above {} Hz the decoded level is only {gain:.1} dB below the input",
            enc.bandwidth
        );
        stop_note = format!(
            "; above the band: {:.2}% of the input energy (which alone caps full-band SNR at {:.1} dB), decoded {gain:.1} dB \
             from {:.0} Hz",
            100.0 * above / all,
            -db(above / all),
            1.02 * enc.bandwidth
        );
    }
    let realtime = SECONDS / enc.seconds;
    println!(
        "{name}: {rate} Hz x{channels} at {} kbit/s: SNR {full_band:.1} dB full band, {in_band:.1} dB below {:.0} Hz \
         (encoder bandwidth {} Hz){stop_note}; delay {} samples, {} packets, {:.1} kbit/s, \
         encode {:.0} ms = {realtime:.0}x realtime [{FDK_AAC_BUILD}]",
        bitrate / 1000,
        0.95 * enc.bandwidth,
        enc.bandwidth,
        enc.delay,
        enc.packets.len(),
        (enc.adts.len() - 7 * enc.packets.len()) as f64 * 8.0
            / (enc.packets.len() as f64 * 1024.0 / rate as f64)
            / 1000.0,
        enc.seconds * 1000.0,
    );
    SweepResult { full_band, in_band }
}

/// 128 kbit/s stereo is 64 kbit/s per channel, for which FDK's table sets a
/// 15.5 kHz bandwidth: the sweep's last 47 ms (15.5-16 kHz, 0.47% of its
/// energy) is dropped on purpose, which alone caps the full-band SNR at
/// 23.3 dB. The objective measure is therefore the SNR over the coded band
/// (and the check that what lies above it is removed, not distorted).
#[test]
fn sweep_48k_stereo_128k_decodes_in_ffmpeg_with_30_db_snr_in_band() {
    let r = sweep_round_trip("sweep_48k_stereo", 48_000, 2, 128_000);
    assert!(r.in_band >= 30.0, "in-band SNR {:.1} dB", r.in_band);
    assert!(r.full_band >= 20.0, "full-band SNR {:.1} dB", r.full_band);
}

/// 128 kbit/s mono gets a 17 kHz bandwidth: the whole sweep is coded.
#[test]
fn sweep_44k1_mono_128k_decodes_in_ffmpeg_with_30_db_snr() {
    let r = sweep_round_trip("sweep_44k1_mono", 44_100, 1, 128_000);
    assert!(r.full_band >= 30.0, "SNR {:.1} dB", r.full_band);
    assert!(r.in_band >= 30.0, "in-band SNR {:.1} dB", r.in_band);
}

#[test]
fn f32_input_encodes_like_the_same_i16_input() {
    let tone: Vec<f64> = sweep(48_000, 0.5, 200.0, 4000.0, 0.6, 0.0);
    let pcm = interleave(&[tone.clone(), tone]);
    let floats: Vec<f32> = pcm.iter().map(|&s| s as f32 / 32768.0).collect();
    let mut a = AacEncoder::new(AacEncoderConfig::new(48_000, 2)).unwrap();
    let mut b = AacEncoder::new(AacEncoderConfig::new(48_000, 2)).unwrap();
    let mut pa = a.encode(&pcm).unwrap();
    pa.extend(a.flush().unwrap());
    let mut pb = Vec::new();
    for chunk in floats.chunks(2 * 777) {
        pb.extend(b.encode_f32(chunk).unwrap());
    }
    pb.extend(b.flush().unwrap());
    assert_eq!(pa, pb, "same packets whatever the input type and chunking");
    assert!(pa.len() >= 24000 / 1024);
}

#[test]
fn five_point_one_keeps_its_channels_apart() {
    // One tone per channel (L, R, C, LFE, Ls, Rs in WAVE order); the LFE
    // gets a low one. Each decoded channel must carry its own tone.
    let rate = 48_000u32;
    let freqs = [440.0, 660.0, 880.0, 60.0, 1100.0, 1320.0];
    let sources: Vec<Vec<f64>> = freqs
        .iter()
        .map(|&f| {
            (0..rate as usize).map(|i| 0.3 * (2.0 * std::f64::consts::PI * f * i as f64 / rate as f64).sin()).collect()
        })
        .collect();
    let pcm = interleave(&sources);
    let mut config = AacEncoderConfig::new(rate, 6);
    config.bitrate = 384_000;
    let enc = encode(config, &pcm);
    let path = testdata_dir().join("aac_encode_5_1.aac");
    std::fs::write(&path, &enc.adts).unwrap();
    let probe = ffprobe(
        &[
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=profile,channels,channel_layout",
            "-of",
            "compact=p=0:nk=1",
        ],
        &path,
    );
    assert_eq!(probe.trim(), "LC|6|5.1");
    // ffmpeg outputs 5.1 in its own order: FL FR FC LFE BL BR, as WAVE.
    let decoded = ffmpeg_decode(&path, 6);
    for (c, freq) in freqs.iter().enumerate() {
        let input: Vec<i16> = pcm.iter().skip(c).step_by(6).copied().collect();
        let out: Vec<i16> = decoded.iter().skip(c).step_by(6).copied().collect();
        let snr = snr_db(&input, &out, 1, enc.delay);
        assert!(snr > 20.0, "channel {c} ({freq} Hz): SNR {snr:.1} dB");
    }
}

/// Pipes ADTS through `ffmpeg -f adts` from stdin: the stream needs no
/// file name extension to be recognised.
#[test]
fn adts_stream_is_recognised_from_a_pipe() {
    let pcm = interleave(&[sweep(16_000, 1.0, 100.0, 6000.0, 0.5, 0.0)]);
    let mut config = AacEncoderConfig::new(16_000, 1);
    config.bitrate = 32_000;
    config.afterburner = false;
    let enc = encode(config, &pcm);
    let mut child = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,sample_rate",
            "-of",
            "compact=p=0:nk=1",
            "-i",
            "pipe:0",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run ffprobe");
    child.stdin.take().unwrap().write_all(&enc.adts).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "aac|16000");
}

/// The input of `tests/web_aac.rs` (integer arithmetic only, the same on
/// every target): 0.5 s of 48 kHz stereo triangles plus xorshift noise.
fn web_aac_signal() -> Vec<i16> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut out = Vec::with_capacity(48_000);
    for i in 0..24_000i64 {
        for period in [109i64, 73] {
            let p = i % period;
            let tri = (4 * 12_000 * p / period - 12_000).abs() - 6_000;
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let noise = (state >> 56) as i64 - 128;
            out.push((tri + noise) as i16);
        }
    }
    out
}

/// FNV-1a 64 over every packet's length (4 bytes LE) and bytes, as in
/// `tests/web_aac.rs`.
fn digest(packets: &[AacPacket]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for p in packets {
        for b in (p.data.len() as u32).to_le_bytes().iter().chain(&p.data) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// `DIGEST` of `tests/web_aac.rs`: the native build must produce the same
/// bytes as the wasm32 build for the same input (build.rs leaves out FDK's
/// float-based x86 helpers for that). It also pins the stream against
/// silent changes (compiler flags, FDK version).
const WASM_DIGEST: u64 = 0x2e8c_337a_c4e3_4c22;

#[test]
fn native_stream_is_byte_identical_to_the_wasm_stream() {
    let mut config = AacEncoderConfig::new(48_000, 2);
    config.bitrate = 96_000;
    let mut enc = AacEncoder::new(config).unwrap();
    assert_eq!((enc.encoder_delay(), enc.bandwidth()), (1600, 14_260));
    let pcm = web_aac_signal();
    let mut packets = Vec::new();
    for chunk in pcm.chunks(2 * 480) {
        packets.extend(enc.encode(chunk).unwrap());
    }
    packets.extend(enc.flush().unwrap());
    assert_eq!(packets.len(), 25);
    let bytes: usize = packets.iter().map(|p| p.data.len()).sum();
    let d = digest(&packets);
    assert_eq!(d, WASM_DIGEST, "digest 0x{d:016x} of {bytes} bytes [{FDK_AAC_BUILD}]");
}
