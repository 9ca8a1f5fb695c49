//! Codecs: encoders and decoders behind plain-data interfaces.

pub mod aac;
pub mod h264;
