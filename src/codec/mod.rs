//! Codecs: encoders and decoders behind plain-data interfaces.

pub mod h264;
