//! DASH MPD writer (ISO/IEC 23009-1, DASH-IF IOP): static on-demand
//! (`SegmentBase` + `sidx`), static and dynamic `SegmentTemplate`
//! (`$Number$` or `$Time$`, with `SegmentTimeline` or a fixed duration).
//!
//! An [`Mpd`] is plain data rendered in one call; a live server re-renders
//! it on each update with the current segments and the current time as
//! `publish_time_ms`. One Period starting at 0. The profile follows from
//! the addressing: `urn:mpeg:dash:profile:isoff-on-demand:2011` for
//! `SegmentBase`, `urn:mpeg:dash:profile:isoff-live:2011` for templates.
//!
//! Media times map to the presentation as in the spec: a segment starting
//! at tick `t` is presented at `(t - presentation_time_offset) / timescale`
//! seconds after the Period start, and in a dynamic MPD becomes available
//! when its end passes `availabilityStartTime` by that much. Durations are
//! written as `xs:duration` rounded to the millisecond (`PT1M2.345S`),
//! wall-clock times as `xs:dateTime` in UTC with milliseconds.
//!
//! ```
//! use framecast::playlist::dash::{AdaptationSet, Addressing, MediaInfo, Mpd, Representation, TemplateTiming, VideoInfo};
//! use framecast::playlist::{FrameRate, InitSegmentRef, Segment, Timeline};
//! use framecast::time::Timescale;
//!
//! let mut timeline = Timeline::new(Timescale::MPEG);
//! timeline.init = Some(InitSegmentRef::new("v/init.mp4"));
//! for n in 1..=3u64 {
//!     timeline.segments.push(Segment::new(n, (n as i64 - 1) * 180_000, 180_000, format!("v/{n}.m4s")));
//! }
//! let video = Representation {
//!     id: "v".into(),
//!     bandwidth: 2_000_000,
//!     codecs: "avc1.64001f".into(),
//!     media: MediaInfo::Video(VideoInfo::new(1280, 720, Some(FrameRate::integer(30)))),
//!     timeline,
//!     addressing: Addressing::SegmentTemplate { media: "v/$Number$.m4s".into(), timing: TemplateTiming::Timeline },
//!     presentation_time_offset: 0,
//! };
//! let mpd = Mpd { adaptation_sets: vec![AdaptationSet::new(1, vec![video])], ..Default::default() };
//! let xml = mpd.render().unwrap();
//! assert!(xml.contains(r#"mediaPresentationDuration="PT6S""#));
//! assert!(xml.contains(r#"<S t="0" d="180000" r="2"/>"#));
//! ```

use std::fmt::Write as _;

use super::model::{check_uri, seconds};
use super::text::{
    codec_string, div_ceil, div_round, duration_ticks, iso8601, language_tag, xml_escape, xs_duration, xs_duration_ms,
};
use super::{ByteRange, FrameRate, PlaylistError, Resolution, Segment, Timeline};
use crate::time::Timestamp;

/// The on-demand profile (one file per Representation, indexed by `sidx`).
pub const PROFILE_ON_DEMAND: &str = "urn:mpeg:dash:profile:isoff-on-demand:2011";
/// The live profile (`SegmentTemplate`), used for static and dynamic MPDs.
pub const PROFILE_LIVE: &str = "urn:mpeg:dash:profile:isoff-live:2011";
/// The scheme of `AudioChannelConfiguration` values that count channels.
pub const AUDIO_CHANNEL_SCHEME: &str = "urn:mpeg:dash:23003:3:audio_channel_configuration:2011";

/// Static (on demand) or dynamic (live).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MpdKind {
    /// `type="static"`: every segment is listed; `mediaPresentationDuration`
    /// is the longest Representation. The default.
    #[default]
    Static,
    /// `type="dynamic"`: a live MPD, re-fetched by players every
    /// `minimum_update_period`.
    Dynamic(LiveMpd),
}

/// The attributes of a dynamic MPD. Wall-clock times are milliseconds since
/// the Unix epoch from the caller's clock; durations are [`Timestamp`]s used
/// as durations, in any timescale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveMpd {
    /// `availabilityStartTime`: the wall-clock time of the Period start,
    /// i.e. of media time `presentation_time_offset`.
    pub availability_start_time_ms: i64,
    /// `publishTime`: when this version of the MPD was made (now).
    pub publish_time_ms: i64,
    /// `minimumUpdatePeriod`: how often players re-fetch. Default 2 s.
    pub minimum_update_period: Timestamp,
    /// `timeShiftBufferDepth`: how far back players may seek; also the
    /// window of listed segments (those ending within it of the newest
    /// end). Default 30 s; must be positive.
    pub time_shift_buffer_depth: Timestamp,
    /// `suggestedPresentationDelay`: how far behind the live edge players
    /// should play. Default `None` (players choose, dash.js uses a few
    /// segment durations).
    pub suggested_presentation_delay: Option<Timestamp>,
}

impl LiveMpd {
    /// A live MPD available from `availability_start_time_ms`, published at
    /// `publish_time_ms`, with the defaults above.
    pub fn new(availability_start_time_ms: i64, publish_time_ms: i64) -> Self {
        LiveMpd {
            availability_start_time_ms,
            publish_time_ms,
            minimum_update_period: seconds(2),
            time_shift_buffer_depth: seconds(30),
            suggested_presentation_delay: None,
        }
    }
}

/// A `UTCTiming` element: how players synchronise their clock with the
/// server's (DASH-IF IOP recommends one for live).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UtcTiming {
    /// `schemeIdUri`, e.g. `urn:mpeg:dash:utc:http-iso:2014`.
    pub scheme_id_uri: String,
    /// `value`: a URL, or the time itself for the direct scheme.
    pub value: String,
}

impl UtcTiming {
    /// `urn:mpeg:dash:utc:http-iso:2014`: the player GETs `url`, which
    /// answers with an ISO 8601 time.
    pub fn http_iso(url: impl Into<String>) -> Self {
        UtcTiming { scheme_id_uri: "urn:mpeg:dash:utc:http-iso:2014".into(), value: url.into() }
    }

    /// `urn:mpeg:dash:utc:direct:2014`: the time is in the MPD, `now_ms`
    /// milliseconds since the Unix epoch.
    pub fn direct(now_ms: i64) -> Result<Self, PlaylistError> {
        Ok(UtcTiming {
            scheme_id_uri: "urn:mpeg:dash:utc:direct:2014".into(),
            value: iso8601(now_ms, "utc_timing.now_ms")?,
        })
    }
}

/// Picture attributes of a video Representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VideoInfo {
    /// `width` and `height` in pixels.
    pub resolution: Resolution,
    /// `frameRate`, written as `30` or `30000/1001`. Default `None`.
    pub frame_rate: Option<FrameRate>,
    /// `sar`: sample (pixel) aspect ratio `h:v`. Default 1:1.
    pub sar: (u32, u32),
}

impl VideoInfo {
    /// `width` × `height` square pixels at `frame_rate`.
    pub fn new(width: u32, height: u32, frame_rate: Option<FrameRate>) -> Self {
        VideoInfo { resolution: Resolution::new(width, height), frame_rate, sar: (1, 1) }
    }
}

/// Sound attributes of an audio Representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AudioInfo {
    /// `audioSamplingRate` in Hz (48 000 for Opus).
    pub sampling_rate: u32,
    /// Channel count, written as an `AudioChannelConfiguration`.
    pub channels: u32,
}

/// Video or audio, with the attributes of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaInfo {
    /// A video Representation (`video/mp4`).
    Video(VideoInfo),
    /// An audio Representation (`audio/mp4`).
    Audio(AudioInfo),
}

/// How a `SegmentTemplate` times its segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplateTiming {
    /// A `SegmentTimeline` listing every segment's start and duration
    /// (exact for any durations; required for dynamic MPDs and `$Time$`).
    Timeline,
    /// `SegmentTemplate@duration`, in ticks: every segment lasts exactly
    /// this long (the last one may be shorter) and the first starts at the
    /// presentation time offset. Static MPDs with `$Number$` only.
    Duration(u64),
}

/// How a Representation's segments are addressed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Addressing {
    /// One file per Representation (the init segment's URI), with a `sidx`
    /// at `index_range` (on-demand profile, static MPDs only). The init
    /// segment must have its `byte_range`, and every segment must be in
    /// the same file.
    SegmentBase {
        /// Where the `sidx` box is in the file.
        index_range: ByteRange,
    },
    /// `SegmentTemplate` with `initialization` from the init segment's URI
    /// and `media` given here. The template must contain `$Number$` or
    /// `$Time$` (optionally with a `%0Nd` width) and may contain
    /// `$RepresentationID$`, `$Bandwidth$` and `$$`; it must expand to each
    /// segment's URI (checked).
    SegmentTemplate {
        /// The `media` template, e.g. `video/$Number%05d$.m4s`.
        media: String,
        /// Timeline or fixed duration.
        timing: TemplateTiming,
    },
}

/// One encoding of a media component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Representation {
    /// `id`, unique in the MPD; also `$RepresentationID$`.
    pub id: String,
    /// `bandwidth` in bits per second (e.g. [`Timeline::bandwidth`]'s
    /// peak). Greater than zero.
    pub bandwidth: u64,
    /// `codecs`: the RFC 6381 codec string.
    pub codecs: String,
    /// Video or audio attributes.
    pub media: MediaInfo,
    /// Its segments, timescale and init segment (required).
    pub timeline: Timeline,
    /// `SegmentBase` or `SegmentTemplate`.
    pub addressing: Addressing,
    /// `presentationTimeOffset`, in timeline ticks: the media time that is
    /// presented at the Period start. Default 0 (written only if not 0).
    pub presentation_time_offset: u64,
}

/// Representations of one media component that players switch between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdaptationSet {
    /// `id`, unique in the Period.
    pub id: u32,
    /// `lang`, an RFC 5646 tag such as `en`. Default `None`.
    pub lang: Option<String>,
    /// At least one; all video or all audio.
    pub representations: Vec<Representation>,
}

impl AdaptationSet {
    /// An AdaptationSet without a language.
    pub fn new(id: u32, representations: Vec<Representation>) -> Self {
        AdaptationSet { id, lang: None, representations }
    }
}

/// A Media Presentation Description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mpd {
    /// Static or dynamic. Default static.
    pub kind: MpdKind,
    /// `minBufferTime`. Default 2 s.
    pub min_buffer_time: Timestamp,
    /// An MPD-level `BaseURL`. Default `None`.
    pub base_url: Option<String>,
    /// The AdaptationSets of the single Period. At least one.
    pub adaptation_sets: Vec<AdaptationSet>,
    /// `UTCTiming` elements. Default empty.
    pub utc_timing: Vec<UtcTiming>,
}

impl Default for Mpd {
    fn default() -> Self {
        Mpd {
            kind: MpdKind::Static,
            min_buffer_time: seconds(2),
            base_url: None,
            adaptation_sets: Vec::new(),
            utc_timing: Vec::new(),
        }
    }
}

/// A parsed `SegmentTemplate` string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TemplatePiece {
    Literal(String),
    RepresentationId,
    Number(usize),
    Time(usize),
    Bandwidth(usize),
}

/// Splits a template into literal text and identifiers with their
/// `%0Nd` widths (0: no padding).
fn parse_template(template: &str) -> Result<Vec<TemplatePiece>, &'static str> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('$') {
        literal.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('$').ok_or("has an unpaired '$'")?;
        let ident = &after[..close];
        rest = &after[close + 1..];
        if ident.is_empty() {
            literal.push('$');
            continue;
        }
        let (name, format) = match ident.split_once('%') {
            Some((n, f)) => (n, Some(f)),
            None => (ident, None),
        };
        let width = match format {
            None => 0,
            Some(f) => {
                let digits =
                    f.strip_prefix('0').and_then(|f| f.strip_suffix('d')).ok_or("has a format tag other than %0Nd")?;
                if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err("has a format tag other than %0Nd");
                }
                digits.parse().map_err(|_| "has a format tag other than %0Nd")?
            }
        };
        if !literal.is_empty() {
            pieces.push(TemplatePiece::Literal(std::mem::take(&mut literal)));
        }
        pieces.push(match (name, format) {
            ("RepresentationID", None) => TemplatePiece::RepresentationId,
            ("Number", _) => TemplatePiece::Number(width),
            ("Time", _) => TemplatePiece::Time(width),
            ("Bandwidth", _) => TemplatePiece::Bandwidth(width),
            _ => return Err("has an unknown $identifier$"),
        });
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        pieces.push(TemplatePiece::Literal(literal));
    }
    Ok(pieces)
}

fn expand_template(pieces: &[TemplatePiece], rep: &Representation, seg: &Segment) -> String {
    let mut out = String::new();
    for p in pieces {
        let _ = match *p {
            TemplatePiece::Literal(ref s) => write!(out, "{s}"),
            TemplatePiece::RepresentationId => write!(out, "{}", rep.id),
            TemplatePiece::Number(w) => write!(out, "{:0w$}", seg.sequence),
            TemplatePiece::Time(w) => write!(out, "{:0w$}", seg.start),
            TemplatePiece::Bandwidth(w) => write!(out, "{:0w$}", rep.bandwidth),
        };
    }
    out
}

/// A tiny indenting XML writer. Attribute values must already be escaped.
struct Xml {
    out: String,
    depth: usize,
}

impl Xml {
    fn start(&mut self, name: &str, attrs: &[(&str, String)], empty: bool) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            let _ = write!(self.out, " {k}=\"{v}\"");
        }
        self.out.push_str(if empty { "/>\n" } else { ">\n" });
        if !empty {
            self.depth += 1;
        }
    }

    fn open(&mut self, name: &str, attrs: &[(&str, String)]) {
        self.start(name, attrs, false);
    }

    fn empty(&mut self, name: &str, attrs: &[(&str, String)]) {
        self.start(name, attrs, true);
    }

    fn text(&mut self, name: &str, escaped: &str) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
        let _ = writeln!(self.out, "<{name}>{escaped}</{name}>");
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
        let _ = writeln!(self.out, "</{name}>");
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> PlaylistError {
    PlaylistError::InvalidOption { field, reason: reason.into() }
}

impl Mpd {
    /// The MPD text. Checks the structure (at least one AdaptationSet and
    /// Representation each, unique ids, one media kind per AdaptationSet,
    /// no mixing of on-demand and live addressing, `SegmentBase` only in
    /// static MPDs), every Representation's timeline, the templates against
    /// the segment URIs, and every string.
    pub fn render(&self) -> Result<String, PlaylistError> {
        if self.adaptation_sets.is_empty() {
            return Err(invalid("mpd.adaptation_sets", "must not be empty"));
        }
        let live = match self.kind {
            MpdKind::Dynamic(l) => Some(l),
            MpdKind::Static => None,
        };
        // Profile from the addressing, which must be uniform.
        let all_reps = || self.adaptation_sets.iter().flat_map(|a| a.representations.iter());
        let on_demand = all_reps().filter(|r| matches!(r.addressing, Addressing::SegmentBase { .. })).count();
        let total = all_reps().count();
        if on_demand != 0 && on_demand != total {
            return Err(invalid(
                "representation.addressing",
                "must be SegmentBase for all Representations or for none",
            ));
        }
        let profile = if on_demand > 0 { PROFILE_ON_DEMAND } else { PROFILE_LIVE };
        if on_demand > 0 && live.is_some() {
            return Err(invalid("representation.addressing", "SegmentBase (on-demand profile) needs a static MPD"));
        }
        let reps: Vec<&Representation> = all_reps().collect();
        for (i, r) in reps.iter().enumerate() {
            if reps[..i].iter().any(|o| o.id == r.id) {
                return Err(PlaylistError::InvalidText {
                    field: "representation.id",
                    value: r.id.clone(),
                    reason: "is used twice",
                });
            }
        }
        for (i, a) in self.adaptation_sets.iter().enumerate() {
            if self.adaptation_sets[..i].iter().any(|o| o.id == a.id) {
                return Err(invalid("adaptation_set.id", format!("{} is used twice", a.id)));
            }
        }

        // The listed segments of each Representation (checked here, before
        // any output), and the longest of them for maxSegmentDuration.
        let mut longest_segment_ms: i128 = 0;
        for r in &reps {
            let ts = r.timeline.timescale.get() as i128;
            for s in listed_segments(r, live.as_ref())? {
                longest_segment_ms = longest_segment_ms.max(div_ceil(s.duration as i128 * 1000, ts));
            }
        }

        let mut x = Xml { out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"), depth: 0 };
        let mut attrs: Vec<(&str, String)> =
            vec![("xmlns", "urn:mpeg:dash:schema:mpd:2011".into()), ("profiles", profile.into())];
        match live {
            None => {
                let mut longest_ms: i128 = 0;
                for r in &reps {
                    let end = r.timeline.segments.last().map_or(0, Segment::end);
                    let presented = end - r.presentation_time_offset as i128;
                    longest_ms = longest_ms.max(div_round(presented * 1000, r.timeline.timescale.get() as i128));
                }
                attrs.push(("type", "static".into()));
                attrs.push(("mediaPresentationDuration", xs_duration_ms(longest_ms.max(0) as u128)));
            }
            Some(l) => {
                if l.time_shift_buffer_depth.ticks <= 0 {
                    return Err(invalid(
                        "mpd.kind.time_shift_buffer_depth",
                        format!("must be positive, got {}", l.time_shift_buffer_depth),
                    ));
                }
                attrs.push(("type", "dynamic".into()));
                attrs.push((
                    "availabilityStartTime",
                    iso8601(l.availability_start_time_ms, "mpd.kind.availability_start_time_ms")?,
                ));
                attrs.push(("publishTime", iso8601(l.publish_time_ms, "mpd.kind.publish_time_ms")?));
                attrs.push((
                    "minimumUpdatePeriod",
                    xs_duration(l.minimum_update_period, "mpd.kind.minimum_update_period")?,
                ));
                attrs.push((
                    "timeShiftBufferDepth",
                    xs_duration(l.time_shift_buffer_depth, "mpd.kind.time_shift_buffer_depth")?,
                ));
                if let Some(d) = l.suggested_presentation_delay {
                    attrs
                        .push(("suggestedPresentationDelay", xs_duration(d, "mpd.kind.suggested_presentation_delay")?));
                }
            }
        }
        attrs.push(("maxSegmentDuration", xs_duration_ms(longest_segment_ms as u128)));
        if self.min_buffer_time.ticks < 0 {
            return Err(invalid("mpd.min_buffer_time", format!("must not be negative, got {}", self.min_buffer_time)));
        }
        attrs.push(("minBufferTime", xs_duration(self.min_buffer_time, "mpd.min_buffer_time")?));
        x.open("MPD", &attrs);
        if let Some(base) = &self.base_url {
            check_uri(base, "mpd.base_url")?;
            x.text("BaseURL", &xml_escape(base, "mpd.base_url")?);
        }
        x.open("Period", &[("id", "0".into()), ("start", "PT0S".into())]);
        for a in &self.adaptation_sets {
            self.write_adaptation_set(&mut x, a, live.as_ref())?;
        }
        x.close("Period");
        for u in &self.utc_timing {
            x.empty(
                "UTCTiming",
                &[
                    ("schemeIdUri", xml_escape(&u.scheme_id_uri, "utc_timing.scheme_id_uri")?),
                    ("value", xml_escape(&u.value, "utc_timing.value")?),
                ],
            );
        }
        x.close("MPD");
        Ok(x.out)
    }

    fn write_adaptation_set(
        &self,
        x: &mut Xml,
        a: &AdaptationSet,
        live: Option<&LiveMpd>,
    ) -> Result<(), PlaylistError> {
        let first =
            a.representations.first().ok_or_else(|| invalid("adaptation_set.representations", "must not be empty"))?;
        let video = matches!(first.media, MediaInfo::Video(_));
        if a.representations.iter().any(|r| matches!(r.media, MediaInfo::Video(_)) != video) {
            return Err(invalid("adaptation_set.representations", "must be all video or all audio"));
        }
        let mut attrs: Vec<(&str, String)> = vec![
            ("id", a.id.to_string()),
            ("contentType", if video { "video" } else { "audio" }.into()),
            ("mimeType", if video { "video/mp4" } else { "audio/mp4" }.into()),
        ];
        if let Some(lang) = &a.lang {
            attrs.push(("lang", language_tag(lang, "adaptation_set.lang")?.into()));
        }
        attrs.push(("segmentAlignment", "true".into()));
        attrs.push(("startWithSAP", "1".into()));
        x.open("AdaptationSet", &attrs);
        for r in &a.representations {
            write_representation(x, r, live)?;
        }
        x.close("AdaptationSet");
        Ok(())
    }
}

/// The segments of `r` to list, after checking its timeline: all of them
/// in a static MPD; in a dynamic one, those ending within the time-shift
/// buffer of the newest end (at least the newest).
fn listed_segments<'a>(r: &'a Representation, live: Option<&LiveMpd>) -> Result<&'a [Segment], PlaylistError> {
    let timeline = &r.timeline;
    timeline.validate()?;
    let Some(newest) = timeline.segments.last() else {
        return Err(PlaylistError::NoSegments);
    };
    let mut segments: &[Segment] = &timeline.segments;
    if let Some(l) = live {
        let depth = duration_ticks(l.time_shift_buffer_depth, timeline.timescale, "mpd.kind.time_shift_buffer_depth")?;
        let first = segments.iter().position(|s| s.end() > newest.end() - depth).unwrap_or(segments.len() - 1);
        segments = &segments[first..];
    }
    Ok(segments)
}

fn write_representation(x: &mut Xml, r: &Representation, live: Option<&LiveMpd>) -> Result<(), PlaylistError> {
    let timeline = &r.timeline;
    let segments = listed_segments(r, live)?;
    if r.bandwidth == 0 {
        return Err(invalid("representation.bandwidth", "must be greater than zero, got 0"));
    }
    let init = timeline.init.as_ref().ok_or_else(|| invalid("representation.timeline.init", "is required for DASH"))?;
    let ts = timeline.timescale;

    let mut attrs: Vec<(&str, String)> = vec![
        ("id", xml_escape(&r.id, "representation.id")?),
        ("bandwidth", r.bandwidth.to_string()),
        ("codecs", codec_string(&r.codecs, "representation.codecs")?.into()),
    ];
    if r.id.is_empty() || r.id.chars().any(|c| c.is_whitespace()) {
        return Err(PlaylistError::InvalidText {
            field: "representation.id",
            value: r.id.clone(),
            reason: "must be non-empty without white space",
        });
    }
    match r.media {
        MediaInfo::Video(v) => {
            v.resolution.check("representation.media.resolution")?;
            attrs.push(("width", v.resolution.width.to_string()));
            attrs.push(("height", v.resolution.height.to_string()));
            if let Some(fr) = v.frame_rate {
                fr.check("representation.media.frame_rate")?;
                let (n, d) = fr.reduced();
                attrs.push(("frameRate", if d == 1 { n.to_string() } else { format!("{n}/{d}") }));
            }
            if v.sar.0 == 0 || v.sar.1 == 0 {
                return Err(invalid(
                    "representation.media.sar",
                    format!("must be positive, got {}:{}", v.sar.0, v.sar.1),
                ));
            }
            attrs.push(("sar", format!("{}:{}", v.sar.0, v.sar.1)));
        }
        MediaInfo::Audio(au) => {
            if au.sampling_rate == 0 {
                return Err(invalid("representation.media.sampling_rate", "must be greater than zero, got 0"));
            }
            if au.channels == 0 {
                return Err(invalid("representation.media.channels", "must be at least 1, got 0"));
            }
            attrs.push(("audioSamplingRate", au.sampling_rate.to_string()));
        }
    }
    x.open("Representation", &attrs);
    if let MediaInfo::Audio(au) = r.media {
        x.empty(
            "AudioChannelConfiguration",
            &[("schemeIdUri", AUDIO_CHANNEL_SCHEME.into()), ("value", au.channels.to_string())],
        );
    }
    let pto = r.presentation_time_offset;
    match &r.addressing {
        Addressing::SegmentBase { index_range } => {
            index_range.check("representation.addressing.index_range")?;
            let init_range = init
                .byte_range
                .ok_or_else(|| invalid("representation.timeline.init.byte_range", "is required for SegmentBase"))?;
            if let Some(s) = segments.iter().find(|s| s.uri != init.uri) {
                return Err(PlaylistError::InvalidText {
                    field: "segment.uri",
                    value: s.uri.clone(),
                    reason: "must be the init segment's file with SegmentBase (one file per Representation)",
                });
            }
            let range = |r: &ByteRange| format!("{}-{}", r.offset, r.last_byte().unwrap_or(r.offset));
            x.text("BaseURL", &xml_escape(&init.uri, "init.uri")?);
            let mut sb: Vec<(&str, String)> = vec![("timescale", ts.get().to_string())];
            if pto != 0 {
                sb.push(("presentationTimeOffset", pto.to_string()));
            }
            sb.push(("indexRange", range(index_range)));
            sb.push(("indexRangeExact", "true".into()));
            x.open("SegmentBase", &sb);
            x.empty("Initialization", &[("range", range(&init_range))]);
            x.close("SegmentBase");
        }
        Addressing::SegmentTemplate { media, timing } => {
            let bad_template = |reason: &'static str| PlaylistError::InvalidText {
                field: "representation.addressing.media",
                value: media.clone(),
                reason,
            };
            let pieces = parse_template(media).map_err(bad_template)?;
            let number = pieces.iter().any(|p| matches!(p, TemplatePiece::Number(_)));
            let time = pieces.iter().any(|p| matches!(p, TemplatePiece::Time(_)));
            if number == time {
                return Err(bad_template("must contain exactly one of $Number$ and $Time$"));
            }
            for s in segments {
                let expanded = expand_template(&pieces, r, s);
                if expanded != s.uri {
                    return Err(PlaylistError::TemplateMismatch { sequence: s.sequence, expanded, uri: s.uri.clone() });
                }
            }
            let first = &segments[0];
            let mut st: Vec<(&str, String)> = vec![("timescale", ts.get().to_string())];
            if pto != 0 {
                st.push(("presentationTimeOffset", pto.to_string()));
            }
            if let TemplateTiming::Duration(d) = timing {
                if live.is_some() || time {
                    return Err(invalid(
                        "representation.addressing.timing",
                        "a fixed duration needs a static MPD and $Number$; use TemplateTiming::Timeline",
                    ));
                }
                check_fixed_durations(segments, *d, pto)?;
                st.push(("duration", d.to_string()));
            }
            // `initialization` is a template too: a literal '$' is "$$".
            st.push(("initialization", xml_escape(&init.uri.replace('$', "$$"), "init.uri")?));
            st.push(("media", xml_escape(media, "representation.addressing.media")?));
            if number {
                st.push(("startNumber", first.sequence.to_string()));
            }
            match timing {
                TemplateTiming::Duration(_) => x.empty("SegmentTemplate", &st),
                TemplateTiming::Timeline => {
                    x.open("SegmentTemplate", &st);
                    x.open("SegmentTimeline", &[]);
                    write_timeline(x, segments);
                    x.close("SegmentTimeline");
                    x.close("SegmentTemplate");
                }
            }
        }
    }
    x.close("Representation");
    Ok(())
}

/// `S` elements: `t` on the first and after a gap, `r` for repeats of the
/// same duration without gaps.
fn write_timeline(x: &mut Xml, segments: &[Segment]) {
    let mut i = 0;
    let mut expected_start: Option<i128> = None;
    while i < segments.len() {
        let s = &segments[i];
        let mut repeat = 0;
        while let Some(next) = segments.get(i + 1 + repeat) {
            let prev = &segments[i + repeat];
            if next.duration != s.duration || next.start as i128 != prev.end() {
                break;
            }
            repeat += 1;
        }
        let mut attrs: Vec<(&str, String)> = Vec::with_capacity(3);
        if expected_start != Some(s.start as i128) {
            attrs.push(("t", s.start.to_string()));
        }
        attrs.push(("d", s.duration.to_string()));
        if repeat > 0 {
            attrs.push(("r", repeat.to_string()));
        }
        x.empty("S", &attrs);
        let last = &segments[i + repeat];
        expected_start = Some(last.end());
        i += repeat + 1;
    }
}

/// With `SegmentTemplate@duration`, players compute segment `k` to start at
/// `k × duration`: the segments must really do so.
fn check_fixed_durations(segments: &[Segment], d: u64, pto: u64) -> Result<(), PlaylistError> {
    if d == 0 {
        return Err(invalid("representation.addressing.timing", "duration must be greater than zero, got 0"));
    }
    for (k, s) in segments.iter().enumerate() {
        let expected_start = pto as i128 + k as i128 * d as i128;
        let last = k + 1 == segments.len();
        if s.start as i128 != expected_start || (s.duration != d && !(last && s.duration < d)) {
            return Err(invalid(
                "representation.addressing.timing",
                format!(
                    "segment {} must start at {expected_start} and last {d} ticks to use a fixed duration, got start {} and {} ticks",
                    s.sequence, s.start, s.duration
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playlist::InitSegmentRef;
    use crate::time::Timescale;

    const T0: i64 = 1_700_000_000_000;

    fn timeline(n: u64, dur: u64, uri: impl Fn(u64, i64) -> String) -> Timeline {
        let mut t = Timeline::new(Timescale::MPEG);
        t.init = Some(InitSegmentRef::new("v/init.mp4"));
        t.segments = (0..n).map(|k| Segment::new(k + 1, (k * dur) as i64, dur, uri(k + 1, (k * dur) as i64))).collect();
        t
    }

    fn video(t: Timeline, addressing: Addressing) -> Representation {
        Representation {
            id: "v720".into(),
            bandwidth: 2_000_000,
            codecs: "avc1.64001f".into(),
            media: MediaInfo::Video(VideoInfo::new(1280, 720, Some(FrameRate::new(60_000, 2002)))),
            timeline: t,
            addressing,
            presentation_time_offset: 0,
        }
    }

    fn number(timing: TemplateTiming) -> Addressing {
        Addressing::SegmentTemplate { media: "v/$Number%03d$.m4s".into(), timing }
    }

    fn mpd(reps: Vec<Representation>, kind: MpdKind) -> Mpd {
        Mpd { kind, adaptation_sets: vec![AdaptationSet::new(1, reps)], ..Default::default() }
    }

    #[test]
    fn templates_parse_and_expand() {
        let p = parse_template("a/$RepresentationID$/$Number%05d$-$$x$Time$.m4s").unwrap();
        assert_eq!(
            p,
            vec![
                TemplatePiece::Literal("a/".into()),
                TemplatePiece::RepresentationId,
                TemplatePiece::Literal("/".into()),
                TemplatePiece::Number(5),
                TemplatePiece::Literal("-$x".into()),
                TemplatePiece::Time(0),
                TemplatePiece::Literal(".m4s".into()),
            ]
        );
        assert!(parse_template("$Number").is_err());
        assert!(parse_template("$Nope$").is_err());
        assert!(parse_template("$Number%5d$").is_err());
        assert!(parse_template("$RepresentationID%02d$").is_err());
        let r = video(timeline(1, 1, |_, _| String::new()), number(TemplateTiming::Timeline));
        let s = Segment::new(7, 1234, 1, "");
        assert_eq!(
            expand_template(&parse_template("$RepresentationID$_$Number%03d$_$Time$_$Bandwidth$").unwrap(), &r, &s),
            "v720_007_1234_2000000"
        );
    }

    #[test]
    fn timeline_compresses_repeats_and_marks_gaps() {
        let mut t = timeline(5, 180_000, |n, _| format!("v/{n:03}.m4s"));
        t.segments[3].start += 9_000; // a gap before 4
        t.segments[4].start += 9_000;
        t.segments[4].duration = 90_000;
        let xml = mpd(vec![video(t, number(TemplateTiming::Timeline))], MpdKind::Static).render().unwrap();
        assert!(xml.contains("<S t=\"0\" d=\"180000\" r=\"2\"/>\n"), "{xml}");
        assert!(xml.contains("<S t=\"549000\" d=\"180000\"/>\n            <S d=\"90000\"/>\n"), "{xml}");
        assert!(xml.contains("startNumber=\"1\""));
        assert!(xml.contains("frameRate=\"30000/1001\""));
        assert!(xml.contains("mediaPresentationDuration=\"PT9.1S\""), "{xml}");
    }

    #[test]
    fn template_must_match_uris() {
        let t = timeline(2, 180_000, |n, _| format!("v/{n}.m4s"));
        let err = mpd(vec![video(t, number(TemplateTiming::Timeline))], MpdKind::Static).render().unwrap_err();
        assert_eq!(
            err,
            PlaylistError::TemplateMismatch { sequence: 1, expanded: "v/001.m4s".into(), uri: "v/1.m4s".into() }
        );
        let t = timeline(2, 180_000, |_, t| format!("v/{t}.m4s"));
        let both =
            Addressing::SegmentTemplate { media: "v/$Number$$Time$.m4s".into(), timing: TemplateTiming::Timeline };
        assert!(matches!(
            mpd(vec![video(t.clone(), both)], MpdKind::Static).render(),
            Err(PlaylistError::InvalidText { .. })
        ));
        let time = Addressing::SegmentTemplate { media: "v/$Time$.m4s".into(), timing: TemplateTiming::Timeline };
        let xml = mpd(vec![video(t, time)], MpdKind::Static).render().unwrap();
        assert!(!xml.contains("startNumber"));
    }

    #[test]
    fn fixed_duration_is_checked() {
        let t = timeline(3, 180_000, |n, _| format!("v/{n:03}.m4s"));
        let xml =
            mpd(vec![video(t.clone(), number(TemplateTiming::Duration(180_000)))], MpdKind::Static).render().unwrap();
        assert!(xml.contains("duration=\"180000\""));
        assert!(!xml.contains("SegmentTimeline"));
        let err = mpd(vec![video(t.clone(), number(TemplateTiming::Duration(90_000)))], MpdKind::Static).render();
        assert!(matches!(err, Err(PlaylistError::InvalidOption { field: "representation.addressing.timing", .. })));
        let live = MpdKind::Dynamic(LiveMpd::new(T0, T0 + 6_000));
        let err = mpd(vec![video(t, number(TemplateTiming::Duration(180_000)))], live).render();
        assert!(matches!(err, Err(PlaylistError::InvalidOption { field: "representation.addressing.timing", .. })));
    }

    #[test]
    fn dynamic_window_and_attributes() {
        let t = timeline(20, 180_000, |n, _| format!("v/{n:03}.m4s"));
        let mut live = LiveMpd::new(T0, T0 + 40_000);
        live.time_shift_buffer_depth = Timestamp::from_millis(10_000);
        live.suggested_presentation_delay = Some(Timestamp::from_millis(6_000));
        let mut m = mpd(vec![video(t, number(TemplateTiming::Timeline))], MpdKind::Dynamic(live));
        m.utc_timing.push(UtcTiming::direct(T0 + 40_000).unwrap());
        let xml = m.render().unwrap();
        assert!(xml.contains("type=\"dynamic\" availabilityStartTime=\"2023-11-14T22:13:20.000Z\" publishTime=\"2023-11-14T22:14:00.000Z\" minimumUpdatePeriod=\"PT2S\" timeShiftBufferDepth=\"PT10S\" suggestedPresentationDelay=\"PT6S\" maxSegmentDuration=\"PT2S\" minBufferTime=\"PT2S\""), "{xml}");
        // End at 40 s, segments ending after 30 s: 16..=20.
        assert!(xml.contains("startNumber=\"16\""));
        assert!(xml.contains("<S t=\"2700000\" d=\"180000\" r=\"4\"/>"));
        assert!(xml.contains(
            "<UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:direct:2014\" value=\"2023-11-14T22:14:00.000Z\"/>\n</MPD>\n"
        ));
    }

    #[test]
    fn on_demand_segment_base() {
        let mut t = timeline(2, 180_000, |_, _| "v.mp4".into());
        t.init = Some(InitSegmentRef { uri: "v.mp4".into(), byte_range: Some(ByteRange::new(0, 800)) });
        let r = video(t.clone(), Addressing::SegmentBase { index_range: ByteRange::new(800, 68) });
        let xml = mpd(vec![r], MpdKind::Static).render().unwrap();
        assert!(xml.contains(PROFILE_ON_DEMAND));
        assert!(xml.contains("<BaseURL>v.mp4</BaseURL>\n"));
        assert!(xml.contains("<SegmentBase timescale=\"90000\" indexRange=\"800-867\" indexRangeExact=\"true\">\n"));
        assert!(xml.contains("<Initialization range=\"0-799\"/>"));
        // Live + SegmentBase, missing init range, other files: refused.
        let r = video(t.clone(), Addressing::SegmentBase { index_range: ByteRange::new(800, 68) });
        assert!(mpd(vec![r], MpdKind::Dynamic(LiveMpd::new(T0, T0))).render().is_err());
        let mut no_range = t.clone();
        no_range.init = Some(InitSegmentRef::new("v.mp4"));
        let r = video(no_range, Addressing::SegmentBase { index_range: ByteRange::new(800, 68) });
        assert!(matches!(mpd(vec![r], MpdKind::Static).render(), Err(PlaylistError::InvalidOption { .. })));
        t.segments[1].uri = "other.mp4".into();
        let r = video(t, Addressing::SegmentBase { index_range: ByteRange::new(800, 68) });
        assert!(matches!(
            mpd(vec![r], MpdKind::Static).render(),
            Err(PlaylistError::InvalidText { field: "segment.uri", .. })
        ));
    }

    #[test]
    fn structure_is_checked() {
        let t = timeline(2, 180_000, |n, _| format!("v/{n:03}.m4s"));
        assert!(Mpd::default().render().is_err());
        let a = video(t.clone(), number(TemplateTiming::Timeline));
        assert!(matches!(
            mpd(vec![a.clone(), a.clone()], MpdKind::Static).render(),
            Err(PlaylistError::InvalidText { field: "representation.id", .. })
        ));
        let mut audio = a.clone();
        audio.id = "a".into();
        audio.media = MediaInfo::Audio(AudioInfo { sampling_rate: 48_000, channels: 2 });
        assert!(mpd(vec![a.clone(), audio.clone()], MpdKind::Static).render().is_err());
        let mut empty = a.clone();
        empty.timeline.segments.clear();
        assert_eq!(mpd(vec![empty], MpdKind::Static).render(), Err(PlaylistError::NoSegments));
        let mut quoted = a;
        quoted.timeline.init = Some(InitSegmentRef::new("v/in\"it&$.mp4"));
        let xml = mpd(vec![quoted], MpdKind::Static).render().unwrap();
        assert!(xml.contains("initialization=\"v/in&quot;it&amp;$$.mp4\""));
    }

    #[test]
    fn hostile_input_never_panics() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let ints = [0i64, 1, -1, 180_000, i64::MAX, i64::MIN];
        let templates =
            ["v/$Number$.m4s", "$", "$Time%0d$", "$Number%099d$", "$$$Number$", "v/$Time$", "\u{1}", "é$Number$"];
        for _ in 0..500 {
            let mut pick = |n: usize| (next() % n as u64) as usize;
            let mut t = Timeline::new(Timescale::new([1, 90_000, u32::MAX][pick(3)]).unwrap());
            t.init = [
                None,
                Some(InitSegmentRef::new("i$.mp4")),
                Some(InitSegmentRef { uri: "v.mp4".into(), byte_range: Some(ByteRange::new(u64::MAX, 2)) }),
            ][pick(3)]
            .clone();
            for k in 0..pick(4) {
                let uri = format!("v/{k}.m4s");
                t.segments.push(Segment::new(pick(3) as u64, ints[pick(6)], ints[pick(6)].unsigned_abs(), uri));
            }
            let timing = [TemplateTiming::Timeline, TemplateTiming::Duration(ints[pick(6)].unsigned_abs())][pick(2)];
            let addressing = if pick(3) == 0 {
                Addressing::SegmentBase {
                    index_range: ByteRange::new(ints[pick(6)].unsigned_abs(), ints[pick(6)].unsigned_abs()),
                }
            } else {
                Addressing::SegmentTemplate { media: templates[pick(templates.len())].into(), timing }
            };
            let mut r = video(t, addressing);
            r.presentation_time_offset = ints[pick(6)].unsigned_abs();
            let mut live = LiveMpd::new(ints[pick(6)], ints[pick(6)]);
            live.time_shift_buffer_depth = Timestamp::from_millis(ints[pick(6)]);
            live.minimum_update_period = Timestamp::from_millis(ints[pick(6)]);
            let kind = [MpdKind::Static, MpdKind::Dynamic(live)][pick(2)];
            let mut m = mpd(vec![r], kind);
            m.min_buffer_time = Timestamp::from_millis(ints[pick(6)]);
            let _ = m.render();
        }
    }

    #[test]
    fn audio_representation() {
        let mut t = timeline(2, 96_000, |n, _| format!("a/{n}.m4s"));
        t.timescale = Timescale::new(48_000).unwrap();
        let r = Representation {
            id: "a".into(),
            bandwidth: 128_000,
            codecs: "mp4a.40.2".into(),
            media: MediaInfo::Audio(AudioInfo { sampling_rate: 48_000, channels: 2 }),
            timeline: t,
            addressing: Addressing::SegmentTemplate {
                media: "a/$Number$.m4s".into(),
                timing: TemplateTiming::Timeline,
            },
            presentation_time_offset: 0,
        };
        let mut set = AdaptationSet::new(2, vec![r]);
        set.lang = Some("en".into());
        let xml = Mpd { adaptation_sets: vec![set], ..Default::default() }.render().unwrap();
        assert!(xml.contains("<AdaptationSet id=\"2\" contentType=\"audio\" mimeType=\"audio/mp4\" lang=\"en\""));
        assert!(xml.contains("audioSamplingRate=\"48000\">\n"));
        assert!(
            xml.contains(&format!("<AudioChannelConfiguration schemeIdUri=\"{AUDIO_CHANNEL_SCHEME}\" value=\"2\"/>"))
        );
        assert!(xml.contains("mediaPresentationDuration=\"PT4S\""));
    }
}
