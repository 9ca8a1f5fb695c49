//! ISO BMFF box writers shared by the CMAF and progressive MP4 writers: one
//! function per box, named by its fourcc, plus the glue that encodes
//! `mp4-atom` boxes into the same buffer.
//!
//! `mp4-atom` writes most boxes. The ones here are written by hand because
//! `mp4-atom` lacks them (`dfLa` with arbitrary metadata blocks, `fLaC`
//! around it), because the codec writes the record they carry (`dOps`, from
//! `codec::opus::OpusHead`, and `Opus` around it), or because `mp4-atom`
//! always picks version 1 where version 0 fits (`mvhd`, `tkhd`, `mdhd`,
//! `tfdt`, `trun`). Every size is back-patched in one place,
//! `end`.
//!
//! Nothing here is public API: the items are used by [`super::cmaf`] and
//! [`super::mp4`].

use mp4_atom::esds::{DecoderConfig, DecoderSpecific, EsDescriptor, SLConfig};
use mp4_atom::{
    Audio, Avc1, Avcc, AvccExt, Btrt, Colr, Dinf, Dref, Esds, FixedPoint, Hdlr, Mp4a, Pasp, Smhd, Url, Visual, Vmhd,
};

use super::cmaf::Bitrate;
use super::error::MuxError;
use super::{Sample, TrackConfig};
use crate::codec::aac::AudioSpecificConfig;
use crate::codec::flac::{check_metadata, with_last_flag, FlacMetadataError};
use crate::codec::h264::bitstream::{AvcDecoderConfigurationRecord, Sps};
use crate::codec::opus::OpusHead;
use crate::codec::{CodecConfig, CodecConfigError, TrackKind};

/// The identity transformation matrix of `mvhd`/`tkhd` (16.16 and 2.30
/// fixed point).
const MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

/// `sample_flags` of a sync sample: `sample_depends_on` = 2 (depends on no
/// other sample), `sample_is_non_sync_sample` = 0 (ISO/IEC 14496-12 8.8.3.1).
pub(crate) const SAMPLE_FLAGS_SYNC: u32 = 0x0200_0000;
/// `sample_flags` of a non-sync sample: `sample_depends_on` = 1 (depends on
/// others), `sample_is_non_sync_sample` = 1.
pub(crate) const SAMPLE_FLAGS_NON_SYNC: u32 = 0x0101_0000;

/// The `sample_flags` word for a sample.
pub(crate) fn sample_flags(keyframe: bool) -> u32 {
    if keyframe {
        SAMPLE_FLAGS_SYNC
    } else {
        SAMPLE_FLAGS_NON_SYNC
    }
}

// ---------------------------------------------------------------------------
// Box framing
// ---------------------------------------------------------------------------

/// Starts a box: a 32-bit size placeholder and the fourcc. Returns where
/// the box starts, for [`end`].
pub(crate) fn begin(out: &mut Vec<u8>, fourcc: &[u8; 4]) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(fourcc);
    start
}

/// Starts a FullBox: like [`begin`], then the version byte and 24 flag bits.
pub(crate) fn begin_full(out: &mut Vec<u8>, fourcc: &[u8; 4], version: u8, flags: u32) -> usize {
    let start = begin(out, fourcc);
    out.extend_from_slice(&((u32::from(version) << 24) | (flags & 0x00ff_ffff)).to_be_bytes());
    start
}

/// Ends the box started at `start`, writing its 32-bit size.
pub(crate) fn end(out: &mut [u8], start: usize) -> Result<(), MuxError> {
    let size = u32::try_from(out.len() - start).map_err(|_| MuxError::TooLarge { what: "box" })?;
    out[start..start + 4].copy_from_slice(&size.to_be_bytes());
    Ok(())
}

/// Encodes an `mp4-atom` box at the end of `out`.
pub(crate) fn atom<T: mp4_atom::Atom>(out: &mut Vec<u8>, value: &T) -> Result<(), MuxError> {
    mp4_atom::Encode::encode(value, out)
        .map_err(|e| MuxError::Encode { fourcc: T::KIND.to_string(), reason: e.to_string() })
}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_matrix(out: &mut Vec<u8>) {
    for v in MATRIX {
        put_u32(out, v);
    }
}

// ---------------------------------------------------------------------------
// Hand-written boxes
// ---------------------------------------------------------------------------

/// `mvhd`: MovieHeaderBox (ISO/IEC 14496-12 8.2.2). Version 0 unless the
/// duration needs 64 bits. Times are zero (unknown), so output is
/// reproducible; rate and volume are 1.0.
pub(crate) fn mvhd(out: &mut Vec<u8>, timescale: u32, duration: u64, next_track_id: u32) -> Result<(), MuxError> {
    let v1 = duration > u64::from(u32::MAX);
    let start = begin_full(out, b"mvhd", u8::from(v1), 0);
    put_times(out, v1, timescale, duration);
    put_u32(out, 0x0001_0000); // rate 1.0
    put_u16(out, 0x0100); // volume 1.0
    out.extend_from_slice(&[0; 10]); // reserved
    put_matrix(out);
    out.extend_from_slice(&[0; 24]); // pre_defined
    put_u32(out, next_track_id);
    end(out, start)
}

/// `tkhd`: TrackHeaderBox (ISO/IEC 14496-12 8.3.2). Flags 3 (enabled, in
/// movie); version 0 unless the duration needs 64 bits. `width`/`height`
/// are the display size in 16.16 fixed point (zero for audio).
pub(crate) fn tkhd(
    out: &mut Vec<u8>,
    track_id: u32,
    duration: u64,
    audio: bool,
    width: u32,
    height: u32,
) -> Result<(), MuxError> {
    let v1 = duration > u64::from(u32::MAX);
    let start = begin_full(out, b"tkhd", u8::from(v1), 0x000003);
    if v1 {
        put_u64(out, 0);
        put_u64(out, 0);
        put_u32(out, track_id);
        put_u32(out, 0); // reserved
        put_u64(out, duration);
    } else {
        put_u32(out, 0);
        put_u32(out, 0);
        put_u32(out, track_id);
        put_u32(out, 0);
        put_u32(out, duration as u32);
    }
    out.extend_from_slice(&[0; 8]); // reserved
    put_u16(out, 0); // layer
    put_u16(out, 0); // alternate_group
    put_u16(out, if audio { 0x0100 } else { 0 }); // volume
    put_u16(out, 0); // reserved
    put_matrix(out);
    put_u32(out, width);
    put_u32(out, height);
    end(out, start)
}

/// `mdhd`: MediaHeaderBox (ISO/IEC 14496-12 8.4.2). Version 0 unless the
/// duration needs 64 bits; `language` is the packed ISO 639-2/T code.
pub(crate) fn mdhd(out: &mut Vec<u8>, timescale: u32, duration: u64, language: u16) -> Result<(), MuxError> {
    let v1 = duration > u64::from(u32::MAX);
    let start = begin_full(out, b"mdhd", u8::from(v1), 0);
    put_times(out, v1, timescale, duration);
    put_u16(out, language & 0x7fff);
    put_u16(out, 0); // pre_defined
    end(out, start)
}

/// `tfdt`: TrackFragmentBaseMediaDecodeTimeBox (ISO/IEC 14496-12 8.8.12).
/// Version 1 (64-bit) only when the decode time does not fit 32 bits.
pub(crate) fn tfdt(out: &mut Vec<u8>, base_media_decode_time: u64) -> Result<(), MuxError> {
    match u32::try_from(base_media_decode_time) {
        Ok(t) => {
            let start = begin_full(out, b"tfdt", 0, 0);
            put_u32(out, t);
            end(out, start)
        }
        Err(_) => {
            let start = begin_full(out, b"tfdt", 1, 0);
            put_u64(out, base_media_decode_time);
            end(out, start)
        }
    }
}

/// `trun` flag: `data_offset` present.
pub(crate) const TRUN_DATA_OFFSET: u32 = 0x000001;
/// `trun` flag: per-sample duration present.
pub(crate) const TRUN_DURATION: u32 = 0x000100;
/// `trun` flag: per-sample size present.
pub(crate) const TRUN_SIZE: u32 = 0x000200;
/// `trun` flag: per-sample flags present.
pub(crate) const TRUN_FLAGS: u32 = 0x000400;
/// `trun` flag: per-sample composition time offsets present.
pub(crate) const TRUN_CTS: u32 = 0x000800;

/// The version and flags `trun` uses for `samples`: data offset, duration,
/// size and flags always; composition offsets only when one is non-zero.
/// Version 1 (signed offsets) when an offset is negative, and for video
/// tracks always (CMAF `cmf2` asks for version 1 on video).
pub(crate) fn trun_layout(samples: &[Sample], video: bool) -> (u8, u32) {
    let mut flags = TRUN_DATA_OFFSET | TRUN_DURATION | TRUN_SIZE | TRUN_FLAGS;
    if samples.iter().any(|s| s.composition_offset != 0) {
        flags |= TRUN_CTS;
    }
    let negative = samples.iter().any(|s| s.composition_offset < 0);
    (u8::from(negative || video), flags)
}

/// `trun`: TrackRunBox (ISO/IEC 14496-12 8.8.8), see [`trun_layout`].
/// `data_offset` is written as zero; the return value is its position in
/// `out`, to patch once the `moof` size is known. Sample sizes must have
/// been checked to fit 32 bits.
pub(crate) fn trun(out: &mut Vec<u8>, samples: &[Sample], video: bool) -> Result<usize, MuxError> {
    let (version, flags) = trun_layout(samples, video);
    let count = u32::try_from(samples.len()).map_err(|_| MuxError::TooLarge { what: "sample count" })?;
    let start = begin_full(out, b"trun", version, flags);
    put_u32(out, count);
    let data_offset_at = out.len();
    put_u32(out, 0);
    let per_sample = if flags & TRUN_CTS != 0 { 16 } else { 12 };
    out.reserve(samples.len() * per_sample);
    for s in samples {
        put_u32(out, s.duration);
        put_u32(out, s.data.len() as u32);
        put_u32(out, sample_flags(s.keyframe));
        if flags & TRUN_CTS != 0 {
            // Version 0 only when no offset is negative, so the cast keeps the value.
            put_u32(out, s.composition_offset as u32);
        }
    }
    end(out, start)?;
    Ok(data_offset_at)
}

/// `mdat`: MediaDataBox header (ISO/IEC 14496-12 8.1.1) for a payload of
/// `payload_len` bytes: 8 bytes, or 16 with a 64-bit `largesize` when the
/// box would not fit 32 bits. Returns the header length.
pub(crate) fn mdat_header(out: &mut Vec<u8>, payload_len: u64) -> usize {
    match u32::try_from(payload_len + 8) {
        Ok(size) => {
            put_u32(out, size);
            out.extend_from_slice(b"mdat");
            8
        }
        Err(_) => {
            put_u32(out, 1);
            out.extend_from_slice(b"mdat");
            put_u64(out, payload_len + 16);
            16
        }
    }
}

/// `dfLa`: FLACSpecificBox (FLAC in ISO BMFF 3.3.2): version 0, then the
/// FLAC metadata blocks, with only the last one flagged as last
/// ([`with_last_flag`]).
pub(crate) fn dfla(out: &mut Vec<u8>, metadata: &[u8]) -> Result<(), MuxError> {
    let start = begin_full(out, b"dfLa", 0, 0);
    out.extend_from_slice(&with_last_flag(metadata));
    end(out, start)
}

/// Checks FLAC metadata blocks as carried in `dfLa` ([`check_metadata`]):
/// STREAMINFO (34 bytes) first, every block complete.
fn flac_blocks(track_id: u32, metadata: &[u8]) -> Result<(), MuxError> {
    let reason = match check_metadata(metadata) {
        Ok(_) => return Ok(()),
        Err(FlacMetadataError::NoStreamInfo | FlacMetadataError::ShortStreamInfo) => {
            "must start with a 34-byte STREAMINFO block"
        }
        Err(FlacMetadataError::TruncatedHeader) => "ends inside a block header",
        Err(FlacMetadataError::MisplacedStreamInfo) => "has a misplaced or mis-sized STREAMINFO block",
        Err(FlacMetadataError::ForbiddenBlockType) => "has a block of the forbidden type 127",
        Err(_) => "ends inside a block",
    };
    Err(MuxError::InvalidTrack { track_id, field: "codec.metadata", reason: reason.into() })
}

/// `Opus`: OpusSampleEntry (Encapsulation of Opus in ISOBMFF 4.3.1): an
/// AudioSampleEntry, its `dOps` and, when known, its `btrt`.
fn opus_entry(out: &mut Vec<u8>, audio: &Audio, head: &OpusHead, btrt: Option<Btrt>) -> Result<(), MuxError> {
    let start = begin(out, b"Opus");
    mp4_atom::Encode::encode(audio, out)
        .map_err(|e| MuxError::Encode { fourcc: "Opus".into(), reason: e.to_string() })?;
    dops(out, head)?;
    if let Some(btrt) = btrt {
        atom(out, &btrt)?;
    }
    end(out, start)
}

/// `dOps`: OpusSpecificBox (Encapsulation of Opus in ISOBMFF 4.3.2): the
/// Opus header in its `dOps` form ([`OpusHead::to_dops`]).
pub(crate) fn dops(out: &mut Vec<u8>, head: &OpusHead) -> Result<(), MuxError> {
    let start = begin(out, b"dOps");
    out.extend_from_slice(&head.to_dops());
    end(out, start)
}

/// `fLaC`: FLACSampleEntry (FLAC in ISO BMFF 3.3.1): an AudioSampleEntry
/// and its `dfLa`.
fn flac_entry(out: &mut Vec<u8>, audio: &Audio, metadata: &[u8]) -> Result<(), MuxError> {
    let start = begin(out, b"fLaC");
    mp4_atom::Encode::encode(audio, out)
        .map_err(|e| MuxError::Encode { fourcc: "fLaC".into(), reason: e.to_string() })?;
    dfla(out, metadata)?;
    end(out, start)
}

// ---------------------------------------------------------------------------
// Tracks
// ---------------------------------------------------------------------------

/// A track whose configuration was checked, with what its boxes need.
#[derive(Debug, Clone)]
pub(crate) struct PreparedTrack {
    pub config: TrackConfig,
    /// Packed ISO 639-2/T language of `mdhd`.
    pub language: u16,
    /// `tkhd` width and height, 16.16 fixed point (display size).
    pub display: (u32, u32),
    entry: Entry,
}

#[derive(Debug, Clone)]
enum Entry {
    Avc { avcc: Avcc, width: u16, height: u16, pasp: Option<Pasp>, colr: Option<Colr> },
    Aac { asc: Vec<u8>, channels: u16, sample_rate: u32 },
    Opus { head: OpusHead },
    Flac { metadata: Vec<u8>, channels: u16, sample_rate: u32, bits_per_sample: u16 },
}

impl PreparedTrack {
    pub fn id(&self) -> u32 {
        self.config.id
    }

    pub fn is_video(&self) -> bool {
        self.config.codec.kind() == TrackKind::Video
    }

    pub fn timescale(&self) -> u32 {
        self.config.timescale.get()
    }
}

/// Packs an ISO 639-2/T code (three lowercase letters) as in `mdhd`.
pub(crate) fn pack_language(code: &str) -> Option<u16> {
    let b = code.as_bytes();
    if b.len() != 3 || !b.iter().all(u8::is_ascii_lowercase) {
        return None;
    }
    Some(b.iter().fold(0u16, |acc, &c| (acc << 5) | u16::from(c - 0x60)))
}

/// The 16.16 audio sample rate of an AudioSampleEntry; 0 when it does not
/// fit 16 bits (the media timescale still carries it).
fn audio_entry(channels: u16, sample_size: u16, sample_rate: u32) -> Audio {
    Audio {
        data_reference_index: 1,
        channel_count: channels,
        sample_size,
        sample_rate: FixedPoint::new(u16::try_from(sample_rate).unwrap_or(0), 0),
    }
}

/// Checks every track (IDs unique and non-zero, codec configurations that
/// parse, sizes and channel counts in range, a valid language) and prepares
/// what the boxes need.
pub(crate) fn prepare_tracks(tracks: &[TrackConfig]) -> Result<Vec<PreparedTrack>, MuxError> {
    if tracks.is_empty() {
        return Err(MuxError::NoTracks);
    }
    let mut out: Vec<PreparedTrack> = Vec::with_capacity(tracks.len());
    for t in tracks {
        if out.iter().any(|p| p.id() == t.id) {
            return Err(MuxError::DuplicateTrack { track_id: t.id });
        }
        out.push(prepare_track(t)?);
    }
    Ok(out)
}

fn prepare_track(t: &TrackConfig) -> Result<PreparedTrack, MuxError> {
    let track_id = t.id;
    let invalid = |field: &'static str, reason: String| MuxError::InvalidTrack { track_id, field, reason };
    if track_id == 0 {
        return Err(invalid("id", "must be at least 1, got 0".into()));
    }
    let language = pack_language(&t.language).ok_or_else(|| {
        invalid("language", format!("must be three lowercase ISO 639-2/T letters, got {:?}", t.language))
    })?;
    let codec_err = |error: CodecConfigError| MuxError::Codec { track_id, error };
    let (entry, display) = match &t.codec {
        CodecConfig::Avc { avcc, width, height } => {
            let record = AvcDecoderConfigurationRecord::parse(avcc).map_err(|e| codec_err(CodecConfigError::Avc(e)))?;
            let sps_nal = record.sps.first().ok_or_else(|| invalid("codec.avcc", "has no SPS".into()))?;
            let sps = Sps::parse(sps_nal).map_err(|e| codec_err(CodecConfigError::Avc(e)))?;
            let w = u16::try_from(*width).ok().filter(|w| *w > 0);
            let h = u16::try_from(*height).ok().filter(|h| *h > 0);
            let (Some(w), Some(h)) = (w, h) else {
                return Err(invalid("codec.width/height", format!("must be 1 to 65535, got {width}x{height}")));
            };
            let vui = sps.vui.as_ref();
            let sar = vui.and_then(|v| v.sample_aspect_ratio());
            let pasp = sar.map(|(sw, sh)| Pasp { h_spacing: u32::from(sw), v_spacing: u32::from(sh) });
            let colr = vui.and_then(|v| {
                let full = v.video_signal_type_present_flag && v.video_full_range_flag;
                if v.colour_description_present_flag || full {
                    Some(Colr::Nclx {
                        colour_primaries: u16::from(v.colour_primaries),
                        transfer_characteristics: u16::from(v.transfer_characteristics),
                        matrix_coefficients: u16::from(v.matrix_coefficients),
                        full_range_flag: full,
                    })
                } else {
                    None
                }
            });
            // Display width: the coded width stretched by the sample aspect ratio.
            let display_w = match sar {
                Some((sw, sh)) => ((u64::from(w) * u64::from(sw)) << 16) / u64::from(sh),
                None => u64::from(w) << 16,
            };
            let display = (u32::try_from(display_w).unwrap_or(u32::MAX), u32::from(h) << 16);
            let avcc = Avcc {
                configuration_version: 1,
                avc_profile_indication: record.profile_idc,
                profile_compatibility: record.profile_compatibility,
                avc_level_indication: record.level_idc,
                length_size: record.length_size(),
                sequence_parameter_sets: record.sps.clone(),
                picture_parameter_sets: record.pps.clone(),
                ext: record.high_profile_ext.as_ref().map(|e| AvccExt {
                    chroma_format: e.chroma_format & 3,
                    bit_depth_luma: (e.bit_depth_luma_minus8 & 7) + 8,
                    bit_depth_chroma: (e.bit_depth_chroma_minus8 & 7) + 8,
                    sequence_parameter_sets_ext: e.sps_ext.clone(),
                }),
            };
            (Entry::Avc { avcc, width: w, height: h, pasp, colr }, display)
        }
        CodecConfig::Aac { asc, sample_rate, channels } => {
            AudioSpecificConfig::parse(asc).map_err(codec_err)?;
            if asc.len() < 2 {
                return Err(codec_err(CodecConfigError::AudioSpecificConfig("shorter than 2 bytes")));
            }
            if asc.len() > 255 {
                return Err(invalid("codec.asc", format!("must be at most 255 bytes, got {}", asc.len())));
            }
            check_audio(track_id, *sample_rate, *channels)?;
            (Entry::Aac { asc: asc.clone(), channels: *channels, sample_rate: *sample_rate }, (0, 0))
        }
        CodecConfig::Opus { channels, pre_skip, input_sample_rate, output_gain } => {
            if !(1..=2).contains(channels) {
                return Err(MuxError::Unsupported {
                    what: format!(
                        "track {track_id}: Opus with {channels} channels (only mapping family 0: 1 or 2 channels)"
                    ),
                });
            }
            let head = OpusHead {
                channels: *channels,
                pre_skip: *pre_skip,
                input_sample_rate: *input_sample_rate,
                output_gain: *output_gain,
            };
            (Entry::Opus { head }, (0, 0))
        }
        CodecConfig::Flac { metadata, sample_rate, channels, bits_per_sample } => {
            flac_blocks(track_id, metadata)?;
            check_audio(track_id, *sample_rate, *channels)?;
            if !(4..=32).contains(bits_per_sample) {
                return Err(invalid("codec.bits_per_sample", format!("must be 4 to 32, got {bits_per_sample}")));
            }
            let entry = Entry::Flac {
                metadata: metadata.clone(),
                channels: *channels,
                sample_rate: *sample_rate,
                bits_per_sample: *bits_per_sample,
            };
            (entry, (0, 0))
        }
    };
    Ok(PreparedTrack { config: t.clone(), language, display, entry })
}

fn check_audio(track_id: u32, sample_rate: u32, channels: u16) -> Result<(), MuxError> {
    if sample_rate == 0 {
        return Err(MuxError::InvalidTrack { track_id, field: "codec.sample_rate", reason: "must not be 0".into() });
    }
    if channels == 0 {
        return Err(MuxError::InvalidTrack { track_id, field: "codec.channels", reason: "must not be 0".into() });
    }
    Ok(())
}

/// `stsd`: SampleDescriptionBox (ISO/IEC 14496-12 8.5.2) with the track's
/// one sample entry: `avc1` (+ `avcC`, `btrt`, `colr`, `pasp`), `mp4a`
/// (+ `esds`, `btrt`), `Opus` (+ `dOps`, `btrt`) or `fLaC` (+ `dfLa`).
/// `btrt` and the `esds` bitrates come from `bitrate` when known.
pub(crate) fn stsd(out: &mut Vec<u8>, track: &PreparedTrack, bitrate: Option<Bitrate>) -> Result<(), MuxError> {
    let start = begin_full(out, b"stsd", 0, 0);
    put_u32(out, 1); // entry_count
    let btrt =
        bitrate.map(|b| Btrt { buffer_size_db: b.buffer_size, max_bitrate: b.max_bitrate, avg_bitrate: b.avg_bitrate });
    match &track.entry {
        Entry::Avc { avcc, width, height, pasp, colr } => {
            let avc1 = Avc1 {
                visual: Visual { data_reference_index: 1, width: *width, height: *height, ..Visual::default() },
                avcc: avcc.clone(),
                btrt,
                colr: colr.clone(),
                pasp: pasp.clone(),
                ..Avc1::default()
            };
            atom(out, &avc1)?;
        }
        Entry::Aac { asc, channels, sample_rate } => {
            let b = bitrate.unwrap_or_default();
            let esds = Esds {
                es_desc: EsDescriptor {
                    es_id: 0, // ISO/IEC 14496-14 3.1.2: zero in the file; the track ID stands for it.
                    dec_config: DecoderConfig {
                        object_type_indication: 0x40, // Audio ISO/IEC 14496-3
                        stream_type: 0x05,            // AudioStream
                        up_stream: 0,
                        buffer_size_db: mp4_atom::u24::try_from(b.buffer_size.min(0x00ff_ffff))
                            .map_err(|e| MuxError::Encode { fourcc: "esds".into(), reason: e.to_string() })?,
                        max_bitrate: b.max_bitrate,
                        avg_bitrate: b.avg_bitrate,
                        dec_specific: Some(DecoderSpecific {
                            profile: 0,
                            freq_index: 0,
                            chan_conf: 0,
                            raw: asc.clone(),
                        }),
                    },
                    sl_config: SLConfig::default(),
                    ..EsDescriptor::default()
                },
            };
            let mp4a = Mp4a { audio: audio_entry(*channels, 16, *sample_rate), esds, btrt, taic: None };
            atom(out, &mp4a)?;
        }
        Entry::Opus { head } => {
            opus_entry(out, &audio_entry(u16::from(head.channels), 16, 48_000), head, btrt)?;
        }
        Entry::Flac { metadata, channels, sample_rate, bits_per_sample } => {
            flac_entry(out, &audio_entry(*channels, *bits_per_sample, *sample_rate), metadata)?;
        }
    }
    end(out, start)
}

/// What [`trak`] writes around the sample tables.
pub(crate) struct TrakTimes<'a> {
    /// `tkhd` duration, movie timescale.
    pub tkhd_duration: u64,
    /// `mdhd` duration, media timescale.
    pub mdhd_duration: u64,
    /// The edit list, if any.
    pub edits: Option<&'a mp4_atom::Elst>,
    /// `btrt`/`esds` bitrates.
    pub bitrate: Option<Bitrate>,
}

/// `trak`: TrackBox (ISO/IEC 14496-12 8.3.1) with `tkhd`, optional
/// `edts`/`elst`, and `mdia` (`mdhd`, `hdlr`, `minf` with `vmhd`/`smhd`,
/// `dinf`/`dref`, and `stbl` = `stsd` followed by what `tables` writes).
pub(crate) fn trak(
    out: &mut Vec<u8>,
    track: &PreparedTrack,
    times: &TrakTimes<'_>,
    tables: impl FnOnce(&mut Vec<u8>) -> Result<(), MuxError>,
) -> Result<(), MuxError> {
    let video = track.is_video();
    let trak = begin(out, b"trak");
    tkhd(out, track.id(), times.tkhd_duration, !video, track.display.0, track.display.1)?;
    if let Some(elst) = times.edits {
        let edts = begin(out, b"edts");
        atom(out, elst)?;
        end(out, edts)?;
    }
    let mdia = begin(out, b"mdia");
    mdhd(out, track.timescale(), times.mdhd_duration, track.language)?;
    let (handler, name) = if video { (b"vide", "VideoHandler") } else { (b"soun", "SoundHandler") };
    atom(out, &Hdlr { handler: handler.into(), name: name.into() })?;
    let minf = begin(out, b"minf");
    if video {
        atom(out, &Vmhd::default())?;
    } else {
        atom(out, &Smhd::default())?;
    }
    atom(out, &Dinf { dref: Dref { entries: vec![Url { location: String::new() }.into()] } })?;
    let stbl = begin(out, b"stbl");
    stsd(out, track, times.bitrate)?;
    tables(out)?;
    end(out, stbl)?;
    end(out, minf)?;
    end(out, mdia)?;
    end(out, trak)
}

/// The creation/modification times (always 0), timescale and duration that
/// start `mvhd` and `mdhd`: 64-bit fields in version 1, 32-bit in version 0.
fn put_times(out: &mut Vec<u8>, v1: bool, timescale: u32, duration: u64) {
    if v1 {
        put_u64(out, 0); // creation_time
        put_u64(out, 0); // modification_time
        put_u32(out, timescale);
        put_u64(out, duration);
    } else {
        put_u32(out, 0);
        put_u32(out, 0);
        put_u32(out, timescale);
        put_u32(out, duration as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(dts: i64, cto: i32, keyframe: bool, len: usize) -> Sample {
        Sample { decode_time: dts, composition_offset: cto, duration: 10, keyframe, data: vec![0; len] }
    }

    #[test]
    fn tfdt_is_version_0_until_32_bits_overflow() {
        let mut out = Vec::new();
        tfdt(&mut out, u64::from(u32::MAX)).unwrap();
        assert_eq!(out, [0, 0, 0, 16, b't', b'f', b'd', b't', 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        out.clear();
        tfdt(&mut out, 1 << 32).unwrap();
        assert_eq!(out, [0, 0, 0, 20, b't', b'f', b'd', b't', 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    }

    #[test]
    fn trun_omits_zero_offsets_and_signs_negative_ones() {
        let plain = [sample(0, 0, true, 5), sample(10, 0, false, 7)];
        assert_eq!(trun_layout(&plain, false), (0, 0x000701));
        assert_eq!(trun_layout(&plain, true), (1, 0x000701));
        let positive = [sample(0, 20, true, 5), sample(10, 0, false, 7)];
        assert_eq!(trun_layout(&positive, false), (0, 0x000f01));
        let negative = [sample(0, 0, true, 5), sample(10, -10, false, 7)];
        assert_eq!(trun_layout(&negative, false), (1, 0x000f01));

        let mut out = Vec::new();
        let at = trun(&mut out, &negative, false).unwrap();
        assert_eq!(at, 16);
        assert_eq!(out.len(), 12 + 4 + 4 + 2 * 16);
        assert_eq!(&out[4..12], b"trun\x01\x00\x0f\x01");
        // First sample: duration 10, size 5, sync flags, offset 0.
        assert_eq!(&out[20..36], &[0, 0, 0, 10, 0, 0, 0, 5, 2, 0, 0, 0, 0, 0, 0, 0]);
        // Second: non-sync (depends on others, non-sync bit), offset -10.
        assert_eq!(&out[36..52], &[0, 0, 0, 10, 0, 0, 0, 7, 1, 1, 0, 0, 0xff, 0xff, 0xff, 0xf6]);
    }

    #[test]
    fn mdat_switches_to_largesize() {
        let mut out = Vec::new();
        assert_eq!(mdat_header(&mut out, 100), 8);
        assert_eq!(out, [0, 0, 0, 108, b'm', b'd', b'a', b't']);
        out.clear();
        assert_eq!(mdat_header(&mut out, u64::from(u32::MAX)), 16);
        assert_eq!(&out[..8], &[0, 0, 0, 1, b'm', b'd', b'a', b't']);
        assert_eq!(u64::from_be_bytes(out[8..16].try_into().unwrap()), u64::from(u32::MAX) + 16);
    }

    #[test]
    fn version_0_headers_have_the_standard_sizes() {
        let mut out = Vec::new();
        mvhd(&mut out, 1000, 5, 2).unwrap();
        assert_eq!(out.len(), 108);
        out.clear();
        tkhd(&mut out, 1, 5, false, 640 << 16, 480 << 16).unwrap();
        assert_eq!(out.len(), 92);
        out.clear();
        mdhd(&mut out, 90_000, 5, pack_language("und").unwrap()).unwrap();
        assert_eq!(out.len(), 32);
        assert_eq!(&out[28..30], &[0x55, 0xc4]); // "und"
        out.clear();
        mdhd(&mut out, 90_000, 1 << 32, 0).unwrap();
        assert_eq!(out.len(), 44);
        assert_eq!(out[8], 1);
    }

    #[test]
    fn languages_must_be_three_lowercase_letters() {
        assert_eq!(pack_language("eng"), Some(0x15c7));
        assert_eq!(pack_language("EN"), None);
        assert_eq!(pack_language("en-"), None);
        assert_eq!(pack_language("éé"), None);
    }

    #[test]
    fn dfla_fixes_last_block_flags() {
        let mut meta = vec![0x80, 0, 0, 34];
        meta.extend([0u8; 34]);
        meta.extend([0x84, 0, 0, 2, 1, 2]); // VORBIS_COMMENT (flag wrongly set on both)
        flac_blocks(1, &meta).unwrap();
        let mut out = Vec::new();
        dfla(&mut out, &meta).unwrap();
        assert_eq!(out[12], 0x00);
        assert_eq!(out[12 + 38], 0x84);
        assert!(flac_blocks(1, &meta[..20]).is_err());
        assert!(flac_blocks(1, &meta[..meta.len() - 1]).is_err());
        assert!(flac_blocks(1, &[4, 0, 0, 0]).is_err());
    }
}
