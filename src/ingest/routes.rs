//! The URL layout of the ingest and playback API, shared by publishers and
//! the server: path builders, the path parser, content types and cache
//! policies.
//!
//! ```text
//! /streams                                   GET list
//! /streams/{stream}                          PUT create · GET describe · DELETE
//! /streams/{stream}/end                      POST (or PUT): the stream is over
//! /streams/{stream}/{track}/init.mp4         PUT/POST the CMAF header · GET
//! /streams/{stream}/{track}/{seq}.m4s        PUT/POST fragment number seq · GET
//! /streams/{stream}/{track}/t{time}.m4s      GET the fragment starting at time (DASH $Time$)
//! /streams/{stream}/master.m3u8              GET live HLS multivariant playlist
//! /streams/{stream}/{track}.m3u8             GET live HLS media playlist
//! /streams/{stream}/manifest.mpd             GET dynamic DASH MPD
//! ```
//!
//! As in DASH-IF Live Media Ingest (CMAF ingest), every track is its own
//! CMAF track with its own path, the init segment goes first and is sent
//! again after a reconnect (answers with [`IngestErrorCode::InitRequired`], HTTP
//! 412, ask for it), and fragments are sent one request each.
//!
//! [`IngestErrorCode::InitRequired`]: super::IngestErrorCode::InitRequired

use std::fmt;

use super::names::{NameError, StreamName, TrackName};
use crate::codec::TrackKind;

/// Path prefix of every stream resource.
pub const STREAMS: &str = "/streams";
/// File name of a track's init segment.
pub const INIT_FILE: &str = "init.mp4";
/// File name of the HLS multivariant playlist of a stream.
pub const MASTER_PLAYLIST: &str = "master.m3u8";
/// File name of the DASH MPD of a stream.
pub const DASH_MANIFEST: &str = "manifest.mpd";
/// Last path segment of the end-of-stream resource.
pub const END: &str = "end";
/// Extension of fragment files.
pub const FRAGMENT_EXTENSION: &str = "m4s";
/// Extension of HLS media playlists (`{track}.m3u8`).
pub const PLAYLIST_EXTENSION: &str = "m3u8";

/// The largest fragment sequence number: 2^53 - 1, the largest integer a
/// JavaScript number holds exactly, so acknowledgements survive
/// `JSON.parse`.
pub const MAX_SEQUENCE: u64 = (1 << 53) - 1;

/// `Content-Type` of video init segments and fragments.
pub const CONTENT_TYPE_VIDEO_MP4: &str = "video/mp4";
/// `Content-Type` of audio init segments and fragments.
pub const CONTENT_TYPE_AUDIO_MP4: &str = "audio/mp4";
/// `Content-Type` of HLS playlists (RFC 8216 §4).
pub const CONTENT_TYPE_HLS: &str = "application/vnd.apple.mpegurl";
/// `Content-Type` of DASH MPDs (ISO/IEC 23009-1 Annex C).
pub const CONTENT_TYPE_DASH: &str = "application/dash+xml";
/// `Content-Type` of acknowledgements, errors and stream descriptions.
pub const CONTENT_TYPE_JSON: &str = "application/json";

/// `Cache-Control` of playlists and manifests: they change with every
/// fragment.
pub const CACHE_PLAYLIST: &str = "no-cache";
/// `Cache-Control` of init segments and fragments: a URL's bytes never
/// change (a stream deleted and made again gets a new cache token in its
/// playlist URIs, see [`crate::ingest::PlaylistOptions::cache_token`]).
pub const CACHE_SEGMENT: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of API answers (acknowledgements, descriptions, errors).
pub const CACHE_API: &str = "no-store";

/// The content type of a track's media.
pub fn media_content_type(kind: TrackKind) -> &'static str {
    match kind {
        TrackKind::Video => CONTENT_TYPE_VIDEO_MP4,
        TrackKind::Audio => CONTENT_TYPE_AUDIO_MP4,
    }
}

/// Whether an upload's `Content-Type` (parameters ignored, any case) is
/// acceptable for media: `video/mp4`, `audio/mp4`, `application/mp4` or
/// `application/octet-stream`. A missing header is accepted too (pass
/// `None`).
pub fn is_media_content_type(content_type: Option<&str>) -> bool {
    let Some(value) = content_type else { return true };
    let essence = value.split(';').next().unwrap_or("").trim();
    ["video/mp4", "audio/mp4", "application/mp4", "application/octet-stream"]
        .iter()
        .any(|t| essence.eq_ignore_ascii_case(t))
}

/// `/streams/{stream}`.
pub fn stream_path(stream: &StreamName) -> String {
    format!("{STREAMS}/{stream}")
}

/// `/streams/{stream}/end`.
pub fn end_path(stream: &StreamName) -> String {
    format!("{STREAMS}/{stream}/{END}")
}

/// `/streams/{stream}/{track}/init.mp4`.
pub fn init_path(stream: &StreamName, track: &TrackName) -> String {
    format!("{STREAMS}/{stream}/{}", init_uri(track))
}

/// `/streams/{stream}/{track}/{sequence}.m4s`.
pub fn fragment_path(stream: &StreamName, track: &TrackName, sequence: u64) -> String {
    format!("{STREAMS}/{stream}/{}", fragment_uri(track, sequence))
}

/// `/streams/{stream}/master.m3u8`.
pub fn master_playlist_path(stream: &StreamName) -> String {
    format!("{STREAMS}/{stream}/{MASTER_PLAYLIST}")
}

/// `/streams/{stream}/{track}.m3u8`.
pub fn media_playlist_path(stream: &StreamName, track: &TrackName) -> String {
    format!("{STREAMS}/{stream}/{}", media_playlist_uri(track))
}

/// `/streams/{stream}/manifest.mpd`.
pub fn manifest_path(stream: &StreamName) -> String {
    format!("{STREAMS}/{stream}/{DASH_MANIFEST}")
}

/// `{track}/init.mp4`: the init segment relative to the stream's
/// playlists.
pub fn init_uri(track: &TrackName) -> String {
    format!("{track}/{INIT_FILE}")
}

/// `{track}/{sequence}.m4s`: a fragment relative to the stream's
/// playlists.
pub fn fragment_uri(track: &TrackName, sequence: u64) -> String {
    format!("{track}/{sequence}.{FRAGMENT_EXTENSION}")
}

/// `{track}/t{start}.m4s`: a fragment by its start (decode time in track
/// ticks) relative to the stream's playlists, as a DASH `$Time$` template
/// expands.
pub fn timed_fragment_uri(track: &TrackName, start: i64) -> String {
    format!("{track}/t{start}.{FRAGMENT_EXTENSION}")
}

/// `{track}/t$Time$.m4s`: the DASH `SegmentTemplate@media` matching
/// [`timed_fragment_uri`].
pub fn timed_fragment_template(track: &TrackName) -> String {
    format!("{track}/t$Time$.{FRAGMENT_EXTENSION}")
}

/// `{track}.m3u8`: a media playlist relative to the stream's playlists.
pub fn media_playlist_uri(track: &TrackName) -> String {
    format!("{track}.{PLAYLIST_EXTENSION}")
}

/// A resource of the API, parsed from a request path. The path is taken
/// as sent: it is not percent-decoded, so an encoded `..` (`%2e%2e`) or
/// slash (`%2F`) is a name with a `%` in it, which names refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `/streams`.
    Streams,
    /// `/streams/{stream}`.
    Stream(StreamName),
    /// `/streams/{stream}/end`.
    End(StreamName),
    /// `/streams/{stream}/master.m3u8`.
    MasterPlaylist(StreamName),
    /// `/streams/{stream}/manifest.mpd`.
    Manifest(StreamName),
    /// `/streams/{stream}/{track}.m3u8`.
    MediaPlaylist(StreamName, TrackName),
    /// `/streams/{stream}/{track}/init.mp4`.
    Init(StreamName, TrackName),
    /// `/streams/{stream}/{track}/{sequence}.m4s`.
    Fragment(StreamName, TrackName, u64),
    /// `/streams/{stream}/{track}/t{start}.m4s`.
    TimedFragment(StreamName, TrackName, i64),
}

/// Why a path names no resource.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RouteError {
    /// Nothing lives at this path.
    NotFound,
    /// The stream name segment is not a valid [`StreamName`].
    BadStreamName(NameError),
    /// The track name segment is not a valid [`TrackName`].
    BadTrackName(NameError),
    /// A fragment file name whose number is not a canonical decimal in
    /// `0..=MAX_SEQUENCE` (no sign, no leading zeros).
    BadSequence(String),
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteError::NotFound => write!(f, "no such resource"),
            RouteError::BadStreamName(e) => write!(f, "invalid stream name: {e}"),
            RouteError::BadTrackName(e) => write!(f, "invalid track name: {e}"),
            RouteError::BadSequence(s) => write!(
                f,
                "invalid fragment number {s:?}: must be a decimal integer from 0 to {MAX_SEQUENCE} without leading zeros"
            ),
        }
    }
}

impl std::error::Error for RouteError {}

/// A canonical decimal: digits only, no leading zero unless it is "0".
fn canonical_decimal(s: &str, max: u64) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    s.parse::<u64>().ok().filter(|&v| v <= max)
}

impl Resource {
    /// Parses a request path (without the query string; anything after a
    /// `?` is ignored). Names are validated before anything else, so a bad
    /// name is reported as such even where the rest of the path is wrong.
    pub fn parse(path: &str) -> Result<Resource, RouteError> {
        let path = path.split('?').next().unwrap_or("");
        let rest = path.strip_prefix(STREAMS).ok_or(RouteError::NotFound)?;
        if rest.is_empty() {
            return Ok(Resource::Streams);
        }
        let rest = rest.strip_prefix('/').ok_or(RouteError::NotFound)?;
        let segments: Vec<&str> = rest.split('/').collect();
        let stream_segment = segments.first().copied().unwrap_or("");
        let stream = StreamName::new(stream_segment).map_err(RouteError::BadStreamName)?;
        match segments.as_slice() {
            [_] => Ok(Resource::Stream(stream)),
            [_, file] => {
                if *file == END {
                    Ok(Resource::End(stream))
                } else if *file == MASTER_PLAYLIST {
                    Ok(Resource::MasterPlaylist(stream))
                } else if *file == DASH_MANIFEST {
                    Ok(Resource::Manifest(stream))
                } else if let Some(track) = file.strip_suffix(".m3u8") {
                    let track = TrackName::new(track).map_err(RouteError::BadTrackName)?;
                    Ok(Resource::MediaPlaylist(stream, track))
                } else {
                    Err(RouteError::NotFound)
                }
            }
            [_, track, file] => {
                let track = TrackName::new(track).map_err(RouteError::BadTrackName)?;
                if *file == INIT_FILE {
                    return Ok(Resource::Init(stream, track));
                }
                let Some(stem) = file.strip_suffix(".m4s") else {
                    return Err(RouteError::NotFound);
                };
                if let Some(time) = stem.strip_prefix('t') {
                    let start = canonical_decimal(time, i64::MAX as u64)
                        .ok_or_else(|| RouteError::BadSequence((*file).to_owned()))?;
                    // Bounded by i64::MAX above.
                    return Ok(Resource::TimedFragment(stream, track, start as i64));
                }
                let seq =
                    canonical_decimal(stem, MAX_SEQUENCE).ok_or_else(|| RouteError::BadSequence((*file).to_owned()))?;
                Ok(Resource::Fragment(stream, track, seq))
            }
            _ => Err(RouteError::NotFound),
        }
    }

    /// The stream the resource belongs to (`None` for [`Resource::Streams`]).
    pub fn stream(&self) -> Option<&StreamName> {
        match self {
            Resource::Streams => None,
            Resource::Stream(s)
            | Resource::End(s)
            | Resource::MasterPlaylist(s)
            | Resource::Manifest(s)
            | Resource::MediaPlaylist(s, _)
            | Resource::Init(s, _)
            | Resource::Fragment(s, _, _)
            | Resource::TimedFragment(s, _, _) => Some(s),
        }
    }

    /// The resource's canonical path.
    pub fn path(&self) -> String {
        match self {
            Resource::Streams => STREAMS.to_owned(),
            Resource::Stream(s) => stream_path(s),
            Resource::End(s) => end_path(s),
            Resource::MasterPlaylist(s) => master_playlist_path(s),
            Resource::Manifest(s) => manifest_path(s),
            Resource::MediaPlaylist(s, t) => media_playlist_path(s, t),
            Resource::Init(s, t) => init_path(s, t),
            Resource::Fragment(s, t, n) => fragment_path(s, t, *n),
            Resource::TimedFragment(s, t, start) => format!("{STREAMS}/{s}/{}", timed_fragment_uri(t, *start)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: &str) -> StreamName {
        StreamName::new(n).unwrap()
    }
    fn t(n: &str) -> TrackName {
        TrackName::new(n).unwrap()
    }

    #[test]
    fn paths_round_trip() {
        let all = [
            Resource::Streams,
            Resource::Stream(s("cam")),
            Resource::End(s("cam")),
            Resource::MasterPlaylist(s("cam")),
            Resource::Manifest(s("cam")),
            Resource::MediaPlaylist(s("cam"), t("video")),
            Resource::Init(s("cam"), t("video")),
            Resource::Fragment(s("cam"), t("audio"), 0),
            Resource::Fragment(s("cam"), t("audio"), MAX_SEQUENCE),
            Resource::TimedFragment(s("cam"), t("video"), 180_000),
        ];
        for r in all {
            assert_eq!(Resource::parse(&r.path()), Ok(r.clone()), "{}", r.path());
        }
        assert_eq!(fragment_path(&s("cam"), &t("video"), 12), "/streams/cam/video/12.m4s");
        assert_eq!(init_path(&s("cam"), &t("video")), "/streams/cam/video/init.mp4");
        assert_eq!(timed_fragment_template(&t("v")), "v/t$Time$.m4s");
    }

    #[test]
    fn query_strings_are_ignored() {
        assert_eq!(Resource::parse("/streams/cam/video/3.m4s?v=abc"), Ok(Resource::Fragment(s("cam"), t("video"), 3)));
    }

    #[test]
    fn traversal_is_refused() {
        for p in [
            "/streams/../video/init.mp4",
            "/streams/%2e%2e/video/init.mp4",
            "/streams/a%2Fb",
            "/streams/..",
            "/streams/.",
            "/streams//video/init.mp4",
        ] {
            assert!(matches!(Resource::parse(p), Err(RouteError::BadStreamName(_))), "{p}");
        }
        assert!(matches!(Resource::parse("/streams/cam/../init.mp4"), Err(RouteError::BadTrackName(_))));
        assert_eq!(Resource::parse("/streams/a/b/video/init.mp4"), Err(RouteError::NotFound));
        assert_eq!(Resource::parse("/streams/cam/video/init.mp4/x"), Err(RouteError::NotFound));
        assert_eq!(Resource::parse("/etc/passwd"), Err(RouteError::NotFound));
        assert_eq!(Resource::parse("/streamsx"), Err(RouteError::NotFound));
        assert_eq!(Resource::parse("/streams/cam/index.html"), Err(RouteError::NotFound));
        assert_eq!(Resource::parse("/streams/cam/video/init.mp3"), Err(RouteError::NotFound));
    }

    #[test]
    fn sequence_numbers_are_canonical() {
        for bad in ["01.m4s", "+1.m4s", "-1.m4s", ".m4s", "1e3.m4s", "9007199254740992.m4s", "t01.m4s", "t.m4s"] {
            let p = format!("/streams/cam/video/{bad}");
            assert!(matches!(Resource::parse(&p), Err(RouteError::BadSequence(_))), "{p}");
        }
        assert_eq!(Resource::parse("/streams/cam/video/0.m4s"), Ok(Resource::Fragment(s("cam"), t("video"), 0)));
    }

    #[test]
    fn media_content_types() {
        assert!(is_media_content_type(None));
        assert!(is_media_content_type(Some("video/mp4")));
        assert!(is_media_content_type(Some("Audio/MP4; codecs=\"mp4a.40.2\"")));
        assert!(is_media_content_type(Some("application/octet-stream")));
        assert!(!is_media_content_type(Some("text/plain")));
        assert!(!is_media_content_type(Some("video/mp2t")));
        assert_eq!(media_content_type(TrackKind::Audio), "audio/mp4");
    }
}
