//! A validated job made concrete for the engine: each output with its
//! preset, times as integer milliseconds, the rotation to apply, the
//! segment containers to write, and the AES-128 key material.

use std::collections::BTreeMap;

use super::crypto::{base64_decode, md5};
use super::error::JobErrors;
use super::model::*;
use super::validate::{check, effective_segment_duration};
use crate::preset::{Container, Preset};

/// How a segmented output's segments are packaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SegmentContainer {
    /// MPEG-TS (HLSv3 playlists, and `ts` presets outside playlists).
    Ts,
    /// Fragmented MP4 (HLSv4, MPEG-DASH, CMAF, and the other segmented
    /// presets outside playlists).
    Fmp4,
}

/// A job ready to run ([`Job::resolve`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ResolvedJob {
    /// The input.
    pub input: ResolvedInput,
    /// The outputs, in the job's order.
    pub outputs: Vec<ResolvedOutput>,
    /// The playlists, in the job's order.
    pub playlists: Vec<ResolvedPlaylist>,
    /// Prepended to every file name.
    pub output_key_prefix: String,
    /// The job's user metadata.
    pub user_metadata: BTreeMap<String, String>,
}

/// The input with its span in milliseconds and its overrides.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ResolvedInput {
    /// The input's name.
    pub key: String,
    /// The container named by the job (`Auto`: detect).
    pub container: InputContainer,
    /// Where transcoding starts on the input's timeline, ms (0 by default).
    pub start_millis: u64,
    /// How much of the input from there, ms; `None`: to its end.
    pub duration_millis: Option<u64>,
    /// Frame rate override as (numerator, denominator) fps; `None`: detect.
    pub frame_rate: Option<(u32, u32)>,
    /// Picture size override (width, height) in pixels; `None`: detect.
    pub resolution: Option<(u32, u32)>,
    /// Display aspect ratio override (width, height); `None`: detect.
    pub aspect_ratio: Option<(u32, u32)>,
    /// Interlacing override; `None`: detect.
    pub interlaced: Option<bool>,
}

/// One output, concrete.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ResolvedOutput {
    /// The key as the job gives it.
    pub key: String,
    /// `outputKeyPrefix` + key: the stem of every file of this output.
    pub name: String,
    /// The preset, found or inline.
    pub preset: Preset,
    /// The rotation to apply: the output's, or the input's when the
    /// output says `auto`. `Auto` still means "follow the metadata".
    pub rotate: Rotate,
    /// Segment duration in µs for a segmented preset (the job's, or
    /// [`super::DEFAULT_SEGMENT_DURATION_MICROS`]); `None` for a
    /// progressive or audio-only file.
    pub segment_duration_micros: Option<u64>,
    /// The segment containers to write, without repeats, in the order of
    /// the playlists that list the output (one from its preset when no
    /// playlist does). Empty for a file output.
    pub segment_containers: Vec<SegmentContainer>,
    /// Thumbnail name pattern; empty for no thumbnails.
    pub thumbnail_pattern: String,
    /// Watermark images for the preset's slots, in drawing order.
    pub watermarks: Vec<JobWatermark>,
    /// The clip on the input's timeline, ms: (start, duration; `None` to
    /// the end). `None`: the input's whole span.
    pub clip: Option<(u64, Option<u64>)>,
    /// Indexes of the playlists listing this output.
    pub playlists: Vec<usize>,
}

/// One playlist, concrete.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ResolvedPlaylist {
    /// The name as the job gives it.
    pub name: String,
    /// `outputKeyPrefix` + name: the stem of its manifest file(s).
    pub file_stem: String,
    /// The format.
    pub format: PlaylistFormat,
    /// How its renditions' segments are packaged: TS for HLSv3, fMP4
    /// otherwise.
    pub segment_container: SegmentContainer,
    /// Indexes of its outputs, in `outputKeys` order.
    pub outputs: Vec<usize>,
    /// The AES-128 key material, when the playlist is protected.
    pub encryption: Option<Aes128Key>,
}

/// AES-128 key material for a playlist.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Aes128Key {
    /// The key (given, or from the caller's random bytes).
    pub key: [u8; 16],
    /// MD5 of the key.
    pub key_md5: [u8; 16],
    /// The CBC initialization vector (given, or random), written as `IV`
    /// in `EXT-X-KEY`.
    pub iv: [u8; 16],
    /// The key URI for `EXT-X-KEY` with `NoStore`; `None` with
    /// `WithVariantPlaylists` (the key file beside the playlists).
    pub license_acquisition_url: Option<String>,
    /// Whether the key file is written.
    pub key_storage_policy: KeyStoragePolicy,
}

impl std::fmt::Debug for Aes128Key {
    /// Never prints the key itself.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aes128Key")
            .field("key", &"<16 bytes>")
            .field("license_acquisition_url", &self.license_acquisition_url)
            .field("key_storage_policy", &self.key_storage_policy)
            .finish_non_exhaustive()
    }
}

impl Job {
    /// Validates the job ([`Job::validate`]) and makes it concrete. Keys
    /// and IVs the job leaves out are taken from `random`, called with a
    /// 16-byte buffer once per missing value (key, then IV, playlist by
    /// playlist); the caller gives it cryptographically secure bytes
    /// (`getrandom`, `crypto.getRandomValues`). Nothing else is random and
    /// nothing reads a clock.
    pub fn resolve(
        &self,
        custom_presets: &[Preset],
        mut random: impl FnMut(&mut [u8]),
    ) -> Result<ResolvedJob, JobErrors> {
        let checked = check(self, custom_presets, &[]);
        if let Some(errors) = JobErrors::from_vec(checked.errors) {
            return Err(errors);
        }
        let prefix = &self.output_key_prefix;
        let input = &self.input;
        let span = input.time_span.unwrap_or_default();
        let resolved_input = ResolvedInput {
            key: input.key.clone(),
            container: input.container,
            start_millis: span.start(),
            duration_millis: span.duration_millis,
            frame_rate: input.frame_rate.ratio(),
            resolution: match input.resolution {
                InputResolution::Auto => None,
                InputResolution::Size { width, height } => Some((width, height)),
            },
            aspect_ratio: match input.aspect_ratio {
                InputAspectRatio::Auto => None,
                InputAspectRatio::Square => Some((1, 1)),
                InputAspectRatio::FourThree => Some((4, 3)),
                InputAspectRatio::ThreeTwo => Some((3, 2)),
                InputAspectRatio::SixteenNine => Some((16, 9)),
            },
            interlaced: match input.interlaced {
                Interlaced::Auto => None,
                Interlaced::Yes => Some(true),
                Interlaced::No => Some(false),
            },
        };

        let playlists: Vec<ResolvedPlaylist> = self
            .playlists
            .iter()
            .map(|p| ResolvedPlaylist {
                name: p.name.clone(),
                file_stem: format!("{prefix}{}", p.name),
                format: p.format,
                segment_container: if p.format == PlaylistFormat::HlsV3 {
                    SegmentContainer::Ts
                } else {
                    SegmentContainer::Fmp4
                },
                outputs: p.output_keys.iter().filter_map(|k| self.outputs.iter().position(|o| &o.key == k)).collect(),
                encryption: p.hls_content_protection.as_ref().map(|pr| key_material(pr, &mut random)),
            })
            .collect();

        let mut outputs = Vec::with_capacity(self.outputs.len());
        for ((n, o), preset) in self.outputs.iter().enumerate().zip(checked.presets) {
            // Validation passed: every output has its preset.
            let Some(preset) = preset else { continue };
            let listed: Vec<usize> =
                playlists.iter().enumerate().filter(|(_, p)| p.outputs.contains(&n)).map(|(i, _)| i).collect();
            let segmented = preset.container.is_fragmented();
            let mut segment_containers = Vec::new();
            if segmented {
                for &p in &listed {
                    if let Some(c) = playlists.get(p).map(|p| p.segment_container) {
                        if !segment_containers.contains(&c) {
                            segment_containers.push(c);
                        }
                    }
                }
                if listed.is_empty() {
                    segment_containers.push(if preset.container == Container::Ts {
                        SegmentContainer::Ts
                    } else {
                        SegmentContainer::Fmp4
                    });
                }
            }
            outputs.push(ResolvedOutput {
                key: o.key.clone(),
                name: format!("{prefix}{}", o.key),
                rotate: if o.rotate == Rotate::Auto { input.rotate } else { o.rotate },
                segment_duration_micros: segmented.then(|| effective_segment_duration(o)),
                segment_containers,
                thumbnail_pattern: o.thumbnail_pattern.clone(),
                watermarks: o.watermarks.clone(),
                clip: o.composition.first().map(|c| (c.time_span.start(), c.time_span.duration_millis)),
                playlists: listed,
                preset,
            });
        }
        Ok(ResolvedJob {
            input: resolved_input,
            outputs,
            playlists,
            output_key_prefix: prefix.clone(),
            user_metadata: self.user_metadata.clone(),
        })
    }
}

/// The key and IV of a validated protection, generated where absent.
fn key_material(pr: &HlsContentProtection, random: &mut impl FnMut(&mut [u8])) -> Aes128Key {
    let decoded = |text: &str| base64_decode(text).and_then(|b| <[u8; 16]>::try_from(b).ok());
    let fresh = |random: &mut dyn FnMut(&mut [u8])| {
        let mut bytes = [0u8; 16];
        random(&mut bytes);
        bytes
    };
    let key = decoded(&pr.key).unwrap_or_else(|| fresh(random));
    let iv = decoded(&pr.initialization_vector).unwrap_or_else(|| fresh(random));
    Aes128Key {
        key,
        key_md5: md5(&key),
        iv,
        license_acquisition_url: (!pr.license_acquisition_url.is_empty()).then(|| pr.license_acquisition_url.clone()),
        key_storage_policy: pr.key_storage_policy,
    }
}
