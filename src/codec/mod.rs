//! Codecs: encoders and decoders behind plain-data interfaces.

pub mod aac;
pub mod audio_encode;
pub mod bits;
mod config;
pub mod flac;
pub mod h264;
#[cfg(feature = "mp3")]
pub mod mp3;
pub mod opus;
pub mod pcm;

pub use config::{CodecConfig, CodecConfigError, TrackKind};
