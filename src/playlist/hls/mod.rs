//! HLS writers: media playlists (VOD, EVENT, live sliding window and
//! LL-HLS, RFC 8216 and its successor rfc8216bis), multivariant (master)
//! playlists, and the bookkeeping for LL-HLS blocking playlist reload.
//! One file per concern: the media playlist's state (`media`), its options
//! (`options`), its text (`render`), LL-HLS delivery directives and blocking
//! reload (`directives`), and multivariant playlists (`multivariant`); every
//! item is re-exported here.
//!
//! A [`MediaPlaylist`] listens to a segmenter: [`MediaPlaylist::push`] a
//! finished segment, [`MediaPlaylist::push_part`] a finished part (LL-HLS),
//! [`MediaPlaylist::finish`] at the end, [`MediaPlaylist::render`] whenever
//! the text is needed. The output is deterministic: wall-clock times come
//! only from the segments (`program_date_time_ms`).
//!
//! Choices, with the spec rules behind them:
//! - `EXT-X-VERSION:7` (fMP4 with `EXT-X-MAP` needs 6); 9 in delta updates
//!   that carry `EXT-X-SKIP`.
//! - `EXT-X-TARGETDURATION` is the configured value, else the longest
//!   `EXTINF` rounded to the nearest second (halves up) over every segment
//!   ever pushed, at least 1. The rounding is applied to the *written*
//!   `EXTINF` text, so a checker that re-reads the playlist always finds
//!   every rounded `EXTINF` ≤ the target (RFC 8216 §4.3.3.1). With a
//!   configured target, a longer segment is refused.
//! - `EXT-X-PROGRAM-DATE-TIME` placement is a [`PdtPlacement`]; by default
//!   on the first listed segment, after each discontinuity, and wherever a
//!   given time departs from the one extrapolated from the previous tag.
//! - Live windows never drop below three target durations (RFC 8216
//!   §6.2.2); `EXT-X-DISCONTINUITY-SEQUENCE` counts the `EXT-X-DISCONTINUITY`
//!   tags that slid out.
//! - LL-HLS parts are listed for the open segment and for complete segments
//!   that end within the last three target durations of the live edge;
//!   older parts are dropped from the text (rfc8216bis §6.2.2).
//!
//! ```
//! use framecast::playlist::hls::{MediaPlaylist, MediaPlaylistOptions, PlaylistKind, Window};
//! use framecast::playlist::{InitSegmentRef, Segment};
//! use framecast::time::Timescale;
//!
//! let options = MediaPlaylistOptions {
//!     kind: PlaylistKind::Live(Window::Segments(3)),
//!     target_duration: Some(2),
//!     ..Default::default()
//! };
//! let mut pl = MediaPlaylist::new(Timescale::MPEG, Some(InitSegmentRef::new("init.mp4")), options).unwrap();
//! for n in 0..5u64 {
//!     let mut seg = Segment::new(n, n as i64 * 180_000, 180_000, format!("seg{n}.m4s"));
//!     seg.program_date_time_ms = Some(1_700_000_000_000 + n as i64 * 2_000);
//!     pl.push(seg).unwrap();
//! }
//! let text = pl.render().unwrap();
//! assert!(text.contains("#EXT-X-MEDIA-SEQUENCE:2\n"));
//! assert!(text.contains("#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:24.000Z\n"));
//! ```

mod directives;
mod media;
mod multivariant;
mod options;
mod render;
#[cfg(test)]
mod tests;

pub use directives::{BlockingStatus, DeliveryDirectives, Position, PreloadHint, RenditionReport, SkipRequest};
pub use media::MediaPlaylist;
pub use multivariant::{AudioRendition, MasterPlaylist, MultivariantPlaylist, Variant};
pub use options::{
    LowLatencyOptions, MediaPlaylistOptions, PdtPlacement, PlaylistKind, Window, DELTA_VERSION, VERSION,
};
