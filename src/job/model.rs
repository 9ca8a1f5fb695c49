//! The job types: plain data in Elastic Transcoder's vocabulary, written
//! as camelCase JSON ([`Job::to_json`]) in the form [`Job::from_json`]
//! reads back.
//!
//! Times are integers: clip times in milliseconds, segment durations in
//! microseconds (ET allowed five decimals of a second). They are written
//! as ET wrote them, decimal seconds in a string (`"12.345"`).

use std::collections::BTreeMap;
use std::fmt;

use serde::ser::Serializer;
use serde::Serialize;

use crate::preset::Preset;

/// Generates a string-valued enum: its variants, their JSON names,
/// `ALL`, `as_str`, `from_name` and `Display`.
macro_rules! names {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal,)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $v,)+
        }

        impl $name {
            /// Every value, in the order the documentation lists them.
            pub const ALL: &'static [$name] = &[$($name::$v,)+];

            /// The name as written in JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$v => $s,)+
                }
            }

            /// The value whose JSON name is `s` (exact case).
            pub fn from_name(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(super) use names;

/// A transcoding job: one input, up to 30 outputs, up to 30 playlists
/// (Elastic Transcoder's `CreateJobRequest` without `pipelineId`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// The file to transcode.
    pub input: JobInput,
    /// What to make of it: 1 to 30 outputs.
    pub outputs: Vec<JobOutput>,
    /// Multivariant playlists over segmented outputs: 0 to 30. Default
    /// none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub playlists: Vec<JobPlaylist>,
    /// Prepended to every file the job writes (outputs, segments,
    /// thumbnails, playlists, keys): at most 255 characters. Default empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub output_key_prefix: String,
    /// Up to 10 key/value pairs the job carries into its status. Default
    /// none.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub user_metadata: BTreeMap<String, String>,
}

/// The input file (ET's `JobInput`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobInput {
    /// The input's name, 1 to 1024 characters; the runner maps it to bytes.
    pub key: String,
    /// Default [`InputContainer::Auto`] (detected).
    pub container: InputContainer,
    /// The part of the input to transcode; `None` (default) for all of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_span: Option<TimeSpan>,
    /// Rotation applied to every output whose own `rotate` is `auto`.
    /// Default [`Rotate::Auto`] (follow the input's rotation metadata).
    pub rotate: Rotate,
    /// Default [`InputFrameRate::Auto`] (detected).
    pub frame_rate: InputFrameRate,
    /// Default [`InputResolution::Auto`] (detected).
    pub resolution: InputResolution,
    /// Default [`InputAspectRatio::Auto`] (detected).
    pub aspect_ratio: InputAspectRatio,
    /// Default [`Interlaced::Auto`] (detected).
    pub interlaced: Interlaced,
}

impl JobInput {
    /// An input with every setting `auto` and no time span.
    pub fn new(key: impl Into<String>) -> JobInput {
        JobInput {
            key: key.into(),
            container: InputContainer::Auto,
            time_span: None,
            rotate: Rotate::Auto,
            frame_rate: InputFrameRate::Auto,
            resolution: InputResolution::Auto,
            aspect_ratio: InputAspectRatio::Auto,
            interlaced: Interlaced::Auto,
        }
    }
}

names! {
    /// The input's container: `auto` or one of Elastic Transcoder's names
    /// (plus `flac` and `m4v`). [`InputContainer::is_readable`] says which
    /// framecast reads.
    #[non_exhaustive]
    pub enum InputContainer {
        /// Detected from the bytes.
        Auto = "auto",
        /// 3GPP.
        ThreeGp = "3gp",
        /// AAC in ADTS.
        Aac = "aac",
        /// Windows Media.
        Asf = "asf",
        /// AVI.
        Avi = "avi",
        /// DivX (AVI).
        Divx = "divx",
        /// FLAC (framecast's addition).
        Flac = "flac",
        /// Flash video.
        Flv = "flv",
        /// MPEG-4 audio.
        M4a = "m4a",
        /// MPEG-4 video (framecast's addition).
        M4v = "m4v",
        /// Matroska.
        Mkv = "mkv",
        /// QuickTime.
        Mov = "mov",
        /// MP3.
        Mp3 = "mp3",
        /// MPEG-4.
        Mp4 = "mp4",
        /// MPEG-1 system stream.
        Mpeg = "mpeg",
        /// MPEG-2 program stream.
        MpegPs = "mpeg-ps",
        /// MPEG-2 transport stream.
        MpegTs = "mpeg-ts",
        /// MXF.
        Mxf = "mxf",
        /// Ogg.
        Ogg = "ogg",
        /// MPEG-2 transport stream (ET's schema also had this name).
        Ts = "ts",
        /// DVD video object.
        Vob = "vob",
        /// RIFF WAVE.
        Wav = "wav",
        /// WebM.
        Webm = "webm",
    }
}

impl InputContainer {
    /// Whether framecast reads this container: MP4 and QuickTime
    /// (mp4, mov, m4a, m4v), MPEG-TS, WebM and Matroska, Ogg, WAV, FLAC,
    /// MP3 and ADTS AAC, and `auto`.
    pub fn is_readable(self) -> bool {
        use InputContainer::*;
        matches!(self, Auto | Aac | Flac | M4a | M4v | Mkv | Mov | Mp3 | Mp4 | MpegTs | Ogg | Ts | Wav | Webm)
    }
}

names! {
    /// Degrees clockwise to rotate the picture.
    pub enum Rotate {
        /// Follow the input's rotation metadata (none: 0).
        Auto = "auto",
        /// No rotation.
        R0 = "0",
        /// A quarter turn clockwise.
        R90 = "90",
        /// A half turn.
        R180 = "180",
        /// Three quarter turns clockwise.
        R270 = "270",
    }
}

impl Rotate {
    /// The angle in degrees; `None` for `auto`.
    pub fn degrees(self) -> Option<u16> {
        match self {
            Rotate::Auto => None,
            Rotate::R0 => Some(0),
            Rotate::R90 => Some(90),
            Rotate::R180 => Some(180),
            Rotate::R270 => Some(270),
        }
    }
}

names! {
    /// The input's frame rate: `auto` or one of Elastic Transcoder's
    /// overrides (frames per second; 23.97 and 29.97 are 24000/1001 and
    /// 30000/1001).
    pub enum InputFrameRate {
        /// Detected.
        Auto = "auto",
        /// 10 fps.
        Fps10 = "10",
        /// 15 fps.
        Fps15 = "15",
        /// 24000/1001 fps.
        Fps23_97 = "23.97",
        /// 24 fps.
        Fps24 = "24",
        /// 25 fps.
        Fps25 = "25",
        /// 30000/1001 fps.
        Fps29_97 = "29.97",
        /// 30 fps.
        Fps30 = "30",
        /// 50 fps.
        Fps50 = "50",
        /// 60 fps.
        Fps60 = "60",
    }
}

impl InputFrameRate {
    /// The rate as (numerator, denominator) frames per second; `None` for
    /// `auto`.
    pub fn ratio(self) -> Option<(u32, u32)> {
        use InputFrameRate::*;
        Some(match self {
            Auto => return None,
            Fps10 => (10, 1),
            Fps15 => (15, 1),
            Fps23_97 => (24_000, 1001),
            Fps24 => (24, 1),
            Fps25 => (25, 1),
            Fps29_97 => (30_000, 1001),
            Fps30 => (30, 1),
            Fps50 => (50, 1),
            Fps60 => (60, 1),
        })
    }
}

names! {
    /// The input's display aspect ratio: `auto` or an override.
    pub enum InputAspectRatio {
        /// Detected.
        Auto = "auto",
        /// Square.
        Square = "1:1",
        /// 4:3.
        FourThree = "4:3",
        /// 3:2.
        ThreeTwo = "3:2",
        /// 16:9.
        SixteenNine = "16:9",
    }
}

names! {
    /// Whether the input is interlaced: `auto` (detected), `true` or
    /// `false`.
    pub enum Interlaced {
        /// Detected.
        Auto = "auto",
        /// Interlaced.
        Yes = "true",
        /// Progressive.
        No = "false",
    }
}

/// The input's picture size: `auto` (detected) or `WIDTHxHEIGHT` in
/// pixels, each 1 to 99999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum InputResolution {
    /// Detected. The default.
    #[default]
    Auto,
    /// An override.
    Size {
        /// Pixels.
        width: u32,
        /// Pixels.
        height: u32,
    },
}

impl fmt::Display for InputResolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputResolution::Auto => f.write_str("auto"),
            InputResolution::Size { width, height } => write!(f, "{width}x{height}"),
        }
    }
}

impl Serialize for InputResolution {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A part of the input (ET's `TimeSpan`), in milliseconds of the input's
/// timeline. Written as decimal seconds (`"12.345"`); read from that or
/// `HH:mm:ss.SSS`, at most 23:59:59.999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeSpan {
    /// Where the span starts, in ms; `None` (default): at the beginning.
    #[serde(rename = "startTime", serialize_with = "millis", skip_serializing_if = "Option::is_none")]
    pub start_millis: Option<u64>,
    /// How long it lasts, in ms; `None` (default): to the end of the input.
    #[serde(rename = "duration", serialize_with = "millis", skip_serializing_if = "Option::is_none")]
    pub duration_millis: Option<u64>,
}

impl TimeSpan {
    /// The start in ms (0 when not given).
    pub fn start(&self) -> u64 {
        self.start_millis.unwrap_or(0)
    }

    /// The end in ms, when the duration is given.
    pub fn end(&self) -> Option<u64> {
        self.duration_millis.map(|d| self.start().saturating_add(d))
    }
}

/// Milliseconds as decimal seconds: `12345` -> `"12.345"`, `2000` -> `"2"`.
pub(super) fn seconds_text(value: u64, decimals: u32) -> String {
    let scale = 10u64.pow(decimals);
    let (whole, frac) = (value / scale, value % scale);
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:0width$}", width = decimals as usize);
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

fn millis<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(ms) => s.serialize_str(&seconds_text(*ms, 3)),
        None => s.serialize_none(),
    }
}

fn micros<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(us) => s.serialize_str(&seconds_text(*us / 10, 5)),
        None => s.serialize_none(),
    }
}

/// One output (ET's `CreateJobOutput`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobOutput {
    /// The output's name (after `outputKeyPrefix`), 1 to 255 characters,
    /// unique in the job. Segmented outputs use it as the stem of their
    /// playlist and segment names.
    pub key: String,
    /// A system preset's id or the id of a custom preset given to
    /// validation. Exactly one of `presetId` and `preset`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset_id: Option<String>,
    /// The preset itself, inline (framecast's addition).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<Box<Preset>>,
    /// Default [`Rotate::Auto`]: the input's `rotate`.
    pub rotate: Rotate,
    /// Target segment duration in microseconds, 1 to 60 s (ET's five
    /// decimals of a second), for segmented presets only. `None`
    /// (default): [`super::DEFAULT_SEGMENT_DURATION_MICROS`] when the
    /// output is segmented.
    #[serde(rename = "segmentDuration", serialize_with = "micros", skip_serializing_if = "Option::is_none")]
    pub segment_duration_micros: Option<u64>,
    /// Thumbnail file names: empty (default) for none, else with `{count}`
    /// (five digits from 00001) and optionally `{resolution}`
    /// (`WIDTHxHEIGHT`); the extension comes from the preset.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub thumbnail_pattern: String,
    /// Images for the preset's watermark slots, drawn in this order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub watermarks: Vec<JobWatermark>,
    /// At most one clip of the input (ET's `Composition`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub composition: Vec<Clip>,
}

impl JobOutput {
    /// An output with a preset id and every other setting at its default.
    pub fn new(key: impl Into<String>, preset_id: impl Into<String>) -> JobOutput {
        JobOutput {
            key: key.into(),
            preset_id: Some(preset_id.into()),
            preset: None,
            rotate: Rotate::Auto,
            segment_duration_micros: None,
            thumbnail_pattern: String::new(),
            watermarks: Vec::new(),
            composition: Vec::new(),
        }
    }
}

/// An image for one watermark slot of the output's preset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobWatermark {
    /// The slot: a `watermarks[].id` of the output's preset.
    pub preset_watermark_id: String,
    /// The image's name, ending in `.png`, `.jpg` or `.jpeg`, at most 1024
    /// characters; the runner maps it to bytes.
    pub input_key: String,
}

/// One clip of the input (ET's `Clip`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Clip {
    /// On the input's timeline.
    pub time_span: TimeSpan,
}

names! {
    /// How a playlist packages its outputs.
    pub enum PlaylistFormat {
        /// HLS with MPEG-TS segments, one file per segment.
        HlsV3 = "HLSv3",
        /// HLS with each output in one fMP4 file addressed by byte ranges,
        /// plus an I-frame playlist.
        HlsV4 = "HLSv4",
        /// MPEG-DASH with fMP4 segments.
        Dash = "MPEG-DASH",
        /// framecast's: one set of fMP4 segments with both an HLS and a
        /// DASH manifest.
        Cmaf = "CMAF",
    }
}

impl PlaylistFormat {
    /// HLSv3, HLSv4 and CMAF write HLS playlists.
    pub fn is_hls(self) -> bool {
        matches!(self, PlaylistFormat::HlsV3 | PlaylistFormat::HlsV4 | PlaylistFormat::Cmaf)
    }
}

/// A multivariant playlist (ET's `CreateJobPlaylist`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobPlaylist {
    /// 1 to 255 characters, unique; the extension is added. A `/` is
    /// allowed when every playlist's name has the same part before the
    /// last `/`.
    pub name: String,
    /// The format.
    pub format: PlaylistFormat,
    /// The outputs that are its renditions, by key: 1 to 30.
    pub output_keys: Vec<String>,
    /// AES-128 encryption of the segments (HLS formats only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hls_content_protection: Option<HlsContentProtection>,
}

names! {
    /// The HLS encryption method.
    pub enum ProtectionMethod {
        /// AES-128-CBC with PKCS#7 padding, whole segments.
        Aes128 = "aes-128",
    }
}

names! {
    /// Where the key goes.
    pub enum KeyStoragePolicy {
        /// The key file is written beside the playlists and `EXT-X-KEY`
        /// names it. The default.
        WithVariantPlaylists = "WithVariantPlaylists",
        /// No key file: `EXT-X-KEY` names `licenseAcquisitionUrl`, and the
        /// caller serves the key (from the resolved job) there.
        NoStore = "NoStore",
    }
}

/// AES-128 for a playlist's segments (ET's `HlsContentProtection`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HlsContentProtection {
    /// Default [`ProtectionMethod::Aes128`], the only one.
    pub method: ProtectionMethod,
    /// The key, base64 of 16 bytes; empty (default) to generate one.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// Base64 of the key's 16-byte MD5, checked when given; empty
    /// (default) to compute it. Must be empty when the key is generated.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key_md5: String,
    /// Base64 of the 16-byte IV; empty (default) to generate one. Must be
    /// empty when the key is generated.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub initialization_vector: String,
    /// The key's absolute `http(s)` URL for `EXT-X-KEY`, at most 512
    /// characters: required with `NoStore`, empty with
    /// `WithVariantPlaylists`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub license_acquisition_url: String,
    /// Default [`KeyStoragePolicy::WithVariantPlaylists`].
    pub key_storage_policy: KeyStoragePolicy,
}

impl Job {
    /// The job as pretty-printed camelCase JSON, in the form
    /// [`Job::from_json`] reads.
    pub fn to_json(&self) -> String {
        // Cannot fail: string map keys, and every Serialize impl is total.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
