//! CMAF / fragmented MP4 writer: init segments (`ftyp` + `moov`), media
//! fragments (`moof` + `mdat`, optionally after a `styp`) and the `sidx`
//! segment index for on-demand files.
//!
//! ```
//! use framecast::codec::CodecConfig;
//! use framecast::mux::{cmaf::CmafWriter, Sample, TrackConfig};
//! use framecast::time::Timescale;
//!
//! let asc = vec![0x11, 0x90]; // AAC-LC, 48 kHz, stereo
//! let track = TrackConfig::new(1, Timescale::new(48_000).unwrap(),
//!     CodecConfig::Aac { asc, sample_rate: 48_000, channels: 2 });
//! let mut writer = CmafWriter::new(vec![track])?;
//! let init = writer.init_segment()?;
//! let samples: Vec<Sample> = (0..3)
//!     .map(|i| Sample { decode_time: i * 1024, composition_offset: 0, duration: 1024,
//!                       keyframe: true, data: vec![0x21; 10] })
//!     .collect();
//! let fragment = writer.fragment(1, &[(1, &samples)])?;
//! assert_eq!(&init[4..12], b"ftypcmf2");
//! assert_eq!(&fragment[4..8], b"moof");
//! # Ok::<(), framecast::mux::error::MuxError>(())
//! ```
//!
//! Box-level choices:
//! - `ftyp` of a one-track (CMAF) init segment: major brand `cmf2` (the
//!   CMAF structural brand of ISO/IEC 23000-19 2nd edition:
//!   default-base-is-moof, a `tfdt` in every `traf`, no edit lists, `trun`
//!   version 1 for video), compatible `cmf2`, `cmfc`, `iso6` (ISO BMFF with
//!   `tfdt`/`styp`), `mp41` and `dash`. Players (hls.js, dash.js, Safari,
//!   MSE in Chromium and Firefox) do not gate on brands; the list is for
//!   conformance checkers and packagers. No CMAF media-profile brand
//!   (`cfhd`, `caac`, ...) is claimed, because those add constraints that
//!   the encoder settings decide. A muxed (several-track) init segment is
//!   not CMAF and says `iso6`, compatible `iso6`, `mp41`, `dash`.
//! - `moov`: `mvhd` (timescale 1000, duration 0), one `trak` per track with
//!   an empty sample table, then `mvex` with one `trex` per track (no
//!   defaults: every `trun` carries its own values). No `mehd`: live streams
//!   do not know their duration and on-demand players take it from the
//!   playlist or `sidx`.
//! - `styp`: major `cmfs`, compatible `cmfs`, `cmff`, `msdh` (muxed:
//!   `msdh`, compatible `msdh`, `iso6`).
//! - `moof`: `mfhd`, then per track a `traf` with `tfhd` (only
//!   default-base-is-moof, flags `0x020000`), `tfdt` (version 1 only above
//!   32 bits) and `trun` with a data offset and per-sample duration, size
//!   and flags; composition offsets only when one is non-zero. `trun` is
//!   version 1 when an offset is negative, and for video always (`cmf2`).
//! - Sample flags: sync samples `0x02000000` (depends on nothing),
//!   others `0x01010000` (depends on others, non-sync).

use mp4_atom::{
    Elst, ElstEntry, FixedPoint, Ftyp, Mfhd, SegmentReference, Sidx, Stco, Stsc, Stsz, Stts, Styp, Tfhd, Trex,
};

use super::boxes::{self, PreparedTrack, TrakTimes};
use super::error::MuxError;
use super::{Sample, TrackConfig};
use crate::time::Timescale;

/// `ftyp` brands of single-track (CMAF) init segments: major, then
/// compatible.
pub const CMAF_INIT_BRANDS: (&[u8; 4], &[[u8; 4]]) = (b"cmf2", &[*b"cmf2", *b"cmfc", *b"iso6", *b"mp41", *b"dash"]);
/// `ftyp` brands of muxed (multi-track) init segments, which CMAF does not
/// cover, and of init segments with an edit list.
pub const MUXED_INIT_BRANDS: (&[u8; 4], &[[u8; 4]]) = (b"iso6", &[*b"iso6", *b"mp41", *b"dash"]);
/// `styp` brands of CMAF media segments.
pub const CMAF_SEGMENT_BRANDS: (&[u8; 4], &[[u8; 4]]) = (b"cmfs", &[*b"cmfs", *b"cmff", *b"msdh"]);
/// `styp` brands of muxed media segments.
pub const MUXED_SEGMENT_BRANDS: (&[u8; 4], &[[u8; 4]]) = (b"msdh", &[*b"msdh", *b"iso6"]);

/// Timescale of `mvhd` in init segments and progressive files: milliseconds.
pub const MOVIE_TIMESCALE: u32 = 1000;

/// Bitrate figures of a track, written to `btrt` and to the AAC `esds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bitrate {
    /// Size of the decoding buffer in bytes (`bufferSizeDB`); the largest
    /// sample when derived from samples.
    pub buffer_size: u32,
    /// Peak bitrate in bits per second over any one-second window.
    pub max_bitrate: u32,
    /// Average bitrate in bits per second; 0 means unknown.
    pub avg_bitrate: u32,
}

impl Bitrate {
    /// Measures `samples` of a track with `timescale`: the largest sample,
    /// the busiest one-second window (by decode time) and the average over
    /// the summed durations. Zero for an empty list.
    pub fn from_samples(samples: &[Sample], timescale: Timescale) -> Bitrate {
        let ts = u128::from(timescale.get());
        let buffer_size = samples.iter().map(|s| s.data.len()).max().unwrap_or(0);
        let total_bytes: u128 = samples.iter().map(|s| s.data.len() as u128).sum();
        let total_ticks: u128 = samples.iter().map(|s| u128::from(s.duration)).sum();
        let avg = (total_bytes * 8 * ts).checked_div(total_ticks).unwrap_or(0);
        // Busiest window [dts_i, dts_i + 1 s): two pointers over decode times.
        let mut max_window = 0u128;
        let mut window = 0u128;
        let mut tail = 0;
        for head in 0..samples.len() {
            window += samples[head].data.len() as u128;
            while (samples[head].decode_time as i128) - (samples[tail].decode_time as i128) >= ts as i128 {
                window -= samples[tail].data.len() as u128;
                tail += 1;
            }
            max_window = max_window.max(window);
        }
        let clamp = |v: u128| u32::try_from(v).unwrap_or(u32::MAX);
        Bitrate {
            buffer_size: u32::try_from(buffer_size).unwrap_or(u32::MAX),
            max_bitrate: clamp((max_window * 8).max(avg)),
            avg_bitrate: clamp(avg),
        }
    }
}

/// One subsegment referenced by a `sidx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SidxReference {
    /// Bytes of the subsegment (its `styp`/`moof`/`mdat` boxes), below 2^31.
    pub size: u32,
    /// Duration in ticks of the `sidx` timescale.
    pub duration: u32,
    /// The subsegment starts with a stream access point (SAP type 1: an IDR,
    /// or any audio frame).
    pub starts_with_sap: bool,
}

/// `sidx`: SegmentIndexBox (ISO/IEC 14496-12 8.16.3) for on-demand output.
///
/// `earliest_presentation_time` is in `timescale` ticks; `first_offset` is
/// the number of bytes between the end of this `sidx` and the first
/// referenced subsegment (0 when they follow directly). Version 0 unless a
/// value needs 64 bits. Fails with [`MuxError::TooLarge`] beyond 65 535
/// references or for a subsegment of 2 GiB or more.
pub fn sidx(
    reference_id: u32,
    timescale: Timescale,
    earliest_presentation_time: u64,
    first_offset: u64,
    references: &[SidxReference],
) -> Result<Vec<u8>, MuxError> {
    if references.len() > usize::from(u16::MAX) {
        return Err(MuxError::TooLarge { what: "sidx reference count" });
    }
    if references.iter().any(|r| r.size > 0x7fff_ffff) {
        return Err(MuxError::TooLarge { what: "sidx referenced size" });
    }
    let sidx = Sidx {
        reference_id,
        timescale: timescale.get(),
        earliest_presentation_time,
        first_offset,
        references: references
            .iter()
            .map(|r| SegmentReference {
                reference_type: false,
                referenced_size: r.size,
                subsegment_duration: r.duration,
                starts_with_sap: r.starts_with_sap,
                sap_type: if r.starts_with_sap { 1 } else { 0 },
                sap_delta_time: 0,
            })
            .collect(),
    };
    let mut out = Vec::with_capacity(32 + 12 * references.len());
    boxes::atom(&mut out, &sidx)?;
    Ok(out)
}

/// Writes a CMAF init segment and media fragments for a fixed set of tracks.
///
/// For CMAF proper, use one writer per track (each fragment stream holds
/// one track). A writer with several tracks writes muxed files: one `trak`
/// per track in the init segment and, per fragment, one `traf` per track
/// sharing a single `mdat`.
///
/// The writer remembers, per track, where the last fragment ended and the
/// last `mfhd` sequence number, and rejects fragments that would go back.
#[derive(Debug, Clone)]
pub struct CmafWriter {
    tracks: Vec<PreparedTrack>,
    bitrates: Vec<Option<Bitrate>>,
    /// Per track: media ticks the init segment's edit list skips.
    skips: Vec<u32>,
    /// Per track: decode time where the previous fragment ended.
    ends: Vec<Option<i64>>,
    last_sequence: Option<u32>,
}

impl CmafWriter {
    /// A writer for `tracks`, in that order. Fails if there are no tracks,
    /// if IDs repeat or are 0, or if a codec configuration is invalid.
    pub fn new(tracks: Vec<TrackConfig>) -> Result<Self, MuxError> {
        let tracks = boxes::prepare_tracks(&tracks)?;
        let n = tracks.len();
        Ok(CmafWriter { tracks, bitrates: vec![None; n], skips: vec![0; n], ends: vec![None; n], last_sequence: None })
    }

    /// The tracks, in init-segment order.
    pub fn tracks(&self) -> impl Iterator<Item = &TrackConfig> {
        self.tracks.iter().map(|t| &t.config)
    }

    /// Declares the bitrate of a track, for `btrt` and `esds` in later
    /// [`Self::init_segment`] calls. Without it those boxes say 0 (unknown)
    /// and `btrt` is left out.
    pub fn set_bitrate(&mut self, track_id: u32, bitrate: Bitrate) -> Result<(), MuxError> {
        let i = self.index(track_id)?;
        self.bitrates[i] = Some(bitrate);
        Ok(())
    }

    /// Makes later [`Self::init_segment`] calls carry an edit list that
    /// skips the first `ticks` of the track's media (an audio encoder's
    /// priming), as ffmpeg writes for fragmented files. For files played
    /// on their own; live CMAF tracks place priming before time 0 instead
    /// and keep the header free of edit lists (the default, `ticks` 0).
    pub fn set_start_skip(&mut self, track_id: u32, ticks: u32) -> Result<(), MuxError> {
        let i = self.index(track_id)?;
        self.skips[i] = ticks;
        Ok(())
    }

    /// The RFC 6381 codec strings of the tracks, in order (for `CODECS`).
    pub fn codecs(&self) -> Vec<String> {
        self.tracks.iter().map(|t| t.config.codec.codec_string().unwrap_or_default()).collect()
    }

    fn index(&self, track_id: u32) -> Result<usize, MuxError> {
        self.tracks.iter().position(|t| t.id() == track_id).ok_or(MuxError::UnknownTrack { track_id })
    }

    /// The init segment: `ftyp` and `moov` (see the module documentation).
    pub fn init_segment(&self) -> Result<Vec<u8>, MuxError> {
        let mut out = Vec::with_capacity(1024);
        ftyp(&mut out, self.tracks.len(), self.skips.iter().any(|&s| s > 0))?;
        let moov = boxes::begin(&mut out, b"moov");
        let next_track_id = self.tracks.iter().map(|t| t.id()).max().unwrap_or(0).saturating_add(1);
        boxes::mvhd(&mut out, MOVIE_TIMESCALE, 0, next_track_id)?;
        for ((track, bitrate), &skip) in self.tracks.iter().zip(&self.bitrates).zip(&self.skips) {
            // Duration 0: the edit lasts as long as the fragments do.
            let media =
                ElstEntry { segment_duration: 0, media_time: Some(u64::from(skip)), media_rate: FixedPoint::new(1, 0) };
            let elst = (skip > 0).then(|| Elst { entries: vec![media] });
            let times = TrakTimes { tkhd_duration: 0, mdhd_duration: 0, edits: elst.as_ref(), bitrate: *bitrate };
            boxes::trak(&mut out, track, &times, |out| {
                boxes::atom(out, &Stts::default())?;
                boxes::atom(out, &Stsc::default())?;
                boxes::atom(out, &Stsz::default())?;
                boxes::atom(out, &Stco::default())
            })?;
        }
        let mvex = boxes::begin(&mut out, b"mvex");
        for track in &self.tracks {
            let trex = Trex {
                track_id: track.id(),
                default_sample_description_index: 1,
                default_sample_duration: 0,
                default_sample_size: 0,
                default_sample_flags: 0,
            };
            boxes::atom(&mut out, &trex)?;
        }
        boxes::end(&mut out, mvex)?;
        boxes::end(&mut out, moov)?;
        Ok(out)
    }

    /// A `styp` box, to put before the first fragment of a media segment.
    pub fn styp(&self) -> Vec<u8> {
        let (major, compatible) = if self.tracks.len() == 1 { CMAF_SEGMENT_BRANDS } else { MUXED_SEGMENT_BRANDS };
        let styp = Styp {
            major_brand: major.into(),
            minor_version: 0,
            compatible_brands: compatible.iter().map(Into::into).collect(),
        };
        let mut out = Vec::with_capacity(24);
        // A fixed handful of brands always encodes.
        let _ = boxes::atom(&mut out, &styp);
        out
    }

    /// One fragment (`moof` + `mdat`) holding `samples` of each listed track,
    /// in the listed order, tagged with `mfhd` `sequence_number`.
    ///
    /// A media segment is an optional [`Self::styp`] followed by one or more
    /// fragments (CMAF chunks). Every sample list must be non-empty and
    /// contiguous (each sample starts where the previous one ends); decode
    /// times must be non-negative and not go back from the previous
    /// fragment of the same track; sequence numbers must increase. On error
    /// nothing changes.
    pub fn fragment(&mut self, sequence_number: u32, tracks: &[(u32, &[Sample])]) -> Result<Vec<u8>, MuxError> {
        let mut out = Vec::new();
        self.fragment_into(&mut out, sequence_number, tracks)?;
        Ok(out)
    }

    /// Like [`Self::fragment`], appending to `out`. On error `out` is left
    /// as it was.
    pub fn fragment_into(
        &mut self,
        out: &mut Vec<u8>,
        sequence_number: u32,
        tracks: &[(u32, &[Sample])],
    ) -> Result<(), MuxError> {
        if tracks.is_empty() {
            return Err(MuxError::NoTracks);
        }
        if let Some(previous) = self.last_sequence {
            if sequence_number <= previous {
                return Err(MuxError::SequenceNotIncreasing { previous, found: sequence_number });
            }
        }
        let mut indices = Vec::with_capacity(tracks.len());
        let mut payload = 0u64;
        for (track_id, samples) in tracks {
            let i = self.index(*track_id)?;
            if indices.contains(&i) {
                return Err(MuxError::DuplicateTrack { track_id: *track_id });
            }
            check_run(*track_id, samples, self.ends[i])?;
            payload += samples.iter().map(|s| s.data.len() as u64).sum::<u64>();
            indices.push(i);
        }
        let start = out.len();
        let result = self.write_fragment(out, sequence_number, tracks, &indices, payload);
        if result.is_err() {
            out.truncate(start);
            return result;
        }
        for ((_, samples), &i) in tracks.iter().zip(&indices) {
            if let Some(last) = samples.last() {
                self.ends[i] = Some(last.decode_time + i64::from(last.duration));
            }
        }
        self.last_sequence = Some(sequence_number);
        Ok(())
    }

    fn write_fragment(
        &self,
        out: &mut Vec<u8>,
        sequence_number: u32,
        tracks: &[(u32, &[Sample])],
        indices: &[usize],
        payload: u64,
    ) -> Result<(), MuxError> {
        let samples_total: usize = tracks.iter().map(|(_, s)| s.len()).sum();
        let estimate = 32 + tracks.len() * 80 + samples_total * 16 + 16;
        out.reserve(estimate + usize::try_from(payload).map_err(|_| MuxError::TooLarge { what: "fragment" })?);
        let moof = boxes::begin(out, b"moof");
        boxes::atom(out, &Mfhd { sequence_number })?;
        let mut offset_fields = Vec::with_capacity(tracks.len());
        for ((track_id, samples), &i) in tracks.iter().zip(indices) {
            let traf = boxes::begin(out, b"traf");
            boxes::atom(out, &Tfhd { track_id: *track_id, default_base_is_moof: true, ..Tfhd::default() })?;
            // check_run made sure the first decode time is not negative.
            let base = samples.first().map_or(0, |s| s.decode_time.max(0) as u64);
            boxes::tfdt(out, base)?;
            offset_fields.push(boxes::trun(out, samples, self.tracks[i].is_video())?);
            boxes::end(out, traf)?;
        }
        boxes::end(out, moof)?;
        let moof_size = (out.len() - moof) as u64;
        let header = boxes::mdat_header(out, payload) as u64;
        let mut data_offset = moof_size + header;
        for (at, (_, samples)) in offset_fields.into_iter().zip(tracks) {
            let value = i32::try_from(data_offset).map_err(|_| MuxError::TooLarge { what: "trun data offset" })?;
            out[at..at + 4].copy_from_slice(&value.to_be_bytes());
            data_offset += samples.iter().map(|s| s.data.len() as u64).sum::<u64>();
        }
        for (_, samples) in tracks {
            for s in *samples {
                out.extend_from_slice(&s.data);
            }
        }
        Ok(())
    }
}

/// `ftyp` of init segments: CMAF brands for one track, plain ISO BMFF
/// brands for several.
/// `ftyp` of an init segment: CMAF brands for one track without an edit
/// list (`cmf2` forbids them), plain ISO brands otherwise.
fn ftyp(out: &mut Vec<u8>, tracks: usize, edits: bool) -> Result<(), MuxError> {
    let (major, compatible) = if tracks == 1 && !edits { CMAF_INIT_BRANDS } else { MUXED_INIT_BRANDS };
    let ftyp = Ftyp {
        major_brand: major.into(),
        minor_version: 0,
        compatible_brands: compatible.iter().map(Into::into).collect(),
    };
    boxes::atom(out, &ftyp)
}

/// Checks one track's samples for a fragment or a file: non-empty,
/// decode times non-negative, not before `previous_end`, each sample
/// starting where the previous one ended, sizes within 32 bits.
pub(crate) fn check_run(track_id: u32, samples: &[Sample], previous_end: Option<i64>) -> Result<(), MuxError> {
    let first = samples.first().ok_or(MuxError::NoSamples { track_id })?;
    if first.decode_time < 0 {
        return Err(MuxError::NegativeDecodeTime { track_id, decode_time: first.decode_time });
    }
    if let Some(previous) = previous_end {
        if first.decode_time < previous {
            return Err(MuxError::DecodeTimeDecreased { track_id, previous, found: first.decode_time });
        }
    }
    for (index, pair) in samples.windows(2).enumerate() {
        let (a, b) = (&pair[0], &pair[1]);
        if b.decode_time < a.decode_time {
            return Err(MuxError::DecodeTimeDecreased { track_id, previous: a.decode_time, found: b.decode_time });
        }
        let expected =
            a.decode_time.checked_add(i64::from(a.duration)).ok_or(MuxError::TooLarge { what: "decode time" })?;
        if b.decode_time != expected {
            return Err(MuxError::DurationMismatch { track_id, index: index + 1, expected, found: b.decode_time });
        }
    }
    if samples.iter().any(|s| s.data.len() > u32::MAX as usize) {
        return Err(MuxError::TooLarge { what: "sample" });
    }
    let last = samples.last().unwrap_or(first);
    last.decode_time.checked_add(i64::from(last.duration)).ok_or(MuxError::TooLarge { what: "decode time" })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aac() -> TrackConfig {
        crate::mux::test_tracks::aac_track(1)
    }

    fn run(start: i64, n: usize) -> Vec<Sample> {
        (0..n)
            .map(|i| Sample {
                decode_time: start + 1024 * i as i64,
                composition_offset: 0,
                duration: 1024,
                keyframe: true,
                data: vec![i as u8; 4],
            })
            .collect()
    }

    fn find(haystack: &[u8], fourcc: &[u8; 4]) -> usize {
        haystack.windows(4).position(|w| w == fourcc).expect("box present") - 4
    }

    #[test]
    fn fragment_layout_and_data_offset() {
        let mut w = CmafWriter::new(vec![aac()]).unwrap();
        let samples = run(0, 3);
        let f = w.fragment(7, &[(1, &samples)]).unwrap();
        let moof_size = u32::from_be_bytes(f[0..4].try_into().unwrap()) as usize;
        assert_eq!(&f[moof_size + 4..moof_size + 8], b"mdat");
        assert_eq!(&f[moof_size + 8..], &[0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
        let mfhd = find(&f, b"mfhd");
        assert_eq!(&f[mfhd + 12..mfhd + 16], &7u32.to_be_bytes());
        let tfhd = find(&f, b"tfhd");
        assert_eq!(&f[tfhd + 8..tfhd + 16], &[0, 2, 0, 0, 0, 0, 0, 1]); // default-base-is-moof, track 1
        let trun = find(&f, b"trun");
        assert_eq!(&f[trun + 8..trun + 12], &[0, 0, 7, 1]); // audio: version 0
        let offset = u32::from_be_bytes(f[trun + 16..trun + 20].try_into().unwrap()) as usize;
        assert_eq!(offset, moof_size + 8);
    }

    #[test]
    fn inputs_are_validated_without_changing_state() {
        let mut w = CmafWriter::new(vec![aac()]).unwrap();
        let empty: Vec<Sample> = Vec::new();
        assert_eq!(w.fragment(1, &[(1, &empty)]), Err(MuxError::NoSamples { track_id: 1 }));
        assert_eq!(w.fragment(1, &[]), Err(MuxError::NoTracks));
        assert_eq!(w.fragment(1, &[(9, &run(0, 1))]), Err(MuxError::UnknownTrack { track_id: 9 }));
        let mut backwards = run(0, 3);
        backwards[2].decode_time = 0;
        assert!(matches!(w.fragment(1, &[(1, &backwards)]), Err(MuxError::DecodeTimeDecreased { .. })));
        let mut gap = run(0, 3);
        gap[2].decode_time += 1;
        assert!(matches!(w.fragment(1, &[(1, &gap)]), Err(MuxError::DurationMismatch { index: 2, .. })));
        let mut negative = run(0, 1);
        negative[0].decode_time = -1;
        assert!(matches!(w.fragment(1, &[(1, &negative)]), Err(MuxError::NegativeDecodeTime { .. })));
        let one = run(0, 2);
        assert!(matches!(w.fragment(1, &[(1, &one), (1, &one)]), Err(MuxError::DuplicateTrack { .. })));
        // Nothing above consumed state: sequence 1 at time 0 still works.
        w.fragment(1, &[(1, &one)]).unwrap();
        assert!(matches!(w.fragment(1, &[(1, &run(2048, 1))]), Err(MuxError::SequenceNotIncreasing { .. })));
        assert!(matches!(w.fragment(2, &[(1, &run(1024, 1))]), Err(MuxError::DecodeTimeDecreased { .. })));
        w.fragment(2, &[(1, &run(2048, 1))]).unwrap();
    }

    #[test]
    fn large_decode_times_use_tfdt_version_1() {
        let mut w = CmafWriter::new(vec![aac()]).unwrap();
        let f = w.fragment(1, &[(1, &run(1 << 33, 1))]).unwrap();
        let tfdt = find(&f, b"tfdt");
        assert_eq!(f[tfdt + 8], 1);
        assert_eq!(&f[tfdt + 12..tfdt + 20], &(1u64 << 33).to_be_bytes());
    }

    #[test]
    fn sidx_layout() {
        let refs = [
            SidxReference { size: 1000, duration: 96_000, starts_with_sap: true },
            SidxReference { size: 900, duration: 48_000, starts_with_sap: false },
        ];
        let b = sidx(1, Timescale::new(48_000).unwrap(), 0, 0, &refs).unwrap();
        assert_eq!(b.len(), 12 + 16 + 4 + 24);
        assert_eq!(&b[4..12], b"sidx\0\0\0\0");
        assert_eq!(&b[12..20], &[0, 0, 0, 1, 0, 0, 0xbb, 0x80]); // reference_ID 1, timescale 48000
        assert_eq!(&b[28..32], &[0, 0, 0, 2]); // reserved, reference_count 2
        assert_eq!(&b[32..44], &[0, 0, 0x03, 0xe8, 0, 1, 0x77, 0, 0x90, 0, 0, 0]);
        assert_eq!(&b[44..56], &[0, 0, 0x03, 0x84, 0, 0, 0xbb, 0x80, 0, 0, 0, 0]);
        let v1 = sidx(1, Timescale::new(48_000).unwrap(), 1 << 32, 0, &refs).unwrap();
        assert_eq!(v1[8], 1);
        assert_eq!(v1.len(), b.len() + 8);
        let big = [SidxReference { size: 0x8000_0000, duration: 1, starts_with_sap: true }];
        assert!(sidx(1, Timescale::MPEG, 0, 0, &big).is_err());
    }

    #[test]
    fn bitrate_from_samples() {
        // 48 frames of 100 bytes = 1.024 s at 48 kHz.
        let mut samples = run(0, 48);
        for s in &mut samples {
            s.data = vec![0; 100];
        }
        samples[10].data = vec![0; 400];
        let b = Bitrate::from_samples(&samples, Timescale::new(48_000).unwrap());
        assert_eq!(b.buffer_size, 400);
        assert_eq!(b.avg_bitrate, (5100u64 * 8 * 48_000 / (48 * 1024)) as u32);
        assert_eq!(b.max_bitrate, 5000 * 8); // any 1 s window holds 47 frames, one of them the big one
        assert_eq!(Bitrate::from_samples(&[], Timescale::MPEG), Bitrate::default());
    }
}
