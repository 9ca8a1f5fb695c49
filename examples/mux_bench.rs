//! Muxing benchmark, native: pushes a fixed workload of H.264 and AAC
//! samples through the segmenter into CMAF fragments and prints one JSON
//! line with the median throughput. `tests/bench/mux.mjs` runs the same
//! workload through the wasm `Muxer` in Node; `make bench` runs both (see
//! BENCHMARKS.md, "Muxing").
//!
//! ```text
//! cargo run --release --example mux_bench -- [--runs 5] [--warmup 10] [--seconds 60]
//! ```
//!
//! Workload (identical in `tests/bench/mux.mjs`, byte for byte):
//! - video: 1280x720 at 30 fps, 90 kHz, the `avcC` that framecast's encoder
//!   writes for 1280x720 at 2 Mbit/s; an IDR every 60 frames (2 s). Sample
//!   sizes follow our encoder's output on `testsrc2` at 2 Mbit/s: IDR
//!   26 000–32 000 bytes, P 6 000–10 000 bytes, uniform from xorshift32
//!   (seed `0x2545F491`), each one length-prefixed NAL unit;
//! - audio: AAC-LC 48 kHz stereo (`11 90`), 1024-sample frames of
//!   300–382 bytes (about 128 kbit/s, xorshift32 seed `0x6C078965`);
//! - pushed interleaved (audio up to each video time first), in the
//!   default segmenter configuration: one CMAF stream per track, 2 s
//!   fragments, no parts, into a [`MemoryListener`].
//!
//! Timed: `Segmenter::new`, every `push`, `finish` (the samples are cloned
//! before the clock starts; the output is dropped after it stops), after
//! `--warmup` untimed runs, as the wasm side needs them.
//! Throughput = input sample bytes / wall time, in MB/s (10^6 bytes).

use std::time::Instant;

use framecast::codec::h264::{EncoderConfig, H264Encoder, NalFormat};
use framecast::codec::CodecConfig;
use framecast::frame::I420Planes;
use framecast::mux::segmenter::{MemoryListener, Segmenter, SegmenterConfig};
use framecast::mux::{Sample, TrackConfig};
use framecast::time::{Timescale, Timestamp};

type Error = Box<dyn std::error::Error>;

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 720;
const FPS: i64 = 30;
const GOP: i64 = 60;
const VIDEO_TICKS: i64 = 90_000 / FPS;
const AUDIO_RATE: i64 = 48_000;
const AUDIO_FRAME: i64 = 1024;
const VIDEO: u32 = 1;
const AUDIO: u32 = 2;

/// xorshift32 (Marsaglia), the same in `tests/bench/mux.mjs`.
struct XorShift32(u32);

impl XorShift32 {
    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

/// The avcC of framecast's encoder for 1280x720 at 2 Mbit/s (one grey frame).
fn avcc() -> Result<Vec<u8>, Error> {
    let mut config = EncoderConfig::new(WIDTH, HEIGHT);
    config.bitrate = 2_000_000;
    config.format = NalFormat::Avc;
    let mut encoder = H264Encoder::new(config)?;
    let grey = vec![128u8; (WIDTH * HEIGHT * 3 / 2) as usize];
    encoder.encode(&I420Planes::packed(WIDTH, HEIGHT, &grey)?, Timestamp::new(0, Timescale::MPEG))?;
    Ok(encoder.decoder_config().ok_or("no SPS/PPS")?.avcc.clone())
}

/// The workload's samples in push order, with their track IDs.
fn workload(seconds: i64) -> Vec<(u32, Sample)> {
    let frames = seconds * FPS;
    let audio_frames = (seconds * AUDIO_RATE + AUDIO_FRAME - 1) / AUDIO_FRAME;
    let mut vrng = XorShift32(0x2545_F491);
    let mut arng = XorShift32(0x6C07_8965);
    let mut out = Vec::with_capacity((frames + audio_frames) as usize);
    let mut j = 0i64;
    let mut audio = |j: i64, out: &mut Vec<(u32, Sample)>| {
        let size = 300 + (arng.next() % 83) as usize;
        let data = vec![(j % 251) as u8; size];
        out.push((
            AUDIO,
            Sample {
                decode_time: j * AUDIO_FRAME,
                composition_offset: 0,
                duration: AUDIO_FRAME as u32,
                keyframe: true,
                data,
            },
        ));
    };
    for i in 0..frames {
        // Audio frames that start at or before this video frame.
        while j < audio_frames && j * AUDIO_FRAME * FPS <= i * AUDIO_RATE {
            audio(j, &mut out);
            j += 1;
        }
        let key = i % GOP == 0;
        let size = if key { 26_000 + vrng.next() % 6001 } else { 6_000 + vrng.next() % 4001 } as usize;
        let mut data = vec![(i % 251) as u8; size];
        data[..4].copy_from_slice(&(size as u32 - 4).to_be_bytes());
        data[4] = if key { 0x65 } else { 0x41 };
        out.push((
            VIDEO,
            Sample {
                decode_time: i * VIDEO_TICKS,
                composition_offset: 0,
                duration: VIDEO_TICKS as u32,
                keyframe: key,
                data,
            },
        ));
    }
    while j < audio_frames {
        audio(j, &mut out);
        j += 1;
    }
    out
}

/// FNV-1a (32-bit) over the init segments then the fragments, in order:
/// compared with the wasm run's.
fn fnv1a(out: &MemoryListener) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    let all = out.inits.iter().map(|i| &i.bytes).chain(out.fragments.iter().map(|f| &f.bytes));
    for bytes in all {
        for &b in bytes {
            h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
    }
    h
}

fn main() {
    if let Err(e) = run() {
        eprintln!("mux_bench: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), Error> {
    let usage = "usage: mux_bench [--runs N] [--warmup N] [--seconds S]";
    let (mut runs, mut warmup, mut seconds) = (5usize, 10usize, 60i64);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(usage)?;
        match flag.as_str() {
            "--runs" => runs = value.parse()?,
            "--warmup" => warmup = value.parse()?,
            "--seconds" => seconds = value.parse()?,
            _ => return Err(usage.into()),
        }
    }
    if runs == 0 || seconds <= 0 {
        return Err(usage.into());
    }
    let tracks = vec![
        TrackConfig::new(VIDEO, Timescale::MPEG, CodecConfig::Avc { avcc: avcc()?, width: WIDTH, height: HEIGHT }),
        TrackConfig::new(
            AUDIO,
            Timescale::new(AUDIO_RATE as u32).ok_or("rate")?,
            CodecConfig::Aac { asc: vec![0x11, 0x90], sample_rate: AUDIO_RATE as u32, channels: 2 },
        ),
    ];
    let samples = workload(seconds);
    let input_bytes: usize = samples.iter().map(|(_, s)| s.data.len()).sum();
    let video_samples = samples.iter().filter(|(t, _)| *t == VIDEO).count();

    let mut run_ms = Vec::with_capacity(runs);
    let mut last = None;
    for run in 0..warmup + runs {
        let input = samples.clone();
        let t0 = Instant::now();
        let mut seg = Segmenter::new(tracks.clone(), SegmenterConfig::default(), MemoryListener::default())?;
        for (track, sample) in input {
            seg.push(track, sample)?;
        }
        seg.finish()?;
        let elapsed = t0.elapsed();
        if run >= warmup {
            run_ms.push(elapsed.as_secs_f64() * 1000.0);
        }
        last = Some(seg.into_listener());
    }
    let out = last.ok_or("no run")?;
    let output_bytes: usize = out.inits.iter().map(|i| i.bytes.len()).sum::<usize>()
        + out.fragments.iter().map(|f| f.bytes.len()).sum::<usize>();
    let mut sorted = run_ms.clone();
    sorted.sort_by(f64::total_cmp);
    let median = if runs % 2 == 1 { sorted[runs / 2] } else { (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2.0 };
    let round = |x: f64, d: i32| (x * 10f64.powi(d)).round() / 10f64.powi(d);
    let runs_json: Vec<String> = run_ms.iter().map(|ms| format!("{}", round(*ms, 3))).collect();
    println!(
        "{{\"bench\":\"mux\",\"where\":\"native\",\"seconds\":{seconds},\"video_samples\":{video_samples},\"audio_samples\":{},\
\"input_bytes\":{input_bytes},\"output_bytes\":{output_bytes},\"inits\":{},\"fragments\":{},\"output_fnv1a\":\"{:08x}\",\
\"warmup_runs\":{warmup},\"runs\":{runs},\"run_ms\":[{}],\"median_ms\":{},\"mb_per_s\":{}}}",
        samples.len() - video_samples,
        out.inits.len(),
        out.fragments.len(),
        fnv1a(&out),
        runs_json.join(","),
        round(median, 3),
        round(input_bytes as f64 / 1e6 / (median / 1000.0), 1),
    );
    Ok(())
}
