//! Encoder configuration: plain data with documented defaults, validated by
//! [`EncoderConfig::validate`] with errors that name the field.
//!
//! Field names are camelCase in JSON and JS (`frameRate`, `maxBitrate`, ...).
//! In wasm builds these types also derive their TypeScript declarations
//! (`tsify`): `EncoderConfig` is the JS `Encoder`'s config type.

use serde::{Deserialize, Serialize};

use super::H264Error;

/// H.264 profile. OpenH264 writes Baseline with CAVLC, Main and High with
/// CABAC (it does not use High's 8x8 transform).
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Constrained Baseline (profile_idc 66): plays on every decoder.
    Baseline,
    /// Main (profile_idc 77), CABAC entropy coding. The default.
    #[default]
    Main,
    /// High (profile_idc 100), CABAC entropy coding.
    High,
}

impl Profile {
    /// `profile_idc` as written in the SPS.
    pub fn idc(self) -> u8 {
        match self {
            Profile::Baseline => 66,
            Profile::Main => 77,
            Profile::High => 100,
        }
    }
}

/// How the encoder spends bits.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RateControl {
    /// Hold the average at `bitrate` (bits per second). The default.
    #[default]
    Bitrate,
    /// Favour constant quality; `bitrate` is a guide.
    Quality,
    /// No rate control: every frame uses the fixed `qp`.
    Off,
}

/// Content type, which tunes OpenH264's analysis.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Usage {
    /// Camera video (the default).
    #[default]
    Camera,
    /// Screen content: text, scrolling, sharp edges.
    Screen,
}

/// How NAL units are framed in [`super::AccessUnit::data`]; the names follow
/// WebCodecs' `avc.format`.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum NalFormat {
    /// Start codes (`00 00 00 01`), SPS/PPS in-band before each IDR: a raw
    /// `.h264` stream. The default.
    #[default]
    AnnexB,
    /// 4-byte big-endian length prefixes, SPS/PPS only in the `avcC`
    /// record: MP4/CMAF samples.
    Avc,
}

/// H.264 level, as `level_idc` (e.g. 31 for level 3.1).
// TypeScript: the string form ("3.1"), the only one `try_from` reads.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(type = "string"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Level(u8);

/// Level limits from H.264 Table A-1: (level_idc, max macroblocks per
/// second, max frame size in macroblocks, max bitrate in kbit/s for
/// Baseline/Main).
const LEVELS: &[(u8, u32, u32, u32)] = &[
    (10, 1_485, 99, 64),
    (11, 3_000, 396, 192),
    (12, 6_000, 396, 384),
    (13, 11_880, 396, 768),
    (20, 11_880, 396, 2_000),
    (21, 19_800, 792, 4_000),
    (22, 20_250, 1_620, 4_000),
    (30, 40_500, 1_620, 10_000),
    (31, 108_000, 3_600, 14_000),
    (32, 216_000, 5_120, 20_000),
    (40, 245_760, 8_192, 20_000),
    (41, 245_760, 8_192, 50_000),
    (42, 522_240, 8_704, 50_000),
    (50, 589_824, 22_080, 135_000),
    (51, 983_040, 36_864, 240_000),
    (52, 2_073_600, 36_864, 240_000),
];

impl Level {
    /// The level with this `level_idc`, if H.264 defines it.
    pub fn from_idc(idc: u8) -> Option<Level> {
        LEVELS.iter().any(|l| l.0 == idc).then_some(Level(idc))
    }

    /// `level_idc` as written in the SPS.
    pub fn idc(self) -> u8 {
        self.0
    }

    /// The lowest level whose limits admit this stream (Table A-1: frame
    /// size, macroblock rate and bitrate; High allows 1.25x the bitrate).
    pub fn for_stream(width: u32, height: u32, fps: f32, bitrate: u32, profile: Profile) -> Option<Level> {
        let mbs = width.div_ceil(16) as u64 * height.div_ceil(16) as u64;
        let mbps = (mbs as f64 * fps as f64).ceil() as u64;
        let factor = if profile == Profile::High { 1.25 } else { 1.0 };
        LEVELS
            .iter()
            .find(|&&(_, max_mbps, max_fs, max_kbps)| {
                mbs <= max_fs as u64 && mbps <= max_mbps as u64 && bitrate as f64 <= max_kbps as f64 * 1000.0 * factor
            })
            .map(|l| Level(l.0))
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

impl TryFrom<String> for Level {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let idc = match s.split_once('.') {
            Some((a, b)) => a.parse::<u8>().ok().zip(b.parse::<u8>().ok()).and_then(|(a, b)| {
                if b < 10 {
                    a.checked_mul(10)?.checked_add(b)
                } else {
                    None
                }
            }),
            None => s.parse::<u8>().ok().map(|a| if a < 10 { a * 10 } else { a }),
        };
        idc.and_then(Level::from_idc)
            .ok_or_else(|| format!("unknown H.264 level {s:?}, expected one of {}", level_list()))
    }
}

impl From<Level> for String {
    fn from(l: Level) -> String {
        l.to_string()
    }
}

fn level_list() -> String {
    LEVELS.iter().map(|l| Level(l.0).to_string()).collect::<Vec<_>>().join(", ")
}

/// Everything the H.264 encoder needs. Build with [`EncoderConfig::new`] and
/// adjust fields; [`super::H264Encoder::new`] validates it.
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EncoderConfig {
    /// Picture width in pixels: even, 16 to 4096.
    pub width: u32,
    /// Picture height in pixels: even, 16 to 4096.
    pub height: u32,
    /// Frames per second, 1 to 240. Default 30.
    #[serde(default = "default_frame_rate")]
    pub frame_rate: f32,
    /// Target bitrate in bits per second, 10_000 to 200_000_000.
    /// Default 2_000_000.
    #[serde(default = "default_bitrate")]
    pub bitrate: u32,
    /// Ceiling in bits per second (at least `bitrate`); `None` (default)
    /// lets OpenH264 pick.
    #[serde(default)]
    pub max_bitrate: Option<u32>,
    /// Rate-control mode. Default [`RateControl::Bitrate`].
    #[serde(default)]
    pub rate_control: RateControl,
    /// Quantiser for [`RateControl::Off`], 0 to 51. Default 26.
    #[serde(default)]
    pub qp: Option<u8>,
    /// Frames between IDR keyframes, 1 to 10_000; `None` (default) means
    /// two seconds' worth (`round(2 * frameRate)`).
    #[serde(default)]
    pub keyframe_interval: Option<u32>,
    /// Profile. Default [`Profile::Main`].
    #[serde(default)]
    pub profile: Profile,
    /// Level; `None` (default) picks the lowest level that fits the size,
    /// frame rate and bitrate.
    #[serde(default)]
    pub level: Option<Level>,
    /// Content type. Default [`Usage::Camera`].
    #[serde(default)]
    pub usage: Usage,
    /// NAL framing of the output. Default [`NalFormat::AnnexB`].
    #[serde(default)]
    pub format: NalFormat,
    /// Encoder threads. Default 1; the wasm build allows only 1.
    #[serde(default = "default_threads")]
    pub threads: u16,
    /// Insert extra IDRs at scene cuts. Default `false`, so keyframes fall
    /// exactly every `keyframeInterval` frames (fragment boundaries stay
    /// predictable).
    #[serde(default)]
    pub scene_change_keyframes: bool,
    /// Let rate control drop frames to hold the bitrate. Default `false`:
    /// every input frame produces an access unit.
    #[serde(default)]
    pub frame_skip: bool,
}

fn default_frame_rate() -> f32 {
    30.0
}
fn default_bitrate() -> u32 {
    2_000_000
}
fn default_threads() -> u16 {
    1
}

impl EncoderConfig {
    /// Defaults for a `width` x `height` stream: 30 fps, 2 Mbit/s, Main
    /// profile, bitrate rate control, an IDR every 2 s, Annex-B output.
    pub fn new(width: u32, height: u32) -> Self {
        EncoderConfig {
            width,
            height,
            frame_rate: default_frame_rate(),
            bitrate: default_bitrate(),
            max_bitrate: None,
            rate_control: RateControl::default(),
            qp: None,
            keyframe_interval: None,
            profile: Profile::default(),
            level: None,
            usage: Usage::default(),
            format: NalFormat::default(),
            threads: default_threads(),
            scene_change_keyframes: false,
            frame_skip: false,
        }
    }

    /// The keyframe interval in frames, with the default applied.
    pub fn keyframe_interval_frames(&self) -> u32 {
        self.keyframe_interval.unwrap_or_else(|| (2.0 * self.frame_rate).round().max(1.0) as u32)
    }

    /// The level to signal, with the default applied.
    pub fn effective_level(&self) -> Result<Level, H264Error> {
        match self.level {
            Some(l) => Ok(l),
            None => Level::for_stream(self.width, self.height, self.frame_rate, self.peak_bitrate(), self.profile)
                .ok_or_else(|| invalid("level", "a level that fits the size, frame rate and bitrate", "none fits")),
        }
    }

    fn peak_bitrate(&self) -> u32 {
        self.max_bitrate.unwrap_or(self.bitrate)
    }

    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), H264Error> {
        for (field, v) in [("width", self.width), ("height", self.height)] {
            if !(16..=4096).contains(&v) || v % 2 != 0 {
                return Err(invalid(field, "an even number from 16 to 4096", v));
            }
        }
        if !(self.frame_rate.is_finite() && (1.0..=240.0).contains(&self.frame_rate)) {
            return Err(invalid("frameRate", "a number from 1 to 240", self.frame_rate));
        }
        if !(10_000..=200_000_000).contains(&self.bitrate) {
            return Err(invalid("bitrate", "a number of bits per second from 10000 to 200000000", self.bitrate));
        }
        if let Some(max) = self.max_bitrate {
            if max < self.bitrate || max > 200_000_000 {
                return Err(invalid("maxBitrate", format!("from bitrate ({}) to 200000000", self.bitrate), max));
            }
        }
        if let Some(qp) = self.qp {
            if qp > 51 {
                return Err(invalid("qp", "a quantiser from 0 to 51", qp));
            }
        }
        if let Some(k) = self.keyframe_interval {
            if !(1..=10_000).contains(&k) {
                return Err(invalid("keyframeInterval", "a number of frames from 1 to 10000", k));
            }
        }
        let max_threads = if cfg!(target_arch = "wasm32") { 1 } else { 16 };
        if !(1..=max_threads).contains(&self.threads) {
            return Err(invalid("threads", format!("from 1 to {max_threads} on this platform"), self.threads));
        }
        let level = self.effective_level()?;
        if let Some(fit) = Level::for_stream(self.width, self.height, self.frame_rate, 0, self.profile) {
            if level < fit {
                return Err(invalid(
                    "level",
                    format!("at least {fit} for {}x{} at {} fps", self.width, self.height, self.frame_rate),
                    level,
                ));
            }
        }
        Ok(())
    }
}

pub(crate) fn invalid(field: &'static str, expected: impl ToString, got: impl std::fmt::Display) -> H264Error {
    H264Error::InvalidConfig { field, expected: expected.to_string(), got: got.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        let c = EncoderConfig::new(1280, 720);
        c.validate().unwrap();
        assert_eq!(c.keyframe_interval_frames(), 60);
        assert_eq!(c.effective_level().unwrap(), Level::from_idc(31).unwrap());
    }

    #[test]
    fn level_choice_follows_table_a1() {
        let l = |w, h, fps, br| Level::for_stream(w, h, fps, br, Profile::Main).unwrap().to_string();
        assert_eq!(l(640, 480, 30.0, 1_000_000), "3.0");
        assert_eq!(l(1280, 720, 30.0, 2_000_000), "3.1");
        assert_eq!(l(1280, 720, 60.0, 4_000_000), "3.2");
        assert_eq!(l(1920, 1080, 30.0, 5_000_000), "4.0");
        assert_eq!(l(1920, 1080, 60.0, 8_000_000), "4.2");
    }

    #[test]
    fn level_strings_parse_without_overflow() {
        assert_eq!(Level::try_from("3.1".to_string()).unwrap().to_string(), "3.1");
        assert_eq!(Level::try_from("4".to_string()).unwrap().to_string(), "4.0");
        // 26 * 10 does not fit the u8 level_idc: an error, not an overflow.
        for bad in ["26.0", "255.9", "3.10", "x.1", "", "99"] {
            assert!(Level::try_from(bad.to_string()).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_name_field_range_and_value() {
        let mut c = EncoderConfig::new(1281, 720);
        assert_eq!(c.validate().unwrap_err().to_string(), "width must be an even number from 16 to 4096, got 1281");
        c.width = 1280;
        c.frame_rate = f32::NAN;
        assert_eq!(c.validate().unwrap_err().to_string(), "frameRate must be a number from 1 to 240, got NaN");
        c.frame_rate = 30.0;
        c.max_bitrate = Some(1000);
        assert!(c.validate().unwrap_err().to_string().starts_with("maxBitrate must be from bitrate (2000000)"));
        c.max_bitrate = None;
        c.level = Level::from_idc(20);
        assert_eq!(c.validate().unwrap_err().to_string(), "level must be at least 3.1 for 1280x720 at 30 fps, got 2.0");
    }

    #[test]
    fn json_uses_camel_case_and_rejects_unknown_fields() {
        let c: EncoderConfig =
            serde_json::from_str(r#"{"width":640,"height":480,"frameRate":25,"level":"3.0","format":"avc"}"#).unwrap();
        assert_eq!(c.frame_rate, 25.0);
        assert_eq!(c.format, NalFormat::Avc);
        assert_eq!(c.level, Level::from_idc(30));
        let e = serde_json::from_str::<EncoderConfig>(r#"{"width":640,"height":480,"bitRate":1}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `bitRate`"), "{e}");
        let e = serde_json::from_str::<EncoderConfig>(r#"{"width":640,"height":480,"level":"9.9"}"#).unwrap_err();
        assert!(e.to_string().contains("unknown H.264 level"), "{e}");
    }
}
