//! [`AudioConverter`]: the chain from decoded PCM to what an encoder takes,
//! interleaved `f32` at the target rate and layout:
//! channel mapping ([`ChannelMixer`]), resampling ([`Resampler`]), gain
//! ([`Gain`]), then the optional [`Limiter`], then a clamp to full scale.
//!
//! Mapping runs before resampling when it reduces the channel count (5.1
//! to stereo resamples two channels, not six) and after it otherwise. The
//! input is treated as one contiguous stream: chunk timestamps are checked
//! for rate and layout only, and the output is numbered from the first
//! input chunk's timestamp converted to the output rate. The output stream
//! has exactly [`output_frames`] of the input's frames once
//! [`AudioConverter::flush`] has run, time-aligned with the input (the
//! resampler and limiter latencies are compensated).

use std::fmt;

use super::levels::{Gain, LevelsError, Limiter, LimiterOptions};
use super::mix::{ChannelMixer, MixError};
use super::pcm::{ChannelLayout, PcmChunk, SampleRate};
use super::resample::{output_frames, ResampleError, Resampler};

/// What the converter produces.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertOptions {
    /// Output sample rate.
    pub sample_rate: SampleRate,
    /// Output channel layout.
    pub layout: ChannelLayout,
    /// Gain in dB applied after mapping and resampling, -60 to 40. Default 0.
    pub gain_db: f64,
    /// Peak limiter after the gain; `None` (the default) for none. Without
    /// it, samples beyond full scale are clipped.
    pub limiter: Option<LimiterOptions>,
}

impl ConvertOptions {
    /// `rate` and `layout` with no gain and no limiter.
    pub fn new(sample_rate: SampleRate, layout: ChannelLayout) -> Self {
        ConvertOptions { sample_rate, layout, gain_db: 0.0, limiter: None }
    }
}

/// Why a converter cannot be built or fed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConvertError {
    /// The layouts cannot be mapped.
    Mix(MixError),
    /// The rates are too far apart.
    Resample(ResampleError),
    /// A gain or limiter setting is out of range.
    Levels(LevelsError),
    /// A chunk's rate or layout is not the one the converter was built for.
    InputChanged {
        /// The rate and layout the converter was built for.
        expected: (SampleRate, ChannelLayout),
        /// The chunk's rate and layout.
        got: (SampleRate, ChannelLayout),
    },
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvertError::Mix(e) => write!(f, "audio conversion: {e}"),
            ConvertError::Resample(e) => write!(f, "audio conversion: {e}"),
            ConvertError::Levels(e) => write!(f, "audio conversion: {e}"),
            ConvertError::InputChanged { expected, got } => write!(
                f,
                "audio conversion was set up for {} {} input, got a chunk of {} {}",
                expected.0, expected.1, got.0, got.1
            ),
        }
    }
}

impl std::error::Error for ConvertError {}

impl From<MixError> for ConvertError {
    fn from(e: MixError) -> Self {
        ConvertError::Mix(e)
    }
}

impl From<ResampleError> for ConvertError {
    fn from(e: ResampleError) -> Self {
        ConvertError::Resample(e)
    }
}

impl From<LevelsError> for ConvertError {
    fn from(e: LevelsError) -> Self {
        ConvertError::Levels(e)
    }
}

/// A streaming PCM converter; see the module documentation.
#[derive(Debug, Clone)]
pub struct AudioConverter {
    input: (SampleRate, ChannelLayout),
    output: (SampleRate, ChannelLayout),
    mixer: ChannelMixer,
    mix_first: bool,
    resampler: Resampler,
    gain: Gain,
    limiter: Option<Limiter>,
    /// Output timestamp of the next frame; set by the first chunk.
    next_pts: Option<i64>,
    scratch: Vec<f32>,
}

impl AudioConverter {
    /// A converter from `rate` and `layout` input to `options`.
    pub fn new(rate: SampleRate, layout: ChannelLayout, options: &ConvertOptions) -> Result<Self, ConvertError> {
        let mixer = ChannelMixer::new(layout, options.layout)?;
        let mix_first = options.layout.channels() < layout.channels();
        let resample_channels = if mix_first { options.layout.channels() } else { layout.channels() };
        let resampler = Resampler::new(rate, options.sample_rate, resample_channels)?;
        let gain = Gain::from_db(options.gain_db)?;
        let limiter = match &options.limiter {
            Some(o) => Some(Limiter::new(o, options.sample_rate, options.layout.channels())?),
            None => None,
        };
        Ok(AudioConverter {
            input: (rate, layout),
            output: (options.sample_rate, options.layout),
            mixer,
            mix_first,
            resampler,
            gain,
            limiter,
            next_pts: None,
            scratch: Vec::new(),
        })
    }

    /// Output rate.
    pub fn output_rate(&self) -> SampleRate {
        self.output.0
    }

    /// Output layout.
    pub fn output_layout(&self) -> ChannelLayout {
        self.output.1
    }

    /// Converts the next chunk of the stream. Returns the output frames it
    /// completes, or `None` when the resampler and limiter still hold them.
    pub fn process(&mut self, chunk: &PcmChunk) -> Result<Option<PcmChunk>, ConvertError> {
        let got = (chunk.rate(), chunk.layout());
        if got != self.input {
            return Err(ConvertError::InputChanged { expected: self.input, got });
        }
        if self.next_pts.is_none() {
            let pts = chunk.pts();
            let frames = output_frames(pts.unsigned_abs(), self.input.0, self.output.0) as i64;
            self.next_pts = Some(if pts < 0 { -frames } else { frames });
        }
        let mut out = Vec::new();
        if self.mix_first {
            self.scratch.clear();
            self.mixer.process(chunk.samples(), &mut self.scratch)?;
            self.resampler.process(&self.scratch, &mut out)?;
        } else {
            self.scratch.clear();
            self.resampler.process(chunk.samples(), &mut self.scratch)?;
            self.mixer.process(&self.scratch, &mut out)?;
        }
        self.finish(out)
    }

    /// Ends the stream: returns every frame still held (or `None` if there
    /// are none) and resets the converter for a new stream.
    pub fn flush(&mut self) -> Result<Option<PcmChunk>, ConvertError> {
        let mut out = Vec::new();
        self.scratch.clear();
        self.resampler.flush(&mut self.scratch);
        if self.mix_first {
            out.append(&mut self.scratch);
        } else {
            self.mixer.process(&self.scratch, &mut out)?;
        }
        self.gain.apply(&mut out);
        if let Some(l) = &mut self.limiter {
            let mut limited = Vec::with_capacity(out.len() + l.latency() * self.output.1.channels());
            l.process(&out, &mut limited)?;
            l.flush(&mut limited);
            out = limited;
        }
        let chunk = self.wrap(out);
        self.next_pts = None;
        Ok(chunk)
    }

    /// Gain, limiter and clamp on freshly resampled and mapped frames.
    fn finish(&mut self, mut out: Vec<f32>) -> Result<Option<PcmChunk>, ConvertError> {
        self.gain.apply(&mut out);
        if let Some(l) = &mut self.limiter {
            let mut limited = Vec::with_capacity(out.len());
            l.process(&out, &mut limited)?;
            out = limited;
        }
        Ok(self.wrap(out))
    }

    fn wrap(&mut self, mut samples: Vec<f32>) -> Option<PcmChunk> {
        if samples.is_empty() {
            return None;
        }
        for s in &mut samples {
            *s = s.clamp(-1.0, 1.0);
        }
        let pts = self.next_pts.unwrap_or(0);
        let chunk = PcmChunk::new(samples, self.output.0, self.output.1, pts).ok()?;
        self.next_pts = Some(chunk.end_pts());
        Some(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::levels::db_to_linear;
    use std::f32::consts::PI;

    fn tone(rate: u32, layout: ChannelLayout, frames: usize, amp: f32) -> Vec<f32> {
        (0..frames)
            .flat_map(|i| {
                std::iter::repeat_n(amp * (2.0 * PI * 1000.0 * i as f32 / rate as f32).sin(), layout.channels())
            })
            .collect()
    }

    fn run(
        conv: &mut AudioConverter,
        input: &[f32],
        rate: SampleRate,
        layout: ChannelLayout,
        chunk_frames: usize,
    ) -> Vec<PcmChunk> {
        let mut out = Vec::new();
        let mut pts = 0;
        for c in input.chunks(chunk_frames * layout.channels()) {
            let chunk = PcmChunk::new(c.to_vec(), rate, layout, pts).unwrap();
            pts = chunk.end_pts();
            out.extend(conv.process(&chunk).unwrap());
        }
        out.extend(conv.flush().unwrap());
        out
    }

    #[test]
    fn surround_44k_to_stereo_48k_with_gain_and_limiter() {
        let (rate, layout) = (SampleRate::HZ_44100, ChannelLayout::Surround51);
        let input = tone(44_100, layout, 44_100, 0.9);
        let options = ConvertOptions {
            gain_db: 12.0,
            limiter: Some(LimiterOptions::default()),
            ..ConvertOptions::new(SampleRate::HZ_48000, ChannelLayout::Stereo)
        };
        let mut conv = AudioConverter::new(rate, layout, &options).unwrap();
        let chunks = run(&mut conv, &input, rate, layout, 1024);
        // Contiguous timestamps from 0, exact length.
        let mut pts = 0;
        for c in &chunks {
            assert_eq!((c.pts(), c.rate(), c.layout()), (pts, SampleRate::HZ_48000, ChannelLayout::Stereo));
            pts = c.end_pts();
        }
        assert_eq!(pts, 48_000);
        // The limiter holds the +12 dB tone at its -1 dBFS ceiling.
        let all: Vec<f32> = chunks.iter().flat_map(|c| c.samples().iter().copied()).collect();
        let ceiling = db_to_linear(-1.0) as f32;
        let peak = all.iter().fold(0f32, |m, s| m.max(s.abs()));
        assert!(peak <= ceiling && peak > 0.99 * ceiling, "peak {peak}");
    }

    #[test]
    fn mono_upmix_is_time_aligned_and_unclipped_without_limiter() {
        let (rate, layout) = (SampleRate::HZ_48000, ChannelLayout::Mono);
        let input = tone(48_000, layout, 4800, 0.5);
        let mut conv =
            AudioConverter::new(rate, layout, &ConvertOptions::new(SampleRate::HZ_48000, ChannelLayout::Stereo))
                .unwrap();
        let out: Vec<f32> =
            run(&mut conv, &input, rate, layout, 100).iter().flat_map(|c| c.samples().to_vec()).collect();
        let expected: Vec<f32> = input.iter().flat_map(|&s| [s, s]).collect();
        assert_eq!(out, expected);
        // +20 dB without a limiter clips at full scale.
        let options =
            ConvertOptions { gain_db: 20.0, ..ConvertOptions::new(SampleRate::HZ_16000, ChannelLayout::Mono) };
        let mut conv = AudioConverter::new(rate, layout, &options).unwrap();
        let out: Vec<f32> =
            run(&mut conv, &input, rate, layout, 480).iter().flat_map(|c| c.samples().to_vec()).collect();
        assert_eq!(out.len(), 1600);
        assert!(out.iter().all(|s| s.abs() <= 1.0) && out.contains(&1.0));
    }

    #[test]
    fn first_timestamp_is_converted_and_input_checked() {
        let mut conv = AudioConverter::new(
            SampleRate::HZ_44100,
            ChannelLayout::Stereo,
            &ConvertOptions::new(SampleRate::HZ_48000, ChannelLayout::Stereo),
        )
        .unwrap();
        let chunk = PcmChunk::new(vec![0.1; 2 * 4410], SampleRate::HZ_44100, ChannelLayout::Stereo, 44_100).unwrap();
        let out = conv.process(&chunk).unwrap().unwrap();
        assert_eq!(out.pts(), 48_000);
        let wrong = PcmChunk::new(vec![0.1; 10], SampleRate::HZ_48000, ChannelLayout::Stereo, 0).unwrap();
        let e = conv.process(&wrong).unwrap_err();
        assert!(matches!(e, ConvertError::InputChanged { .. }));
        assert_eq!(
            e.to_string(),
            "audio conversion was set up for 44100 Hz stereo input, got a chunk of 48000 Hz stereo"
        );
        let e = AudioConverter::new(
            SampleRate::HZ_44100,
            ChannelLayout::Stereo,
            &ConvertOptions::new(SampleRate::HZ_48000, ChannelLayout::Surround51),
        )
        .unwrap_err();
        assert_eq!(
            e,
            ConvertError::Mix(MixError::Unsupported { from: ChannelLayout::Stereo, to: ChannelLayout::Surround51 })
        );
    }
}
