//! Progressive MP4 writer: one "fast start" file (`ftyp`, `moov`, then a
//! single `mdat`) from complete sample lists, as Elastic Transcoder's MP4
//! container output was.
//!
//! ```
//! use framecast::codec::CodecConfig;
//! use framecast::mux::{mp4::{progressive_mp4, Mp4Options}, Sample, TrackConfig};
//! use framecast::time::Timescale;
//!
//! let track = TrackConfig::new(1, Timescale::new(48_000).unwrap(),
//!     CodecConfig::Aac { asc: vec![0x11, 0x90], sample_rate: 48_000, channels: 2 });
//! let samples: Vec<Sample> = (0..3)
//!     .map(|i| Sample { decode_time: i * 1024, composition_offset: 0, duration: 1024,
//!                       keyframe: true, data: vec![0x21; 10] })
//!     .collect();
//! let file = progressive_mp4(&[(&track, &samples)], &Mp4Options::default())?;
//! assert_eq!(&file[4..12], b"ftypisom");
//! # Ok::<(), framecast::mux::error::MuxError>(())
//! ```
//!
//! Layout and box choices:
//! - `ftyp`: major `isom` (minor 0x200), compatible `isom`, `iso2`, `avc1`
//!   (with an H.264 track) and `mp41`: what ffmpeg writes, which every
//!   player accepts.
//! - Samples are stored in chunks of at most [`Mp4Options::chunk_duration`]
//!   per track, interleaved by decode time, so a player streaming the file
//!   reads audio and video together.
//! - Sample tables: `stts` and `ctts` run-length coded (`ctts` only when an
//!   offset is non-zero, version 1 only when one is negative), `stss` only
//!   when some sample is not a keyframe, `stsz` with one shared size when
//!   all are equal, `stsc` run-length coded, and `stco`, or `co64` once an
//!   offset passes 4 GiB.
//! - Edit list (`edts`/`elst`) only when needed: an empty edit when a
//!   track starts later than the earliest track, and a media edit skipping
//!   the composition delay when its first presentation time is after its
//!   first decode time (B-frames with positive offsets). The file's
//!   timeline starts at the earliest presentation time of all tracks, so
//!   presentation times in the file are the samples' own
//!   `decode_time + composition_offset` minus that start (unchanged when a
//!   track starts at zero), and tracks stay in sync.
//! - `mvhd`/`tkhd`/`mdhd`: version 0 unless a duration needs 64 bits;
//!   `btrt` and the AAC `esds` carry the measured bitrates.

use mp4_atom::{
    Co64, Ctts, CttsEntry, Elst, ElstEntry, FixedPoint, Ftyp, Stco, Stsc, StscEntry, Stss, Stsz, StszSamples, Stts,
    SttsEntry,
};

use super::boxes::{self, PreparedTrack, TrakTimes};
use super::cmaf::{check_run, Bitrate, MOVIE_TIMESCALE};
use super::error::MuxError;
use super::{Sample, TrackConfig};
use crate::codec::CodecConfig;
use crate::time::{Timescale, Timestamp};

/// Options of [`progressive_mp4`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mp4Options {
    /// Longest stretch of one track stored contiguously (one chunk).
    /// Default 500 ms.
    pub chunk_duration: Timestamp,
}

impl Default for Mp4Options {
    fn default() -> Self {
        Mp4Options { chunk_duration: Timestamp::from_millis(500) }
    }
}

/// A progressive MP4 file holding every track with all of its samples.
///
/// Each track needs at least one sample; sample lists must be contiguous
/// (each sample starts where the previous one ends) with non-negative
/// decode times. Tracks are written in the order given.
pub fn progressive_mp4(tracks: &[(&TrackConfig, &[Sample])], options: &Mp4Options) -> Result<Vec<u8>, MuxError> {
    let trimmed: Vec<(&TrackConfig, &[Sample], Trim)> = tracks.iter().map(|&(c, s)| (c, s, Trim::default())).collect();
    progressive_mp4_trimmed(&trimmed, options)
}

/// Media a track holds but does not present, in its own ticks: the
/// encoder's priming at the start and the padding of its last frame at
/// the end (AAC, Opus, MP3 encoders add both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Trim {
    /// Ticks skipped at the start. The track's presentation still starts
    /// at its first sample's presentation time: the skipped media sits
    /// before it.
    pub start: u32,
    /// Ticks cut at the end.
    pub end: u32,
}

/// [`progressive_mp4`] with each track's [`Trim`], written as its edit
/// list (a media edit from `start` lasting what remains), so players and
/// ffmpeg present exactly the encoder's input.
pub fn progressive_mp4_trimmed(
    tracks: &[(&TrackConfig, &[Sample], Trim)],
    options: &Mp4Options,
) -> Result<Vec<u8>, MuxError> {
    let configs: Vec<TrackConfig> = tracks.iter().map(|(c, _, _)| (*c).clone()).collect();
    let prepared = boxes::prepare_tracks(&configs)?;
    let mut plans = Vec::with_capacity(tracks.len());
    for (track, (_, samples, trim)) in prepared.iter().zip(tracks) {
        check_run(track.id(), samples, None)?;
        let plan = TrackPlan::new(track, samples, options, *trim);
        if plan.presented() <= 0 {
            return Err(MuxError::InvalidTrack {
                track_id: track.id(),
                field: "trim",
                reason: "leaves nothing to present".into(),
            });
        }
        plans.push(plan);
    }
    let samples: Vec<(&TrackConfig, &[Sample])> = tracks.iter().map(|&(c, s, _)| (c, s)).collect();
    write_file(&prepared, &samples, &mut plans, false)
}

/// Everything about one track's sample tables except chunk offsets.
struct TrackPlan {
    stts: Stts,
    ctts: Option<Ctts>,
    stss: Option<Stss>,
    stsz: Stsz,
    /// (first sample index, sample count) of each chunk.
    chunks: Vec<(usize, usize)>,
    /// Chunk offsets relative to the start of the `mdat` payload.
    offsets: Vec<u64>,
    /// Media duration, media timescale.
    duration: u64,
    /// First decode time and first / last-ending presentation time.
    first_dts: i64,
    first_pts: i64,
    end_pts: i64,
    trim: Trim,
    bitrate: Bitrate,
}

impl TrackPlan {
    fn new(track: &PreparedTrack, samples: &[Sample], options: &Mp4Options, trim: Trim) -> TrackPlan {
        let timescale = track.config.timescale;
        let mut stts: Vec<SttsEntry> = Vec::new();
        for s in samples {
            match stts.last_mut() {
                Some(e) if e.sample_delta == s.duration => e.sample_count += 1,
                _ => stts.push(SttsEntry { sample_count: 1, sample_delta: s.duration }),
            }
        }
        let ctts = samples.iter().any(|s| s.composition_offset != 0).then(|| {
            let mut entries: Vec<CttsEntry> = Vec::new();
            for s in samples {
                let offset = i64::from(s.composition_offset);
                match entries.last_mut() {
                    Some(e) if e.sample_offset == offset => e.sample_count += 1,
                    _ => entries.push(CttsEntry { sample_count: 1, sample_offset: offset }),
                }
            }
            Ctts { entries }
        });
        let stss = samples.iter().any(|s| !s.keyframe).then(|| Stss {
            entries: samples.iter().enumerate().filter(|(_, s)| s.keyframe).map(|(i, _)| i as u32 + 1).collect(),
        });
        let first_size = samples.first().map_or(0, |s| s.data.len());
        let stsz = if samples.iter().all(|s| s.data.len() == first_size) {
            Stsz { samples: StszSamples::Identical { count: samples.len() as u32, size: first_size as u32 } }
        } else {
            Stsz { samples: StszSamples::Different { sizes: samples.iter().map(|s| s.data.len() as u32).collect() } }
        };
        let chunk_ticks = options.chunk_duration.rescale(timescale).ticks.max(1);
        let mut chunks: Vec<(usize, usize)> = Vec::new();
        let mut chunk_start = i64::MIN;
        for (i, s) in samples.iter().enumerate() {
            match chunks.last_mut() {
                Some(c) if (s.decode_time as i128) - (chunk_start as i128) < chunk_ticks as i128 => c.1 += 1,
                _ => {
                    chunks.push((i, 1));
                    chunk_start = s.decode_time;
                }
            }
        }
        let pts = |s: &Sample| s.decode_time.saturating_add(i64::from(s.composition_offset));
        TrackPlan {
            stts: Stts { entries: stts },
            ctts,
            stss,
            stsz,
            offsets: vec![0; chunks.len()],
            chunks,
            duration: samples.iter().map(|s| u64::from(s.duration)).sum(),
            first_dts: samples.first().map_or(0, |s| s.decode_time),
            first_pts: samples.iter().map(pts).min().unwrap_or(0),
            end_pts: samples.iter().map(|s| pts(s).saturating_add(i64::from(s.duration))).max().unwrap_or(0),
            trim,
            bitrate: Bitrate::from_samples(samples, timescale),
        }
    }

    /// The track's first presentation time in the movie timescale.
    fn start_in_movie(&self, timescale: Timescale) -> i64 {
        Timestamp::new(self.first_pts, timescale).rescale(movie_timescale()).ticks
    }

    /// Media ticks presented: from the first presentation time (after the
    /// composition delay and the trimmed start) to the trimmed end.
    fn presented(&self) -> i64 {
        let start = self.first_pts.max(self.first_dts).saturating_add(i64::from(self.trim.start));
        self.end_pts.saturating_sub(i64::from(self.trim.end)).saturating_sub(start)
    }

    /// The edit list and the `tkhd` duration (movie timescale). `origin`
    /// is the earliest [`Self::start_in_movie`] of all tracks: the file's
    /// presentation starts there.
    fn edits(&self, timescale: Timescale, origin: i64) -> (Option<Elst>, u64) {
        let to_movie = |ticks: i64| Timestamp::new(ticks, timescale).rescale(movie_timescale()).ticks.max(0) as u64;
        let empty = self.start_in_movie(timescale).saturating_sub(origin).max(0) as u64;
        let skip = self.first_pts.saturating_sub(self.first_dts).max(0).saturating_add(i64::from(self.trim.start));
        let presented = to_movie(self.presented());
        if empty == 0 && skip == 0 && self.trim == Trim::default() {
            return (None, to_movie(i64::try_from(self.duration).unwrap_or(i64::MAX)));
        }
        let mut entries = Vec::with_capacity(2);
        if empty > 0 {
            entries.push(ElstEntry { segment_duration: empty, media_time: None, media_rate: FixedPoint::new(1, 0) });
        }
        entries.push(ElstEntry {
            segment_duration: presented,
            media_time: Some(skip as u64),
            media_rate: FixedPoint::new(1, 0),
        });
        (Some(Elst { entries }), empty.saturating_add(presented))
    }
}

fn movie_timescale() -> Timescale {
    Timescale::new(MOVIE_TIMESCALE).unwrap_or(Timescale::MILLIS)
}

/// `ftyp` of progressive files.
fn ftyp(out: &mut Vec<u8>, tracks: &[PreparedTrack]) -> Result<(), MuxError> {
    let mut brands: Vec<mp4_atom::FourCC> = vec![b"isom".into(), b"iso2".into()];
    if tracks.iter().any(|t| matches!(t.config.codec, CodecConfig::Avc { .. })) {
        brands.push(b"avc1".into());
    }
    brands.push(b"mp41".into());
    boxes::atom(out, &Ftyp { major_brand: b"isom".into(), minor_version: 0x200, compatible_brands: brands })
}

/// `moov` with every track's sample tables; chunk offsets are `base` plus
/// the planned offsets, in `co64` boxes when `co64` is set.
fn moov(
    out: &mut Vec<u8>,
    tracks: &[PreparedTrack],
    plans: &[TrackPlan],
    base: u64,
    co64: bool,
) -> Result<(), MuxError> {
    let start = boxes::begin(out, b"moov");
    let origin = tracks.iter().zip(plans).map(|(t, p)| p.start_in_movie(t.config.timescale)).min().unwrap_or(0);
    let edits: Vec<(Option<Elst>, u64)> =
        tracks.iter().zip(plans).map(|(t, p)| p.edits(t.config.timescale, origin)).collect();
    let duration = edits.iter().map(|e| e.1).max().unwrap_or(0);
    let next_track_id = tracks.iter().map(|t| t.id()).max().unwrap_or(0).saturating_add(1);
    boxes::mvhd(out, MOVIE_TIMESCALE, duration, next_track_id)?;
    for ((track, plan), (elst, tkhd_duration)) in tracks.iter().zip(plans).zip(&edits) {
        let times = TrakTimes {
            tkhd_duration: *tkhd_duration,
            mdhd_duration: plan.duration,
            edits: elst.as_ref(),
            bitrate: Some(plan.bitrate),
        };
        boxes::trak(out, track, &times, |out| {
            boxes::atom(out, &plan.stts)?;
            if let Some(ctts) = &plan.ctts {
                boxes::atom(out, ctts)?;
            }
            if let Some(stss) = &plan.stss {
                boxes::atom(out, stss)?;
            }
            boxes::atom(out, &stsc(&plan.chunks))?;
            boxes::atom(out, &plan.stsz)?;
            if co64 {
                boxes::atom(out, &Co64 { entries: plan.offsets.iter().map(|o| base + o).collect() })
            } else {
                let entries = plan
                    .offsets
                    .iter()
                    .map(|o| u32::try_from(base + o).map_err(|_| MuxError::TooLarge { what: "stco offset" }))
                    .collect::<Result<Vec<u32>, MuxError>>()?;
                boxes::atom(out, &Stco { entries })
            }
        })?;
    }
    boxes::end(out, start)
}

/// `stsc`: run-length coded samples per chunk (one sample description).
fn stsc(chunks: &[(usize, usize)]) -> Stsc {
    let mut entries: Vec<StscEntry> = Vec::new();
    for (i, &(_, count)) in chunks.iter().enumerate() {
        if entries.last().is_none_or(|e| e.samples_per_chunk != count as u32) {
            entries.push(StscEntry {
                first_chunk: i as u32 + 1,
                samples_per_chunk: count as u32,
                sample_description_index: 1,
            });
        }
    }
    Stsc { entries }
}

/// Orders the chunks of all tracks by decode time, assigns their offsets
/// in the payload, and writes the file. `force_co64` is for tests.
fn write_file(
    tracks: &[PreparedTrack],
    samples: &[(&TrackConfig, &[Sample])],
    plans: &mut [TrackPlan],
    force_co64: bool,
) -> Result<Vec<u8>, MuxError> {
    // (track, chunk) in file order: by first decode time in seconds, then track order.
    let mut order: Vec<(usize, usize)> =
        plans.iter().enumerate().flat_map(|(t, p)| (0..p.chunks.len()).map(move |c| (t, c))).collect();
    let start_of = |&(t, c): &(usize, usize)| -> (i128, i128) {
        let s = &samples[t].1[plans[t].chunks[c].0];
        (s.decode_time as i128, i128::from(tracks[t].timescale()))
    };
    order.sort_by(|a, b| {
        let ((ta, sa), (tb, sb)) = (start_of(a), start_of(b));
        (ta * sb).cmp(&(tb * sa)).then(a.0.cmp(&b.0))
    });
    let mut payload = 0u64;
    for &(t, c) in &order {
        plans[t].offsets[c] = payload;
        let (first, count) = plans[t].chunks[c];
        payload += samples[t].1[first..first + count].iter().map(|s| s.data.len() as u64).sum::<u64>();
    }
    let mut head = Vec::new();
    ftyp(&mut head, tracks)?;
    let ftyp_len = head.len() as u64;
    let mdat_header_len = if u32::try_from(payload + 8).is_ok() { 8 } else { 16 };
    let mut probe = Vec::new();
    moov(&mut probe, tracks, plans, 0, false)?;
    let last_offset = plans.iter().flat_map(|p| p.offsets.iter().copied()).max().unwrap_or(0);
    let co64 = force_co64 || ftyp_len + probe.len() as u64 + mdat_header_len + last_offset > u64::from(u32::MAX);
    if co64 {
        probe.clear();
        moov(&mut probe, tracks, plans, 0, true)?;
    }
    let base = ftyp_len + probe.len() as u64 + mdat_header_len;
    let total = usize::try_from(base + payload).map_err(|_| MuxError::TooLarge { what: "file" })?;
    let mut out = head;
    out.reserve(total - out.len());
    moov(&mut out, tracks, plans, base, co64)?;
    boxes::mdat_header(&mut out, payload);
    debug_assert_eq!(out.len() as u64, base);
    for &(t, c) in &order {
        let (first, count) = plans[t].chunks[c];
        for s in &samples[t].1[first..first + count] {
            out.extend_from_slice(&s.data);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::mux::test_tracks::aac_track as aac;

    fn samples(n: usize, len: impl Fn(usize) -> usize) -> Vec<Sample> {
        (0..n)
            .map(|i| Sample {
                decode_time: 1024 * i as i64,
                composition_offset: 0,
                duration: 1024,
                keyframe: true,
                data: vec![i as u8; len(i)],
            })
            .collect()
    }

    fn find(haystack: &[u8], fourcc: &[u8; 4]) -> Option<usize> {
        haystack.windows(4).position(|w| w == fourcc).map(|p| p - 4)
    }

    #[test]
    fn stsc_is_run_length_coded() {
        let s = stsc(&[(0, 24), (24, 24), (48, 24), (72, 3)]);
        assert_eq!(s.entries.len(), 2);
        assert_eq!((s.entries[0].first_chunk, s.entries[0].samples_per_chunk), (1, 24));
        assert_eq!((s.entries[1].first_chunk, s.entries[1].samples_per_chunk), (4, 3));
    }

    #[test]
    fn tables_are_compact_and_offsets_point_at_the_data() {
        let track = aac(1);
        let s = samples(50, |_| 6);
        let file = progressive_mp4(&[(&track, &s)], &Mp4Options::default()).unwrap();
        // 500 ms chunks of 1024-sample frames at 48 kHz: 24 frames each.
        let stsc = find(&file, b"stsc").unwrap();
        assert_eq!(&file[stsc + 12..stsc + 16], &[0, 0, 0, 2]);
        let stsz = find(&file, b"stsz").unwrap();
        assert_eq!(&file[stsz + 12..stsz + 20], &[0, 0, 0, 6, 0, 0, 0, 50]); // one size for all
        assert!(find(&file, b"stss").is_none() && find(&file, b"ctts").is_none() && find(&file, b"edts").is_none());
        let stco = find(&file, b"stco").unwrap();
        assert_eq!(&file[stco + 12..stco + 16], &[0, 0, 0, 3]);
        let first = u32::from_be_bytes(file[stco + 16..stco + 20].try_into().unwrap()) as usize;
        let mdat = find(&file, b"mdat").unwrap();
        assert_eq!(first, mdat + 8);
        assert_eq!(&file[first..first + 6], &[0; 6]);
        let second = u32::from_be_bytes(file[stco + 20..stco + 24].try_into().unwrap()) as usize;
        assert_eq!(&file[second..second + 6], &[24; 6]);
    }

    #[test]
    fn co64_when_forced_and_ctts_stss_edts_when_needed() {
        let track = aac(1);
        let mut s = samples(4, |i| i + 1);
        s[1].keyframe = false;
        for x in &mut s {
            x.composition_offset = 1024;
        }
        let configs = [(&track, s.as_slice())];
        let prepared = boxes::prepare_tracks(std::slice::from_ref(&track)).unwrap();
        let mut plans = vec![TrackPlan::new(&prepared[0], &s, &Mp4Options::default(), Trim::default())];
        let file = write_file(&prepared, &configs, &mut plans, true).unwrap();
        let co64 = find(&file, b"co64").unwrap();
        let offset = u64::from_be_bytes(file[co64 + 16..co64 + 24].try_into().unwrap()) as usize;
        assert_eq!(&file[offset..offset + 3], &[0, 1, 1]);
        let stss = find(&file, b"stss").unwrap();
        assert_eq!(&file[stss + 12..stss + 24], &[0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 3]);
        let ctts = find(&file, b"ctts").unwrap();
        assert_eq!(&file[ctts + 8..ctts + 24], &[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 4, 0]);
        // First presentation 1024 ticks after the first decode time: one
        // media edit that skips them, lasting 4096 ticks (85 ms).
        let elst = find(&file, b"elst").unwrap();
        assert_eq!(&file[elst + 12..elst + 16], &[0, 0, 0, 1]);
        assert_eq!(&file[elst + 16..elst + 28], &[0, 0, 0, 85, 0, 0, 4, 0, 0, 1, 0, 0]);
    }

    #[test]
    fn a_trim_becomes_a_media_edit() {
        let track = aac(1);
        let s = samples(10, |_| 1); // 10 x 1024 ticks at 48 kHz
        let trim = Trim { start: 2048, end: 1000 };
        let file = progressive_mp4_trimmed(&[(&track, &s, trim)], &Mp4Options::default()).unwrap();
        let elst = find(&file, b"elst").unwrap();
        assert_eq!(&file[elst + 12..elst + 16], &[0, 0, 0, 1]);
        // (10240 - 2048 - 1000) ticks = 149.8 ms presented, from media time 2048.
        assert_eq!(&file[elst + 16..elst + 28], &[0, 0, 0, 150, 0, 0, 8, 0, 0, 1, 0, 0]);
        let too_much = Trim { start: 10_240, end: 0 };
        assert!(matches!(
            progressive_mp4_trimmed(&[(&track, &s, too_much)], &Mp4Options::default()),
            Err(MuxError::InvalidTrack { field: "trim", .. })
        ));
    }

    #[test]
    fn a_track_starting_late_gets_an_empty_edit() {
        let (a, b) = (aac(1), aac(2));
        let sa = samples(10, |_| 1);
        let mut sb = samples(10, |_| 1);
        for s in &mut sb {
            s.decode_time += 48_000;
        }
        let file = progressive_mp4(&[(&a, &sa), (&b, &sb)], &Mp4Options::default()).unwrap();
        let edits: Vec<usize> = file.windows(4).enumerate().filter(|(_, w)| w == b"elst").map(|(p, _)| p - 4).collect();
        assert_eq!(edits.len(), 1, "only the late track has an edit list");
        let elst = edits[0];
        assert!(elst > find(&file, b"tkhd").unwrap() + 92, "in the second trak");
        assert_eq!(&file[elst + 16..elst + 24], &[0, 0, 0x03, 0xe8, 0xff, 0xff, 0xff, 0xff]); // 1000 ms empty
        assert_eq!(&file[elst + 28..elst + 36], &[0, 0, 0, 213, 0, 0, 0, 0]); // then all 213 ms of media
                                                                              // Both tracks shifted together: a lone track starting late has no edit.
        let alone = progressive_mp4(&[(&b, &sb)], &Mp4Options::default()).unwrap();
        assert!(find(&alone, b"elst").is_none());
    }

    #[test]
    fn tracks_are_interleaved_by_decode_time() {
        let (a, b) = (aac(1), aac(2));
        let sa = samples(48, |_| 1);
        let sb = samples(48, |_| 2);
        let file = progressive_mp4(&[(&a, &sa), (&b, &sb)], &Mp4Options::default()).unwrap();
        let mdat = find(&file, b"mdat").unwrap() + 8;
        // Chunk order: a0 (24 x 1 byte), b0 (24 x 2 bytes), a1, b1.
        assert_eq!(file.len() - mdat, 48 * 3);
        assert_eq!(&file[mdat + 24..mdat + 26], &[0, 0]);
        assert_eq!(file[mdat + 23], 23);
        assert_eq!(file[mdat + 24 + 48], 24);
    }

    #[test]
    fn bad_input_is_rejected() {
        let track = aac(1);
        assert!(matches!(progressive_mp4(&[(&track, &[])], &Mp4Options::default()), Err(MuxError::NoSamples { .. })));
        assert!(matches!(progressive_mp4(&[], &Mp4Options::default()), Err(MuxError::NoTracks)));
        let s = samples(2, |_| 1);
        assert!(matches!(
            progressive_mp4(&[(&track, &s), (&track, &s)], &Mp4Options::default()),
            Err(MuxError::DuplicateTrack { .. })
        ));
    }
}
