//! The audio core: decoding, channel mapping, resampling and levels, from
//! any input framecast reads to the PCM an encoder takes.
//!
//! ```text
//! bytes -> AudioDecoder -> PcmChunk -> AudioConverter -> PcmChunk -> encoder
//!           (Symphonia)                 ChannelMixer, Resampler,
//!                                       Gain, Limiter
//! ```
//!
//! - [`pcm`]: [`PcmChunk`] (interleaved `f32`, see there why), [`SampleRate`],
//!   [`ChannelLayout`]; timestamps are counted in frames.
//! - [`decode`]: [`AudioDecoder`], streaming AAC/MP3/FLAC/Vorbis/ALAC/PCM
//!   decoding from MP4, Matroska, Ogg, WAV, AIFF, CAF and raw streams, with
//!   gapless trimming and typed errors for damaged input.
//! - [`resample`]: [`Resampler`], a polyphase windowed-sinc converter
//!   between any two rates up to 24:1 apart, time-aligned, exact length.
//! - [`mix`]: [`ChannelMixer`], mono/stereo both ways and BS.775 5.1
//!   down-mixes.
//! - [`levels`]: [`Gain`] and a look-ahead peak [`Limiter`].
//! - [`convert`]: [`AudioConverter`], the chain of the last three.
//!
//! Plain Rust, no JS: builds and tests natively and runs unchanged in wasm.
//! The encoders live in [`crate::codec`] and do not depend on this module.

pub mod convert;
pub mod decode;
mod guard;
pub mod levels;
pub mod mix;
mod mp4_edits;
pub mod pcm;
pub mod resample;

pub use convert::{AudioConverter, ConvertError, ConvertOptions};
pub use decode::{AudioCodec, AudioDecodeError, AudioDecoder, AudioInfo, Container, DecodeOptions, DecodeStats};
pub use levels::{Gain, LevelsError, Limiter, LimiterOptions};
pub use mix::{ChannelMixer, MixError};
pub use pcm::{ChannelLayout, PcmChunk, PcmError, SampleRate, Surround51, MAX_CHANNELS, MAX_SAMPLE_RATE};
pub use resample::{ResampleError, Resampler};
