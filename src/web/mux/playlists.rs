//! `hlsMediaPlaylist`, `hlsMultivariantPlaylist` and `dashMpd`: the JS
//! option objects, read with serde, and the core playlist writers.

use super::*;

// ---------------------------------------------------------------------------
// Playlists

#[derive(Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct ByteRangeJs {
    offset: u64,
    length: u64,
}

impl From<ByteRangeJs> for ByteRange {
    fn from(r: ByteRangeJs) -> Self {
        ByteRange::new(r.offset, r.length)
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum InitJs {
    Uri(String),
    Full(InitFullJs),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InitFullJs {
    uri: String,
    #[serde(default)]
    byte_range: Option<ByteRangeJs>,
}

impl From<InitJs> for playlist::InitSegmentRef {
    fn from(i: InitJs) -> Self {
        match i {
            InitJs::Uri(uri) => playlist::InitSegmentRef::new(uri),
            InitJs::Full(f) => playlist::InitSegmentRef { uri: f.uri, byte_range: f.byte_range.map(Into::into) },
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PartJs {
    uri: String,
    duration: u64,
    #[serde(default)]
    independent: bool,
    #[serde(default)]
    byte_range: Option<ByteRangeJs>,
}

impl From<PartJs> for playlist::PlaylistPart {
    fn from(p: PartJs) -> Self {
        playlist::PlaylistPart {
            uri: p.uri,
            duration: p.duration,
            independent: p.independent,
            byte_range: p.byte_range.map(Into::into),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SegmentJs {
    sequence: u64,
    start: i64,
    duration: u64,
    uri: String,
    #[serde(default)]
    bytes: Option<u64>,
    #[serde(default)]
    byte_range: Option<ByteRangeJs>,
    #[serde(default)]
    discontinuity: bool,
    #[serde(default)]
    program_date_time: Option<i64>,
    #[serde(default)]
    parts: Vec<PartJs>,
    #[serde(default)]
    gap: bool,
}

impl From<SegmentJs> for playlist::Segment {
    fn from(s: SegmentJs) -> Self {
        let mut seg = playlist::Segment::new(s.sequence, s.start, s.duration, s.uri);
        seg.bytes = s.bytes;
        seg.byte_range = s.byte_range.map(Into::into);
        seg.discontinuity = s.discontinuity;
        seg.program_date_time_ms = s.program_date_time;
        seg.parts = s.parts.into_iter().map(Into::into).collect();
        seg.gap = s.gap;
        seg
    }
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum HlsKindJs {
    Vod,
    Event,
    Live,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum PdtJs {
    None,
    Sparse,
    Every,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OpenSegmentJs {
    sequence: u64,
    parts: Vec<PartJs>,
}

/// `HlsMediaPlaylistOptions`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HlsMediaJs {
    #[serde(default)]
    timescale: Option<u32>,
    #[serde(default)]
    init: Option<InitJs>,
    segments: Vec<SegmentJs>,
    #[serde(default)]
    kind: Option<HlsKindJs>,
    #[serde(default)]
    window: Option<usize>,
    #[serde(default)]
    window_duration: Option<f64>,
    #[serde(default)]
    target_duration: Option<u32>,
    #[serde(default)]
    part_target: Option<f64>,
    #[serde(default)]
    part_hold_back: Option<f64>,
    #[serde(default)]
    hold_back: Option<f64>,
    #[serde(default)]
    can_skip_until: Option<f64>,
    #[serde(default)]
    open_segment: Option<OpenSegmentJs>,
    #[serde(default)]
    preload_hint: Option<String>,
    #[serde(default)]
    ended: bool,
    #[serde(default)]
    program_date_time: Option<PdtJs>,
    #[serde(default)]
    decimals: Option<u8>,
    #[serde(default)]
    independent_segments: Option<bool>,
}

fn timescale_of(ts: Option<u32>, field: &str) -> Result<Timescale, JsValue> {
    match ts {
        None => Ok(Timescale::MICROS),
        Some(t) => Timescale::new(t).ok_or_else(|| config_error(field, "must not be 0")),
    }
}

/// snake_case → camelCase, dropping a `_ms` unit suffix.
fn camel(s: &str) -> String {
    let s = s.strip_suffix("_ms").unwrap_or(s);
    let mut out = String::with_capacity(s.len());
    let mut upper = false;
    for c in s.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The JS name of a core option field (`options.low_latency.part_hold_back`
/// → `partHoldBack`, `variant.codecs` → `variants.codecs`).
fn js_field(core: &str) -> String {
    let mapped = match core {
        "options.kind.window" => return "window".into(),
        "options.low_latency" => return "partTarget".into(),
        "preload_hint.uri" | "preload_hint.byte_range_length" => return "preloadHint".into(),
        _ => core,
    };
    let rest = mapped
        .strip_prefix("options.low_latency.")
        .or_else(|| mapped.strip_prefix("options."))
        .or_else(|| mapped.strip_prefix("mpd.kind."))
        .or_else(|| mapped.strip_prefix("mpd."))
        .map(str::to_string)
        .or_else(|| mapped.strip_prefix("variant.").map(|r| format!("variants.{r}")))
        .or_else(|| mapped.strip_prefix("representation.addressing.").map(|r| format!("representations.{r}")))
        .or_else(|| mapped.strip_prefix("representation.").map(|r| format!("representations.{r}")))
        .or_else(|| mapped.strip_prefix("adaptation_set.").map(|r| format!("adaptationSets.{r}")))
        .unwrap_or_else(|| mapped.to_string());
    rest.split('.').map(camel).collect::<Vec<_>>().join(".")
}

/// The JS field of a playlist error about the segment at `prefix` (e.g.
/// `segments[3]`), or of an option.
fn playlist_field(e: &PlaylistError, prefix: Option<&str>) -> Option<String> {
    use PlaylistError::*;
    let seg = |sub: &str| prefix.map(|p| if sub.is_empty() { p.to_string() } else { format!("{p}.{sub}") });
    match e {
        ZeroDuration { part: None, .. } | SegmentExceedsTarget { .. } | Overflow { .. } => seg("duration"),
        ZeroDuration { part: Some(i), .. } | PartExceedsTarget { part: i, .. } => seg(&format!("parts[{i}].duration")),
        DuplicateSequence { .. } | NonConsecutiveSequence { .. } => seg("sequence"),
        StartBeforePreviousEnd { .. } => seg("start"),
        PartsDurationMismatch { .. } => seg("parts"),
        MissingSize { .. } => seg("bytes"),
        DateOutOfRange { field, .. } if field.starts_with("segment.") => seg("programDateTime"),
        InvalidText { field, .. } | InvalidOption { field, .. } | DateOutOfRange { field, .. } => {
            match field.strip_prefix("segment.").or_else(|| field.strip_prefix("part.")) {
                Some(rest) if prefix.is_some() => {
                    let sub = if field.starts_with("part.") { "parts".to_string() } else { js_field(rest) };
                    seg(&sub)
                }
                _ => Some(js_field(field)),
            }
        }
        TemplateMismatch { .. } => seg("uri"),
        _ => prefix.map(str::to_string),
    }
}

fn playlist_error(e: &PlaylistError, prefix: Option<&str>) -> JsValue {
    match playlist_field(e, prefix) {
        Some(field) => FramecastError::at(e.code(), &field, e).into(),
        None => FramecastError::coded(e).into(),
    }
}

/// Renders an HLS media playlist (VOD, EVENT or live window, LL-HLS with
/// `partTarget`) from a list of segments: `HlsMediaPlaylistOptions` in,
/// playlist text out. Segment times are µs unless `timescale` is given.
/// Throws `code: "invalid-config"` for a malformed object and
/// `"playlist-error"` (with `field`, e.g. `segments[2].sequence`) for
/// segments or options the playlist cannot hold.
#[wasm_bindgen(js_name = hlsMediaPlaylist)]
pub fn hls_media_playlist(
    #[wasm_bindgen(unchecked_param_type = "HlsMediaPlaylistOptions")] options: JsValue,
) -> Result<String, JsValue> {
    let o: HlsMediaJs = from_js(options)?;
    let timescale = timescale_of(o.timescale, "timescale")?;
    let kind = o.kind.unwrap_or(HlsKindJs::Vod);
    if kind != HlsKindJs::Live && (o.window.is_some() || o.window_duration.is_some()) {
        let field = if o.window.is_some() { "window" } else { "windowDuration" };
        return Err(config_error(field, "applies to kind \"live\" only"));
    }
    let window = match (o.window, o.window_duration) {
        (Some(_), Some(_)) => return Err(config_error("windowDuration", "give either window or windowDuration")),
        (_, Some(ms)) => Window::Duration(millis(ms, "windowDuration")?),
        (n, None) => Window::Segments(n.unwrap_or(6)),
    };
    let mut options = MediaPlaylistOptions {
        kind: match kind {
            HlsKindJs::Vod => PlaylistKind::Vod,
            HlsKindJs::Event => PlaylistKind::Event,
            HlsKindJs::Live => PlaylistKind::Live(window),
        },
        target_duration: o.target_duration,
        ..Default::default()
    };
    if let Some(d) = o.decimals {
        options.decimals = d;
    }
    if let Some(b) = o.independent_segments {
        options.independent_segments = b;
    }
    if let Some(p) = o.program_date_time {
        options.program_date_time = match p {
            PdtJs::None => PdtPlacement::Off,
            PdtJs::Sparse => PdtPlacement::Sparse,
            PdtJs::Every => PdtPlacement::EverySegment,
        };
    }
    if let Some(ms) = o.part_target {
        let mut ll = LowLatencyOptions::new(millis(ms, "partTarget")?);
        ll.part_hold_back = o.part_hold_back.map(|v| millis(v, "partHoldBack")).transpose()?;
        ll.hold_back = o.hold_back.map(|v| millis(v, "holdBack")).transpose()?;
        ll.can_skip_until = o.can_skip_until.map(|v| millis(v, "canSkipUntil")).transpose()?;
        options.low_latency = Some(ll);
    } else if o.part_hold_back.is_some() || o.can_skip_until.is_some() || o.hold_back.is_some() {
        return Err(config_error("partTarget", "is required with partHoldBack, holdBack or canSkipUntil"));
    }
    let mut pl =
        MediaPlaylist::new(timescale, o.init.map(Into::into), options).map_err(|e| playlist_error(&e, None))?;
    for (i, s) in o.segments.into_iter().enumerate() {
        pl.push(s.into()).map_err(|e| playlist_error(&e, Some(&format!("segments[{i}]"))))?;
    }
    if let Some(open) = o.open_segment {
        for (i, p) in open.parts.into_iter().enumerate() {
            pl.push_part(open.sequence, p.into())
                .map_err(|e| playlist_error(&e, Some(&format!("openSegment.parts[{i}]"))))?;
        }
    }
    if let Some(uri) = o.preload_hint {
        pl.set_preload_hint(Some(PreloadHint::new(uri))).map_err(|e| playlist_error(&e, None))?;
    }
    if kind == HlsKindJs::Vod || o.ended {
        pl.finish().map_err(|e| playlist_error(&e, None))?;
    }
    pl.render().map_err(|e| playlist_error(&e, None))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FrameRateJs {
    Number(f64),
    Fraction(FractionJs),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FractionJs {
    num: u32,
    den: u32,
}

/// A frame rate as a fraction: integers as `n/1`, NTSC rates (29.97,
/// 59.94, 23.976) as `n*1000/1001`, others to the millisecond.
fn frame_rate(f: FrameRateJs, field: &str) -> Result<FrameRate, JsValue> {
    match f {
        FrameRateJs::Fraction(FractionJs { num, den }) => Ok(FrameRate::new(num, den)),
        FrameRateJs::Number(x) => {
            if !x.is_finite() || x <= 0.0 || x > 1.0e6 {
                return Err(config_error(field, format!("must be a positive number, got {x}")));
            }
            if x.fract() == 0.0 {
                return Ok(FrameRate::integer(x as u32));
            }
            let ntsc = (x * 1001.0 / 1000.0).round();
            if (ntsc * 1000.0 / 1001.0 - x).abs() < 0.001 {
                return Ok(FrameRate::new(ntsc as u32 * 1000, 1001));
            }
            Ok(FrameRate::new((x * 1000.0).round() as u32, 1000))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolutionJs {
    width: u32,
    height: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VariantJs {
    uri: String,
    bandwidth: u64,
    #[serde(default)]
    average_bandwidth: Option<u64>,
    codecs: Vec<String>,
    #[serde(default)]
    resolution: Option<ResolutionJs>,
    #[serde(default)]
    frame_rate: Option<FrameRateJs>,
    #[serde(default)]
    audio: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AudioJs {
    group_id: String,
    name: String,
    codec: String,
    #[serde(default)]
    uri: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    default: bool,
    #[serde(default)]
    autoselect: Option<bool>,
    #[serde(default)]
    channels: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MultivariantJs {
    variants: Vec<VariantJs>,
    #[serde(default)]
    audio: Vec<AudioJs>,
    #[serde(default)]
    independent_segments: Option<bool>,
}

/// Renders an HLS multivariant (master) playlist:
/// `HlsMultivariantPlaylistOptions` in, text out. Codec strings should
/// come from `Muxer.codecs()` (derived from the SPS / AudioSpecificConfig).
#[wasm_bindgen(js_name = hlsMultivariantPlaylist)]
pub fn hls_multivariant_playlist(
    #[wasm_bindgen(unchecked_param_type = "HlsMultivariantPlaylistOptions")] options: JsValue,
) -> Result<String, JsValue> {
    let o: MultivariantJs = from_js(options)?;
    let mut pl = MultivariantPlaylist::default();
    if let Some(b) = o.independent_segments {
        pl.independent_segments = b;
    }
    for (i, v) in o.variants.into_iter().enumerate() {
        let bw = Bandwidth { peak: v.bandwidth, average: v.average_bandwidth.unwrap_or(0) };
        let mut variant = Variant::new(v.uri, bw, v.codecs);
        variant.average_bandwidth = v.average_bandwidth;
        variant.resolution = v.resolution.map(|r| Resolution::new(r.width, r.height));
        variant.frame_rate = v.frame_rate.map(|f| frame_rate(f, &format!("variants[{i}].frameRate"))).transpose()?;
        variant.audio_group = v.audio;
        pl.variants.push(variant);
    }
    for a in o.audio {
        let mut r = AudioRendition::new(a.group_id, a.name, a.codec, String::new());
        r.uri = a.uri;
        r.language = a.language;
        r.default = a.default;
        if let Some(auto) = a.autoselect {
            r.autoselect = auto;
        }
        r.channels = a.channels;
        pl.audio.push(r);
    }
    pl.render().map_err(|e| playlist_error(&e, None))
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum MpdTypeJs {
    Static,
    Dynamic,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UtcTimingJs {
    scheme_id_uri: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RepresentationJs {
    id: String,
    #[serde(default)]
    bandwidth: Option<u64>,
    codecs: String,
    #[serde(default)]
    timescale: Option<u32>,
    init: InitJs,
    segments: Vec<SegmentJs>,
    #[serde(default)]
    media: Option<String>,
    #[serde(default)]
    segment_duration: Option<u64>,
    #[serde(default)]
    index_range: Option<ByteRangeJs>,
    #[serde(default)]
    presentation_time_offset: Option<u64>,
    #[serde(default)]
    width: Option<u32>,
    #[serde(default)]
    height: Option<u32>,
    #[serde(default)]
    frame_rate: Option<FrameRateJs>,
    #[serde(default)]
    sample_rate: Option<u32>,
    #[serde(default)]
    channels: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AdaptationSetJs {
    #[serde(default)]
    id: Option<u32>,
    #[serde(default)]
    lang: Option<String>,
    representations: Vec<RepresentationJs>,
}

/// `DashMpdOptions`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MpdJs {
    #[serde(default, rename = "type")]
    kind: Option<MpdTypeJs>,
    #[serde(default)]
    availability_start_time: Option<i64>,
    #[serde(default)]
    publish_time: Option<i64>,
    #[serde(default)]
    minimum_update_period: Option<f64>,
    #[serde(default)]
    time_shift_buffer_depth: Option<f64>,
    #[serde(default)]
    suggested_presentation_delay: Option<f64>,
    #[serde(default)]
    min_buffer_time: Option<f64>,
    #[serde(default)]
    base_url: Option<String>,
    #[serde(default)]
    utc_timing: Vec<UtcTimingJs>,
    adaptation_sets: Vec<AdaptationSetJs>,
}

fn representation(r: RepresentationJs, at: &str) -> Result<Representation, JsValue> {
    let f = |name: &str| format!("{at}.{name}");
    let timescale = timescale_of(r.timescale, &f("timescale"))?;
    let media = match (r.width, r.height, r.sample_rate, r.channels) {
        (Some(w), Some(h), None, None) => {
            let fr = r.frame_rate.map(|x| frame_rate(x, &f("frameRate"))).transpose()?;
            MediaInfo::Video(VideoInfo::new(w, h, fr))
        }
        (None, None, Some(rate), Some(ch)) => MediaInfo::Audio(AudioInfo { sampling_rate: rate, channels: ch }),
        _ => return Err(config_error(&f("width"), "give width and height (video) or sampleRate and channels (audio)")),
    };
    let mut timeline = Timeline::new(timescale);
    timeline.init = Some(r.init.into());
    timeline.segments = r.segments.into_iter().map(Into::into).collect();
    if let Err(e) = timeline.validate() {
        // Find the first segment at fault.
        let mut prefix = timeline.clone();
        let bad = (1..=timeline.segments.len())
            .find(|&n| {
                prefix.segments = timeline.segments[..n].to_vec();
                prefix.validate().is_err()
            })
            .map(|n| f(&format!("segments[{}]", n - 1)));
        return Err(playlist_error(&e, Some(bad.as_deref().unwrap_or(&f("init")))));
    }
    let addressing = match (r.media, r.index_range) {
        (Some(_), Some(_)) => return Err(config_error(&f("indexRange"), "give either media or indexRange")),
        (Some(media), None) => Addressing::SegmentTemplate {
            media,
            timing: r.segment_duration.map_or(TemplateTiming::Timeline, TemplateTiming::Duration),
        },
        (None, Some(range)) => Addressing::SegmentBase { index_range: range.into() },
        (None, None) => return Err(config_error(&f("media"), "give a SegmentTemplate media or an indexRange")),
    };
    let bandwidth = match r.bandwidth {
        Some(b) => b,
        None => timeline.bandwidth().map_err(|e| playlist_error(&e, Some(&f("bandwidth"))))?.peak,
    };
    Ok(Representation {
        id: r.id,
        bandwidth,
        codecs: r.codecs,
        media,
        timeline,
        addressing,
        presentation_time_offset: r.presentation_time_offset.unwrap_or(0),
    })
}

/// Renders a DASH MPD, static (on demand: `indexRange`/SegmentBase, or
/// SegmentTemplate) or dynamic (live: SegmentTemplate + SegmentTimeline):
/// `DashMpdOptions` in, XML out.
#[wasm_bindgen(js_name = dashMpd)]
pub fn dash_mpd(#[wasm_bindgen(unchecked_param_type = "DashMpdOptions")] options: JsValue) -> Result<String, JsValue> {
    let o: MpdJs = from_js(options)?;
    let kind = match o.kind.unwrap_or(MpdTypeJs::Static) {
        MpdTypeJs::Static => MpdKind::Static,
        MpdTypeJs::Dynamic => {
            let ast = o
                .availability_start_time
                .ok_or_else(|| config_error("availabilityStartTime", "is required for a dynamic MPD"))?;
            let publish = o.publish_time.ok_or_else(|| config_error("publishTime", "is required for a dynamic MPD"))?;
            let mut live = LiveMpd::new(ast, publish);
            if let Some(ms) = o.minimum_update_period {
                live.minimum_update_period = millis(ms, "minimumUpdatePeriod")?;
            }
            if let Some(ms) = o.time_shift_buffer_depth {
                live.time_shift_buffer_depth = millis(ms, "timeShiftBufferDepth")?;
            }
            live.suggested_presentation_delay =
                o.suggested_presentation_delay.map(|ms| millis(ms, "suggestedPresentationDelay")).transpose()?;
            MpdKind::Dynamic(live)
        }
    };
    let mut mpd = Mpd { kind, base_url: o.base_url, ..Default::default() };
    if let Some(ms) = o.min_buffer_time {
        mpd.min_buffer_time = millis(ms, "minBufferTime")?;
    }
    mpd.utc_timing =
        o.utc_timing.into_iter().map(|u| UtcTiming { scheme_id_uri: u.scheme_id_uri, value: u.value }).collect();
    for (a, set) in o.adaptation_sets.into_iter().enumerate() {
        let mut reps = Vec::with_capacity(set.representations.len());
        for (r, rep) in set.representations.into_iter().enumerate() {
            reps.push(representation(rep, &format!("adaptationSets[{a}].representations[{r}]"))?);
        }
        let mut out = AdaptationSet::new(set.id.unwrap_or(a as u32), reps);
        out.lang = set.lang;
        mpd.adaptation_sets.push(out);
    }
    mpd.render().map_err(|e| playlist_error(&e, None))
}
