//! The audio core: PCM and the DSP on it (channel mapping, resampling and
//! levels), from the PCM a decoder or a microphone gives to the PCM an
//! encoder takes.
//!
//! ```text
//! PcmChunk -> AudioConverter -> PcmChunk -> encoder
//!             ChannelMixer, Resampler,
//!             Gain, Limiter
//! ```
//!
//! - [`pcm`]: [`PcmChunk`] (interleaved `f32`, see there why), [`SampleRate`],
//!   [`ChannelLayout`]; timestamps are counted in frames.
//! - [`resample`]: [`Resampler`], a polyphase windowed-sinc converter
//!   between any two rates up to 24:1 apart, time-aligned, exact length.
//! - [`mix`]: [`ChannelMixer`], mono/stereo both ways and BS.775 5.1
//!   down-mixes.
//! - [`levels`]: [`Gain`] and a look-ahead peak [`Limiter`].
//! - [`convert`]: [`AudioConverter`], the chain of the last three.
//!
//! Plain Rust, no JS: builds and tests natively and runs unchanged in wasm.
//! Decoding files to PCM is `crate::decode`'s; the encoders (`crate::codec`)
//! take this module's PCM types. This module imports neither.

pub mod convert;
pub mod levels;
pub mod mix;
pub mod pcm;
pub mod resample;

pub use convert::{AudioConverter, ConvertError, ConvertOptions};
pub use levels::{Gain, LevelsError, Limiter, LimiterOptions};
pub use mix::{ChannelMixer, MixError};
pub use pcm::{ChannelLayout, PcmChunk, PcmError, SampleRate, Surround51, MAX_CHANNELS, MAX_SAMPLE_RATE};
pub use resample::{ResampleError, Resampler};
