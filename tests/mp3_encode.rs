//! MP3 encoding (cargo feature `mp3`) checked by ffmpeg: a sweep is
//! encoded to an `.mp3` file that ffprobe must describe and ffmpeg's
//! decoder must turn back into the input, clicks show where the encoder
//! delay puts the input in the decoded audio, and bad settings are refused
//! by name.
//!
//! Run with `cargo test --features mp3 --test mp3_encode`.
#![cfg(feature = "mp3")]
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use common::ffprobe;
use framecast::codec::mp3::{Mp3Encoder, Mp3EncoderConfig, Mp3Error, Mp3Frame};
use framecast::error::Coded;

/// `name` in this test run's own directory under the system temp dir.
fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("framecast-mp3-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir.join(name)
}

/// Encodes `pcm` in 10 ms pieces (what a capture callback delivers), then
/// flushes, and writes the frames back to back to `path`.
fn encode_to_file(config: Mp3EncoderConfig, pcm: &[f32], path: &Path) -> Vec<Mp3Frame> {
    let channels = usize::from(config.channels);
    let mut enc = Mp3Encoder::new(config).expect("valid config");
    let mut frames = Vec::new();
    for piece in pcm.chunks(config.sample_rate as usize / 100 * channels) {
        frames.extend(enc.encode_f32(piece).expect("encode"));
    }
    frames.extend(enc.flush().expect("flush"));
    let file: Vec<u8> = frames.iter().flat_map(|f| f.data.iter().copied()).collect();
    std::fs::write(path, file).expect("write mp3");
    frames
}

/// `ffmpeg -v error -i path -f f32le -`: ffmpeg's MP3 decoder, interleaved.
fn ffmpeg_decode(path: &Path) -> Vec<f32> {
    let (pcm, stderr) = common::ffmpeg_f32(path, &[]);
    assert!(stderr.is_empty(), "ffmpeg: {stderr}");
    pcm
}

/// 10 log10(sum x^2 / sum (x - y)^2) over all of `input` (interleaved),
/// against `decoded` from interleaved index `start` on.
fn snr_db(input: &[f32], decoded: &[f32], start: usize) -> f64 {
    let (mut signal, mut error) = (0.0, 0.0);
    for (i, &x) in input.iter().enumerate() {
        let y = decoded.get(start + i).copied().unwrap_or(0.0);
        signal += f64::from(x) * f64::from(x);
        error += f64::from(x - y) * f64::from(x - y);
    }
    10.0 * (signal / error.max(1e-30)).log10()
}

/// A 3 s logarithmic sweep from 100 Hz to 8 kHz, interleaved stereo: the
/// right channel is quieter and a quarter period ahead, so swapped or
/// merged channels would show.
fn stereo_sweep(rate: u32) -> Vec<f32> {
    const SECONDS: f64 = 3.0;
    let (f0, f1) = (100.0, 8000.0);
    let k = f64::ln(f1 / f0);
    (0..(f64::from(rate) * SECONDS) as usize)
        .flat_map(|i| {
            let t = i as f64 / f64::from(rate);
            let phase = 2.0 * PI * f0 * SECONDS / k * ((k * t / SECONDS).exp() - 1.0);
            [(0.5 * phase.sin()) as f32, (0.35 * (phase + PI / 2.0).sin()) as f32]
        })
        .collect()
}

/// 44.1 kHz stereo at 192 kbit/s through ffprobe and ffmpeg. The measure
/// is plain waveform SNR: unlike Opus, MP3 quantises the MDCT lines of
/// each channel (or of mid and side) and keeps their phase, so the
/// decoded waveform follows the input once aligned by the encoder delay.
/// Measured 56.8 dB; on the same input ffmpeg's libmp3lame at 192k gives
/// 30.5 dB (LAME lets noise up to the masking threshold), so the floor is
/// 30 dB.
#[test]
fn sweep_44k1_stereo_192k_decodes_in_ffmpeg_with_30_db_snr() {
    let config = Mp3EncoderConfig { bitrate: 192_000, ..Mp3EncoderConfig::new(44_100, 2) };
    assert_eq!(config, Mp3EncoderConfig::new(44_100, 2), "192 kbit/s is the stereo default");
    let pcm = stereo_sweep(44_100);
    let input_frames = pcm.len() / 2;
    let path = temp_path("sweep_44k1_stereo_192k.mp3");
    let frames = encode_to_file(config, &pcm, &path);
    let enc = Mp3Encoder::new(config).expect("valid config");
    let (spf, delay) = (enc.samples_per_frame() as usize, enc.encoder_delay() as usize);

    let probe = ffprobe(
        &[
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=codec_name,sample_rate,channels,duration,bit_rate",
            "-of",
            "csv=p=0",
        ],
        &path,
    );
    let fields: Vec<&str> = probe.trim().split(',').collect();
    // ffprobe's own field order.
    assert_eq!([fields[0], fields[1], fields[2], fields[4]], ["mp3", "44100", "2", "192000"], "ffprobe: {probe}");
    let probed: f64 = fields[3].parse().expect("duration");
    let frame_secs = spf as f64 / 44_100.0;
    let input_secs = input_frames as f64 / 44_100.0;
    assert!(
        (probed - delay as f64 / 44_100.0 - input_secs).abs() <= frame_secs,
        "ffprobe says {probed} s for {input_secs} s of input and {delay} samples of delay"
    );

    let decoded = ffmpeg_decode(&path);
    let decoded_frames = decoded.len() / 2;
    assert_eq!(decoded_frames, frames.len() * spf, "every frame decodes to {spf} samples");
    assert!(frames.iter().all(|f| f.duration as usize == spf));
    let padding = decoded_frames as i64 - (delay + input_frames) as i64;
    assert!((0..spf as i64).contains(&padding), "{padding} samples of padding after the delay and the input");

    let snr = snr_db(&pcm, &decoded, 2 * delay);
    let bytes: usize = frames.iter().map(|f| f.data.len()).sum();
    let kbps = bytes as f64 * 8.0 / (decoded_frames as f64 / 44_100.0) / 1000.0;
    println!(
        "mp3 44.1 kHz stereo 192 kbit/s sweep 100 Hz-8 kHz: SNR {snr:.1} dB, {} frames, {kbps:.1} kbit/s",
        frames.len()
    );
    assert!(snr >= 30.0, "SNR {snr:.1} dB");
    let _ = std::fs::remove_file(&path);
}

/// Where the input lands in the decoded audio, measured: a one-sample click
/// in the left channel of silence comes out of ffmpeg's decoder
/// `encoder_delay()` samples later, at an MPEG-1 and an MPEG-2 rate and at
/// two positions within a frame. The right channel stays silent.
#[test]
fn a_click_lands_encoder_delay_samples_later() {
    for (rate, channels) in [(44_100, 2), (22_050, 1)] {
        let config = Mp3EncoderConfig::new(rate, channels);
        let ch = usize::from(channels);
        let delay = Mp3Encoder::new(config).expect("valid config").encoder_delay() as usize;
        for at in [5_000, 20_333] {
            let mut pcm = vec![0.0f32; rate as usize * ch];
            pcm[at * ch] = 0.8;
            let path = temp_path(&format!("click_{rate}_{at}.mp3"));
            encode_to_file(config, &pcm, &path);
            let decoded = ffmpeg_decode(&path);
            let left = decoded.iter().step_by(ch);
            let (peak, level) =
                left.enumerate().fold((0, 0.0f32), |best, (i, &y)| if y.abs() > best.1 { (i, y.abs()) } else { best });
            println!(
                "click at {at} ({rate} Hz, {channels} ch): decoded peak {level:.2} at {peak}, {} later",
                peak - at
            );
            assert_eq!(peak, at + delay, "{rate} Hz: the click at {at} came out at {peak}");
            if ch == 2 {
                let right = decoded.iter().skip(1).step_by(2).fold(0.0f32, |m, y| m.max(y.abs()));
                assert!(right < 0.05 * level, "{rate} Hz: right channel peak {right} for a left click of {level}");
            }
            let _ = std::fs::remove_file(&path);
        }
    }
}

#[test]
fn bad_settings_are_refused_by_name_with_the_allowed_values() {
    let refused = |config: Mp3EncoderConfig| match Mp3Encoder::new(config) {
        Err(e @ Mp3Error::InvalidConfig { .. }) => e,
        other => panic!("{config:?}: expected InvalidConfig, got {other:?}"),
    };
    let e = refused(Mp3EncoderConfig::new(44_000, 2));
    assert_eq!(
        e.to_string(),
        "mp3.sample_rate must be 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100 or 48000 Hz, got 44000"
    );
    assert_eq!(e.code(), "invalid-config");
    for channels in [0, 3] {
        assert_eq!(
            refused(Mp3EncoderConfig::new(48_000, channels)).to_string(),
            format!("mp3.channels must be 1 or 2, got {channels}")
        );
    }
    assert_eq!(
        refused(Mp3EncoderConfig { bitrate: 128_001, ..Mp3EncoderConfig::new(48_000, 2) }).to_string(),
        "mp3.bitrate must be 32000, 40000, 48000, 56000, 64000, 80000, 96000, 112000, 128000, 160000, 192000, 224000, \
         256000 or 320000 bit/s at 48000 Hz, got 128001"
    );
    // MPEG-2 rates have their own, lower table.
    assert_eq!(
        refused(Mp3EncoderConfig { bitrate: 192_000, ..Mp3EncoderConfig::new(22_050, 2) }).to_string(),
        "mp3.bitrate must be 8000, 16000, 24000, 32000, 40000, 48000, 56000, 64000, 80000, 96000, 112000, 128000, \
         144000 or 160000 bit/s at 22050 Hz, got 192000"
    );
    let Mp3Error::InvalidConfig { field, .. } =
        refused(Mp3EncoderConfig { bitrate: 8_000, ..Mp3EncoderConfig::new(32_000, 1) })
    else {
        unreachable!()
    };
    assert_eq!(field, "bitrate");
    assert_eq!(Mp3EncoderConfig { bitrate: 8_000, ..Mp3EncoderConfig::new(8_000, 1) }.validate(), Ok(()));
    assert_eq!(Mp3EncoderConfig { bitrate: 320_000, ..Mp3EncoderConfig::new(32_000, 1) }.validate(), Ok(()));
}

#[test]
fn flush_of_an_empty_encoder_yields_nothing() {
    let mut enc = Mp3Encoder::new(Mp3EncoderConfig::new(44_100, 2)).expect("valid config");
    assert!(enc.encode_f32(&[]).expect("empty input").is_empty());
    assert_eq!(enc.flush(), Ok(Vec::new()));
    assert_eq!(enc.flush(), Err(Mp3Error::Finished));
    assert_eq!(enc.encode_f32(&[0.0, 0.0]), Err(Mp3Error::Finished));
}
