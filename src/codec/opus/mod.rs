//! Opus (RFC 6716) audio: an encoder and a decoder over `opus-rs`, a pure
//! Rust port of libopus 1.6 (cargo feature `opus`), and what needs no
//! codec: the Opus identification header, packet durations and the
//! encoder settings. Ogg Opus files (RFC 7845) are written by
//! `mux::ogg::OggOpusWriter`.
//!
//! ```
//! use framecast::codec::opus::{OpusEncoder, OpusEncoderConfig};
//! use framecast::mux::ogg::OggOpusWriter;
//!
//! let mut enc = OpusEncoder::new(OpusEncoderConfig::new(48_000, 2))?;
//! let mut file = Vec::new();
//! let mut ogg = OggOpusWriter::new(1, enc.head(), &mut file);
//! let pcm = vec![0.0f32; 48_000 * 2]; // 1 s of interleaved stereo
//! for packet in enc.encode(&pcm)? {
//!     ogg.write_packet(&packet, &mut file)?;
//! }
//! let tail = enc.flush()?;
//! for packet in &tail.packets {
//!     ogg.write_packet(packet, &mut file)?;
//! }
//! ogg.finish(tail.end_pts, &mut file)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Why opus-rs and not libopus
//!
//! libopus would need a C build for wasm (build.rs work like OpenH264's);
//! opus-rs builds for wasm32 as it is and decodes too. Both were measured
//! on the same 10 s inputs (tests/audio_encode_opus_flac.rs; libopus is
//! Debian's, through ffmpeg `-c:a libopus -vbr off -compression_level
//! 10`), each decoded by ffmpeg. Quality is the spectral SNR defined in
//! that test (STFT magnitudes, blind to phase, which Opus does not keep):
//!
//! | input (48 kHz unless said), bitrate           | opus-rs | libopus |
//! |-----------------------------------------------|---------|---------|
//! | log sweep 20 Hz-20 kHz, mono, 96 kbit/s       | 32.2 dB | 32.2 dB |
//! | harmonic notes + noise bursts, stereo, 96 k   | 25.2 dB | 24.6 dB |
//! | log sweep, stereo, 128 kbit/s                 | 32.6 dB | 31.3 dB |
//! | log sweep, stereo, 96 kbit/s                  | 14.0 dB | 30.1 dB |
//! | log sweep 20 Hz-8 kHz, 16 kHz mono, 96 k      | 22.8 dB | 28.8 dB |
//!
//! opus-rs matches or beats libopus except in two places. (1) Stereo CELT
//! below 128 kbit/s turns a pure tone high in the spectrum into
//! decorrelated noise: from about 9 kHz up at 96 kbit/s, above about
//! 12 kHz at 104-112 kbit/s, not at all at 128 kbit/s; the same with any
//! complexity, VBR or CBR, 10 or 20 ms frames, and with identical
//! channels. It is an opus-rs encoder defect (ffmpeg's and libopus's
//! decoders agree on its packets); mono is not affected, nor is broadband
//! music (second row). Hence the default stereo bitrate of 128 kbit/s.
//! (2) At 16 kHz and below opus-rs always codes SILK (a speech coder;
//! its CELT runs only at 24 and 48 kHz) and spends about 55 kbit/s
//! whatever the target; libopus switches to CELT at high bitrates.
//!
//! Speed, encoding 60 s of 48 kHz stereo music-like audio at 96 kbit/s
//! on one thread of this 2-core machine, median of 3: 229x real time
//! natively (x86-64, opus-rs picks AVX2/FMA kernels at run time), 132x in
//! wasm under Node 20 (simd128 build); Debian's libopus through ffmpeg
//! (`ffmpeg -i in.wav -c:a libopus -b:a 96000 -compression_level 10 -f
//! null -`) about 115x, counting ffmpeg's user time.
//!
//! # Time
//!
//! Opus always decodes at 48 kHz, so packet times are 48 kHz ticks
//! ([`OPUS_TIMESCALE`]) whatever the input rate. The encoder delays its
//! output by its lookahead, [`OpusEncoder::pre_skip`] ticks (312, or 120
//! with [`OpusApplication::LowDelay`]): a decoder drops that many samples
//! from the start, and the container says so (OpusHead / `dOps`
//! `pre_skip`, or an MP4 edit list). [`OpusPacket::pts`] is therefore the
//! input time of a packet's first decoded sample and starts at
//! `-pre_skip`. [`OpusEncoder::flush`] pads the last frame with silence and
//! encodes enough to drain the lookahead, and returns where the input
//! really ended so the container can trim the padding.

use std::fmt;

mod head;

pub use head::{ChannelMappingTable, OpusHead, OpusHeadError};

use crate::error::{Coded, ErrorCode};

/// Ticks per second of every Opus time: Opus decodes at 48 kHz.
pub const OPUS_TIMESCALE: u32 = 48_000;

/// Input sample rates Opus accepts, in Hz.
pub const SAMPLE_RATES: [u32; 5] = [8_000, 12_000, 16_000, 24_000, 48_000];

/// Lowest and highest bitrate accepted, bit/s. Below 6 kbit/s the encoder
/// only emits packet-loss placeholders; above 510 kbit/s Opus gains
/// nothing.
pub const BITRATE_RANGE: std::ops::RangeInclusive<u32> = 6_000..=510_000;

/// The largest packet: 60 ms as three 20 ms frames of at most 1275 bytes
/// each, plus framing (RFC 6716 section 3.2.5).
#[cfg(feature = "opus")]
const MAX_PACKET: usize = 3 * 1275 + 7;

/// Longest audio in one packet, 48 kHz ticks (120 ms, RFC 6716).
const MAX_PACKET_TICKS: u32 = 5_760;

/// What went wrong in the Opus encoder, decoder or packet parser.
///
/// `InvalidConfig`, `PartialSampleFrame` and `InvalidPacket` are caller
/// errors that leave the encoder or decoder usable. `Finished` means
/// [`OpusEncoder::flush`] was already called. `Encoder` is an internal
/// opus-rs failure that validation should have prevented: drop the
/// encoder. `Decoder` means a packet did not decode; the decoder stays
/// usable.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpusError {
    /// A configuration field is out of range. Names the field, what it
    /// must be and what it was.
    InvalidConfig {
        /// The field, e.g. `bitrate` or `complexity`.
        field: &'static str,
        /// What is allowed, e.g. `between 6000 and 510000 bit/s`.
        expected: String,
        /// The value given, in the same unit, as text.
        got: String,
    },
    /// Interleaved input whose length is not a multiple of the channel
    /// count.
    PartialSampleFrame {
        /// Length of the interleaved input, in samples (all channels).
        len: usize,
        /// The configured channel count, 1 or 2.
        channels: u8,
    },
    /// `encode` or `flush` after `flush`.
    Finished,
    /// opus-rs refused to encode a frame.
    Encoder(&'static str),
    /// opus-rs could not decode a packet.
    Decoder(&'static str),
    /// A packet is not a valid Opus packet (RFC 6716 section 3).
    InvalidPacket(&'static str),
}

impl fmt::Display for OpusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpusError::InvalidConfig { field, expected, got } => {
                write!(f, "opus.{field} must be {expected}, got {got}")
            }
            OpusError::PartialSampleFrame { len, channels } => {
                write!(f, "{len} interleaved samples is not a whole number of {channels}-channel sample frames")
            }
            OpusError::Finished => write!(f, "the Opus encoder was already flushed"),
            OpusError::Encoder(why) => write!(f, "Opus encoder failed: {why}"),
            OpusError::Decoder(why) => write!(f, "cannot decode Opus packet: {why}"),
            OpusError::InvalidPacket(why) => write!(f, "invalid Opus packet: {why}"),
        }
    }
}

impl std::error::Error for OpusError {}

impl Coded for OpusError {
    fn code(&self) -> ErrorCode {
        match self {
            OpusError::InvalidConfig { .. } => ErrorCode::InvalidConfig,
            OpusError::PartialSampleFrame { .. } => ErrorCode::InvalidFrame,
            OpusError::Finished => ErrorCode::InvalidState,
            OpusError::Encoder(_) => ErrorCode::EncodeError,
            OpusError::Decoder(_) | OpusError::InvalidPacket(_) => ErrorCode::DecodeError,
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            OpusError::InvalidConfig { field, .. } => Some((*field).to_string()),
            _ => None,
        }
    }
}

/// What the encoder is tuned for (libopus's `OPUS_APPLICATION_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpusApplication {
    /// Music and mixed content: CELT at high bitrates, SILK/hybrid at low
    /// ones. The default.
    #[default]
    Audio,
    /// Speech: favours SILK, high-pass filters the input.
    Voip,
    /// CELT only, 2.5 ms lookahead instead of 6.5 ms; the only choice for
    /// frames shorter than 10 ms.
    LowDelay,
}

/// Audio per packet. Longer frames cost fewer bits of overhead, shorter
/// ones less latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpusFrameDuration {
    /// 2.5 ms (CELT only: needs [`OpusApplication::LowDelay`]).
    Ms2_5,
    /// 5 ms (CELT only: needs [`OpusApplication::LowDelay`]).
    Ms5,
    /// 10 ms.
    Ms10,
    /// 20 ms, the default.
    #[default]
    Ms20,
    /// 40 ms.
    Ms40,
    /// 60 ms.
    Ms60,
}

impl OpusFrameDuration {
    /// Every duration, shortest first.
    pub const ALL: [OpusFrameDuration; 6] = [Self::Ms2_5, Self::Ms5, Self::Ms10, Self::Ms20, Self::Ms40, Self::Ms60];

    /// The duration in microseconds.
    pub fn micros(self) -> u32 {
        match self {
            Self::Ms2_5 => 2_500,
            Self::Ms5 => 5_000,
            Self::Ms10 => 10_000,
            Self::Ms20 => 20_000,
            Self::Ms40 => 40_000,
            Self::Ms60 => 60_000,
        }
    }

    /// The duration of `micros` microseconds, if Opus has it.
    pub fn from_micros(micros: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.micros() == micros)
    }

    /// Samples per channel in one frame at `sample_rate` Hz.
    pub fn samples(self, sample_rate: u32) -> usize {
        (u64::from(sample_rate) * u64::from(self.micros()) / 1_000_000) as usize
    }
}

/// Encoder settings. Build with [`OpusEncoderConfig::new`] and change
/// fields; [`OpusEncoder::new`] validates them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusEncoderConfig {
    /// Input sample rate, Hz: 8000, 12000, 16000, 24000 or 48000. Other
    /// rates must be resampled first.
    pub sample_rate: u32,
    /// 1 (mono) or 2 (stereo, interleaved left, right).
    pub channels: u8,
    /// Target bitrate, bit/s, in [`BITRATE_RANGE`]. Default 64 kbit/s per
    /// channel (128 kbit/s stereo: see the module docs for why not 96).
    pub bitrate: u32,
    /// Audio per packet. Default 20 ms.
    pub frame_duration: OpusFrameDuration,
    /// Default [`OpusApplication::Audio`].
    pub application: OpusApplication,
    /// 0 (fastest) to 10 (best). Default 10.
    pub complexity: u8,
    /// Variable bitrate (default `true`); `false` makes every packet of a
    /// given duration the same size.
    pub vbr: bool,
}

impl OpusEncoderConfig {
    /// Defaults for `channels` channels at `sample_rate` Hz.
    pub fn new(sample_rate: u32, channels: u8) -> Self {
        OpusEncoderConfig {
            sample_rate,
            channels,
            bitrate: 64_000 * u32::from(channels.clamp(1, 2)),
            frame_duration: OpusFrameDuration::Ms20,
            application: OpusApplication::Audio,
            complexity: 10,
            vbr: true,
        }
    }

    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), OpusError> {
        let bad = |field, expected: &str, got: String| {
            Err(OpusError::InvalidConfig { field, expected: expected.into(), got })
        };
        if !SAMPLE_RATES.contains(&self.sample_rate) {
            return bad("sample_rate", "8000, 12000, 16000, 24000 or 48000 Hz", self.sample_rate.to_string());
        }
        if !(1..=2).contains(&self.channels) {
            return bad("channels", "1 or 2", self.channels.to_string());
        }
        if !BITRATE_RANGE.contains(&self.bitrate) {
            return bad("bitrate", "between 6000 and 510000 bit/s", self.bitrate.to_string());
        }
        if self.complexity > 10 {
            return bad("complexity", "between 0 and 10", self.complexity.to_string());
        }
        if self.frame_duration.micros() < 10_000 && self.application != OpusApplication::LowDelay {
            return bad(
                "frame_duration",
                "10 ms or longer unless application is LowDelay (2.5 and 5 ms frames are CELT-only)",
                format!("{} us with {:?}", self.frame_duration.micros(), self.application),
            );
        }
        Ok(())
    }
}

/// One encoded packet. Times are in 48 kHz ticks ([`OPUS_TIMESCALE`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpusPacket {
    /// The packet (TOC byte first), as stored in Ogg or an MP4 sample.
    pub data: Vec<u8>,
    /// Input time of the packet's first decoded sample: the packet's
    /// decode position minus the pre-skip, so the first packet has
    /// `-pre_skip`.
    pub pts: i64,
    /// Decoded samples per channel (the frame duration).
    pub duration: u32,
}

/// The end of a stream, from [`OpusEncoder::flush`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpusFlush {
    /// The last packets: the buffered input padded with silence, and
    /// enough more to drain the encoder's lookahead.
    pub packets: Vec<OpusPacket>,
    /// Where the input ended, 48 kHz ticks from the first input sample.
    /// Decoded audio after it is padding, to trim (Ogg's last granule
    /// position, or the MP4 edit list's duration).
    pub end_pts: i64,
}

/// Replaces NaN by silence and clips to full scale (opus-rs's float input
/// is meant for -1..1).
#[cfg(feature = "opus")]
fn sanitize(x: f32) -> f32 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(-1.0, 1.0)
    }
}

/// An Opus encoder for interleaved `f32` PCM of any length: it buffers up to
/// one frame and emits a packet per complete frame.
#[cfg(feature = "opus")]
pub struct OpusEncoder {
    config: OpusEncoderConfig,
    inner: opus_rs::OpusEncoder,
    /// Samples per channel per frame at the input rate.
    frame_len: usize,
    /// One frame of interleaved input being filled.
    frame: Vec<f32>,
    filled: usize,
    /// Output scratch for one packet.
    out: Vec<u8>,
    frames_encoded: u64,
    /// Input samples per channel accepted so far.
    input_samples: u64,
    finished: bool,
}

#[cfg(feature = "opus")]
impl fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpusEncoder")
            .field("config", &self.config)
            .field("frames_encoded", &self.frames_encoded)
            .field("input_samples", &self.input_samples)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "opus")]
impl OpusEncoder {
    /// An encoder for `config`, validated first.
    pub fn new(config: OpusEncoderConfig) -> Result<Self, OpusError> {
        config.validate()?;
        let application = match config.application {
            OpusApplication::Audio => opus_rs::Application::Audio,
            OpusApplication::Voip => opus_rs::Application::Voip,
            OpusApplication::LowDelay => opus_rs::Application::RestrictedLowDelay,
        };
        let mut inner = opus_rs::OpusEncoder::new(config.sample_rate as i32, usize::from(config.channels), application)
            .map_err(OpusError::Encoder)?;
        inner.bitrate_bps = config.bitrate as i32;
        inner.complexity = i32::from(config.complexity);
        inner.use_cbr = !config.vbr;
        let frame_len = config.frame_duration.samples(config.sample_rate);
        Ok(OpusEncoder {
            config,
            inner,
            frame_len,
            frame: vec![0.0; frame_len * usize::from(config.channels)],
            filled: 0,
            out: vec![0; MAX_PACKET],
            frames_encoded: 0,
            input_samples: 0,
            finished: false,
        })
    }

    /// The validated configuration.
    pub fn config(&self) -> &OpusEncoderConfig {
        &self.config
    }

    /// The encoder's lookahead in 48 kHz samples: what a decoder drops from
    /// the start (OpusHead / `dOps` `pre_skip`). 312 (6.5 ms: CELT's 2.5 ms
    /// overlap plus libopus's 4 ms delay compensation) or 120 with
    /// [`OpusApplication::LowDelay`]. Checked against decoded output in
    /// this module's tests at every input rate.
    pub fn pre_skip(&self) -> u16 {
        match self.config.application {
            OpusApplication::LowDelay => 120,
            _ => 312,
        }
    }

    /// Packet duration in 48 kHz ticks.
    pub fn frame_ticks(&self) -> u32 {
        self.config.frame_duration.samples(OPUS_TIMESCALE) as u32
    }

    /// The identification header: for Ogg, and `dOps` through
    /// [`OpusHead::codec_config`].
    pub fn head(&self) -> OpusHead {
        OpusHead {
            channels: self.config.channels,
            pre_skip: self.pre_skip(),
            input_sample_rate: self.config.sample_rate,
            output_gain: 0,
        }
    }

    /// Input ticks (48 kHz) per input sample.
    fn ticks_per_sample(&self) -> u64 {
        u64::from(OPUS_TIMESCALE / self.config.sample_rate)
    }

    /// Encodes interleaved samples (nominally -1..1; NaN becomes silence and
    /// values beyond full scale are clipped). Any whole number of sample
    /// frames is accepted: what does not fill a frame waits for the next
    /// call or for [`Self::flush`].
    pub fn encode(&mut self, pcm: &[f32]) -> Result<Vec<OpusPacket>, OpusError> {
        if self.finished {
            return Err(OpusError::Finished);
        }
        let channels = self.config.channels;
        if pcm.len() % usize::from(channels) != 0 {
            return Err(OpusError::PartialSampleFrame { len: pcm.len(), channels });
        }
        let mut packets = Vec::with_capacity((self.filled + pcm.len()) / self.frame.len());
        let mut rest = pcm;
        while !rest.is_empty() {
            let take = (self.frame.len() - self.filled).min(rest.len());
            for (dst, &src) in self.frame[self.filled..self.filled + take].iter_mut().zip(&rest[..take]) {
                *dst = sanitize(src);
            }
            self.filled += take;
            rest = &rest[take..];
            if self.filled == self.frame.len() {
                packets.push(self.encode_frame()?);
            }
        }
        self.input_samples += (pcm.len() / usize::from(channels)) as u64;
        Ok(packets)
    }

    /// Ends the stream: pads the buffered input with silence, encodes
    /// enough frames to get the lookahead out, and says where the input
    /// ended. The encoder accepts nothing afterwards.
    pub fn flush(&mut self) -> Result<OpusFlush, OpusError> {
        if self.finished {
            return Err(OpusError::Finished);
        }
        self.finished = true;
        let lookahead = u64::from(self.pre_skip()) / self.ticks_per_sample();
        let needed = (self.input_samples + lookahead).div_ceil(self.frame_len as u64);
        let mut packets = Vec::new();
        while self.frames_encoded < needed {
            self.frame[self.filled..].fill(0.0);
            self.filled = self.frame.len();
            packets.push(self.encode_frame()?);
        }
        let end_pts = (self.input_samples * self.ticks_per_sample()) as i64;
        Ok(OpusFlush { packets, end_pts })
    }

    /// Encodes the full frame buffer.
    fn encode_frame(&mut self) -> Result<OpusPacket, OpusError> {
        let len = self.inner.encode(&self.frame, self.frame_len, &mut self.out).map_err(OpusError::Encoder)?;
        self.filled = 0;
        let duration = self.frame_ticks();
        let pts = self.frames_encoded as i64 * i64::from(duration) - i64::from(self.pre_skip());
        self.frames_encoded += 1;
        Ok(OpusPacket { data: self.out[..len].to_vec(), pts, duration })
    }
}

/// Samples per channel (48 kHz ticks) that `packet` decodes to, from its
/// TOC byte and frame count (RFC 6716 section 3.1). Checks only the
/// framing, not the frames.
pub fn packet_duration(packet: &[u8]) -> Result<u32, OpusError> {
    let toc = *packet.first().ok_or(OpusError::InvalidPacket("empty"))?;
    let config = toc >> 3;
    let frame: u32 = match config {
        0..=11 => [480, 960, 1920, 2880][usize::from(config % 4)],
        12..=15 => [480, 960][usize::from(config % 2)],
        _ => [120, 240, 480, 960][usize::from(config % 4)],
    };
    let frames = match toc & 3 {
        0 => 1,
        1 | 2 => 2,
        _ => {
            let count = packet.get(1).ok_or(OpusError::InvalidPacket("code 3 packet without a frame count"))? & 0x3f;
            if count == 0 {
                return Err(OpusError::InvalidPacket("code 3 packet with 0 frames"));
            }
            u32::from(count)
        }
    };
    let total = frame * frames;
    if total > MAX_PACKET_TICKS {
        return Err(OpusError::InvalidPacket("more than 120 ms of audio"));
    }
    Ok(total)
}

/// An Opus decoder: packets in, interleaved `f32` PCM out at a chosen rate
/// (Opus decodes natively at 48 kHz; lower rates are for SILK-only
/// material). Used to check our encoder and to transcode Opus input.
#[cfg(feature = "opus")]
pub struct OpusDecoder {
    inner: opus_rs::OpusDecoder,
    sample_rate: u32,
    channels: u8,
    out: Vec<f32>,
}

#[cfg(feature = "opus")]
impl fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpusDecoder")
            .field("sample_rate", &self.sample_rate)
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "opus")]
impl OpusDecoder {
    /// A decoder producing `channels` (1 or 2) channels at `sample_rate`
    /// (one of [`SAMPLE_RATES`]; 48000 for full quality). A stereo decoder
    /// plays mono packets on both channels; a mono one downmixes stereo
    /// packets.
    pub fn new(sample_rate: u32, channels: u8) -> Result<Self, OpusError> {
        let bad = |field, expected: &str, got: String| {
            Err(OpusError::InvalidConfig { field, expected: expected.into(), got })
        };
        if !SAMPLE_RATES.contains(&sample_rate) {
            return bad("sample_rate", "8000, 12000, 16000, 24000 or 48000 Hz", sample_rate.to_string());
        }
        if !(1..=2).contains(&channels) {
            return bad("channels", "1 or 2", channels.to_string());
        }
        let inner = opus_rs::OpusDecoder::new(sample_rate as i32, usize::from(channels)).map_err(OpusError::Decoder)?;
        let max = (u64::from(MAX_PACKET_TICKS) * u64::from(sample_rate) / u64::from(OPUS_TIMESCALE)) as usize;
        Ok(OpusDecoder { inner, sample_rate, channels, out: vec![0.0; max * usize::from(channels)] })
    }

    /// Output rate, Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Output channels.
    pub fn channels(&self) -> u8 {
        self.channels
    }

    /// Decodes one packet to interleaved samples. The caller drops the
    /// stream's pre-skip from the start (scaled to the output rate) and
    /// trims the end.
    pub fn decode(&mut self, packet: &[u8]) -> Result<Vec<f32>, OpusError> {
        let ticks = packet_duration(packet)?;
        let samples = (u64::from(ticks) * u64::from(self.sample_rate) / u64::from(OPUS_TIMESCALE)) as usize;
        let n = self.inner.decode(packet, samples, &mut self.out).map_err(OpusError::Decoder)?;
        let len = n.min(samples) * usize::from(self.channels);
        Ok(self.out[..len].to_vec())
    }
}

#[cfg(all(test, feature = "opus"))]
mod tests {
    use super::*;
    use crate::codec::CodecConfig;
    use crate::xorshift::XorShift;

    fn config(rate: u32, channels: u8) -> OpusEncoderConfig {
        OpusEncoderConfig::new(rate, channels)
    }

    /// A sine at `hz` with a slow amplitude wobble, interleaved.
    fn tone(rate: u32, channels: u8, secs: f64, hz: f64) -> Vec<f32> {
        let n = (f64::from(rate) * secs) as usize;
        let mut v = Vec::with_capacity(n * usize::from(channels));
        for i in 0..n {
            let t = i as f64 / f64::from(rate);
            let x = 0.4 * (2.0 * std::f64::consts::PI * hz * t).sin() * (1.0 + 0.3 * (6.0 * t).sin());
            for c in 0..channels {
                v.push((x * if c == 0 { 1.0 } else { 0.7 }) as f32);
            }
        }
        v
    }

    #[test]
    fn validation_names_the_field_value_and_range() {
        let err = |c: OpusEncoderConfig| match c.validate() {
            Err(OpusError::InvalidConfig { field, expected, got }) => (field, expected, got),
            other => panic!("expected InvalidConfig, got {other:?}"),
        };
        let (field, expected, got) = err(config(44_100, 2));
        assert_eq!((field, got.as_str()), ("sample_rate", "44100"));
        assert!(expected.contains("48000"));
        assert_eq!(err(config(48_000, 3)).0, "channels");
        assert_eq!(err(config(48_000, 0)).0, "channels");
        assert_eq!(err(OpusEncoderConfig { bitrate: 5_999, ..config(48_000, 2) }).0, "bitrate");
        assert_eq!(err(OpusEncoderConfig { bitrate: 510_001, ..config(48_000, 2) }).0, "bitrate");
        assert_eq!(err(OpusEncoderConfig { complexity: 11, ..config(48_000, 2) }).0, "complexity");
        let short = OpusEncoderConfig { frame_duration: OpusFrameDuration::Ms5, ..config(48_000, 2) };
        assert_eq!(err(short).0, "frame_duration");
        let msg = OpusError::InvalidConfig { field: "bitrate", expected: "x".into(), got: "1".into() }.to_string();
        assert_eq!(msg, "opus.bitrate must be x, got 1");
        assert!(OpusEncoder::new(config(44_100, 1)).is_err());
        assert!(matches!(OpusDecoder::new(44_100, 2), Err(OpusError::InvalidConfig { field: "sample_rate", .. })));
        assert!(matches!(OpusDecoder::new(48_000, 3), Err(OpusError::InvalidConfig { field: "channels", .. })));
        OpusEncoderConfig { application: OpusApplication::LowDelay, ..short }.validate().unwrap();
    }

    /// Every configuration that validates must encode: validation is the
    /// only guard against opus-rs's own refusals.
    #[test]
    fn every_valid_rate_duration_and_application_encodes() {
        for rate in SAMPLE_RATES {
            for channels in [1, 2] {
                for frame_duration in OpusFrameDuration::ALL {
                    for application in [OpusApplication::Audio, OpusApplication::Voip, OpusApplication::LowDelay] {
                        for bitrate in [6_000, 64_000, 510_000] {
                            let c =
                                OpusEncoderConfig { frame_duration, application, bitrate, ..config(rate, channels) };
                            if c.validate().is_err() {
                                continue;
                            }
                            let mut enc = OpusEncoder::new(c).unwrap();
                            let pcm = tone(rate, channels, 0.07, 440.0);
                            let mut packets = enc.encode(&pcm).unwrap_or_else(|e| panic!("{c:?}: {e}"));
                            packets.extend(enc.flush().unwrap_or_else(|e| panic!("{c:?}: {e}")).packets);
                            for p in &packets {
                                assert_eq!(packet_duration(&p.data), Ok(p.duration), "{c:?}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn odd_input_lengths_give_the_same_packets_as_one_call() {
        let c = config(48_000, 2);
        let pcm = tone(48_000, 2, 0.5, 1000.0);
        let mut whole = OpusEncoder::new(c).unwrap();
        let mut a = whole.encode(&pcm).unwrap();
        a.extend(whole.flush().unwrap().packets);
        let mut pieces = OpusEncoder::new(c).unwrap();
        let mut b = Vec::new();
        let mut rest = &pcm[..];
        for len in [2usize, 0, 14, 1918, 1920, 6, 3842].iter().cycle() {
            let take = (*len).min(rest.len());
            b.extend(pieces.encode(&rest[..take]).unwrap());
            rest = &rest[take..];
            if rest.is_empty() {
                break;
            }
        }
        let tail = pieces.flush().unwrap();
        b.extend(tail.packets);
        assert_eq!(a, b);
        // 24 000 input samples + 312 of lookahead need 26 frames of 960.
        assert_eq!(b.len(), 26);
        assert_eq!(tail.end_pts, 24_000);
        for (i, p) in b.iter().enumerate() {
            assert_eq!((p.pts, p.duration), (i as i64 * 960 - 312, 960));
        }
        assert_eq!(pieces.encode(&[0.0, 0.0]), Err(OpusError::Finished));
        assert_eq!(pieces.flush(), Err(OpusError::Finished));
        let mut fresh = OpusEncoder::new(c).unwrap();
        assert_eq!(fresh.encode(&[0.0; 3]), Err(OpusError::PartialSampleFrame { len: 3, channels: 2 }));
        // A rejected call consumes nothing.
        assert!(fresh.encode(&[0.0; 2]).unwrap().is_empty());
    }

    #[test]
    fn flush_of_an_empty_stream_drains_the_lookahead() {
        let mut enc = OpusEncoder::new(config(16_000, 1)).unwrap();
        let tail = enc.flush().unwrap();
        assert_eq!(tail.end_pts, 0);
        assert_eq!(tail.packets.len(), 1);
        // Exactly a frame's worth of input plus lookahead spills into a
        // second frame.
        let mut enc = OpusEncoder::new(config(16_000, 1)).unwrap();
        assert_eq!(enc.encode(&[0.1; 320]).unwrap().len(), 1);
        let tail = enc.flush().unwrap();
        assert_eq!((tail.packets.len(), tail.end_pts), (1, 960));
    }

    #[test]
    fn hostile_samples_do_not_panic() {
        let mut rng = XorShift::new(7);
        let mut enc = OpusEncoder::new(config(48_000, 2)).unwrap();
        let mut pcm: Vec<f32> = (0..48_000 * 2).map(|_| (rng.unit() as f32 - 0.5) * 1e6).collect();
        for (i, x) in pcm.iter_mut().enumerate().step_by(97) {
            *x = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::MAX, 0.0][i % 5];
        }
        let packets = enc.encode(&pcm).unwrap();
        assert_eq!(packets.len(), 50);
        let mut dec = OpusDecoder::new(48_000, 2).unwrap();
        for p in &packets {
            assert!(dec.decode(&p.data).unwrap().iter().all(|s| s.is_finite()));
        }
    }

    #[test]
    fn hostile_packets_do_not_panic() {
        let mut rng = XorShift::new(11);
        let mut dec = OpusDecoder::new(48_000, 2).unwrap();
        let mut ok = 0;
        for i in 0..3000 {
            let len = rng.below(if i % 10 == 0 { 1500 } else { 80 });
            let packet: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            if dec.decode(&packet).is_ok() {
                ok += 1;
            }
        }
        assert!(ok > 0, "random packets with valid framing decode (to noise)");
        assert_eq!(dec.decode(&[]), Err(OpusError::InvalidPacket("empty")));
    }

    #[test]
    fn packet_durations_follow_the_toc() {
        // CELT 20 ms (config 31), code 0.
        assert_eq!(packet_duration(&[31 << 3]), Ok(960));
        // SILK 60 ms (config 3), code 1: two frames.
        assert_eq!(packet_duration(&[(3 << 3) | 1]), Ok(5760));
        // CELT 2.5 ms (config 16), code 3 with 48 frames: 120 ms.
        assert_eq!(packet_duration(&[(16 << 3) | 3, 48]), Ok(5760));
        assert!(packet_duration(&[(16 << 3) | 3, 49]).is_err());
        assert!(packet_duration(&[(16 << 3) | 3, 0]).is_err());
        assert!(packet_duration(&[(16 << 3) | 3]).is_err());
        // Hybrid 10 ms (config 12).
        assert_eq!(packet_duration(&[12 << 3]), Ok(480));
    }

    /// Best lag of `y` against `x` (one channel of each, interleaved) within
    /// +-`max`, by normalised cross-correlation.
    fn best_lag(x: &[f32], y: &[f32], channels: usize, max: i64) -> i64 {
        let n = x.len() / channels;
        (-max..=max)
            .max_by(|&a, &b| {
                let score = |lag: i64| {
                    let (mut xy, mut yy) = (0f64, 1e-9f64);
                    for i in n / 4..3 * n / 4 {
                        let j = i as i64 + lag;
                        if j >= 0 && ((j as usize) * channels) < y.len() {
                            let (a, b) = (f64::from(x[i * channels]), f64::from(y[j as usize * channels]));
                            xy += a * b;
                            yy += b * b;
                        }
                    }
                    xy / yy.sqrt()
                };
                score(a).total_cmp(&score(b))
            })
            .unwrap_or(0)
    }

    /// Decoded output minus the pre-skip lines up with the input at every
    /// rate and application: the pre-skip we announce is the real delay.
    #[test]
    fn pre_skip_is_the_real_delay() {
        for rate in SAMPLE_RATES {
            for application in [OpusApplication::Audio, OpusApplication::LowDelay] {
                let c = OpusEncoderConfig { application, ..config(rate, 1) };
                let mut enc = OpusEncoder::new(c).unwrap();
                // A chirp-like tone: unambiguous lag.
                let n = rate as usize / 2;
                let pcm: Vec<f32> = (0..n)
                    .map(|i| {
                        let t = i as f64 / f64::from(rate);
                        (0.5 * (2.0 * std::f64::consts::PI * (200.0 * t + 1500.0 * t * t)).sin()) as f32
                    })
                    .collect();
                let mut packets = enc.encode(&pcm).unwrap();
                packets.extend(enc.flush().unwrap().packets);
                let mut dec = OpusDecoder::new(rate, 1).unwrap();
                let mut out = Vec::new();
                for p in &packets {
                    out.extend(dec.decode(&p.data).unwrap());
                }
                let skip = usize::from(enc.pre_skip()) * rate as usize / 48_000;
                assert!(out.len() >= skip + n);
                let lag = best_lag(&pcm, &out[skip..], 1, 8);
                assert!(lag.abs() <= 1, "{rate} Hz {application:?}: lag {lag} samples after pre-skip");
            }
        }
    }

    #[test]
    fn opus_head_bytes_and_codec_config() {
        let enc = OpusEncoder::new(config(16_000, 1)).unwrap();
        let head = enc.head();
        assert_eq!(head.to_bytes(), b"OpusHead\x01\x01\x38\x01\x80\x3e\x00\x00\x00\x00\x00".to_vec());
        assert_eq!(
            head.codec_config(),
            CodecConfig::Opus { channels: 1, pre_skip: 312, input_sample_rate: 16_000, output_gain: 0 }
        );
        assert_eq!(head.codec_config().codec_string().unwrap(), "opus");
    }
}
