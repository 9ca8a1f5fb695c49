//! Named webcam publishing presets: picture size, frame rate, bitrate.
//! The publisher also takes any other preset; these ids are short names
//! for "exactly this size" (see [`WebcamPreset::preset`]). The system
//! presets' low-latency webcam rows ([`super::system`]) take their size,
//! rate and bit rate from here.

use super::model::{
    AspectRatio, Container, Dimension, PaddingPolicy, Preset, PresetFrameRate, Ratio, SizingPolicy, VideoBitRate,
    VideoCodec, VideoCodecOptions, VideoPreset,
};
use crate::codec::h264::{EncoderConfig, Profile};

/// A named set of capture and encoder settings for live publishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebcamPreset {
    /// Stable id, e.g. `"webcam-720p"`.
    pub id: &'static str,
    /// For people.
    pub name: &'static str,
    /// Picture width in pixels.
    pub width: u32,
    /// Picture height in pixels.
    pub height: u32,
    /// Frames per second.
    pub frame_rate: u32,
    /// Bits per second.
    pub bitrate: u32,
}

impl WebcamPreset {
    /// Encoder settings: Main profile (plays in every browser), the
    /// preset's size, rate and bitrate.
    pub fn encoder_config(&self) -> EncoderConfig {
        let mut c = EncoderConfig::new(self.width, self.height);
        c.frame_rate = self.frame_rate as f32;
        c.bitrate = self.bitrate;
        c.profile = Profile::Main;
        c
    }

    /// The same settings as a full preset: video only, `Fill` (the output
    /// is exactly the preset's size; a camera of another aspect ratio is
    /// scaled to cover it and centre-cropped, never stretched), no
    /// watermark slots.
    pub fn preset(&self) -> Preset {
        let video = VideoPreset {
            codec: VideoCodec::H264,
            codec_options: VideoCodecOptions { profile: Profile::Main, ..VideoCodecOptions::default() },
            keyframes_max_dist: None,
            fixed_gop: true,
            bit_rate: VideoBitRate::Kbps(self.bitrate / 1000),
            frame_rate: PresetFrameRate::Fixed(Ratio::integer(self.frame_rate)),
            max_frame_rate: None,
            max_width: Dimension::Pixels(self.width),
            max_height: Dimension::Pixels(self.height),
            sizing_policy: SizingPolicy::Fill,
            padding_policy: PaddingPolicy::NoPad,
            display_aspect_ratio: AspectRatio::Auto,
        };
        Preset {
            id: Some(self.id.to_owned()),
            name: self.name.to_owned(),
            description: format!("framecast webcam preset: {}", self.name),
            container: Container::Fmp4,
            video: Some(video),
            audio: None,
            thumbnails: None,
            watermarks: Vec::new(),
        }
    }
}

/// The built-in webcam presets.
pub const WEBCAM_PRESETS: &[WebcamPreset] = &[
    WebcamPreset {
        id: "webcam-360p",
        name: "Webcam 360p 16:9",
        width: 640,
        height: 360,
        frame_rate: 30,
        bitrate: 800_000,
    },
    WebcamPreset {
        id: "webcam-480p",
        name: "Webcam 480p 4:3",
        width: 640,
        height: 480,
        frame_rate: 30,
        bitrate: 1_000_000,
    },
    WebcamPreset {
        id: "webcam-720p",
        name: "Webcam 720p 16:9",
        width: 1280,
        height: 720,
        frame_rate: 30,
        bitrate: 2_000_000,
    },
];

/// The preset with this id.
pub fn webcam_preset(id: &str) -> Option<&'static WebcamPreset> {
    WEBCAM_PRESETS.iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::h264::H264Encoder;

    #[test]
    fn every_preset_makes_a_valid_encoder() {
        for p in WEBCAM_PRESETS {
            H264Encoder::new(p.encoder_config()).unwrap_or_else(|e| panic!("{}: {e}", p.id));
            assert_eq!(webcam_preset(p.id), Some(p));
        }
        assert_eq!(webcam_preset("nope"), None);
    }
}
