//! Multivariant (master) playlists: variant streams and audio renditions.

use std::fmt::Write as _;

use super::super::model::check_uri;
use super::super::text::{
    codec_string, div_round, format_scaled, hls_quoted, hls_quoted_nonempty, hls_uri_line, language_tag,
};
use super::super::{Bandwidth, FrameRate, PlaylistError, Resolution};

/// An `EXT-X-MEDIA:TYPE=AUDIO` rendition of a multivariant playlist.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AudioRendition {
    /// `GROUP-ID`, referenced by [`Variant::audio_group`].
    pub group_id: String,
    /// `NAME`, shown to users; unique within the group.
    pub name: String,
    /// `LANGUAGE`, an RFC 5646 tag such as `en`. Default `None`.
    pub language: Option<String>,
    /// `DEFAULT=YES`: play this one unless the user chooses. At most one
    /// per group. Default `false`.
    pub default: bool,
    /// `AUTOSELECT=YES`: the player may choose it by language. Always
    /// written as YES for the default rendition. Default `true`.
    pub autoselect: bool,
    /// `CHANNELS`: the number of audio channels. Default `None`.
    pub channels: Option<u32>,
    /// RFC 6381 codec string (`mp4a.40.2`, `opus`), added to the `CODECS`
    /// of the variants using the group.
    pub codec: String,
    /// `URI` of its media playlist; `None` when the audio is in the
    /// variant's own segments.
    pub uri: Option<String>,
}

impl AudioRendition {
    /// A rendition of `group_id` named `name`, with codec `codec`, played
    /// from `uri`; not default, autoselect.
    pub fn new(
        group_id: impl Into<String>,
        name: impl Into<String>,
        codec: impl Into<String>,
        uri: impl Into<String>,
    ) -> Self {
        AudioRendition {
            group_id: group_id.into(),
            name: name.into(),
            language: None,
            default: false,
            autoselect: true,
            channels: None,
            codec: codec.into(),
            uri: Some(uri.into()),
        }
    }
}

/// An `EXT-X-STREAM-INF` variant stream of a multivariant playlist.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Variant {
    /// URI of its media playlist.
    pub uri: String,
    /// `BANDWIDTH`: peak bit rate in bits per second, including the audio
    /// group's (see [`Bandwidth`]). Greater than zero.
    pub bandwidth: u64,
    /// `AVERAGE-BANDWIDTH` in bits per second; at most `bandwidth`.
    /// Default `None`.
    pub average_bandwidth: Option<u64>,
    /// RFC 6381 codec strings of the variant's own segments (usually the
    /// video codec, e.g. from the SPS). The audio group's codecs are added.
    pub codecs: Vec<String>,
    /// `RESOLUTION`. Default `None`.
    pub resolution: Option<Resolution>,
    /// `FRAME-RATE`, written with three decimals. Default `None`.
    pub frame_rate: Option<FrameRate>,
    /// `AUDIO`: the `GROUP-ID` of its audio renditions. Default `None`.
    pub audio_group: Option<String>,
}

impl Variant {
    /// A variant at `uri` with the peak and average of `bandwidth` and the
    /// given codecs; no resolution, frame rate or audio group.
    pub fn new(uri: impl Into<String>, bandwidth: Bandwidth, codecs: Vec<String>) -> Self {
        Variant {
            uri: uri.into(),
            bandwidth: bandwidth.peak,
            average_bandwidth: Some(bandwidth.average),
            codecs,
            resolution: None,
            frame_rate: None,
            audio_group: None,
        }
    }
}

/// A multivariant (master) playlist: the variant streams of a
/// presentation and their audio renditions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MultivariantPlaylist {
    /// The variants, written in this order (players usually start with the
    /// first). At least one.
    pub variants: Vec<Variant>,
    /// Audio renditions, grouped by `group_id`. Default empty.
    pub audio: Vec<AudioRendition>,
    /// Write `EXT-X-INDEPENDENT-SEGMENTS`. Default `true`.
    pub independent_segments: bool,
}

/// RFC 8216's name for [`MultivariantPlaylist`].
pub type MasterPlaylist = MultivariantPlaylist;

impl Default for MultivariantPlaylist {
    fn default() -> Self {
        MultivariantPlaylist { variants: Vec::new(), audio: Vec::new(), independent_segments: true }
    }
}

impl MultivariantPlaylist {
    /// The playlist text. Checks that there is a variant, that every
    /// `AUDIO` group exists, that a group has at most one default and no
    /// repeated names, and every string.
    pub fn render(&self) -> Result<String, PlaylistError> {
        if self.variants.is_empty() {
            return Err(PlaylistError::NoSegments);
        }
        let mut out = String::from("#EXTM3U\n");
        if self.independent_segments {
            out.push_str("#EXT-X-INDEPENDENT-SEGMENTS\n");
        }
        for (i, a) in self.audio.iter().enumerate() {
            hls_quoted_nonempty(&a.group_id, "audio.group_id")?;
            hls_quoted_nonempty(&a.name, "audio.name")?;
            codec_string(&a.codec, "audio.codec")?;
            let earlier = &self.audio[..i];
            if earlier.iter().any(|b| b.group_id == a.group_id && b.name == a.name) {
                return Err(PlaylistError::InvalidText {
                    field: "audio.name",
                    value: a.name.clone(),
                    reason: "is used twice in the same group",
                });
            }
            if a.default && earlier.iter().any(|b| b.group_id == a.group_id && b.default) {
                return Err(PlaylistError::InvalidOption {
                    field: "audio.default",
                    reason: format!("is set on two renditions of group {:?}", a.group_id),
                });
            }
            let yes_no = |b: bool| if b { "YES" } else { "NO" };
            let _ = write!(out, "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"{}\",NAME=\"{}\"", a.group_id, a.name);
            if let Some(lang) = &a.language {
                let _ = write!(out, ",LANGUAGE=\"{}\"", language_tag(lang, "audio.language")?);
            }
            let _ = write!(out, ",DEFAULT={},AUTOSELECT={}", yes_no(a.default), yes_no(a.autoselect || a.default));
            if let Some(ch) = a.channels {
                if ch == 0 {
                    return Err(PlaylistError::InvalidOption {
                        field: "audio.channels",
                        reason: "must be at least 1, got 0".into(),
                    });
                }
                let _ = write!(out, ",CHANNELS=\"{ch}\"");
            }
            if let Some(uri) = &a.uri {
                check_uri(uri, "audio.uri")?;
                let _ = write!(out, ",URI=\"{}\"", hls_quoted(uri, "audio.uri")?);
            }
            out.push('\n');
        }
        for v in &self.variants {
            if v.bandwidth == 0 {
                return Err(PlaylistError::InvalidOption {
                    field: "variant.bandwidth",
                    reason: "must be greater than zero, got 0".into(),
                });
            }
            let _ = write!(out, "#EXT-X-STREAM-INF:BANDWIDTH={}", v.bandwidth);
            if let Some(avg) = v.average_bandwidth {
                if avg == 0 || avg > v.bandwidth {
                    return Err(PlaylistError::InvalidOption {
                        field: "variant.average_bandwidth",
                        reason: format!("must be between 1 and the peak {}, got {avg}", v.bandwidth),
                    });
                }
                let _ = write!(out, ",AVERAGE-BANDWIDTH={avg}");
            }
            let mut codecs: Vec<&str> = Vec::new();
            for c in &v.codecs {
                codecs.push(codec_string(c, "variant.codecs")?);
            }
            if let Some(group) = &v.audio_group {
                let members: Vec<&AudioRendition> = self.audio.iter().filter(|a| &a.group_id == group).collect();
                if members.is_empty() {
                    return Err(PlaylistError::InvalidText {
                        field: "variant.audio_group",
                        value: group.clone(),
                        reason: "names no EXT-X-MEDIA audio group",
                    });
                }
                for a in members {
                    codecs.push(&a.codec);
                }
            }
            let mut unique: Vec<&str> = Vec::with_capacity(codecs.len());
            for c in codecs {
                if !unique.contains(&c) {
                    unique.push(c);
                }
            }
            if unique.is_empty() {
                return Err(PlaylistError::InvalidOption {
                    field: "variant.codecs",
                    reason: "must name at least one codec (own or through the audio group)".into(),
                });
            }
            let _ = write!(out, ",CODECS=\"{}\"", unique.join(","));
            if let Some(r) = v.resolution {
                r.check("variant.resolution")?;
                let _ = write!(out, ",RESOLUTION={}x{}", r.width, r.height);
            }
            if let Some(fr) = v.frame_rate {
                fr.check("variant.frame_rate")?;
                let scaled = div_round(fr.num as i128 * 1000, fr.den as i128);
                let _ = write!(out, ",FRAME-RATE={}", format_scaled(scaled, 3));
            }
            if let Some(group) = &v.audio_group {
                let _ = write!(out, ",AUDIO=\"{group}\"");
            }
            out.push('\n');
            check_uri(&v.uri, "variant.uri")?;
            out.push_str(hls_uri_line(&v.uri, "variant.uri")?);
            out.push('\n');
        }
        Ok(out)
    }
}
