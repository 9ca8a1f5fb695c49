//! Frame preparation benchmark, native: `FramePipeline::process` on an
//! RGBA 1920x1080 picture to I420 1280x720 (the Generic 720p system preset
//! `1351620000001-000010`: ShrinkToFit, NoPad; Lanczos3, BT.601 limited)
//! with one 200x100 half-transparent watermark at the bottom right,
//! opacity 70. Prints the median of 30 runs after 3 untimed ones:
//!
//! ```text
//! cargo run --release --example prep_bench
//! bench: prep_1080p_to_720p_wm_ms_native = <median ms>
//! ```

use std::time::Instant;

use framecast::color::ColorSpace;
use framecast::frame::Size;
use framecast::preset::{system_preset, WatermarkPreset};
use framecast::video::{Filter, FramePipeline, InputFormat, PipelineOptions, Rotation, Watermark};

type Error = Box<dyn std::error::Error>;

const RUNS: usize = 30;

fn main() -> Result<(), Error> {
    let (w, h) = (1920u32, 1080u32);
    let video = system_preset("1351620000001-000010").and_then(|p| p.video).ok_or("Generic 720p preset has video")?;
    let logo: Vec<u8> = (0..200 * 100).flat_map(|i: u32| [(i % 200) as u8, (i / 200) as u8, 200, if i % 7 == 0 { 0 } else { 160 }]).collect();
    let wm: WatermarkPreset = serde_json::from_str(
        r#"{"id": "logo", "maxWidth": "200px", "maxHeight": "100px", "horizontalAlign": "Right", "horizontalOffset": "16px",
            "verticalAlign": "Bottom", "verticalOffset": "16px", "opacity": 70}"#,
    )?;
    let mut pipeline = FramePipeline::new(PipelineOptions {
        input: Size::new(w, h),
        format: InputFormat::Rgba,
        color: ColorSpace::default(),
        rotation: Rotation::R0,
        video,
        filter: Filter::Lanczos3,
        watermarks: vec![(wm, Watermark::from_rgba(200, 100, logo)?)],
    })?;
    assert_eq!(pipeline.output_size(), Size::new(1280, 720));
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
    times.sort_by(f64::total_cmp);
    println!("bench: prep_1080p_to_720p_wm_ms_native = {:.3}", times[RUNS / 2]);
    Ok(())
}
