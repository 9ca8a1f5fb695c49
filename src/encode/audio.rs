//! Microphone PCM in, CMAF audio fragments out: the live audio pipeline of
//! a publisher, on the same clock as its video.
//!
//! [`AudioPipeline`] converts captured PCM to the encoder's rate and layout
//! ([`AudioConverter`]), encodes it with any [`AudioEncode`] (AAC or Opus)
//! and cuts CMAF fragments of its own track.
//!
//! Timing is what makes or breaks lip sync, so the rules are explicit:
//! - Media time 0 is the video's first frame ([`AudioPipeline::set_origin`],
//!   the capture timestamp the video pipeline rebased to 0). Audio captured
//!   before it is dropped.
//! - Encoders delay their output: the first `delay` decoded samples are
//!   priming, not input (AAC: 1024 or more, Opus: its pre-skip). Sample `k`
//!   of the track therefore plays input sample `k - delay`. The pipeline
//!   starts its input `delay` samples after the origin (silence fills in if
//!   the microphone starts later), so every input sample plays at the media
//!   time it was captured at, and the track starts at 0 like the video.
//! - Capture timestamps win over sample counting: each buffer's timestamp
//!   is compared with where the samples so far end. A gap larger than
//!   [`SYNC_TOLERANCE_US`] is filled with silence; an overlap is cut from
//!   the buffer. Audio can thus not drift from video by more than the
//!   tolerance, however long the stream.

use std::fmt;

use super::{framing_problem, ListenerEvents, PipelineEvent};
use crate::audio::{AudioConverter, ChannelLayout, ConvertError, ConvertOptions, PcmChunk, PcmError, SampleRate};
use crate::codec::audio_encode::{AudioEncode, AudioEncodeFailure, AudioPacket};
use crate::codec::CodecConfig;
use crate::error::{Coded, ErrorCode};
use crate::mux::segmenter::{Segmenter, SegmenterConfig};
use crate::mux::{MuxError, Sample, TrackConfig};
use crate::preset::{AudioCodec, AudioPreset};
use crate::registry::{audio_encoder, EncoderChoiceError};
use crate::time::Timestamp;

/// Largest difference between a buffer's capture timestamp and where the
/// samples so far end before the pipeline re-locks to the timestamp.
pub const SYNC_TOLERANCE_US: i64 = 20_000;

/// ID of the audio track in the pipeline's CMAF output.
pub const AUDIO_TRACK_ID: u32 = 2;

/// Options of an [`AudioPipeline`].
#[derive(Debug, Clone, PartialEq)]
pub struct AudioPipelineConfig {
    /// Target fragment duration, 100 ms to 20 s. Default 2 s.
    pub fragment_duration: Timestamp,
    /// Sequence number of the first fragment, from 1. Default 1.
    pub first_sequence: u32,
    /// Capture rate and layout of the PCM given to `push`.
    pub input_rate: u32,
    /// Channel layout of the PCM given to `push` (interleaved).
    pub input_layout: ChannelLayout,
    /// Gain in dB applied before encoding (0 = unchanged; see
    /// [`ConvertOptions`]).
    pub gain_db: f64,
    /// Whether a peak limiter (default settings) runs before encoding.
    /// Default off.
    pub limiter: bool,
}

impl AudioPipelineConfig {
    /// 2 s fragments numbered from 1, no gain, no limiter.
    pub fn new(input_rate: u32, input_layout: ChannelLayout) -> Self {
        AudioPipelineConfig {
            fragment_duration: Timestamp::from_millis(2000),
            first_sequence: 1,
            input_rate,
            input_layout,
            gain_db: 0.0,
            limiter: false,
        }
    }
}

/// Why the audio pipeline refused a call.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AudioPipelineError {
    /// An option is out of range.
    InvalidConfig {
        /// The option, e.g. `fragmentDuration` or `firstSequence`.
        field: &'static str,
        /// What it must be, and the value given.
        reason: String,
    },
    /// The PCM buffer does not hold whole frames of the input layout, or
    /// its timestamp is not a finite number.
    BadInput(String),
    /// Conversion (mapping, resampling, levels) failed.
    Convert(ConvertError),
    /// The encoder failed.
    Encoder(AudioEncodeFailure),
    /// The segmenter refused a sample.
    Mux(MuxError),
    /// `push` after `finish`.
    Finished,
}

impl fmt::Display for AudioPipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AudioPipelineError::InvalidConfig { field, reason } => write!(f, "{field} {reason}"),
            AudioPipelineError::BadInput(m) => write!(f, "audio input: {m}"),
            AudioPipelineError::Convert(e) => e.fmt(f),
            AudioPipelineError::Encoder(e) => e.fmt(f),
            AudioPipelineError::Mux(e) => e.fmt(f),
            AudioPipelineError::Finished => write!(f, "the audio pipeline was finished"),
        }
    }
}

impl std::error::Error for AudioPipelineError {}

impl Coded for AudioPipelineError {
    fn code(&self) -> ErrorCode {
        match self {
            AudioPipelineError::InvalidConfig { .. } => ErrorCode::InvalidConfig,
            AudioPipelineError::BadInput(_) => ErrorCode::InvalidFrame,
            AudioPipelineError::Convert(_) | AudioPipelineError::Encoder(_) => ErrorCode::EncodeError,
            AudioPipelineError::Mux(e) => e.code(),
            AudioPipelineError::Finished => ErrorCode::InvalidState,
        }
    }

    /// A field of the audio preset (`audio.bitRate`).
    fn field(&self) -> Option<String> {
        match self {
            AudioPipelineError::InvalidConfig { field, .. } => Some((*field).to_string()),
            _ => None,
        }
    }
}

impl From<ConvertError> for AudioPipelineError {
    fn from(e: ConvertError) -> Self {
        AudioPipelineError::Convert(e)
    }
}

impl From<MuxError> for AudioPipelineError {
    fn from(e: MuxError) -> Self {
        AudioPipelineError::Mux(e)
    }
}

impl From<AudioEncodeFailure> for AudioPipelineError {
    fn from(e: AudioEncodeFailure) -> Self {
        AudioPipelineError::Encoder(e)
    }
}

impl From<PcmError> for AudioPipelineError {
    fn from(e: PcmError) -> Self {
        AudioPipelineError::BadInput(e.to_string())
    }
}

/// Figures for the publisher's stats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AudioCounters {
    /// Input samples (per channel) dropped: before the origin, or cut as
    /// overlap.
    pub dropped_samples: u64,
    /// Silent samples (per channel) inserted for gaps.
    pub inserted_samples: u64,
    /// Times the input re-locked to a capture timestamp.
    pub resyncs: u64,
    /// Packets encoded.
    pub packets: u64,
}

/// Captured PCM through an encoder into CMAF (see the module documentation).
#[derive(Debug)]
pub struct AudioPipeline {
    /// The output track's timescale.
    timescale: crate::time::Timescale,
    config: AudioPipelineConfig,
    /// `config.input_rate`, checked.
    input_rate: SampleRate,
    encoder: Box<dyn AudioEncode>,
    codec: CodecConfig,
    converter: AudioConverter,
    segmenter: Segmenter<ListenerEvents>,
    /// Capture time (µs) of media time 0.
    origin_us: Option<i64>,
    /// Input samples (per channel) handed to the converter so far,
    /// including inserted silence.
    input_samples: i64,
    /// Track time of the next packet, in samples at the encoder's rate.
    next_decode: i64,
    counters: AudioCounters,
    finished: bool,
}

impl AudioPipeline {
    /// Validates the options and builds the converter and the segmenter.
    pub fn new(
        encoder: Box<dyn AudioEncode>,
        config: AudioPipelineConfig,
    ) -> Result<AudioPipeline, AudioPipelineError> {
        if let Some((field, reason)) = framing_problem(config.fragment_duration, config.first_sequence) {
            return Err(AudioPipelineError::InvalidConfig { field, reason });
        }
        let rate = |hz: u32, field| {
            SampleRate::new(hz).ok_or(AudioPipelineError::InvalidConfig {
                field,
                reason: format!("must be a positive number of Hz, got {hz}"),
            })
        };
        let input_rate = rate(config.input_rate, "sampleRate")?;
        let output_rate = rate(encoder.sample_rate(), "encoder.sampleRate")?;
        let mut options = ConvertOptions::new(output_rate, encoder.layout());
        options.gain_db = config.gain_db;
        options.limiter = config.limiter.then(Default::default);
        let converter = AudioConverter::new(input_rate, config.input_layout, &options)?;
        let timescale = output_rate.timescale();
        let codec = encoder.codec_config().ok_or_else(|| AudioPipelineError::InvalidConfig {
            field: "audio.codec",
            reason: format!("{} has no CMAF sample entry", encoder.codec_name()),
        })?;
        let track = TrackConfig::new(AUDIO_TRACK_ID, timescale, codec.clone());
        let seg = SegmenterConfig {
            fragment_duration: config.fragment_duration,
            first_sequence_number: config.first_sequence,
            ..SegmenterConfig::default()
        };
        let segmenter = Segmenter::new(vec![track], seg, ListenerEvents::default())?;
        Ok(AudioPipeline {
            config,
            timescale,
            input_rate,
            encoder,
            codec,
            converter,
            segmenter,
            origin_us: None,
            input_samples: 0,
            next_decode: 0,
            counters: AudioCounters::default(),
            finished: false,
        })
    }

    /// Sets the capture time of media time 0 (the video's first frame).
    /// Audio pushed before this is dropped. Only the first call counts.
    pub fn set_origin(&mut self, origin_us: i64) {
        self.origin_us.get_or_insert(origin_us);
    }

    /// The counters so far.
    pub fn counters(&self) -> AudioCounters {
        self.counters
    }

    /// The timescale of the output track (the encoder's sample rate).
    pub fn timescale(&self) -> crate::time::Timescale {
        self.timescale
    }

    /// The encoder's codec configuration.
    pub fn codec_config(&self) -> CodecConfig {
        self.codec.clone()
    }

    /// Capture time (µs) the next input sample should carry: the origin
    /// plus the encoder delay plus the samples so far.
    fn expected_us(&self, origin: i64) -> i64 {
        let rate = i64::from(self.config.input_rate);
        let delay_in = i64::from(self.encoder.delay()) * rate / i64::from(self.encoder.sample_rate());
        origin + (self.input_samples + delay_in) * 1_000_000 / rate
    }

    /// Takes interleaved PCM captured at `capture_us` (the first frame's
    /// capture time, on the video's clock) and returns what became
    /// complete: the init segment with the first fragment, then fragments.
    pub fn push(&mut self, pcm: &[f32], capture_us: i64) -> Result<Vec<PipelineEvent>, AudioPipelineError> {
        if self.finished {
            return Err(AudioPipelineError::Finished);
        }
        let channels = self.config.input_layout.channels();
        if pcm.len() % channels != 0 {
            return Err(AudioPipelineError::BadInput(format!(
                "{} samples is not a whole number of {channels}-channel frames",
                pcm.len()
            )));
        }
        let Some(origin) = self.origin_us else {
            self.counters.dropped_samples += (pcm.len() / channels) as u64;
            return Ok(Vec::new());
        };
        let rate = i64::from(self.config.input_rate);
        let expected = self.expected_us(origin);
        let diff_us = capture_us - expected;
        let mut skip = 0usize;
        let mut silence = 0usize;
        let first = self.input_samples == 0;
        if first || diff_us.abs() > SYNC_TOLERANCE_US {
            if !first {
                self.counters.resyncs += 1;
            }
            let frames = (diff_us.abs() * rate / 1_000_000) as usize;
            if diff_us > 0 {
                silence = frames;
            } else {
                skip = frames.min(pcm.len() / channels);
            }
        }
        self.counters.dropped_samples += skip as u64;
        self.counters.inserted_samples += silence as u64;
        let mut events = Vec::new();
        if silence > 0 {
            events.extend(self.feed(vec![0.0; silence * channels])?);
        }
        let rest = &pcm[skip * channels..];
        if !rest.is_empty() {
            events.extend(self.feed(rest.to_vec())?);
        }
        Ok(events)
    }

    /// Converts, encodes and fragments contiguous input.
    fn feed(&mut self, samples: Vec<f32>) -> Result<Vec<PipelineEvent>, AudioPipelineError> {
        let frames = samples.len() / self.config.input_layout.channels();
        let chunk = PcmChunk::new(samples, self.input_rate, self.config.input_layout, self.input_samples)?;
        self.input_samples += frames as i64;
        let converted = self.converter.process(&chunk)?;
        let packets = match converted {
            Some(c) => self.encoder.encode(c.samples())?,
            None => Vec::new(),
        };
        self.mux(packets)
    }

    fn mux(&mut self, packets: Vec<AudioPacket>) -> Result<Vec<PipelineEvent>, AudioPipelineError> {
        for p in packets {
            self.counters.packets += 1;
            let sample = Sample {
                decode_time: self.next_decode,
                composition_offset: 0,
                duration: p.duration,
                keyframe: true,
                data: p.data,
            };
            self.next_decode += i64::from(p.duration);
            self.segmenter.push(AUDIO_TRACK_ID, sample)?;
        }
        Ok(std::mem::take(&mut self.segmenter.listener_mut().0))
    }

    /// Ends the stream: flushes the converter and the encoder and returns
    /// the last fragment. Later pushes fail.
    pub fn finish(&mut self) -> Result<Vec<PipelineEvent>, AudioPipelineError> {
        if std::mem::replace(&mut self.finished, true) {
            return Err(AudioPipelineError::Finished);
        }
        let mut packets = match self.converter.flush()? {
            Some(c) => self.encoder.encode(c.samples())?,
            None => Vec::new(),
        };
        packets.extend(self.encoder.flush()?);
        let mut events = self.mux(packets)?;
        self.segmenter.finish()?;
        events.extend(std::mem::take(&mut self.segmenter.listener_mut().0));
        Ok(events)
    }
}

/// Makes the live audio encoder from the preset's audio section, the
/// microphone's rate (Hz) and its channel count. The default is
/// [`crate::registry::audio_encoder`]; a build without the `aac` or `opus`
/// feature takes one that reaches an encoder elsewhere (the browser
/// publisher: a separately loaded wasm module). An `Err` is reported as
/// today's `invalid-config` error on its field.
pub type AudioEncoderFactory = dyn Fn(&AudioPreset, u32, u16) -> Result<Box<dyn AudioEncode>, EncoderChoiceError>;

/// The encoder `preset` asks for, for a microphone of `input_rate` Hz and
/// `input_channels` channels: [`crate::registry::audio_encoder`], limited
/// to what live CMAF carries, AAC and Opus.
pub fn encoder_for(
    preset: &AudioPreset,
    input_rate: u32,
    input_channels: u16,
) -> Result<Box<dyn AudioEncode>, AudioPipelineError> {
    encoder_from(&audio_encoder, preset, input_rate, input_channels)
}

/// [`encoder_for`] with the encoder made by `factory`: the same live check
/// (AAC or Opus) first, then the factory's encoder or its error, on the
/// preset field it names.
pub fn encoder_from(
    factory: &AudioEncoderFactory,
    preset: &AudioPreset,
    input_rate: u32,
    input_channels: u16,
) -> Result<Box<dyn AudioEncode>, AudioPipelineError> {
    if !matches!(preset.codec, AudioCodec::Aac | AudioCodec::Opus) {
        let reason = format!("must be AAC or opus for live publishing, got {}", preset.codec);
        return Err(AudioPipelineError::InvalidConfig { field: "audio.codec", reason });
    }
    factory(preset, input_rate, input_channels)
        .map_err(|e| AudioPipelineError::InvalidConfig { field: e.field, reason: e.reason })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::opus::{OpusDecoder, OpusEncoder, OpusEncoderConfig};
    use crate::mux::reader::{MediaSegment, Movie};
    use crate::registry::default_live_audio;

    /// A 1 kHz beep of 40 ms at the start of every 500 ms, 48 kHz mono.
    fn beeps(seconds: f64, rate: u32) -> Vec<f32> {
        let n = (seconds * f64::from(rate)) as usize;
        (0..n)
            .map(|i| {
                let t = i as f64 / f64::from(rate);
                if t % 0.5 < 0.04 {
                    (0.5 * (2.0 * std::f64::consts::PI * 1000.0 * t).sin()) as f32
                } else {
                    0.0
                }
            })
            .collect()
    }

    fn opus_pipeline(input_rate: u32) -> AudioPipeline {
        let enc = OpusEncoder::new(OpusEncoderConfig::new(48_000, 1)).unwrap();
        let mut c = AudioPipelineConfig::new(input_rate, ChannelLayout::Mono);
        c.fragment_duration = Timestamp::from_millis(1000);
        AudioPipeline::new(Box::new(enc), c).unwrap()
    }

    /// Pushes `pcm` in 10 ms buffers stamped from `start_us` (with `gap_at`
    /// buffers left out) and returns the decoded track, trimmed by the
    /// pre-skip, and the events.
    fn run(
        p: &mut AudioPipeline,
        pcm: &[f32],
        rate: u32,
        start_us: i64,
        skip: &[usize],
    ) -> (Vec<f32>, Vec<PipelineEvent>) {
        let per = rate as usize / 100;
        let mut events = Vec::new();
        for (i, buf) in pcm.chunks(per).enumerate() {
            if skip.contains(&i) {
                continue;
            }
            events.extend(p.push(buf, start_us + i as i64 * 10_000).unwrap());
        }
        events.extend(p.finish().unwrap());
        let mut movie = None;
        let mut samples = Vec::new();
        for e in &events {
            match e {
                PipelineEvent::Init(i) => movie = Some(Movie::from_init_segment(&i.bytes).unwrap()),
                PipelineEvent::Fragment(f) => {
                    let movie = movie.as_ref().expect("init first");
                    let segment = MediaSegment::parse(movie, &f.bytes).unwrap();
                    samples.extend(segment.samples(AUDIO_TRACK_ID).map(|s| s.to_sample()));
                }
            }
        }
        let mut dec = OpusDecoder::new(48_000, 1).unwrap();
        let mut out = Vec::new();
        let mut t = 0;
        for s in samples {
            assert_eq!(s.decode_time, t, "contiguous decode times");
            t += i64::from(s.duration);
            out.extend(dec.decode(&s.data).unwrap());
        }
        (out, events)
    }

    /// Start times (s) of the beeps in decoded audio.
    fn onsets(pcm: &[f32], rate: f64) -> Vec<f64> {
        let mut out = Vec::new();
        let mut quiet = usize::MAX;
        for (i, x) in pcm.iter().enumerate() {
            if x.abs() > 0.1 {
                if quiet > (0.2 * rate) as usize {
                    out.push(i as f64 / rate);
                }
                quiet = 0;
            } else {
                quiet = quiet.saturating_add(1);
            }
        }
        out
    }

    #[test]
    fn every_sample_plays_at_its_capture_time() {
        // The microphone starts 130 ms after the video's first frame.
        let pcm = beeps(3.0, 48_000);
        let mut p = opus_pipeline(48_000);
        p.set_origin(5_000_000);
        let (out, events) = run(&mut p, &pcm, 48_000, 5_130_000, &[]);
        assert!(matches!(events[0], PipelineEvent::Init(_)));
        let found = onsets(&out, 48_000.0);
        assert_eq!(found.len(), 6, "{found:?}");
        for (k, t) in found.iter().enumerate() {
            let expected = 0.13 + 0.5 * k as f64;
            assert!((t - expected).abs() < 0.002, "beep {k} at {t:.4} s, captured at {expected:.4} s");
        }
        assert!(p.counters().inserted_samples > 0, "silence before the microphone started");
    }

    #[test]
    fn a_gap_in_capture_is_filled_and_later_audio_stays_in_place() {
        // 44.1 kHz input (resampled), 200 ms of buffers lost after 1 s.
        let pcm = beeps(3.0, 44_100);
        let mut p = opus_pipeline(44_100);
        p.set_origin(-100_000);
        let lost: Vec<usize> = (100..120).collect();
        let (out, _) = run(&mut p, &pcm, 44_100, 0, &lost);
        let found = onsets(&out, 48_000.0);
        // The beep at 1.0 s (lost: buffers 100-119 are 1.0-1.2 s) is gone;
        // the others keep their times (100 ms after the origin).
        let expected = [0.1, 0.6, 1.6, 2.1, 2.6];
        assert_eq!(found.len(), expected.len(), "{found:?}");
        for (t, e) in found.iter().zip(expected) {
            assert!((t - e).abs() < 0.003, "beep at {t:.4} s, captured at {e} s");
        }
        assert_eq!(p.counters().resyncs, 1);
    }

    #[test]
    fn audio_before_the_origin_is_dropped_and_overlaps_are_cut() {
        let pcm = beeps(2.0, 48_000);
        let mut p = opus_pipeline(48_000);
        assert!(p.push(&pcm[..480], 0).unwrap().is_empty(), "no origin yet");
        p.set_origin(250_000);
        // Capture started 250 ms before the origin: the first beep (0 s) is
        // cut, the one at 0.5 s plays at 0.25 s.
        let (out, _) = run(&mut p, &pcm, 48_000, 0, &[]);
        let found = onsets(&out, 48_000.0);
        assert!((found[0] - 0.25).abs() < 0.002, "{found:?}");
        assert!(p.counters().dropped_samples >= 12_000);
        assert!(matches!(p.push(&pcm[..480], 3_000_000), Err(AudioPipelineError::Finished)));
    }

    #[test]
    fn presets_pick_the_encoder() {
        let aac = encoder_for(&default_live_audio(), 44_100, 1).unwrap();
        assert_eq!((aac.sample_rate(), aac.layout(), aac.delay()), (48_000, ChannelLayout::Mono, 1600));
        assert!(matches!(aac.codec_config(), Some(CodecConfig::Aac { sample_rate: 48_000, channels: 1, .. })));
        let ll = crate::preset::system_preset("framecast-webcam-360p-ll").unwrap().audio.unwrap();
        let opus = encoder_for(&ll, 44_100, 2).unwrap();
        assert_eq!((opus.sample_rate(), opus.layout()), (48_000, ChannelLayout::Stereo));
        assert!(matches!(opus.codec_config(), Some(CodecConfig::Opus { channels: 2, .. })));
        // The ET presets: AAC at 44.1 kHz.
        let generic = crate::preset::system_preset("1351620000001-000010").unwrap().audio.unwrap();
        assert_eq!(encoder_for(&generic, 48_000, 2).unwrap().sample_rate(), 44_100);
        let mut mp3 = default_live_audio();
        mp3.codec = AudioCodec::Mp3;
        assert!(matches!(
            encoder_for(&mp3, 48_000, 2),
            Err(AudioPipelineError::InvalidConfig { field: "audio.codec", .. })
        ));
        let mut low = default_live_audio();
        low.bit_rate = Some(1);
        assert!(matches!(encoder_for(&low, 48_000, 2), Err(AudioPipelineError::InvalidConfig { field: "audio", .. })));
    }

    #[test]
    fn bad_input_is_refused() {
        let enc = OpusEncoder::new(OpusEncoderConfig::new(48_000, 2)).unwrap();
        let mut c = AudioPipelineConfig::new(48_000, ChannelLayout::Stereo);
        c.fragment_duration = Timestamp::from_millis(50);
        assert!(matches!(
            AudioPipeline::new(Box::new(enc), c),
            Err(AudioPipelineError::InvalidConfig { field: "fragmentDuration", .. })
        ));
        let enc = OpusEncoder::new(OpusEncoderConfig::new(48_000, 2)).unwrap();
        let mut p = AudioPipeline::new(Box::new(enc), AudioPipelineConfig::new(48_000, ChannelLayout::Stereo)).unwrap();
        p.set_origin(0);
        assert!(matches!(p.push(&[0.0; 3], 0), Err(AudioPipelineError::BadInput(_))));
        p.push(&[0.0; 960], 0).unwrap();
    }
}
