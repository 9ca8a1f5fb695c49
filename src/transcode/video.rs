//! Video file transcoding: one input (H.264 in MP4) decoded once, out as a
//! ladder of renditions in CMAF with HLS and DASH playlists, thumbnails
//! and watermarks, optionally clipped.
//!
//! [`transcode_video`] runs the whole pass:
//!
//! 1. **Demux** the input ([`Mp4File`]: progressive, `moov` first or last,
//!    or fragmented). The first H.264 track is the video; the first audio
//!    track the audio.
//! 2. **Decode once.** Every access unit goes through one OpenH264
//!    decoder, in decode order; pictures come out in presentation order,
//!    on the presentation timeline the edit list defines.
//! 3. **Constant frame rate per rendition.** Output frame `k` of a
//!    rendition is at `k / fps` (the preset's frame rate, or the input's
//!    for `"auto"`) and shows the latest input picture at or before that
//!    time: variable-frame-rate input becomes constant by dropping or
//!    repeating pictures, never by stretching time.
//! 4. **Per rendition**: the preset's [`FramePipeline`] (rotation, sizing,
//!    padding, watermarks), thumbnails, and a [`VideoPipeline`] (OpenH264
//!    and the segmenter). Every rendition forces an IDR on the first frame
//!    at or after each multiple of the segment duration, on the same
//!    output timeline, so segment boundaries and keyframes line up across
//!    the ladder and a player can switch at every segment.
//! 5. **Audio** is decoded once (symphonia), and encoded once, into its
//!    own rendition (`audio/`), on the video's timeline: the output's time
//!    0 is the first video frame's input time.
//! 6. **Playlists** at the end: one HLS media playlist per rendition, a
//!    multivariant playlist with each variant's measured peak and average
//!    bandwidth, codecs, resolution and frame rate (and the audio group),
//!    and a static DASH MPD with every video rendition in one adaptation
//!    set.
//!
//! **Clips.** A clip keeps the input from its start time: the first output
//! frame is the first input picture whose presentation time is at or after
//! the start (decoding begins at the keyframe before it, so the picture is
//! exact), and the output lasts the clip's duration, rounded to whole
//! frames. Audio is cut at the same instants.
//!
//! **Failures.** A rendition that fails (its encoder, pipeline or sink)
//! stops alone: the others run on and the summary says which failed and
//! why. Errors in the input (unreadable container, undecodable video) end
//! the whole run, as do cancellation (the progress callback returns
//! [`ControlFlow::Break`]) and sink errors on shared files.
//!
//! **Memory.** The input is held whole (the caller's slice); per rendition
//! the engine holds one picture, its encoder and the segment being
//! filled; one decoded picture is shared by every rendition.
//!
//! Output objects (names relative to the sink's root):
//! - `{rendition}/init.mp4` and `{rendition}/{N}.m4s` per rendition,
//!   `audio/init.mp4` and `audio/{N}.m4s` for the audio;
//! - `{rendition}.m3u8`, `audio.m3u8`, `master.m3u8`, `manifest.mpd`;
//! - thumbnails named by each rendition's pattern.

use std::fmt;
use std::ops::ControlFlow;

use crate::codec::h264::{H264Decoder, H264Error};
use crate::codec::{CodecConfig, TrackKind};
use crate::decode::{AudioDecodeError, AudioDecoder, DecodeOptions};
use crate::encode::{
    encoder_config, encoder_for, AudioPipeline, AudioPipelineConfig, AudioPipelineError, PipelineConfig, PipelineEvent,
    VideoPipeline, VideoPipelineError, AUDIO_TRACK_ID, VIDEO_TRACK_ID,
};
use crate::error::{Coded, ErrorCode};
use crate::frame::{I420Frame, I420Planes, Size};
use crate::ingest::{channels, media_info};
use crate::mux::reader::{Mp4File, ReadError, ReadOptions, Track};
use crate::mux::segmenter::FragmentListener;
use crate::mux::sink::{Naming, Output, Sink, SinkError};
use crate::playlist::dash::{AdaptationSet, Mpd, MpdKind};
use crate::playlist::hls::{AudioRendition, MediaPlaylistOptions, MultivariantPlaylist, Variant};
use crate::playlist::listen::{DashListener, HlsListener};
use crate::playlist::{FrameRate, PlaylistError, Resolution};
use crate::preset::{AudioPreset, ImageFormat, PresetFrameRate, ThumbnailPreset, VideoPreset, WatermarkPreset};
use crate::time::{Timescale, Timestamp};
use crate::video::color::ColorSpace;
use crate::video::{
    Filter, FramePipeline, InputFormat, PipelineError, PipelineOptions, Rotation, ThumbnailError, ThumbnailMaker,
    Watermark,
};

/// The shortest and longest segment duration, in ms.
pub const SEGMENT_DURATION_MS: (i64, i64) = (1000, 20_000);

/// The most renditions in one run (Elastic Transcoder's outputs per job).
pub const MAX_RENDITIONS: usize = 30;

/// Stream name of the audio rendition.
pub const AUDIO_STREAM: &str = "audio";

/// Thumbnails of one rendition.
#[derive(Debug, Clone)]
pub struct ThumbnailOptions {
    /// Size, format and interval.
    pub preset: ThumbnailPreset,
    /// File name pattern: `{count}` becomes the 5-digit number from
    /// `00001`, `{resolution}` the image's `WxH`; the format's extension
    /// (`.jpg` or `.png`) is appended.
    pub pattern: String,
}

/// One rendition of the ladder.
#[derive(Debug, Clone)]
pub struct RenditionOptions {
    /// Stream name: the folder of its segments and the name of its
    /// playlist (`{name}.m3u8`). Letters, digits, `-`, `_`, `.` and `/`.
    pub name: String,
    /// Sizing, padding, frame rate and codec settings.
    pub video: VideoPreset,
    /// Watermarks with their images, blended in this order.
    pub watermarks: Vec<(WatermarkPreset, Watermark)>,
    /// Thumbnails taken from this rendition's frames; `None` for none.
    pub thumbnails: Option<ThumbnailOptions>,
}

/// A part of the input to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClipRange {
    /// Start on the input's presentation timeline, µs (0 or more).
    pub start_us: i64,
    /// Duration in µs; `None` keeps the input to its end.
    pub duration_us: Option<i64>,
}

/// What [`transcode_video`] makes.
#[derive(Debug, Clone)]
pub struct VideoTranscodeOptions {
    /// The renditions, 1 to [`MAX_RENDITIONS`].
    pub renditions: Vec<RenditionOptions>,
    /// The audio rendition's preset (AAC or Opus); `None` drops the audio.
    pub audio: Option<AudioPreset>,
    /// Segment duration, [`SEGMENT_DURATION_MS`]. Default 6 s.
    pub segment_duration: Timestamp,
    /// A part of the input; `None` keeps all of it.
    pub clip: Option<ClipRange>,
    /// Clockwise rotation applied to every rendition before sizing; `None`
    /// (the default, Elastic Transcoder's `"auto"`) follows the input's
    /// rotation metadata (the video track's `tkhd` matrix), so a phone's
    /// portrait video comes out upright.
    pub rotation: Option<Rotation>,
    /// Colour space of the input pictures and the output (watermarks are
    /// converted into it; padding is its black). Default BT.601, limited.
    pub color: ColorSpace,
}

impl VideoTranscodeOptions {
    /// The given renditions with 6 s segments, no audio, no clip.
    pub fn new(renditions: Vec<RenditionOptions>) -> Self {
        VideoTranscodeOptions {
            renditions,
            audio: None,
            segment_duration: Timestamp::from_millis(6000),
            clip: None,
            rotation: None,
            color: ColorSpace::default(),
        }
    }

    /// Checks every option; the first problem, on its field.
    fn validate(&self) -> Result<(), VideoTranscodeError> {
        let invalid = |field: String, reason: String| Err(VideoTranscodeError::InvalidOptions { field, reason });
        if self.renditions.is_empty() || self.renditions.len() > MAX_RENDITIONS {
            return invalid(
                "renditions".into(),
                format!("must list 1 to {MAX_RENDITIONS} renditions, got {}", self.renditions.len()),
            );
        }
        let ms = self.segment_duration.rescale(Timescale::MILLIS).ticks;
        let (min, max) = SEGMENT_DURATION_MS;
        if !(min..=max).contains(&ms) {
            return invalid("segmentDuration".into(), format!("must be from {min} to {max} ms, got {ms}"));
        }
        for (i, r) in self.renditions.iter().enumerate() {
            let good = |c: char| c.is_ascii_alphanumeric() || "-_./".contains(c);
            if r.name.is_empty()
                || !r.name.chars().all(good)
                || r.name.starts_with('/')
                || r.name.split('/').any(|p| p.is_empty() || p == "." || p == "..")
                || r.name == AUDIO_STREAM
            {
                return invalid(
                    format!("renditions[{i}].name"),
                    format!(
                        "must be a relative name of letters, digits, -, _, . and /, not {AUDIO_STREAM:?}; got {:?}",
                        r.name
                    ),
                );
            }
            if self.renditions[..i].iter().any(|o| o.name == r.name) {
                return invalid(format!("renditions[{i}].name"), format!("{:?} is used twice", r.name));
            }
            if let Some(t) = &r.thumbnails {
                if !t.pattern.contains("{count}") {
                    return invalid(
                        format!("renditions[{i}].thumbnails.pattern"),
                        format!("must contain {{count}}, got {:?}", t.pattern),
                    );
                }
            }
        }
        if let Some(clip) = self.clip {
            if clip.start_us < 0 || clip.duration_us.is_some_and(|d| d <= 0) {
                return invalid(
                    "clip".into(),
                    format!("needs a start of 0 or more and a positive duration, got {clip:?}"),
                );
            }
        }
        Ok(())
    }
}

/// How far a run has come.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoProgress {
    /// Output media time done, µs (the video pictures decoded so far, then
    /// the audio).
    pub media_us: i64,
    /// The output's expected duration, µs, when known.
    pub duration_us: Option<i64>,
    /// Bytes written to the sink so far.
    pub bytes_out: u64,
    /// Which pass runs: `"video"`, then `"audio"`, then `"playlists"`.
    pub stage: &'static str,
}

impl VideoProgress {
    /// Fraction done, 0 to 1 (video is the first 90 %), when the duration
    /// is known.
    pub fn fraction(&self) -> Option<f64> {
        let d = self.duration_us.filter(|d| *d > 0)? as f64;
        let done = (self.media_us as f64 / d).clamp(0.0, 1.0);
        Some(match self.stage {
            "video" => 0.9 * done,
            "audio" => 0.9 + 0.09 * done,
            _ => 1.0,
        })
    }
}

/// The input as the engine saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct InputProbe {
    /// Coded picture width (before rotation), pixels.
    pub width: u32,
    /// Coded picture height, pixels.
    pub height: u32,
    /// Average frame rate (frames per second) of the video track.
    pub frame_rate: f64,
    /// Input size, bytes.
    pub file_size: u64,
    /// Video duration, ms.
    pub duration_ms: i64,
    /// Clockwise rotation the input asks players to apply, degrees (0,
    /// 90, 180 or 270).
    pub rotation: u16,
    /// The video track's RFC 6381 codec string (`avc1.64001f`).
    pub video_codec: String,
    /// The audio track's RFC 6381 codec string (`mp4a.40.2`), when there
    /// is one.
    pub audio_codec: Option<String>,
}

/// What became of one rendition.
#[derive(Debug, Clone, PartialEq)]
pub struct RenditionSummary {
    /// The rendition's name.
    pub name: String,
    /// Encoded size, pixels.
    pub size: Option<Size>,
    /// Frames encoded.
    pub frames: u64,
    /// Segments written.
    pub segments: u64,
    /// Thumbnails written.
    pub thumbnails: u64,
    /// Peak and average segment bit rate, bits/s (video alone).
    pub bandwidth: Option<(u64, u64)>,
    /// RFC 6381 codec string.
    pub codec: Option<String>,
    /// Why it failed, if it did (the others ran on).
    pub error: Option<VideoTranscodeError>,
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoSummary {
    /// The input.
    pub input: InputProbe,
    /// Every rendition, in the options' order.
    pub renditions: Vec<RenditionSummary>,
    /// Audio frames encoded (0 without audio).
    pub audio_frames: u64,
    /// Output duration, µs.
    pub duration_us: i64,
    /// Every object written, in order.
    pub files: Vec<String>,
    /// Bytes written.
    pub bytes_out: u64,
}

/// Why a run or a rendition failed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum VideoTranscodeError {
    /// An option is out of range (`field` names it).
    InvalidOptions {
        /// The option's path, e.g. `renditions[1].name`.
        field: String,
        /// What it must be, and what was given.
        reason: String,
    },
    /// The input is not something this engine reads (no H.264 track, an
    /// unsupported container or codec).
    UnsupportedInput(String),
    /// The container is damaged.
    Read(ReadError),
    /// The video does not decode.
    Decode(H264Error),
    /// The audio does not decode.
    AudioDecode(AudioDecodeError),
    /// A rendition's pictures cannot be prepared.
    Frame(PipelineError),
    /// A rendition's encoder or segmenter failed.
    Encode(VideoPipelineError),
    /// The audio encoder or segmenter failed.
    AudioEncode(AudioPipelineError),
    /// A thumbnail cannot be made.
    Thumbnail(ThumbnailError),
    /// A playlist cannot be written.
    Playlist(PlaylistError),
    /// The sink refused an object.
    Sink(SinkError),
    /// The caller cancelled the run.
    Canceled,
}

impl fmt::Display for VideoTranscodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VideoTranscodeError::InvalidOptions { field, reason } => write!(f, "{field}: {reason}"),
            VideoTranscodeError::UnsupportedInput(why) => write!(f, "unsupported input: {why}"),
            VideoTranscodeError::Read(e) => write!(f, "input container: {e}"),
            VideoTranscodeError::Decode(e) => write!(f, "video decoding: {e}"),
            VideoTranscodeError::AudioDecode(e) => write!(f, "audio decoding: {e}"),
            VideoTranscodeError::Frame(e) => e.fmt(f),
            VideoTranscodeError::Encode(e) => e.fmt(f),
            VideoTranscodeError::AudioEncode(e) => write!(f, "audio: {e}"),
            VideoTranscodeError::Thumbnail(e) => write!(f, "thumbnail: {e}"),
            VideoTranscodeError::Playlist(e) => write!(f, "playlist: {e}"),
            VideoTranscodeError::Sink(e) => write!(f, "output: {e}"),
            VideoTranscodeError::Canceled => f.write_str("canceled"),
        }
    }
}

impl std::error::Error for VideoTranscodeError {}

impl Coded for VideoTranscodeError {
    fn code(&self) -> ErrorCode {
        match self {
            VideoTranscodeError::InvalidOptions { .. } => ErrorCode::InvalidConfig,
            VideoTranscodeError::UnsupportedInput(_) => ErrorCode::UnsupportedInput,
            VideoTranscodeError::Read(e) if e.is_recoverable() => ErrorCode::UnsupportedInput,
            VideoTranscodeError::Read(_) => ErrorCode::DecodeError,
            VideoTranscodeError::Decode(e) => e.code(),
            VideoTranscodeError::AudioDecode(e) => e.code(),
            VideoTranscodeError::Frame(_) => ErrorCode::InvalidConfig,
            VideoTranscodeError::Encode(e) => e.code(),
            VideoTranscodeError::AudioEncode(e) => e.code(),
            VideoTranscodeError::Thumbnail(_) => ErrorCode::EncodeError,
            VideoTranscodeError::Playlist(_) => ErrorCode::MuxError,
            VideoTranscodeError::Sink(e) => e.code(),
            VideoTranscodeError::Canceled => ErrorCode::Aborted,
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            VideoTranscodeError::InvalidOptions { field, .. } => Some(field.clone()),
            VideoTranscodeError::AudioEncode(e) => e.field(),
            _ => None,
        }
    }
}

/// One rendition at work.
struct Rendition {
    options: RenditionOptions,
    /// The rotation in force (the option, or the input's).
    rotation: Rotation,
    /// Output frame interval, µs (exact to the µs for common rates; the
    /// frame times are computed from the rate, not accumulated).
    fps: (u32, u32),
    frames_out: u64,
    prep: Option<(Size, FramePipeline)>,
    encoder: Option<VideoPipeline>,
    thumbs: Option<ThumbnailMaker>,
    thumbnail_count: u64,
    hls: HlsListener,
    dash: DashListener,
    segments: u64,
    error: Option<VideoTranscodeError>,
}

impl Rendition {
    /// Time of output frame `k`, µs.
    fn frame_time_us(&self, k: u64) -> i64 {
        let (num, den) = self.fps;
        (i128::from(k) * 1_000_000 * i128::from(den) / i128::from(num.max(1))) as i64
    }
}

/// Everything written so far, and the sink.
struct Out<'s, S: Sink> {
    sink: &'s mut S,
    files: Vec<String>,
    bytes: u64,
}

impl<S: Sink> Out<'_, S> {
    fn put(&mut self, output: &Output, bytes: &[u8]) -> Result<(), SinkError> {
        self.sink.put(output, bytes)?;
        self.files.push(output.name.clone());
        self.bytes += bytes.len() as u64;
        Ok(())
    }
}

/// The frame rate (num, den) of `preset` for an input averaging
/// `input_fps` frames per second.
fn output_rate(preset: &VideoPreset, input_fps: f64) -> (u32, u32) {
    let input = || {
        // Common rates exactly (29.97 as 30000/1001); others to 1/1000.
        let candidates = [(24000, 1001), (30000, 1001), (60000, 1001)];
        for (n, d) in candidates {
            if (f64::from(n) / f64::from(d) - input_fps).abs() < 0.005 {
                return (n, d);
            }
        }
        let whole = input_fps.round();
        if (whole - input_fps).abs() < 0.01 && whole >= 1.0 {
            return (whole as u32, 1);
        }
        (((input_fps * 1000.0).round() as u32).max(1), 1000)
    };
    match preset.frame_rate {
        PresetFrameRate::Fixed(r) => (r.num, r.den.max(1)),
        PresetFrameRate::Auto => {
            let (n, d) = input();
            match preset.max_frame_rate {
                Some(max) if u64::from(n) * u64::from(max.den) > u64::from(max.num) * u64::from(d) => {
                    (max.num, max.den.max(1))
                }
                _ => (n, d),
            }
        }
    }
}

/// The first track of `kind`.
fn track_of(file: &Mp4File<'_>, kind: TrackKind) -> Option<Track> {
    file.movie().tracks().iter().find(|t| t.kind == kind).cloned()
}

/// An MP4 input read far enough to know what it holds.
struct Inspected<'a> {
    video: Track,
    audio: Option<Track>,
    samples: Vec<crate::mux::reader::SampleRef<'a>>,
    /// Presentation times (µs) of the first picture and of the end of the
    /// last one, on the edit list's timeline.
    first_us: i64,
    end_us: i64,
    probe: InputProbe,
}

impl<'a> Inspected<'a> {
    fn new(input: &'a [u8]) -> Result<Self, VideoTranscodeError> {
        let file = Mp4File::parse_with(input, &ReadOptions::skipping_unsupported_tracks())
            .map_err(VideoTranscodeError::Read)?;
        let video = track_of(&file, TrackKind::Video).ok_or_else(|| {
            VideoTranscodeError::UnsupportedInput("the input has no H.264 video track (framecast decodes H.264)".into())
        })?;
        let CodecConfig::Avc { width, height, .. } = &video.config.codec else {
            return Err(VideoTranscodeError::UnsupportedInput(format!(
                "the video track is {}, framecast decodes H.264",
                video.sample_entry
            )));
        };
        let (width, height) = (*width, *height);
        let audio = track_of(&file, TrackKind::Audio);
        let samples: Vec<_> = file.samples(video.config.id).map(|s| s.collect()).unwrap_or_default();
        if samples.is_empty() {
            return Err(VideoTranscodeError::UnsupportedInput("the video track has no samples".into()));
        }
        let mut inspected = Inspected {
            video,
            audio,
            samples,
            first_us: 0,
            end_us: 0,
            probe: InputProbe {
                width,
                height,
                frame_rate: 0.0,
                file_size: input.len() as u64,
                duration_ms: 0,
                rotation: 0,
                video_codec: String::new(),
                audio_codec: None,
            },
        };
        let times = inspected.samples.iter().map(|s| {
            let pts = s.presentation_time();
            (inspected.to_us(pts), inspected.to_us(pts.saturating_add(i64::from(s.duration))))
        });
        let (first, end) = times.fold((i64::MAX, i64::MIN), |(f, e), (s, t)| (f.min(s), e.max(t)));
        let duration_us = (end - first).max(1);
        let fps = inspected.samples.len() as f64 * 1e6 / duration_us as f64;
        inspected.first_us = first;
        inspected.end_us = end;
        inspected.probe.frame_rate = (fps * 1000.0).round() / 1000.0;
        inspected.probe.duration_ms = duration_us / 1000;
        inspected.probe.rotation = inspected.video.rotation;
        inspected.probe.video_codec = inspected.video.config.codec.codec_string().unwrap_or_default();
        inspected.probe.audio_codec = inspected
            .audio
            .as_ref()
            .map(|t| t.config.codec.codec_string().unwrap_or_else(|_| t.sample_entry.to_string()));
        Ok(inspected)
    }

    /// Ticks of the video track's media timeline as µs on the
    /// presentation timeline.
    fn to_us(&self, ticks: i64) -> i64 {
        Timestamp::new(ticks.saturating_add(self.video.presentation_offset), self.video.config.timescale)
            .rescale(Timescale::MICROS)
            .ticks
    }
}

/// What `input` (an MP4 with H.264 video) holds, without transcoding it:
/// the picture size, frame rate, duration, rotation and codecs.
pub fn probe_video(input: &[u8]) -> Result<InputProbe, VideoTranscodeError> {
    Ok(Inspected::new(input)?.probe)
}

/// Transcodes `input` (an MP4 with H.264 video) into the renditions of
/// `options`, writing every object into `sink` as soon as it is complete.
/// `progress` is called after every decoded picture and at each stage; it
/// cancels the run by returning [`ControlFlow::Break`].
pub fn transcode_video<S: Sink>(
    input: &[u8],
    options: &VideoTranscodeOptions,
    sink: &mut S,
    progress: &mut dyn FnMut(&VideoProgress) -> ControlFlow<()>,
) -> Result<VideoSummary, VideoTranscodeError> {
    options.validate()?;
    let inspected = Inspected::new(input)?;
    let Inspected { video, audio: audio_track, samples, first_us, end_us, probe: detected, .. } = &inspected;
    let (video, first_us, end_us) = (video, *first_us, *end_us);
    let CodecConfig::Avc { avcc, .. } = &video.config.codec else {
        return Err(VideoTranscodeError::UnsupportedInput("the video track is not H.264".into()));
    };
    let to_us = |ticks: i64| inspected.to_us(ticks);
    let input_fps = detected.frame_rate;
    let detected = detected.clone();

    // The clip on the input timeline: [start, end).
    let clip_start = options.clip.map_or(first_us, |c| c.start_us.max(first_us));
    let clip_end = options.clip.and_then(|c| c.duration_us).map_or(end_us, |d| (clip_start + d).min(end_us));
    if clip_start >= end_us {
        return Err(VideoTranscodeError::InvalidOptions {
            field: "clip".into(),
            reason: format!("starts at {clip_start} µs, after the input ends ({end_us} µs)"),
        });
    }
    let out_duration_us = clip_end - clip_start;

    let rotation = options.rotation.unwrap_or(match video.rotation {
        90 => Rotation::R90,
        180 => Rotation::R180,
        270 => Rotation::R270,
        _ => Rotation::R0,
    });
    let mut renditions = Vec::with_capacity(options.renditions.len());
    for r in &options.renditions {
        let fps = output_rate(&r.video, input_fps);
        let hls = HlsListener::new(VIDEO_TRACK_ID, Timescale::MPEG, r.name.clone(), MediaPlaylistOptions::default())
            .map_err(VideoTranscodeError::Playlist)?;
        renditions.push(Rendition {
            options: r.clone(),
            rotation,
            fps,
            frames_out: 0,
            prep: None,
            encoder: None,
            thumbs: None,
            thumbnail_count: 0,
            hls,
            dash: DashListener::new(VIDEO_TRACK_ID, Timescale::MPEG, r.name.clone()),
            segments: 0,
            error: None,
        });
    }
    let mut out = Out { sink, files: Vec::new(), bytes: 0 };

    // Decode from the keyframe at or before the clip start.
    let start_index =
        samples.iter().rposition(|s| s.keyframe && to_us(s.presentation_time()) <= clip_start).unwrap_or(0);
    let mut decoder = H264Decoder::new().map_err(VideoTranscodeError::Decode)?;
    decoder.configure_avcc(avcc).map_err(VideoTranscodeError::Decode)?;
    // The picture shown since `held_us` (input time), and where output
    // time 0 is on the input timeline (the first picture at or after the
    // clip start).
    let mut held: Option<(i64, I420Frame)> = None;
    let mut origin_us: Option<i64> = None;
    let report = |media_us: i64, bytes: u64, stage, progress: &mut dyn FnMut(&VideoProgress) -> ControlFlow<()>| {
        let p = VideoProgress { media_us, duration_us: Some(out_duration_us), bytes_out: bytes, stage };
        match progress(&p) {
            ControlFlow::Continue(()) => Ok(()),
            ControlFlow::Break(()) => Err(VideoTranscodeError::Canceled),
        }
    };
    let mut pictures = Vec::new();
    for sample in &samples[start_index..] {
        let pts = to_us(sample.presentation_time());
        if let Some(frame) =
            decoder.decode_avc(sample.data, Timestamp::from_micros(pts)).map_err(VideoTranscodeError::Decode)?
        {
            pictures.push(frame);
        }
        for frame in pictures.drain(..) {
            let t = frame.timestamp.rescale(Timescale::MICROS).ticks;
            show(&mut renditions, &mut held, &mut origin_us, clip_start, clip_end, t, frame.frame, options, &mut out)?;
            let done = origin_us.map_or(0, |o| t - o);
            report(done, out.bytes, "video", progress)?;
        }
        if origin_us.is_some_and(|o| pts - o > out_duration_us + 1_000_000) {
            // Past the clip (with a second of margin for reordering).
            break;
        }
    }
    for frame in decoder.flush().map_err(VideoTranscodeError::Decode)? {
        let t = frame.timestamp.rescale(Timescale::MICROS).ticks;
        show(&mut renditions, &mut held, &mut origin_us, clip_start, clip_end, t, frame.frame, options, &mut out)?;
    }
    // The last picture lasts to the clip's end.
    let origin = origin_us.ok_or_else(|| {
        VideoTranscodeError::UnsupportedInput("no picture of the input decodes inside the clip".into())
    })?;
    if let Some((_, frame)) = held.take() {
        for r in renditions.iter_mut() {
            emit_until(r, origin, clip_end, &frame, options, &mut out);
        }
    }
    for r in renditions.iter_mut().filter(|r| r.error.is_none()) {
        if let Some(encoder) = r.encoder.as_mut() {
            match encoder.finish() {
                Ok(events) => write_events(r, events, &mut out),
                Err(e) => r.error = Some(VideoTranscodeError::Encode(e)),
            }
        }
    }

    // Audio, on the video's timeline.
    let mut audio_frames = 0;
    let mut audio_out: Option<(HlsListener, DashListener, CodecConfig, String)> = None;
    if let (Some(preset), Some(_)) = (&options.audio, &audio_track) {
        report(0, out.bytes, "audio", progress)?;
        let (frames, listeners) =
            transcode_audio_track(input, preset, options, origin, clip_end, &mut out, &mut |t, bytes| {
                report(t, bytes, "audio", progress)
            })?;
        audio_frames = frames;
        audio_out = listeners;
    }

    report(out_duration_us, out.bytes, "playlists", progress)?;
    write_playlists(&mut renditions, audio_out.as_mut(), &mut out)?;
    let summaries = renditions
        .into_iter()
        .map(|r| RenditionSummary {
            size: r.encoder.as_ref().map(|e| Size::new(e.config().encoder.width, e.config().encoder.height)),
            frames: r.encoder.as_ref().map_or(0, VideoPipeline::frames),
            segments: r.segments,
            thumbnails: r.thumbnail_count,
            bandwidth: r.dash.timeline().bandwidth().ok().map(|b| (b.peak, b.average)),
            codec: r.encoder.as_ref().and_then(VideoPipeline::codec),
            name: r.options.name,
            error: r.error,
        })
        .collect();
    Ok(VideoSummary {
        input: detected,
        renditions: summaries,
        audio_frames,
        duration_us: out_duration_us,
        files: out.files,
        bytes_out: out.bytes,
    })
}

/// A decoded picture at input time `t_us`: the one held so far is shown
/// until `t_us` in every rendition, then this one is held.
#[allow(clippy::too_many_arguments)]
fn show<S: Sink>(
    renditions: &mut [Rendition],
    held: &mut Option<(i64, I420Frame)>,
    origin_us: &mut Option<i64>,
    clip_start: i64,
    clip_end: i64,
    t_us: i64,
    frame: I420Frame,
    options: &VideoTranscodeOptions,
    out: &mut Out<'_, S>,
) -> Result<(), VideoTranscodeError> {
    if t_us < clip_start || t_us >= clip_end {
        return Ok(());
    }
    let origin = *origin_us.get_or_insert(t_us);
    if let Some((_, previous)) = held.as_ref() {
        for r in renditions.iter_mut() {
            emit_until(r, origin, t_us, previous, options, out);
        }
    }
    *held = Some((t_us, frame));
    Ok(())
}

/// Encodes `frame` as every output frame of `r` due before input time
/// `until_us`. A failure stops this rendition only.
fn emit_until<S: Sink>(
    r: &mut Rendition,
    origin: i64,
    until_us: i64,
    frame: &I420Frame,
    options: &VideoTranscodeOptions,
    out: &mut Out<'_, S>,
) {
    while r.error.is_none() && origin + r.frame_time_us(r.frames_out) < until_us {
        let t = r.frame_time_us(r.frames_out);
        if let Err(e) = encode_one(r, t, frame, options, out) {
            r.error = Some(e);
        }
        r.frames_out += 1;
    }
}

/// One output frame of `r` at output time `t_us`.
fn encode_one<S: Sink>(
    r: &mut Rendition,
    t_us: i64,
    frame: &I420Frame,
    options: &VideoTranscodeOptions,
    out: &mut Out<'_, S>,
) -> Result<(), VideoTranscodeError> {
    // OpenH264 pictures may have odd sides; the pipeline takes even ones,
    // so an odd last row or column is left out.
    let size = Size::new(frame.width & !1, frame.height & !1);
    if r.prep.as_ref().is_none_or(|(s, _)| *s != size) {
        let mut video = r.options.video.clone();
        if let Some(e) = &r.encoder {
            // The encoded size is fixed once the stream starts.
            let c = &e.config().encoder;
            video.max_width = crate::preset::Dimension::Pixels(c.width);
            video.max_height = crate::preset::Dimension::Pixels(c.height);
        }
        let rotation = r.rotation;
        let pipeline = FramePipeline::new(PipelineOptions {
            input: size,
            format: InputFormat::I420,
            color: options.color,
            rotation,
            video,
            filter: Filter::default(),
            watermarks: r.options.watermarks.clone(),
        })
        .map_err(VideoTranscodeError::Frame)?;
        r.prep = Some((size, pipeline));
    }
    let Some((_, pipeline)) = r.prep.as_mut() else { return Ok(()) };
    let planes = frame.planes();
    let even = I420Planes { width: size.width, height: size.height, ..planes };
    let packed = crate::frame::I420Frame::from_planes(&even).map_err(|e| VideoTranscodeError::Frame(e.into()))?;
    let picture = pipeline.process(&packed.data, size.width as usize).map_err(VideoTranscodeError::Frame)?;
    if r.encoder.is_none() {
        let mut encoder = encoder_config(
            &r.options.video,
            Size::new(picture.width, picture.height),
            Some(r.fps.0 as f32 / r.fps.1 as f32),
        );
        encoder.frame_rate = r.fps.0 as f32 / r.fps.1 as f32;
        let mut config = PipelineConfig::new(encoder);
        config.fragment_duration = options.segment_duration;
        r.encoder = Some(VideoPipeline::new(config).map_err(VideoTranscodeError::Encode)?);
    }
    if let Some(t) = &r.options.thumbnails {
        let maker = match r.thumbs.as_mut() {
            Some(m) => m,
            None => {
                let source = Size::new(picture.width, picture.height);
                r.thumbs.insert(
                    ThumbnailMaker::new(&t.preset, source, options.color).map_err(VideoTranscodeError::Thumbnail)?,
                )
            }
        };
        if maker.due(t_us) {
            let thumb = maker.make(&picture.planes()).map_err(VideoTranscodeError::Thumbnail)?;
            r.thumbnail_count += 1;
            let extension = match thumb.format {
                ImageFormat::Jpg => "jpg",
                ImageFormat::Png => "png",
            };
            let name = thumbnail_name(&t.pattern, r.thumbnail_count, thumb.width, thumb.height, extension);
            out.put(&Output::file(name), &thumb.bytes).map_err(VideoTranscodeError::Sink)?;
        }
    }
    let Some(encoder) = r.encoder.as_mut() else { return Ok(()) };
    let events = encoder.push(&picture.planes(), t_us).map_err(VideoTranscodeError::Encode)?;
    write_events(r, events, out);
    Ok(())
}

/// `pattern` with `{count}` as 5 digits and `{resolution}` as `WxH`, and
/// the extension.
pub fn thumbnail_name(pattern: &str, count: u64, width: u32, height: u32, extension: &str) -> String {
    let name = pattern.replace("{count}", &format!("{count:05}")).replace("{resolution}", &format!("{width}x{height}"));
    format!("{name}.{extension}")
}

/// Writes a rendition's init segment and fragments, and feeds its playlists.
fn write_events<S: Sink>(r: &mut Rendition, events: Vec<PipelineEvent>, out: &mut Out<'_, S>) {
    let naming = Naming::new().with(VIDEO_TRACK_ID, r.options.name.clone());
    for event in events {
        let result = match &event {
            PipelineEvent::Init(init) => {
                r.hls.on_init(init);
                r.dash.on_init(init);
                out.put(&naming.init(init), &init.bytes)
            }
            PipelineEvent::Fragment(fragment) => {
                r.hls.on_fragment(fragment);
                r.dash.on_fragment(fragment);
                r.segments += 1;
                out.put(&naming.fragment(fragment), &fragment.bytes)
            }
        };
        if let Err(e) = result {
            r.error.get_or_insert(VideoTranscodeError::Sink(e));
            return;
        }
    }
}

type AudioListeners = (HlsListener, DashListener, CodecConfig, String);

/// Decodes the input's audio and encodes it into the audio rendition, on
/// the output timeline (input time `origin` is output time 0), until input
/// time `end`. Returns the frames encoded and the playlists' listeners.
fn transcode_audio_track<S: Sink>(
    input: &[u8],
    preset: &AudioPreset,
    options: &VideoTranscodeOptions,
    origin: i64,
    end: i64,
    out: &mut Out<'_, S>,
    report: &mut dyn FnMut(i64, u64) -> Result<(), VideoTranscodeError>,
) -> Result<(u64, Option<AudioListeners>), VideoTranscodeError> {
    let mut decoder =
        AudioDecoder::from_bytes(input, &DecodeOptions::default()).map_err(VideoTranscodeError::AudioDecode)?;
    let info = decoder.info().clone();
    let rate = info.sample_rate.hz();
    let encoder = encoder_for(preset, rate, info.layout.channels() as u16).map_err(VideoTranscodeError::AudioEncode)?;
    let mut config = AudioPipelineConfig::new(rate, info.layout);
    config.fragment_duration = options.segment_duration;
    let mut pipeline = AudioPipeline::new(encoder, config).map_err(VideoTranscodeError::AudioEncode)?;
    pipeline.set_origin(origin);
    let codec_config = pipeline.codec_config();
    let codec = codec_config.codec_string().unwrap_or_default();
    let timescale = pipeline.timescale();
    let mut hls = HlsListener::new(AUDIO_TRACK_ID, timescale, AUDIO_STREAM, MediaPlaylistOptions::default())
        .map_err(VideoTranscodeError::Playlist)?;
    let mut dash = DashListener::new(AUDIO_TRACK_ID, timescale, AUDIO_STREAM);
    let naming = Naming::new().with(AUDIO_TRACK_ID, AUDIO_STREAM);
    let mut write = |events: Vec<PipelineEvent>, out: &mut Out<'_, S>| -> Result<(), VideoTranscodeError> {
        for event in events {
            match &event {
                PipelineEvent::Init(init) => {
                    hls.on_init(init);
                    out.put(&naming.init(init), &init.bytes).map_err(VideoTranscodeError::Sink)?;
                }
                PipelineEvent::Fragment(f) => {
                    hls.on_fragment(f);
                    dash.on_fragment(f);
                    out.put(&naming.fragment(f), &f.bytes).map_err(VideoTranscodeError::Sink)?;
                }
            }
        }
        Ok(())
    };
    let channels = info.layout.channels();
    while let Some(chunk) = decoder.next_chunk().map_err(VideoTranscodeError::AudioDecode)? {
        let start_us = chunk.timestamp().rescale(Timescale::MICROS).ticks;
        if start_us >= end {
            break;
        }
        // Keep only the frames before the end.
        let keep_frames = ((i128::from(end - start_us) * i128::from(rate)) / 1_000_000) as usize;
        let samples = chunk.samples();
        let keep = samples.len().min(keep_frames.saturating_mul(channels));
        let events = pipeline.push(&samples[..keep], start_us).map_err(VideoTranscodeError::AudioEncode)?;
        write(events, out)?;
        report(start_us - origin, out.bytes)?;
    }
    let events = pipeline.finish().map_err(VideoTranscodeError::AudioEncode)?;
    write(events, out)?;
    let frames = pipeline.counters().packets;
    Ok((frames, Some((hls, dash, codec_config, codec))))
}

/// The media playlists, the multivariant playlist and the MPD.
fn write_playlists<S: Sink>(
    renditions: &mut [Rendition],
    mut audio: Option<&mut AudioListeners>,
    out: &mut Out<'_, S>,
) -> Result<(), VideoTranscodeError> {
    let mut master = MultivariantPlaylist::default();
    let mut video_reps = Vec::new();
    let audio_bandwidth = match audio.as_deref_mut() {
        Some((hls, dash, config, codec)) => {
            hls.check().map_err(VideoTranscodeError::Playlist)?;
            hls.playlist_mut().finish().map_err(VideoTranscodeError::Playlist)?;
            let text = hls.playlist().render().map_err(VideoTranscodeError::Playlist)?;
            out.put(&Output::file(format!("{AUDIO_STREAM}.m3u8")), text.as_bytes())
                .map_err(VideoTranscodeError::Sink)?;
            let mut rendition = AudioRendition::new("audio", "Main", codec.clone(), format!("{AUDIO_STREAM}.m3u8"));
            rendition.default = true;
            rendition.channels = channels(config);
            master.audio.push(rendition);
            Some(dash.timeline().bandwidth().map_err(VideoTranscodeError::Playlist)?)
        }
        None => None,
    };
    for r in renditions.iter_mut().filter(|r| r.error.is_none()) {
        // A rendition with an encoder has written its init segment.
        let Some(encoder) = &r.encoder else { continue };
        r.hls.check().map_err(VideoTranscodeError::Playlist)?;
        r.hls.playlist_mut().finish().map_err(VideoTranscodeError::Playlist)?;
        let text = r.hls.playlist().render().map_err(VideoTranscodeError::Playlist)?;
        let uri = format!("{}.m3u8", r.options.name);
        out.put(&Output::file(uri.clone()), text.as_bytes()).map_err(VideoTranscodeError::Sink)?;
        let codec = encoder.codec().unwrap_or_default();
        let c = &encoder.config().encoder;
        let rate = FrameRate { num: r.fps.0, den: r.fps.1 };
        let video_bw = r.dash.timeline().bandwidth().map_err(VideoTranscodeError::Playlist)?;
        let mut codecs = vec![codec.clone()];
        let bw = match (audio_bandwidth, audio.as_deref()) {
            (Some(a), Some((_, _, _, audio_codec))) => {
                codecs.push(audio_codec.clone());
                video_bw.combined(a)
            }
            _ => video_bw,
        };
        let mut variant = Variant::new(uri, bw, codecs);
        variant.resolution = Some(Resolution::new(c.width, c.height));
        variant.frame_rate = Some(rate);
        if audio.is_some() {
            variant.audio_group = Some("audio".into());
        }
        master.variants.push(variant);
        let media = media_info(&CodecConfig::Avc { avcc: Vec::new(), width: c.width, height: c.height }, Some(rate));
        video_reps
            .push(r.dash.representation(r.options.name.clone(), codec, media).map_err(VideoTranscodeError::Playlist)?);
    }
    if video_reps.is_empty() {
        return Ok(());
    }
    let mut sets = vec![AdaptationSet::new(0, video_reps)];
    if let Some((_, dash, config, codec)) = audio.as_deref() {
        let media = media_info(config, None);
        sets.push(AdaptationSet::new(
            1,
            vec![dash.representation(AUDIO_STREAM, codec.clone(), media).map_err(VideoTranscodeError::Playlist)?],
        ));
    }
    let text = master.render().map_err(VideoTranscodeError::Playlist)?;
    out.put(&Output::file("master.m3u8"), text.as_bytes()).map_err(VideoTranscodeError::Sink)?;
    let mpd = Mpd { kind: MpdKind::Static, adaptation_sets: sets, ..Default::default() }
        .render()
        .map_err(VideoTranscodeError::Playlist)?;
    out.put(&Output::file("manifest.mpd"), mpd.as_bytes()).map_err(VideoTranscodeError::Sink)?;
    Ok(())
}
