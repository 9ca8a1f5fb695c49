//! The movie box (`moov`, ISO/IEC 14496-12 8.2): tracks, their codec
//! configurations, edit lists and fragment defaults; and init segments.

use super::boxes::{self, Bx};
use super::codec;
use super::error::{FourCc, ReadError};
use super::table::StblBoxes;
use super::ReadOptions;
use crate::codec::TrackKind;
use crate::mux::TrackConfig;
use crate::time::Timescale;

/// The tracks of a movie, from its `moov` box (and `ftyp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movie {
    major_brand: Option<FourCc>,
    compatible_brands: Vec<FourCc>,
    timescale: Timescale,
    duration: u64,
    tracks: Vec<Track>,
    skipped_tracks: Vec<SkippedTrack>,
    fragmented: bool,
    /// `(track ID, index in tracks)`, sorted by ID.
    index: Vec<(u32, usize)>,
    /// IDs of the skipped tracks, sorted.
    skipped_ids: Vec<u32>,
}

/// One video or audio track.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Track {
    /// ID (from `tkhd`), timescale and language (from `mdhd`) and codec
    /// configuration (from the sample entry).
    pub config: TrackConfig,
    /// Video or audio, from the `hdlr` handler type (`vide` or `soun`).
    pub kind: TrackKind,
    /// The `hdlr` handler type.
    pub handler: FourCc,
    /// The sample entry type: `avc1`, `avc3`, `mp4a`, `Opus` or `fLaC`.
    pub sample_entry: FourCc,
    /// Duration in ticks of the track's timescale, from `mdhd` (0 in
    /// fragmented files, where the fragments carry the samples).
    pub duration: u64,
    /// The edit list (`elst`), empty when there is none.
    pub edits: Vec<Edit>,
    /// Ticks to add to a sample's decode and presentation times to place it
    /// on the movie's presentation timeline, as the edit list defines for
    /// the common case: the duration of a leading empty edit (rescaled from
    /// the movie timescale) minus the media time of the first media edit.
    /// For example -1024 for AAC with 1024 samples of encoder delay, or
    /// minus the B-frame delay for H.264. 0 without an edit list. Further
    /// edits (cuts, rate changes) are listed in `edits` but not applied.
    pub presentation_offset: i64,
    /// Clockwise rotation, in degrees (0, 90, 180 or 270), that the `tkhd`
    /// matrix asks players to apply when showing the pictures: what phones
    /// write for portrait video. 0 for the identity matrix and for any
    /// matrix that is not a quarter-turn rotation (mirrors, shears, scales).
    pub rotation: u16,
    /// The `trex` defaults for fragments; `None` when the movie is not
    /// fragmented.
    pub defaults: Option<TrackDefaults>,
}

/// One edit list entry (`elst`, ISO/IEC 14496-12 8.6.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edit {
    /// Duration of the edit in the movie timescale.
    pub segment_duration: u64,
    /// Where the edit starts in the media, in the track timescale; `None`
    /// for an empty edit (a gap).
    pub media_time: Option<u64>,
    /// Playback rate as 16.16 fixed point (`0x0001_0000` is normal speed).
    pub media_rate: i32,
}

/// Per-track defaults for samples in movie fragments (`trex`, ISO/IEC
/// 14496-12 8.8.3), which a `tfhd` may override.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrackDefaults {
    /// Sample description (sample entry) index, from 1.
    pub sample_description_index: u32,
    /// Duration in ticks.
    pub sample_duration: u32,
    /// Size in bytes.
    pub sample_size: u32,
    /// Sample flags (ISO/IEC 14496-12 8.8.3.1): dependency bits and
    /// `sample_is_non_sync_sample` (`0x0001_0000`).
    pub sample_flags: u32,
}

/// A track left out because [`ReadOptions::skip_unsupported_tracks`] was
/// set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedTrack {
    /// Its ID.
    pub track_id: u32,
    /// Why it was skipped ([`ReadError::UnsupportedCodec`],
    /// [`ReadError::UnsupportedObjectType`] or
    /// [`ReadError::UnsupportedTrack`]).
    pub reason: ReadError,
}

impl Movie {
    /// Parses an fMP4 init segment: `ftyp`, then a `moov` whose `mvex` has a
    /// `trex` for every track and whose sample tables are empty. Other
    /// top-level boxes (`free`, `uuid`, ...) are ignored; `moof` and `mdat`
    /// are rejected.
    pub fn from_init_segment(data: &[u8]) -> Result<Movie, ReadError> {
        Self::from_init_segment_with(data, &ReadOptions::default())
    }

    /// [`Movie::from_init_segment`] with options.
    pub fn from_init_segment_with(data: &[u8], options: &ReadOptions) -> Result<Movie, ReadError> {
        let mut ftyp = None;
        let mut moov = None;
        for bx in boxes::top_level(data) {
            let bx = bx?;
            match &bx.fourcc.0 {
                b"ftyp" => boxes::once(&mut ftyp, bx, None)?,
                b"moov" => boxes::once(&mut moov, bx, None)?,
                b"moof" | b"mdat" => {
                    return Err(ReadError::UnexpectedBox { fourcc: bx.fourcc, reason: "media data in an init segment" })
                }
                _ => {}
            }
        }
        let ftyp = ftyp.ok_or(ReadError::MissingBox { fourcc: FourCc(*b"ftyp"), parent: None })?;
        let moov = moov.ok_or(ReadError::MissingBox { fourcc: FourCc(*b"moov"), parent: None })?;
        let (mut movie, tables) = parse_moov(&moov, options)?;
        movie.set_brands(&ftyp)?;
        if !movie.fragmented {
            return Err(ReadError::MissingBox { fourcc: FourCc(*b"mvex"), parent: Some(moov.fourcc) });
        }
        for (track, stbl) in movie.tracks.iter().zip(&tables) {
            if stbl.declares_samples()? {
                return Err(ReadError::SampleTable {
                    track_id: track.config.id,
                    fourcc: FourCc(*b"stbl"),
                    reason: "an init segment's sample tables must be empty",
                });
            }
        }
        Ok(movie)
    }

    /// The `ftyp` major brand; `None` without `ftyp`.
    pub fn major_brand(&self) -> Option<FourCc> {
        self.major_brand
    }

    /// The `ftyp` compatible brands.
    pub fn compatible_brands(&self) -> &[FourCc] {
        &self.compatible_brands
    }

    /// The movie timescale (`mvhd`), the unit of edit list durations.
    pub fn timescale(&self) -> Timescale {
        self.timescale
    }

    /// The movie duration in the movie timescale (`mvhd`).
    pub fn duration(&self) -> u64 {
        self.duration
    }

    /// The video and audio tracks, in file order.
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// Tracks skipped under [`ReadOptions::skip_unsupported_tracks`].
    pub fn skipped_tracks(&self) -> &[SkippedTrack] {
        &self.skipped_tracks
    }

    /// Whether the `moov` has an `mvex`, i.e. samples may come in movie
    /// fragments.
    pub fn is_fragmented(&self) -> bool {
        self.fragmented
    }

    /// The track with ID `track_id`.
    pub fn track(&self, track_id: u32) -> Option<&Track> {
        self.track_index(track_id).and_then(|i| self.tracks.get(i))
    }

    /// Index in [`Movie::tracks`] of track `track_id`.
    pub(super) fn track_index(&self, track_id: u32) -> Option<usize> {
        let i = self.index.binary_search_by_key(&track_id, |&(id, _)| id).ok()?;
        self.index.get(i).map(|&(_, idx)| idx)
    }

    /// Whether track `track_id` was skipped.
    pub(super) fn is_skipped(&self, track_id: u32) -> bool {
        self.skipped_ids.binary_search(&track_id).is_ok()
    }

    pub(super) fn set_brands(&mut self, ftyp: &Bx<'_>) -> Result<(), ReadError> {
        let mut r = ftyp.reader();
        self.major_brand = Some(r.fourcc("major_brand")?);
        r.skip(4, "minor_version")?;
        self.compatible_brands = r.fourccs();
        Ok(())
    }
}

/// Parses `moov`: the movie and, for each of its tracks, the boxes of its
/// sample table.
pub(super) fn parse_moov<'a>(moov: &Bx<'a>, options: &ReadOptions) -> Result<(Movie, Vec<StblBoxes<'a>>), ReadError> {
    let parent = Some(moov.fourcc);
    let mut mvhd = None;
    let mut mvex = None;
    let mut traks = Vec::new();
    for bx in moov.children() {
        let bx = bx?;
        match &bx.fourcc.0 {
            b"mvhd" => boxes::once(&mut mvhd, bx, parent)?,
            b"mvex" => boxes::once(&mut mvex, bx, parent)?,
            b"trak" => traks.push(bx),
            _ => {}
        }
    }
    let mvhd_box = boxes::required(mvhd, b"mvhd", moov.fourcc)?;
    let mvhd: mp4_atom::Mvhd = boxes::leaf(&mvhd_box)?;
    let timescale = Timescale::new(mvhd.timescale).ok_or(ReadError::InvalidField {
        fourcc: mvhd_box.fourcc,
        field: "timescale",
        value: 0,
    })?;

    let mut tracks = Vec::new();
    let mut tables = Vec::new();
    let mut skipped_tracks = Vec::new();
    for trak in &traks {
        match parse_trak(trak, timescale) {
            Ok((track, stbl)) => {
                tracks.push(track);
                tables.push(stbl);
            }
            Err((track_id, e)) if options.skip_unsupported_tracks && e.is_unsupported_track() => {
                skipped_tracks.push(SkippedTrack { track_id, reason: e });
            }
            Err((_, e)) => return Err(e),
        }
    }

    let mut index: Vec<(u32, usize)> = tracks.iter().enumerate().map(|(i, t)| (t.config.id, i)).collect();
    index.sort_unstable();
    let duplicate = index.windows(2).find_map(|w| match w {
        [(a, _), (b, _)] if a == b => Some(*a),
        _ => None,
    });
    if let Some(track_id) = duplicate {
        return Err(ReadError::DuplicateTrack { track_id });
    }
    if let Some(s) = skipped_tracks.iter().find(|s| index.binary_search_by_key(&s.track_id, |&(id, _)| id).is_ok()) {
        return Err(ReadError::DuplicateTrack { track_id: s.track_id });
    }

    let fragmented = mvex.is_some();
    if let Some(mvex) = mvex {
        for bx in mvex.children() {
            let bx = bx?;
            if bx.fourcc != b"trex" {
                continue;
            }
            let trex: mp4_atom::Trex = boxes::leaf(&bx)?;
            let Ok(pos) = index.binary_search_by_key(&trex.track_id, |&(id, _)| id) else {
                continue; // a trex for a skipped or absent track
            };
            let Some(track) = index.get(pos).and_then(|&(_, i)| tracks.get_mut(i)) else {
                continue;
            };
            if track.defaults.is_some() {
                return Err(ReadError::DuplicateBox { fourcc: bx.fourcc, parent: Some(mvex.fourcc) });
            }
            track.defaults = Some(TrackDefaults {
                sample_description_index: trex.default_sample_description_index,
                sample_duration: trex.default_sample_duration,
                sample_size: trex.default_sample_size,
                sample_flags: trex.default_sample_flags,
            });
        }
        if tracks.iter().any(|t| t.defaults.is_none()) {
            return Err(ReadError::MissingBox { fourcc: FourCc(*b"trex"), parent: Some(mvex.fourcc) });
        }
    }

    let mut skipped_ids: Vec<u32> = skipped_tracks.iter().map(|s| s.track_id).collect();
    skipped_ids.sort_unstable();
    let movie = Movie {
        skipped_ids,
        major_brand: None,
        compatible_brands: Vec::new(),
        timescale,
        duration: mvhd.duration,
        tracks,
        skipped_tracks,
        fragmented,
        index,
    };
    Ok((movie, tables))
}

/// Parses one `trak`. Errors carry the track ID when it is known (0 before).
fn parse_trak<'a>(trak: &Bx<'a>, movie_timescale: Timescale) -> Result<(Track, StblBoxes<'a>), (u32, ReadError)> {
    let mut track_id = 0;
    parse_trak_inner(trak, movie_timescale, &mut track_id).map_err(|e| (track_id, e))
}

fn parse_trak_inner<'a>(
    trak: &Bx<'a>,
    movie_timescale: Timescale,
    track_id_out: &mut u32,
) -> Result<(Track, StblBoxes<'a>), ReadError> {
    let (mut tkhd, mut edts, mut mdia) = (None, None, None);
    for bx in trak.children() {
        let bx = bx?;
        match &bx.fourcc.0 {
            b"tkhd" => boxes::once(&mut tkhd, bx, Some(trak.fourcc))?,
            b"edts" => boxes::once(&mut edts, bx, Some(trak.fourcc))?,
            b"mdia" => boxes::once(&mut mdia, bx, Some(trak.fourcc))?,
            _ => {}
        }
    }
    let tkhd_box = boxes::required(tkhd, b"tkhd", trak.fourcc)?;
    let tkhd: mp4_atom::Tkhd = boxes::leaf(&tkhd_box)?;
    let track_id = tkhd.track_id;
    if track_id == 0 {
        return Err(ReadError::InvalidField { fourcc: tkhd_box.fourcc, field: "track_ID", value: 0 });
    }
    *track_id_out = track_id;

    let mut edits = Vec::new();
    if let Some(edts) = edts {
        let mut elst = None;
        for bx in edts.children() {
            let bx = bx?;
            if bx.fourcc == b"elst" {
                boxes::once(&mut elst, bx, Some(edts.fourcc))?;
            }
        }
        if let Some(elst) = elst {
            let elst: mp4_atom::Elst = boxes::leaf(&elst)?;
            edits = elst
                .entries
                .iter()
                .map(|e| Edit {
                    segment_duration: e.segment_duration,
                    media_time: e.media_time,
                    media_rate: (i32::from(e.media_rate.integer()) << 16) | i32::from(e.media_rate.decimal() as u16),
                })
                .collect();
        }
    }

    let mdia = boxes::required(mdia, b"mdia", trak.fourcc)?;
    let (mut mdhd, mut hdlr, mut minf) = (None, None, None);
    for bx in mdia.children() {
        let bx = bx?;
        match &bx.fourcc.0 {
            b"mdhd" => boxes::once(&mut mdhd, bx, Some(mdia.fourcc))?,
            b"hdlr" => boxes::once(&mut hdlr, bx, Some(mdia.fourcc))?,
            b"minf" => boxes::once(&mut minf, bx, Some(mdia.fourcc))?,
            _ => {}
        }
    }
    let mdhd_box = boxes::required(mdhd, b"mdhd", mdia.fourcc)?;
    let mdhd: mp4_atom::Mdhd = boxes::leaf(&mdhd_box)?;
    let timescale = Timescale::new(mdhd.timescale).ok_or(ReadError::InvalidField {
        fourcc: mdhd_box.fourcc,
        field: "timescale",
        value: 0,
    })?;
    let language = if mdhd.language.len() == 3 && mdhd.language.bytes().all(|b| b.is_ascii_lowercase()) {
        mdhd.language.clone()
    } else {
        "und".to_string()
    };

    // hdlr (8.4.3): pre_defined, handler_type, reserved, name. Read here
    // rather than with mp4-atom, whose UTF-8 check would reject QuickTime's
    // Pascal-string names.
    let hdlr = boxes::required(hdlr, b"hdlr", mdia.fourcc)?;
    let (_, _, mut r) = hdlr.full()?;
    r.skip(4, "pre_defined")?;
    let handler = r.fourcc("handler_type")?;
    let kind = match &handler.0 {
        b"vide" => TrackKind::Video,
        b"soun" => TrackKind::Audio,
        _ => return Err(ReadError::UnsupportedTrack { track_id, handler }),
    };

    let minf = boxes::required(minf, b"minf", mdia.fourcc)?;
    let (mut dinf, mut stbl) = (None, None);
    for bx in minf.children() {
        let bx = bx?;
        match &bx.fourcc.0 {
            b"dinf" => boxes::once(&mut dinf, bx, Some(minf.fourcc))?,
            b"stbl" => boxes::once(&mut stbl, bx, Some(minf.fourcc))?,
            _ => {}
        }
    }
    let stbl = boxes::required(stbl, b"stbl", minf.fourcc)?;
    let tables = StblBoxes::collect(&stbl, track_id)?;

    // stsd (8.5.2): the first sample entry describes the track.
    let stsd = tables.stsd;
    let (version, _, mut r) = stsd.full()?;
    if version != 0 {
        return Err(ReadError::UnsupportedVersion { fourcc: stsd.fourcc, version });
    }
    let entry_count = r.u32("entry_count")?;
    if entry_count == 0 {
        return Err(ReadError::Malformed { fourcc: stsd.fourcc, reason: "no sample entry" });
    }
    let entries = Bx { body: r.rest(), body_offset: stsd.end().saturating_sub(r.rest().len() as u64), ..stsd };
    let entry =
        entries.children().next().ok_or(ReadError::ShortBox { fourcc: stsd.fourcc, field: "sample entries" })??;
    let sample_entry = entry.fourcc;
    let codec::Entry { codec, data_reference_index } = codec::sample_entry(&entry, track_id, kind)?;
    if let Some(dinf) = dinf {
        check_data_reference(&dinf, data_reference_index)?;
    }

    let presentation_offset = presentation_offset(&edits, movie_timescale, timescale);
    let track = Track {
        config: TrackConfig { id: track_id, timescale, codec, language },
        kind,
        handler,
        sample_entry,
        duration: mdhd.duration,
        edits,
        presentation_offset,
        rotation: rotation(&tkhd.matrix),
        defaults: None,
    };
    Ok((track, tables))
}

/// The clockwise quarter turns a `tkhd` matrix (8.3.2) describes, in
/// degrees. The matrix maps `(x, y)` to `(a x + c y, b x + d y)` (16.16
/// fixed point; y grows downwards on screen), so `a = d = 0, b = 1,
/// c = -1` turns the picture a quarter clockwise. Translation is ignored.
fn rotation(m: &mp4_atom::Matrix) -> u16 {
    const ONE: i32 = 1 << 16;
    match (m.a, m.b, m.c, m.d) {
        (0, ONE, c, 0) if c == -ONE => 90,
        (a, 0, 0, d) if a == -ONE && d == -ONE => 180,
        (0, b, ONE, 0) if b == -ONE => 270,
        _ => 0,
    }
}

/// The sample entry's data reference (`dref`, 8.7.2) must point into this
/// file: a `url ` or `urn ` entry with the self-contained flag.
fn check_data_reference(dinf: &Bx<'_>, index: u16) -> Result<(), ReadError> {
    let mut dref = None;
    for bx in dinf.children() {
        let bx = bx?;
        if bx.fourcc == b"dref" {
            boxes::once(&mut dref, bx, Some(dinf.fourcc))?;
        }
    }
    let Some(dref) = dref else { return Ok(()) };
    let (_, _, mut r) = dref.full()?;
    r.u32("entry_count")?;
    let entries = Bx { body: r.rest(), body_offset: dref.end().saturating_sub(r.rest().len() as u64), ..dref };
    let Some(i) = usize::from(index).checked_sub(1) else {
        return Ok(());
    };
    if let Some(entry) = entries.children().nth(i) {
        let entry = entry?;
        let (_, flags, _) = entry.full()?;
        if flags & 1 == 0 {
            return Err(ReadError::Unsupported { fourcc: dref.fourcc, feature: "media data in another file" });
        }
    }
    Ok(())
}

/// See [`Track::presentation_offset`].
fn presentation_offset(edits: &[Edit], movie: Timescale, media: Timescale) -> i64 {
    let mut rest = edits;
    let mut empty: u64 = 0;
    if let Some((first, tail)) = rest.split_first() {
        if first.media_time.is_none() {
            empty = first.segment_duration;
            rest = tail;
        }
    }
    let start = rest.first().and_then(|e| e.media_time).unwrap_or(0);
    // Rounded to the nearest tick, halves up.
    // At most 2^64 * 2^32 and 2^64 in magnitude: no i128 overflow.
    let num = i128::from(empty).saturating_mul(i128::from(media.get()));
    let den = i128::from(movie.get());
    let empty_ticks = num.saturating_add(den / 2).checked_div(den).unwrap_or(0);
    let offset = empty_ticks.saturating_sub(i128::from(start));
    i64::try_from(offset).unwrap_or(if offset < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(n: u32) -> Timescale {
        Timescale::new(n).unwrap()
    }

    #[test]
    fn reader_presentation_offset_follows_the_first_edits() {
        let media = |t| Edit { segment_duration: 1000, media_time: Some(t), media_rate: 0x10000 };
        let empty = |d| Edit { segment_duration: d, media_time: None, media_rate: 0x10000 };
        assert_eq!(presentation_offset(&[], ts(1000), ts(48000)), 0);
        assert_eq!(presentation_offset(&[media(1024)], ts(1000), ts(48000)), -1024);
        // 80 ms empty then media from 1024 at 12.8 kHz: net 0.
        assert_eq!(presentation_offset(&[empty(80), media(1024)], ts(1000), ts(12800)), 0);
        assert_eq!(presentation_offset(&[empty(58), media(0)], ts(1000), ts(48000)), 2784);
        assert_eq!(presentation_offset(&[empty(u64::MAX)], ts(1), ts(u32::MAX)), i64::MAX);
        assert_eq!(presentation_offset(&[media(u64::MAX)], ts(1), ts(1)), i64::MIN);
    }
}
