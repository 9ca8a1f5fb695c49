//! LL-HLS delivery directives and blocking playlist reload (rfc8216bis
//! §6.2.5): the `_HLS_msn`/`_HLS_part`/`_HLS_skip` query, preload hints,
//! rendition reports, and what a server may answer when.

use super::super::text::{div_ceil, duration_ticks};
use super::super::{DirectiveError, PlaylistError};
use super::media::MediaPlaylist;
use super::options::PlaylistKind;
use crate::time::Timestamp;

/// `EXT-X-PRELOAD-HINT:TYPE=PART`: the part that will be published next,
/// so players can request it before it exists.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PreloadHint {
    /// URI of the next part.
    pub uri: String,
    /// `BYTERANGE-START`: where the part starts within `uri`. Default
    /// `None` (0).
    pub byte_range_start: Option<u64>,
    /// `BYTERANGE-LENGTH`: its length, when known. Default `None` (to the
    /// end of the resource).
    pub byte_range_length: Option<u64>,
}

impl PreloadHint {
    /// A hint for the whole resource at `uri`.
    pub fn new(uri: impl Into<String>) -> Self {
        PreloadHint { uri: uri.into(), byte_range_start: None, byte_range_length: None }
    }
}

/// `EXT-X-RENDITION-REPORT`: where another rendition of the same stream
/// stands, so LL-HLS players can switch without an extra request.
/// [`MediaPlaylist::rendition_report`] builds one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RenditionReport {
    /// URI of the other rendition's media playlist, relative to this one.
    pub uri: String,
    /// `LAST-MSN`: its last media sequence number.
    pub last_msn: u64,
    /// `LAST-PART`: its last part index within `last_msn`, if it has parts.
    pub last_part: Option<u64>,
}

/// A position in a live stream: a media sequence number and, for LL-HLS,
/// a part index within that segment (from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    /// Media sequence number.
    pub msn: u64,
    /// Part index within the segment; `None` for the whole segment.
    pub part: Option<u64>,
}

/// `_HLS_skip`: the client asks for a delta update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipRequest {
    /// `_HLS_skip=YES`: skip old segments.
    Yes,
    /// `_HLS_skip=v2`: skip old segments and date ranges (this writer has
    /// no date ranges, so it is treated as `Yes`).
    V2,
}

/// The delivery directives of an LL-HLS playlist request
/// (rfc8216bis §6.2.5): `_HLS_msn`, `_HLS_part`, `_HLS_skip`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DeliveryDirectives {
    /// `_HLS_msn`: hold the response until this segment exists.
    pub msn: Option<u64>,
    /// `_HLS_part`: hold the response until this part of `msn` exists.
    pub part: Option<u64>,
    /// `_HLS_skip`: the client accepts a delta update.
    pub skip: Option<SkipRequest>,
}

impl DeliveryDirectives {
    /// Parses the directives from a query string (`_HLS_msn=12&_HLS_part=3`,
    /// with or without the leading `?`) or a whole request target
    /// (`/live/v.m3u8?_HLS_msn=12`). Other parameters are ignored; the
    /// values are not percent-decoded (valid ones never need it).
    pub fn parse_query(query: &str) -> Result<Self, DirectiveError> {
        let query = match query.split_once('?') {
            Some((_, q)) => q,
            None => query,
        };
        let query = query.split('#').next().unwrap_or("");
        let mut out = DeliveryDirectives::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "_HLS_msn" => {
                    if out.msn.is_some() {
                        return Err(DirectiveError::Repeated("_HLS_msn"));
                    }
                    out.msn = Some(parse_decimal(value).ok_or_else(|| DirectiveError::InvalidMsn(value.into()))?);
                }
                "_HLS_part" => {
                    if out.part.is_some() {
                        return Err(DirectiveError::Repeated("_HLS_part"));
                    }
                    out.part = Some(parse_decimal(value).ok_or_else(|| DirectiveError::InvalidPart(value.into()))?);
                }
                "_HLS_skip" => {
                    if out.skip.is_some() {
                        return Err(DirectiveError::Repeated("_HLS_skip"));
                    }
                    out.skip = Some(match value {
                        "YES" => SkipRequest::Yes,
                        "v2" => SkipRequest::V2,
                        _ => return Err(DirectiveError::InvalidSkip(value.into())),
                    });
                }
                _ => {}
            }
        }
        if out.part.is_some() && out.msn.is_none() {
            return Err(DirectiveError::PartWithoutMsn);
        }
        Ok(out)
    }
}

/// A decimal-integer (digits only) that fits in `u64`.
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// What a server should do with a blocking playlist request
/// ([`MediaPlaylist::blocking_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockingStatus {
    /// Answer now with the current playlist.
    Ready,
    /// Hold the request and ask again when a segment or part is pushed.
    /// (The spec lets a server give up with 503 after three target
    /// durations.)
    Hold,
    /// The request is too far ahead of the live edge: answer
    /// `400 Bad Request` (rfc8216bis §6.2.5.2).
    BadRequest,
}

impl MediaPlaylist {
    /// The last published position: the last part of the open segment,
    /// else the last segment (with its last part index when it has parts
    /// and the playlist is LL-HLS). `None` before anything is published.
    pub fn last_position(&self) -> Option<Position> {
        if let Some(open) = &self.open {
            return Some(Position { msn: open.msn, part: Some(open.parts.len().saturating_sub(1) as u64) });
        }
        let (msn, _) = self.last?;
        let parts = self.entries.back().filter(|e| e.seg.sequence == msn).map_or(0, |e| e.seg.parts.len());
        let part = (self.options.low_latency.is_some() && parts > 0).then(|| parts as u64 - 1);
        Some(Position { msn, part })
    }

    /// The next position to be published: the next part of the open
    /// segment, else the first part (LL-HLS) or the whole (otherwise) of
    /// the segment after the last. `None` before anything is published,
    /// since the first sequence number is not known yet.
    pub fn next_position(&self) -> Option<Position> {
        if let Some(open) = &self.open {
            return Some(Position { msn: open.msn, part: Some(open.parts.len() as u64) });
        }
        let (msn, _) = self.last?;
        let msn = msn.checked_add(1)?;
        Some(Position { msn, part: self.options.low_latency.map(|_| 0) })
    }

    /// Whether the playlist already satisfies a blocking request for
    /// segment `msn` (`_HLS_msn`) or its part `part` (`_HLS_part`): that
    /// segment or part, or anything later, is published. A request for a
    /// part index past the end of a complete segment waits for the next
    /// segment's first part. A finished or VOD playlist satisfies
    /// everything.
    pub fn can_serve(&self, msn: u64, part: Option<u64>) -> bool {
        if self.finished || self.options.kind == PlaylistKind::Vod {
            return true;
        }
        let open_parts = self.open.as_ref().map(|o| (o.msn, o.parts.len() as u64));
        let Some(part) = part else {
            return self.last.is_some_and(|(l, _)| msn <= l);
        };
        if let Some((last, _)) = self.last {
            if msn < last {
                return true;
            }
            if msn == last {
                let parts = self.entries.back().filter(|e| e.seg.sequence == last).map_or(0, |e| e.seg.parts.len());
                return part < parts as u64 || open_parts.is_some_and(|(_, n)| n > 0);
            }
        }
        open_parts.is_some_and(|(open_msn, n)| open_msn == msn && part < n)
    }

    /// What to do with a playlist request carrying these directives: serve
    /// it, hold it until a later push, or refuse it as too far ahead
    /// (`_HLS_msn` beyond the last segment plus two, or `_HLS_part` more
    /// than the Advance Part Limit past the last part: three seconds of
    /// parts, at least three parts).
    pub fn blocking_status(&self, directives: &DeliveryDirectives) -> BlockingStatus {
        let Some(msn) = directives.msn else {
            return BlockingStatus::Ready;
        };
        if self.can_serve(msn, directives.part) {
            return BlockingStatus::Ready;
        }
        if let Some((last, _)) = self.last {
            if msn > last.saturating_add(2) {
                return BlockingStatus::BadRequest;
            }
        }
        if let (Some(part), Some(next)) = (directives.part, self.next_position()) {
            let limit = self.advance_part_limit();
            let next_part = next.part.unwrap_or(0);
            // Parts between the next one to be published and the request.
            let ahead = if msn == next.msn {
                part.saturating_sub(next_part)
            } else if msn > next.msn {
                part.saturating_add(1)
            } else {
                0
            };
            if ahead >= limit {
                return BlockingStatus::BadRequest;
            }
        }
        BlockingStatus::Hold
    }

    /// This playlist's `EXT-X-RENDITION-REPORT`, as seen from a sibling
    /// playlist that reaches it at `uri`. `None` before anything is
    /// published.
    pub fn rendition_report(&self, uri: impl Into<String>) -> Option<RenditionReport> {
        let pos = self.last_position()?;
        Some(RenditionReport { uri: uri.into(), last_msn: pos.msn, last_part: pos.part })
    }

    /// How many listed segments a delta update may skip: those ending at
    /// least `until` before the end of the last segment.
    pub(super) fn skippable(&self, until: Timestamp) -> Result<usize, PlaylistError> {
        let Some((_, end)) = self.last else { return Ok(0) };
        let boundary = end - duration_ticks(until, self.timescale, "options.low_latency.can_skip_until")?;
        Ok(self.entries.iter().take_while(|e| e.seg.end() <= boundary).count())
    }

    /// Advance Part Limit: the number of parts in three seconds, at least
    /// three.
    pub(super) fn advance_part_limit(&self) -> u64 {
        let Some(ll) = self.options.low_latency else { return 3 };
        let pt = ll.part_target;
        if pt.ticks <= 0 {
            return 3;
        }
        let parts = div_ceil(3 * pt.timescale.get() as i128, pt.ticks as i128);
        parts.clamp(3, u64::MAX as i128) as u64
    }
}
