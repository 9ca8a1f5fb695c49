//! Opus and FLAC encoders checked by ffmpeg: synthetic signals are encoded
//! to Ogg Opus and FLAC files, which ffprobe must describe correctly and
//! ffmpeg must decode to the input (FLAC: bit-exact; Opus: within the
//! quality measure below, next to libopus on the same input).
//!
//! # The Opus quality measure: spectral SNR
//!
//! Waveform SNR is the wrong referee for Opus. CELT codes each band's
//! energy exactly and its fine structure approximately (PVQ with spreading
//! and folding, intensity stereo above a bitrate-dependent band), so the
//! decoded phase wanders while the spectrum stays right; on a full-range
//! sweep libopus itself reaches only 26.7 dB of waveform SNR at 96 kbit/s.
//! So the test compares magnitude spectra:
//!
//! `spectral SNR = 10 log10( sum |X|^2 / sum (|X| - |Y|)^2 )`
//!
//! over 2048-point Hann STFTs (hop 1024) of every channel of input `X` and
//! decoded output `Y`, aligned by the container's pre-skip. It is blind to
//! phase but not to what matters: missing or added noise, wrong band
//! energies, a lost band, a tone coded as noise, a delay error (each STFT
//! frame would compare different parts of a sweep), a gain error. Waveform
//! SNR is printed too. ffmpeg's libopus (`-vbr off -compression_level 10`,
//! the same bitrate) is measured on the same input as the reference.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use framecast::codec::flac::{FlacEncoder, FlacEncoderConfig, FlacFrame};
use framecast::codec::opus::{OpusEncoder, OpusEncoderConfig};
use framecast::codec::CodecConfig;
use framecast::mux::flac::file_header;
use framecast::mux::mp4::{progressive_mp4, Mp4Options};
use framecast::mux::ogg::OggOpusWriter;
use framecast::mux::{Sample, TrackConfig};
use framecast::time::Timescale;

/// A test's own directory under the system temp dir, removed when the test
/// passes (a failing test leaves it for inspection).
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("framecast-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A logarithmic sine sweep from `f0` to `f1` Hz, amplitude 0.5; channel
/// `c` has phase offset `c * phase_step` (0 makes identical channels).
fn log_sweep(rate: u32, secs: f64, channels: usize, f0: f64, f1: f64, phase_step: f64) -> Vec<f32> {
    let n = (f64::from(rate) * secs).round() as usize;
    let k = (f1 / f0).ln();
    let mut v = Vec::with_capacity(n * channels);
    for i in 0..n {
        let t = i as f64 / f64::from(rate);
        let phase = 2.0 * PI * f0 * secs / k * ((t / secs * k).exp() - 1.0);
        for c in 0..channels {
            v.push((0.5 * (phase + c as f64 * phase_step).sin()) as f32);
        }
    }
    v
}

/// Music-like material: a melody of decaying harmonic notes (four per
/// second, with vibrato), a bass line and noise bursts on the beat; the
/// right channel carries the melody quieter. Phases are continuous.
fn music(rate: u32, secs: f64, channels: usize) -> Vec<f32> {
    const NOTES: [f64; 8] = [220.0, 277.18, 329.63, 440.0, 392.0, 349.23, 293.66, 261.63];
    let n = (f64::from(rate) * secs) as usize;
    let (mut melody, mut bass, mut seed) = (0.0f64, 0.0f64, 0x2545_f491u64);
    let mut v = Vec::with_capacity(n * channels);
    for i in 0..n {
        let t = i as f64 / f64::from(rate);
        let beat = (t * 4.0) as usize;
        let in_beat = t * 4.0 - beat as f64;
        melody += 2.0 * PI * NOTES[beat % 8] * (1.0 + 0.005 * (2.0 * PI * 5.0 * t).sin()) / f64::from(rate);
        bass += 2.0 * PI * NOTES[t as usize % 8] / 2.0 / f64::from(rate);
        let env = (-3.0 * in_beat).exp();
        let tone: f64 = [(1.0, 0.3), (2.0, 0.15), (3.0, 0.1), (5.0, 0.05), (8.0, 0.03), (13.0, 0.02)]
            .iter()
            .map(|(h, a)| a * env * (h * melody).sin())
            .sum();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let noise = (seed >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
        let hit = if in_beat < 0.05 { 0.2 * noise * (1.0 - in_beat / 0.05) } else { 0.0 };
        for c in 0..channels {
            v.push((tone * if c == 0 { 1.0 } else { 0.8 } + 0.2 * bass.sin() + hit) as f32);
        }
    }
    v
}

/// A 32-bit float WAV file (for ffmpeg's libopus).
fn write_wav_f32(path: &Path, pcm: &[f32], rate: u32, channels: u16) {
    let data = (pcm.len() * 4) as u32;
    let mut b = Vec::with_capacity(44 + pcm.len() * 4);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * 4 * u32::from(channels)).to_le_bytes());
    b.extend_from_slice(&(4 * channels).to_le_bytes());
    b.extend_from_slice(&32u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data.to_le_bytes());
    for s in pcm {
        b.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(path, b).expect("write wav");
}

/// Runs ffmpeg with `args` and returns stdout.
fn ffmpeg(args: &[&str]) -> Vec<u8> {
    let out = Command::new("ffmpeg").args(["-v", "error", "-nostdin"]).args(args).output().expect("run ffmpeg");
    assert!(out.status.success(), "ffmpeg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// ffmpeg's decode of `path` as interleaved f32, resampled to `rate`.
fn decode_f32(path: &Path, rate: u32) -> Vec<f32> {
    common::ffmpeg_f32(path, &["-ar", &rate.to_string()]).0
}

/// ffprobe's view of the first audio stream.
#[derive(Debug)]
struct Probe {
    codec: String,
    sample_rate: u32,
    channels: usize,
    duration: f64,
    bits: String,
}

fn probe(path: &Path) -> Probe {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0", "-show_entries"])
        .args(["stream=codec_name,sample_rate,channels,duration,bits_per_raw_sample", "-of", "default=nw=1"])
        .arg(path)
        .output()
        .expect("run ffprobe");
    assert!(out.status.success(), "ffprobe: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} in {text}"))
            .to_string()
    };
    Probe {
        codec: field("codec_name"),
        sample_rate: field("sample_rate").parse().expect("rate"),
        channels: field("channels").parse().expect("channels"),
        duration: field("duration").parse().expect("duration"),
        bits: field("bits_per_raw_sample"),
    }
}

/// In-place radix-2 FFT of `re`/`im` (length a power of two).
fn fft(re: &mut [f64], im: &mut [f64]) {
    let n = re.len();
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let (wr, wi) = ((-2.0 * PI / len as f64).cos(), (-2.0 * PI / len as f64).sin());
        for start in (0..n).step_by(len) {
            let (mut cr, mut ci) = (1.0, 0.0);
            for k in 0..len / 2 {
                let (a, b) = (start + k, start + k + len / 2);
                let (tr, ti) = (re[b] * cr - im[b] * ci, re[b] * ci + im[b] * cr);
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
                (cr, ci) = (cr * wr - ci * wi, cr * wi + ci * wr);
            }
        }
        len <<= 1;
    }
}

/// The spectral SNR of the module docs, dB.
fn spectral_snr(x: &[f32], y: &[f32], channels: usize) -> f64 {
    const N: usize = 2048;
    let window: Vec<f64> = (0..N).map(|i| 0.5 - 0.5 * (2.0 * PI * i as f64 / N as f64).cos()).collect();
    let magnitudes = |s: &[f32], c: usize, at: usize| {
        let mut re: Vec<f64> = (0..N).map(|i| f64::from(s[(at + i) * channels + c]) * window[i]).collect();
        let mut im = vec![0.0; N];
        fft(&mut re, &mut im);
        (0..=N / 2).map(|k| re[k].hypot(im[k])).collect::<Vec<f64>>()
    };
    let frames = x.len().min(y.len()) / channels;
    let (mut signal, mut error) = (0.0, 0.0);
    for c in 0..channels {
        for at in (0..frames.saturating_sub(N)).step_by(N / 2) {
            for (a, b) in magnitudes(x, c, at).into_iter().zip(magnitudes(y, c, at)) {
                signal += a * a;
                error += (a - b) * (a - b);
            }
        }
    }
    10.0 * (signal / error.max(1e-30)).log10()
}

/// Plain waveform SNR, dB, over the common length.
fn waveform_snr(x: &[f32], y: &[f32]) -> f64 {
    let (mut signal, mut error) = (0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        signal += f64::from(a) * f64::from(a);
        error += f64::from(a - b) * f64::from(a - b);
    }
    10.0 * (signal / error.max(1e-30)).log10()
}

/// Encodes `pcm` to an Ogg Opus file at `path`, feeding it in uneven
/// pieces; returns the encoder's packet duration (s) and its speed
/// (x real time).
fn encode_ogg_opus(config: OpusEncoderConfig, pcm: &[f32], path: &Path) -> (f64, f64) {
    let channels = usize::from(config.channels);
    let mut enc = OpusEncoder::new(config).expect("valid config");
    let mut file = Vec::new();
    let mut ogg = OggOpusWriter::new(0x00f0_ca57, enc.head(), &mut file);
    let start = Instant::now();
    let mut packets = Vec::new();
    for chunk in pcm.chunks(channels * 1234) {
        packets.extend(enc.encode(chunk).expect("encode"));
    }
    let tail = enc.flush().expect("flush");
    let secs = start.elapsed().as_secs_f64();
    packets.extend(tail.packets);
    for p in &packets {
        ogg.write_packet(p, &mut file).expect("ogg packet");
    }
    ogg.finish(tail.end_pts, &mut file).expect("ogg finish");
    std::fs::write(path, file).expect("write opus");
    let audio = (pcm.len() / channels) as f64 / f64::from(config.sample_rate);
    (f64::from(enc.frame_ticks()) / 48_000.0, audio / secs)
}

/// One Opus round trip: our encoder and ffmpeg's libopus on the same
/// input, both decoded by ffmpeg; checks container facts and returns our
/// spectral SNR. Files go to `dir`, ours as `{name}.opus`.
fn opus_round_trip(dir: &Scratch, name: &str, config: OpusEncoderConfig, pcm: &[f32]) -> f64 {
    let (rate, channels) = (config.sample_rate, usize::from(config.channels));
    let ours = dir.path(&format!("{name}.opus"));
    let (frame_secs, speed) = encode_ogg_opus(config, pcm, &ours);
    let input_secs = (pcm.len() / channels) as f64 / f64::from(rate);

    let p = probe(&ours);
    assert_eq!((p.codec.as_str(), p.channels), ("opus", channels), "{name}: {p:?}");
    // Opus decodes at 48 kHz whatever the input rate; OpusHead keeps the
    // input rate (bytes 12..16 of the first page's packet at offset 28).
    assert_eq!(p.sample_rate, 48_000, "{name}");
    let file = std::fs::read(&ours).expect("read opus");
    assert_eq!(&file[28..36], b"OpusHead");
    assert_eq!(u32::from_le_bytes([file[40], file[41], file[42], file[43]]), rate, "{name}: OpusHead input rate");
    assert!((p.duration - input_secs).abs() <= frame_secs, "{name}: ffprobe says {} s for {input_secs} s", p.duration);

    let decoded = decode_f32(&ours, rate);
    let decoded_secs = (decoded.len() / channels) as f64 / f64::from(rate);
    assert!((decoded_secs - input_secs).abs() <= frame_secs, "{name}: decoded {decoded_secs} s of {input_secs} s");
    let spectral = spectral_snr(pcm, &decoded, channels);

    let wav = dir.path(&format!("{name}.wav"));
    write_wav_f32(&wav, pcm, rate, channels as u16);
    let reference = dir.path(&format!("{name}.libopus.opus"));
    let bitrate = config.bitrate.to_string();
    let (w, r) = (wav.to_str().expect("utf-8"), reference.to_str().expect("utf-8"));
    ffmpeg(&["-y", "-i", w, "-c:a", "libopus", "-b:a", &bitrate, "-vbr", "off", "-compression_level", "10", r]);
    let libopus = decode_f32(&reference, rate);
    println!(
        "{name}: {} kbit/s: spectral SNR {spectral:.1} dB (libopus {:.1} dB), waveform SNR {:.1} dB (libopus {:.1} dB), \
         {} bytes (libopus {}), encode {speed:.0}x real time",
        config.bitrate / 1000,
        spectral_snr(pcm, &libopus, channels),
        waveform_snr(pcm, &decoded),
        waveform_snr(pcm, &libopus),
        file.len(),
        std::fs::metadata(&reference).map(|m| m.len()).unwrap_or(0),
    );
    spectral
}

#[test]
fn opus_mono_sweep_at_96k_matches_its_spectrum() {
    let config = OpusEncoderConfig { bitrate: 96_000, ..OpusEncoderConfig::new(48_000, 1) };
    let snr = opus_round_trip(
        &Scratch::new("sweep-48k-mono-96k"),
        "sweep-48k-mono-96k",
        config,
        &log_sweep(48_000, 10.0, 1, 20.0, 20_000.0, 0.0),
    );
    assert!(snr >= 30.0, "spectral SNR {snr:.1} dB");
}

#[test]
fn opus_stereo_sweep_at_the_default_128k_matches_its_spectrum() {
    let config = OpusEncoderConfig::new(48_000, 2);
    assert_eq!(config.bitrate, 128_000);
    let snr = opus_round_trip(
        &Scratch::new("sweep-48k-stereo-128k"),
        "sweep-48k-stereo-128k",
        config,
        &log_sweep(48_000, 10.0, 2, 20.0, 20_000.0, 0.7),
    );
    assert!(snr >= 30.0, "spectral SNR {snr:.1} dB");
}

/// The known opus-rs defect (module docs of `codec::opus`): at 96 kbit/s
/// stereo, tones between about 8 and 16 kHz come out as noise, which
/// costs the sweep's last second. The first 8.5 s (20 Hz to 7 kHz) are
/// checked in full; the whole file only against a collapse.
#[test]
fn opus_stereo_sweep_at_96k_is_good_below_8_khz() {
    let config = OpusEncoderConfig { bitrate: 96_000, ..OpusEncoderConfig::new(48_000, 2) };
    let sweep = log_sweep(48_000, 10.0, 2, 20.0, 20_000.0, 0.7);
    let dir = Scratch::new("sweep-48k-stereo-96k");
    let whole = opus_round_trip(&dir, "sweep", config, &sweep);
    let decoded = decode_f32(&dir.path("sweep.opus"), 48_000);
    let low = 48_000 * 17 / 2 * 2;
    let below_8k = spectral_snr(&sweep[..low], &decoded[..low], 2);
    println!("sweep-48k-stereo-96k: spectral SNR {below_8k:.1} dB below 7 kHz, {whole:.1} dB in all");
    assert!(below_8k >= 30.0, "spectral SNR below 7 kHz {below_8k:.1} dB");
    assert!(whole >= 10.0, "spectral SNR {whole:.1} dB");
}

#[test]
fn opus_stereo_music_at_96k_matches_its_spectrum() {
    let config = OpusEncoderConfig { bitrate: 96_000, ..OpusEncoderConfig::new(48_000, 2) };
    let snr =
        opus_round_trip(&Scratch::new("music-48k-stereo-96k"), "music-48k-stereo-96k", config, &music(48_000, 10.0, 2));
    // Noise bursts cannot be matched bin by bin, by any codec: libopus
    // scores about 24.7 dB here.
    assert!(snr >= 23.0, "spectral SNR {snr:.1} dB");
}

/// 16 kHz mono needs no resampling before Opus; opus-rs codes it with SILK.
#[test]
fn opus_16k_mono_sweep_round_trips() {
    let config = OpusEncoderConfig { bitrate: 96_000, ..OpusEncoderConfig::new(16_000, 1) };
    let snr = opus_round_trip(
        &Scratch::new("sweep-16k-mono"),
        "sweep-16k-mono",
        config,
        &log_sweep(16_000, 10.0, 1, 20.0, 8_000.0, 0.0),
    );
    // SILK is a speech coder: about 55 kbit/s whatever the target, and
    // 22.8 dB on this sweep (libopus switches to CELT: 28.8 dB).
    assert!(snr >= 20.0, "spectral SNR {snr:.1} dB");
}

/// Encodes `pcm` (interleaved, at `bits`) with our FLAC encoder in uneven
/// pieces, writing the file as a stream and patching its header at the
/// end; returns the file, its frames and the MP4 track configuration.
fn encode_flac(config: FlacEncoderConfig, pcm: &[i32], path: &Path) -> (Vec<u8>, Vec<FlacFrame>, CodecConfig) {
    let mut enc = FlacEncoder::new(config).expect("valid config");
    let mut file = file_header(&enc.dfla_metadata());
    let mut frames = Vec::new();
    for chunk in pcm.chunks(usize::from(config.channels) * 3001) {
        frames.extend(enc.encode_i32(chunk).expect("encode"));
    }
    frames.extend(enc.finish().expect("finish"));
    for f in &frames {
        file.extend_from_slice(&f.data);
    }
    let header = file_header(&enc.dfla_metadata());
    file[..header.len()].copy_from_slice(&header);
    std::fs::write(path, &file).expect("write flac");
    (file, frames, enc.codec_config())
}

/// A sweep with a little noise (so LPC residuals are not trivial) as
/// integers of `bits` bits.
fn int_sweep(rate: u32, secs: f64, channels: usize, bits: u8) -> Vec<i32> {
    let full = f64::from(1u32 << (bits - 1)) - 1.0;
    let mut seed = 0x9e37_79b9u64;
    log_sweep(rate, secs, channels, 20.0, f64::from(rate) * 0.45, 0.7)
        .into_iter()
        .map(|s| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let dither = ((seed >> 33) as f64 / f64::from(1u32 << 31) - 0.5) * 8.0;
            (f64::from(s) * 1.6 * full + dither).round().clamp(-full - 1.0, full) as i32
        })
        .collect()
}

fn flac_round_trip(name: &str, config: FlacEncoderConfig, secs: f64) {
    let (rate, channels, bits) = (config.sample_rate, usize::from(config.channels), config.bits_per_sample);
    let pcm = int_sweep(rate, secs, channels, bits);
    let dir = Scratch::new(name);
    let path = dir.path("out.flac");
    let start = Instant::now();
    let (file, frames, _) = encode_flac(config, &pcm, &path);
    let speed = secs / start.elapsed().as_secs_f64();

    let p = probe(&path);
    assert_eq!((p.codec.as_str(), p.sample_rate, p.channels), ("flac", rate, channels), "{name}: {p:?}");
    assert_eq!(p.bits, bits.to_string(), "{name}");
    let samples = pcm.len() / channels;
    assert!((p.duration - samples as f64 / f64::from(rate)).abs() < 1e-3, "{name}: {} s", p.duration);

    // Bit-exact: ffmpeg's decode equals the input.
    let path_str = path.to_str().expect("utf-8");
    let decoded: Vec<i32> = if bits == 16 {
        ffmpeg(&["-i", path_str, "-f", "s16le", "-"])
            .chunks_exact(2)
            .map(|c| i32::from(i16::from_le_bytes([c[0], c[1]])))
            .collect()
    } else {
        ffmpeg(&["-i", path_str, "-f", "s32le", "-"])
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) >> 8)
            .collect()
    };
    assert_eq!(decoded.len(), pcm.len(), "{name}: decoded length");
    assert!(decoded == pcm, "{name}: decoded samples differ from the input");

    // STREAMINFO's MD5 is that of the samples as little-endian bytes of
    // their width, which ffmpeg's md5 muxer computes over raw PCM.
    let codec = if bits == 16 { "pcm_s16le" } else { "pcm_s24le" };
    let md5 = String::from_utf8(ffmpeg(&["-i", path_str, "-c:a", codec, "-f", "md5", "-"])).expect("utf-8");
    let ours: String = file[26..42].iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(md5.trim(), format!("MD5={ours}"), "{name}: STREAMINFO MD5");
    let total = u64::from_be_bytes(file[18..26].try_into().expect("8 bytes")) & 0xf_ffff_ffff;
    assert_eq!(total, samples as u64, "{name}: STREAMINFO total samples");
    assert_eq!(frames.iter().map(|f| u64::from(f.duration)).sum::<u64>(), samples as u64);
    let ratio = file.len() as f64 / (pcm.len() as f64 * f64::from(bits) / 8.0);
    println!("{name}: {} bytes, {:.1}% of PCM, encode {speed:.0}x real time", file.len(), ratio * 100.0);
}

#[test]
fn flac_48k_stereo_16_bit_is_lossless() {
    flac_round_trip("sweep-48k-stereo-s16", FlacEncoderConfig::new(48_000, 2), 10.0);
}

#[test]
fn flac_44k_stereo_24_bit_is_lossless() {
    let config = FlacEncoderConfig { bits_per_sample: 24, ..FlacEncoderConfig::new(44_100, 2) };
    flac_round_trip("sweep-44k-stereo-s24", config, 3.0);
}

#[test]
fn flac_16k_mono_with_odd_blocks_is_lossless() {
    // 1000-sample blocks and a length that leaves a 7-sample last block.
    let config = FlacEncoderConfig { block_size: 1000, ..FlacEncoderConfig::new(16_000, 1) };
    flac_round_trip("sweep-16k-mono-s16", config, 32_007.0 / 16_000.0);
}

/// FLAC frames and `dfLa` from the encoder, muxed by our progressive MP4
/// writer, decode bit-exactly in ffmpeg.
#[test]
fn flac_in_mp4_is_lossless() {
    let config = FlacEncoderConfig::new(48_000, 2);
    let pcm = int_sweep(48_000, 2.0, 2, 16);
    let dir = Scratch::new("flac-in-mp4");
    let path = dir.path("out.flac");
    let (_, frames, codec) = encode_flac(config, &pcm, &path);
    let track = TrackConfig::new(1, Timescale::new(48_000).expect("non-zero"), codec);
    let samples: Vec<Sample> = frames
        .into_iter()
        .map(|f| Sample {
            decode_time: f.pts as i64,
            composition_offset: 0,
            duration: f.duration,
            keyframe: true,
            data: f.data,
        })
        .collect();
    let mp4 = progressive_mp4(&[(&track, &samples)], &Mp4Options::default()).expect("mux");
    let mp4_path = dir.path("out.mp4");
    std::fs::write(&mp4_path, mp4).expect("write mp4");
    let p = probe(&mp4_path);
    assert_eq!((p.codec.as_str(), p.sample_rate, p.channels), ("flac", 48_000, 2));
    let decoded: Vec<i32> = ffmpeg(&["-i", mp4_path.to_str().expect("utf-8"), "-f", "s16le", "-"])
        .chunks_exact(2)
        .map(|c| i32::from(i16::from_le_bytes([c[0], c[1]])))
        .collect();
    assert!(decoded == pcm, "decoded {} samples, want {}", decoded.len(), pcm.len());
}

/// Opus packets and `dOps` from the encoder, muxed by our progressive MP4
/// writer: ffmpeg finds a 48 kHz stereo Opus track and decodes exactly what
/// it decodes from the same packets in Ogg. (It drops the `dOps` pre-skip
/// itself; the end is not trimmed, as the muxer writes no edit list, so up
/// to a frame of padding remains.)
#[test]
fn opus_in_mp4_decodes_like_ogg() {
    let dir = Scratch::new("opus-in-mp4");
    let sweep = log_sweep(48_000, 3.0, 2, 20.0, 20_000.0, 0.7);
    let mut enc = OpusEncoder::new(OpusEncoderConfig::new(48_000, 2)).expect("valid config");
    let mut packets = enc.encode(&sweep).expect("encode");
    let tail = enc.flush().expect("flush");
    packets.extend(tail.packets);

    let mut ogg = Vec::new();
    let mut writer = OggOpusWriter::new(1, enc.head(), &mut ogg);
    for p in &packets {
        writer.write_packet(p, &mut ogg).expect("ogg packet");
    }
    writer.finish(tail.end_pts, &mut ogg).expect("ogg finish");
    std::fs::write(dir.path("out.opus"), ogg).expect("write ogg");

    let pre_skip = i64::from(enc.pre_skip());
    let samples: Vec<Sample> = packets
        .into_iter()
        .map(|p| Sample {
            decode_time: p.pts + pre_skip,
            composition_offset: 0,
            duration: p.duration,
            keyframe: true,
            data: p.data,
        })
        .collect();
    let track = TrackConfig::new(1, Timescale::new(48_000).expect("non-zero"), enc.head().codec_config());
    let mp4 = progressive_mp4(&[(&track, &samples)], &Mp4Options::default()).expect("mux");
    std::fs::write(dir.path("out.mp4"), mp4).expect("write mp4");

    let p = probe(&dir.path("out.mp4"));
    assert_eq!((p.codec.as_str(), p.sample_rate, p.channels), ("opus", 48_000, 2));
    let from_mp4 = decode_f32(&dir.path("out.mp4"), 48_000);
    let from_ogg = decode_f32(&dir.path("out.opus"), 48_000);
    assert_eq!(from_ogg.len(), sweep.len(), "Ogg end trimming");
    let extra = (from_mp4.len() as i64 - sweep.len() as i64) / 2;
    assert!((0..960).contains(&extra), "MP4 decodes {extra} samples more than the input");
    assert!(from_mp4[..sweep.len()] == from_ogg[..], "MP4 and Ogg decode differently");
}

/// Encode speed for the benchmark's workload: 60 s of 48 kHz stereo at
/// 96 kbit/s, 20 ms frames. Prints x real time (meaningful in release
/// builds: `cargo test --release --test audio_encode_opus_flac -- --nocapture speed`).
#[test]
fn opus_encode_speed_60s_stereo() {
    let pcm = music(48_000, 60.0, 2);
    let config = OpusEncoderConfig { bitrate: 96_000, ..OpusEncoderConfig::new(48_000, 2) };
    let mut enc = OpusEncoder::new(config).expect("valid config");
    let start = Instant::now();
    let mut bytes = 0;
    for chunk in pcm.chunks(2 * 4800) {
        bytes += enc.encode(chunk).expect("encode").iter().map(|p| p.data.len()).sum::<usize>();
    }
    bytes += enc.flush().expect("flush").packets.iter().map(|p| p.data.len()).sum::<usize>();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "opus_encode 60 s 48 kHz stereo 96 kbit/s: {:.2} s, {:.0}x real time, {:.1} kbit/s",
        secs,
        60.0 / secs,
        bytes as f64 * 8.0 / 60.0 / 1000.0
    );
    assert!((bytes as f64 * 8.0 / 60.0 - 96_000.0).abs() < 10_000.0, "bitrate off target: {bytes} bytes");
}
