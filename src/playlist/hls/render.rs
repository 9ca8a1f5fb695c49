//! The text of a [`MediaPlaylist`]: tags, `EXTINF` and
//! `EXT-X-PROGRAM-DATE-TIME` lines, LL-HLS parts, preload hints, rendition
//! reports and delta updates (`EXT-X-SKIP`).

use std::fmt::Write as _;

use super::super::text::{decimal_seconds, div_ceil, format_scaled, iso8601, pow10};
use super::super::{PlaylistError, PlaylistPart};
use super::directives::DeliveryDirectives;
use super::media::MediaPlaylist;
use super::options::{PdtPlacement, PlaylistKind, DELTA_VERSION, VERSION};
use crate::time::Timestamp;

impl MediaPlaylist {
    /// The full playlist text.
    pub fn render(&self) -> Result<String, PlaylistError> {
        self.write(0)
    }

    /// The playlist text for a request with these directives: a delta
    /// update (`EXT-X-SKIP`) when the client asked for one with `_HLS_skip`
    /// and `can_skip_until` is set, else the full playlist. Check
    /// [`blocking_status`](Self::blocking_status) first.
    pub fn render_for(&self, directives: &DeliveryDirectives) -> Result<String, PlaylistError> {
        let skip = match (directives.skip, self.options.low_latency.and_then(|ll| ll.can_skip_until)) {
            (Some(_), Some(until)) => self.skippable(until)?,
            _ => 0,
        };
        self.write(skip)
    }

    pub(super) fn seconds_text(&self, ticks: i128) -> String {
        decimal_seconds(ticks, self.timescale, self.decimals())
    }

    /// A duration option written rounded up, so that it never comes out
    /// shorter than configured.
    pub(super) fn option_text(&self, d: Timestamp) -> String {
        let dec = self.decimals();
        format_scaled(div_ceil(d.ticks as i128 * pow10(dec), d.timescale.get() as i128), dec)
    }

    pub(super) fn write(&self, skip: usize) -> Result<String, PlaylistError> {
        let has_parts = self.options.low_latency.is_some() && self.open.as_ref().is_some_and(|o| !o.parts.is_empty());
        if self.entries.is_empty() && !has_parts {
            return Err(PlaylistError::NoSegments);
        }
        let target = self.target_duration();
        let ts = self.timescale;
        let mut out = String::with_capacity(256 + 96 * self.entries.len());
        let mut line = |s: &str| {
            out.push_str(s);
            out.push('\n');
        };
        line("#EXTM3U");
        line(&format!("#EXT-X-VERSION:{}", if skip > 0 { DELTA_VERSION } else { VERSION }));
        line(&format!("#EXT-X-TARGETDURATION:{target}"));
        if let Some(ll) = self.options.low_latency {
            let part_hold_back = ll
                .part_hold_back
                .unwrap_or(Timestamp::new(ll.part_target.ticks.saturating_mul(3), ll.part_target.timescale));
            let mut sc = String::from("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES");
            if let Some(until) = ll.can_skip_until {
                let _ = write!(sc, ",CAN-SKIP-UNTIL={}", self.option_text(until));
            }
            let _ = write!(sc, ",PART-HOLD-BACK={}", self.option_text(part_hold_back));
            if let Some(hb) = ll.hold_back {
                let _ = write!(sc, ",HOLD-BACK={}", self.option_text(hb));
            }
            line(&sc);
            line(&format!("#EXT-X-PART-INF:PART-TARGET={}", self.option_text(ll.part_target)));
        }
        line(&format!("#EXT-X-MEDIA-SEQUENCE:{}", self.media_sequence()));
        if self.discontinuity_sequence > 0 {
            line(&format!("#EXT-X-DISCONTINUITY-SEQUENCE:{}", self.discontinuity_sequence));
        }
        match self.options.kind {
            PlaylistKind::Vod => line("#EXT-X-PLAYLIST-TYPE:VOD"),
            PlaylistKind::Event => line("#EXT-X-PLAYLIST-TYPE:EVENT"),
            PlaylistKind::Live(_) => {}
        }
        if self.options.independent_segments {
            line("#EXT-X-INDEPENDENT-SEGMENTS");
        }
        if skip > 0 {
            line(&format!("#EXT-X-SKIP:SKIPPED-SEGMENTS={skip}"));
        }
        if let Some(init) = &self.init {
            let mut map = format!("#EXT-X-MAP:URI=\"{}\"", init.uri);
            if let Some(r) = init.byte_range {
                let _ = write!(map, ",BYTERANGE=\"{}@{}\"", r.length, r.offset);
            }
            line(&map);
        }

        // Parts are listed for segments ending within three target
        // durations of the live edge.
        let edge = self.last.map_or(0, |(_, end)| end)
            + self.open.as_ref().map_or(0, |o| o.parts.iter().map(|p| p.duration as i128).sum::<i128>());
        let parts_after = edge - 3 * target as i128 * ts.get() as i128;
        let low_latency = self.options.low_latency.is_some();

        for (i, e) in self.entries.iter().enumerate().skip(skip) {
            let seg = &e.seg;
            if seg.discontinuity {
                line("#EXT-X-DISCONTINUITY");
            }
            if let Some(ms) = e.pdt_ms {
                let tag = match self.options.program_date_time {
                    PdtPlacement::Off => false,
                    PdtPlacement::EverySegment => true,
                    PdtPlacement::Sparse => i == skip || seg.discontinuity || e.pdt_jump,
                };
                if tag {
                    line(&format!("#EXT-X-PROGRAM-DATE-TIME:{}", iso8601(ms, "segment.program_date_time_ms")?));
                }
            }
            if low_latency && !seg.gap && seg.end() > parts_after {
                for part in &seg.parts {
                    line(&self.part_tag(part));
                }
            }
            line(&format!("#EXTINF:{},", self.seconds_text(seg.duration as i128)));
            if let Some(r) = seg.byte_range {
                line(&format!("#EXT-X-BYTERANGE:{}@{}", r.length, r.offset));
            }
            if seg.gap {
                line("#EXT-X-GAP");
            }
            line(&seg.uri);
        }
        if low_latency {
            if let Some(open) = &self.open {
                for part in &open.parts {
                    line(&self.part_tag(part));
                }
            }
            if let Some(hint) = &self.preload_hint {
                let mut tag = format!("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"{}\"", hint.uri);
                if let Some(start) = hint.byte_range_start {
                    let _ = write!(tag, ",BYTERANGE-START={start}");
                }
                if let Some(len) = hint.byte_range_length {
                    let _ = write!(tag, ",BYTERANGE-LENGTH={len}");
                }
                line(&tag);
            }
        }
        for r in &self.rendition_reports {
            let mut tag = format!("#EXT-X-RENDITION-REPORT:URI=\"{}\",LAST-MSN={}", r.uri, r.last_msn);
            if let Some(p) = r.last_part {
                let _ = write!(tag, ",LAST-PART={p}");
            }
            line(&tag);
        }
        if self.finished || self.options.kind == PlaylistKind::Vod {
            line("#EXT-X-ENDLIST");
        }
        Ok(out)
    }

    pub(super) fn part_tag(&self, part: &PlaylistPart) -> String {
        let mut tag = format!("#EXT-X-PART:DURATION={},URI=\"{}\"", self.seconds_text(part.duration as i128), part.uri);
        if part.independent {
            tag.push_str(",INDEPENDENT=YES");
        }
        if let Some(r) = part.byte_range {
            let _ = write!(tag, ",BYTERANGE=\"{}@{}\"", r.length, r.offset);
        }
        tag
    }
}
