//! Containers, both directions: CMAF/fragmented MP4 and progressive MP4
//! writers, the segmenter that cuts fragments, the MP4 reader, and the
//! audio file formats around a codec's own stream.
//!
//! - [`cmaf`], [`mp4`]: MP4 writers; [`segmenter`]: fragments cut at
//!   keyframes, announced to listeners; [`reader`]: MP4 in; [`walk`]: the
//!   box walker every MP4 reader uses; [`mkv`]: Matroska and WebM in.
//! - [`chunk`]: encoded chunks as encoders hand them over (H.264 in
//!   either framing, µs times, durations optional) made into [`Sample`]s.
//! - [`sink`]: where outputs go (memory, a callback, a directory), and the
//!   listener that puts a segmenter's output there.
//! - [`aes`]: HLS AES-128 segment encryption (CBC, PKCS#7) and the
//!   default IV.
//! - [`ts`]: MPEG-2 transport streams (HLSv3 segments), muxer and demuxer.
//! - [`ogg`]: Ogg pages and Ogg Opus; [`flac`]: the `.flac` file (its
//!   `fLaC` marker and metadata in front of the frames); [`wav`]: RIFF WAVE
//!   around PCM. An `.mp3` file needs no writer: it is its frames back to
//!   back.
//!
//! The codecs' configuration records ([`crate::codec::CodecConfig`]) come
//! from `crate::codec`; nothing here encodes or decodes.

pub mod aes;
mod boxes;
pub mod chunk;
pub mod cmaf;
pub mod error;
#[cfg(feature = "flac")]
pub mod flac;
pub mod mkv;
pub mod mp4;
pub mod ogg;
pub mod reader;
pub mod segmenter;
pub mod sink;
#[cfg(test)]
pub(crate) mod test_tracks;
pub mod ts;
mod types;
pub mod walk;
pub mod wav;

pub use error::MuxError;
pub use types::{Sample, TrackConfig};
