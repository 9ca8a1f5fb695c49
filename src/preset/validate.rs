//! Complete checking: every field's range, the rules between fields of a
//! section, then the rules between sections. [`Preset::from_json`] reads
//! each top-level field and each watermark on its own, and within one a
//! field that does not read is set aside and the rest read again, so a type
//! error in one place does not hide the problems elsewhere.
//!
//! | field | rule |
//! | --- | --- |
//! | `id` | 1 to 64 of `A-Z a-z 0-9 - _ .` |
//! | `name` / `description` | 1 to 40 / at most 255 characters |
//! | `video.codecOptions.level` | high enough for `maxWidth` x `maxHeight` at the fixed frame rate or `maxFrameRate` (size alone with neither), per H.264 Table A-1 |
//! | `video.codecOptions.maxReferenceFrames` | 0 to 16 |
//! | `video.codecOptions.maxBitRate` | 16 to 62500 kbit/s, at least `video.bitRate` |
//! | `video.codecOptions.bufferSize` | at least 1 kbit |
//! | `video.keyframesMaxDist` | 1 to 100000 frames |
//! | `video.fixedGop` | `true` for fragmented containers |
//! | `video.bitRate` | 16 to 62500 kbit/s or `"auto"` |
//! | `video.frameRate` / `maxFrameRate` | 1 to 120 whole, or 23.976, 29.97, 59.94; `maxFrameRate` only with `"auto"` |
//! | `video.maxWidth` / `maxHeight` | even, 128 to 4096 / 96 to 3072 |
//! | `audio.codec` | AAC, opus or flac in mp4 and the fMP4-based containers; AAC in ts; opus in ogg, flac in flac, pcm in wav, mp3 in mp3 |
//! | `video` | absent for the audio-only containers ogg, flac, wav, mp3 |
//! | `audio.bitRate` | AAC, mp3: 16 to 320; opus: 6 to 510; absent for flac, pcm |
//! | `audio.sampleRate` | 22050, 32000, 44100, 48000, 96000, 192000; opus 48000; mp3 <= 48000; AAC <= 96000 |
//! | `audio.codecOptions` | `profile` only for AAC (HE-AACv2 not mono); `bitDepth` 16 or 24, only for flac and pcm |
//! | `thumbnails` | need video; `interval` 1 to 99999 s; `maxWidth` / `maxHeight` even, 32 to 4096 / 32 to 3072 |
//! | `watermarks` | need video; at most 4; ids 1 to 40 characters, unique |
//! | `watermarks[i].maxWidth` / `maxHeight` | 16 px up to the video's maximum, or 0 to 100 % |
//! | `watermarks[i].*Offset` | 0 px up to the video's maximum, or 0 to 100 %; 0 with `Center` |
//! | `watermarks[i].opacity` | 0 to 100 |
//! | the preset | video, audio or both |

use std::fmt::Display;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use serde_path_to_error::Segment;

use super::error::{PresetError, PresetErrorKind, PresetErrors};
use super::model::*;
use crate::codec::h264::Level;

/// Most watermarks in one preset.
pub const MAX_WATERMARKS: usize = 4;

/// Longest JSON text [`Preset::from_json`] reads, in bytes. A preset with
/// four watermarks is about 3 kB.
pub const MAX_JSON_BYTES: usize = 256 * 1024;

/// The top-level fields, in the order they are read and reported.
const FIELDS: [&str; 8] = ["id", "name", "description", "container", "video", "audio", "thumbnails", "watermarks"];

/// Why [`Preset::resolve`] found no preset.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PresetChoiceError {
    /// The string names no preset the lookup knows.
    UnknownId(String),
    /// The preset given inline does not validate.
    Invalid(PresetErrors),
}

impl std::fmt::Display for PresetChoiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PresetChoiceError::UnknownId(id) => write!(f, "no built-in preset \"{id}\" (systemPresets() lists them)"),
            PresetChoiceError::Invalid(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for PresetChoiceError {}

impl Preset {
    /// The preset an option names: an id `lookup` knows (a string not
    /// starting with `{`), or the preset itself as JSON text or a JSON
    /// value, validated completely ([`Preset::from_json`]).
    pub fn resolve(value: &Value, lookup: impl Fn(&str) -> Option<Preset>) -> Result<Preset, PresetChoiceError> {
        match value {
            Value::String(id) if !id.trim_start().starts_with('{') => {
                lookup(id).ok_or_else(|| PresetChoiceError::UnknownId(id.clone()))
            }
            Value::String(json) => Preset::from_json(json).map_err(PresetChoiceError::Invalid),
            other => Preset::from_json(&other.to_string()).map_err(PresetChoiceError::Invalid),
        }
    }

    /// Reads and validates a preset. Every problem is reported: JSON syntax
    /// (then nothing else can be read), a wrong type or unknown name in any
    /// top-level field or watermark, and every rule [`Preset::validate`]
    /// checks on the parts that could be read.
    pub fn from_json(text: &str) -> Result<Preset, PresetErrors> {
        if text.len() > MAX_JSON_BYTES {
            let expected = format!("at most {MAX_JSON_BYTES} bytes of JSON");
            return Err(
                PresetError::new(PresetErrorKind::InvalidValue, "", expected, format!("{} bytes", text.len())).into()
            );
        }
        let value: Value = serde_json::from_str(text).map_err(|e| PresetError::syntax(&e))?;
        let Value::Object(fields) = &value else {
            return Err(PresetError::from_serde(
                "",
                &format!("invalid type: {}, expected a JSON object", kind_of(&value)),
            )
            .into());
        };
        let mut c = Checker::default();
        let known = FIELDS.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ");
        for key in fields.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
            c.errors.push(PresetError::from_serde("", &format!("unknown field `{key}`, expected one of {known}")));
        }

        let id: Option<Option<String>> = c.optional(fields, "id");
        let name: Option<String> = c.required(fields, "name");
        let description: Option<String> = c.optional(fields, "description");
        let container: Option<Container> = c.required(fields, "container");
        let video: Option<Option<VideoPreset>> = c.optional(fields, "video");
        let audio: Option<Option<AudioPreset>> = c.optional(fields, "audio");
        let thumbnails: Option<Option<ThumbnailPreset>> = c.optional(fields, "thumbnails");
        let watermarks = c.watermarks(fields);

        c.parts(&Parts {
            id: id.as_ref().map(Option::as_deref),
            name: name.as_deref(),
            description: description.as_deref(),
            video: video.as_ref().and_then(Option::as_ref),
            audio: audio.as_ref().and_then(Option::as_ref),
            thumbnails: thumbnails.as_ref().and_then(Option::as_ref),
            watermarks: watermarks.iter().enumerate().filter_map(|(i, w)| Some((i, w.as_ref()?))).collect(),
        });

        let watermarks: Option<Vec<WatermarkPreset>> = watermarks.into_iter().collect();
        let preset = match (id, name, description, container, video, audio, thumbnails, watermarks) {
            (
                Some(id),
                Some(name),
                Some(description),
                Some(container),
                Some(video),
                Some(audio),
                Some(thumbnails),
                Some(watermarks),
            ) => Some(Preset { id, name, description, container, video, audio, thumbnails, watermarks }),
            _ => None,
        };
        if let Some(p) = &preset {
            c.cross(p);
        }
        match (PresetErrors::from_vec(c.errors), preset) {
            (None, Some(p)) => Ok(p),
            (Some(errors), _) => Err(errors),
            // Unreachable: a part that could not be read left an error.
            (None, None) => {
                Err(PresetError::new(PresetErrorKind::InvalidValue, "", "a preset", "nothing readable").into())
            }
        }
    }

    /// Checks every field and every rule between fields (the table in
    /// [`super::validate`]); the error lists all problems, in document
    /// order.
    pub fn validate(&self) -> Result<(), PresetErrors> {
        let mut c = Checker::default();
        c.parts(&Parts {
            id: Some(self.id.as_deref()),
            name: Some(&self.name),
            description: Some(&self.description),
            video: self.video.as_ref(),
            audio: self.audio.as_ref(),
            thumbnails: self.thumbnails.as_ref(),
            watermarks: self.watermarks.iter().enumerate().collect(),
        });
        c.cross(self);
        PresetErrors::from_vec(c.errors).map_or(Ok(()), Err)
    }

    /// The preset as pretty-printed JSON, in the form [`Preset::from_json`]
    /// reads.
    pub fn to_json(&self) -> String {
        // Cannot fail: no map keys, and every Serialize impl here is total.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// What JSON calls this value's type, for messages.
fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "unit value",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "sequence",
        Value::Object(_) => "map",
    }
}

/// Most problems [`Checker::read`] finds in one part (a section or a
/// watermark) before it stops looking.
const MAX_PROBLEMS_PER_PART: usize = 32;

/// Removes the object member at `keys` (object keys from `value` down; a
/// `None` is an array index, which is not removed) from `value`. Returns
/// whether there was one to remove.
fn remove_at(value: &mut Value, keys: &[Option<String>]) -> bool {
    let Some((Some(last), parents)) = keys.split_last() else { return false };
    let mut at = value;
    for key in parents {
        match (key, at) {
            (Some(k), Value::Object(map)) => match map.get_mut(k) {
                Some(v) => at = v,
                None => return false,
            },
            _ => return false,
        }
    }
    match at {
        Value::Object(map) => map.remove(last).is_some(),
        _ => false,
    }
}

/// Frame rates a preset may ask for.
const FRAME_RATES: &str = "a whole number from 1 to 120, or 23.976, 29.97 or 59.94";

fn allowed_frame_rate(r: Ratio) -> bool {
    match r.den {
        1 => (1..=120).contains(&r.num),
        1001 => [24_000, 30_000, 60_000].contains(&r.num),
        _ => false,
    }
}

/// Sample rates a preset may ask for (Elastic Transcoder's list).
const SAMPLE_RATES: [u32; 6] = [22_050, 32_000, 44_100, 48_000, 96_000, 192_000];

/// The parts of a preset that could be read: `None` for a part that is
/// absent or could not be read (`id` is itself optional).
struct Parts<'a> {
    id: Option<Option<&'a str>>,
    name: Option<&'a str>,
    description: Option<&'a str>,
    video: Option<&'a VideoPreset>,
    audio: Option<&'a AudioPreset>,
    thumbnails: Option<&'a ThumbnailPreset>,
    /// With their indexes in the list.
    watermarks: Vec<(usize, &'a WatermarkPreset)>,
}

/// Collects problems.
#[derive(Default)]
struct Checker {
    errors: Vec<PresetError>,
    /// Fields that could not be read (their problem is recorded) and were
    /// read as their default: the rules say nothing more about them.
    unread: Vec<String>,
}

impl Checker {
    fn push(
        &mut self,
        kind: PresetErrorKind,
        field: impl Into<String>,
        expected: impl Into<String>,
        value: impl Display,
    ) {
        let error = PresetError::new(kind, field, expected, value);
        if !self.unread.contains(&error.field) {
            self.errors.push(error);
        }
    }

    fn invalid(&mut self, field: impl Into<String>, expected: impl Into<String>, value: impl Display) {
        self.push(PresetErrorKind::InvalidValue, field, expected, value);
    }

    fn conflict(&mut self, field: impl Into<String>, expected: impl Into<String>, value: impl Display) {
        self.push(PresetErrorKind::Conflict, field, expected, value);
    }

    /// `value` from `lo` to `hi`, described as "`what` from `lo` to `hi`".
    fn range(&mut self, field: &str, value: u32, lo: u32, hi: u32, what: &str) {
        if !(lo..=hi).contains(&value) {
            self.invalid(field, format!("{what} from {lo} to {hi}"), value);
        }
    }

    fn opt_range(&mut self, field: &str, value: Option<u32>, lo: u32, hi: u32, what: &str) {
        if let Some(v) = value {
            self.range(field, v, lo, hi, what);
        }
    }

    /// A maximum size: `"auto"` or an even number from `lo` to `hi`.
    /// Returns whether it is one.
    fn dimension(&mut self, field: &str, d: Dimension, lo: u32, hi: u32) -> bool {
        match d {
            Dimension::Pixels(n) if n % 2 != 0 || !(lo..=hi).contains(&n) => {
                self.invalid(field, format!("an even number from {lo} to {hi} (or \"auto\")"), n);
                false
            }
            _ => true,
        }
    }

    /// Reads `value` as a `T`, recording every problem in it at `path`.
    ///
    /// serde stops at the first bad field; to find the next one, the field
    /// at fault is taken out and the rest read again, until it reads (the
    /// section is then checked with the fields that were left, defaults in
    /// place of the bad ones) or a required field is missing. At most
    /// [`MAX_PROBLEMS_PER_PART`] problems are found this way.
    fn read<T: DeserializeOwned>(&mut self, value: &Value, path: &str) -> Option<T> {
        let mut value = std::borrow::Cow::Borrowed(value);
        let mut removed: Vec<String> = Vec::new();
        for _ in 0..MAX_PROBLEMS_PER_PART {
            let e = match serde_path_to_error::deserialize::<_, T>(value.as_ref()) {
                Ok(t) => return Some(t),
                Err(e) => e,
            };
            let mut full = path.to_owned();
            let mut keys: Vec<Option<String>> = Vec::new();
            for segment in e.path().iter() {
                match segment {
                    Segment::Seq { index } => {
                        full.push_str(&format!("[{index}]"));
                        keys.push(None);
                    }
                    Segment::Map { key } | Segment::Enum { variant: key } => {
                        if !full.is_empty() {
                            full.push('.');
                        }
                        full.push_str(key);
                        keys.push(Some(key.clone()));
                    }
                    Segment::Unknown => {}
                }
            }
            let message = e.into_inner().to_string();
            let problem = PresetError::from_serde(&full, &message);
            // Taking out a required field makes serde miss it: that field's
            // problem is already recorded.
            if problem.kind == PresetErrorKind::MissingField && removed.contains(&problem.field) {
                return None;
            }
            // An unknown field is reported at its parent's path.
            if let Some(name) = message.strip_prefix("unknown field `").and_then(|r| r.split('`').next()) {
                if keys.last() != Some(&Some(name.to_owned())) {
                    keys.push(Some(name.to_owned()));
                }
            }
            let field = problem.field.clone();
            self.errors.push(problem);
            if !remove_at(value.to_mut(), &keys) {
                return None;
            }
            removed.push(field.clone());
            self.unread.push(field);
        }
        None
    }

    /// A top-level field that may be absent (then `T::default()`).
    fn optional<T: DeserializeOwned + Default>(&mut self, fields: &Map<String, Value>, name: &str) -> Option<T> {
        match fields.get(name) {
            None => Some(T::default()),
            Some(v) => self.read(v, name),
        }
    }

    /// A top-level field that must be present.
    fn required<T: DeserializeOwned>(&mut self, fields: &Map<String, Value>, name: &str) -> Option<T> {
        match fields.get(name) {
            None => {
                self.errors.push(PresetError::from_serde("", &format!("missing field `{name}`")));
                None
            }
            Some(v) => self.read(v, name),
        }
    }

    /// Each watermark read on its own; `None` marks one that could not be.
    /// An absent list is empty.
    fn watermarks(&mut self, fields: &Map<String, Value>) -> Vec<Option<WatermarkPreset>> {
        match fields.get("watermarks") {
            None => Vec::new(),
            Some(Value::Array(items)) => {
                items.iter().enumerate().map(|(i, v)| self.read(v, &format!("watermarks[{i}]"))).collect()
            }
            // Not a list: reading it as one records the type error.
            Some(other) => {
                self.read::<Vec<WatermarkPreset>>(other, "watermarks");
                vec![None]
            }
        }
    }

    /// Every check of a single part, in document order.
    fn parts(&mut self, p: &Parts) {
        if let Some(Some(id)) = p.id {
            self.id(id);
        }
        if let Some(name) = p.name {
            self.name(name);
        }
        if let Some(description) = p.description {
            self.description(description);
        }
        if let Some(v) = p.video {
            self.video(v);
        }
        if let Some(a) = p.audio {
            self.audio(a);
        }
        if let Some(t) = p.thumbnails {
            self.thumbnails(t);
        }
        for &(i, w) in &p.watermarks {
            self.watermark(i, w, p.video);
        }
    }

    fn id(&mut self, id: &str) {
        let ok = (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !ok {
            self.invalid("id", "1 to 64 letters, digits, '-', '_' or '.'", format!("{id:?}"));
        }
    }

    fn name(&mut self, name: &str) {
        let n = name.chars().count();
        if !(1..=40).contains(&n) {
            self.invalid("name", "1 to 40 characters", format!("{n} characters"));
        }
    }

    fn description(&mut self, description: &str) {
        let n = description.chars().count();
        if n > 255 {
            self.invalid("description", "at most 255 characters", format!("{n} characters"));
        }
    }

    fn video(&mut self, v: &VideoPreset) {
        let o = &v.codec_options;
        self.opt_range("video.codecOptions.maxReferenceFrames", o.max_reference_frames, 0, 16, "a number of frames");
        self.opt_range("video.codecOptions.maxBitRate", o.max_bit_rate, 16, 62_500, "a number of kbit/s");
        if o.buffer_size == Some(0) {
            self.invalid("video.codecOptions.bufferSize", "a number of kbit, at least 1", 0);
        }
        self.opt_range("video.keyframesMaxDist", v.keyframes_max_dist, 1, 100_000, "a number of frames");
        if let VideoBitRate::Kbps(b) = v.bit_rate {
            self.range("video.bitRate", b, 16, 62_500, "\"auto\" or a number of kbit/s");
            if let Some(max) = o.max_bit_rate.filter(|&m| m < b) {
                self.conflict("video.codecOptions.maxBitRate", format!("at least video.bitRate ({b})"), max);
            }
        }
        let mut rates_ok = true;
        if let PresetFrameRate::Fixed(r) = v.frame_rate {
            if !allowed_frame_rate(r) {
                self.invalid("video.frameRate", format!("\"auto\", {FRAME_RATES}"), r);
                rates_ok = false;
            }
        }
        if let Some(r) = v.max_frame_rate {
            if !allowed_frame_rate(r) {
                self.invalid("video.maxFrameRate", FRAME_RATES, r);
                rates_ok = false;
            } else if v.frame_rate != PresetFrameRate::Auto {
                self.conflict(
                    "video.maxFrameRate",
                    "absent when video.frameRate is not \"auto\" (it caps \"auto\" only)",
                    r,
                );
            }
        }
        let width_ok = self.dimension("video.maxWidth", v.max_width, 128, 4096);
        let height_ok = self.dimension("video.maxHeight", v.max_height, 96, 3072);
        // The level is judged only against sizes and rates that are valid.
        if width_ok && height_ok && rates_ok {
            self.level(v);
        }
    }

    /// The level admits the largest output (`maxWidth` x `maxHeight`) at
    /// the fixed frame rate, or `maxFrameRate`, or (rate unknown) in frame
    /// size alone.
    fn level(&mut self, v: &VideoPreset) {
        let Some(level) = v.codec_options.level else { return };
        let (w, h) = v.max_size();
        let rate = match (v.frame_rate, v.max_frame_rate) {
            (PresetFrameRate::Fixed(r), _) | (PresetFrameRate::Auto, Some(r)) => Some(r),
            (PresetFrameRate::Auto, None) => None,
        };
        let fps = rate.map_or(1.0, |r| r.num as f32 / r.den.max(1) as f32);
        let needed = Level::for_stream(w, h, fps, 0, v.codec_options.profile);
        if needed.is_none_or(|n| n > level) {
            let at = rate.map(|r| format!(" at {r} fps")).unwrap_or_default();
            let expected = match needed {
                Some(n) => format!("at least {n} for {w}x{h}{at} (H.264 Table A-1)"),
                None => format!("a level that admits {w}x{h}{at}; none does"),
            };
            self.conflict("video.codecOptions.level", expected, level);
        }
    }

    fn audio(&mut self, a: &AudioPreset) {
        let codec = a.codec;
        match (codec.is_lossless(), a.bit_rate) {
            (false, None) => self.push(
                PresetErrorKind::MissingField,
                "audio.bitRate",
                format!("given for {codec} (kbit/s)"),
                "nothing",
            ),
            (false, Some(b)) => {
                let (lo, hi) = if codec == AudioCodec::Opus { (6, 510) } else { (16, 320) };
                if !(lo..=hi).contains(&b) {
                    self.invalid("audio.bitRate", format!("a number of kbit/s from {lo} to {hi} for {codec}"), b);
                }
            }
            (true, Some(b)) => {
                self.conflict("audio.bitRate", format!("absent for {codec} (lossless; see codecOptions.bitDepth)"), b)
            }
            (true, None) => {}
        }
        if let PresetSampleRate::Hz(hz) = a.sample_rate {
            let refused = match codec {
                _ if !SAMPLE_RATES.contains(&hz) => None,
                AudioCodec::Opus if hz != 48_000 => Some("48000 (or \"auto\") for opus"),
                AudioCodec::Mp3 if hz > 48_000 => Some("at most 48000 for mp3"),
                AudioCodec::Aac if hz > 96_000 => Some("at most 96000 for AAC"),
                _ => None,
            };
            if !SAMPLE_RATES.contains(&hz) {
                let list = SAMPLE_RATES.map(|r| r.to_string()).join(", ");
                self.invalid("audio.sampleRate", format!("\"auto\" or one of {list}"), hz);
            } else if let Some(expected) = refused {
                self.conflict("audio.sampleRate", expected, hz);
            }
        }
        let o = &a.codec_options;
        if let Some(profile) = o.profile {
            if codec != AudioCodec::Aac {
                self.conflict(
                    "audio.codecOptions.profile",
                    format!("absent for {codec} (AAC only)"),
                    serde_name(&profile),
                );
            } else if profile == PresetAacProfile::HeAacV2 && a.channels == Channels::Mono {
                self.conflict("audio.channels", "2 or \"auto\" with HE-AACv2 (parametric stereo)", a.channels);
            }
        }
        if let Some(depth) = o.bit_depth {
            if !codec.is_lossless() {
                self.conflict("audio.codecOptions.bitDepth", format!("absent for {codec} (flac and pcm only)"), depth);
            } else if depth != 16 && depth != 24 {
                self.invalid("audio.codecOptions.bitDepth", "16 or 24", depth);
            }
        }
    }

    fn thumbnails(&mut self, t: &ThumbnailPreset) {
        self.range("thumbnails.interval", t.interval, 1, 99_999, "a number of seconds");
        self.dimension("thumbnails.maxWidth", t.max_width, 32, 4096);
        self.dimension("thumbnails.maxHeight", t.max_height, 32, 3072);
    }

    /// One watermark; pixel lengths are bounded by the video's maximum size
    /// when there is video.
    fn watermark(&mut self, i: usize, w: &WatermarkPreset, video: Option<&VideoPreset>) {
        let at = |name: &str| format!("watermarks[{i}].{name}");
        let n = w.id.chars().count();
        if !(1..=40).contains(&n) {
            self.invalid(at("id"), "1 to 40 characters", format!("{n} characters"));
        }
        let (max_w, max_h) = video.map_or((4096, 3072), VideoPreset::max_size);
        let lengths = [
            ("maxWidth", w.max_width, 16, max_w, "video.maxWidth"),
            ("maxHeight", w.max_height, 16, max_h, "video.maxHeight"),
            ("horizontalOffset", w.horizontal_offset, 0, max_w, "video.maxWidth"),
            ("verticalOffset", w.vertical_offset, 0, max_h, "video.maxHeight"),
        ];
        for (name, len, lo, hi, bound) in lengths {
            let ok = match len {
                Length::Pixels(px) => (lo..=hi).contains(&px),
                Length::Percent(p) => (0.0..=100.0).contains(&p),
            };
            if !ok {
                self.invalid(at(name), format!("{lo}px to {hi}px ({bound}) or 0% to 100%"), len);
            }
        }
        let centred = [
            ("horizontalOffset", w.horizontal_align == HorizontalAlign::Center, w.horizontal_offset, "horizontalAlign"),
            ("verticalOffset", w.vertical_align == VerticalAlign::Center, w.vertical_offset, "verticalAlign"),
        ];
        for (name, center, offset, align) in centred {
            if center && !offset.is_zero() {
                self.conflict(at(name), format!("0 with {align} Center (offsets apply to the edges only)"), offset);
            }
        }
        if !(0.0..=100.0).contains(&w.opacity) {
            self.invalid(at("opacity"), "a number from 0 to 100", w.opacity);
        }
    }

    /// Rules between sections.
    fn cross(&mut self, p: &Preset) {
        if p.video.is_none() && p.audio.is_none() {
            self.conflict("video", "given, or audio given (a preset produces video, audio or both)", "neither");
        }
        if p.video.is_none() && p.thumbnails.is_some() {
            self.conflict("thumbnails", "absent without video (thumbnails are taken from the video)", "thumbnails");
        }
        let n = p.watermarks.len();
        if p.video.is_none() && n > 0 {
            self.conflict(
                "watermarks",
                "empty without video (watermarks are drawn on the video)",
                format!("a list of {n}"),
            );
        }
        if n > MAX_WATERMARKS {
            self.invalid("watermarks", format!("at most {MAX_WATERMARKS} watermarks"), n);
        }
        for (j, w) in p.watermarks.iter().enumerate() {
            if let Some(i) = p.watermarks[..j].iter().position(|earlier| earlier.id == w.id) {
                self.conflict(
                    format!("watermarks[{j}].id"),
                    format!("unique (watermarks[{i}] has the same id)"),
                    format!("{:?}", w.id),
                );
            }
        }
        let c = p.container;
        if c.is_fragmented() && p.video.as_ref().is_some_and(|v| !v.fixed_gop) {
            self.conflict(
                "video.fixedGop",
                format!("true for container {c} (every fragment starts with a keyframe)"),
                false,
            );
        }
        if c.is_audio_only() && p.video.is_some() {
            self.conflict("video", format!("absent for container {c} (it holds audio only)"), "video");
        }
        let codecs = c.audio_codecs();
        if let Some(a) = p.audio.as_ref().filter(|a| !codecs.contains(&a.codec)) {
            let names: Vec<String> = codecs.iter().map(|k| k.to_string()).collect();
            let list = match names.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                _ => names.concat(),
            };
            self.conflict("audio.codec", format!("{list} for container {c} (what it carries)"), a.codec);
        }
    }
}

/// The JSON name of a unit enum value.
fn serde_name<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => format!("{s:?}"),
        _ => String::new(),
    }
}
