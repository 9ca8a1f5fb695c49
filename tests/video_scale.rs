//! The scaler and rotation checked against ffmpeg (libswscale `scale`,
//! `transpose`) on a real photograph, and timed.
//!
//! `cargo test --release --test video_scale -- --nocapture` prints the
//! PSNR figures and timings.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use common::testdata_dir;
use framecast::frame::{i420_size, psnr, I420Frame, I420Planes};
use framecast::video::color::{rgb_to_i420, RgbOrder};
use framecast::video::{rotate_i420, Filter, I420Scaler, Rotation};

fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg is installed (run .ci/bootstrap.sh)");
    assert!(out.status.success(), "ffmpeg {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// The forest photo as raw yuv420p at `w` x `h` (ffmpeg's default scaler).
fn forest(w: u32, h: u32) -> Vec<u8> {
    type Cache = std::sync::Mutex<Vec<((u32, u32), Vec<u8>)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, data)) = cache.iter().find(|(size, _)| *size == (w, h)) {
        return data.clone();
    }
    let photo = testdata_dir().join("forest.jpg");
    assert!(photo.exists(), "{} is missing: run .ci/bootstrap.sh", photo.display());
    let path = tmp(&format!("forest_{w}x{h}.yuv"));
    let scale = format!("scale={w}:{h}");
    ffmpeg(&[
        "-i",
        &photo.display().to_string(),
        "-vf",
        &scale,
        "-pix_fmt",
        "yuv420p",
        "-f",
        "rawvideo",
        &path.display().to_string(),
    ]);
    let data = std::fs::read(&path).expect("read forest yuv");
    assert_eq!(data.len(), i420_size(w, h));
    cache.push(((w, h), data.clone()));
    data
}

/// ffmpeg's `scale=dw:dh:flags=<flags>` of a raw yuv420p picture.
fn ffmpeg_scale(src: &[u8], (sw, sh): (u32, u32), (dw, dh): (u32, u32), flags: &str) -> Vec<u8> {
    let tag: String = flags.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let name = format!("{sw}x{sh}_to_{dw}x{dh}_{tag}");
    let input = tmp(&format!("{name}.in.yuv"));
    let output = tmp(&format!("{name}.out.yuv"));
    std::fs::write(&input, src).expect("write input");
    let size = format!("{sw}x{sh}");
    let filter = format!("scale={dw}:{dh}:flags={flags}");
    #[rustfmt::skip]
    ffmpeg(&["-s", &size, "-pix_fmt", "yuv420p", "-f", "rawvideo", "-i", &input.display().to_string(),
        "-vf", &filter, "-pix_fmt", "yuv420p", "-f", "rawvideo", &output.display().to_string()]);
    std::fs::read(&output).expect("read ffmpeg output")
}

fn ours(src: &[u8], (sw, sh): (u32, u32), (dw, dh): (u32, u32), filter: Filter) -> I420Frame {
    let mut scaler = I420Scaler::new(sw, sh, dw, dh, filter).unwrap();
    let mut out = I420Frame { width: 0, height: 0, data: Vec::new() };
    scaler.scale(&I420Planes::packed(sw, sh, src).unwrap(), &mut out).unwrap();
    out
}

/// PSNR of Y, U and V between two packed I420 pictures of `w` x `h`.
fn psnr_yuv(a: &[u8], b: &[u8], w: u32, h: u32) -> [f64; 3] {
    let ys = (w * h) as usize;
    let cs = ys / 4;
    assert_eq!(a.len(), i420_size(w, h));
    assert_eq!(b.len(), i420_size(w, h));
    [psnr(&a[..ys], &b[..ys]), psnr(&a[ys..ys + cs], &b[ys..ys + cs]), psnr(&a[ys + cs..], &b[ys + cs..])]
}

/// Scales the photo at `src` size to `dst` with ours and ffmpeg, prints and
/// returns the PSNR of each plane.
fn versus_ffmpeg(src: (u32, u32), dst: (u32, u32), filter: Filter, flags: &str) -> [f64; 3] {
    let input = forest(src.0, src.1);
    let theirs = ffmpeg_scale(&input, src, dst, flags);
    let mine = ours(&input, src, dst, filter);
    let p = psnr_yuv(&mine.data, &theirs, dst.0, dst.1);
    eprintln!(
        "{flags:>8} {}x{} -> {}x{}: PSNR vs ffmpeg Y {:.2} dB, U {:.2} dB, V {:.2} dB",
        src.0, src.1, dst.0, dst.1, p[0], p[1], p[2]
    );
    p
}

fn assert_floor(p: [f64; 3], floor: f64, case: &str) {
    for (plane, v) in ["Y", "U", "V"].iter().zip(p) {
        assert!(v >= floor, "{case}: {plane} PSNR {v:.2} dB < {floor} dB");
    }
}

#[test]
fn lanczos_1080p_to_720p_matches_ffmpeg() {
    let p = versus_ffmpeg((1920, 1080), (1280, 720), Filter::Lanczos3, "lanczos");
    assert_floor(p, 40.0, "lanczos 1080p -> 720p");
}

#[test]
fn lanczos_upscale_360p_to_720p_matches_ffmpeg() {
    let p = versus_ffmpeg((640, 360), (1280, 720), Filter::Lanczos3, "lanczos");
    assert_floor(p, 40.0, "lanczos 360p -> 720p");
}

#[test]
fn lanczos_non_integer_ratio_matches_ffmpeg() {
    let p = versus_ffmpeg((1920, 1080), (854, 480), Filter::Lanczos3, "lanczos");
    assert_floor(p, 40.0, "lanczos 1080p -> 854x480");
}

/// Our bilinear is libswscale's: a tent widened by the ratio when
/// shrinking, so only fixed-point rounding differs (we measure about 60 dB).
/// The floor is looser than Lanczos3's figures but well above what a plain
/// 2-tap bilinear (no widening) gets when shrinking (about 40 dB).
#[test]
fn bilinear_matches_ffmpeg() {
    let down = versus_ffmpeg((1920, 1080), (1280, 720), Filter::Bilinear, "bilinear");
    let up = versus_ffmpeg((640, 360), (1280, 720), Filter::Bilinear, "bilinear");
    let odd = versus_ffmpeg((1920, 1080), (854, 480), Filter::Bilinear, "bilinear");
    for (p, case) in [(down, "1080p -> 720p"), (up, "360p -> 720p"), (odd, "1080p -> 854x480")] {
        assert_floor(p, 50.0, case);
    }
}

/// Chroma siting: treating chroma as centred (what we do) must agree with
/// ffmpeg better than shifting it to MPEG-2 left siting would. Checked by
/// comparing against ffmpeg with explicit left siting (`in_h_chr_pos=0`,
/// `out_h_chr_pos=0`): our output is closer to ffmpeg's default.
#[test]
fn chroma_siting_is_ffmpegs_default() {
    let (src, dst) = ((1920, 1080), (854, 480));
    let input = forest(src.0, src.1);
    let mine = ours(&input, src, dst, Filter::Lanczos3);
    let default = ffmpeg_scale(&input, src, dst, "lanczos");
    let left = ffmpeg_scale(&input, src, dst, "lanczos:in_h_chr_pos=0:out_h_chr_pos=0");
    let a = psnr_yuv(&mine.data, &default, dst.0, dst.1);
    let b = psnr_yuv(&mine.data, &left, dst.0, dst.1);
    eprintln!("chroma U/V vs ffmpeg default {:.2}/{:.2} dB, vs left-sited {:.2}/{:.2} dB", a[1], a[2], b[1], b[2]);
    assert!(a[1] > b[1] + 1.0 && a[2] > b[2] + 1.0);
}

#[test]
fn rotation_matches_ffmpeg_transpose() {
    let (w, h) = (1920 / 4, 1080 / 4);
    let input = forest(w, h);
    let src = I420Planes::packed(w, h, &input).unwrap();
    let in_path = tmp("rotate.in.yuv");
    std::fs::write(&in_path, &input).unwrap();
    let size = format!("{w}x{h}");
    let mut out = I420Frame { width: 0, height: 0, data: Vec::new() };
    for (rotation, filter) in
        [(Rotation::R90, "transpose=1"), (Rotation::R180, "hflip,vflip"), (Rotation::R270, "transpose=2")]
    {
        let out_path = tmp(&format!("rotate_{}.yuv", rotation.degrees()));
        #[rustfmt::skip]
        ffmpeg(&["-s", &size, "-pix_fmt", "yuv420p", "-f", "rawvideo", "-i", &in_path.display().to_string(),
            "-vf", filter, "-pix_fmt", "yuv420p", "-f", "rawvideo", &out_path.display().to_string()]);
        rotate_i420(&src, rotation, &mut out).unwrap();
        assert_eq!((out.width, out.height), rotation.rotated_size(w, h));
        assert!(out.data == std::fs::read(&out_path).unwrap(), "{rotation:?} differs from ffmpeg {filter}");
    }
}

/// Median wall time of `runs` calls of `f`, in milliseconds.
fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

/// Prints native timings of the frame-prep steps at 1080p. Asserts only a
/// loose ceiling, in release builds (a busy 2-core CI machine is noisy).
#[test]
fn timing_1080p_to_720p() {
    let (sw, sh, dw, dh) = (1920u32, 1080u32, 1280u32, 720u32);
    let input = forest(sw, sh);
    let src = I420Planes::packed(sw, sh, &input).unwrap();
    let mut out = I420Frame { width: 0, height: 0, data: Vec::new() };
    let mut lanczos = I420Scaler::new(sw, sh, dw, dh, Filter::Lanczos3).unwrap();
    let mut bilinear = I420Scaler::new(sw, sh, dw, dh, Filter::Bilinear).unwrap();
    let l = median_ms(31, || lanczos.scale(&src, &mut out).unwrap());
    let b = median_ms(31, || bilinear.scale(&src, &mut out).unwrap());
    let rgba: Vec<u8> =
        (0..(sw * sh) as usize).flat_map(|i| [input[i], (i % 251) as u8, 255 - input[i], 255]).collect();
    let mut i420 = Vec::new();
    let c = median_ms(31, || rgb_to_i420(&rgba, sw, sh, sw as usize * 4, RgbOrder::Rgba, &mut i420).unwrap());
    let r = median_ms(31, || rotate_i420(&src, Rotation::R90, &mut out).unwrap());
    eprintln!("native, median of 31: I420 1080p->720p Lanczos3 {l:.2} ms, Bilinear {b:.2} ms; RGBA->I420 1080p {c:.2} ms; rotate 1080p 90° {r:.2} ms");
    if !cfg!(debug_assertions) {
        assert!(l < 50.0, "Lanczos3 1080p->720p took {l:.1} ms");
    }
}
