//! How a media playlist is written ([`MediaPlaylistOptions`]) and the
//! checks of those options, LL-HLS durations included.

use super::super::model::seconds;
use super::super::text::cmp_durations;
use super::super::PlaylistError;
use crate::time::Timestamp;

/// `EXT-X-VERSION` of every playlist this module writes, except delta
/// updates.
pub const VERSION: u32 = 7;
/// `EXT-X-VERSION` of delta updates (playlists with `EXT-X-SKIP`).
pub const DELTA_VERSION: u32 = 9;

/// What kind of media playlist to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlaylistKind {
    /// Video on demand: every segment is known; `EXT-X-PLAYLIST-TYPE:VOD`
    /// and `EXT-X-ENDLIST` are always written. The default.
    #[default]
    Vod,
    /// A growing event: segments are only appended;
    /// `EXT-X-PLAYLIST-TYPE:EVENT`, `EXT-X-ENDLIST` once finished.
    Event,
    /// Live with a sliding window: old segments leave the playlist,
    /// `EXT-X-MEDIA-SEQUENCE` and `EXT-X-DISCONTINUITY-SEQUENCE` advance.
    Live(Window),
}

/// How much of a live stream a sliding-window playlist keeps. In both
/// cases at least three target durations are kept (RFC 8216 §6.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The last `n` segments; `n` must be at least 1.
    Segments(usize),
    /// The shortest run of last segments lasting at least this long
    /// (a duration in any timescale; must be positive).
    Duration(Timestamp),
}

/// Where `EXT-X-PROGRAM-DATE-TIME` tags go. Times come from
/// [`Segment::program_date_time_ms`](crate::playlist::Segment::program_date_time_ms), or are extrapolated from the last
/// segment that had one; a segment with no known time never gets a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PdtPlacement {
    /// No tags.
    Off,
    /// On the first listed segment, on the first segment after each
    /// discontinuity, and on any segment whose given time differs from
    /// the time extrapolated from the previous one. Players extrapolate the
    /// rest. The default.
    #[default]
    Sparse,
    /// On every segment (bigger playlists, simplest for clients).
    EverySegment,
}

/// LL-HLS settings (rfc8216bis). All durations are [`Timestamp`]s used as
/// durations, in any timescale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LowLatencyOptions {
    /// `EXT-X-PART-INF:PART-TARGET`: the longest a part may last. Usually
    /// 0.2–1 s; must be positive and below the target duration.
    pub part_target: Timestamp,
    /// `PART-HOLD-BACK`: how far behind the live edge players start.
    /// Default `None`: three part targets. At least two part targets.
    pub part_hold_back: Option<Timestamp>,
    /// `HOLD-BACK` for players not in low-latency mode. Default `None`:
    /// not written (players then use three target durations). At least
    /// three target durations.
    pub hold_back: Option<Timestamp>,
    /// `CAN-SKIP-UNTIL`: advertise delta updates (`_HLS_skip`) skipping
    /// segments older than this from the end. Default `None`: no delta
    /// updates. At least six target durations.
    pub can_skip_until: Option<Timestamp>,
}

impl LowLatencyOptions {
    /// Parts of at most `part_target`, every other setting at its default.
    pub fn new(part_target: Timestamp) -> Self {
        LowLatencyOptions { part_target, part_hold_back: None, hold_back: None, can_skip_until: None }
    }
}

/// Options of a [`MediaPlaylist`](super::MediaPlaylist), with their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaPlaylistOptions {
    /// VOD, EVENT or live window. Default [`PlaylistKind::Vod`].
    pub kind: PlaylistKind,
    /// `EXT-X-TARGETDURATION` in whole seconds. Default `None`: computed
    /// from the segments (see the module docs). Live and event playlists
    /// should set it, since the spec forbids it to change; LL-HLS requires
    /// it.
    pub target_duration: Option<u32>,
    /// Digits after the decimal point in `EXTINF` and other durations,
    /// 3 to 6. Default 3.
    pub decimals: u8,
    /// Write `EXT-X-INDEPENDENT-SEGMENTS` (every segment starts with a key
    /// frame). Default `true`.
    pub independent_segments: bool,
    /// `EXT-X-PROGRAM-DATE-TIME` placement. Default [`PdtPlacement::Sparse`].
    pub program_date_time: PdtPlacement,
    /// LL-HLS; only for EVENT and live playlists. Default `None`. Without
    /// it [`MediaPlaylist::push_part`](super::MediaPlaylist::push_part) is refused, and the parts carried by
    /// pushed segments are kept but not written.
    pub low_latency: Option<LowLatencyOptions>,
}

impl Default for MediaPlaylistOptions {
    fn default() -> Self {
        MediaPlaylistOptions {
            kind: PlaylistKind::Vod,
            target_duration: None,
            decimals: 3,
            independent_segments: true,
            program_date_time: PdtPlacement::Sparse,
            low_latency: None,
        }
    }
}

pub(super) fn invalid(field: &'static str, reason: String) -> PlaylistError {
    PlaylistError::InvalidOption { field, reason }
}

pub(super) fn check_options(o: &MediaPlaylistOptions) -> Result<(), PlaylistError> {
    if !(3..=6).contains(&o.decimals) {
        return Err(invalid("options.decimals", format!("must be between 3 and 6, got {}", o.decimals)));
    }
    if o.target_duration == Some(0) {
        return Err(invalid("options.target_duration", "must be at least 1 s, got 0".into()));
    }
    match o.kind {
        PlaylistKind::Live(Window::Segments(0)) => {
            return Err(invalid("options.kind.window", "must keep at least 1 segment, got 0".into()));
        }
        PlaylistKind::Live(Window::Duration(d)) if d.ticks <= 0 => {
            return Err(invalid("options.kind.window", format!("must be a positive duration, got {d}")));
        }
        _ => {}
    }
    if let Some(ll) = o.low_latency {
        if o.kind == PlaylistKind::Vod {
            return Err(invalid("options.low_latency", "applies to EVENT and live playlists, not VOD".into()));
        }
        let Some(target) = o.target_duration else {
            return Err(invalid("options.target_duration", "must be set for low-latency playlists".into()));
        };
        check_low_latency(&ll, seconds(target as i64))?;
    }
    Ok(())
}

/// The LL-HLS duration rules of rfc8216bis, `target` being the target
/// duration.
pub(super) fn check_low_latency(ll: &LowLatencyOptions, target: Timestamp) -> Result<(), PlaylistError> {
    use std::cmp::Ordering::Less;
    let times = |d: Timestamp, k: i64| Timestamp::new(d.ticks.saturating_mul(k), d.timescale);
    let pt = ll.part_target;
    if pt.ticks <= 0 || cmp_durations(pt, target) != Less {
        return Err(invalid(
            "options.low_latency.part_target",
            format!("must be positive and shorter than the target duration of {} s, got {pt}", target.ticks),
        ));
    }
    if let Some(phb) = ll.part_hold_back {
        if cmp_durations(phb, times(pt, 2)) == Less {
            return Err(invalid(
                "options.low_latency.part_hold_back",
                format!("must be at least twice the part target, got {phb}"),
            ));
        }
    }
    if let Some(hb) = ll.hold_back {
        if cmp_durations(hb, times(target, 3)) == Less {
            return Err(invalid(
                "options.low_latency.hold_back",
                format!("must be at least three target durations, got {hb}"),
            ));
        }
    }
    if let Some(until) = ll.can_skip_until {
        if cmp_durations(until, times(target, 6)) == Less {
            return Err(invalid(
                "options.low_latency.can_skip_until",
                format!("must be at least six target durations, got {until}"),
            ));
        }
    }
    Ok(())
}
