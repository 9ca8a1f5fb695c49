//! Encodes a raw I420 file with framecast's H.264 encoder and prints one
//! JSON line of results. Used by the benchmark and the wasm/native
//! bitstream comparison.
//!
//! ```text
//! cargo run --release --example h264_encode -- IN.yuv WIDTH HEIGHT [--bitrate BPS] [--fps N]
//!     [--profile baseline|main|high] [--out OUT.h264] [--repeat N]
//! ```
//! `--repeat N` encodes the clip N times with fresh encoders and reports the
//! median of the per-run encode times (ms/frame).

use std::time::Instant;

use framecast::codec::h264::{EncoderConfig, H264Decoder, H264Encoder, Profile, OPENH264_BUILD};
use framecast::frame::{i420_size, psnr, I420Planes};
use framecast::time::Timestamp;

fn main() {
    if let Err(e) = run() {
        eprintln!("h264_encode: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: h264_encode IN.yuv WIDTH HEIGHT [--bitrate BPS] [--fps N] [--profile P] [--out F] [--repeat N]";
    let [input, w, h, rest @ ..] = args.as_slice() else { return Err(usage.into()) };
    let (w, h): (u32, u32) = (w.parse()?, h.parse()?);
    let mut config = EncoderConfig::new(w, h);
    let (mut out, mut repeat) = (None, 1usize);
    let mut it = rest.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(usage)?;
        match flag.as_str() {
            "--bitrate" => config.bitrate = value.parse()?,
            "--fps" => config.frame_rate = value.parse()?,
            "--profile" => config.profile = serde_json::from_value::<Profile>(serde_json::json!(value))?,
            "--out" => out = Some(value.clone()),
            "--repeat" => repeat = value.parse()?,
            _ => return Err(usage.into()),
        }
    }
    let raw = std::fs::read(input)?;
    let frames: Vec<&[u8]> = raw.chunks_exact(i420_size(w, h)).collect();
    let mut run_ms = Vec::new();
    let mut stream = Vec::new();
    for _ in 0..repeat.max(1) {
        let mut enc = H264Encoder::new(config.clone())?;
        stream.clear();
        let t0 = Instant::now();
        for (i, f) in frames.iter().enumerate() {
            let ts = Timestamp::from_micros((i as f64 * 1e6 / config.frame_rate as f64).round() as i64);
            if let Some(au) = enc.encode(&I420Planes::packed(w, h, f)?, ts)? {
                stream.extend_from_slice(&au.data);
            }
        }
        run_ms.push(t0.elapsed().as_secs_f64() * 1000.0 / frames.len() as f64);
    }
    run_ms.sort_by(f64::total_cmp);
    let median = run_ms[run_ms.len() / 2];
    // Quality: decode our own stream and compare with the input.
    let mut dec = H264Decoder::new()?;
    let mut decoded = Vec::new();
    for nal_au in split_access_units(&stream) {
        decoded.extend(dec.decode(nal_au, Timestamp::from_micros(0))?);
    }
    decoded.extend(dec.flush()?);
    let mse: f64 = frames
        .iter()
        .zip(&decoded)
        .map(|(a, b)| 255.0 * 255.0 / 10f64.powf(psnr(a, &b.frame.data).min(99.0) / 10.0))
        .sum::<f64>()
        / decoded.len().max(1) as f64;
    let kbps = stream.len() as f64 * 8.0 * config.frame_rate as f64 / frames.len() as f64 / 1000.0;
    if let Some(path) = out {
        std::fs::write(path, &stream)?;
    }
    println!(
        "{{\"encoder\":\"framecast native ({OPENH264_BUILD})\",\"width\":{w},\"height\":{h},\"frames\":{},\"decoded\":{},\"runs\":{},\"ms_per_frame\":{median:.3},\"fps\":{:.1},\"kbps\":{kbps:.0},\"psnr\":{:.2},\"bytes\":{}}}",
        frames.len(),
        decoded.len(),
        run_ms.len(),
        1000.0 / median,
        10.0 * (255.0f64 * 255.0 / mse).log10(),
        stream.len()
    );
    Ok(())
}

/// Splits our own Annex-B output into access units: each starts at an SPS
/// (keyframes) or at a slice that is not preceded by an SPS/PPS.
fn split_access_units(stream: &[u8]) -> Vec<&[u8]> {
    let nals = framecast::codec::h264::bitstream::split_annex_b(stream).unwrap_or_default();
    let mut starts = Vec::new();
    let mut prev_was_param = false;
    for n in &nals {
        let t = n.nal_type.value();
        let offset = n.data.as_ptr() as usize - stream.as_ptr() as usize - 4;
        if t == 7 || ((t == 1 || t == 5) && !prev_was_param) {
            starts.push(offset);
        }
        prev_was_param = t == 7 || t == 8;
    }
    starts.push(stream.len());
    starts.windows(2).map(|w| &stream[w[0]..w[1]]).collect()
}
