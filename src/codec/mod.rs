//! Codecs: encoders and decoders behind plain-data interfaces.

pub mod aac;
pub mod aac_encoder;
pub mod flac;
pub mod h264;
pub mod ogg;
pub mod opus;
