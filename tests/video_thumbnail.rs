//! Thumbnails checked by ffprobe (codec, exact size) and decoded back by
//! ffmpeg (PNG: our RGB exactly; JPEG: PSNR against our RGB), and the
//! thumbnail schedule on jittery timestamps with a gap.
//!
//! `cargo test --release --test video_thumbnail -- --nocapture` prints the
//! ffprobe lines and PSNR figures.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::ffprobe;
use framecast::frame::{psnr, I420Planes, Size};
use framecast::preset::{Dimension, ImageFormat, PaddingPolicy, SizingPolicy, ThumbnailPreset};
use framecast::video::color::{rgb_to_i420_in, ColorSpace, Matrix, Range, RgbOrder};
use framecast::video::{ThumbnailError, ThumbnailMaker};

const BT709: ColorSpace = ColorSpace { matrix: Matrix::Bt709, range: Range::Limited };

/// 75% colour bars: white, yellow, cyan, green, magenta, red, blue, black.
const BARS: [[u8; 3]; 8] =
    [[191, 191, 191], [191, 191, 0], [0, 191, 191], [0, 191, 0], [191, 0, 191], [191, 0, 0], [0, 0, 191], [0, 0, 0]];

fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn preset(format: ImageFormat, padding: PaddingPolicy) -> ThumbnailPreset {
    ThumbnailPreset {
        format,
        interval: 2,
        max_width: Dimension::Pixels(192),
        max_height: Dimension::Pixels(108),
        sizing_policy: SizingPolicy::Fit,
        padding_policy: padding,
    }
}

/// A `w` x `h` I420 picture in BT.709 limited range: eight colour bars on
/// the top two thirds, a grey ramp below.
fn bars(w: u32, h: u32) -> Vec<u8> {
    let (wu, hu) = (w as usize, h as usize);
    let mut rgba = Vec::with_capacity(wu * hu * 4);
    for y in 0..hu {
        for x in 0..wu {
            let c = if y < hu * 2 / 3 { BARS[x * 8 / wu] } else { [(x * 255 / (wu - 1)) as u8; 3] };
            rgba.extend_from_slice(&[c[0], c[1], c[2], 255]);
        }
    }
    let mut i420 = Vec::new();
    rgb_to_i420_in(&rgba, w, h, wu * 4, RgbOrder::Rgba, BT709, &mut i420).expect("even size");
    i420
}

/// ffprobe's `codec_name,width,height` of a still image.
fn probe(path: &Path) -> String {
    ffprobe(&["-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0"], path).trim().to_string()
}

/// The image decoded by ffmpeg to packed rgb24.
fn decode(path: &Path) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .expect("ffmpeg is installed (run .ci/bootstrap.sh)");
    assert!(out.status.success(), "ffmpeg decode failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// Mean colour of the `n` x `n` block centred on (`cx`, `cy`) of a packed
/// RGB picture `width` pixels across.
fn mean(rgb: &[u8], width: u32, cx: u32, cy: u32, n: u32) -> [f64; 3] {
    let mut sum = [0.0; 3];
    for y in cy - n / 2..cy + n / 2 {
        for x in cx - n / 2..cx + n / 2 {
            let at = (y * width + x) as usize * 3;
            for c in 0..3 {
                sum[c] += f64::from(rgb[at + c]);
            }
        }
    }
    sum.map(|s| s / f64::from(n * n))
}

fn assert_close(got: [f64; 3], want: [u8; 3], tolerance: f64, what: &str) {
    let err = got.iter().zip(want).map(|(g, w)| (g - f64::from(w)).abs()).fold(0.0, f64::max);
    assert!(err <= tolerance, "{what}: {got:.1?} vs {want:?} (off by {err:.1})");
}

/// Makes one thumbnail, writes it, probes and decodes it; returns the
/// decoded RGB and our own RGB.
fn thumbnail(format: ImageFormat, padding: PaddingPolicy, source: Size, name: &str) -> (Vec<u8>, Vec<u8>) {
    let mut maker = ThumbnailMaker::new(&preset(format, padding), source, BT709).expect("valid preset");
    let data = bars(source.width, source.height);
    let thumb =
        maker.make(&I420Planes::packed(source.width, source.height, &data).expect("packed")).expect("thumbnail");
    assert_eq!((thumb.format, thumb.width, thumb.height), (format, 192, 108));
    let path = tmp(name);
    std::fs::write(&path, &thumb.bytes).expect("write thumbnail");
    let probed = probe(&path);
    println!("{name}: {} bytes, ffprobe: {probed}", thumb.bytes.len());
    let codec = match format {
        ImageFormat::Jpg => "mjpeg",
        ImageFormat::Png => "png",
    };
    assert_eq!(probed, format!("{codec},192,108"));
    let decoded = decode(&path);
    assert_eq!(decoded.len(), 192 * 108 * 3);
    (decoded, maker.rgb().to_vec())
}

/// Checks the bars of a 192 x 108 thumbnail whose content starts at `x0`
/// and is `width` pixels across.
fn check_bars(rgb: &[u8], x0: u32, width: u32, tolerance: f64, what: &str) {
    for (i, bar) in BARS.iter().enumerate() {
        let cx = x0 + (2 * i as u32 + 1) * width / 16;
        assert_close(mean(rgb, 192, cx, 36, 6), *bar, tolerance, &format!("{what} bar {i}"));
    }
}

#[test]
fn png_is_exactly_our_rgb() {
    let (decoded, ours) = thumbnail(ImageFormat::Png, PaddingPolicy::NoPad, Size::new(1280, 720), "bars_1280x720.png");
    assert!(decoded == ours, "PNG decodes to our RGB");
    // Flat bars survive YUV -> scale -> RGB within two code values.
    check_bars(&ours, 0, 192, 2.0, "PNG");
}

#[test]
fn jpeg_is_close_to_our_rgb() {
    let (decoded, ours) = thumbnail(ImageFormat::Jpg, PaddingPolicy::NoPad, Size::new(1280, 720), "bars_1280x720.jpg");
    let db = psnr(&decoded, &ours);
    println!("JPEG 192x108 vs our RGB: PSNR {db:.2} dB");
    assert!(db >= 30.0, "PSNR {db:.2} dB");
    check_bars(&decoded, 0, 192, 6.0, "JPEG");
}

#[test]
fn four_by_three_source_is_padded_black() {
    // 960x720 fitted into 192x108: 144x108 at x = 24, black on both sides.
    for (format, name, tolerance) in
        [(ImageFormat::Png, "bars_960x720_pad.png", 2.0), (ImageFormat::Jpg, "bars_960x720_pad.jpg", 6.0)]
    {
        let (decoded, ours) = thumbnail(format, PaddingPolicy::Pad, Size::new(960, 720), name);
        if format == ImageFormat::Png {
            assert!(decoded == ours, "PNG decodes to our RGB");
        } else {
            let db = psnr(&decoded, &ours);
            println!("JPEG padded vs our RGB: PSNR {db:.2} dB");
            assert!(db >= 30.0, "PSNR {db:.2} dB");
        }
        check_bars(&decoded, 24, 144, tolerance, name);
        for cx in [10, 181] {
            for cy in [10, 54, 97] {
                assert_close(
                    mean(&decoded, 192, cx, cy, 6),
                    [0, 0, 0],
                    tolerance,
                    &format!("{name} padding at {cx},{cy}"),
                );
            }
        }
        // Our own bars are exactly black.
        assert!(ours.chunks_exact(192 * 3).all(|row| row[..24 * 3].iter().chain(&row[168 * 3..]).all(|&c| c == 0)));
    }
}

#[test]
fn schedule_on_jittery_timestamps_with_a_gap() {
    let mut maker = ThumbnailMaker::new(&preset(ImageFormat::Jpg, PaddingPolicy::NoPad), Size::new(320, 180), BT709)
        .expect("valid");
    // 30 fps from 1 s, jitter 0 / -2 / +2 ms, nothing from 4.5 s to 9.2 s,
    // and one frame out of order after the gap.
    let mut times: Vec<i64> = (0..330)
        .map(|i| 1_000_000 + i * 33_333 + [0, -2_000, 2_000][i as usize % 3])
        .filter(|t| !(4_500_000..9_200_000).contains(t))
        .collect();
    let after_gap = times.iter().position(|&t| t >= 9_200_000).expect("frames after the gap");
    times.insert(after_gap + 1, 2_000_000);
    let due: Vec<i64> = times.iter().copied().filter(|&t| maker.due(t)).collect();
    // Slots start at 1, 3, 5, 7, 9, 11 s; 5 and 7 fall in the gap, and the
    // frame at 9.23 s stands for the 9 s slot only.
    assert_eq!(due, [1_000_000, 3_031_313, 9_231_251, 11_031_233]);
    // Repeating a timestamp is never due twice.
    assert!(!maker.due(11_031_233));
}

#[test]
fn bad_inputs_are_errors() {
    let mut p = preset(ImageFormat::Png, PaddingPolicy::NoPad);
    let source = Size::new(1280, 720);
    p.interval = 0;
    assert_eq!(ThumbnailMaker::new(&p, source, BT709).unwrap_err(), ThumbnailError::BadInterval(0));
    p.interval = 5;
    assert!(matches!(ThumbnailMaker::new(&p, Size::new(1280, 0), BT709), Err(ThumbnailError::Geometry(_))));
    assert!(matches!(ThumbnailMaker::new(&p, Size::new(1279, 720), BT709), Err(ThumbnailError::Scale(_))));
    p.max_width = Dimension::Pixels(1);
    assert!(matches!(ThumbnailMaker::new(&p, source, BT709), Err(ThumbnailError::Geometry(_))));
    p.max_width = Dimension::Pixels(192);
    let mut maker = ThumbnailMaker::new(&p, source, BT709).expect("valid");
    let data = bars(640, 360);
    let err = maker.make(&I420Planes::packed(640, 360, &data).expect("packed")).unwrap_err();
    assert_eq!(err, ThumbnailError::SizeMismatch { expected: source, got: Size::new(640, 360) });
    assert_eq!(err.to_string(), "thumbnail source frame must be 1280x720, got 640x360");
}
