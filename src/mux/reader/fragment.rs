//! Movie fragments (`moof` + `mdat`, ISO/IEC 14496-12 8.8) and media
//! segments (8.16): track fragments, track runs and their samples.

use super::boxes::{self, Bx, MdatRanges};
use super::error::{FourCc, ReadError};
use super::movie::Movie;
use super::SampleRef;

/// One movie fragment: a `moof` box and the samples it describes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MovieFragment<'a> {
    /// `mfhd` sequence number.
    pub sequence_number: u32,
    /// Offset of the `moof` box in the input.
    pub offset: u64,
    /// The track fragments (`traf`), in order. Those of skipped tracks are
    /// left out.
    pub track_fragments: Vec<TrackFragment<'a>>,
}

/// The samples of one track in one movie fragment (`traf`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrackFragment<'a> {
    /// The track.
    pub track_id: u32,
    /// The `tfdt` base media decode time; `None` without `tfdt` (then the
    /// fragment continues where the track's previous one in the same input
    /// ended, or starts at 0).
    pub base_media_decode_time: Option<u64>,
    /// Decode time of the first sample, in ticks.
    pub start: i64,
    /// Decode time of the last sample plus its duration.
    pub end: i64,
    /// Number of samples.
    pub sample_count: u64,
    /// Total size of the samples in bytes.
    pub data_bytes: u64,
    /// Number of sync samples.
    pub keyframes: u64,
    /// Whether the first sample is a sync sample (false when there is none).
    pub starts_with_keyframe: bool,
    runs: Vec<Run<'a>>,
    data: &'a [u8],
}

impl<'a> TrackFragment<'a> {
    /// The samples, in decode order.
    pub fn samples(&self) -> impl Iterator<Item = SampleRef<'a>> + '_ {
        let data = self.data;
        self.runs.iter().flat_map(move |run| RunSamples::new(*run, data))
    }
}

/// One validated track run (`trun`, 8.8.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run<'a> {
    /// The per-sample fields, `entry_size` bytes per sample.
    table: &'a [u8],
    entry_size: usize,
    /// The `trun` flags.
    flags: u32,
    count: u32,
    first_sample_flags: Option<u32>,
    default_duration: u32,
    default_size: u32,
    default_flags: u32,
    /// Offset of the first sample's bytes in the input.
    data_start: u64,
    /// Decode time of the first sample.
    decode_start: i64,
}

const DATA_OFFSET: u32 = 0x1;
const FIRST_SAMPLE_FLAGS: u32 = 0x4;
const SAMPLE_DURATION: u32 = 0x100;
const SAMPLE_SIZE: u32 = 0x200;
const SAMPLE_FLAGS: u32 = 0x400;
const SAMPLE_CTS: u32 = 0x800;

/// Sample flags that make a sample not a sync sample: `sample_is_non_sync_sample`,
/// and the low bit of `sample_depends_on` (1: depends on others), as ffmpeg reads them.
const NOT_SYNC: u32 = 0x0101_0000;

/// One sample's fields: (duration, size, flags, composition offset).
type Fields = (u32, u32, u32, i32);

impl<'a> Run<'a> {
    /// Fields of sample `i`, from the table or the defaults.
    fn fields(&self, i: u32) -> Option<Fields> {
        let mut at = (i as usize).checked_mul(self.entry_size)?;
        let mut take = |present: bool| -> Option<Option<u32>> {
            if !present {
                return Some(None);
            }
            let v = boxes::be_u32(self.table, at)?;
            at = at.checked_add(4)?;
            Some(Some(v))
        };
        let duration = take(self.flags & SAMPLE_DURATION != 0)?.unwrap_or(self.default_duration);
        let size = take(self.flags & SAMPLE_SIZE != 0)?.unwrap_or(self.default_size);
        let flags = take(self.flags & SAMPLE_FLAGS != 0)?;
        let cts = take(self.flags & SAMPLE_CTS != 0)?.unwrap_or(0);
        // Per-sample flags win over first_sample_flags, as in ffmpeg.
        let flags = match (flags, self.first_sample_flags) {
            (Some(f), _) => f,
            (None, Some(first)) if i == 0 => first,
            _ => self.default_flags,
        };
        // Version 1 offsets are signed; version 0 ones are read as signed
        // too (see SampleRef::composition_offset).
        Some((duration, size, flags, cts as i32))
    }
}

/// The samples of one run.
#[derive(Debug, Clone)]
struct RunSamples<'a> {
    run: Run<'a>,
    next: u32,
    dts: i64,
    pos: u64,
    data: &'a [u8],
}

impl<'a> RunSamples<'a> {
    fn new(run: Run<'a>, data: &'a [u8]) -> Self {
        RunSamples { run, next: 0, dts: run.decode_start, pos: run.data_start, data }
    }
}

impl<'a> Iterator for RunSamples<'a> {
    type Item = SampleRef<'a>;

    fn next(&mut self) -> Option<SampleRef<'a>> {
        if self.next >= self.run.count {
            return None;
        }
        // Validated when parsed; any failure ends the run.
        let sample = (|| {
            let (duration, size, flags, composition_offset) = self.run.fields(self.next)?;
            let start = usize::try_from(self.pos).ok()?;
            let bytes = self.data.get(start..start.checked_add(size as usize)?)?;
            let s = SampleRef {
                decode_time: self.dts,
                composition_offset,
                duration,
                keyframe: flags & NOT_SYNC == 0,
                offset: self.pos,
                data: bytes,
            };
            self.pos = self.pos.checked_add(size.into())?;
            self.dts = self.dts.checked_add(duration.into())?;
            Some(s)
        })();
        self.next = if sample.is_some() { self.next.saturating_add(1) } else { self.run.count };
        sample
    }
}

/// Where each track's previous fragment ended, indexed like
/// [`Movie::tracks`].
#[derive(Debug, Clone, Default)]
pub(super) struct TrackEnds {
    ends: Vec<Option<i64>>,
}

impl TrackEnds {
    pub fn new(movie: &Movie) -> Self {
        TrackEnds { ends: vec![None; movie.tracks().len()] }
    }

    pub fn get(&self, index: usize) -> Option<i64> {
        self.ends.get(index).copied().flatten()
    }

    pub fn set(&mut self, index: usize, end: i64) {
        if let Some(slot) = self.ends.get_mut(index) {
            *slot = Some(end);
        }
    }
}

/// Parses the `moof` boxes of one input, in order, checking sequence
/// numbers and decode times against each other and against `ends` and
/// `last_sequence` (what came before). `budget` is how many more samples
/// the input may hold.
pub(super) fn parse_moofs<'a>(
    data: &'a [u8],
    moofs: &[Bx<'a>],
    mdats: &MdatRanges,
    movie: &Movie,
    ends: &mut TrackEnds,
    last_sequence: &mut Option<u32>,
    budget: &mut u64,
) -> Result<Vec<MovieFragment<'a>>, ReadError> {
    if !moofs.is_empty() && !movie.is_fragmented() {
        return Err(ReadError::UnexpectedBox { fourcc: FourCc(*b"moof"), reason: "the movie has no mvex" });
    }
    let mut fragments = Vec::new();
    for moof in moofs {
        let fragment = parse_moof(data, moof, mdats, movie, ends, budget)?;
        if let Some(previous) = *last_sequence {
            if fragment.sequence_number <= previous {
                return Err(ReadError::SequenceNotIncreasing { previous, found: fragment.sequence_number });
            }
        }
        *last_sequence = Some(fragment.sequence_number);
        fragments.push(fragment);
    }
    Ok(fragments)
}

fn parse_moof<'a>(
    data: &'a [u8],
    moof: &Bx<'a>,
    mdats: &MdatRanges,
    movie: &Movie,
    ends: &mut TrackEnds,
    budget: &mut u64,
) -> Result<MovieFragment<'a>, ReadError> {
    let mut mfhd = None;
    let mut trafs = Vec::new();
    for bx in moof.children() {
        let bx = bx?;
        match &bx.fourcc.0 {
            b"mfhd" => boxes::once(&mut mfhd, bx, Some(moof.fourcc))?,
            b"traf" => trafs.push(bx),
            _ => {}
        }
    }
    let mfhd = boxes::required(mfhd, b"mfhd", moof.fourcc)?;
    let mfhd: mp4_atom::Mfhd = boxes::leaf(&mfhd)?;
    let mut track_fragments = Vec::new();
    // Without an explicit base, a traf's data follows the previous traf's
    // (unknown after the traf of a skipped track).
    let mut data_end = Some(moof.offset);
    for (i, traf) in trafs.iter().enumerate() {
        match parse_traf(data, traf, moof, i == 0, data_end, mdats, movie, ends, budget)? {
            Some((tf, end)) => {
                data_end = Some(end);
                track_fragments.push(tf);
            }
            None => data_end = None,
        }
    }
    Ok(MovieFragment { sequence_number: mfhd.sequence_number, offset: moof.offset, track_fragments })
}

/// Parses one `traf`; `None` for a skipped track. Returns the fragment and
/// the offset just past its data.
#[allow(clippy::too_many_arguments)] // The moof walk's state, passed down one level; a struct would only rename it.
fn parse_traf<'a>(
    data: &'a [u8],
    traf: &Bx<'a>,
    moof: &Bx<'a>,
    first_in_moof: bool,
    previous_data_end: Option<u64>,
    mdats: &MdatRanges,
    movie: &Movie,
    ends: &mut TrackEnds,
    budget: &mut u64,
) -> Result<Option<(TrackFragment<'a>, u64)>, ReadError> {
    let parent = Some(traf.fourcc);
    let (mut tfhd, mut tfdt) = (None, None);
    let mut truns = Vec::new();
    for bx in traf.children() {
        let bx = bx?;
        match &bx.fourcc.0 {
            b"tfhd" => boxes::once(&mut tfhd, bx, parent)?,
            b"tfdt" => boxes::once(&mut tfdt, bx, parent)?,
            b"trun" => truns.push(bx),
            _ => {}
        }
    }
    let tfhd_box = boxes::required(tfhd, b"tfhd", traf.fourcc)?;
    let tfhd: mp4_atom::Tfhd = boxes::leaf(&tfhd_box)?;
    let track_id = tfhd.track_id;
    let Some(index) = movie.track_index(track_id) else {
        if movie.is_skipped(track_id) {
            return Ok(None);
        }
        return Err(ReadError::UnknownTrack { track_id });
    };
    let defaults = movie
        .tracks()
        .get(index)
        .and_then(|t| t.defaults)
        .ok_or(ReadError::MissingBox { fourcc: FourCc(*b"trex"), parent: Some(FourCc(*b"mvex")) })?;
    let description = tfhd.sample_description_index.unwrap_or(defaults.sample_description_index);
    if description > 1 {
        return Err(ReadError::Unsupported {
            fourcc: tfhd_box.fourcc,
            feature: "a sample description index other than 1",
        });
    }

    let base = match (tfhd.base_data_offset, previous_data_end) {
        (Some(b), _) => b,
        (None, _) if tfhd.default_base_is_moof || first_in_moof => moof.offset,
        (None, Some(end)) => end,
        (None, None) => {
            return Err(ReadError::Unsupported {
                fourcc: tfhd_box.fourcc,
                feature: "an implicit base data offset after the fragment of a skipped track",
            })
        }
    };
    let base_media_decode_time = match tfdt {
        Some(b) => Some(boxes::leaf::<mp4_atom::Tfdt>(&b)?.base_media_decode_time),
        None => None,
    };
    let previous_end = ends.get(index);
    let start = match base_media_decode_time {
        Some(t) => {
            let t = i64::try_from(t).map_err(|_| ReadError::TooLarge {
                what: "tfdt base media decode time",
                value: t,
                limit: i64::MAX as u64,
            })?;
            if let Some(previous) = previous_end {
                if t < previous {
                    return Err(ReadError::DecodeTimeBackwards { track_id, expected_at_least: previous, found: t });
                }
            }
            t
        }
        None => previous_end.unwrap_or(0),
    };

    let mut runs = Vec::new();
    let mut dts = start;
    let mut pos = base;
    let (mut sample_count, mut data_bytes, mut keyframes) = (0u64, 0u64, 0u64);
    let mut starts_with_keyframe = None;
    for trun in &truns {
        let fourcc = trun.fourcc;
        let (version, flags, mut r) = trun.full()?;
        if version > 1 {
            return Err(ReadError::UnsupportedVersion { fourcc, version });
        }
        let count = r.u32("sample_count")?;
        let data_offset = if flags & DATA_OFFSET != 0 { Some(r.i32("data_offset")?) } else { None };
        let first_sample_flags =
            if flags & FIRST_SAMPLE_FLAGS != 0 { Some(r.u32("first_sample_flags")?) } else { None };
        let fields = (flags & (SAMPLE_DURATION | SAMPLE_SIZE | SAMPLE_FLAGS | SAMPLE_CTS)).count_ones() as usize;
        let entry_size = fields.saturating_mul(4);
        let table = r.table(count, entry_size, "sample table")?;
        if u64::from(count) > *budget {
            return Err(ReadError::TooLarge { what: "sample count", value: count.into(), limit: *budget });
        }
        *budget = budget.saturating_sub(count.into());
        if let Some(offset) = data_offset {
            let start = i128::from(base).saturating_add(i128::from(offset));
            pos = u64::try_from(start).map_err(|_| ReadError::DataOutOfBounds {
                track_id,
                sample: 0,
                offset: start.clamp(0, i128::from(u64::MAX)) as u64,
                size: 0,
            })?;
        }
        let run = Run {
            table,
            entry_size,
            flags,
            count,
            first_sample_flags,
            default_duration: tfhd.default_sample_duration.unwrap_or(defaults.sample_duration),
            default_size: tfhd.default_sample_size.unwrap_or(defaults.sample_size),
            default_flags: tfhd.default_sample_flags.unwrap_or(defaults.sample_flags),
            data_start: pos,
            decode_start: dts,
        };
        for i in 0..count {
            let (duration, size, sample_flags, _) =
                run.fields(i).ok_or(ReadError::ShortBox { fourcc, field: "sample table" })?;
            let out_of_bounds =
                ReadError::DataOutOfBounds { track_id, sample: i.into(), offset: pos, size: size.into() };
            if !mdats.contains(pos, size.into()) {
                return Err(out_of_bounds);
            }
            pos = pos.checked_add(size.into()).ok_or(out_of_bounds)?;
            dts = super::advance_decode_time(dts, duration)?;
            let keyframe = sample_flags & NOT_SYNC == 0;
            starts_with_keyframe.get_or_insert(keyframe);
            keyframes = keyframes.saturating_add(keyframe.into());
            data_bytes = data_bytes.saturating_add(size.into());
        }
        sample_count = sample_count.saturating_add(count.into());
        runs.push(run);
    }
    ends.set(index, dts);
    let fragment = TrackFragment {
        track_id,
        base_media_decode_time,
        start,
        end: dts,
        sample_count,
        data_bytes,
        keyframes,
        starts_with_keyframe: starts_with_keyframe.unwrap_or(false),
        runs,
        data,
    };
    Ok(Some((fragment, pos)))
}

/// A media segment (ISO/IEC 14496-12 8.16): an optional `styp`, `sidx`,
/// `prft` and `emsg` boxes, then one or more `moof` + `mdat` pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaSegment<'a> {
    /// The `styp` major brand, if there is a `styp`.
    pub major_brand: Option<FourCc>,
    /// The `styp` compatible brands.
    pub compatible_brands: Vec<FourCc>,
    /// The movie fragments, in order.
    pub fragments: Vec<MovieFragment<'a>>,
}

impl<'a> MediaSegment<'a> {
    /// Parses and validates a media segment of `movie` (from its init
    /// segment). Explicit `tfhd` base data offsets are taken as relative to
    /// the start of `data`. `sidx`, `prft` and `emsg` boxes are decoded to
    /// check them; `ftyp` and `moov` are rejected; other boxes are ignored.
    /// Within the segment, sequence numbers must increase and each track's
    /// fragments must not go back in decode time.
    pub fn parse(movie: &Movie, data: &'a [u8]) -> Result<MediaSegment<'a>, ReadError> {
        let mut ends = TrackEnds::new(movie);
        let mut last_sequence = None;
        parse_segment(movie, data, &mut ends, &mut last_sequence)
    }

    /// The samples of track `track_id` over all fragments, in decode order
    /// (none for a track the segment does not have).
    pub fn samples(&self, track_id: u32) -> FragmentSamples<'_, 'a> {
        FragmentSamples::new(&self.fragments, track_id)
    }

    /// The number of samples of track `track_id`.
    pub fn sample_count(&self, track_id: u32) -> u64 {
        count_samples(&self.fragments, track_id)
    }

    /// The track fragments of track `track_id`, in order.
    pub fn track_fragments(&self, track_id: u32) -> impl Iterator<Item = &TrackFragment<'a>> + '_ {
        self.fragments.iter().flat_map(|f| &f.track_fragments).filter(move |t| t.track_id == track_id)
    }
}

pub(super) fn count_samples(fragments: &[MovieFragment<'_>], track_id: u32) -> u64 {
    fragments.iter().flat_map(|f| &f.track_fragments).filter(|t| t.track_id == track_id).map(|t| t.sample_count).sum()
}

/// Parses a media segment, continuing from `ends` and `last_sequence`.
pub(super) fn parse_segment<'a>(
    movie: &Movie,
    data: &'a [u8],
    ends: &mut TrackEnds,
    last_sequence: &mut Option<u32>,
) -> Result<MediaSegment<'a>, ReadError> {
    let mut styp = None;
    let mut moofs = Vec::new();
    let mut mdats = MdatRanges::default();
    for bx in boxes::top_level(data) {
        let bx = bx?;
        match &bx.fourcc.0 {
            b"styp" if moofs.is_empty() && styp.is_none() => styp = Some(bx),
            b"sidx" => {
                boxes::leaf::<mp4_atom::Sidx>(&bx)?;
            }
            b"prft" => {
                boxes::leaf::<mp4_atom::Prft>(&bx)?;
            }
            b"emsg" => {
                boxes::leaf::<mp4_atom::Emsg>(&bx)?;
            }
            b"ftyp" | b"moov" => {
                return Err(ReadError::UnexpectedBox {
                    fourcc: bx.fourcc,
                    reason: "init segment box in a media segment",
                })
            }
            b"moof" => moofs.push(bx),
            b"mdat" => mdats.push(&bx),
            _ => {}
        }
    }
    if moofs.is_empty() {
        return Err(ReadError::MissingBox { fourcc: FourCc(*b"moof"), parent: None });
    }
    let (mut major_brand, mut compatible_brands) = (None, Vec::new());
    if let Some(styp) = styp {
        let mut r = styp.reader();
        major_brand = Some(r.fourcc("major_brand")?);
        r.skip(4, "minor_version")?;
        compatible_brands = r.fourccs();
    }
    let mut budget = data.len() as u64;
    let fragments = parse_moofs(data, &moofs, &mdats, movie, ends, last_sequence, &mut budget)?;
    Ok(MediaSegment { major_brand, compatible_brands, fragments })
}

/// The samples of one track over a sequence of movie fragments, in decode
/// order.
#[derive(Debug, Clone)]
pub struct FragmentSamples<'f, 'a> {
    fragments: std::slice::Iter<'f, MovieFragment<'a>>,
    track_fragments: std::slice::Iter<'f, TrackFragment<'a>>,
    runs: std::slice::Iter<'f, Run<'a>>,
    current: Option<RunSamples<'a>>,
    data: &'a [u8],
    track_id: u32,
}

impl<'f, 'a> FragmentSamples<'f, 'a> {
    pub(super) fn new(fragments: &'f [MovieFragment<'a>], track_id: u32) -> Self {
        FragmentSamples {
            fragments: fragments.iter(),
            track_fragments: [].iter(),
            runs: [].iter(),
            current: None,
            data: &[],
            track_id,
        }
    }
}

impl<'a> Iterator for FragmentSamples<'_, 'a> {
    type Item = SampleRef<'a>;

    fn next(&mut self) -> Option<SampleRef<'a>> {
        loop {
            if let Some(s) = self.current.as_mut().and_then(Iterator::next) {
                return Some(s);
            }
            if let Some(run) = self.runs.next() {
                self.current = Some(RunSamples::new(*run, self.data));
                continue;
            }
            if let Some(tf) = self.track_fragments.next() {
                if tf.track_id == self.track_id {
                    self.runs = tf.runs.iter();
                    self.data = tf.data;
                }
                continue;
            }
            self.track_fragments = self.fragments.next()?.track_fragments.iter();
        }
    }
}
