//! Frame preparation benchmark, native: `FramePipeline::process` on an
//! RGBA 1920x1080 picture to I420 1280x720 (the Generic 720p system preset
//! `1351620000001-000010`: ShrinkToFit, NoPad; Lanczos3, BT.601 limited)
//! with one 200x100 half-transparent watermark at the bottom right,
//! opacity 70. Prints the median of 30 runs after 3 untimed ones:
//!
//! ```text
//! cargo run --release --example prep_bench [-- --profile] [-- --dump OUT.yuv]
//! bench: prep_1080p_to_720p_wm_ms_native = <median ms>
//! ```
//!
//! `--profile` adds one JSON line: the pipeline's three stages called one
//! after the other through the public API, as `FramePipeline::process`
//! does (`rgb_to_i420_in` at 1080p, `I420Scaler::scale` to 720p,
//! `Overlay::apply`), each timed, 30 runs after 3 untimed ones; the medians
//! of each stage and of their sum. `--dump OUT.yuv` writes one output frame
//! (raw I420 1280x720), to compare with ffmpeg's.

use std::time::Instant;

use framecast::frame::{i420_size, I420Frame, I420Planes, Size};
use framecast::preset::{system_preset, WatermarkPreset};
use framecast::video::color::{rgb_to_i420_in, ColorSpace, RgbOrder};
use framecast::video::{Filter, FramePipeline, I420Scaler, InputFormat, Overlay, PipelineOptions, Rotation, Watermark};

type Error = Box<dyn std::error::Error>;

const RUNS: usize = 30;

/// The 200x100 watermark (straight-alpha RGBA, as prep.mjs draws it).
fn logo() -> Result<Watermark, Error> {
    let logo: Vec<u8> = (0..200 * 100)
        .flat_map(|i: u32| [(i % 200) as u8, (i / 200) as u8, 200, if i % 7 == 0 { 0 } else { 160 }])
        .collect();
    Ok(Watermark::from_rgba(200, 100, logo)?)
}

fn pipeline() -> Result<FramePipeline, Error> {
    let video = system_preset("1351620000001-000010").and_then(|p| p.video).ok_or("Generic 720p preset has video")?;
    let wm: WatermarkPreset = serde_json::from_str(
        r#"{"id": "logo", "maxWidth": "200px", "maxHeight": "100px", "horizontalAlign": "Right", "horizontalOffset": "16px",
            "verticalAlign": "Bottom", "verticalOffset": "16px", "opacity": 70}"#,
    )?;
    let pipeline = FramePipeline::new(PipelineOptions {
        input: Size::new(1920, 1080),
        format: InputFormat::Rgba,
        color: ColorSpace::default(),
        rotation: Rotation::R0,
        video,
        filter: Filter::Lanczos3,
        watermarks: vec![(wm, logo()?)],
    })?;
    assert_eq!(pipeline.output_size(), Size::new(1280, 720));
    Ok(pipeline)
}

/// The median of each list (the upper one for even lengths), sorting them.
fn medians(mut times: Vec<Vec<f64>>) -> Vec<f64> {
    times
        .iter_mut()
        .map(|t| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect()
}

/// The pipeline's stages, called one by one as `FramePipeline::process`
/// calls them (RGBA input, no rotation, no padding).
struct Stages {
    converted: Vec<u8>,
    scaler: I420Scaler,
    out: I420Frame,
    overlay: Overlay,
}

impl Stages {
    /// The stages of `pipeline`, with the logo where the pipeline puts it:
    /// bottom right, 16 px in, unscaled.
    fn new(pipeline: &FramePipeline) -> Result<Stages, Error> {
        let (frame, crop) = (pipeline.output_size(), pipeline.geometry().crop);
        let (x, y) = (frame.width as i64 - 200 - 16, frame.height as i64 - 100 - 16);
        Ok(Stages {
            converted: vec![0; i420_size(1920, 1080)],
            scaler: I420Scaler::with_crop(1920, 1080, crop, frame.width, frame.height, Filter::Lanczos3)?,
            out: I420Frame {
                width: frame.width,
                height: frame.height,
                data: vec![0; i420_size(frame.width, frame.height)],
            },
            overlay: Overlay::new(logo()?.premultiplied(), 200, 100, 800, x, y, 70.0, ColorSpace::default(), frame)?,
        })
    }

    /// One frame; returns the times (ms) of conversion, scaling, watermark.
    fn run(&mut self, rgba: &[u8]) -> Result<[f64; 3], Error> {
        let (w, h) = (1920, 1080);
        let t0 = Instant::now();
        rgb_to_i420_in(rgba, w, h, w as usize * 4, RgbOrder::Rgba, ColorSpace::default(), &mut self.converted)?;
        let t1 = Instant::now();
        self.scaler.scale(&I420Planes::packed(w, h, &self.converted)?, &mut self.out)?;
        let t2 = Instant::now();
        self.overlay.apply(&mut self.out)?;
        let t3 = Instant::now();
        std::hint::black_box(&self.out.data);
        let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e3;
        Ok([ms(t0, t1), ms(t1, t2), ms(t2, t3)])
    }
}

/// `--profile`: the stages of `pipeline` one by one (see the module
/// documentation); prints one JSON line.
fn profile(pipeline: &FramePipeline, rgba: &[u8]) -> Result<(), Error> {
    let mut stages = Stages::new(pipeline)?;
    for _ in 0..3 {
        stages.run(rgba)?;
    }
    let mut times: Vec<Vec<f64>> = (0..4).map(|_| Vec::with_capacity(RUNS)).collect();
    for _ in 0..RUNS {
        let t = stages.run(rgba)?;
        for (k, v) in t.into_iter().chain([t.iter().sum()]).enumerate() {
            times[k].push(v);
        }
    }
    let m = medians(times);
    println!(
        r#"{{"profile": {{"convert_ms": {:.3}, "scale_ms": {:.3}, "watermark_ms": {:.3}, "sum_ms": {:.3}, "runs": {RUNS}}}}}"#,
        m[0], m[1], m[2], m[3]
    );
    Ok(())
}

fn main() -> Result<(), Error> {
    let (w, h) = (1920u32, 1080u32);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dump = args
        .iter()
        .position(|a| a == "--dump")
        .map(|i| args.get(i + 1).cloned().ok_or("--dump needs a file"))
        .transpose()?;
    let mut pipeline = pipeline()?;
    let rgba: Vec<u8> = (0..w * h).flat_map(|i| [(i % w) as u8, (i / w) as u8, (i * 7 % 251) as u8, 255]).collect();
    for _ in 0..3 {
        pipeline.process(&rgba, w as usize * 4)?;
    }
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        let out = pipeline.process(&rgba, w as usize * 4)?;
        std::hint::black_box(out);
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    println!("bench: prep_1080p_to_720p_wm_ms_native = {:.3}", medians(vec![times])[0]);
    if let Some(file) = dump {
        std::fs::write(&file, &pipeline.process(&rgba, w as usize * 4)?.data)?;
    }
    if args.iter().any(|a| a == "--profile") {
        profile(&pipeline, &rgba)?;
    }
    Ok(())
}
