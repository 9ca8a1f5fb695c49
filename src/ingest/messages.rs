//! The JSON bodies of the ingest API: acknowledgements, errors with stable
//! codes, and stream descriptions. Field names are camelCase; times are
//! integers with their unit in the name's documentation (µs for media
//! times, ms since the Unix epoch for wall-clock times).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::names::{StreamName, TrackName};
use crate::codec::TrackKind;
use crate::mux::reader::ReadError;

/// Video or audio, as written in JSON (`"video"`, `"audio"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    /// A video track (`"video"`).
    Video,
    /// An audio track (`"audio"`).
    Audio,
}

impl From<TrackKind> for MediaKind {
    fn from(k: TrackKind) -> Self {
        match k {
            TrackKind::Video => MediaKind::Video,
            TrackKind::Audio => MediaKind::Audio,
        }
    }
}

impl From<MediaKind> for TrackKind {
    fn from(k: MediaKind) -> Self {
        match k {
            MediaKind::Video => TrackKind::Video,
            MediaKind::Audio => TrackKind::Audio,
        }
    }
}

/// The answer to an accepted fragment upload (HTTP 201, or 200 for a
/// duplicate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FragmentAck {
    /// The stream.
    pub stream: StreamName,
    /// The track.
    pub track: TrackName,
    /// The fragment number, as in the URL.
    pub sequence: u64,
    /// Start of the fragment on the producer's media timeline, in
    /// microseconds: its `tfdt` divided by the track timescale.
    pub producer_timestamp: i64,
    /// When the server accepted the fragment (the first time, for a
    /// duplicate), in milliseconds since the Unix epoch.
    pub server_timestamp: i64,
    /// Duration of the fragment in microseconds.
    pub duration: u64,
    /// Size of the fragment in bytes.
    pub bytes: u64,
    /// The fragment starts with a sync sample.
    pub keyframe: bool,
    /// The fragment is on stable storage (written, flushed with fsync and
    /// recorded in the stream's index) and survives a crash or restart.
    pub persisted: bool,
    /// The fragment had already been stored with the same bytes; nothing
    /// was written.
    pub duplicate: bool,
    /// The fragment does not follow the previous stored one directly (a
    /// fragment number or a stretch of time is missing): playlists mark a
    /// discontinuity before it.
    pub discontinuity: bool,
}

/// The answer to an accepted init segment upload (HTTP 201, or 200 when
/// the same or an equivalent init segment was already stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitAck {
    /// The stream.
    pub stream: StreamName,
    /// The track.
    pub track: TrackName,
    /// Video or audio.
    pub kind: MediaKind,
    /// RFC 6381 codec string, derived from the sample entry (`avc1.64001f`,
    /// `mp4a.40.2`, `opus`, `flac`).
    pub codec: String,
    /// Ticks per second of the track's timestamps.
    pub timescale: u32,
    /// Size of the stored init segment in bytes.
    pub bytes: u64,
    /// When the server accepted it, in milliseconds since the Unix epoch.
    pub server_timestamp: i64,
    /// The init segment is on stable storage.
    pub persisted: bool,
    /// The same init segment (or one with the same track configuration)
    /// was already stored; nothing was written.
    pub duplicate: bool,
}

/// The answer to `POST /streams/{stream}/end`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndAck {
    /// The stream.
    pub stream: StreamName,
    /// Always `true`: playlists now end (`EXT-X-ENDLIST`, static MPD) until
    /// another fragment arrives.
    pub ended: bool,
    /// When, in milliseconds since the Unix epoch.
    pub server_timestamp: i64,
    /// The end mark is on stable storage.
    pub persisted: bool,
}

/// One track of a stream description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackInfo {
    /// The track.
    pub name: TrackName,
    /// Video or audio.
    pub kind: MediaKind,
    /// RFC 6381 codec string.
    pub codec: String,
    /// Ticks per second.
    pub timescale: u32,
    /// Picture width in pixels (video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Picture height in pixels (video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Sample rate in Hz (audio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_rate: Option<u32>,
    /// Channel count (audio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<u32>,
    /// Number of stored fragments.
    pub fragments: u64,
    /// Number of the first stored fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_sequence: Option<u64>,
    /// Number of the last stored fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sequence: Option<u64>,
    /// Fragment numbers missing between the first and the last.
    pub missing: u64,
    /// Fragments that start a discontinuity (after missing numbers or
    /// missing time).
    pub discontinuities: u64,
    /// Start of the first fragment, in microseconds of producer time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_producer_timestamp: Option<i64>,
    /// Server time of the last fragment, in ms since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_server_timestamp: Option<i64>,
    /// Sum of the fragment durations, in microseconds.
    pub duration: u64,
    /// Sum of the fragment sizes, in bytes.
    pub bytes: u64,
}

/// Where a stream plays, as paths on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaybackPaths {
    /// The HLS multivariant playlist.
    pub hls: String,
    /// The DASH MPD.
    pub dash: String,
}

/// A stream description (`GET /streams/{stream}`, and each entry of
/// `GET /streams`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamInfo {
    /// The stream.
    pub name: StreamName,
    /// When it was created, in ms since the Unix epoch.
    pub created_at: i64,
    /// The publisher ended the stream and nothing came after.
    pub ended: bool,
    /// Its tracks, by name.
    pub tracks: Vec<TrackInfo>,
    /// Stored fragments over all tracks.
    pub fragments: u64,
    /// Bytes of the stored fragments over all tracks.
    pub bytes: u64,
    /// The longest track's duration, in microseconds.
    pub duration: u64,
    /// Playlist paths.
    pub playback: PlaybackPaths,
}

/// `GET /streams`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamList {
    /// Every stream, by name.
    pub streams: Vec<StreamInfo>,
}

/// A stable, machine-readable error code, written in kebab-case
/// (`"malformed-fragment"`). Each has one HTTP status
/// ([`IngestErrorCode::http_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum IngestErrorCode {
    /// 400: the request is malformed in a way no other code names.
    BadRequest,
    /// 400: the stream name is not `[A-Za-z0-9_-]{1,128}`.
    BadStreamName,
    /// 400: the track name is not `[A-Za-z0-9_-]{1,32}`.
    BadTrackName,
    /// 400: the fragment number is not a canonical decimal up to 2^53 - 1.
    BadSequence,
    /// 400: the body ended before `Content-Length` bytes (or the chunked
    /// body broke off).
    IncompleteBody,
    /// 400: the init segment does not parse.
    MalformedInit,
    /// 400: the fragment does not parse against the track's init segment
    /// (truncated, corrupt, wrong box layout).
    MalformedFragment,
    /// 401: the server wants a bearer token and none or another was sent.
    Unauthorized,
    /// 404: nothing at this path, or the stream has no fragment to list
    /// yet.
    NotFound,
    /// 404: the stream does not exist (and the server does not create
    /// streams on first publish).
    StreamNotFound,
    /// 405: the method is not allowed on this resource.
    MethodNotAllowed,
    /// 408: the body did not arrive in time.
    BodyTimeout,
    /// 409: this fragment number is stored with other bytes, or the track
    /// has fragments made with another init segment.
    Conflict,
    /// 409: the fragment starts before the end of the previous stored
    /// fragment of the track (decode times must not go back).
    NonMonotonic,
    /// 409: a later fragment number is already stored; this one can no
    /// longer be placed.
    OutOfOrder,
    /// 411: the upload has neither `Content-Length` nor chunked encoding.
    LengthRequired,
    /// 412: the track has no init segment: send it (again), then retry.
    /// DASH-IF CMAF ingest uses 412 the same way.
    InitRequired,
    /// 413: the body is larger than the server's limit.
    Oversize,
    /// 415: the `Content-Type` is not an MP4 type.
    UnsupportedMediaType,
    /// 422: the fragment holds samples of a track other than the one of
    /// the init segment stored for this track path.
    UnknownTrack,
    /// 422: the init segment's codec is not one the server reads (H.264,
    /// AAC, Opus, FLAC).
    UnsupportedCodec,
    /// 422: the init segment does not hold exactly one track (CMAF: one
    /// track per path).
    NotSingleTrack,
    /// 422: a video fragment does not start with a sync sample.
    NotKeyframe,
    /// 422: the fragment holds no samples, or lasts no time.
    EmptyFragment,
    /// 422: the stream already has as many tracks as the server allows.
    TooManyTracks,
    /// 500: the server could not store the upload; nothing was stored.
    StorageError,
    /// 500: a bug; nothing was stored.
    Internal,
    /// 503: the server is shutting down; retry later (`Retry-After`).
    ShuttingDown,
}

impl IngestErrorCode {
    /// The code as written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            IngestErrorCode::BadRequest => "bad-request",
            IngestErrorCode::BadStreamName => "bad-stream-name",
            IngestErrorCode::BadTrackName => "bad-track-name",
            IngestErrorCode::BadSequence => "bad-sequence",
            IngestErrorCode::IncompleteBody => "incomplete-body",
            IngestErrorCode::MalformedInit => "malformed-init",
            IngestErrorCode::MalformedFragment => "malformed-fragment",
            IngestErrorCode::Unauthorized => "unauthorized",
            IngestErrorCode::NotFound => "not-found",
            IngestErrorCode::StreamNotFound => "stream-not-found",
            IngestErrorCode::MethodNotAllowed => "method-not-allowed",
            IngestErrorCode::BodyTimeout => "body-timeout",
            IngestErrorCode::Conflict => "conflict",
            IngestErrorCode::NonMonotonic => "non-monotonic",
            IngestErrorCode::OutOfOrder => "out-of-order",
            IngestErrorCode::LengthRequired => "length-required",
            IngestErrorCode::InitRequired => "init-required",
            IngestErrorCode::Oversize => "oversize",
            IngestErrorCode::UnsupportedMediaType => "unsupported-media-type",
            IngestErrorCode::UnknownTrack => "unknown-track",
            IngestErrorCode::UnsupportedCodec => "unsupported-codec",
            IngestErrorCode::NotSingleTrack => "not-single-track",
            IngestErrorCode::NotKeyframe => "not-keyframe",
            IngestErrorCode::EmptyFragment => "empty-fragment",
            IngestErrorCode::TooManyTracks => "too-many-tracks",
            IngestErrorCode::StorageError => "storage-error",
            IngestErrorCode::Internal => "internal",
            IngestErrorCode::ShuttingDown => "shutting-down",
        }
    }

    /// The HTTP status the server answers with.
    pub fn http_status(self) -> u16 {
        match self {
            IngestErrorCode::BadRequest
            | IngestErrorCode::BadStreamName
            | IngestErrorCode::BadTrackName
            | IngestErrorCode::BadSequence
            | IngestErrorCode::IncompleteBody
            | IngestErrorCode::MalformedInit
            | IngestErrorCode::MalformedFragment => 400,
            IngestErrorCode::Unauthorized => 401,
            IngestErrorCode::NotFound | IngestErrorCode::StreamNotFound => 404,
            IngestErrorCode::MethodNotAllowed => 405,
            IngestErrorCode::BodyTimeout => 408,
            IngestErrorCode::Conflict | IngestErrorCode::NonMonotonic | IngestErrorCode::OutOfOrder => 409,
            IngestErrorCode::LengthRequired => 411,
            IngestErrorCode::InitRequired => 412,
            IngestErrorCode::Oversize => 413,
            IngestErrorCode::UnsupportedMediaType => 415,
            IngestErrorCode::UnknownTrack
            | IngestErrorCode::UnsupportedCodec
            | IngestErrorCode::NotSingleTrack
            | IngestErrorCode::NotKeyframe
            | IngestErrorCode::EmptyFragment
            | IngestErrorCode::TooManyTracks => 422,
            IngestErrorCode::StorageError | IngestErrorCode::Internal => 500,
            IngestErrorCode::ShuttingDown => 503,
        }
    }

    /// Whether a publisher should send the same request again (after a
    /// back-off): the server failed or is going away, or a body was cut
    /// short on the way. Every other error repeats on retry.
    /// [`IngestErrorCode::InitRequired`] is not retryable as is: send the init
    /// segment first.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            IngestErrorCode::IncompleteBody
                | IngestErrorCode::BodyTimeout
                | IngestErrorCode::StorageError
                | IngestErrorCode::Internal
                | IngestErrorCode::ShuttingDown
        )
    }
}

impl fmt::Display for IngestErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error of the ingest API: a stable code, a message for people, and
/// the request part at fault. Serialised as the `error` member of
/// [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestError {
    /// What went wrong, for programs.
    pub code: IngestErrorCode,
    /// What went wrong, for people.
    pub message: String,
    /// The part of the request at fault: `"stream"`, `"track"`,
    /// `"sequence"`, `"body"`, `"Content-Length"`, `"Content-Type"`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl IngestError {
    /// An error without a field.
    pub fn new(code: IngestErrorCode, message: impl Into<String>) -> Self {
        IngestError { code, message: message.into(), field: None }
    }

    /// The same error naming `field`.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The HTTP status of the code.
    pub fn http_status(&self) -> u16 {
        self.code.http_status()
    }

    /// The JSON body: `{"error": {...}}`.
    pub fn into_body(self) -> ErrorBody {
        ErrorBody { error: self }
    }

    /// Why an init segment was refused, from the reader's error.
    pub fn from_init_error(e: &ReadError) -> Self {
        let code = match e {
            ReadError::UnsupportedCodec { .. }
            | ReadError::UnsupportedObjectType { .. }
            | ReadError::UnsupportedTrack { .. } => IngestErrorCode::UnsupportedCodec,
            _ => IngestErrorCode::MalformedInit,
        };
        IngestError::new(code, format!("init segment refused: {e}")).with_field("body")
    }

    /// Why a fragment was refused, from the reader's error (see
    /// [`crate::mux::reader::validate_fragment`]).
    pub fn from_fragment_error(e: &ReadError) -> Self {
        let code = match e {
            ReadError::TooLarge { .. } if e.is_recoverable() => IngestErrorCode::Oversize,
            ReadError::UnknownTrack { .. } => IngestErrorCode::UnknownTrack,
            ReadError::DecodeTimeBackwards { .. } | ReadError::SequenceNotIncreasing { .. } => {
                IngestErrorCode::NonMonotonic
            }
            ReadError::NotSyncSample { .. } => IngestErrorCode::NotKeyframe,
            ReadError::EmptyFragment => IngestErrorCode::EmptyFragment,
            _ => IngestErrorCode::MalformedFragment,
        };
        IngestError::new(code, format!("fragment refused: {e}")).with_field("body")
    }
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for IngestError {}

/// The body of every error answer: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: IngestError,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn name(s: &str) -> StreamName {
        StreamName::new(s).unwrap()
    }
    fn track(s: &str) -> TrackName {
        TrackName::new(s).unwrap()
    }

    #[test]
    fn fragment_ack_json() {
        let ack = FragmentAck {
            stream: name("cam"),
            track: track("video"),
            sequence: 7,
            producer_timestamp: 12_000_000,
            server_timestamp: 1_700_000_000_123,
            duration: 2_000_000,
            bytes: 51_234,
            keyframe: true,
            persisted: true,
            duplicate: false,
            discontinuity: false,
        };
        let v = serde_json::to_value(&ack).unwrap();
        assert_eq!(
            v,
            json!({
                "stream": "cam", "track": "video", "sequence": 7,
                "producerTimestamp": 12_000_000, "serverTimestamp": 1_700_000_000_123_i64,
                "duration": 2_000_000, "bytes": 51_234, "keyframe": true,
                "persisted": true, "duplicate": false, "discontinuity": false
            })
        );
        let back: FragmentAck = serde_json::from_value(v).unwrap();
        assert_eq!(back, ack);
        // A bad name in JSON does not deserialise.
        let mut bad = serde_json::to_value(&ack).unwrap();
        bad["stream"] = json!("../x");
        assert!(serde_json::from_value::<FragmentAck>(bad).is_err());
    }

    #[test]
    fn init_and_end_ack_json() {
        let ack = InitAck {
            stream: name("cam"),
            track: track("audio"),
            kind: MediaKind::Audio,
            codec: "mp4a.40.2".into(),
            timescale: 48_000,
            bytes: 700,
            server_timestamp: 5,
            persisted: true,
            duplicate: true,
        };
        let text = serde_json::to_string(&ack).unwrap();
        assert!(text.contains("\"kind\":\"audio\""), "{text}");
        assert_eq!(serde_json::from_str::<InitAck>(&text).unwrap(), ack);
        let end = EndAck { stream: name("cam"), ended: true, server_timestamp: 9, persisted: true };
        assert_eq!(
            serde_json::to_value(&end).unwrap(),
            json!({"stream": "cam", "ended": true, "serverTimestamp": 9, "persisted": true})
        );
    }

    #[test]
    fn error_json() {
        let e = IngestError::new(IngestErrorCode::NonMonotonic, "decode time goes back").with_field("body");
        let body = serde_json::to_value(e.clone().into_body()).unwrap();
        assert_eq!(
            body,
            json!({"error": {"code": "non-monotonic", "message": "decode time goes back", "field": "body"}})
        );
        assert_eq!(serde_json::from_value::<ErrorBody>(body).unwrap().error, e);
        // No field: no key.
        let plain = serde_json::to_string(&IngestError::new(IngestErrorCode::NotFound, "x").into_body()).unwrap();
        assert_eq!(plain, r#"{"error":{"code":"not-found","message":"x"}}"#);
    }

    #[test]
    fn codes_serialise_as_documented() {
        use IngestErrorCode::*;
        let all = [
            BadRequest,
            BadStreamName,
            BadTrackName,
            BadSequence,
            IncompleteBody,
            MalformedInit,
            MalformedFragment,
            Unauthorized,
            NotFound,
            StreamNotFound,
            MethodNotAllowed,
            BodyTimeout,
            Conflict,
            NonMonotonic,
            OutOfOrder,
            LengthRequired,
            InitRequired,
            Oversize,
            UnsupportedMediaType,
            UnknownTrack,
            UnsupportedCodec,
            NotSingleTrack,
            NotKeyframe,
            EmptyFragment,
            TooManyTracks,
            StorageError,
            Internal,
            ShuttingDown,
        ];
        for code in all {
            let text = serde_json::to_string(&code).unwrap();
            assert_eq!(text, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<IngestErrorCode>(&text).unwrap(), code);
            let status = code.http_status();
            assert!((400..600).contains(&status));
            // Only server-side trouble is retried as is.
            assert_eq!(code.is_retryable(), status >= 500 || matches!(code, IncompleteBody | BodyTimeout));
        }
        assert_eq!(InitRequired.http_status(), 412);
        assert_eq!(Oversize.http_status(), 413);
        assert_eq!(Conflict.http_status(), 409);
    }

    #[test]
    fn reader_errors_map_to_codes() {
        let e = ReadError::NotSyncSample { track_id: 1, decode_time: 0 };
        assert_eq!(IngestError::from_fragment_error(&e).code, IngestErrorCode::NotKeyframe);
        let e = ReadError::DecodeTimeBackwards { track_id: 1, expected_at_least: 10, found: 0 };
        assert_eq!(IngestError::from_fragment_error(&e).code, IngestErrorCode::NonMonotonic);
        let e = ReadError::UnknownTrack { track_id: 2 };
        assert_eq!(IngestError::from_fragment_error(&e).code, IngestErrorCode::UnknownTrack);
        assert_eq!(IngestError::from_fragment_error(&ReadError::EmptyFragment).code, IngestErrorCode::EmptyFragment);
        let e = ReadError::Truncated {
            fourcc: crate::mux::reader::FourCc(*b"mdat"),
            offset: 8,
            needed: 100,
            available: 10,
        };
        let err = IngestError::from_fragment_error(&e);
        assert_eq!(err.code, IngestErrorCode::MalformedFragment);
        assert!(err.message.contains("truncated"), "{}", err.message);
        assert_eq!(IngestError::from_init_error(&e).code, IngestErrorCode::MalformedInit);
    }
}
