//! The PCM model shared by every audio stage: [`SampleRate`],
//! [`ChannelLayout`] and [`PcmChunk`], a run of interleaved `f32` frames
//! with its timestamp counted in frames.
//!
//! # Why interleaved `f32`
//! - `f32` has headroom: a gain or a downmix may push a sample past full
//!   scale and the limiter after it brings it back, with no clipping or
//!   integer rounding between stages. Every decoder's output converts to it
//!   exactly (16- and 24-bit integers are exact in an `f32` mantissa).
//! - Interleaved is what the encoders take (FDK AAC, Opus, FLAC) and what
//!   WebCodecs `AudioData` calls `f32`, so the last stage hands its buffer
//!   over without a copy. One `Vec` per chunk, whatever the channel count.
//!   The resampler, the only stage that wants planes, splits them into its
//!   own history buffers.
//!
//! Full scale is 1.0: a 16-bit sample `s` is `s / 32768`.

use std::fmt;
use std::num::NonZeroU32;

use crate::time::{Timescale, Timestamp};

/// Highest sample rate any audio stage accepts, in Hz.
pub const MAX_SAMPLE_RATE: u32 = 768_000;

/// Most channels any audio stage accepts (7.1).
pub const MAX_CHANNELS: usize = 8;

/// Samples per second of one channel, 1 to [`MAX_SAMPLE_RATE`] Hz.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SampleRate(NonZeroU32);

impl SampleRate {
    /// 8 kHz (telephony).
    pub const HZ_8000: SampleRate = SampleRate(NonZeroU32::new(8_000).unwrap());
    /// 16 kHz (wideband speech).
    pub const HZ_16000: SampleRate = SampleRate(NonZeroU32::new(16_000).unwrap());
    /// 44.1 kHz (CD).
    pub const HZ_44100: SampleRate = SampleRate(NonZeroU32::new(44_100).unwrap());
    /// 48 kHz (video, WebRTC, Opus).
    pub const HZ_48000: SampleRate = SampleRate(NonZeroU32::new(48_000).unwrap());

    /// `hz` samples per second; `None` for 0 or above [`MAX_SAMPLE_RATE`].
    pub const fn new(hz: u32) -> Option<Self> {
        if hz > MAX_SAMPLE_RATE {
            return None;
        }
        match NonZeroU32::new(hz) {
            Some(n) => Some(SampleRate(n)),
            None => None,
        }
    }

    /// Samples per second.
    pub const fn hz(self) -> u32 {
        self.0.get()
    }

    /// The timescale in which one tick is one frame at this rate.
    pub const fn timescale(self) -> Timescale {
        // A SampleRate is never zero.
        match Timescale::new(self.0.get()) {
            Some(t) => t,
            None => Timescale::MILLIS,
        }
    }
}

impl fmt::Display for SampleRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} Hz", self.0)
    }
}

/// Which channels a frame holds, in which order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChannelLayout {
    /// One channel.
    Mono,
    /// Left, right.
    Stereo,
    /// 5.1 in the WAVE / SMPTE order that Symphonia's decoders, WAV files
    /// and Web Audio use: left, right, centre, LFE, left surround, right
    /// surround (see [`Surround51`] for the indices). Side and back
    /// surrounds both map to the surround pair.
    Surround51,
    /// `n` channels whose positions framecast does not map (quad, 5.0,
    /// 7.1, ...). They can be passed through but not remixed.
    Discrete(u16),
}

/// Channel indices inside a [`ChannelLayout::Surround51`] frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surround51 {
    /// Front left.
    L = 0,
    /// Front right.
    R = 1,
    /// Front centre.
    C = 2,
    /// Low-frequency effects.
    Lfe = 3,
    /// Left surround (side or back).
    Ls = 4,
    /// Right surround (side or back).
    Rs = 5,
}

impl ChannelLayout {
    /// The usual layout for `count` channels: 1 mono, 2 stereo, 6 5.1 (the
    /// default WAVE order for six channels); any other count is
    /// [`ChannelLayout::Discrete`]. `None` for 0 or more than
    /// [`MAX_CHANNELS`].
    pub fn for_count(count: usize) -> Option<Self> {
        match count {
            1 => Some(ChannelLayout::Mono),
            2 => Some(ChannelLayout::Stereo),
            6 => Some(ChannelLayout::Surround51),
            n @ 3..=MAX_CHANNELS => Some(ChannelLayout::Discrete(n as u16)),
            _ => None,
        }
    }

    /// Number of channels in a frame.
    pub fn channels(self) -> usize {
        match self {
            ChannelLayout::Mono => 1,
            ChannelLayout::Stereo => 2,
            ChannelLayout::Surround51 => 6,
            ChannelLayout::Discrete(n) => usize::from(n),
        }
    }
}

impl fmt::Display for ChannelLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChannelLayout::Mono => f.write_str("mono"),
            ChannelLayout::Stereo => f.write_str("stereo"),
            ChannelLayout::Surround51 => f.write_str("5.1"),
            ChannelLayout::Discrete(n) => write!(f, "{n} discrete channels"),
        }
    }
}

/// Why a [`PcmChunk`] cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PcmError {
    /// The sample count is not a whole number of frames.
    PartialFrame {
        /// Number of interleaved samples given (all channels counted).
        samples: usize,
        /// The channel count, which `samples` is not a multiple of.
        channels: usize,
    },
}

impl fmt::Display for PcmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PcmError::PartialFrame { samples, channels } => {
                write!(f, "PCM chunk of {samples} samples is not a whole number of {channels}-channel frames")
            }
        }
    }
}

impl std::error::Error for PcmError {}

/// A run of audio frames: interleaved `f32` samples (full scale 1.0), their
/// rate and layout, and the timestamp of the first frame counted in frames
/// of `rate` (so a chunk of `n` frames at `pts` is followed by one at
/// `pts + n`).
#[derive(Debug, Clone, PartialEq)]
pub struct PcmChunk {
    samples: Vec<f32>,
    rate: SampleRate,
    layout: ChannelLayout,
    pts: i64,
}

impl PcmChunk {
    /// A chunk of `samples` (interleaved by `layout`) starting at frame
    /// `pts`. Fails if `samples` is not a whole number of frames.
    pub fn new(samples: Vec<f32>, rate: SampleRate, layout: ChannelLayout, pts: i64) -> Result<Self, PcmError> {
        let channels = layout.channels();
        if samples.len() % channels != 0 {
            return Err(PcmError::PartialFrame { samples: samples.len(), channels });
        }
        Ok(PcmChunk { samples, rate, layout, pts })
    }

    /// Interleaved samples.
    pub fn samples(&self) -> &[f32] {
        &self.samples
    }

    /// Interleaved samples, to change in place (the length is fixed).
    pub fn samples_mut(&mut self) -> &mut [f32] {
        &mut self.samples
    }

    /// The samples, consuming the chunk.
    pub fn into_samples(self) -> Vec<f32> {
        self.samples
    }

    /// Sample rate.
    pub fn rate(&self) -> SampleRate {
        self.rate
    }

    /// Channel layout.
    pub fn layout(&self) -> ChannelLayout {
        self.layout
    }

    /// Channels per frame.
    pub fn channels(&self) -> usize {
        self.layout.channels()
    }

    /// Number of frames.
    pub fn frames(&self) -> usize {
        self.samples.len() / self.layout.channels()
    }

    /// Whether the chunk holds no frames.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Timestamp of the first frame, in frames.
    pub fn pts(&self) -> i64 {
        self.pts
    }

    /// Timestamp just after the last frame, in frames.
    pub fn end_pts(&self) -> i64 {
        self.pts.saturating_add(self.frames() as i64)
    }

    /// Timestamp of the first frame in the timescale of the sample rate.
    pub fn timestamp(&self) -> Timestamp {
        Timestamp::new(self.pts, self.rate.timescale())
    }

    /// Largest absolute sample value (0 for an empty chunk).
    pub fn peak(&self) -> f32 {
        self.samples.iter().fold(0.0f32, |m, s| m.max(s.abs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_rate_bounds() {
        assert_eq!(SampleRate::new(0), None);
        assert_eq!(SampleRate::new(MAX_SAMPLE_RATE + 1), None);
        assert_eq!(SampleRate::new(44_100), Some(SampleRate::HZ_44100));
        assert_eq!(SampleRate::HZ_48000.timescale().get(), 48_000);
        assert_eq!(SampleRate::HZ_44100.to_string(), "44100 Hz");
    }

    #[test]
    fn layouts_by_count() {
        assert_eq!(ChannelLayout::for_count(0), None);
        assert_eq!(ChannelLayout::for_count(1), Some(ChannelLayout::Mono));
        assert_eq!(ChannelLayout::for_count(2), Some(ChannelLayout::Stereo));
        assert_eq!(ChannelLayout::for_count(4), Some(ChannelLayout::Discrete(4)));
        assert_eq!(ChannelLayout::for_count(6), Some(ChannelLayout::Surround51));
        assert_eq!(ChannelLayout::for_count(MAX_CHANNELS + 1), None);
        for n in 1..=MAX_CHANNELS {
            assert_eq!(ChannelLayout::for_count(n).map(|l| l.channels()), Some(n));
        }
    }

    #[test]
    fn chunk_frames_and_time() {
        let c = PcmChunk::new(vec![0.5, -0.75, 0.25, 0.0], SampleRate::HZ_48000, ChannelLayout::Stereo, 960).unwrap();
        assert_eq!(c.frames(), 2);
        assert_eq!(c.end_pts(), 962);
        assert_eq!(c.peak(), 0.75);
        assert_eq!(c.timestamp().rescale(Timescale::MILLIS).ticks, 20);
        let e = PcmChunk::new(vec![0.0; 5], SampleRate::HZ_48000, ChannelLayout::Stereo, 0).unwrap_err();
        assert_eq!(e, PcmError::PartialFrame { samples: 5, channels: 2 });
        assert!(e.to_string().contains("5 samples"));
    }
}
