//! Shared helpers for native integration tests: test clips made by ffmpeg on
//! disk under target/testdata, and ffprobe queries.
#![allow(dead_code)] // Shared by several test binaries; each uses a part.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Clips that tests and benchmarks encode. Each is raw I420 made by ffmpeg.
#[derive(Clone, Copy, Debug)]
pub enum Clip {
    /// ffmpeg's `testsrc2`: synthetic pattern with motion.
    Testsrc2,
    /// A slow camera pan across a real photograph of a forest (foliage,
    /// bark, a path): dense natural texture with global motion. The photo is
    /// `Path/2560x1600.jpg` from Debian's plasma-workspace-wallpapers, put in
    /// target/testdata/forest.jpg by .ci/bootstrap.sh.
    Natural,
}

impl Clip {
    /// ffmpeg input arguments and filter graph that make the clip.
    fn ffmpeg_input(self, w: u32, h: u32, fps: u32) -> (Vec<String>, String) {
        match self {
            Clip::Testsrc2 => (
                vec!["-f".into(), "lavfi".into(), "-i".into(), format!("testsrc2=size={w}x{h}:rate={fps}")],
                "format=yuv420p".into(),
            ),
            Clip::Natural => {
                let photo = testdata_dir().join("forest.jpg");
                assert!(photo.exists(), "{} is missing: run .ci/bootstrap.sh", photo.display());
                (
                    vec![
                        "-loop".into(),
                        "1".into(),
                        "-framerate".into(),
                        fps.to_string(),
                        "-i".into(),
                        photo.display().to_string(),
                    ],
                    // A 1920x1080 window moving 60 px/s right and 30 px/s down.
                    format!("crop=1920:1080:x='t*60':y='t*30',scale={w}:{h}:flags=lanczos,format=yuv420p"),
                )
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            Clip::Testsrc2 => "testsrc2",
            Clip::Natural => "natural",
        }
    }
}

pub fn testdata_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/testdata");
    std::fs::create_dir_all(&dir).expect("create target/testdata");
    dir
}

/// Path of a raw I420 clip, generated with ffmpeg on first use.
pub fn clip(clip: Clip, w: u32, h: u32, fps: u32, frames: u32) -> PathBuf {
    let path = testdata_dir().join(format!("{}_{w}x{h}_{fps}_{frames}.yuv", clip.name()));
    if path.exists() {
        return path;
    }
    // Tests run in parallel threads and may want the same clip: each writes
    // its own temporary file, and the first rename wins.
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{seq}", std::process::id()));
    let (input, filter) = clip.ffmpeg_input(w, h, fps);
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(&input)
        .args(["-vf", &filter, "-frames:v", &frames.to_string(), "-f", "rawvideo"])
        .arg(&tmp)
        .status()
        .expect("ffmpeg is installed (run .ci/bootstrap.sh)");
    assert!(status.success(), "ffmpeg failed to make {}", path.display());
    std::fs::rename(&tmp, &path).expect("rename clip into place");
    path
}

/// ffmpeg's decode of `input` as interleaved `f32`
/// (`ffmpeg -v error -nostdin -i input ARGS -f f32le -`), with what it
/// printed on stderr. `args` may resample (`-ar`) or remix (`-ac`).
pub fn ffmpeg_f32(input: &Path, args: &[&str]) -> (Vec<f32>, String) {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(input)
        .args(args)
        .args(["-f", "f32le", "-"])
        .output()
        .expect("ffmpeg is installed (run .ci/bootstrap.sh)");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "ffmpeg decode {}: {stderr}", input.display());
    (out.stdout.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(), stderr)
}

/// Runs ffprobe and returns stdout.
pub fn ffprobe(args: &[&str], file: &Path) -> String {
    let out = Command::new("ffprobe").args(["-v", "error"]).args(args).arg(file).output().expect("run ffprobe");
    assert!(out.status.success(), "ffprobe failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// `dir/name`, made once by `ffmpeg -v error -y ARGS <file>` (inputs,
/// codecs and options in `args`). Tests run in parallel and may want the
/// same file: each writes its own temporary file and the first rename
/// wins, so no test sees a partial file.
pub fn ffmpeg_make(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let path = dir.join(name);
    if path.exists() {
        return path;
    }
    std::fs::create_dir_all(dir).expect("create the test data folder");
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("mp4").to_string();
    let tmp = path.with_extension(format!("tmp{}-{seq}.{ext}", std::process::id()));
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .arg(&tmp)
        .output()
        .expect("ffmpeg is installed (run .ci/bootstrap.sh)");
    assert!(out.status.success(), "ffmpeg failed to make {name}: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::rename(&tmp, &path).expect("rename into place");
    path
}

/// `target/testdata/NAME`, made once by `ffmpeg -v error -y ARGS` (see
/// [`ffmpeg_make`]).
pub fn ffmpeg_output(name: &str, args: &[&str]) -> PathBuf {
    ffmpeg_make(&testdata_dir(), name, args)
}
