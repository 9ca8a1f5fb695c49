//! Containers: CMAF/fragmented MP4 and progressive MP4 writers, the
//! segmenter that cuts fragments, and the MP4 reader.

mod boxes;
pub mod cmaf;
pub mod error;
pub mod mp4;
pub mod ogg;
pub mod reader;
pub mod segmenter;
#[cfg(test)]
pub(crate) mod test_tracks;
mod types;

pub use error::MuxError;
pub use types::{Sample, TrackConfig};
