//! Transcoding files: decoded input through a preset into new files.
//!
//! - [`audio`]: [`AudioTranscoder`], streamed audio transcoding (any input
//!   [`crate::decode::AudioDecoder`] reads to AAC, Opus, FLAC, WAV or MP3
//!   in the preset's container), and [`transcode_audio`] over
//!   `Read`/`Write`;
//! - [`video`] (features `h264` and `images`): [`transcode_video`], an
//!   H.264 input decoded once into a ladder of renditions in CMAF with
//!   HLS and DASH playlists, thumbnails, watermarks and clips.
//!
//! The encoder comes from [`crate::registry`], which live publishing uses
//! too.
//!
//! Plain Rust, no JS: the web layer (`src/web/transcode.rs`) feeds it from
//! JavaScript streams.

pub mod audio;
#[cfg(all(feature = "h264", feature = "images"))]
pub mod video;

pub use audio::{
    transcode_audio, transcode_audio_bytes, AudioTranscodeOptions, AudioTranscoder, OutputPatch, TranscodeError,
    TranscodeProgress, TranscodeSummary, OPEN_AHEAD, READ_AHEAD,
};
#[cfg(all(feature = "h264", feature = "images"))]
pub use video::{
    probe_video, transcode_video, ClipRange, InputProbe, RenditionOptions, RenditionSummary, ThumbnailOptions,
    VideoProgress, VideoSummary, VideoTranscodeError, VideoTranscodeOptions,
};
