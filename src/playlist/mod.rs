//! Playlist writers: HLS (media, master, LL-HLS) and DASH MPD, generated
//! from plain lists of segments.

pub mod dash;
pub mod hls;
