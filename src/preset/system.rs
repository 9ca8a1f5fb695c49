//! Built-in presets with stable ids.
//!
//! Where Elastic Transcoder had the preset, the id is Elastic Transcoder's
//! and the values follow its published system preset, as far as they are
//! known: codec options, bit rates, frame rates, sizes and policies, audio
//! (AAC-LC, 44.1 kHz, stereo), thumbnails and the four corner watermark
//! slots (10 % of the content, 10 % in from the corner; the webcam presets
//! have the same four). Two differences
//! are deliberate: the HLS presets write fMP4 segments (Elastic Transcoder
//! wrote MPEG-TS), and their thumbnail settings (PNG every 300 s, at most
//! 192x108) are those of Elastic Transcoder's "HLS Video" variants.
//!
//! | id | name | container | video | audio |
//! | --- | --- | --- | --- | --- |
//! | `1351620000001-000001` | Generic 1080p | mp4 | baseline 4.0, 5400 kbit/s, 29.97 fps, 1920x1080 | AAC 160 |
//! | `1351620000001-000010` | Generic 720p | mp4 | baseline 3.1, 2400 kbit/s, 29.97 fps, 1280x720 | AAC 160 |
//! | `1351620000001-000020` | Generic 480p 16:9 | mp4 | baseline 3.1, 1200 kbit/s, 29.97 fps, 854x480 | AAC 128 |
//! | `1351620000001-000040` | Generic 360p 16:9 | mp4 | baseline 3.0, 720 kbit/s, 29.97 fps, 640x360 | AAC 128 |
//! | `1351620000001-200010` | HLS 2M | hls | main 3.1, 1872 kbit/s, auto fps, 1024x768 | AAC 128 |
//! | `1351620000001-200020` | HLS 1.5M | hls | main 3.1, 1372 kbit/s, auto fps, 960x640 | AAC 128 |
//! | `1351620000001-200030` | HLS 1M | hls | main 3.1, 872 kbit/s, auto fps, 640x432 | AAC 128 |
//! | `1351620000001-200040` | HLS 600k | hls | baseline 3.0, 472 kbit/s, auto fps, 480x320 | AAC 128 |
//! | `1351620000001-200050` | HLS 400k | hls | baseline 3.0, 272 kbit/s, auto fps, 400x288 | AAC 128 |
//! | `framecast-webcam-720p-ll` | Webcam 720p low-latency | fmp4 | main 3.1, 2000 kbit/s (also the peak), 30 fps, 1280x720 | Opus 64 |
//! | `framecast-webcam-360p-ll` | Webcam 360p low-latency | fmp4 | main 3.0, 800 kbit/s (also the peak), 30 fps, 640x360 | Opus 48 |
//!
//! All use `ShrinkToFit` and `NoPad`. The Elastic Transcoder presets keep
//! its 90-frame keyframe distance (fixed for HLS, variable for MP4) and 3
//! reference frames (1 for HLS 400k). The webcam presets take size,
//! frame rate and bit rate from the publisher's `webcam-720p` and
//! `webcam-360p` ([`super::WEBCAM_PRESETS`]) and add a keyframe
//! every second (30 frames, fixed), one reference frame and a one-second
//! rate buffer, so a fragment can be cut and played each second.

use super::model::*;
use super::webcam::webcam_preset;
use crate::codec::h264::{Level, Profile};

/// Every built-in preset, in the order of the table above. Each one
/// passes [`Preset::validate`].
pub fn system_presets() -> Vec<Preset> {
    rows().iter().map(Row::preset).collect()
}

/// The built-in preset with this id.
pub fn system_preset(id: &str) -> Option<Preset> {
    rows().iter().find(|r| r.id == id).map(Row::preset)
}

fn rows() -> Vec<Row> {
    let webcam = WEBCAM.iter().filter_map(|&(id, name, publish_id, opus_kbps)| webcam(id, name, publish_id, opus_kbps));
    ET.iter().copied().chain(webcam).collect()
}

/// One row of the table.
#[derive(Clone, Copy)]
struct Row {
    id: &'static str,
    name: &'static str,
    container: Container,
    profile: Profile,
    level_idc: u8,
    reference_frames: u32,
    kbps: u32,
    /// (peak kbit/s, buffer kbit) when capped.
    peak: Option<(u32, u32)>,
    fps: Option<u32>,
    ntsc: bool,
    keyframe_distance: u32,
    fixed_gop: bool,
    max: (u32, u32),
    audio: (AudioCodec, u32, u32, Channels),
    thumbnails: Option<(u32, u32, u32)>,
}

const AAC_160: (AudioCodec, u32, u32, Channels) = (AudioCodec::Aac, 44_100, 160, Channels::Stereo);
const AAC_128: (AudioCodec, u32, u32, Channels) = (AudioCodec::Aac, 44_100, 128, Channels::Stereo);

/// Generic MP4 presets: 29.97 fps, keyframes at most 90 frames apart.
const fn generic(
    id: &'static str,
    name: &'static str,
    level_idc: u8,
    kbps: u32,
    max: (u32, u32),
    audio: (AudioCodec, u32, u32, Channels),
    thumb_h: u32,
) -> Row {
    Row {
        id,
        name,
        container: Container::Mp4,
        profile: Profile::Baseline,
        level_idc,
        reference_frames: 3,
        kbps,
        peak: None,
        fps: Some(30),
        ntsc: true,
        keyframe_distance: 90,
        fixed_gop: false,
        max,
        audio,
        thumbnails: Some((60, 192, thumb_h)),
    }
}

/// HLS presets: the input's frame rate, a keyframe every 90 frames.
const fn hls(
    id: &'static str,
    name: &'static str,
    profile: Profile,
    level_idc: u8,
    reference_frames: u32,
    kbps: u32,
    max: (u32, u32),
) -> Row {
    Row {
        id,
        name,
        container: Container::Hls,
        profile,
        level_idc,
        reference_frames,
        kbps,
        peak: None,
        fps: None,
        ntsc: false,
        keyframe_distance: 90,
        fixed_gop: true,
        max,
        audio: AAC_128,
        thumbnails: Some((300, 192, 108)),
    }
}

/// A webcam preset: the size, frame rate and bit rate of the publisher's
/// webcam preset `publish_id` ([`super::WEBCAM_PRESETS`]), Main
/// profile as there, the lowest level that fits, fMP4, a keyframe every
/// second, the bit rate as a ceiling over a one-second buffer, Opus.
fn webcam(id: &'static str, name: &'static str, publish_id: &str, opus_kbps: u32) -> Option<Row> {
    let w = webcam_preset(publish_id)?;
    let level = Level::for_stream(w.width, w.height, w.frame_rate as f32, w.bitrate, Profile::Main)?;
    let kbps = w.bitrate / 1000;
    Some(Row {
        id,
        name,
        container: Container::Fmp4,
        profile: Profile::Main,
        level_idc: level.idc(),
        reference_frames: 1,
        kbps,
        peak: Some((kbps, kbps)),
        fps: Some(w.frame_rate),
        ntsc: false,
        keyframe_distance: w.frame_rate,
        fixed_gop: true,
        max: (w.width, w.height),
        audio: (AudioCodec::Opus, 48_000, opus_kbps, Channels::Auto),
        thumbnails: None,
    })
}

const ET: &[Row] = &[
    generic("1351620000001-000001", "Generic 1080p", 40, 5400, (1920, 1080), AAC_160, 144),
    generic("1351620000001-000010", "Generic 720p", 31, 2400, (1280, 720), AAC_160, 108),
    generic("1351620000001-000020", "Generic 480p 16:9", 31, 1200, (854, 480), AAC_128, 108),
    generic("1351620000001-000040", "Generic 360p 16:9", 30, 720, (640, 360), AAC_128, 108),
    hls("1351620000001-200010", "HLS 2M", Profile::Main, 31, 3, 1872, (1024, 768)),
    hls("1351620000001-200020", "HLS 1.5M", Profile::Main, 31, 3, 1372, (960, 640)),
    hls("1351620000001-200030", "HLS 1M", Profile::Main, 31, 3, 872, (640, 432)),
    hls("1351620000001-200040", "HLS 600k", Profile::Baseline, 30, 3, 472, (480, 320)),
    hls("1351620000001-200050", "HLS 400k", Profile::Baseline, 30, 1, 272, (400, 288)),
];

/// (id, name, publisher preset, Opus kbit/s).
const WEBCAM: [(&str, &str, &str, u32); 2] = [
    ("framecast-webcam-720p-ll", "Webcam 720p low-latency", "webcam-720p", 64),
    ("framecast-webcam-360p-ll", "Webcam 360p low-latency", "webcam-360p", 48),
];

impl Row {
    fn preset(&self) -> Preset {
        let frame_rate = match (self.fps, self.ntsc) {
            (None, _) => PresetFrameRate::Auto,
            (Some(fps), false) => PresetFrameRate::Fixed(Ratio::integer(fps)),
            (Some(fps), true) => PresetFrameRate::Fixed(Ratio { num: fps * 1000, den: 1001 }),
        };
        let video = VideoPreset {
            codec: VideoCodec::H264,
            codec_options: VideoCodecOptions {
                profile: self.profile,
                level: Level::from_idc(self.level_idc),
                max_reference_frames: Some(self.reference_frames),
                max_bit_rate: self.peak.map(|p| p.0),
                buffer_size: self.peak.map(|p| p.1),
            },
            keyframes_max_dist: Some(self.keyframe_distance),
            fixed_gop: self.fixed_gop,
            bit_rate: VideoBitRate::Kbps(self.kbps),
            frame_rate,
            max_frame_rate: None,
            max_width: Dimension::Pixels(self.max.0),
            max_height: Dimension::Pixels(self.max.1),
            sizing_policy: SizingPolicy::ShrinkToFit,
            padding_policy: PaddingPolicy::NoPad,
            display_aspect_ratio: AspectRatio::Auto,
        };
        let (codec, hz, kbps, channels) = self.audio;
        let aac = codec == AudioCodec::Aac;
        let audio = AudioPreset {
            codec,
            sample_rate: PresetSampleRate::Hz(hz),
            bit_rate: Some(kbps),
            channels,
            codec_options: AudioCodecOptions { profile: aac.then_some(PresetAacProfile::AacLc), bit_depth: None },
        };
        let thumbnails = self.thumbnails.map(|(interval, w, h)| ThumbnailPreset {
            format: ImageFormat::Png,
            interval,
            max_width: Dimension::Pixels(w),
            max_height: Dimension::Pixels(h),
            sizing_policy: SizingPolicy::ShrinkToFit,
            padding_policy: PaddingPolicy::NoPad,
        });
        let watermarks = corner_watermarks();
        let origin =
            if self.id.starts_with("framecast-") { "framecast preset" } else { "Elastic Transcoder system preset" };
        Preset {
            id: Some(self.id.to_owned()),
            name: self.name.to_owned(),
            description: format!("{origin}: {}", self.name),
            container: self.container,
            video: Some(video),
            audio: Some(audio),
            thumbnails,
            watermarks,
        }
    }
}

/// Elastic Transcoder's four slots: 10 % of the content at most, 10 % in
/// from each corner, opaque.
fn corner_watermarks() -> Vec<WatermarkPreset> {
    let corners = [
        ("TopLeft", HorizontalAlign::Left, VerticalAlign::Top),
        ("TopRight", HorizontalAlign::Right, VerticalAlign::Top),
        ("BottomLeft", HorizontalAlign::Left, VerticalAlign::Bottom),
        ("BottomRight", HorizontalAlign::Right, VerticalAlign::Bottom),
    ];
    corners
        .into_iter()
        .map(|(id, horizontal_align, vertical_align)| WatermarkPreset {
            id: id.to_owned(),
            max_width: Length::Percent(10.0),
            max_height: Length::Percent(10.0),
            sizing_policy: WatermarkSizing::ShrinkToFit,
            horizontal_align,
            horizontal_offset: Length::Percent(10.0),
            vertical_align,
            vertical_offset: Length::Percent(10.0),
            opacity: 100.0,
            target: WatermarkTarget::Content,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_system_preset_is_valid_and_round_trips_through_json() {
        let presets = system_presets();
        assert_eq!(presets.len(), 11);
        for p in &presets {
            p.validate().unwrap_or_else(|e| panic!("{:?}: {e}", p.id));
            let back = Preset::from_json(&p.to_json()).unwrap_or_else(|e| panic!("{:?}: {e}", p.id));
            assert_eq!(&back, p);
            let derived: Preset = serde_json::from_str(&p.to_json()).unwrap();
            assert_eq!(&derived, p, "serde derive and from_json read the same");
        }
    }

    #[test]
    fn ids_are_unique_and_found() {
        let presets = system_presets();
        for (i, p) in presets.iter().enumerate() {
            let id = p.id.as_deref().unwrap();
            assert!(presets[..i].iter().all(|q| q.id.as_deref() != Some(id)), "{id} twice");
            assert_eq!(system_preset(id).as_ref(), Some(p));
        }
        assert_eq!(system_preset("1351620000001-000030"), None, "Generic 480p 4:3 is not built in");
    }

    #[test]
    fn values_follow_elastic_transcoder() {
        let p = system_preset("1351620000001-000010").unwrap();
        assert_eq!((p.name.as_str(), p.container), ("Generic 720p", Container::Mp4));
        let v = p.video.unwrap();
        assert_eq!(
            (v.codec_options.profile, v.codec_options.level.unwrap().to_string()),
            (Profile::Baseline, "3.1".to_owned())
        );
        assert_eq!(
            (v.codec_options.max_reference_frames, v.keyframes_max_dist, v.fixed_gop),
            (Some(3), Some(90), false)
        );
        assert_eq!((v.bit_rate, v.frame_rate.to_string()), (VideoBitRate::Kbps(2400), "29.97".to_owned()));
        assert_eq!(v.max_size(), (1280, 720));
        let a = p.audio.unwrap();
        assert_eq!(
            (a.codec, a.sample_rate, a.bit_rate, a.channels),
            (AudioCodec::Aac, PresetSampleRate::Hz(44_100), Some(160), Channels::Stereo)
        );
        let t = p.thumbnails.unwrap();
        assert_eq!((t.format, t.interval, t.max_size()), (ImageFormat::Png, 60, (192, 108)));
        let ids: Vec<&str> = p.watermarks.iter().map(|w| w.id.as_str()).collect();
        assert_eq!(ids, ["TopLeft", "TopRight", "BottomLeft", "BottomRight"]);

        // HLS: the video bit rate plus 128 kbit/s of audio is the name's total.
        for (id, total) in [("200010", 2000), ("200020", 1500), ("200030", 1000), ("200040", 600), ("200050", 400)] {
            let p = system_preset(&format!("1351620000001-{id}")).unwrap();
            let VideoBitRate::Kbps(video) = p.video.as_ref().unwrap().bit_rate else { panic!() };
            assert_eq!(video + p.audio.as_ref().unwrap().bit_rate.unwrap(), total, "{id}");
            assert!(p.video.unwrap().fixed_gop);
        }
    }

    #[test]
    fn webcam_presets_key_every_second() {
        for (id, publish_id) in
            [("framecast-webcam-720p-ll", "webcam-720p"), ("framecast-webcam-360p-ll", "webcam-360p")]
        {
            let p = system_preset(id).unwrap();
            let w = webcam_preset(publish_id).unwrap();
            assert_eq!(p.container, Container::Fmp4);
            let v = p.video.unwrap();
            assert_eq!(
                (v.frame_rate, v.keyframes_max_dist, v.fixed_gop),
                (PresetFrameRate::Fixed(Ratio::integer(30)), Some(30), true)
            );
            assert_eq!(v.codec_options.effective_buffer_size(), v.codec_options.max_bit_rate);
            assert_eq!(
                (v.max_size(), v.bit_rate, v.codec_options.profile),
                ((w.width, w.height), VideoBitRate::Kbps(w.bitrate / 1000), Profile::Main)
            );
        }
        let levels: Vec<String> = ["framecast-webcam-720p-ll", "framecast-webcam-360p-ll"]
            .map(|id| system_preset(id).unwrap().video.unwrap().codec_options.level.unwrap().to_string())
            .into();
        assert_eq!(levels, ["3.1", "3.0"]);
    }
}
