//! `hlsMediaPlaylist`, `hlsMultivariantPlaylist` and `dashMpd`: the JS
//! option objects, read with [`super::json`], and the core playlist
//! writers.

use super::json::{self, At, Read};
use super::*;

// ---------------------------------------------------------------------------
// Playlists

#[derive(Clone, Copy)]
struct ByteRangeJs {
    offset: u64,
    length: u64,
}

impl ByteRangeJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        let (mut offset, mut length) = (None, None);
        let shape = json::fields(v, at, "struct ByteRangeJs", &["offset", "length"], &mut |key, v, at| {
            match key {
                "offset" => offset = Some(json::u64_(v, at)?),
                _ => length = Some(json::u64_(v, at)?),
            }
            Ok(())
        })?;
        Ok(ByteRangeJs { offset: shape.required(offset, at, "offset")?, length: shape.required(length, at, "length")? })
    }
}

impl From<ByteRangeJs> for ByteRange {
    fn from(r: ByteRangeJs) -> Self {
        ByteRange::new(r.offset, r.length)
    }
}

/// A string (the URI) or an `InitFullJs` (serde's untagged enum).
enum InitJs {
    Uri(String),
    Full(InitFullJs),
}

struct InitFullJs {
    uri: String,
    byte_range: Option<ByteRangeJs>,
}

impl InitJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        match v {
            Value::String(uri) => Ok(InitJs::Uri(uri.clone())),
            _ => InitFullJs::read(v, at).map(InitJs::Full).map_err(|_| json::no_variant(at, "InitJs")),
        }
    }
}

impl InitFullJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        let (mut uri, mut byte_range) = (None, None);
        let shape = json::fields(v, at, "struct InitFullJs", &["uri", "byteRange"], &mut |key, v, at| {
            match key {
                "uri" => uri = Some(json::string(v, at)?),
                _ => byte_range = json::opt(v, at, ByteRangeJs::read)?,
            }
            Ok(())
        })?;
        Ok(InitFullJs { uri: shape.required(uri, at, "uri")?, byte_range })
    }
}

impl From<InitJs> for playlist::InitSegmentRef {
    fn from(i: InitJs) -> Self {
        match i {
            InitJs::Uri(uri) => playlist::InitSegmentRef::new(uri),
            InitJs::Full(f) => playlist::InitSegmentRef { uri: f.uri, byte_range: f.byte_range.map(Into::into) },
        }
    }
}

struct PartJs {
    uri: String,
    duration: u64,
    independent: bool,
    byte_range: Option<ByteRangeJs>,
}

impl PartJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        let (mut uri, mut duration, mut independent, mut byte_range) = (None, None, false, None);
        let shape = json::fields(
            v,
            at,
            "struct PartJs",
            &["uri", "duration", "independent", "byteRange"],
            &mut |key, v, at| {
                match key {
                    "uri" => uri = Some(json::string(v, at)?),
                    "duration" => duration = Some(json::u64_(v, at)?),
                    "independent" => independent = json::boolean(v, at)?,
                    _ => byte_range = json::opt(v, at, ByteRangeJs::read)?,
                }
                Ok(())
            },
        )?;
        Ok(PartJs {
            uri: shape.required(uri, at, "uri")?,
            duration: shape.required(duration, at, "duration")?,
            independent,
            byte_range,
        })
    }
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

struct SegmentJs {
    sequence: u64,
    start: i64,
    duration: u64,
    uri: String,
    bytes: Option<u64>,
    byte_range: Option<ByteRangeJs>,
    discontinuity: bool,
    program_date_time: Option<i64>,
    parts: Vec<PartJs>,
    gap: bool,
}

impl SegmentJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        let (mut sequence, mut start, mut duration, mut uri) = (None, None, None, None);
        let (mut bytes, mut byte_range, mut discontinuity) = (None, None, false);
        let (mut program_date_time, mut parts, mut gap) = (None, Vec::new(), false);
        let known = [
            "sequence",
            "start",
            "duration",
            "uri",
            "bytes",
            "byteRange",
            "discontinuity",
            "programDateTime",
            "parts",
            "gap",
        ];
        let shape = json::fields(v, at, "struct SegmentJs", &known, &mut |key, v, at| {
            match key {
                "sequence" => sequence = Some(json::u64_(v, at)?),
                "start" => start = Some(json::i64_(v, at)?),
                "duration" => duration = Some(json::u64_(v, at)?),
                "uri" => uri = Some(json::string(v, at)?),
                "bytes" => bytes = json::opt(v, at, json::u64_)?,
                "byteRange" => byte_range = json::opt(v, at, ByteRangeJs::read)?,
                "discontinuity" => discontinuity = json::boolean(v, at)?,
                "programDateTime" => program_date_time = json::opt(v, at, json::i64_)?,
                "parts" => parts = json::list(v, at, PartJs::read)?,
                _ => gap = json::boolean(v, at)?,
            }
            Ok(())
        })?;
        Ok(SegmentJs {
            sequence: shape.required(sequence, at, "sequence")?,
            start: shape.required(start, at, "start")?,
            duration: shape.required(duration, at, "duration")?,
            uri: shape.required(uri, at, "uri")?,
            bytes,
            byte_range,
            discontinuity,
            program_date_time,
            parts,
            gap,
        })
    }
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum HlsKindJs {
    Vod,
    Event,
    Live,
}

impl HlsKindJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        Ok(match json::variant(v, at, &["vod", "event", "live"])? {
            0 => HlsKindJs::Vod,
            1 => HlsKindJs::Event,
            _ => HlsKindJs::Live,
        })
    }
}

#[derive(Clone, Copy)]
enum PdtJs {
    None,
    Sparse,
    Every,
}

impl PdtJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        Ok(match json::variant(v, at, &["none", "sparse", "every"])? {
            0 => PdtJs::None,
            1 => PdtJs::Sparse,
            _ => PdtJs::Every,
        })
    }
}

struct OpenSegmentJs {
    sequence: u64,
    parts: Vec<PartJs>,
}

impl OpenSegmentJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        let (mut sequence, mut parts) = (None, None);
        let shape = json::fields(v, at, "struct OpenSegmentJs", &["sequence", "parts"], &mut |key, v, at| {
            match key {
                "sequence" => sequence = Some(json::u64_(v, at)?),
                _ => parts = Some(json::list(v, at, PartJs::read)?),
            }
            Ok(())
        })?;
        Ok(OpenSegmentJs {
            sequence: shape.required(sequence, at, "sequence")?,
            parts: shape.required(parts, at, "parts")?,
        })
    }
}

/// `HlsMediaPlaylistOptions`.
#[derive(Default)]
struct HlsMediaJs {
    timescale: Option<u32>,
    init: Option<InitJs>,
    segments: Vec<SegmentJs>,
    kind: Option<HlsKindJs>,
    window: Option<usize>,
    window_duration: Option<f64>,
    target_duration: Option<u32>,
    part_target: Option<f64>,
    part_hold_back: Option<f64>,
    hold_back: Option<f64>,
    can_skip_until: Option<f64>,
    open_segment: Option<OpenSegmentJs>,
    preload_hint: Option<String>,
    ended: bool,
    program_date_time: Option<PdtJs>,
    decimals: Option<u8>,
    independent_segments: Option<bool>,
}

impl HlsMediaJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        let mut o = HlsMediaJs::default();
        let mut segments = None;
        let known = [
            "timescale",
            "init",
            "segments",
            "kind",
            "window",
            "windowDuration",
            "targetDuration",
            "partTarget",
            "partHoldBack",
            "holdBack",
            "canSkipUntil",
            "openSegment",
            "preloadHint",
            "ended",
            "programDateTime",
            "decimals",
            "independentSegments",
        ];
        let shape = json::fields(v, at, "struct HlsMediaJs", &known, &mut |key, v, at| {
            match key {
                "timescale" => o.timescale = json::opt(v, at, json::u32_)?,
                "init" => o.init = json::opt(v, at, InitJs::read)?,
                "segments" => segments = Some(json::list(v, at, SegmentJs::read)?),
                "kind" => o.kind = json::opt(v, at, HlsKindJs::read)?,
                "window" => o.window = json::opt(v, at, json::usize_)?,
                "windowDuration" => o.window_duration = json::opt(v, at, json::float)?,
                "targetDuration" => o.target_duration = json::opt(v, at, json::u32_)?,
                "partTarget" => o.part_target = json::opt(v, at, json::float)?,
                "partHoldBack" => o.part_hold_back = json::opt(v, at, json::float)?,
                "holdBack" => o.hold_back = json::opt(v, at, json::float)?,
                "canSkipUntil" => o.can_skip_until = json::opt(v, at, json::float)?,
                "openSegment" => o.open_segment = json::opt(v, at, OpenSegmentJs::read)?,
                "preloadHint" => o.preload_hint = json::opt(v, at, json::string)?,
                "ended" => o.ended = json::boolean(v, at)?,
                "programDateTime" => o.program_date_time = json::opt(v, at, PdtJs::read)?,
                "decimals" => o.decimals = json::opt(v, at, json::u8_)?,
                _ => o.independent_segments = json::opt(v, at, json::boolean)?,
            }
            Ok(())
        })?;
        o.segments = shape.required(segments, at, "segments")?;
        Ok(o)
    }
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
    let o = read_options(options, HlsMediaJs::read)?;
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

/// A number or a `FractionJs` (serde's untagged enum).
enum FrameRateJs {
    Number(f64),
    Fraction(FractionJs),
}

struct FractionJs {
    num: u32,
    den: u32,
}

impl FrameRateJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        match v {
            Value::Number(_) => json::float(v, at).map(FrameRateJs::Number),
            _ => FractionJs::read(v, at).map(FrameRateJs::Fraction).map_err(|_| json::no_variant(at, "FrameRateJs")),
        }
    }
}

impl FractionJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        let (mut num, mut den) = (None, None);
        let shape = json::fields(v, at, "struct FractionJs", &["num", "den"], &mut |key, v, at| {
            match key {
                "num" => num = Some(json::u32_(v, at)?),
                _ => den = Some(json::u32_(v, at)?),
            }
            Ok(())
        })?;
        Ok(FractionJs { num: shape.required(num, at, "num")?, den: shape.required(den, at, "den")? })
    }
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

struct ResolutionJs {
    width: u32,
    height: u32,
}

impl ResolutionJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        let (mut width, mut height) = (None, None);
        let shape = json::fields(v, at, "struct ResolutionJs", &["width", "height"], &mut |key, v, at| {
            match key {
                "width" => width = Some(json::u32_(v, at)?),
                _ => height = Some(json::u32_(v, at)?),
            }
            Ok(())
        })?;
        Ok(ResolutionJs { width: shape.required(width, at, "width")?, height: shape.required(height, at, "height")? })
    }
}

struct VariantJs {
    uri: String,
    bandwidth: u64,
    average_bandwidth: Option<u64>,
    codecs: Vec<String>,
    resolution: Option<ResolutionJs>,
    frame_rate: Option<FrameRateJs>,
    audio: Option<String>,
}

impl VariantJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        let (mut uri, mut bandwidth, mut average_bandwidth, mut codecs) = (None, None, None, None);
        let (mut resolution, mut frame_rate, mut audio) = (None, None, None);
        let known = ["uri", "bandwidth", "averageBandwidth", "codecs", "resolution", "frameRate", "audio"];
        let shape = json::fields(v, at, "struct VariantJs", &known, &mut |key, v, at| {
            match key {
                "uri" => uri = Some(json::string(v, at)?),
                "bandwidth" => bandwidth = Some(json::u64_(v, at)?),
                "averageBandwidth" => average_bandwidth = json::opt(v, at, json::u64_)?,
                "codecs" => codecs = Some(json::list(v, at, json::string)?),
                "resolution" => resolution = json::opt(v, at, ResolutionJs::read)?,
                "frameRate" => frame_rate = json::opt(v, at, FrameRateJs::read)?,
                _ => audio = json::opt(v, at, json::string)?,
            }
            Ok(())
        })?;
        Ok(VariantJs {
            uri: shape.required(uri, at, "uri")?,
            bandwidth: shape.required(bandwidth, at, "bandwidth")?,
            average_bandwidth,
            codecs: shape.required(codecs, at, "codecs")?,
            resolution,
            frame_rate,
            audio,
        })
    }
}

struct AudioJs {
    group_id: String,
    name: String,
    codec: String,
    uri: Option<String>,
    language: Option<String>,
    default: bool,
    autoselect: Option<bool>,
    channels: Option<u32>,
}

impl AudioJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        let (mut group_id, mut name, mut codec) = (None, None, None);
        let (mut uri, mut language, mut default, mut autoselect, mut channels) = (None, None, false, None, None);
        let known = ["groupId", "name", "codec", "uri", "language", "default", "autoselect", "channels"];
        let shape = json::fields(v, at, "struct AudioJs", &known, &mut |key, v, at| {
            match key {
                "groupId" => group_id = Some(json::string(v, at)?),
                "name" => name = Some(json::string(v, at)?),
                "codec" => codec = Some(json::string(v, at)?),
                "uri" => uri = json::opt(v, at, json::string)?,
                "language" => language = json::opt(v, at, json::string)?,
                "default" => default = json::boolean(v, at)?,
                "autoselect" => autoselect = json::opt(v, at, json::boolean)?,
                _ => channels = json::opt(v, at, json::u32_)?,
            }
            Ok(())
        })?;
        Ok(AudioJs {
            group_id: shape.required(group_id, at, "groupId")?,
            name: shape.required(name, at, "name")?,
            codec: shape.required(codec, at, "codec")?,
            uri,
            language,
            default,
            autoselect,
            channels,
        })
    }
}

struct MultivariantJs {
    variants: Vec<VariantJs>,
    audio: Vec<AudioJs>,
    independent_segments: Option<bool>,
}

impl MultivariantJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        let (mut variants, mut audio, mut independent_segments) = (None, Vec::new(), None);
        let known = ["variants", "audio", "independentSegments"];
        let shape = json::fields(v, at, "struct MultivariantJs", &known, &mut |key, v, at| {
            match key {
                "variants" => variants = Some(json::list(v, at, VariantJs::read)?),
                "audio" => audio = json::list(v, at, AudioJs::read)?,
                _ => independent_segments = json::opt(v, at, json::boolean)?,
            }
            Ok(())
        })?;
        Ok(MultivariantJs { variants: shape.required(variants, at, "variants")?, audio, independent_segments })
    }
}

/// Renders an HLS multivariant (master) playlist:
/// `HlsMultivariantPlaylistOptions` in, text out. Codec strings should
/// come from `Muxer.codecs()` (derived from the SPS / AudioSpecificConfig).
#[wasm_bindgen(js_name = hlsMultivariantPlaylist)]
pub fn hls_multivariant_playlist(
    #[wasm_bindgen(unchecked_param_type = "HlsMultivariantPlaylistOptions")] options: JsValue,
) -> Result<String, JsValue> {
    let o = read_options(options, MultivariantJs::read)?;
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum MpdTypeJs {
    Static,
    Dynamic,
}

impl MpdTypeJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        Ok(if json::variant(v, at, &["static", "dynamic"])? == 0 { MpdTypeJs::Static } else { MpdTypeJs::Dynamic })
    }
}

struct UtcTimingJs {
    scheme_id_uri: String,
    value: String,
}

impl UtcTimingJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        let (mut scheme_id_uri, mut value) = (None, None);
        let shape = json::fields(v, at, "struct UtcTimingJs", &["schemeIdUri", "value"], &mut |key, v, at| {
            match key {
                "schemeIdUri" => scheme_id_uri = Some(json::string(v, at)?),
                _ => value = Some(json::string(v, at)?),
            }
            Ok(())
        })?;
        Ok(UtcTimingJs {
            scheme_id_uri: shape.required(scheme_id_uri, at, "schemeIdUri")?,
            value: shape.required(value, at, "value")?,
        })
    }
}

struct RepresentationJs {
    id: String,
    bandwidth: Option<u64>,
    codecs: String,
    timescale: Option<u32>,
    init: InitJs,
    segments: Vec<SegmentJs>,
    media: Option<String>,
    segment_duration: Option<u64>,
    index_range: Option<ByteRangeJs>,
    presentation_time_offset: Option<u64>,
    width: Option<u32>,
    height: Option<u32>,
    frame_rate: Option<FrameRateJs>,
    sample_rate: Option<u32>,
    channels: Option<u32>,
}

impl RepresentationJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        let (mut id, mut bandwidth, mut codecs, mut timescale, mut init) = (None, None, None, None, None);
        let (mut segments, mut media, mut segment_duration, mut index_range) = (None, None, None, None);
        let (mut presentation_time_offset, mut width, mut height) = (None, None, None);
        let (mut frame_rate, mut sample_rate, mut channels) = (None, None, None);
        let known = [
            "id",
            "bandwidth",
            "codecs",
            "timescale",
            "init",
            "segments",
            "media",
            "segmentDuration",
            "indexRange",
            "presentationTimeOffset",
            "width",
            "height",
            "frameRate",
            "sampleRate",
            "channels",
        ];
        let shape = json::fields(v, at, "struct RepresentationJs", &known, &mut |key, v, at| {
            match key {
                "id" => id = Some(json::string(v, at)?),
                "bandwidth" => bandwidth = json::opt(v, at, json::u64_)?,
                "codecs" => codecs = Some(json::string(v, at)?),
                "timescale" => timescale = json::opt(v, at, json::u32_)?,
                "init" => init = Some(InitJs::read(v, at)?),
                "segments" => segments = Some(json::list(v, at, SegmentJs::read)?),
                "media" => media = json::opt(v, at, json::string)?,
                "segmentDuration" => segment_duration = json::opt(v, at, json::u64_)?,
                "indexRange" => index_range = json::opt(v, at, ByteRangeJs::read)?,
                "presentationTimeOffset" => presentation_time_offset = json::opt(v, at, json::u64_)?,
                "width" => width = json::opt(v, at, json::u32_)?,
                "height" => height = json::opt(v, at, json::u32_)?,
                "frameRate" => frame_rate = json::opt(v, at, FrameRateJs::read)?,
                "sampleRate" => sample_rate = json::opt(v, at, json::u32_)?,
                _ => channels = json::opt(v, at, json::u32_)?,
            }
            Ok(())
        })?;
        Ok(RepresentationJs {
            id: shape.required(id, at, "id")?,
            bandwidth,
            codecs: shape.required(codecs, at, "codecs")?,
            timescale,
            init: shape.required(init, at, "init")?,
            segments: shape.required(segments, at, "segments")?,
            media,
            segment_duration,
            index_range,
            presentation_time_offset,
            width,
            height,
            frame_rate,
            sample_rate,
            channels,
        })
    }
}

struct AdaptationSetJs {
    id: Option<u32>,
    lang: Option<String>,
    representations: Vec<RepresentationJs>,
}

impl AdaptationSetJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        let (mut id, mut lang, mut representations) = (None, None, None);
        let shape =
            json::fields(v, at, "struct AdaptationSetJs", &["id", "lang", "representations"], &mut |key, v, at| {
                match key {
                    "id" => id = json::opt(v, at, json::u32_)?,
                    "lang" => lang = json::opt(v, at, json::string)?,
                    _ => representations = Some(json::list(v, at, RepresentationJs::read)?),
                }
                Ok(())
            })?;
        Ok(AdaptationSetJs { id, lang, representations: shape.required(representations, at, "representations")? })
    }
}

/// `DashMpdOptions`.
#[derive(Default)]
struct MpdJs {
    kind: Option<MpdTypeJs>,
    availability_start_time: Option<i64>,
    publish_time: Option<i64>,
    minimum_update_period: Option<f64>,
    time_shift_buffer_depth: Option<f64>,
    suggested_presentation_delay: Option<f64>,
    min_buffer_time: Option<f64>,
    base_url: Option<String>,
    utc_timing: Vec<UtcTimingJs>,
    adaptation_sets: Vec<AdaptationSetJs>,
}

impl MpdJs {
    fn read(v: &Value, at: &At) -> Read<Self> {
        let mut o = MpdJs::default();
        let mut adaptation_sets = None;
        let known = [
            "type",
            "availabilityStartTime",
            "publishTime",
            "minimumUpdatePeriod",
            "timeShiftBufferDepth",
            "suggestedPresentationDelay",
            "minBufferTime",
            "baseUrl",
            "utcTiming",
            "adaptationSets",
        ];
        let shape = json::fields(v, at, "struct MpdJs", &known, &mut |key, v, at| {
            match key {
                "type" => o.kind = json::opt(v, at, MpdTypeJs::read)?,
                "availabilityStartTime" => o.availability_start_time = json::opt(v, at, json::i64_)?,
                "publishTime" => o.publish_time = json::opt(v, at, json::i64_)?,
                "minimumUpdatePeriod" => o.minimum_update_period = json::opt(v, at, json::float)?,
                "timeShiftBufferDepth" => o.time_shift_buffer_depth = json::opt(v, at, json::float)?,
                "suggestedPresentationDelay" => o.suggested_presentation_delay = json::opt(v, at, json::float)?,
                "minBufferTime" => o.min_buffer_time = json::opt(v, at, json::float)?,
                "baseUrl" => o.base_url = json::opt(v, at, json::string)?,
                "utcTiming" => o.utc_timing = json::list(v, at, UtcTimingJs::read)?,
                _ => adaptation_sets = Some(json::list(v, at, AdaptationSetJs::read)?),
            }
            Ok(())
        })?;
        o.adaptation_sets = shape.required(adaptation_sets, at, "adaptationSets")?;
        Ok(o)
    }
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
    let o = read_options(options, MpdJs::read)?;
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
