//! MP3 (MPEG-1/2/2.5 Audio Layer III, ISO/IEC 11172-3 and 13818-3)
//! encoder over `rusty_mp3`, a pure Rust encoder: interleaved `f32` PCM in,
//! one MP3 frame per [`Mp3Encoder::samples_per_frame`] samples out. Built
//! only with the `mp3` cargo feature (off by default).
//!
//! ```
//! use framecast::codec::mp3::{Mp3Encoder, Mp3EncoderConfig};
//!
//! let mut enc = Mp3Encoder::new(Mp3EncoderConfig::new(44_100, 2))?;
//! let pcm = vec![0.0f32; 44_100 * 2]; // 1 s of interleaved stereo
//! let mut file = Vec::new(); // an .mp3 file is its frames back to back
//! for frame in enc.encode_f32(&pcm)?.into_iter().chain(enc.flush()?) {
//!     file.extend_from_slice(&frame.data);
//! }
//! # Ok::<(), framecast::codec::mp3::Mp3Error>(())
//! ```
//!
//! # Why rusty_mp3
//!
//! LAME (`mp3lame-encoder`, LGPL-3.0) is C and does not build for
//! wasm32-unknown-unknown. `shine-rs` 0.1.5 (LGPL-2.0) is a port of shine,
//! a fixed-point encoder without a psychoacoustic model, and would put LGPL
//! relinking terms on a statically linked wasm binary. `rusty_mp3` 1.0
//! (Apache-2.0, no dependencies) has a psychoacoustic model, block switching
//! and joint stereo, and builds for wasm32 as it is; this module's frames
//! from a simd128 wasm build (Node 20) were byte-identical to native ones.
//!
//! # Streaming
//!
//! rusty_mp3's own stream encoder keeps every frame until the end of input
//! when it uses the bit reservoir (its default for MPEG-1 CBR up to 256
//! kbit/s), so a live stream would get nothing until it stops, and memory
//! would grow with its length. This module drives rusty_mp3's frame-level
//! encoder instead: every frame is self-contained (`main_data_begin` 0, no
//! bit reservoir) and comes back from the call that completes it; the
//! encoder holds at most one frame of input. The price: rusty_mp3 credits
//! the reservoir with 0.5 to 0.85 PEAQ ODG at 96-256 kbit/s, so at the
//! lower bitrates expect less than its README reports against LAME. Frames
//! are constant bitrate, without padding slots, so at 44.1 kHz a "192
//! kbit/s" stream is 626-byte frames, 191.7 kbit/s.
//!
//! # Quality
//!
//! A 3 s log sweep, 100 Hz to 8 kHz, 44.1 kHz stereo at 192 kbit/s,
//! decoded by ffmpeg: waveform SNR 56.8 dB (tests/mp3_encode.rs). On the
//! same input ffmpeg's libmp3lame gives 30.5 dB and libshine 15.1 dB. LAME
//! shapes its noise to sit under the masking threshold instead of
//! minimising it, so its lower figure is not worse sound. rusty_mp3's own
//! perceptual (PEAQ) comparison with LAME used its bit reservoir, which
//! this module does not (see Streaming).
//!
//! # Time
//!
//! Every frame decodes to [`Mp3Encoder::samples_per_frame`] samples per
//! channel (1152 for MPEG-1, 576 for MPEG-2/2.5), and the decoded audio
//! starts with [`Mp3Encoder::encoder_delay`] = 1057 samples of priming
//! (528 of the encoder's filterbank and MDCT plus 529 of the decoder's):
//! a one-sample click at input sample N comes out of ffmpeg's decoder at
//! sample N + 1057, at 44.1 and 22.05 kHz (tests/mp3_encode.rs).
//! [`Mp3Encoder::flush`] pads with silence until every input sample has
//! come through, so the decoded length is the priming plus the input plus
//! less than one frame. No Xing/LAME tag is written, so a plain `.mp3`
//! player plays the priming and the padding; a container that can trim
//! (an MP4 edit list) should skip `encoder_delay()` samples.
//!
//! Natively, rusty_mp3 reads a few tuning variables from the environment
//! (`MP3_STEREO`, `MP3_THR_CAP`, `MP3_SMR_DB`) once per process; unset,
//! as normal, they leave its shipped defaults. wasm has no environment.

use std::fmt;

use rusty_mp3::header::FrameHeader;
use rusty_mp3::Mp3Encode;

use crate::error::{Coded, ErrorCode};

/// Input sample rates, Hz: MPEG-2.5 (8-12 kHz), MPEG-2 (16-24 kHz) and
/// MPEG-1 (32-48 kHz). Other rates must be resampled first.
pub const SAMPLE_RATES: [u32; 9] = [8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000];

/// Layer III bitrates at MPEG-1 sample rates (32, 44.1, 48 kHz), bit/s.
pub const MPEG1_BITRATES: [u32; 14] = [
    32_000, 40_000, 48_000, 56_000, 64_000, 80_000, 96_000, 112_000, 128_000, 160_000, 192_000, 224_000, 256_000,
    320_000,
];

/// Layer III bitrates at MPEG-2 and MPEG-2.5 sample rates (8 to 24 kHz),
/// bit/s.
pub const MPEG2_BITRATES: [u32; 14] =
    [8_000, 16_000, 24_000, 32_000, 40_000, 48_000, 56_000, 64_000, 80_000, 96_000, 112_000, 128_000, 144_000, 160_000];

/// Priming samples per channel at the start of the decoded audio: the
/// encoder's analysis filterbank and MDCT (528) plus the decoder's
/// synthesis (529). The same at every rate and bitrate.
const ENCODER_DELAY: u32 = 1057;

/// What went wrong in the MP3 encoder.
///
/// `InvalidConfig` and `PartialSampleFrame` are caller errors: the call
/// consumed nothing and the encoder stays usable. `Finished` means
/// [`Mp3Encoder::flush`] was already called. `Encoder` is an internal
/// rusty_mp3 failure that validation should have prevented: drop the
/// encoder.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mp3Error {
    /// A configuration field is out of range. Names the field, what it must
    /// be and what it was.
    InvalidConfig {
        /// The field: `sample_rate`, `channels` or `bitrate`.
        field: &'static str,
        /// What is allowed, e.g. the bit rates (bit/s) of the sample rate.
        expected: String,
        /// The value given (Hz, count or bit/s), as text.
        got: String,
    },
    /// Interleaved input whose length is not a multiple of the channel
    /// count.
    PartialSampleFrame {
        /// How many interleaved `f32` samples were given (all channels).
        len: usize,
        /// The configured channel count, 1 or 2.
        channels: u8,
    },
    /// `encode_f32` or `flush` after `flush`.
    Finished,
    /// rusty_mp3 refused a frame.
    Encoder(String),
}

impl fmt::Display for Mp3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mp3Error::InvalidConfig { field, expected, got } => write!(f, "mp3.{field} must be {expected}, got {got}"),
            Mp3Error::PartialSampleFrame { len, channels } => {
                write!(f, "{len} interleaved samples is not a whole number of {channels}-channel sample frames")
            }
            Mp3Error::Finished => write!(f, "the MP3 encoder was already flushed"),
            Mp3Error::Encoder(why) => write!(f, "MP3 encoder failed: {why}"),
        }
    }
}

impl std::error::Error for Mp3Error {}

impl Coded for Mp3Error {
    fn code(&self) -> ErrorCode {
        match self {
            Mp3Error::InvalidConfig { .. } => ErrorCode::InvalidConfig,
            Mp3Error::PartialSampleFrame { .. } => ErrorCode::InvalidFrame,
            Mp3Error::Finished => ErrorCode::InvalidState,
            Mp3Error::Encoder(_) => ErrorCode::EncodeError,
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            Mp3Error::InvalidConfig { field, .. } => Some((*field).to_string()),
            _ => None,
        }
    }
}

/// Encoder settings. Build with [`Mp3EncoderConfig::new`] and change
/// fields; [`Mp3Encoder::new`] validates them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mp3EncoderConfig {
    /// Input sample rate, Hz, one of [`SAMPLE_RATES`].
    pub sample_rate: u32,
    /// 1 (mono) or 2 (stereo, interleaved left, right).
    pub channels: u8,
    /// Constant bitrate, bit/s: one of [`MPEG1_BITRATES`] at 32 kHz and
    /// above, of [`MPEG2_BITRATES`] below. Default 128 kbit/s mono and 192
    /// kbit/s stereo at 32-48 kHz; 64 / 96 kbit/s at 16-24 kHz; 32 / 48
    /// kbit/s at 8-12 kHz.
    pub bitrate: u32,
}

impl Mp3EncoderConfig {
    /// Defaults for `channels` channels at `sample_rate` Hz.
    pub fn new(sample_rate: u32, channels: u8) -> Self {
        let mono = match sample_rate {
            32_000.. => 128_000,
            16_000.. => 64_000,
            _ => 32_000,
        };
        let bitrate = if channels >= 2 { mono / 2 * 3 } else { mono };
        Mp3EncoderConfig { sample_rate, channels, bitrate }
    }

    /// The legal bitrates at this sample rate.
    fn bitrates(&self) -> &'static [u32; 14] {
        if self.sample_rate >= 32_000 {
            &MPEG1_BITRATES
        } else {
            &MPEG2_BITRATES
        }
    }

    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), Mp3Error> {
        let bad =
            |field, expected: String, got: u32| Err(Mp3Error::InvalidConfig { field, expected, got: got.to_string() });
        if !SAMPLE_RATES.contains(&self.sample_rate) {
            return bad("sample_rate", format!("{} Hz", or_list(&SAMPLE_RATES)), self.sample_rate);
        }
        if !(1..=2).contains(&self.channels) {
            return bad("channels", "1 or 2".into(), u32::from(self.channels));
        }
        if !self.bitrates().contains(&self.bitrate) {
            let at = format!("at {} Hz", self.sample_rate);
            return bad("bitrate", format!("{} bit/s {at}", or_list(self.bitrates())), self.bitrate);
        }
        Ok(())
    }
}

/// "a, b or c".
fn or_list(values: &[u32]) -> String {
    let words: Vec<String> = values.iter().map(u32::to_string).collect();
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => words.concat(),
    }
}

/// One encoded MP3 frame: the next bytes of an `.mp3` file, or an MP4
/// sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mp3Frame {
    /// The frame, header to the end of its main data.
    pub data: Vec<u8>,
    /// Samples per channel it decodes to ([`Mp3Encoder::samples_per_frame`]).
    pub duration: u32,
}

/// A streaming MP3 encoder for interleaved `f32` PCM of any length: it
/// buffers up to one frame and emits a frame per complete one. See the
/// module docs.
pub struct Mp3Encoder {
    config: Mp3EncoderConfig,
    header: FrameHeader,
    inner: Mp3Encode,
    /// One frame of input per channel being filled.
    frame: [Vec<f32>; 2],
    filled: usize,
    frames_encoded: u64,
    /// Input samples per channel accepted so far.
    input_samples: u64,
    finished: bool,
}

impl fmt::Debug for Mp3Encoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mp3Encoder")
            .field("config", &self.config)
            .field("frames_encoded", &self.frames_encoded)
            .field("input_samples", &self.input_samples)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl Mp3Encoder {
    /// An encoder for `config`, validated first.
    pub fn new(config: Mp3EncoderConfig) -> Result<Self, Mp3Error> {
        config.validate()?;
        let header = rusty_mp3::encoder_header(config.sample_rate, u16::from(config.channels), config.bitrate / 1000)
            .map_err(|e| Mp3Error::Encoder(e.to_string()))?;
        let spf = header.version.samples_per_frame();
        let per_channel = |c: u8| if c < config.channels { vec![0.0; spf] } else { Vec::new() };
        Ok(Mp3Encoder {
            config,
            header,
            inner: Mp3Encode::new(),
            frame: [per_channel(0), per_channel(1)],
            filled: 0,
            frames_encoded: 0,
            input_samples: 0,
            finished: false,
        })
    }

    /// The validated configuration.
    pub fn config(&self) -> &Mp3EncoderConfig {
        &self.config
    }

    /// Samples per channel in a frame: 1152 at MPEG-1 rates (32-48 kHz),
    /// 576 below.
    pub fn samples_per_frame(&self) -> u32 {
        self.frame[0].len() as u32
    }

    /// Samples per channel of priming at the start of the decoded audio
    /// (1057 at every rate; measured in tests/mp3_encode.rs): the input's
    /// first sample is decoded sample `encoder_delay()`.
    pub fn encoder_delay(&self) -> u32 {
        ENCODER_DELAY
    }

    /// Encodes interleaved samples (nominally -1..1; NaN becomes silence
    /// and values beyond full scale are clipped). Any whole number of
    /// sample frames is accepted: what does not fill a frame waits for the
    /// next call or for [`Self::flush`].
    pub fn encode_f32(&mut self, pcm: &[f32]) -> Result<Vec<Mp3Frame>, Mp3Error> {
        if self.finished {
            return Err(Mp3Error::Finished);
        }
        let channels = self.config.channels;
        let ch = usize::from(channels);
        if pcm.len() % ch != 0 {
            return Err(Mp3Error::PartialSampleFrame { len: pcm.len(), channels });
        }
        let spf = self.frame[0].len();
        let mut frames = Vec::with_capacity((self.filled + pcm.len() / ch) / spf);
        for sample_frame in pcm.chunks_exact(ch) {
            for (c, &x) in sample_frame.iter().enumerate() {
                self.frame[c][self.filled] = if x.is_nan() { 0.0 } else { x.clamp(-1.0, 1.0) };
            }
            self.filled += 1;
            if self.filled == spf {
                frames.push(self.encode_frame()?);
            }
        }
        self.input_samples += (pcm.len() / ch) as u64;
        Ok(frames)
    }

    /// Ends the stream: pads the buffered input with silence and encodes
    /// frames until the decoder has put out every input sample (after the
    /// [`Self::encoder_delay`] priming), at least two frames in all (ffmpeg
    /// recognises an MP3 stream by two consecutive frames). Nothing if
    /// nothing was encoded. The encoder accepts nothing afterwards.
    pub fn flush(&mut self) -> Result<Vec<Mp3Frame>, Mp3Error> {
        if self.finished {
            return Err(Mp3Error::Finished);
        }
        self.finished = true;
        if self.input_samples == 0 {
            return Ok(Vec::new());
        }
        let spf = self.frame[0].len() as u64;
        let needed = (self.input_samples + u64::from(ENCODER_DELAY)).div_ceil(spf).max(2);
        let mut frames = Vec::new();
        while self.frames_encoded < needed {
            for channel in &mut self.frame[..usize::from(self.config.channels)] {
                channel[self.filled..].fill(0.0);
            }
            frames.push(self.encode_frame()?);
        }
        Ok(frames)
    }

    /// Encodes the full frame buffer.
    fn encode_frame(&mut self) -> Result<Mp3Frame, Mp3Error> {
        let channels = &self.frame[..usize::from(self.config.channels)];
        let data =
            self.inner.encode_frame(&self.header, channels, None).map_err(|e| Mp3Error::Encoder(e.to_string()))?;
        self.filled = 0;
        self.frames_encoded += 1;
        Ok(Mp3Frame { data, duration: self.samples_per_frame() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_legal_at_every_rate() {
        for rate in SAMPLE_RATES {
            for channels in [1, 2] {
                let config = Mp3EncoderConfig::new(rate, channels);
                assert_eq!(config.validate(), Ok(()), "{config:?}");
            }
        }
        assert_eq!(Mp3EncoderConfig::new(44_100, 1).bitrate, 128_000);
        assert_eq!(Mp3EncoderConfig::new(48_000, 2).bitrate, 192_000);
        assert_eq!(Mp3EncoderConfig::new(22_050, 2).bitrate, 96_000);
        assert_eq!(Mp3EncoderConfig::new(8_000, 1).bitrate, 32_000);
    }

    #[test]
    fn frames_are_whole_and_constant_size() {
        let mut enc = Mp3Encoder::new(Mp3EncoderConfig::new(48_000, 2)).unwrap();
        assert_eq!((enc.samples_per_frame(), enc.encoder_delay()), (1152, 1057));
        // 1000 sample frames: no frame yet; 2000 more: one.
        let tone: Vec<f32> = (0..6000).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
        assert!(enc.encode_f32(&tone[..2000]).unwrap().is_empty());
        let frames = enc.encode_f32(&tone[2000..]).unwrap();
        assert_eq!(frames.len(), 2);
        // 144 * 192000 / 48000 bytes, sync word first.
        assert!(frames.iter().all(|f| f.data.len() == 576 && f.data[0] == 0xff && f.duration == 1152));
        // 3000 input + 1057 priming = 4057 decoded samples: 4 frames.
        assert_eq!(enc.flush().unwrap().len(), 2);
        assert_eq!(enc.flush(), Err(Mp3Error::Finished));
        assert_eq!(enc.encode_f32(&[0.0, 0.0]), Err(Mp3Error::Finished));
    }

    #[test]
    fn mpeg2_rates_use_576_sample_frames() {
        let mut enc = Mp3Encoder::new(Mp3EncoderConfig::new(16_000, 1)).unwrap();
        assert_eq!(enc.samples_per_frame(), 576);
        let frames = enc.encode_f32(&[0.25; 576]).unwrap();
        // 72 * 64000 / 16000 bytes.
        assert_eq!((frames.len(), frames[0].data.len(), frames[0].duration), (1, 288, 576));
    }

    #[test]
    fn hostile_input_is_an_error_or_clipped_never_a_panic() {
        let mut enc = Mp3Encoder::new(Mp3EncoderConfig::new(32_000, 2)).unwrap();
        let e = enc.encode_f32(&[0.0; 3]).unwrap_err();
        assert_eq!(e, Mp3Error::PartialSampleFrame { len: 3, channels: 2 });
        assert_eq!(e.code(), "invalid-frame");
        let wild: Vec<f32> = (0..2 * 3000)
            .map(|i| [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e30, -7.0, f32::MIN_POSITIVE][i % 6])
            .collect();
        let mut frames = enc.encode_f32(&wild).unwrap();
        frames.extend(enc.flush().unwrap());
        assert_eq!(frames.len(), 4);
    }
}
