//! Playlist writers: HLS media playlists (VOD, EVENT, live window, LL-HLS),
//! HLS multivariant playlists and DASH MPDs, generated from plain lists of
//! segments with integer times.
//!
//! The input is the same for both formats: a [`Timeline`] per rendition,
//! i.e. a [`Timescale`](crate::time::Timescale), an optional
//! [`InitSegmentRef`] and [`Segment`]s (with [`PlaylistPart`]s for LL-HLS), which is
//! what a segmenter announces when a fragment is ready. Times are ticks in
//! that timescale; decimal seconds appear only in the output text.
//! Wall-clock times (`EXT-X-PROGRAM-DATE-TIME`, `availabilityStartTime`,
//! `publishTime`) are milliseconds since the Unix epoch given by the
//! caller, never read from a clock here, so output is reproducible.
//! Codec strings are inputs too (derived from the SPS, AudioSpecificConfig
//! or `dOps` by [`crate::codec::CodecConfig::codec_string`]).
//!
//! - [`hls`]: [`hls::MediaPlaylist`] (stateful: push segments and parts,
//!   render), [`hls::MultivariantPlaylist`], LL-HLS blocking reload
//!   ([`hls::DeliveryDirectives`], [`hls::MediaPlaylist::can_serve`]).
//! - [`dash`]: [`dash::Mpd`], static (on-demand with `SegmentBase`, or
//!   `SegmentTemplate`) and dynamic (live, `SegmentTimeline`).
//! - [`listen`]: the writers as segmenter listeners ([`HlsListener`],
//!   [`DashListener`]): a segmenter keeps its playlists as it cuts;
//!   [`BandwidthListener`] keeps a track's bit rate.
//!
//! Errors are [`PlaylistError`] (inputs) and [`DirectiveError`] (LL-HLS
//! query strings); both are recoverable and nothing here panics on input.
//!
//! ```
//! use framecast::playlist::{hls, InitSegmentRef, Segment, Timeline};
//! use framecast::time::Timescale;
//!
//! // Three 2-second segments at 90 kHz: a VOD playlist.
//! let mut timeline = Timeline::new(Timescale::MPEG);
//! timeline.init = Some(InitSegmentRef::new("init.mp4"));
//! for n in 0..3u64 {
//!     timeline.segments.push(Segment::new(n, n as i64 * 180_000, 180_000, format!("seg{n}.m4s")));
//! }
//! let playlist = hls::MediaPlaylist::from_timeline(&timeline, hls::MediaPlaylistOptions::default()).unwrap();
//! let text = playlist.render().unwrap();
//! assert!(text.starts_with("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n"));
//! assert!(text.ends_with("#EXTINF:2.000,\nseg2.m4s\n#EXT-X-ENDLIST\n"));
//! ```

pub mod dash;
mod error;
pub mod hls;
pub mod listen;
mod model;
mod text;

pub use error::{DirectiveError, PlaylistError};
pub use listen::{BandwidthListener, DashListener, HlsListener};
pub use model::{Bandwidth, ByteRange, FrameRate, InitSegmentRef, PlaylistPart, Resolution, Segment, Timeline};
