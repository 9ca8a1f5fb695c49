//! Reading a job from JSON text: camelCase or Elastic Transcoder's
//! PascalCase field names, numbers as JSON numbers or strings, every shape
//! problem collected. Each field that does not read is recorded as
//! `unread`, so the rules checked afterwards say nothing more about it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::error::{JobError, JobErrorKind};
use super::model::*;
use super::{MAX_CLIPS, MAX_OUTPUTS, MAX_PLAYLISTS, MAX_USER_METADATA, MAX_WATERMARKS};
use crate::preset::Preset;

/// Longest job JSON [`Job::from_json`] reads, in bytes. Thirty outputs
/// with inline presets are about 100 kB.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

/// A field name with why framecast refuses it.
type Refused = (&'static str, &'static str);

const READ_ONLY: &str = "a status field, which framecast reports and a job does not give";

const JOB_FIELDS: &[&str] = &["input", "outputs", "playlists", "outputKeyPrefix", "userMetadata"];
const JOB_REFUSED: &[Refused] = &[
    ("pipelineId", "pipelines (the runner takes the job itself; remove pipelineId)"),
    ("inputs", "concatenating several inputs (give one input)"),
    ("output", "the single `output` form (write it as `outputs: [...]`)"),
    ("id", READ_ONLY),
    ("arn", READ_ONLY),
    ("status", READ_ONLY),
    ("timing", READ_ONLY),
];
const INPUT_FIELDS: &[&str] =
    &["key", "container", "timeSpan", "rotate", "frameRate", "resolution", "aspectRatio", "interlaced"];
const INPUT_REFUSED: &[Refused] =
    &[("encryption", "encrypted input"), ("inputCaptions", "captions"), ("detectedProperties", READ_ONLY)];
const OUTPUT_FIELDS: &[&str] =
    &["key", "presetId", "preset", "rotate", "segmentDuration", "thumbnailPattern", "watermarks", "composition"];
const OUTPUT_REFUSED: &[Refused] = &[
    ("captions", "captions"),
    ("encryption", "encryption of outputs (use a playlist's hlsContentProtection)"),
    ("thumbnailEncryption", "encryption of thumbnails"),
    ("albumArt", "album art"),
    ("id", READ_ONLY),
    ("status", READ_ONLY),
    ("statusDetail", READ_ONLY),
    ("duration", READ_ONLY),
    ("durationMillis", READ_ONLY),
    ("width", READ_ONLY),
    ("height", READ_ONLY),
    ("frameRate", READ_ONLY),
    ("fileSize", READ_ONLY),
    ("appliedColorSpaceConversion", READ_ONLY),
];
const WATERMARK_FIELDS: &[&str] = &["presetWatermarkId", "inputKey"];
const WATERMARK_REFUSED: &[Refused] = &[("encryption", "encrypted watermark images")];
const CLIP_FIELDS: &[&str] = &["timeSpan"];
const TIME_SPAN_FIELDS: &[&str] = &["startTime", "duration"];
const PLAYLIST_FIELDS: &[&str] = &["name", "format", "outputKeys", "hlsContentProtection"];
const PLAYLIST_REFUSED: &[Refused] =
    &[("playReadyDrm", "PlayReady DRM"), ("status", READ_ONLY), ("statusDetail", READ_ONLY)];
const PROTECTION_FIELDS: &[&str] =
    &["method", "key", "keyMd5", "initializationVector", "licenseAcquisitionUrl", "keyStoragePolicy"];

/// A job as read, with the problems found and the fields that did not read.
pub(super) struct Parsed {
    pub job: Job,
    pub errors: Vec<JobError>,
    pub unread: Vec<String>,
}

/// Reads `text` (at most [`MAX_JSON_BYTES`]). `None` when nothing could be
/// read at all (syntax, not an object); the errors say why.
pub(super) fn parse(text: &str) -> Result<Parsed, JobError> {
    if text.len() > MAX_JSON_BYTES {
        let expected = format!("at most {MAX_JSON_BYTES} bytes of JSON");
        return Err(JobError::new(JobErrorKind::Syntax, "", expected, format!("{} bytes", text.len())));
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| JobError::new(JobErrorKind::Syntax, "", "valid JSON", e))?;
    let mut r = Reader::default();
    let Some(top) = r.object("", &value, JOB_FIELDS, JOB_REFUSED) else {
        let e = r.errors.pop();
        return Err(e.unwrap_or_else(|| JobError::new(JobErrorKind::WrongType, "", "a JSON object", "nothing")));
    };
    let input = match top.get("input") {
        Some(v) => r.input(&top.path("input"), v),
        None => {
            r.missing(&top.path("input"));
            JobInput::new("")
        }
    };
    let outputs = match top.get("outputs") {
        Some(v) => {
            let path = top.path("outputs");
            let items = r.list(&path, v, MAX_OUTPUTS, "outputs");
            items.iter().enumerate().map(|(i, o)| r.output(&format!("{path}[{i}]"), o)).collect()
        }
        None => {
            r.missing(&top.path("outputs"));
            Vec::new()
        }
    };
    let playlists = match top.get("playlists") {
        Some(v) => {
            let path = top.path("playlists");
            let items = r.list(&path, v, MAX_PLAYLISTS, "playlists");
            items.iter().enumerate().map(|(i, p)| r.playlist(&format!("{path}[{i}]"), p)).collect()
        }
        None => Vec::new(),
    };
    let output_key_prefix = top.get("outputKeyPrefix").map(|v| r.string(&top.path("outputKeyPrefix"), v));
    let user_metadata = top.get("userMetadata").map(|v| r.metadata(&top.path("userMetadata"), v));
    let job = Job {
        input,
        outputs,
        playlists,
        output_key_prefix: output_key_prefix.unwrap_or_default(),
        user_metadata: user_metadata.unwrap_or_default(),
    };
    Ok(Parsed { job, errors: r.errors, unread: r.unread })
}

/// An object's members under their camelCase names.
struct Fields<'a> {
    at: String,
    members: Vec<(String, &'a Value)>,
}

impl<'a> Fields<'a> {
    /// The member `name`; `null` counts as absent.
    fn get(&self, name: &str) -> Option<&'a Value> {
        self.members.iter().find(|(n, v)| n == name && !v.is_null()).map(|(_, v)| *v)
    }

    fn path(&self, name: &str) -> String {
        if self.at.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.at)
        }
    }
}

/// `Key` -> `key`, `PresetWatermarkId` -> `presetWatermarkId`: ET's
/// PascalCase to camelCase.
fn camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// A found value as a message shows it: strings quoted (long ones cut),
/// numbers and booleans as written, objects and arrays by kind.
pub(super) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// `s` in quotes, cut to 64 characters.
pub(super) fn quote(s: &str) -> String {
    const MAX: usize = 64;
    if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head:?}... ({} characters)", s.chars().count())
    }
}

/// `"a", "b" or "c"`.
pub(super) fn one_of<T: std::fmt::Display>(names: &[T]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("one of {} or {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}

#[derive(Default)]
struct Reader {
    errors: Vec<JobError>,
    unread: Vec<String>,
}

impl Reader {
    fn push(&mut self, kind: JobErrorKind, field: &str, expected: impl Into<String>, value: impl std::fmt::Display) {
        self.errors.push(JobError::new(kind, field, expected, value));
        self.unread.push(field.to_owned());
    }

    fn missing(&mut self, field: &str) {
        self.push(JobErrorKind::MissingField, field, "given (it is required)", "nothing");
    }

    fn wrong_type(&mut self, field: &str, expected: &str, v: &Value) {
        self.push(JobErrorKind::WrongType, field, expected, describe(v));
    }

    /// The members of the object `v`, each name checked against `known`
    /// and `refused`.
    fn object<'a>(&mut self, at: &str, v: &'a Value, known: &[&str], refused: &[Refused]) -> Option<Fields<'a>> {
        let Value::Object(map) = v else {
            self.wrong_type(at, "a JSON object", v);
            return None;
        };
        let mut fields = Fields { at: at.to_owned(), members: Vec::with_capacity(map.len()) };
        for (raw, value) in map {
            let name = camel(raw);
            let path = fields.path(&name);
            if let Some((_, why)) = refused.iter().find(|(n, _)| *n == name) {
                let expected = format!("left out: {why} is not supported by framecast");
                self.push(JobErrorKind::Unsupported, &path, expected, describe(value));
            } else if !known.contains(&name.as_str()) {
                let expected = format!("a known field name ({})", one_of(known));
                self.push(JobErrorKind::UnknownField, &path, expected, format!("an unknown field {raw:?}"));
            } else if fields.members.iter().any(|(n, _)| *n == name) {
                let earlier = map.keys().find(|k| *k != raw && camel(k) == name).map_or(name.as_str(), String::as_str);
                let expected = format!("given once (it is also given as {earlier:?})");
                self.push(JobErrorKind::Conflict, &path, expected, format!("{raw:?}"));
            } else {
                fields.members.push((name, value));
            }
        }
        Some(fields)
    }

    /// The first `max` items of the array `v` (more is a problem).
    fn list<'a>(&mut self, at: &str, v: &'a Value, max: usize, what: &str) -> &'a [Value] {
        let Value::Array(items) = v else {
            self.wrong_type(at, &format!("an array of {what}"), v);
            return &[];
        };
        if items.len() > max {
            let expected = format!("at most {max} {what} (only the first {max} were read)");
            self.errors.push(JobError::new(
                JobErrorKind::InvalidValue,
                at,
                expected,
                format!("{} {what}", items.len()),
            ));
        }
        &items[..items.len().min(max)]
    }

    fn string(&mut self, at: &str, v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            _ => {
                self.wrong_type(at, "a string", v);
                String::new()
            }
        }
    }

    /// A required string member.
    fn required(&mut self, fields: &Fields<'_>, name: &str) -> String {
        match fields.get(name) {
            Some(v) => self.string(&fields.path(name), v),
            None => {
                self.missing(&fields.path(name));
                String::new()
            }
        }
    }

    /// The text of a scalar: a string, or a number or boolean as written.
    fn scalar_text(&mut self, at: &str, v: &Value, expected: &str) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => {
                self.wrong_type(at, expected, v);
                None
            }
        }
    }

    /// One of a [`names!`] enum's values, by name; numbers and booleans by
    /// their text (`90` for `"90"`).
    fn name<T: Copy + std::fmt::Display>(
        &mut self,
        fields: &Fields<'_>,
        field: &str,
        all: &[T],
        from_name: fn(&str) -> Option<T>,
        default: T,
    ) -> T {
        let Some(v) = fields.get(field) else { return default };
        let at = fields.path(field);
        let expected = one_of(all);
        let Some(text) = self.scalar_text(&at, v, &expected) else { return default };
        match from_name(&text) {
            Some(value) => value,
            None => {
                self.push(JobErrorKind::InvalidValue, &at, expected, describe(v));
                default
            }
        }
    }

    fn input(&mut self, at: &str, v: &Value) -> JobInput {
        let mut input = JobInput::new("");
        let Some(f) = self.object(at, v, INPUT_FIELDS, INPUT_REFUSED) else { return input };
        input.key = self.required(&f, "key");
        input.container =
            self.name(&f, "container", InputContainer::ALL, InputContainer::from_name, InputContainer::Auto);
        input.time_span = f.get("timeSpan").map(|v| self.time_span(&f.path("timeSpan"), v));
        input.rotate = self.name(&f, "rotate", Rotate::ALL, Rotate::from_name, Rotate::Auto);
        input.frame_rate =
            self.name(&f, "frameRate", InputFrameRate::ALL, InputFrameRate::from_name, InputFrameRate::Auto);
        input.aspect_ratio =
            self.name(&f, "aspectRatio", InputAspectRatio::ALL, InputAspectRatio::from_name, InputAspectRatio::Auto);
        input.interlaced = self.name(&f, "interlaced", Interlaced::ALL, Interlaced::from_name, Interlaced::Auto);
        if let Some(v) = f.get("resolution") {
            let at = f.path("resolution");
            const EXPECTED: &str = "\"auto\" or WIDTHxHEIGHT (each 1 to 99999 pixels)";
            if let Some(text) = self.scalar_text(&at, v, EXPECTED) {
                match parse_resolution(&text) {
                    Some(r) => input.resolution = r,
                    None => self.push(JobErrorKind::InvalidValue, &at, EXPECTED, describe(v)),
                }
            }
        }
        input
    }

    fn time_span(&mut self, at: &str, v: &Value) -> TimeSpan {
        let mut span = TimeSpan::default();
        let Some(f) = self.object(at, v, TIME_SPAN_FIELDS, &[]) else { return span };
        span.start_millis = f.get("startTime").and_then(|v| self.time(&f.path("startTime"), v));
        span.duration_millis = f.get("duration").and_then(|v| self.time(&f.path("duration"), v));
        span
    }

    fn time(&mut self, at: &str, v: &Value) -> Option<u64> {
        const EXPECTED: &str =
            "a time as HH:mm:ss.SSS (at most 23:59:59.999) or seconds with up to 3 decimals (at most 86399.999)";
        let text = self.scalar_text(at, v, EXPECTED)?;
        let ms = parse_time(&text);
        if ms.is_none() {
            self.push(JobErrorKind::InvalidValue, at, EXPECTED, describe(v));
        }
        ms
    }

    fn output(&mut self, at: &str, v: &Value) -> JobOutput {
        let mut out = JobOutput::new("", "");
        out.preset_id = None;
        let Some(f) = self.object(at, v, OUTPUT_FIELDS, OUTPUT_REFUSED) else { return out };
        out.key = self.required(&f, "key");
        out.preset_id = f.get("presetId").map(|v| self.string(&f.path("presetId"), v));
        if let Some(v) = f.get("preset") {
            let path = f.path("preset");
            match Preset::from_json(&v.to_string()) {
                Ok(p) => out.preset = Some(Box::new(p)),
                Err(errors) => {
                    self.errors.extend(errors.iter().map(|e| JobError::from_preset(&path, e)));
                    self.unread.push(path);
                }
            }
        }
        out.rotate = self.name(&f, "rotate", Rotate::ALL, Rotate::from_name, Rotate::Auto);
        if let Some(v) = f.get("segmentDuration") {
            let at = f.path("segmentDuration");
            const EXPECTED: &str = "seconds from 1 to 60, with up to 5 decimals";
            if let Some(text) = self.scalar_text(&at, v, EXPECTED) {
                match parse_decimal(&text, 5) {
                    // Units of 10 µs.
                    Some(units) => out.segment_duration_micros = Some(units * 10),
                    None => self.push(JobErrorKind::InvalidValue, &at, EXPECTED, describe(v)),
                }
            }
        }
        if let Some(v) = f.get("thumbnailPattern") {
            out.thumbnail_pattern = self.string(&f.path("thumbnailPattern"), v);
        }
        if let Some(v) = f.get("watermarks") {
            let path = f.path("watermarks");
            let items = self.list(&path, v, MAX_WATERMARKS, "watermarks");
            for (i, w) in items.iter().enumerate() {
                let at = format!("{path}[{i}]");
                if let Some(wf) = self.object(&at, w, WATERMARK_FIELDS, WATERMARK_REFUSED) {
                    let preset_watermark_id = self.required(&wf, "presetWatermarkId");
                    let input_key = self.required(&wf, "inputKey");
                    out.watermarks.push(JobWatermark { preset_watermark_id, input_key });
                }
            }
        }
        if let Some(v) = f.get("composition") {
            let path = f.path("composition");
            let items = self.list(&path, v, MAX_CLIPS, "clips (one clip per output)");
            for (i, c) in items.iter().enumerate() {
                let at = format!("{path}[{i}]");
                if let Some(cf) = self.object(&at, c, CLIP_FIELDS, &[]) {
                    match cf.get("timeSpan") {
                        Some(v) => out.composition.push(Clip { time_span: self.time_span(&cf.path("timeSpan"), v) }),
                        None => self.missing(&cf.path("timeSpan")),
                    }
                }
            }
        }
        out
    }

    fn playlist(&mut self, at: &str, v: &Value) -> JobPlaylist {
        let mut p = JobPlaylist {
            name: String::new(),
            format: PlaylistFormat::HlsV3,
            output_keys: Vec::new(),
            hls_content_protection: None,
        };
        let Some(f) = self.object(at, v, PLAYLIST_FIELDS, PLAYLIST_REFUSED) else { return p };
        p.name = self.required(&f, "name");
        match f.get("format") {
            Some(Value::String(s)) if s == "Smooth" => {
                let expected =
                    "left out: Smooth Streaming is not supported by framecast (use HLSv3, HLSv4, MPEG-DASH or CMAF)";
                self.push(JobErrorKind::Unsupported, &f.path("format"), expected, "\"Smooth\"");
            }
            Some(_) => {
                p.format = self.name(&f, "format", PlaylistFormat::ALL, PlaylistFormat::from_name, p.format);
            }
            None => self.missing(&f.path("format")),
        }
        match f.get("outputKeys") {
            Some(v) => {
                let path = f.path("outputKeys");
                let items = self.list(&path, v, MAX_OUTPUTS, "output keys");
                p.output_keys =
                    items.iter().enumerate().map(|(i, k)| self.string(&format!("{path}[{i}]"), k)).collect();
            }
            None => self.missing(&f.path("outputKeys")),
        }
        if let Some(v) = f.get("hlsContentProtection") {
            p.hls_content_protection = self.protection(&f.path("hlsContentProtection"), v);
        }
        p
    }

    fn protection(&mut self, at: &str, v: &Value) -> Option<HlsContentProtection> {
        let f = self.object(at, v, PROTECTION_FIELDS, &[])?;
        let mut text = |name: &str| f.get(name).map(|v| self.string(&f.path(name), v)).unwrap_or_default();
        let key = text("key");
        let key_md5 = text("keyMd5");
        let initialization_vector = text("initializationVector");
        let license_acquisition_url = text("licenseAcquisitionUrl");
        let method =
            self.name(&f, "method", ProtectionMethod::ALL, ProtectionMethod::from_name, ProtectionMethod::Aes128);
        let key_storage_policy = self.name(
            &f,
            "keyStoragePolicy",
            KeyStoragePolicy::ALL,
            KeyStoragePolicy::from_name,
            KeyStoragePolicy::WithVariantPlaylists,
        );
        Some(HlsContentProtection {
            method,
            key,
            key_md5,
            initialization_vector,
            license_acquisition_url,
            key_storage_policy,
        })
    }

    fn metadata(&mut self, at: &str, v: &Value) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Value::Object(map) = v else {
            self.wrong_type(at, "a JSON object of string values", v);
            return out;
        };
        if map.len() > MAX_USER_METADATA {
            let expected = format!("at most {MAX_USER_METADATA} pairs (only the first {MAX_USER_METADATA} were read)");
            self.errors.push(JobError::new(JobErrorKind::InvalidValue, at, expected, format!("{} pairs", map.len())));
        }
        let map: &Map<String, Value> = map;
        for (k, v) in map.iter().take(MAX_USER_METADATA) {
            let value = self.string(&format!("{at}.{k}"), v);
            out.insert(k.clone(), value);
        }
        out
    }
}

/// `WIDTHxHEIGHT` (each 1 to 5 digits, not zero) or `auto`.
fn parse_resolution(s: &str) -> Option<InputResolution> {
    if s == "auto" {
        return Some(InputResolution::Auto);
    }
    let (w, h) = s.split_once('x')?;
    let dim = |t: &str| -> Option<u32> {
        let ok = (1..=5).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| t.parse().ok()).flatten().filter(|n| *n > 0)
    };
    Some(InputResolution::Size { width: dim(w)?, height: dim(h)? })
}

/// `digits[.digits]` with 1 to 5 whole digits and at most `decimals`
/// decimals, in units of 10^-`decimals` (`"2.5"`, 3 -> 2500).
pub(super) fn parse_decimal(s: &str, decimals: u32) -> Option<u64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !(1..=5).contains(&whole.len()) || !digits(whole) || frac.len() > decimals as usize || !digits(frac) {
        return None;
    }
    let scale = 10u64.pow(decimals);
    let whole: u64 = whole.parse().ok()?;
    let mut f: u64 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
    for _ in frac.len()..decimals as usize {
        f *= 10;
    }
    whole.checked_mul(scale)?.checked_add(f)
}

/// ET's `Time`: `sssss[.SSS]` (at most 86399.999), `mm:ss[.SSS]` or
/// `HH:mm:ss[.SSS]` (at most 23:59:59.999), each part 1 or 2 digits; in ms.
pub(super) fn parse_time(s: &str) -> Option<u64> {
    if s.len() > 16 {
        return None;
    }
    let (main, frac) = s.split_once('.').unwrap_or((s, ""));
    let parts: Vec<&str> = main.split(':').collect();
    let field = |t: &str, max: u64| -> Option<u64> {
        let ok = (1..=2).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| t.parse().ok()).flatten().filter(|n| *n <= max)
    };
    let seconds = match parts.as_slice() {
        [secs] => parse_decimal(secs, 0).filter(|n| *n <= 86_399)?,
        [m, sec] => field(m, 59)? * 60 + field(sec, 59)?,
        [h, m, sec] => field(h, 23)? * 3600 + field(m, 59)? * 60 + field(sec, 59)?,
        _ => return None,
    };
    let ms = parse_decimal(&format!("0.{frac}"), 3)?;
    seconds.checked_mul(1000)?.checked_add(ms)
}
