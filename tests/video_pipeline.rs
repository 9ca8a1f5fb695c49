//! `FramePipeline` goldens on small frames: output sizes, padding bars and
//! where the picture lands for every sizing × padding policy and rotation;
//! exact watermark bounding boxes for every alignment, offset kind and
//! target; opacity; bad watermark PNGs.
//!
//! `cargo test --release --test video_pipeline`

use framecast::frame::{i420_size, I420Frame, Size};
use framecast::preset::{VideoPreset, WatermarkPreset};
use framecast::video::color::{nv12_to_i420, rgb_to_i420_in, ColorSpace, RgbOrder};
use framecast::video::{
    Filter, FramePipeline, InputFormat, PipelineOptions, Rotation, Watermark, WatermarkError, MAX_WATERMARK_SIDE,
};

fn video(sizing: &str, padding: &str) -> VideoPreset {
    let json = format!(
        r#"{{"bitRate": 1000, "maxWidth": 128, "maxHeight": 96, "sizingPolicy": "{sizing}", "paddingPolicy": "{padding}"}}"#
    );
    serde_json::from_str(&json).unwrap()
}

fn options(input: Size, format: InputFormat, video: VideoPreset) -> PipelineOptions {
    PipelineOptions {
        input,
        format,
        color: ColorSpace::default(),
        rotation: Rotation::R0,
        video,
        filter: Filter::Lanczos3,
        watermarks: Vec::new(),
    }
}

/// A packed I420 picture whose samples are `f(plane, x, y)` (plane 0 = Y).
fn i420(width: u32, height: u32, f: impl Fn(usize, usize, usize) -> u8) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    let mut data = Vec::with_capacity(i420_size(width, height));
    for (plane, pw, ph) in [(0, w, h), (1, w / 2, h / 2), (2, w / 2, h / 2)] {
        for y in 0..ph {
            data.extend((0..pw).map(|x| f(plane, x, y)));
        }
    }
    data
}

/// Sample (`x`, `y`) of `plane` (0 = Y, 1 = U, 2 = V).
fn sample(f: &I420Frame, plane: usize, x: usize, y: usize) -> u8 {
    let (w, h) = (f.width as usize, f.height as usize);
    match plane {
        0 => f.data[y * w + x],
        1 => f.data[w * h + y * w / 2 + x],
        _ => f.data[w * h * 5 / 4 + y * w / 2 + x],
    }
}

const COLOUR: [u8; 3] = [200, 90, 160];
const BLACK: [u8; 3] = [16, 128, 128];

#[test]
fn sizing_and_padding_goldens() {
    // A 64x32 picture into a 128x96 box: (policy, content size, padded offset).
    let table = [
        ("Fit", (128, 64), (0, 16)),
        ("Fill", (128, 96), (0, 0)),
        ("Stretch", (128, 96), (0, 0)),
        ("Keep", (64, 32), (32, 32)),
        ("ShrinkToFit", (64, 32), (32, 32)),
        ("ShrinkToFill", (64, 32), (32, 32)),
    ];
    let input = i420(64, 32, |p, _, _| COLOUR[p]);
    for (sizing, (cw, ch), (ox, oy)) in table {
        for pad in [true, false] {
            let opts = options(Size::new(64, 32), InputFormat::I420, video(sizing, if pad { "Pad" } else { "NoPad" }));
            let mut p = FramePipeline::new(opts).unwrap();
            let frame = if pad { Size::new(128, 96) } else { Size::new(cw, ch) };
            let (ox, oy) = if pad { (ox, oy) } else { (0, 0) };
            assert_eq!(p.output_size(), frame, "{sizing} pad {pad}");
            let out = p.process(&input, 64).unwrap().clone();
            assert_eq!((out.width, out.height), (frame.width, frame.height));
            for plane in 0..3 {
                let s = if plane == 0 { 1 } else { 2 };
                for y in 0..(frame.height / s) as usize {
                    for x in 0..(frame.width / s) as usize {
                        let (fx, fy) = ((x * s as usize) as u32, (y * s as usize) as u32);
                        let inside = (ox..ox + cw).contains(&fx) && (oy..oy + ch).contains(&fy);
                        let want = if inside { COLOUR[plane] } else { BLACK[plane] };
                        assert_eq!(sample(&out, plane, x, y), want, "{sizing} pad {pad} plane {plane} ({x}, {y})");
                    }
                }
            }
        }
    }
}

/// Quadrant values of the test picture: top-left, top-right, bottom-left,
/// bottom-right.
const QUADRANTS: [u8; 4] = [40, 80, 120, 160];

fn quadrant(x: usize, y: usize, w: usize, h: usize) -> usize {
    usize::from(x >= w / 2) + 2 * usize::from(y >= h / 2)
}

#[test]
fn rotation_goldens() {
    // 64x32 with four flat quadrants (chroma = luma + 1, + 2), unscaled
    // (Keep, no padding): every sample lands exactly.
    let input = i420(64, 32, |p, x, y| {
        let s = if p == 0 { 1 } else { 2 };
        QUADRANTS[quadrant(x * s, y * s, 64, 32)] + p as u8
    });
    // Which source quadrant shows in each output quadrant (TL, TR, BL, BR).
    let table = [
        (Rotation::R0, (64, 32), [0, 1, 2, 3]),
        (Rotation::R90, (32, 64), [2, 0, 3, 1]),
        (Rotation::R180, (64, 32), [3, 2, 1, 0]),
        (Rotation::R270, (32, 64), [1, 3, 0, 2]),
    ];
    for (rotation, (w, h), from) in table {
        let mut opts = options(Size::new(64, 32), InputFormat::I420, video("Keep", "NoPad"));
        opts.rotation = rotation;
        let mut p = FramePipeline::new(opts).unwrap();
        let out = p.process(&input, 64).unwrap().clone();
        assert_eq!((out.width, out.height), (w, h), "{rotation:?}");
        for plane in 0..3 {
            let s = if plane == 0 { 1 } else { 2 };
            for y in 0..(h / s) as usize {
                for x in 0..(w / s) as usize {
                    let q = quadrant(x * s as usize, y * s as usize, w as usize, h as usize);
                    assert_eq!(
                        sample(&out, plane, x, y),
                        QUADRANTS[from[q]] + plane as u8,
                        "{rotation:?} plane {plane} ({x}, {y})"
                    );
                }
            }
        }
    }
    // The geometry is that of the rotated picture: 32x64 fitted into
    // 128x96 is 48x96, padded to 128x96 at (40, 0).
    let mut opts = options(Size::new(64, 32), InputFormat::I420, video("Fit", "Pad"));
    opts.rotation = Rotation::R90;
    let mut p = FramePipeline::new(opts).unwrap();
    assert_eq!((p.geometry().content, p.geometry().offset.x), (Size::new(48, 96), 40));
    let out = p.process(&input, 64).unwrap();
    // Far from the quadrant edges the Lanczos output is flat: top-left of
    // the content is the source's bottom-left, the bars are black.
    assert_eq!(
        (sample(out, 0, 39, 10), sample(out, 0, 45, 10), sample(out, 0, 82, 90), sample(out, 0, 88, 90)),
        (16, 120, 80, 16)
    );
}

#[test]
fn every_input_format_matches_its_conversion() {
    let (w, h) = (32u32, 16u32);
    let rgba: Vec<u8> = (0..w * h).flat_map(|i| [(i * 7) as u8, (i * 3) as u8, (255 - i) as u8, 255]).collect();
    let bgra: Vec<u8> = rgba.chunks(4).flat_map(|p| [p[2], p[1], p[0], p[3]]).collect();
    let space =
        ColorSpace { matrix: framecast::video::color::Matrix::Bt709, range: framecast::video::color::Range::Full };
    let mut want = Vec::new();
    rgb_to_i420_in(&rgba, w, h, w as usize * 4, RgbOrder::Rgba, space, &mut want).unwrap();
    // NV12 of the same picture, with a padded stride of 40.
    let (ys, cs) = ((w * h) as usize, (w * h / 4) as usize);
    let mut nv12 = vec![0u8; 40 * h as usize * 3 / 2];
    for y in 0..h as usize {
        nv12[y * 40..y * 40 + w as usize].copy_from_slice(&want[y * w as usize..][..w as usize]);
    }
    for y in 0..h as usize / 2 {
        for x in 0..w as usize / 2 {
            nv12[40 * h as usize + y * 40 + 2 * x] = want[ys + y * 16 + x];
            nv12[40 * h as usize + y * 40 + 2 * x + 1] = want[ys + cs + y * 16 + x];
        }
    }
    let mut check = Vec::new();
    nv12_to_i420(&nv12, w, h, 40, 40 * h as usize, 40, &mut check).unwrap();
    assert_eq!(check, want);
    for (format, data, stride) in [
        (InputFormat::Rgba, &rgba, 128),
        (InputFormat::Bgra, &bgra, 128),
        (InputFormat::I420, &want, 32),
        (InputFormat::Nv12, &nv12, 40),
    ] {
        let mut opts = options(Size::new(w, h), format, video("Keep", "NoPad"));
        opts.color = space;
        let mut p = FramePipeline::new(opts).unwrap();
        assert_eq!(p.process(data, stride).unwrap().data, want, "{format:?}");
    }
}

fn png_rgba(width: u32, height: u32, rgba: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().unwrap();
    w.write_image_data(rgba).unwrap();
    w.finish().unwrap();
    out
}

fn watermark_preset(json: &str) -> WatermarkPreset {
    serde_json::from_str(&format!(r#"{{"id": "wm", {json}}}"#)).unwrap()
}

/// 64x32 of Y 60, ShrinkToFit + Pad into 128x96: the content is 64x32 at
/// (32, 32) on black; one opaque white 16x8 watermark.
fn watermarked(wm: &str) -> I420Frame {
    let white = Watermark::from_png(&png_rgba(16, 8, &[255; 16 * 8 * 4])).unwrap();
    let mut opts = options(Size::new(64, 32), InputFormat::I420, video("ShrinkToFit", "Pad"));
    opts.watermarks = vec![(watermark_preset(wm), white)];
    let mut p = FramePipeline::new(opts).unwrap();
    p.process(&i420(64, 32, |p, _, _| [60, 128, 128][p]), 64).unwrap().clone()
}

/// The bounding box (x0, y0, x1, y1, exclusive) of luma `value`, checking
/// that it is a solid rectangle and that everything else is background.
fn bbox(f: &I420Frame, value: u8) -> (usize, usize, usize, usize) {
    let (w, h) = (f.width as usize, f.height as usize);
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for y in 0..h {
        for x in 0..w {
            if f.data[y * w + x] == value {
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1));
            }
        }
    }
    for y in 0..h {
        for x in 0..w {
            let inside_wm = (x0..x1).contains(&x) && (y0..y1).contains(&y);
            let content = (32..96).contains(&x) && (32..64).contains(&y);
            let want = if inside_wm {
                value
            } else if content {
                60
            } else {
                16
            };
            assert_eq!(f.data[y * w + x], want, "({x}, {y})");
        }
    }
    (x0, y0, x1, y1)
}

#[test]
fn watermark_alignment_goldens() {
    let table = [
        (r#""horizontalAlign": "Left", "verticalAlign": "Top""#, (32, 32, 48, 40)),
        (
            r#""horizontalAlign": "Left", "horizontalOffset": "7px", "verticalAlign": "Top", "verticalOffset": "3px""#,
            (39, 35, 55, 43),
        ),
        // 10% of the content's 32 rows is 3.2, so 3.
        (
            r#""horizontalAlign": "Right", "horizontalOffset": "2px", "verticalAlign": "Bottom", "verticalOffset": "10%""#,
            (78, 53, 94, 61),
        ),
        (r#""horizontalAlign": "Center", "verticalAlign": "Center""#, (56, 44, 72, 52)),
        (r#""horizontalAlign": "Right", "verticalAlign": "Center""#, (80, 44, 96, 52)),
        (r#""horizontalAlign": "Center", "verticalAlign": "Bottom""#, (56, 56, 72, 64)),
        // On the content, but sticking out into the right bar.
        (r#""horizontalAlign": "Left", "horizontalOffset": "60px""#, (92, 32, 108, 40)),
        // Frame target: 10% of 96 rows is 9.6, so 10.
        (
            r#""horizontalAlign": "Left", "horizontalOffset": "5px", "verticalAlign": "Top", "verticalOffset": "10%", "target": "Frame""#,
            (5, 10, 21, 18),
        ),
        // 10% of 128 columns is 12.8, so 13.
        (
            r#""horizontalAlign": "Right", "horizontalOffset": "10%", "verticalAlign": "Bottom", "target": "Frame""#,
            (99, 88, 115, 96),
        ),
        (r#""horizontalAlign": "Center", "verticalAlign": "Center", "target": "Frame""#, (56, 44, 72, 52)),
        (r#""horizontalAlign": "Left", "verticalAlign": "Top", "target": "Frame""#, (0, 0, 16, 8)),
        // Clipped by the frame's right and bottom edges.
        (
            r#""horizontalAlign": "Left", "horizontalOffset": "120px", "verticalAlign": "Top", "verticalOffset": "91px", "target": "Frame""#,
            (120, 91, 128, 96),
        ),
        // Scaled: Stretch into 50% x 25% of the content, 32x8.
        (r#""maxWidth": "50%", "maxHeight": "25%", "sizingPolicy": "Stretch""#, (32, 32, 64, 40)),
        // Fit into 64x4 pixels: 8x4.
        (
            r#""maxHeight": "4px", "sizingPolicy": "Fit", "horizontalAlign": "Right", "verticalAlign": "Bottom""#,
            (88, 60, 96, 64),
        ),
    ];
    for (json, want) in table {
        assert_eq!(bbox(&watermarked(json), 235), want, "{json}");
    }
}

#[test]
fn watermark_opacity_and_invisible_watermarks() {
    // 60 (1 - 0.25) + 235 * 0.25 = 103.75.
    let f = watermarked(r#""opacity": 25"#);
    assert_eq!(bbox(&f, 104), (32, 32, 48, 40));
    // Opacity 0 and a watermark entirely outside the frame change nothing.
    for json in [r#""opacity": 0"#, r#""horizontalAlign": "Left", "horizontalOffset": "200px", "target": "Frame""#] {
        let f = watermarked(json);
        assert_eq!(bbox(&f, 60), (32, 32, 96, 64), "{json}");
    }
}

/// PNG CRC-32 (ISO 3309), to forge headers.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A valid 1x1 PNG whose IHDR claims `width` x `height` (CRC fixed up).
fn forged_header(width: u32, height: u32) -> Vec<u8> {
    let mut png = png_rgba(1, 1, &[1, 2, 3, 4]);
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

#[test]
fn bad_pngs_are_typed_errors() {
    let good = png_rgba(4, 4, &[9; 64]);
    assert_eq!(Watermark::from_png(&good).unwrap().size(), Size::new(4, 4));
    assert!(matches!(Watermark::from_png(&[]), Err(WatermarkError::Corrupt(_))));
    assert!(matches!(Watermark::from_png(b"GIF89a not a png at all"), Err(WatermarkError::Corrupt(_))));
    for cut in [8, 20, 33, good.len() / 2, good.len() - 13] {
        assert!(matches!(Watermark::from_png(&good[..cut]), Err(WatermarkError::Corrupt(_))), "cut at {cut}");
    }
    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x40;
    assert!(Watermark::from_png(&flipped).is_err());
    assert_eq!(
        Watermark::from_png(&forged_header(5000, 5000)),
        Err(WatermarkError::TooLarge { width: 5000, height: 5000, max: MAX_WATERMARK_SIDE })
    );
    assert_eq!(
        Watermark::from_png(&forged_header(u32::MAX >> 1, 1)),
        Err(WatermarkError::TooLarge { width: u32::MAX >> 1, height: 1, max: MAX_WATERMARK_SIDE })
    );
    for (w, h) in [(0, 0), (0, 1), (1, 0)] {
        let e = Watermark::from_png(&forged_header(w, h)).unwrap_err();
        assert!(matches!(e, WatermarkError::Corrupt(_) | WatermarkError::TooLarge { .. }), "{w}x{h}: {e:?}");
    }
    // A real 4097-pixel-wide image is refused too.
    let wide = png_rgba(4097, 1, &vec![0; 4097 * 4]);
    assert!(matches!(Watermark::from_png(&wide), Err(WatermarkError::TooLarge { width: 4097, .. })));
    assert!(matches!(Watermark::from_rgba(2, 2, vec![0; 15]), Err(WatermarkError::BadLength { .. })));
}
