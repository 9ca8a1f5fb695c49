//! Audio transcoding benchmark, native: `transcode_audio_bytes` on one
//! input file held in memory (decode, resample, encode, mux), one untimed
//! run, then the median of `--runs` timed runs. `tests/bench/audio.mjs`
//! times the same transcode through the wasm `AudioTranscoder` in Node;
//! `make bench` runs both (see BENCHMARKS.md, "Audio transcoding").
//!
//! ```text
//! cargo run --release --example audio_bench -- IN --preset aac|opus|JSON [--runs 5] [--seconds 60] [--out FILE]
//! bench: audio_transcode_x_realtime_native = <n>    (--preset aac)
//! bench: opus_encode_x_realtime_native = <n>        (--preset opus)
//! {"preset": ..., "median_ms": ..., ...}
//! ```
//!
//! `aac`: AAC-LC 128 kbit/s, 48 kHz, progressive MP4; `opus`: Opus 128
//! kbit/s in Ogg; or any preset as JSON (its `bench:` line is then named
//! `audio_x_realtime_native`). x realtime = `--seconds` (the input's
//! length, default 60) / median wall time of one transcode. `--out`
//! writes the last run's output.

use std::time::Instant;

use framecast::preset::Preset;
use framecast::transcode::{transcode_audio_bytes, AudioTranscodeOptions};

type Error = Box<dyn std::error::Error>;

/// The presets of `tests/bench/audio.mjs` (`PRESETS`), with the name of
/// their `bench:` line.
const PRESETS: [(&str, &str, &str); 2] = [
    (
        "aac",
        "audio_transcode_x_realtime_native",
        r#"{"name": "AAC 128k", "container": "mp4", "audio": {"codec": "AAC", "bitRate": 128, "sampleRate": 48000}}"#,
    ),
    (
        "opus",
        "opus_encode_x_realtime_native",
        r#"{"name": "Opus", "container": "ogg", "audio": {"codec": "opus", "bitRate": 128}}"#,
    ),
];

struct Args {
    input: String,
    preset: String,
    runs: usize,
    seconds: f64,
    out: Option<String>,
}

fn args() -> Result<Args, Error> {
    let usage = "usage: audio_bench IN --preset aac|opus|JSON [--runs N] [--seconds S] [--out FILE]";
    let mut a = Args { input: String::new(), preset: String::new(), runs: 5, seconds: 60.0, out: None };
    let mut argv = std::env::args().skip(1);
    while let Some(arg) = argv.next() {
        let mut value = || argv.next().ok_or(usage);
        match arg.as_str() {
            "--preset" => a.preset = value()?,
            "--runs" => a.runs = value()?.parse()?,
            "--seconds" => a.seconds = value()?.parse()?,
            "--out" => a.out = Some(value()?),
            _ if !arg.starts_with("--") && a.input.is_empty() => a.input = arg,
            _ => return Err(usage.into()),
        }
    }
    if a.input.is_empty() || a.preset.is_empty() || a.runs == 0 {
        return Err(usage.into());
    }
    Ok(a)
}

fn main() -> Result<(), Error> {
    let a = args()?;
    let (line, json) = match PRESETS.iter().find(|(name, ..)| *name == a.preset) {
        Some((_, line, json)) => (*line, *json),
        None => ("audio_x_realtime_native", a.preset.as_str()),
    };
    let options = AudioTranscodeOptions::new(Preset::from_json(json)?);
    let input = std::fs::read(&a.input)?;

    let mut output = transcode_audio_bytes(&input, options.clone())?;
    let mut times = Vec::with_capacity(a.runs);
    for _ in 0..a.runs {
        let t0 = Instant::now();
        output = transcode_audio_bytes(&input, options.clone())?;
        times.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    let (bytes, summary) = output;
    if let Some(out) = &a.out {
        std::fs::write(out, &bytes)?;
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 };
    let x_realtime = a.seconds * 1e3 / median;
    println!("bench: {line} = {x_realtime:.1}");
    let line_json = serde_json::json!({
        "preset": serde_json::from_str::<serde_json::Value>(json)?,
        "median_ms": median,
        "run_ms": times,
        "x_realtime": x_realtime,
        "seconds": a.seconds,
        "output_bytes": bytes.len(),
        "codec": summary.codec,
        "sample_rate": summary.sample_rate,
        "channels": summary.channels,
        "duration_seconds": summary.duration_us() as f64 / 1e6,
    });
    println!("{line_json}");
    Ok(())
}
