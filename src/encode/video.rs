//! Frames in, CMAF out: the live video pipeline of a publisher.
//!
//! [`VideoPipeline`] owns an [`H264Encoder`] and a [`Segmenter`]. It rebases
//! capture timestamps so the stream starts at 0, refuses timestamps that do
//! not increase, and forces an IDR on the first frame at or after each
//! multiple of the fragment duration, which is exactly where the segmenter
//! cuts, so every fragment lasts the fragment duration (to the frame) and
//! starts with a keyframe.

use std::fmt;

use super::{framing_problem, ListenerEvents, PipelineEvent};
use crate::codec::h264::{EncoderConfig, H264Encoder, H264Error, NalFormat};
use crate::codec::CodecConfig;
use crate::error::{Coded, ErrorCode};
use crate::frame::I420Planes;
use crate::frame::Size;
use crate::mux::segmenter::{Segmenter, SegmenterConfig};
use crate::mux::{MuxError, Sample, TrackConfig};
use crate::preset::{PresetFrameRate, VideoBitRate, VideoPreset};
use crate::time::{Timescale, Timestamp};

/// Bits per pixel per frame used when a preset's bit rate is `"auto"`: a
/// live camera has no input bit rate to copy. 0.1 gives 2.8 Mbit/s at
/// 1280x720, 30 fps.
pub const AUTO_BITS_PER_PIXEL: f64 = 0.1;

/// Frame rate assumed for `"auto"` when the camera's is unknown.
pub const DEFAULT_CAMERA_FPS: f32 = 30.0;

/// The encoder settings a video preset asks for at `frame` size, for a
/// camera delivering `camera_fps` (used when the preset's rate is
/// `"auto"`, capped by its `maxFrameRate`).
///
/// Taken from the preset: profile, level, bit rate (kbit/s; `"auto"` is
/// [`AUTO_BITS_PER_PIXEL`]), peak bit rate, keyframe distance (a fixed
/// GOP keeps scene-cut keyframes off). Not applied: `maxReferenceFrames`
/// (OpenH264 picks its own in real-time mode) and `bufferSize` (its rate
/// control has no buffer setting).
pub fn encoder_config(video: &VideoPreset, frame: Size, camera_fps: Option<f32>) -> EncoderConfig {
    let camera = camera_fps.filter(|f| f.is_finite() && *f >= 1.0).unwrap_or(DEFAULT_CAMERA_FPS);
    let fps = match video.frame_rate {
        PresetFrameRate::Fixed(r) => r.num as f32 / r.den.max(1) as f32,
        PresetFrameRate::Auto => match video.max_frame_rate {
            Some(max) => camera.min(max.num as f32 / max.den.max(1) as f32),
            None => camera,
        },
    };
    let mut c = EncoderConfig::new(frame.width, frame.height);
    c.frame_rate = fps;
    c.bitrate = match video.bit_rate {
        VideoBitRate::Kbps(k) => k.saturating_mul(1000),
        VideoBitRate::Auto => {
            (f64::from(frame.width) * f64::from(frame.height) * f64::from(fps) * AUTO_BITS_PER_PIXEL).round() as u32
        }
    };
    let options = &video.codec_options;
    c.profile = options.profile;
    c.level = options.level;
    c.max_bitrate = options.max_bit_rate.map(|k| k.saturating_mul(1000).max(c.bitrate));
    c.keyframe_interval = video.keyframes_max_dist;
    c.scene_change_keyframes = !video.fixed_gop;
    c
}

/// Options of a [`VideoPipeline`].
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineConfig {
    /// The encoder settings. `format` is forced to [`NalFormat::Avc`], and
    /// `keyframe_interval` defaults to "only where fragments start".
    pub encoder: EncoderConfig,
    /// Target fragment duration, 100 ms to 20 s. Default 2 s.
    pub fragment_duration: Timestamp,
    /// Sequence number of the first fragment, from 1. Default 1.
    pub first_sequence: u32,
}

impl PipelineConfig {
    /// `encoder` with 2 s fragments numbered from 1.
    pub fn new(encoder: EncoderConfig) -> Self {
        PipelineConfig { encoder, fragment_duration: Timestamp::from_millis(2000), first_sequence: 1 }
    }

    /// Checks the fragment duration and the first sequence number (the
    /// encoder settings are checked when the encoder is made).
    pub fn check_framing(&self) -> Result<(), VideoPipelineError> {
        match framing_problem(self.fragment_duration, self.first_sequence) {
            Some((field, reason)) => Err(VideoPipelineError::InvalidConfig { field, reason }),
            None => Ok(()),
        }
    }
}

/// Why the pipeline refused a call. Every error leaves the pipeline usable
/// except [`VideoPipelineError::Encoder`] and [`VideoPipelineError::Mux`] from inside
/// the encoder or the muxer (drop the pipeline).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum VideoPipelineError {
    /// An option is out of range.
    InvalidConfig {
        /// The option, e.g. `fragmentDuration` or `firstSequence`.
        field: &'static str,
        /// What it must be, and the value given.
        reason: String,
    },
    /// A frame timestamp is not after the previous frame's (µs). The frame
    /// was not encoded; a publisher counts it as dropped.
    NonMonotonic {
        /// Capture time of the previous frame, in µs.
        previous_us: i64,
        /// Capture time of the refused frame, in µs; not greater than
        /// `previous_us`.
        found_us: i64,
    },
    /// The encoder refused the frame or failed.
    Encoder(H264Error),
    /// The segmenter refused the sample.
    Mux(MuxError),
    /// `push` after `finish`.
    Finished,
}

impl fmt::Display for VideoPipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VideoPipelineError::InvalidConfig { field, reason } => write!(f, "{field} {reason}"),
            VideoPipelineError::NonMonotonic { previous_us, found_us } => {
                write!(f, "frame timestamp {found_us} µs is not after the previous frame's {previous_us} µs")
            }
            VideoPipelineError::Encoder(e) => write!(f, "{e}"),
            VideoPipelineError::Mux(e) => write!(f, "{e}"),
            VideoPipelineError::Finished => write!(f, "the pipeline was finished"),
        }
    }
}

impl std::error::Error for VideoPipelineError {}

impl Coded for VideoPipelineError {
    fn code(&self) -> ErrorCode {
        match self {
            VideoPipelineError::InvalidConfig { .. } => ErrorCode::InvalidConfig,
            VideoPipelineError::NonMonotonic { .. } => ErrorCode::InvalidFrame,
            VideoPipelineError::Encoder(e) => e.code(),
            VideoPipelineError::Mux(e) => e.code(),
            VideoPipelineError::Finished => ErrorCode::InvalidState,
        }
    }

    /// An encoder field is the encoder configuration's (`width`).
    fn field(&self) -> Option<String> {
        match self {
            VideoPipelineError::InvalidConfig { field, .. } => Some((*field).to_string()),
            VideoPipelineError::Encoder(e) => e.field(),
            VideoPipelineError::Mux(e) => e.field(),
            _ => None,
        }
    }
}

impl From<H264Error> for VideoPipelineError {
    fn from(e: H264Error) -> Self {
        VideoPipelineError::Encoder(e)
    }
}

impl From<MuxError> for VideoPipelineError {
    fn from(e: MuxError) -> Self {
        VideoPipelineError::Mux(e)
    }
}

/// ID of the video track in the pipeline's CMAF output.
pub const VIDEO_TRACK_ID: u32 = 1;

/// Encodes frames and cuts them into CMAF fragments. One call per frame.
pub struct VideoPipeline {
    encoder: H264Encoder,
    config: PipelineConfig,
    segmenter: Option<Segmenter<ListenerEvents>>,
    /// Capture time of the first frame (µs): media time 0.
    origin_us: Option<i64>,
    last_us: Option<i64>,
    /// Media time (µs) from which the next frame is made a keyframe.
    next_keyframe_us: i64,
    frames: u64,
    finished: bool,
}

impl fmt::Debug for VideoPipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VideoPipeline").field("config", &self.config).field("frames", &self.frames).finish()
    }
}

impl VideoPipeline {
    /// Validates `config` and creates the encoder.
    pub fn new(mut config: PipelineConfig) -> Result<Self, VideoPipelineError> {
        config.check_framing()?;
        config.encoder.format = NalFormat::Avc;
        if config.encoder.keyframe_interval.is_none() {
            // Keyframes come from `force_keyframe` at fragment starts.
            config.encoder.keyframe_interval = Some(10_000);
        }
        let encoder = H264Encoder::new(config.encoder.clone())?;
        Ok(VideoPipeline {
            encoder,
            config,
            segmenter: None,
            origin_us: None,
            last_us: None,
            next_keyframe_us: 0,
            frames: 0,
            finished: false,
        })
    }

    /// The configuration in force (with the forced fields).
    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// Frames encoded so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The capture time (µs) of media time 0: the first frame's.
    pub fn origin_us(&self) -> Option<i64> {
        self.origin_us
    }

    /// The RFC 6381 codec string, known after the first frame.
    pub fn codec(&self) -> Option<String> {
        self.encoder.codec_string()
    }

    /// Changes the target bitrate from the next frame on.
    pub fn set_bitrate(&mut self, bitrate: u32) -> Result<(), VideoPipelineError> {
        Ok(self.encoder.set_bitrate(bitrate)?)
    }

    /// Encodes one frame captured at `capture_us` (any origin, increasing)
    /// and returns what became complete: the init segment after the first
    /// frame, a fragment whenever a keyframe closes one.
    pub fn push(&mut self, frame: &I420Planes<'_>, capture_us: i64) -> Result<Vec<PipelineEvent>, VideoPipelineError> {
        if self.finished {
            return Err(VideoPipelineError::Finished);
        }
        if let Some(previous) = self.last_us {
            if capture_us <= previous {
                return Err(VideoPipelineError::NonMonotonic { previous_us: previous, found_us: capture_us });
            }
        }
        let origin = *self.origin_us.get_or_insert(capture_us);
        let media_us = capture_us - origin;
        if media_us >= self.next_keyframe_us {
            self.encoder.force_keyframe()?;
        }
        let timestamp = Timestamp::from_micros(media_us).rescale(Timescale::MPEG);
        let Some(au) = self.encoder.encode(frame, timestamp)? else {
            // Rate control skipped the frame (only with `frameSkip`); the
            // next one is forced again if this one was due.
            self.last_us = Some(capture_us);
            return Ok(Vec::new());
        };
        self.last_us = Some(capture_us);
        self.frames += 1;
        if au.keyframe && media_us >= self.next_keyframe_us {
            let step = self.config.fragment_duration.rescale(Timescale::MICROS).ticks;
            self.next_keyframe_us = (media_us / step + 1) * step;
        }
        if self.segmenter.is_none() {
            let c = &au.config;
            let track = TrackConfig::new(
                VIDEO_TRACK_ID,
                Timescale::MPEG,
                CodecConfig::Avc { avcc: c.avcc.clone(), width: c.width, height: c.height },
            );
            let seg = SegmenterConfig {
                fragment_duration: self.config.fragment_duration,
                first_sequence_number: self.config.first_sequence,
                ..SegmenterConfig::default()
            };
            self.segmenter = Some(Segmenter::new(vec![track], seg, ListenerEvents::default())?);
        }
        let segmenter = self.segmenter.as_mut().expect("created above");
        // A sample's duration is set when the next one arrives; the last
        // one's is one frame interval.
        let frame_ticks = (90_000.0 / f64::from(self.config.encoder.frame_rate)).round() as u32;
        segmenter.push(
            VIDEO_TRACK_ID,
            Sample {
                decode_time: timestamp.ticks,
                composition_offset: 0,
                duration: frame_ticks.max(1),
                keyframe: au.keyframe,
                data: au.data,
            },
        )?;
        Ok(std::mem::take(&mut segmenter.listener_mut().0))
    }

    /// Ends the stream: returns the last fragment. Later pushes fail.
    pub fn finish(&mut self) -> Result<Vec<PipelineEvent>, VideoPipelineError> {
        if self.finished {
            return Err(VideoPipelineError::Finished);
        }
        self.finished = true;
        match self.segmenter.as_mut() {
            None => Ok(Vec::new()),
            Some(s) => {
                s.finish()?;
                Ok(std::mem::take(&mut s.listener_mut().0))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::i420_size;
    use crate::mux::reader::Movie;
    use crate::mux::segmenter::{Fragment, InitSegment};

    fn frame(w: u32, h: u32, n: u32) -> Vec<u8> {
        let mut data = vec![128u8; i420_size(w, h)];
        for (i, p) in data[..(w * h) as usize].iter_mut().enumerate() {
            *p = ((i as u32 % w + n * 3) % 256) as u8;
        }
        data
    }

    fn run(timestamps: &[i64], fragment_ms: i64) -> (Vec<InitSegment>, Vec<Fragment>) {
        let mut config = PipelineConfig::new(EncoderConfig::new(64, 48));
        config.fragment_duration = Timestamp::from_millis(fragment_ms);
        let mut p = VideoPipeline::new(config).unwrap();
        let mut events = Vec::new();
        for (n, &t) in timestamps.iter().enumerate() {
            let data = frame(64, 48, n as u32);
            events.extend(p.push(&I420Planes::packed(64, 48, &data).unwrap(), t).unwrap());
        }
        events.extend(p.finish().unwrap());
        let mut inits = Vec::new();
        let mut fragments = Vec::new();
        for e in events {
            match e {
                PipelineEvent::Init(i) => inits.push(i),
                PipelineEvent::Fragment(f) => fragments.push(f),
            }
        }
        (inits, fragments)
    }

    #[test]
    fn fragments_last_the_fragment_duration_and_start_with_keyframes() {
        // 30 fps with jitter, starting at an arbitrary capture clock.
        let ts: Vec<i64> = (0..150).map(|i| 7_000_000_000 + i * 33_333 + (i % 3) * 500).collect();
        let (inits, fragments) = run(&ts, 1000);
        assert_eq!(inits.len(), 1);
        let movie = Movie::from_init_segment(&inits[0].bytes).unwrap();
        assert_eq!(movie.tracks().len(), 1);
        assert_eq!(fragments.len(), 5, "150 frames at 30 fps in 1 s fragments");
        for (i, f) in fragments.iter().enumerate() {
            assert_eq!(f.sequence_number, i as u32 + 1);
            assert!(f.keyframe);
            // Each fragment is 30 frames: 1 s within a frame interval.
            let ms = f.duration as i64 / 90;
            assert!((960..=1040).contains(&ms), "fragment {i} lasts {ms} ms");
        }
        assert_eq!(fragments[0].start.ticks, 0, "rebased to 0");
        for pair in fragments.windows(2) {
            assert_eq!(pair[0].start.ticks + pair[0].duration as i64, pair[1].start.ticks, "contiguous");
        }
    }

    #[test]
    fn refuses_timestamps_that_do_not_increase_and_stays_usable() {
        let mut p = VideoPipeline::new(PipelineConfig::new(EncoderConfig::new(64, 48))).unwrap();
        let data = frame(64, 48, 0);
        let planes = I420Planes::packed(64, 48, &data).unwrap();
        p.push(&planes, 1000).unwrap();
        assert_eq!(p.push(&planes, 1000), Err(VideoPipelineError::NonMonotonic { previous_us: 1000, found_us: 1000 }));
        assert!(matches!(p.push(&planes, 500), Err(VideoPipelineError::NonMonotonic { .. })));
        p.push(&planes, 40_000).unwrap();
        assert_eq!(p.frames(), 2);
        let wrong = frame(32, 32, 0);
        assert!(matches!(
            p.push(&I420Planes::packed(32, 32, &wrong).unwrap(), 80_000),
            Err(VideoPipelineError::Encoder(_))
        ));
        p.push(&planes, 80_000).unwrap();
        assert!(!p.finish().unwrap().is_empty());
        assert_eq!(p.push(&planes, 120_000), Err(VideoPipelineError::Finished));
    }

    #[test]
    fn rejects_bad_options() {
        let mut c = PipelineConfig::new(EncoderConfig::new(64, 48));
        c.fragment_duration = Timestamp::from_millis(50);
        assert!(matches!(
            VideoPipeline::new(c),
            Err(VideoPipelineError::InvalidConfig { field: "fragmentDuration", .. })
        ));
        let mut c = PipelineConfig::new(EncoderConfig::new(63, 48));
        c.first_sequence = 1;
        assert!(matches!(VideoPipeline::new(c), Err(VideoPipelineError::Encoder(H264Error::InvalidConfig { .. }))));
    }
}
