//! Video file transcoding (`transcode::video`), judged by ffmpeg: inputs
//! made by ffmpeg (libx264 with B-frames, AAC), outputs read back by
//! ffprobe and decoded by ffmpeg.

mod common;

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;

use framecast::error::{Coded, ErrorCode};
use framecast::mux::sink::DirectorySink;
use framecast::preset::{system_preset, Dimension, PresetFrameRate, ThumbnailPreset, VideoPreset};
use framecast::time::Timestamp;
use framecast::transcode::{
    probe_video, transcode_video, ClipRange, RenditionOptions, ThumbnailOptions, VideoSummary, VideoTranscodeError,
    VideoTranscodeOptions,
};

/// An input made by ffmpeg once (under target/testdata).
fn input(name: &str, args: &[&str]) -> PathBuf {
    common::ffmpeg_make(&common::testdata_dir(), name, args)
}

/// 4 s of 1280x720 at 30 fps, H.264 High with B-frames, AAC stereo 44.1 kHz.
fn ladder_input() -> PathBuf {
    input(
        "vt_720p30_high_aac.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1280x720:rate=30:duration=4",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100:duration=4",
            "-ac",
            "2",
            "-c:v",
            "libx264",
            "-profile:v",
            "high",
            "-bf",
            "3",
            "-g",
            "60",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
        ],
    )
}

/// A video preset of `w`x`h` at the input's frame rate.
fn video(w: u32, h: u32, kbps: u32) -> VideoPreset {
    let mut v = system_preset("1351620000001-000040").unwrap().video.unwrap();
    v.max_width = Dimension::Pixels(w);
    v.max_height = Dimension::Pixels(h);
    v.frame_rate = PresetFrameRate::Auto;
    v.bit_rate = framecast::preset::VideoBitRate::Kbps(kbps);
    v
}

fn rendition(name: &str, v: VideoPreset) -> RenditionOptions {
    RenditionOptions { name: name.into(), video: v, watermarks: Vec::new(), thumbnails: None }
}

fn run(input: &Path, options: &VideoTranscodeOptions, out: &Path) -> Result<VideoSummary, VideoTranscodeError> {
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).unwrap();
    let bytes = std::fs::read(input).unwrap();
    let mut sink = DirectorySink::new(out);
    transcode_video(&bytes, options, &mut sink, &mut |_| ControlFlow::Continue(()))
}

fn out_dir(name: &str) -> PathBuf {
    common::testdata_dir().join("video_transcode").join(name)
}

/// `ffmpeg -v error` decoding `file` (all streams): what it printed.
fn ffmpeg_errors(file: &Path) -> String {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(file)
        .args(["-map", "0", "-f", "null", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "ffmpeg failed on {}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// ffprobe's `key=value` lines for the first video stream (counting frames).
fn video_stream(file: &Path) -> BTreeMap<String, String> {
    let text = common::ffprobe(
        &[
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=codec_name,width,height,nb_read_frames,r_frame_rate",
            "-of",
            "default=nw=1",
        ],
        file,
    );
    text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// Presentation times (s) of the keyframes of the first video stream.
fn keyframe_times(file: &Path) -> Vec<String> {
    let text =
        common::ffprobe(&["-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0"], file);
    text.lines().filter(|l| l.contains('K')).map(|l| l.split(',').next().unwrap_or("").to_owned()).collect()
}

#[test]
fn a_two_rendition_ladder_with_audio_and_thumbnails() {
    let src = ladder_input();
    let out = out_dir("ladder");
    let mut big = rendition("v360", video(640, 360, 800));
    big.thumbnails = Some(ThumbnailOptions {
        preset: ThumbnailPreset {
            format: framecast::preset::ImageFormat::Png,
            interval: 1,
            max_width: Dimension::Pixels(160),
            max_height: Dimension::Pixels(90),
            ..system_preset("1351620000001-000040").unwrap().thumbnails.unwrap()
        },
        pattern: "thumbs/v360-{resolution}-{count}".into(),
    });
    let mut options = VideoTranscodeOptions::new(vec![big, rendition("v180", video(320, 180, 300))]);
    options.audio = system_preset("1351620000001-000040").unwrap().audio;
    options.segment_duration = Timestamp::from_millis(2000);
    let summary = run(&src, &options, &out).expect("transcode");
    assert_eq!(summary.input.width, 1280);
    assert_eq!(summary.input.frame_rate, 30.0);
    for r in &summary.renditions {
        assert!(r.error.is_none(), "{}: {:?}", r.name, r.error);
        assert_eq!(r.frames, 120, "{}", r.name);
        assert_eq!(r.segments, 2, "{}", r.name);
    }
    // Every rendition plays, with its size and every frame.
    for (name, w, h) in [("v360", 640, 360), ("v180", 320, 180)] {
        let playlist = out.join(format!("{name}.m3u8"));
        let s = video_stream(&playlist);
        assert_eq!(s["codec_name"], "h264");
        assert_eq!((s["width"].as_str(), s["height"].as_str()), (w.to_string().as_str(), h.to_string().as_str()));
        assert_eq!(s["nb_read_frames"], "120", "{name}");
        assert_eq!(ffmpeg_errors(&playlist), "", "{name} decodes silently");
    }
    // Keyframes at the same times in both renditions: players can switch.
    let k360 = keyframe_times(&out.join("v360.m3u8"));
    assert_eq!(k360, keyframe_times(&out.join("v180.m3u8")));
    assert_eq!(k360.len(), 2, "{k360:?}");
    // The master playlist and the MPD list both renditions and the audio.
    let master = std::fs::read_to_string(out.join("master.m3u8")).unwrap();
    assert_eq!(master.matches("#EXT-X-STREAM-INF").count(), 2, "{master}");
    assert!(master.contains("RESOLUTION=640x360") && master.contains("AVERAGE-BANDWIDTH="), "{master}");
    assert!(master.contains("TYPE=AUDIO"), "{master}");
    assert_eq!(ffmpeg_errors(&out.join("master.m3u8")), "");
    let audio = common::ffprobe(&["-show_entries", "format=duration", "-of", "csv=p=0"], &out.join("audio.m3u8"));
    let seconds: f64 = audio.trim().parse().unwrap();
    assert!((seconds - 4.0).abs() < 0.05, "audio lasts {seconds} s");
    let mpd = out.join("manifest.mpd");
    let streams = common::ffprobe(&["-show_entries", "stream=codec_type,width", "-of", "csv=p=0"], &mpd);
    // (ffprobe lists a stream again under each program that holds it.)
    let kinds: std::collections::BTreeSet<&str> = streams.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), ["audio", "video,320", "video,640"], "{streams}");
    // A thumbnail a second, named by the pattern.
    let mut thumbs: Vec<String> = std::fs::read_dir(out.join("thumbs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    thumbs.sort();
    assert_eq!(
        thumbs,
        ["v360-160x90-00001.png", "v360-160x90-00002.png", "v360-160x90-00003.png", "v360-160x90-00004.png"]
    );
}

/// PSNR (dB) of two equally sized 8-bit planes.
fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let mse = a.iter().zip(b).map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2)).sum::<f64>() / a.len() as f64;
    if mse == 0.0 {
        return 99.0;
    }
    10.0 * (255.0f64 * 255.0 / mse).log10()
}

/// Frame `index` of `file` (after `args`) as gray 320x180.
fn gray_frame(file: &Path, pre: &[&str], index: u32) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin"])
        .args(pre)
        .arg("-i")
        .arg(file)
        .args([
            "-vf",
            &format!("select=eq(n\\,{index}),scale=320:180:flags=bicubic,format=gray"),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout.len(), 320 * 180);
    out.stdout
}

#[test]
fn a_clip_starts_on_the_exact_frame_and_lasts_its_duration() {
    let src = ladder_input();
    let out = out_dir("clip");
    let mut options = VideoTranscodeOptions::new(vec![rendition("clip", video(640, 360, 1500))]);
    options.segment_duration = Timestamp::from_millis(1000);
    // 1.5 s is not a keyframe of the input (keyframes every 2 s).
    options.clip = Some(ClipRange { start_us: 1_500_000, duration_us: Some(2_000_000) });
    let summary = run(&src, &options, &out).expect("transcode");
    assert_eq!(summary.renditions[0].frames, 60);
    let playlist = out.join("clip.m3u8");
    assert_eq!(video_stream(&playlist)["nb_read_frames"], "60");
    // Our first frame is ffmpeg's accurately sought frame at 1.5 s (frame
    // 45), not one of its neighbours.
    let ours = gray_frame(&playlist, &[], 0);
    let exact = psnr(&ours, &gray_frame(&src, &[], 45));
    for neighbour in [44, 46] {
        let other = psnr(&ours, &gray_frame(&src, &[], neighbour));
        assert!(exact > other + 3.0, "frame 45: {exact:.1} dB, frame {neighbour}: {other:.1} dB");
    }
    assert!(exact > 30.0, "{exact:.1} dB");
}

#[test]
fn variable_frame_rate_input_becomes_the_presets_constant_rate() {
    // 3 s where every third frame of 30 fps is missing: 20 frames a second
    // at irregular intervals.
    let src = input(
        "vt_vfr.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=30:duration=3",
            "-vf",
            "select='not(eq(mod(n\\,3)\\,1))'",
            "-fps_mode",
            "vfr",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
        ],
    );
    let out = out_dir("vfr");
    let mut v = video(320, 240, 500);
    v.frame_rate = PresetFrameRate::Fixed(framecast::preset::Ratio { num: 25, den: 1 });
    let summary = run(&src, &VideoTranscodeOptions::new(vec![rendition("cfr", v)]), &out).expect("transcode");
    let s = video_stream(&out.join("cfr.m3u8"));
    assert_eq!(s["r_frame_rate"], "25/1");
    // The input runs from 0 to 2.967 s + one frame: 3 s at 25 fps.
    assert_eq!(s["nb_read_frames"], "75", "{summary:?}");
}

#[test]
fn cancelling_stops_the_run_with_aborted() {
    let src = ladder_input();
    let bytes = std::fs::read(src).unwrap();
    let out = out_dir("cancel");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let mut sink = DirectorySink::new(&out);
    let options = VideoTranscodeOptions::new(vec![rendition("r", video(320, 180, 300))]);
    let mut calls = 0;
    let err = transcode_video(&bytes, &options, &mut sink, &mut |p| {
        calls += 1;
        assert!(p.fraction().is_some_and(|f| (0.0..=1.0).contains(&f)));
        if calls == 10 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .unwrap_err();
    assert_eq!(err, VideoTranscodeError::Canceled);
    assert_eq!(err.code(), ErrorCode::Aborted);
    assert_eq!(calls, 10);
}

#[test]
fn bad_inputs_get_typed_errors() {
    let options = VideoTranscodeOptions::new(vec![rendition("r", video(320, 180, 300))]);
    let mut sink = framecast::mux::sink::MemorySink::default();
    let mut go =
        |bytes: &[u8]| transcode_video(bytes, &options, &mut sink, &mut |_| ControlFlow::Continue(())).unwrap_err();
    // Not a container.
    assert_eq!(go(b"this is not a video").code(), ErrorCode::DecodeError);
    // Audio only.
    let m4a = input("vt_audio_only.m4a", &["-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", "-f", "mp4"]);
    let e = go(&std::fs::read(m4a).unwrap());
    assert_eq!(e.code(), ErrorCode::UnsupportedInput, "{e}");
    // Truncated in the middle of the media data.
    let whole = std::fs::read(ladder_input()).unwrap();
    let e = go(&whole[..whole.len() / 2]);
    assert!(matches!(e.code(), ErrorCode::DecodeError | ErrorCode::UnsupportedInput), "{e}");
    // Every byte of the video samples garbled: the decoder refuses, no panic.
    let mut garbled = whole.clone();
    let len = garbled.len();
    for b in garbled[len / 4..len - 1000].iter_mut().step_by(7) {
        *b ^= 0x5a;
    }
    let _ = transcode_video(&garbled, &options, &mut sink, &mut |_| ControlFlow::Continue(()));
}

#[test]
fn options_are_checked_before_anything_runs() {
    let bytes = std::fs::read(ladder_input()).unwrap();
    let mut sink = framecast::mux::sink::MemorySink::default();
    let cases: Vec<(VideoTranscodeOptions, &str)> = vec![
        (VideoTranscodeOptions::new(vec![]), "renditions"),
        (VideoTranscodeOptions::new(vec![rendition("../up", video(320, 180, 300))]), "renditions[0].name"),
        (VideoTranscodeOptions::new(vec![rendition("audio", video(320, 180, 300))]), "renditions[0].name"),
        (
            VideoTranscodeOptions::new(vec![
                rendition("a", video(320, 180, 300)),
                rendition("a", video(320, 180, 300)),
            ]),
            "renditions[1].name",
        ),
        (
            VideoTranscodeOptions {
                segment_duration: Timestamp::from_millis(500),
                ..VideoTranscodeOptions::new(vec![rendition("a", video(320, 180, 300))])
            },
            "segmentDuration",
        ),
        (
            VideoTranscodeOptions {
                clip: Some(ClipRange { start_us: 60_000_000, duration_us: None }),
                ..VideoTranscodeOptions::new(vec![rendition("a", video(320, 180, 300))])
            },
            "clip",
        ),
    ];
    for (options, field) in cases {
        let e = transcode_video(&bytes, &options, &mut sink, &mut |_| ControlFlow::Continue(())).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidConfig, "{e}");
        assert_eq!(e.field().as_deref(), Some(field), "{e}");
    }
    assert!(sink.get("a/init.mp4").is_none(), "nothing was written");
}

/// Frame 0 of `file` as gray `w`x`h`, after the filter `vf` (ffmpeg
/// applies the display matrix first, as players do).
fn gray_first(file: &Path, vf: &str, w: u32, h: u32) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(file)
        .args(["-vf", &format!("{vf}scale={w}:{h}:flags=bicubic,format=gray"), "-frames:v", "1", "-f", "rawvideo", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout.len() as u32, w * h);
    out.stdout
}

#[test]
fn rotation_metadata_is_followed_by_default() {
    let plain = input(
        "vt_landscape.mp4",
        &["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p"],
    );
    // A phone's portrait video: landscape pictures and a display matrix.
    let rotated = common::testdata_dir().join("vt_rotated.mp4");
    if !rotated.exists() {
        let p = plain.to_str().unwrap();
        common::ffmpeg_make(
            &common::testdata_dir(),
            "vt_rotated.mp4",
            &["-i", p, "-c", "copy", "-metadata:s:v:0", "rotate=90"],
        );
    }
    let shown = common::ffprobe(&["-show_entries", "stream_side_data=rotation", "-of", "csv=p=0"], &rotated);
    assert!(shown.contains("90"), "ffmpeg wrote the rotation: {shown:?}");
    let out = out_dir("rotated");
    let summary = run(&rotated, &VideoTranscodeOptions::new(vec![rendition("r", video(480, 480, 800))]), &out).unwrap();
    let size = summary.renditions[0].size.unwrap();
    assert!(size.height > size.width, "portrait out: {size:?}");
    let (w, h) = (size.width, size.height);
    // Our first picture is the one players show for the input.
    let ours = gray_first(&out.join("r.m3u8"), "", w, h);
    let upright = psnr(&ours, &gray_first(&rotated, "", w, h));
    let upside_down = psnr(&ours, &gray_first(&rotated, "hflip,vflip,", w, h));
    assert!(upright > 30.0 && upright > upside_down + 3.0, "{upright:.1} dB vs {upside_down:.1} dB");
    // An explicit rotation wins over the metadata.
    let mut options = VideoTranscodeOptions::new(vec![rendition("r", video(480, 480, 800))]);
    options.rotation = Some(framecast::video::Rotation::R0);
    let summary = run(&rotated, &options, &out_dir("unrotated")).unwrap();
    let size = summary.renditions[0].size.unwrap();
    assert!(size.width > size.height, "landscape out: {size:?}");
}

#[test]
fn odd_sized_portrait_input_with_a_long_gop() {
    // 361x641 (odd sides), portrait, one keyframe in 3 s, 44.1 kHz mono audio.
    let src = input(
        "vt_odd_portrait.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=361x641:rate=24:duration=3",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=500:sample_rate=44100:duration=3",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-g",
            "300",
            "-c:a",
            "aac",
        ],
    );
    let out = out_dir("odd");
    let mut options = VideoTranscodeOptions::new(vec![rendition("p", video(640, 640, 600))]);
    options.audio = system_preset("1351620000001-000040").unwrap().audio;
    options.segment_duration = Timestamp::from_millis(1000);
    let summary = run(&src, &options, &out).expect("transcode");
    let size = summary.renditions[0].size.unwrap();
    assert!(size.height > size.width && size.width % 2 == 0 && size.height % 2 == 0, "{size:?}");
    let s = video_stream(&out.join("p.m3u8"));
    assert_eq!((s["width"].clone(), s["height"].clone()), (size.width.to_string(), size.height.to_string()));
    assert_eq!(s["nb_read_frames"], "72");
    // A keyframe every second though the input has one in 3 s.
    assert_eq!(keyframe_times(&out.join("p.m3u8")).len(), 3);
    assert_eq!(ffmpeg_errors(&out.join("master.m3u8")), "");
}

#[test]
fn watermark_pixels_are_in_the_decoded_output() {
    let src = ladder_input();
    let out = out_dir("watermark");
    let mut r = rendition("wm", video(640, 360, 1500));
    let preset: framecast::preset::WatermarkPreset = serde_json::from_str(
        r#"{"id": "TopLeft", "maxWidth": "64px", "maxHeight": "32px", "sizingPolicy": "Fit",
            "horizontalAlign": "Left", "verticalAlign": "Top", "target": "Content"}"#,
    )
    .unwrap();
    let white = framecast::video::Watermark::from_rgba(64, 32, vec![255; 64 * 32 * 4]).unwrap();
    r.watermarks = vec![(preset, white)];
    let mut options = VideoTranscodeOptions::new(vec![r]);
    options.segment_duration = Timestamp::from_millis(2000);
    run(&src, &options, &out).expect("transcode");
    // Mean luma inside the watermark (a margin in from its edges) in the
    // first decoded frame, and in the source at the same size.
    let mean = |frame: &[u8]| {
        let (w, rows, cols) = (640usize, 4..28usize, 4..60usize);
        let n = rows.len() * cols.len();
        rows.flat_map(|y| cols.clone().map(move |x| y * w + x)).map(|i| f64::from(frame[i])).sum::<f64>() / n as f64
    };
    let ours = mean(&gray_first(&out.join("wm.m3u8"), "", 640, 360));
    let source = mean(&gray_first(&src, "", 640, 360));
    assert!(ours > 225.0, "the watermark is white: mean luma {ours:.1}");
    assert!(source < 200.0, "the source is not white there: {source:.1}");
}

#[test]
fn probe_reports_the_input_without_transcoding() {
    let p = probe_video(&std::fs::read(ladder_input()).unwrap()).unwrap();
    assert_eq!((p.width, p.height, p.frame_rate, p.rotation), (1280, 720, 30.0, 0));
    assert_eq!(p.duration_ms, 4000);
    assert!(p.video_codec.starts_with("avc1.64"), "High profile: {}", p.video_codec);
    assert_eq!(p.audio_codec.as_deref(), Some("mp4a.40.2"));
    let e = probe_video(b"not a video").unwrap_err();
    assert_eq!(e.code(), ErrorCode::DecodeError, "{e}");
}
