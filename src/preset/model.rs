//! The preset types: plain data in Elastic Transcoder's vocabulary, with
//! camelCase JSON.
//!
//! Reading a preset accepts what an Elastic Transcoder user writes: numbers
//! as JSON numbers or as strings (`"bitRate": 2200` or `"bitRate": "2200"`),
//! `"auto"` where Elastic Transcoder had it, booleans as `true` or `"true"`.
//! Writing uses JSON numbers, `"auto"`, and `"120px"` / `"10%"` for
//! watermark lengths. Deserializing checks only the shape of each value;
//! ranges and cross-field rules are [`Preset::validate`]'s job, and
//! [`Preset::from_json`] does both.
//!
//! In wasm builds every type here also derives its TypeScript declaration
//! (`tsify`), which wasm-bindgen writes into the package's `.d.ts`: the
//! JS API's `Preset` is this `Preset`. Where a custom reader accepts more
//! than the Rust type shows (numbers as strings, `"auto"`, `"120px"`), a
//! `tsify(type = ...)` override says so.

use std::fmt;

use serde::de::Deserializer;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::lenient::{self, Raw};
use crate::codec::h264::{Level, Profile};

/// An output recipe: container, video, audio, thumbnails and watermark
/// slots. Build one in code, take one from [`super::system_presets`], or
/// read one with [`Preset::from_json`].
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Preset {
    /// Stable identifier: 1 to 64 letters, digits, `-`, `_` or `.`.
    /// Elastic Transcoder's ids (`1351620000001-000010`) fit. `None` for a
    /// preset that is not stored anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Display name, 1 to 40 characters.
    pub name: String,
    /// Free text, at most 255 characters. Default empty.
    #[serde(default)]
    pub description: String,
    /// How the output is packaged.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "PresetContainer"))]
    pub container: Container,
    /// Video settings; `None` for audio-only output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<VideoPreset>,
    /// Audio settings; `None` for video-only output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<AudioPreset>,
    /// Still images taken from the video; `None` for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnails: Option<ThumbnailPreset>,
    /// Up to four watermark slots. A job supplies the images (fewer than
    /// the slots is fine); a slot without an image draws nothing.
    /// (Elastic Transcoder kept these under `Video:Watermarks`.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub watermarks: Vec<WatermarkPreset>,
}

/// The container, lowercase in JSON.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Container {
    /// Fragmented MP4: an init segment, then `moof` + `mdat` fragments,
    /// as one stream or file (Elastic Transcoder's `fmp4`).
    Fmp4,
    /// CMAF: fragmented MP4 with one track per file and CMAF brands, the
    /// form ingest servers expect.
    Cmaf,
    /// Progressive MP4: one file, `moov` before a single `mdat`.
    Mp4,
    /// HLS with fMP4 segments and playlists. (Elastic Transcoder's HLS
    /// presets used MPEG-TS; framecast writes fMP4.)
    Hls,
    /// MPEG-DASH with fMP4 segments and an MPD.
    Dash,
    /// Ogg, audio only: Opus (`"oga"` is read as this too).
    #[serde(alias = "oga")]
    Ogg,
    /// A native FLAC file, audio only.
    Flac,
    /// RIFF WAVE, audio only: uncompressed PCM.
    Wav,
    /// An MP3 elementary stream, audio only (the `mp3` cargo feature
    /// encodes it).
    Mp3,
    /// MPEG-2 transport stream segments (ISO/IEC 13818-1), as Elastic
    /// Transcoder's HLS system presets wrote them for HLSv3: H.264 video
    /// and AAC audio only.
    Ts,
}

impl Container {
    /// Every container but [`Container::Mp4`] is cut into fragments, which
    /// must start on keyframes.
    pub fn is_fragmented(self) -> bool {
        matches!(self, Container::Fmp4 | Container::Cmaf | Container::Hls | Container::Dash | Container::Ts)
    }

    /// Containers that hold only sound: no `video` section.
    pub fn is_audio_only(self) -> bool {
        matches!(self, Container::Ogg | Container::Flac | Container::Wav | Container::Mp3)
    }

    /// The audio codecs this container carries.
    pub fn audio_codecs(self) -> &'static [AudioCodec] {
        match self {
            Container::Ogg => &[AudioCodec::Opus],
            Container::Flac => &[AudioCodec::Flac],
            Container::Wav => &[AudioCodec::Pcm],
            Container::Mp3 => &[AudioCodec::Mp3],
            Container::Ts => &[AudioCodec::Aac],
            Container::Fmp4 | Container::Cmaf | Container::Mp4 | Container::Hls | Container::Dash => {
                &[AudioCodec::Aac, AudioCodec::Opus, AudioCodec::Flac]
            }
        }
    }
}

impl fmt::Display for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Container::Fmp4 => "fmp4",
            Container::Cmaf => "cmaf",
            Container::Mp4 => "mp4",
            Container::Hls => "hls",
            Container::Dash => "dash",
            Container::Ogg => "ogg",
            Container::Flac => "flac",
            Container::Wav => "wav",
            Container::Mp3 => "mp3",
            Container::Ts => "ts",
        })
    }
}

/// The TypeScript type of [`Preset::container`]: a [`Container`] or its
/// alias `"oga"`, which the derive does not see.
#[cfg(target_arch = "wasm32")]
#[derive(tsify::Tsify)]
#[tsify(type = "Container | \"oga\"")]
// Never built: only its TypeScript declaration is used.
#[allow(dead_code)]
struct PresetContainer;

/// Video settings (Elastic Transcoder's `VideoParameters`).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VideoPreset {
    /// The codec. Default (and only value so far) `"H.264"`.
    #[serde(default)]
    pub codec: VideoCodec,
    /// Profile, level, reference frames, rate ceiling.
    #[serde(default)]
    pub codec_options: VideoCodecOptions,
    /// Most frames from one keyframe to the next, 1 to 100000. `None`
    /// (default) means two seconds' worth at the output frame rate.
    #[serde(default, deserialize_with = "lenient::opt_u32", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "PresetNumber"))]
    pub keyframes_max_dist: Option<u32>,
    /// `true`: keyframes exactly every `keyframesMaxDist` frames; `false`:
    /// the distance may be shorter (scene cuts). Must be `true` for
    /// fragmented containers. Default `true`.
    #[serde(default = "default_true", deserialize_with = "lenient::bool")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "boolean | \"true\" | \"false\""))]
    pub fixed_gop: bool,
    /// Average bit rate in kbit/s, 16 to 62500, or `"auto"` (the input's
    /// bit rate). Required.
    pub bit_rate: VideoBitRate,
    /// Output frame rate. Default `"auto"` (the input's).
    #[serde(default)]
    pub frame_rate: PresetFrameRate,
    /// Ceiling for `frameRate: "auto"`: inputs faster than this are
    /// reduced to it. Only with `"auto"`. Default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_frame_rate: Option<Ratio>,
    /// Largest output width: an even number from 128 to 4096, or `"auto"`
    /// (1920). Default `"auto"`.
    #[serde(default)]
    pub max_width: Dimension,
    /// Largest output height: an even number from 96 to 3072, or `"auto"`
    /// (1080). Default `"auto"`.
    #[serde(default)]
    pub max_height: Dimension,
    /// How the picture is scaled into `maxWidth` x `maxHeight`. Default
    /// [`SizingPolicy::ShrinkToFit`].
    #[serde(default)]
    pub sizing_policy: SizingPolicy,
    /// Whether black bars fill the frame up to `maxWidth` x `maxHeight`.
    /// Default [`PaddingPolicy::NoPad`].
    #[serde(default)]
    pub padding_policy: PaddingPolicy,
    /// Display aspect ratio written into the output's metadata. Default
    /// `"auto"` (square pixels). See [`super::geometry`].
    #[serde(default)]
    pub display_aspect_ratio: AspectRatio,
}

impl VideoPreset {
    /// Width used when `maxWidth` is `"auto"`.
    pub const AUTO_MAX_WIDTH: u32 = 1920;
    /// Height used when `maxHeight` is `"auto"`.
    pub const AUTO_MAX_HEIGHT: u32 = 1080;

    /// `maxWidth` x `maxHeight` with `"auto"` resolved.
    pub fn max_size(&self) -> (u32, u32) {
        (self.max_width.or(Self::AUTO_MAX_WIDTH), self.max_height.or(Self::AUTO_MAX_HEIGHT))
    }
}

fn default_true() -> bool {
    true
}

/// The video codec.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum VideoCodec {
    /// H.264 / AVC, written `"H.264"`.
    #[default]
    #[serde(rename = "H.264")]
    H264,
}

/// H.264 options (Elastic Transcoder's `CodecOptions`).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VideoCodecOptions {
    /// `baseline`, `main` or `high`. Default `main`.
    #[serde(default)]
    pub profile: Profile,
    /// Level, written `"3.1"`; `None` (default) picks the lowest level that
    /// fits the size, frame rate and bit rate.
    #[serde(default, deserialize_with = "lenient::opt_level", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "string | number"))]
    pub level: Option<Level>,
    /// Most reference frames, 0 to 16. `None` (default): the encoder's
    /// choice.
    #[serde(default, deserialize_with = "lenient::opt_u32", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "PresetNumber"))]
    pub max_reference_frames: Option<u32>,
    /// Peak bit rate in kbit/s, 16 to 62500, at least `bitRate`. `None`
    /// (default): no ceiling beyond the average.
    #[serde(default, deserialize_with = "lenient::opt_u32", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "PresetNumber"))]
    pub max_bit_rate: Option<u32>,
    /// Rate-control buffer in kbit, at least 1. `None` (default): ten times
    /// `maxBitRate` when that is set (Elastic Transcoder's rule).
    #[serde(default, deserialize_with = "lenient::opt_u32", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "PresetNumber"))]
    pub buffer_size: Option<u32>,
}

impl VideoCodecOptions {
    /// `bufferSize` with the default applied: ten times `maxBitRate`, or
    /// `None` when neither is set. Saturates at `u32::MAX`.
    pub fn effective_buffer_size(&self) -> Option<u32> {
        self.buffer_size.or(self.max_bit_rate.map(|m| m.saturating_mul(10)))
    }
}

/// Generates a `"auto"`-or-whole-number type: an enum with `Auto` (the
/// default) and one `u32` variant, its JSON form and its `Display`.
macro_rules! auto_or_u32 {
    ($(#[$doc:meta])* $name:ident, $(#[$vdoc:meta])* $variant:ident, $what:literal) => {
        $(#[$doc])*
        #[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(type = "\"auto\" | PresetNumber"))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            /// `"auto"`.
            #[default]
            Auto,
            $(#[$vdoc])*
            $variant(u32),
        }

        impl $name {
            /// The number, or `auto` for [`Self::Auto`].
            pub fn or(self, auto: u32) -> u32 {
                match self {
                    $name::Auto => auto,
                    $name::$variant(n) => n,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $name::Auto => f.write_str("auto"),
                    $name::$variant(n) => write!(f, "{n}"),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    $name::Auto => s.serialize_str("auto"),
                    $name::$variant(n) => s.serialize_u32(*n),
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                const EXPECTED: &str = concat!("\"auto\" or a whole number of ", $what);
                let raw = lenient::raw(d, EXPECTED)?;
                if raw.as_str() == Some("auto") {
                    return Ok($name::Auto);
                }
                raw.as_u32().map($name::$variant).ok_or_else(|| raw.invalid(EXPECTED))
            }
        }
    };
}

auto_or_u32!(
    /// A maximum width or height: `"auto"` or pixels.
    Dimension,
    /// That many pixels.
    Pixels,
    "pixels"
);

auto_or_u32!(
    /// A video bit rate: `"auto"` (the input's) or kbit/s.
    VideoBitRate,
    /// That many kbit/s.
    Kbps,
    "kbit/s"
);

auto_or_u32!(
    /// An audio sample rate: `"auto"` (the input's) or Hz.
    PresetSampleRate,
    /// That many samples per second.
    Hz,
    "Hz"
);

/// An exact positive fraction `num / den`: frames per second here, sample
/// aspect ratios in [`super::geometry`]. Written as a number (`30`,
/// `29.97`) or a string (`"30"`, `"30000/1001"`). `23.97`/`23.976`,
/// `29.97` and `59.94` mean the NTSC rates 24000/1001, 30000/1001 and
/// 60000/1001.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(type = "number | string"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ratio {
    /// Numerator.
    pub num: u32,
    /// Denominator, never 0 when parsed.
    pub den: u32,
}

impl Ratio {
    /// `num / den` in lowest terms (a zero `den` stays zero).
    pub fn new(num: u32, den: u32) -> Ratio {
        let g = gcd(num as u64, den as u64).max(1) as u32;
        Ratio { num: num / g, den: den / g }
    }

    /// A whole number.
    pub const fn integer(n: u32) -> Ratio {
        Ratio { num: n, den: 1 }
    }

    /// The three NTSC rates and how they are usually written.
    const NTSC: [(u32, &'static str, &'static [&'static str]); 3] =
        [(24_000, "23.976", &["23.97", "23.976"]), (30_000, "29.97", &["29.97"]), (60_000, "59.94", &["59.94"])];

    fn ntsc_name(self) -> Option<&'static str> {
        (self.den == 1001).then(|| Self::NTSC.iter().find(|n| n.0 == self.num).map(|n| n.1)).flatten()
    }

    /// The exact decimal form with at most six decimals (`12.5`, `29.97`
    /// for an NTSC rate), if there is one.
    fn decimal(self) -> Option<String> {
        if let Some(name) = self.ntsc_name() {
            return Some(name.to_owned());
        }
        let k = (0..=6u32).find(|&k| self.den != 0 && 10u64.pow(k) % self.den as u64 == 0)?;
        let scaled = self.num as u64 * (10u64.pow(k) / self.den as u64);
        let (int, frac) = (scaled / 10u64.pow(k), scaled % 10u64.pow(k));
        Some(match k {
            0 => int.to_string(),
            _ => format!("{int}.{:0width$}", frac, width = k as usize)
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_owned(),
        })
    }

    /// Reads `"30"`, `"29.97"`, `"12.5"` or `"30000/1001"`.
    fn parse(s: &str) -> Option<Ratio> {
        if let Some((n, d)) = s.split_once('/') {
            if !(lenient::digits(n) && lenient::digits(d)) {
                return None;
            }
            let (n, d): (u32, u32) = (n.parse().ok()?, d.parse().ok()?);
            return (d > 0).then(|| Ratio::new(n, d));
        }
        if let Some(n) = Self::NTSC.iter().find(|n| n.2.contains(&s)) {
            return Some(Ratio { num: n.0, den: 1001 });
        }
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if !lenient::digits(int) || frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let den = 10u64.pow(frac.len() as u32);
        let num = int.parse::<u64>().ok()? * den + frac.parse::<u64>().unwrap_or(0);
        let g = gcd(num, den).max(1);
        Some(Ratio { num: u32::try_from(num / g).ok()?, den: (den / g) as u32 })
    }
}

/// Greatest common divisor (0 for 0, 0).
pub(super) fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl fmt::Display for Ratio {
    /// `30`, `12.5`, `29.97` (NTSC), otherwise `num/den`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.decimal() {
            Some(d) => f.write_str(&d),
            None => write!(f, "{}/{}", self.num, self.den),
        }
    }
}

impl Serialize for Ratio {
    /// A JSON number when the decimal form is exact (or NTSC), otherwise
    /// the string `"num/den"`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match (self.den, self.decimal()) {
            (1, _) => s.serialize_u32(self.num),
            (_, Some(d)) => s.serialize_f64(d.parse().unwrap_or(0.0)),
            _ => s.collect_str(self),
        }
    }
}

const RATE: &str = "a frame rate: a number such as 30 or 29.97, or a fraction such as \"30000/1001\"";

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = lenient::raw(d, RATE)?;
        raw_ratio(&raw).ok_or_else(|| raw.invalid(RATE))
    }
}

fn raw_ratio(raw: &Raw) -> Option<Ratio> {
    match raw {
        Raw::Bool(_) => None,
        _ => raw.decimal_text().as_deref().and_then(Ratio::parse),
    }
}

/// The output frame rate.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(type = "\"auto\" | number | string"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PresetFrameRate {
    /// `"auto"`: the input's frame rate (capped by `maxFrameRate`).
    #[default]
    Auto,
    /// Exactly this many frames per second.
    Fixed(Ratio),
}

impl fmt::Display for PresetFrameRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PresetFrameRate::Auto => f.write_str("auto"),
            PresetFrameRate::Fixed(r) => r.fmt(f),
        }
    }
}

impl Serialize for PresetFrameRate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PresetFrameRate::Auto => s.serialize_str("auto"),
            PresetFrameRate::Fixed(r) => r.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for PresetFrameRate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const EXPECTED: &str = "\"auto\" or a frame rate such as 30, 29.97 or \"30000/1001\"";
        let raw = lenient::raw(d, EXPECTED)?;
        if raw.as_str() == Some("auto") {
            return Ok(PresetFrameRate::Auto);
        }
        raw_ratio(&raw).map(PresetFrameRate::Fixed).ok_or_else(|| raw.invalid(EXPECTED))
    }
}

/// How a picture is scaled into a `maxWidth` x `maxHeight` box (the exact
/// arithmetic is in [`super::geometry`]).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum SizingPolicy {
    /// Scale (up or down) until one side equals its maximum and the other
    /// does not exceed its maximum.
    Fit,
    /// Scale (up or down) until one side equals its maximum and the other
    /// reaches or exceeds it, then crop the excess, centred.
    Fill,
    /// Scale each side to exactly its maximum, distorting if the shapes
    /// differ.
    Stretch,
    /// No scaling; crop what exceeds the maximum, centred.
    Keep,
    /// Like `Fit`, but never scale up. The default.
    #[default]
    ShrinkToFit,
    /// Like `Fill`, but never scale up.
    ShrinkToFill,
}

/// Whether black bars pad the output up to `maxWidth` x `maxHeight`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum PaddingPolicy {
    /// Centre the picture in a `maxWidth` x `maxHeight` frame of black.
    Pad,
    /// The frame is the picture. The default.
    #[default]
    NoPad,
}

/// A display aspect ratio.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum AspectRatio {
    /// Square pixels: the display shape is the frame's shape. The default.
    #[default]
    #[serde(rename = "auto")]
    Auto,
    /// `"1:1"`.
    #[serde(rename = "1:1")]
    Square,
    /// `"4:3"`.
    #[serde(rename = "4:3")]
    FourThree,
    /// `"3:2"`.
    #[serde(rename = "3:2")]
    ThreeTwo,
    /// `"16:9"`.
    #[serde(rename = "16:9")]
    SixteenNine,
}

impl AspectRatio {
    /// Width and height of the ratio; `None` for `Auto`.
    pub fn ratio(self) -> Option<(u32, u32)> {
        match self {
            AspectRatio::Auto => None,
            AspectRatio::Square => Some((1, 1)),
            AspectRatio::FourThree => Some((4, 3)),
            AspectRatio::ThreeTwo => Some((3, 2)),
            AspectRatio::SixteenNine => Some((16, 9)),
        }
    }
}

/// Audio settings (Elastic Transcoder's `AudioParameters`).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AudioPreset {
    /// The codec. Required.
    pub codec: AudioCodec,
    /// Sample rate: `"auto"` or one of 22050, 32000, 44100, 48000, 96000,
    /// 192000 (Opus: 48000 only; mp3: up to 48000; AAC: up to 96000).
    /// Default `"auto"`.
    #[serde(default)]
    pub sample_rate: PresetSampleRate,
    /// Bit rate in kbit/s: AAC and mp3 16 to 320, Opus 6 to 510. Required
    /// for those; must be absent for flac and pcm (lossless).
    #[serde(default, deserialize_with = "lenient::opt_u32", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "PresetNumber"))]
    pub bit_rate: Option<u32>,
    /// Channel count. Default `"auto"` (the input's, up to two).
    #[serde(default)]
    pub channels: Channels,
    /// AAC profile, flac/pcm bit depth.
    #[serde(default, skip_serializing_if = "AudioCodecOptions::is_empty")]
    pub codec_options: AudioCodecOptions,
}

/// The audio codec.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum AudioCodec {
    /// AAC, written `"AAC"` as in Elastic Transcoder.
    #[serde(rename = "AAC")]
    Aac,
    /// MPEG-1/2 Layer III.
    #[serde(rename = "mp3")]
    Mp3,
    /// Opus (RFC 6716), always 48 kHz.
    #[serde(rename = "opus")]
    Opus,
    /// FLAC, lossless.
    #[serde(rename = "flac")]
    Flac,
    /// Uncompressed little-endian signed PCM.
    #[serde(rename = "pcm")]
    Pcm,
}

impl AudioCodec {
    /// FLAC and PCM: no bit rate to choose, a bit depth instead.
    pub fn is_lossless(self) -> bool {
        matches!(self, AudioCodec::Flac | AudioCodec::Pcm)
    }
}

impl fmt::Display for AudioCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AudioCodec::Aac => "AAC",
            AudioCodec::Mp3 => "mp3",
            AudioCodec::Opus => "opus",
            AudioCodec::Flac => "flac",
            AudioCodec::Pcm => "pcm",
        })
    }
}

/// How many channels the output has.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(type = "\"auto\" | 1 | 2 | \"1\" | \"2\""))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Channels {
    /// `"auto"`: the input's channel count, at most two. The default.
    #[default]
    Auto,
    /// `1`.
    Mono,
    /// `2`.
    Stereo,
}

impl fmt::Display for Channels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Channels::Auto => "auto",
            Channels::Mono => "1",
            Channels::Stereo => "2",
        })
    }
}

impl Serialize for Channels {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Channels::Auto => s.serialize_str("auto"),
            Channels::Mono => s.serialize_u8(1),
            Channels::Stereo => s.serialize_u8(2),
        }
    }
}

impl<'de> Deserialize<'de> for Channels {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const EXPECTED: &str = "\"auto\", 1 or 2 (leave `audio` out for no sound)";
        let raw = lenient::raw(d, EXPECTED)?;
        match (raw.as_str(), raw.as_u32()) {
            (Some("auto"), _) => Ok(Channels::Auto),
            (_, Some(1)) => Ok(Channels::Mono),
            (_, Some(2)) => Ok(Channels::Stereo),
            _ => Err(raw.invalid(EXPECTED)),
        }
    }
}

/// Codec-specific audio options (Elastic Transcoder's
/// `AudioCodecOptions`).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AudioCodecOptions {
    /// AAC only. `None` (default) means AAC-LC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<PresetAacProfile>,
    /// flac and pcm only: bits per sample, 16 or 24. `None` (default)
    /// means 16.
    #[serde(default, deserialize_with = "lenient::opt_u32", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "PresetNumber"))]
    pub bit_depth: Option<u32>,
}

impl AudioCodecOptions {
    /// No option set.
    pub fn is_empty(&self) -> bool {
        self.profile.is_none() && self.bit_depth.is_none()
    }
}

/// The AAC profile.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
// Serde keeps the name from before the rename: its messages ("expected enum
// AacProfile") reach JS.
#[serde(rename = "AacProfile")]
pub enum PresetAacProfile {
    /// The encoder chooses from the bit rate (Elastic Transcoder: AAC-LC
    /// above 64 kbit/s, HE-AAC from 40 to 80, HE-AACv2 below 48).
    #[serde(rename = "auto")]
    Auto,
    /// Low Complexity, the common profile.
    #[serde(rename = "AAC-LC")]
    AacLc,
    /// High Efficiency (SBR), for low bit rates.
    #[serde(rename = "HE-AAC")]
    HeAac,
    /// HE-AAC with parametric stereo; needs two channels.
    #[serde(rename = "HE-AACv2")]
    HeAacV2,
}

/// Thumbnail settings (Elastic Transcoder's `Thumbnails`).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ThumbnailPreset {
    /// Image format. Required.
    pub format: ImageFormat,
    /// Seconds between thumbnails (approximately), 1 to 99999. Required.
    #[serde(deserialize_with = "lenient::u32")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "PresetNumber"))]
    pub interval: u32,
    /// Largest width: an even number from 32 to 4096, or `"auto"` (1920).
    /// Default `"auto"`.
    #[serde(default)]
    pub max_width: Dimension,
    /// Largest height: an even number from 32 to 3072, or `"auto"` (1080).
    /// Default `"auto"`.
    #[serde(default)]
    pub max_height: Dimension,
    /// Default [`SizingPolicy::ShrinkToFit`].
    #[serde(default)]
    pub sizing_policy: SizingPolicy,
    /// Default [`PaddingPolicy::NoPad`].
    #[serde(default)]
    pub padding_policy: PaddingPolicy,
}

impl ThumbnailPreset {
    /// `maxWidth` x `maxHeight` with `"auto"` resolved (1920 x 1080).
    pub fn max_size(&self) -> (u32, u32) {
        (self.max_width.or(VideoPreset::AUTO_MAX_WIDTH), self.max_height.or(VideoPreset::AUTO_MAX_HEIGHT))
    }
}

/// A still image format.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// JPEG.
    Jpg,
    /// PNG.
    Png,
}

/// One watermark slot (Elastic Transcoder's `PresetWatermark`). Lengths
/// in percent are of the target area's width or height (see `target`).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WatermarkPreset {
    /// Names the slot; a job refers to it. 1 to 40 characters, unique in
    /// the preset. Required.
    pub id: String,
    /// Largest width: pixels (16 up to the video's `maxWidth`) or 0-100 %.
    /// Default `"100%"`.
    #[serde(default = "Length::full")]
    pub max_width: Length,
    /// Largest height: pixels (16 up to the video's `maxHeight`) or
    /// 0-100 %. Default `"100%"`.
    #[serde(default = "Length::full")]
    pub max_height: Length,
    /// How the image is scaled into that box. Default
    /// [`WatermarkSizing::ShrinkToFit`].
    #[serde(default)]
    pub sizing_policy: WatermarkSizing,
    /// Default [`HorizontalAlign::Left`].
    #[serde(default)]
    pub horizontal_align: HorizontalAlign,
    /// Distance from the aligned edge: pixels (up to the video's
    /// `maxWidth`) or 0-100 %. Must be 0 with `Center`. Default `"0px"`.
    #[serde(default)]
    pub horizontal_offset: Length,
    /// Default [`VerticalAlign::Top`].
    #[serde(default)]
    pub vertical_align: VerticalAlign,
    /// Distance from the aligned edge: pixels (up to the video's
    /// `maxHeight`) or 0-100 %. Must be 0 with `Center`. Default `"0px"`.
    #[serde(default)]
    pub vertical_offset: Length,
    /// 0 (invisible) to 100 (opaque), fractions allowed; multiplies the
    /// image's own alpha. Default 100.
    #[serde(default = "full_opacity", deserialize_with = "lenient::decimal")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "PresetNumber"))]
    pub opacity: f64,
    /// What offsets and percentages are measured against. Default
    /// [`WatermarkTarget::Content`].
    #[serde(default)]
    pub target: WatermarkTarget,
}

fn full_opacity() -> f64 {
    100.0
}

/// A watermark length: pixels or a percentage of the target area.
///
/// JSON: `"120px"` or `"10%"` as in Elastic Transcoder (percentages may
/// have up to five decimals there); `"120"` and `120` also mean pixels.
/// Written back as `"120px"` / `"10%"`.
#[cfg_attr(
    target_arch = "wasm32",
    derive(tsify::Tsify),
    tsify(type = "number | `${number}px` | `${number}%` | `${number}`")
)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Length {
    /// Output pixels.
    Pixels(u32),
    /// Percent of the target area's width (horizontal lengths) or height
    /// (vertical ones).
    Percent(f64),
}

impl Length {
    /// `"100%"`.
    pub fn full() -> Length {
        Length::Percent(100.0)
    }

    /// Zero (either unit).
    pub fn is_zero(self) -> bool {
        matches!(self, Length::Pixels(0)) || self == Length::Percent(0.0)
    }
}

impl Default for Length {
    /// `"0px"`.
    fn default() -> Self {
        Length::Pixels(0)
    }
}

impl fmt::Display for Length {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Length::Pixels(n) => write!(f, "{n}px"),
            Length::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl Serialize for Length {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Length {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const EXPECTED: &str = "pixels (\"120px\", \"120\" or 120) or a percentage (\"10%\")";
        let raw = lenient::raw(d, EXPECTED)?;
        let parsed = match raw.as_str() {
            Some(s) => match (s.strip_suffix("px"), s.strip_suffix('%')) {
                (Some(px), _) => lenient::digits(px).then(|| px.parse().ok().map(Length::Pixels)).flatten(),
                (_, Some(pct)) => lenient::parse_decimal(pct).map(Length::Percent),
                _ => raw.as_u32().map(Length::Pixels),
            },
            None => raw.as_u32().map(Length::Pixels),
        };
        parsed.ok_or_else(|| raw.invalid(EXPECTED))
    }
}

/// How a watermark image is scaled into its `maxWidth` x `maxHeight` box.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum WatermarkSizing {
    /// Scale (up or down) until one side equals its maximum and the other
    /// does not exceed its maximum.
    Fit,
    /// Exactly the box, distorting if the shapes differ.
    Stretch,
    /// Like `Fit`, but never scale up. The default.
    #[default]
    ShrinkToFit,
}

/// Horizontal watermark alignment.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum HorizontalAlign {
    /// Left edge of the image at the left border (plus the offset). The
    /// default.
    #[default]
    Left,
    /// Right edge of the image at the right border (minus the offset).
    Right,
    /// Centred between the borders; the offset must be 0.
    Center,
}

/// Vertical watermark alignment.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum VerticalAlign {
    /// Top edge of the image at the top border (plus the offset). The
    /// default.
    #[default]
    Top,
    /// Bottom edge of the image at the bottom border (minus the offset).
    Bottom,
    /// Centred between the borders; the offset must be 0.
    Center,
}

/// The area a watermark's offsets and percentages refer to.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum WatermarkTarget {
    /// The scaled picture, without padding bars. The default.
    #[default]
    Content,
    /// The whole output frame, bars included.
    Frame,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn video(json: &str) -> Result<VideoPreset, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn et_strings_and_json_numbers_read_the_same() {
        let et = video(
            r#"{"codec":"H.264","codecOptions":{"profile":"baseline","level":"3.1","maxReferenceFrames":"3"},
                "keyframesMaxDist":"90","fixedGop":"false","bitRate":"2400","frameRate":"29.97",
                "maxWidth":"1280","maxHeight":"720","sizingPolicy":"ShrinkToFit","paddingPolicy":"NoPad",
                "displayAspectRatio":"auto"}"#,
        )
        .unwrap();
        let ours = video(
            r#"{"codecOptions":{"profile":"baseline","level":3.1,"maxReferenceFrames":3},
                "keyframesMaxDist":90,"fixedGop":false,"bitRate":2400,"frameRate":29.97,
                "maxWidth":1280,"maxHeight":720}"#,
        )
        .unwrap();
        assert_eq!(et, ours);
        assert_eq!(ours.frame_rate, PresetFrameRate::Fixed(Ratio { num: 30_000, den: 1001 }));
        assert_eq!(ours.codec_options.level, Level::from_idc(31));
        for bad in ["\"1b\"", "\"26.0\"", "\"255\"", "\"3.10\"", "true", "6.2"] {
            let e =
                serde_json::from_str::<VideoCodecOptions>(&format!(r#"{{"level":{bad}}}"#)).unwrap_err().to_string();
            assert!(e.contains("expected an H.264 level: one of 1.0, 1.1,"), "{bad}: {e}");
        }
        assert_eq!(ours.max_size(), (1280, 720));
    }

    #[test]
    fn defaults_are_documented_values() {
        let v = video(r#"{"bitRate":"auto"}"#).unwrap();
        assert_eq!(v.codec, VideoCodec::H264);
        assert_eq!(v.codec_options, VideoCodecOptions::default());
        assert_eq!(v.codec_options.profile, Profile::Main);
        assert_eq!((v.keyframes_max_dist, v.fixed_gop), (None, true));
        assert_eq!((v.frame_rate, v.max_frame_rate), (PresetFrameRate::Auto, None));
        assert_eq!((v.max_width, v.max_height), (Dimension::Auto, Dimension::Auto));
        assert_eq!(v.max_size(), (1920, 1080));
        assert_eq!((v.sizing_policy, v.padding_policy), (SizingPolicy::ShrinkToFit, PaddingPolicy::NoPad));
        assert_eq!(v.display_aspect_ratio, AspectRatio::Auto);
        let w: WatermarkPreset = serde_json::from_str(r#"{"id":"logo"}"#).unwrap();
        assert_eq!((w.max_width, w.max_height), (Length::Percent(100.0), Length::Percent(100.0)));
        assert_eq!((w.horizontal_offset, w.vertical_offset), (Length::Pixels(0), Length::Pixels(0)));
        assert_eq!((w.horizontal_align, w.vertical_align), (HorizontalAlign::Left, VerticalAlign::Top));
        assert_eq!(
            (w.sizing_policy, w.opacity, w.target),
            (WatermarkSizing::ShrinkToFit, 100.0, WatermarkTarget::Content)
        );
    }

    #[test]
    fn frame_rates_are_exact_fractions() {
        let rate = |json: &str| serde_json::from_str::<PresetFrameRate>(json).map_err(|e| e.to_string());
        assert_eq!(rate("\"23.97\"").unwrap(), PresetFrameRate::Fixed(Ratio { num: 24_000, den: 1001 }));
        assert_eq!(rate("23.976").unwrap(), PresetFrameRate::Fixed(Ratio { num: 24_000, den: 1001 }));
        assert_eq!(rate("59.94").unwrap(), PresetFrameRate::Fixed(Ratio { num: 60_000, den: 1001 }));
        assert_eq!(rate("\"30000/1001\"").unwrap(), PresetFrameRate::Fixed(Ratio { num: 30_000, den: 1001 }));
        assert_eq!(rate("12.5").unwrap(), PresetFrameRate::Fixed(Ratio { num: 25, den: 2 }));
        assert_eq!(rate("\"60/2\"").unwrap(), PresetFrameRate::Fixed(Ratio::integer(30)));
        for bad in ["\"30/0\"", "\"fast\"", "-1", "true", "\"1.1234567\"", "\"99999999999\""] {
            assert!(rate(bad).unwrap_err().contains("expected \"auto\" or a frame rate"), "{bad}");
        }
        for (r, json) in [
            (Ratio::integer(25), "25"),
            (Ratio { num: 30_000, den: 1001 }, "29.97"),
            (Ratio::new(25, 2), "12.5"),
            (Ratio::new(10, 3), "\"10/3\""),
        ] {
            assert_eq!(serde_json::to_string(&PresetFrameRate::Fixed(r)).unwrap(), json);
            assert_eq!(rate(json).unwrap(), PresetFrameRate::Fixed(r));
        }
        assert_eq!(Ratio { num: 24_000, den: 1001 }.to_string(), "23.976");
    }

    #[test]
    fn watermark_lengths_follow_the_schema_and_accept_bare_pixels() {
        let len = |json: &str| serde_json::from_str::<Length>(json).map_err(|e| e.to_string());
        assert_eq!(len("\"120px\"").unwrap(), Length::Pixels(120));
        assert_eq!(len("\"120\"").unwrap(), Length::Pixels(120));
        assert_eq!(len("120").unwrap(), Length::Pixels(120));
        assert_eq!(len("\"12.5%\"").unwrap(), Length::Percent(12.5));
        for bad in ["\"px\"", "\"-5px\"", "\"%\"", "\"inf%\"", "\"10 %\"", "12.5", "\"5em\"", "null"] {
            assert!(len(bad).unwrap_err().contains("expected pixels"), "{bad}");
        }
        assert_eq!(serde_json::to_string(&Length::Pixels(16)).unwrap(), "\"16px\"");
        assert_eq!(serde_json::to_string(&Length::Percent(10.0)).unwrap(), "\"10%\"");
    }

    #[test]
    fn audio_channels_and_codecs() {
        let a: AudioPreset =
            serde_json::from_str(r#"{"codec":"AAC","sampleRate":"44100","bitRate":"160","channels":"2","codecOptions":{"profile":"AAC-LC"}}"#)
                .unwrap();
        assert_eq!(
            (a.codec, a.sample_rate, a.bit_rate, a.channels),
            (AudioCodec::Aac, PresetSampleRate::Hz(44_100), Some(160), Channels::Stereo)
        );
        assert_eq!(a.codec_options.profile, Some(PresetAacProfile::AacLc));
        let e = serde_json::from_str::<AudioPreset>(r#"{"codec":"AAC","channels":0}"#).unwrap_err().to_string();
        assert!(e.contains("leave `audio` out for no sound"), "{e}");
        let e = serde_json::from_str::<AudioPreset>(r#"{"codec":"vorbis"}"#).unwrap_err().to_string();
        assert!(e.contains("unknown variant `vorbis`"), "{e}");
    }
}
