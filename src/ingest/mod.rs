//! The ingest protocol shared by publishers and the stream server: URL
//! layout, names, acknowledgement and error JSON, the fragment index, and
//! the live playlists built from it. Pure data and rules: no I/O and no
//! clock (wall-clock times are inputs), so it runs in the browser
//! publisher, in edge runtimes and in `framecast-server` alike.
//!
//! # Protocol
//!
//! A stream holds tracks; each track is one CMAF track with its own path
//! (as in DASH-IF Live Media Ingest, CMAF ingest):
//!
//! 1. `PUT /streams/{stream}/{track}/init.mp4` with the track's init
//!    segment (`ftyp` + `moov`, exactly one track), `Content-Type:
//!    video/mp4` or `audio/mp4`. Answer: [`InitAck`].
//! 2. `PUT /streams/{stream}/{track}/{seq}.m4s` with each fragment, in
//!    order, `seq` counting up (gaps allowed: a publisher may drop
//!    fragments). Answer: [`FragmentAck`], with `persisted: true` once the
//!    fragment is on stable storage. `POST` works the same as `PUT`.
//! 3. Retries are idempotent: a fragment sent again with the same bytes is
//!    acknowledged again (`duplicate: true`) and stored once; other bytes
//!    under a stored number are a [`IngestErrorCode::Conflict`].
//! 4. After a reconnect, send the init segment again before the next
//!    fragment; a server that lost it answers [`IngestErrorCode::InitRequired`]
//!    (HTTP 412) and the publisher re-sends it then retries.
//! 5. `POST /streams/{stream}/end` when done: playlists then end.
//!
//! Errors are [`ErrorBody`] JSON with a stable [`IngestErrorCode`]; the code
//! fixes the HTTP status and whether a retry can help
//! ([`IngestErrorCode::is_retryable`]). The full route table is in [`routes`].
//!
//! # Server-side pieces
//!
//! - [`FragmentFacts::inspect`] checks an upload with the core MP4 reader
//!   against its track's init segment.
//! - [`TrackIndex`] decides where it goes (stored already, next, out of
//!   order, going back in time) and keeps the [`FragmentRecord`]s;
//!   [`IndexEntry`] is the line format of the append-only index log.
//! - [`StreamPlaylists`] turns the records into live HLS and DASH.

mod index;
mod messages;
mod names;
mod playlists;
pub mod routes;

pub use index::{FragmentFacts, FragmentRecord, IndexEntry, Slot, TrackIndex};
pub use messages::{
    EndAck, ErrorBody, FragmentAck, IngestError, IngestErrorCode, InitAck, MediaKind, PlaybackPaths, StreamInfo,
    StreamList, TrackInfo,
};
pub use names::{NameError, StreamName, TrackName, MAX_STREAM_NAME_LEN, MAX_TRACK_NAME_LEN};
pub use playlists::{channels, media_info, PlaylistOptions, StreamPlaylists, AUDIO_GROUP};
pub use routes::{Resource, RouteError};
