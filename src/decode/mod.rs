//! File decoding: compressed input to PCM (and, next, to pictures).
//!
//! - [`audio`]: [`AudioDecoder`], streaming AAC/MP3/FLAC/Vorbis/ALAC/PCM
//!   decoding with Symphonia from MP4, Matroska, Ogg, WAV, AIFF, CAF and raw
//!   streams, with gapless trimming (MP4 edit lists are read with
//!   [`crate::mux`]'s box walker) and typed errors for damaged input;
//!   Opus in Ogg and Matroska/WebM through [`crate::mux::ogg`],
//!   [`crate::mux::mkv`] and framecast's Opus decoder.
//!
//! ```text
//! bytes -> AudioDecoder -> PcmChunk -> crate::audio::AudioConverter -> encoder
//!           (Symphonia)
//! ```
//!
//! Plain Rust, no JS: builds and tests natively and runs unchanged in wasm.

pub mod audio;
mod guard;
mod mp4_edits;
#[cfg(feature = "opus")]
mod opus;

pub use audio::{AudioDecodeError, AudioDecoder, DecodeOptions, DecodeStats, SourceCodec, SourceContainer, SourceInfo};
