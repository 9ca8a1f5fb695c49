//! A preset applied to live capture: camera pictures in whatever size and
//! layout the browser hands over, out as CMAF fragments.
//!
//! [`LiveVideo`] puts a [`FramePipeline`] (colour conversion, the preset's
//! sizing and padding, watermarks) in front of a [`VideoPipeline`] (encoder
//! and segmenter). The camera's picture size is only known when the first
//! frame arrives, so both are built then:
//!
//! - the preset's geometry for that input size gives the encoded size;
//! - the encoder takes the preset's codec settings ([`encoder_config`]).
//!
//! A camera may change its picture size or layout mid-stream (a device
//! switch, a rotated phone). The encoded size cannot change inside a
//! stream, so later pictures are fitted into the established size with
//! black bars (`Fit` + `Pad`), never stretched.
//!
//! Frame rate: the preset's fixed rate (or, for `"auto"`, the rate the
//! caller reports for the camera) is the encoder's nominal rate for rate
//! control; timestamps come from capture. Asking the camera for that rate
//! is the caller's side (the browser publisher puts it into the
//! `getUserMedia` constraints as both `ideal` and `max`).

use std::fmt;

use serde_json::{Map, Value};

use crate::codec::h264::{EncoderConfig, H264Error};
use crate::encode::{encoder_config, PipelineConfig, PipelineEvent, VideoPipeline, VideoPipelineError};
use crate::error::{Coded, ErrorCode};
use crate::frame::Size;
use crate::preset::{
    system_preset, webcam_preset, Dimension, PaddingPolicy, Preset, SizingPolicy, VideoPreset, WatermarkPreset,
};
use crate::video::color::ColorSpace;
use crate::video::{self, Filter, FramePipeline, InputFormat, PipelineOptions, Rotation, Watermark};

/// The preset a publisher id names: a webcam preset
/// ([`crate::preset::WEBCAM_PRESETS`], see [`WebcamPreset::preset`]) or a system
/// preset ([`crate::preset::system_presets`]).
///
/// [`WebcamPreset::preset`]: crate::preset::WebcamPreset::preset
pub fn publish_preset(id: &str) -> Option<Preset> {
    webcam_preset(id).map(|w| w.preset()).or_else(|| system_preset(id))
}

/// What a [`LiveVideo`] does.
#[derive(Debug, Clone)]
pub struct LiveVideoConfig {
    /// Sizing, padding and codec settings.
    pub video: VideoPreset,
    /// Watermarks with their images, blended in this order.
    pub watermarks: Vec<(WatermarkPreset, Watermark)>,
    /// Output colour space (RGB input and watermarks are converted into it).
    pub color: ColorSpace,
    /// Resampling kernel.
    pub filter: Filter,
    /// The camera's frame rate when known (for `frameRate: "auto"`).
    pub camera_fps: Option<f32>,
    /// Encoder fields (camelCase, as [`EncoderConfig`] reads them) that
    /// replace those derived from the preset; `width` and `height` here are
    /// the largest output size (they replace `maxWidth`/`maxHeight`).
    pub overrides: Map<String, Value>,
    /// Fragment duration and first sequence number; its `encoder` is
    /// replaced.
    pub pipeline: PipelineConfig,
}

/// Why a [`LiveVideo`] refused its configuration or a frame.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LiveVideoError {
    /// The picture could not be prepared (bad buffer or size; per frame).
    Frame(video::PipelineError),
    /// Encoding or fragmenting failed, or a setting is out of range.
    Pipeline(VideoPipelineError),
    /// An encoder override does not fit its field (`field` is its path,
    /// e.g. `width`).
    Override {
        /// Path of the overridden field (camelCase), e.g. `width`; empty
        /// when the error is not tied to one field.
        field: String,
        /// What is wrong with the value.
        reason: String,
    },
}

impl fmt::Display for LiveVideoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveVideoError::Frame(e) => e.fmt(f),
            LiveVideoError::Pipeline(e) => e.fmt(f),
            LiveVideoError::Override { field, reason } => write!(f, "{field}: {reason}"),
        }
    }
}

impl std::error::Error for LiveVideoError {}

impl Coded for LiveVideoError {
    fn code(&self) -> ErrorCode {
        match self {
            LiveVideoError::Frame(_) => ErrorCode::InvalidFrame,
            LiveVideoError::Pipeline(e) => e.code(),
            LiveVideoError::Override { .. } => ErrorCode::InvalidConfig,
        }
    }

    /// Encoder fields (`width`, `bitrate`) are those of the encoder
    /// configuration and its overrides.
    fn field(&self) -> Option<String> {
        match self {
            LiveVideoError::Frame(_) => None,
            LiveVideoError::Pipeline(e) => e.field(),
            LiveVideoError::Override { field, .. } => Some(field.clone()),
        }
    }
}

impl From<video::PipelineError> for LiveVideoError {
    fn from(e: video::PipelineError) -> Self {
        LiveVideoError::Frame(e)
    }
}

impl From<VideoPipelineError> for LiveVideoError {
    fn from(e: VideoPipelineError) -> Self {
        LiveVideoError::Pipeline(e)
    }
}

/// The input a frame pipeline was built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct InputKey {
    size: Size,
    format: InputFormat,
}

/// Camera frames through a preset into CMAF (see the module documentation).
#[derive(Debug)]
pub struct LiveVideo {
    config: LiveVideoConfig,
    /// The encoder settings before the first frame: the preset's largest
    /// size.
    planned: EncoderConfig,
    prep: Option<(InputKey, FramePipeline)>,
    encoder: Option<VideoPipeline>,
    finished: bool,
}

impl LiveVideo {
    /// Checks the settings the preset gives at its largest size (so a bad
    /// bit rate or frame rate fails here, not on the first frame). Nothing
    /// is allocated until the first frame.
    pub fn new(mut config: LiveVideoConfig) -> Result<LiveVideo, LiveVideoError> {
        let (w, h) = config.video.max_size();
        let planned =
            with_overrides(encoder_config(&config.video, Size::new(w, h), config.camera_fps), &config.overrides)?;
        planned.validate()?;
        config.pipeline.check_framing()?;
        config.video.max_width = Dimension::Pixels(planned.width);
        config.video.max_height = Dimension::Pixels(planned.height);
        Ok(LiveVideo { config, planned, prep: None, encoder: None, finished: false })
    }

    /// The encoder settings in force: after the first frame the real ones,
    /// before it those for the preset's largest size.
    pub fn encoder_config(&self) -> &EncoderConfig {
        self.encoder.as_ref().map_or(&self.planned, |e| &e.config().encoder)
    }

    /// Sets the camera's frame rate (for `frameRate: "auto"`); no effect
    /// once the first frame has been pushed.
    pub fn set_camera_fps(&mut self, fps: f32) {
        if self.encoder.is_none() && fps.is_finite() && fps >= 1.0 {
            self.config.camera_fps = Some(fps);
            let (w, h) = (self.planned.width, self.planned.height);
            if let Ok(planned) =
                with_overrides(encoder_config(&self.config.video, Size::new(w, h), Some(fps)), &self.config.overrides)
            {
                self.planned = planned;
            }
        }
    }

    /// Whether the encoder exists (a frame has been pushed).
    pub fn started(&self) -> bool {
        self.encoder.is_some()
    }

    /// The capture time (µs) of media time 0: the first encoded frame's.
    pub fn origin_us(&self) -> Option<i64> {
        self.encoder.as_ref().and_then(VideoPipeline::origin_us)
    }

    /// Frames encoded so far.
    pub fn frames(&self) -> u64 {
        self.encoder.as_ref().map_or(0, VideoPipeline::frames)
    }

    /// Prepares and encodes one picture of `size` laid out as `format` with
    /// `stride` bytes per row, captured at `capture_us`.
    pub fn push(
        &mut self,
        data: &[u8],
        format: InputFormat,
        size: Size,
        stride: usize,
        capture_us: i64,
    ) -> Result<Vec<PipelineEvent>, LiveVideoError> {
        if self.finished {
            return Err(VideoPipelineError::Finished.into());
        }
        let key = InputKey { size, format };
        if self.prep.as_ref().is_none_or(|(k, _)| *k != key) {
            self.prep = Some((key, self.frame_pipeline(key)?));
        }
        let prep = &mut self.prep.as_mut().expect("built above").1;
        let frame = prep.process(data, stride)?;
        if self.encoder.is_none() {
            let derived =
                encoder_config(&self.config.video, Size::new(frame.width, frame.height), self.config.camera_fps);
            let mut encoder = with_overrides(derived, &self.config.overrides)?;
            encoder.width = frame.width;
            encoder.height = frame.height;
            let mut pipeline = self.config.pipeline.clone();
            pipeline.encoder = encoder;
            self.encoder = Some(VideoPipeline::new(pipeline)?);
        }
        let encoder = self.encoder.as_mut().expect("built above");
        Ok(encoder.push(&frame.planes(), capture_us)?)
    }

    /// Ends the stream: the last fragment. Later pushes fail.
    pub fn finish(&mut self) -> Result<Vec<PipelineEvent>, LiveVideoError> {
        if std::mem::replace(&mut self.finished, true) {
            return Err(VideoPipelineError::Finished.into());
        }
        match self.encoder.as_mut() {
            Some(e) => Ok(e.finish()?),
            None => Ok(Vec::new()),
        }
    }

    /// The frame pipeline for `key`: the preset's own geometry before the
    /// encoder exists, then "fit into the encoded size with bars".
    fn frame_pipeline(&self, key: InputKey) -> Result<FramePipeline, LiveVideoError> {
        let mut video = self.config.video.clone();
        if let Some(e) = &self.encoder {
            let c = &e.config().encoder;
            video.max_width = Dimension::Pixels(c.width);
            video.max_height = Dimension::Pixels(c.height);
            video.sizing_policy = SizingPolicy::Fit;
            video.padding_policy = PaddingPolicy::Pad;
        }
        Ok(FramePipeline::new(PipelineOptions {
            input: key.size,
            format: key.format,
            color: self.config.color,
            rotation: Rotation::R0,
            video,
            filter: self.config.filter,
            watermarks: self.config.watermarks.clone(),
        })?)
    }
}

impl From<H264Error> for LiveVideoError {
    fn from(e: H264Error) -> Self {
        LiveVideoError::Pipeline(VideoPipelineError::Encoder(e))
    }
}

/// `base` with `overrides` (camelCase [`EncoderConfig`] fields) applied.
pub fn with_overrides(base: EncoderConfig, overrides: &Map<String, Value>) -> Result<EncoderConfig, LiveVideoError> {
    if overrides.is_empty() {
        return Ok(base);
    }
    let mut merged = serde_json::to_value(base)
        .map_err(|e| LiveVideoError::Override { field: String::new(), reason: e.to_string() })?;
    if let Some(map) = merged.as_object_mut() {
        map.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    serde_path_to_error::deserialize(merged)
        .map_err(|e| LiveVideoError::Override { field: e.path().to_string(), reason: e.inner().to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::h264::Profile;
    use crate::encode::DEFAULT_CAMERA_FPS;
    use crate::preset::VideoBitRate;

    fn config(preset_id: &str) -> LiveVideoConfig {
        let preset = publish_preset(preset_id).unwrap_or_else(|| panic!("no preset {preset_id}"));
        LiveVideoConfig {
            video: preset.video.unwrap(),
            watermarks: Vec::new(),
            color: ColorSpace::default(),
            filter: Filter::Bilinear,
            camera_fps: None,
            overrides: Map::new(),
            pipeline: PipelineConfig::new(EncoderConfig::new(16, 16)),
        }
    }

    fn rgba(size: Size, n: u32) -> Vec<u8> {
        (0..size.width * size.height).flat_map(|i| [(i % 251) as u8, (n * 9) as u8, 40, 255]).collect()
    }

    /// Pushes `sizes` (one frame each, 30 fps) and returns the encoder's
    /// size after each frame and the events.
    fn run(live: &mut LiveVideo, sizes: &[Size]) -> (Vec<(u32, u32)>, Vec<PipelineEvent>) {
        let mut seen = Vec::new();
        let mut events = Vec::new();
        for (n, &size) in sizes.iter().enumerate() {
            let data = rgba(size, n as u32);
            let at = 1_000_000 + n as i64 * 33_333;
            events.extend(live.push(&data, InputFormat::Rgba, size, size.width as usize * 4, at).unwrap());
            let c = live.encoder_config();
            seen.push((c.width, c.height));
        }
        events.extend(live.finish().unwrap());
        (seen, events)
    }

    #[test]
    fn settings_come_from_the_preset() {
        // Generic 720p: baseline 3.1, 2400 kbit/s, 29.97 fps, keyframes at
        // most 90 apart with scene cuts allowed (variable GOP).
        let generic = publish_preset("1351620000001-000010").unwrap().video.unwrap();
        let c = encoder_config(&generic, Size::new(1280, 720), Some(25.0));
        assert_eq!((c.width, c.height, c.bitrate, c.profile), (1280, 720, 2_400_000, Profile::Baseline));
        assert_eq!(c.level.map(|l| l.to_string()), Some("3.1".into()));
        assert!((c.frame_rate - 29.97).abs() < 0.001, "{}", c.frame_rate);
        assert_eq!((c.keyframe_interval, c.scene_change_keyframes, c.max_bitrate), (Some(90), true, None));
        // The webcam low-latency preset caps the rate at its average.
        let ll = publish_preset("framecast-webcam-360p-ll").unwrap().video.unwrap();
        let c = encoder_config(&ll, Size::new(640, 360), None);
        assert_eq!(
            (c.bitrate, c.max_bitrate, c.keyframe_interval, c.scene_change_keyframes),
            (800_000, Some(800_000), Some(30), false)
        );
        // HLS presets take the camera's rate; "auto" bit rate is 0.1 bit
        // per pixel per frame.
        let mut hls = publish_preset("1351620000001-200010").unwrap().video.unwrap();
        assert_eq!(encoder_config(&hls, Size::new(640, 480), Some(24.0)).frame_rate, 24.0);
        assert_eq!(encoder_config(&hls, Size::new(640, 480), None).frame_rate, DEFAULT_CAMERA_FPS);
        hls.bit_rate = VideoBitRate::Auto;
        hls.max_frame_rate = Some(crate::preset::Ratio::integer(15));
        let c = encoder_config(&hls, Size::new(640, 480), Some(60.0));
        assert_eq!((c.frame_rate, c.bitrate), (15.0, 460_800));
    }

    #[test]
    fn the_first_frame_fixes_the_encoded_size_from_the_preset_geometry() {
        // Webcam presets fill their size exactly (crop, never stretch).
        let mut live = LiveVideo::new(config("webcam-480p")).unwrap();
        assert!(!live.started());
        assert_eq!((live.encoder_config().width, live.encoder_config().height), (640, 480), "planned");
        let (seen, _) = run(&mut live, &[Size::new(1280, 720); 3]);
        assert_eq!(seen, vec![(640, 480); 3]);
        // ShrinkToFit keeps the camera's aspect ratio: 640x480 into at most
        // 640x360 is 480x360.
        let mut live = LiveVideo::new(config("framecast-webcam-360p-ll")).unwrap();
        let (seen, events) = run(&mut live, &[Size::new(640, 480); 2]);
        assert_eq!(seen, vec![(480, 360); 2]);
        let PipelineEvent::Init(init) = &events[0] else { panic!("init first") };
        let movie = crate::mux::reader::Movie::from_init_segment(&init.bytes).unwrap();
        let track = &movie.tracks()[0];
        assert!(
            matches!(track.config.codec, crate::codec::CodecConfig::Avc { width: 480, height: 360, .. }),
            "{:?}",
            track.config.codec
        );
    }

    #[test]
    fn a_camera_that_changes_size_is_fitted_into_the_established_size() {
        let mut live = LiveVideo::new(config("webcam-360p")).unwrap();
        let sizes =
            [Size::new(640, 360), Size::new(640, 360), Size::new(320, 240), Size::new(1280, 720), Size::new(640, 360)];
        let (seen, events) = run(&mut live, &sizes);
        assert_eq!(seen, vec![(640, 360); 5]);
        assert_eq!(live.frames(), 5, "every frame encoded");
        assert_eq!(events.iter().filter(|e| matches!(e, PipelineEvent::Init(_))).count(), 1, "one init segment");
        assert!(matches!(
            live.push(&[0; 4], InputFormat::Rgba, Size::new(2, 2), 8, 9_000_000),
            Err(LiveVideoError::Pipeline(VideoPipelineError::Finished))
        ));
    }

    #[test]
    fn bad_settings_and_bad_frames_give_typed_errors() {
        let mut c = config("webcam-360p");
        c.overrides.insert("width".into(), 17.into());
        match LiveVideo::new(c) {
            Err(LiveVideoError::Pipeline(VideoPipelineError::Encoder(H264Error::InvalidConfig { field, .. }))) => {
                assert_eq!(field, "width")
            }
            other => panic!("{other:?}"),
        }
        let mut c = config("webcam-360p");
        c.overrides.insert("bitrate".into(), "fast".into());
        match LiveVideo::new(c) {
            Err(LiveVideoError::Override { field, .. }) => assert_eq!(field, "bitrate"),
            other => panic!("{other:?}"),
        }
        // A width override is the largest output size.
        let mut c = config("webcam-360p");
        c.overrides.insert("width".into(), 320.into());
        c.overrides.insert("height".into(), 180.into());
        let mut live = LiveVideo::new(c).unwrap();
        let (seen, _) = run(&mut live, &[Size::new(640, 360)]);
        assert_eq!(seen, vec![(320, 180)]);
        // A short buffer is refused and the next frame still goes in.
        let mut live = LiveVideo::new(config("webcam-360p")).unwrap();
        let size = Size::new(64, 36);
        assert!(matches!(live.push(&[0; 10], InputFormat::Rgba, size, 256, 0), Err(LiveVideoError::Frame(_))));
        assert!(matches!(live.push(&[0; 4], InputFormat::Rgba, Size::new(3, 1), 12, 0), Err(LiveVideoError::Frame(_))));
        live.push(&rgba(size, 0), InputFormat::Rgba, size, 256, 0).unwrap();
        assert_eq!(live.frames(), 1);
    }
}
