//! Sample tables of progressive files (`stbl`, ISO/IEC 14496-12 8.5-8.7):
//! validated once, then read in place (nothing is copied or expanded).

use super::boxes::{self, be_u16, be_u32, be_u64, Bx, MdatRanges};
use super::error::{FourCc, ReadError};
use super::SampleRef;

/// The boxes of one `stbl`, as found.
#[derive(Debug, Clone, Copy)]
pub(super) struct StblBoxes<'a> {
    track_id: u32,
    pub stsd: Bx<'a>,
    stts: Option<Bx<'a>>,
    ctts: Option<Bx<'a>>,
    stss: Option<Bx<'a>>,
    stsc: Option<Bx<'a>>,
    stsz: Option<Bx<'a>>,
    stco: Option<Bx<'a>>,
}

impl<'a> StblBoxes<'a> {
    /// The children of `stbl` that describe samples; each at most once.
    pub fn collect(stbl: &Bx<'a>, track_id: u32) -> Result<Self, ReadError> {
        let parent = Some(stbl.fourcc);
        let (mut stsd, mut stts, mut ctts, mut stss, mut stsc, mut stsz, mut stco) =
            (None, None, None, None, None, None, None);
        for bx in stbl.children() {
            let bx = bx?;
            match &bx.fourcc.0 {
                b"stsd" => boxes::once(&mut stsd, bx, parent)?,
                b"stts" => boxes::once(&mut stts, bx, parent)?,
                b"ctts" => boxes::once(&mut ctts, bx, parent)?,
                b"stss" => boxes::once(&mut stss, bx, parent)?,
                b"stsc" => boxes::once(&mut stsc, bx, parent)?,
                // stsz and stz2 are alternatives, as are stco and co64.
                b"stsz" | b"stz2" => boxes::once(&mut stsz, bx, parent)?,
                b"stco" | b"co64" => boxes::once(&mut stco, bx, parent)?,
                _ => {}
            }
        }
        let stsd = boxes::required(stsd, b"stsd", stbl.fourcc)?;
        Ok(StblBoxes { track_id, stsd, stts, ctts, stss, stsc, stsz, stco })
    }

    /// Whether the sample size box declares any sample.
    pub fn declares_samples(&self) -> Result<bool, ReadError> {
        match &self.stsz {
            Some(b) => Ok(parse_sizes(b)?.1 > 0),
            None => Ok(false),
        }
    }
}

/// Sample sizes: one for all, or a table of 4-, 8-, 16- or 32-bit fields.
#[derive(Debug, Clone, Copy)]
enum Sizes<'a> {
    Uniform(u32),
    Table { bits: u8, table: &'a [u8] },
}

/// `stsz` (8.7.3.2) or `stz2` (8.7.3.3): the sizes and the sample count.
fn parse_sizes<'a>(bx: &Bx<'a>) -> Result<(Sizes<'a>, u32), ReadError> {
    let (version, _, mut r) = bx.full()?;
    if version != 0 {
        return Err(ReadError::UnsupportedVersion { fourcc: bx.fourcc, version });
    }
    if bx.fourcc == b"stsz" {
        let size = r.u32("sample_size")?;
        let count = r.u32("sample_count")?;
        if size != 0 {
            return Ok((Sizes::Uniform(size), count));
        }
        let table = r.table(count, 4, "entry_size table")?;
        return Ok((Sizes::Table { bits: 32, table }, count));
    }
    r.skip(3, "reserved")?;
    let bits = r.u8("field_size")?;
    if !matches!(bits, 4 | 8 | 16) {
        return Err(ReadError::InvalidField { fourcc: bx.fourcc, field: "field_size", value: bits.into() });
    }
    let count = r.u32("sample_count")?;
    let len = u64::from(count).saturating_mul(u64::from(bits)).div_ceil(8);
    let len = usize::try_from(len).map_err(|_| ReadError::ShortBox { fourcc: bx.fourcc, field: "entry_size table" })?;
    let table = r.bytes(len, "entry_size table")?;
    Ok((Sizes::Table { bits, table }, count))
}

/// A validated sample table. Small and `Copy`: the tables stay in the input.
#[derive(Debug, Clone, Copy)]
pub(super) struct SampleTable<'a> {
    track_id: u32,
    count: u32,
    sizes: Sizes<'a>,
    /// `stts` entries: (sample_count, sample_delta).
    stts: &'a [u8],
    /// `ctts` entries: (sample_count, sample_offset).
    ctts: Option<&'a [u8]>,
    /// `stss` sample numbers, from 1.
    stss: Option<&'a [u8]>,
    /// `stsc` entries: (first_chunk, samples_per_chunk, sample_description_index).
    stsc: &'a [u8],
    /// `stco` or `co64` chunk offsets.
    chunks: &'a [u8],
    wide_chunks: bool,
}

const STTS: FourCc = FourCc(*b"stts");
const CTTS: FourCc = FourCc(*b"ctts");
const STSS: FourCc = FourCc(*b"stss");
const STSC: FourCc = FourCc(*b"stsc");
const STCO: FourCc = FourCc(*b"stco");

impl<'a> SampleTable<'a> {
    /// Reads and cross-checks the tables. In a fragmented movie missing
    /// tables count as empty; otherwise `stts`, `stsc`, `stsz`/`stz2` and
    /// `stco`/`co64` are mandatory.
    pub fn parse(b: &StblBoxes<'a>, fragmented: bool) -> Result<Self, ReadError> {
        let track_id = b.track_id;
        let stbl = FourCc(*b"stbl");
        let need = |slot: Option<Bx<'a>>, fourcc: &[u8; 4]| -> Result<Option<Bx<'a>>, ReadError> {
            match slot {
                None if !fragmented => Err(ReadError::MissingBox { fourcc: FourCc(*fourcc), parent: Some(stbl) }),
                other => Ok(other),
            }
        };
        let inconsistent = |fourcc, reason| ReadError::SampleTable { track_id, fourcc, reason };

        let (sizes, count) = match need(b.stsz, b"stsz")? {
            Some(bx) => parse_sizes(&bx)?,
            None => (Sizes::Uniform(0), 0),
        };

        let stts = match need(b.stts, b"stts")? {
            Some(bx) => entries(&bx, &[0], 8)?,
            None => &[],
        };
        if sum_counts(stts) != u64::from(count) {
            return Err(inconsistent(STTS, "its sample counts do not add up to the sample count of stsz"));
        }

        let ctts = match b.ctts {
            Some(bx) => Some(entries(&bx, &[0, 1], 8)?),
            None => None,
        };
        if let Some(ctts) = ctts {
            if sum_counts(ctts) != u64::from(count) {
                return Err(inconsistent(CTTS, "its sample counts do not add up to the sample count of stsz"));
            }
        }

        let stss = match b.stss {
            Some(bx) => Some(entries(&bx, &[0], 4)?),
            None => None,
        };
        if let Some(stss) = stss {
            let mut previous = 0u32;
            for e in stss.chunks_exact(4) {
                let n = be_u32(e, 0).unwrap_or(0);
                if n <= previous || n > count {
                    return Err(inconsistent(STSS, "sample numbers must increase and stay within the sample count"));
                }
                previous = n;
            }
        }

        let (chunks, wide_chunks) = match need(b.stco, b"stco")? {
            Some(bx) => {
                let wide = bx.fourcc == b"co64";
                (entries(&bx, &[0], if wide { 8 } else { 4 })?, wide)
            }
            None => (&[][..], false),
        };
        let chunk_count = chunks.chunks_exact(if wide_chunks { 8 } else { 4 }).len() as u64;

        let stsc = match need(b.stsc, b"stsc")? {
            Some(bx) => entries(&bx, &[0], 12)?,
            None => &[],
        };
        // Chunk numbers start at 1 and increase; the samples of all chunks
        // are exactly the samples of stsz.
        let mut capacity: u64 = 0;
        let mut rows = stsc.chunks_exact(12).peekable();
        let mut expected_first = 1u64;
        while let Some(row) = rows.next() {
            let field = |at| be_u32(row, at).map(u64::from).unwrap_or(0);
            let (first, per_chunk, description) = (field(0), field(4), field(8));
            if first < expected_first || (expected_first == 1 && first != 1) {
                return Err(inconsistent(STSC, "first_chunk must start at 1 and increase"));
            }
            if first > chunk_count {
                return Err(inconsistent(STSC, "first_chunk is beyond the chunks of stco"));
            }
            if description != 1 {
                return Err(ReadError::Unsupported {
                    fourcc: STSC,
                    feature: "a sample description index other than 1",
                });
            }
            let next = match rows.peek() {
                Some(n) => be_u32(n, 0).map(u64::from).unwrap_or(0),
                None => chunk_count.saturating_add(1),
            };
            let chunks_here = next.saturating_sub(first);
            capacity = chunks_here
                .checked_mul(per_chunk)
                .and_then(|c| capacity.checked_add(c))
                .ok_or(inconsistent(STSC, "its chunks hold more than 2^64 samples"))?;
            expected_first = first.saturating_add(1);
        }
        if capacity != u64::from(count) {
            return Err(inconsistent(STSC, "its chunks do not hold exactly the samples of stsz"));
        }

        Ok(SampleTable { track_id, count, sizes, stts, ctts, stss, stsc, chunks, wide_chunks })
    }

    /// The number of samples.
    pub fn sample_count(&self) -> u32 {
        self.count
    }

    /// Checks every sample's bytes against the `mdat` payloads and the decode
    /// times for overflow; returns the end of the last sample (its decode
    /// time plus duration).
    pub fn validate(&self, data: &'a [u8], mdats: &MdatRanges) -> Result<i64, ReadError> {
        let mut cursor = Cursor::default();
        while let Some(s) = cursor.step(self, data, Some(mdats))? {
            let _ = s;
        }
        Ok(cursor.dts)
    }

    /// The samples, in decode order. Call after [`SampleTable::validate`].
    pub fn samples(&self, data: &'a [u8]) -> TableSamples<'a> {
        TableSamples { table: *self, cursor: Cursor::default(), data }
    }
}

/// The big-endian u32 at byte `field` of entry `index` of `entry_size`-byte
/// entries in `table`.
fn at32(table: &[u8], index: usize, entry_size: usize, field: usize) -> Option<u32> {
    be_u32(table, index.checked_mul(entry_size)?.checked_add(field)?)
}

/// The entries of a full box holding `entry_count` entries of
/// `entry_size` bytes, after checking its version is one of `versions`.
fn entries<'a>(bx: &Bx<'a>, versions: &[u8], entry_size: usize) -> Result<&'a [u8], ReadError> {
    let (version, _, mut r) = bx.full()?;
    if !versions.contains(&version) {
        return Err(ReadError::UnsupportedVersion { fourcc: bx.fourcc, version });
    }
    let count = r.u32("entry_count")?;
    r.table(count, entry_size, "entries")
}

/// The sum of the leading 32-bit counts of 8-byte entries.
fn sum_counts(table: &[u8]) -> u64 {
    table.chunks_exact(8).filter_map(|e| be_u32(e, 0)).map(u64::from).fold(0, u64::saturating_add)
}

/// Where a walk through the tables stands.
#[derive(Debug, Clone, Copy, Default)]
struct Cursor {
    /// Index of the next sample.
    index: u32,
    /// Decode time of the next sample.
    dts: i64,
    stts_next: usize,
    stts_left: u32,
    stts_delta: u32,
    ctts_next: usize,
    ctts_left: u32,
    ctts_offset: i32,
    stss_next: usize,
    stsc_row: usize,
    /// The current chunk, from 1 (0 before the first).
    chunk: u32,
    chunk_left: u32,
    /// Offset of the next sample in the current chunk.
    pos: u64,
}

impl Cursor {
    /// The next sample. With `mdats`, checks that its bytes lie in one.
    fn step<'a>(
        &mut self,
        t: &SampleTable<'a>,
        data: &'a [u8],
        mdats: Option<&MdatRanges>,
    ) -> Result<Option<SampleRef<'a>>, ReadError> {
        if self.index >= t.count {
            return Ok(None);
        }
        let track_id = t.track_id;
        let broken = |fourcc, reason| ReadError::SampleTable { track_id, fourcc, reason };
        let i = self.index as usize;

        let size = match t.sizes {
            Sizes::Uniform(s) => s,
            Sizes::Table { bits: 32, table } => at32(table, i, 4, 0).ok_or(broken(FourCc(*b"stsz"), "short"))?,
            Sizes::Table { bits: 16, table } => {
                let at = i.checked_mul(2).ok_or(broken(FourCc(*b"stz2"), "short"))?;
                u32::from(be_u16(table, at).ok_or(broken(FourCc(*b"stz2"), "short"))?)
            }
            Sizes::Table { bits: 8, table } => u32::from(*table.get(i).ok_or(broken(FourCc(*b"stz2"), "short"))?),
            Sizes::Table { table, .. } => {
                let b = *table.get(i / 2).ok_or(broken(FourCc(*b"stz2"), "short"))?;
                u32::from(if i % 2 == 0 { b >> 4 } else { b & 0x0f })
            }
        };

        while self.stts_left == 0 {
            self.stts_left =
                at32(t.stts, self.stts_next, 8, 0).ok_or(broken(STTS, "covers fewer samples than stsz"))?;
            self.stts_delta = at32(t.stts, self.stts_next, 8, 4).ok_or(broken(STTS, "short"))?;
            self.stts_next = self.stts_next.saturating_add(1);
        }
        self.stts_left = self.stts_left.saturating_sub(1);
        let duration = self.stts_delta;

        let mut composition_offset = 0;
        if let Some(ctts) = t.ctts {
            while self.ctts_left == 0 {
                self.ctts_left =
                    at32(ctts, self.ctts_next, 8, 0).ok_or(broken(CTTS, "covers fewer samples than stsz"))?;
                // Signed in version 1; version 0 values are read as signed
                // too, as ffmpeg and most players do.
                self.ctts_offset = at32(ctts, self.ctts_next, 8, 4).ok_or(broken(CTTS, "short"))? as i32;
                self.ctts_next = self.ctts_next.saturating_add(1);
            }
            self.ctts_left = self.ctts_left.saturating_sub(1);
            composition_offset = self.ctts_offset;
        }

        let sample_number = self.index.saturating_add(1);
        let keyframe = match t.stss {
            None => true,
            Some(stss) => {
                if at32(stss, self.stss_next, 4, 0) == Some(sample_number) {
                    self.stss_next = self.stss_next.saturating_add(1);
                    true
                } else {
                    false
                }
            }
        };

        while self.chunk_left == 0 {
            self.chunk = self.chunk.checked_add(1).ok_or(broken(STCO, "too many chunks"))?;
            let c = (self.chunk as usize).saturating_sub(1);
            self.pos = if t.wide_chunks {
                c.checked_mul(8).and_then(|at| be_u64(t.chunks, at))
            } else {
                at32(t.chunks, c, 4, 0).map(u64::from)
            }
            .ok_or(broken(STCO, "has fewer chunks than stsc and stsz need"))?;
            while at32(t.stsc, self.stsc_row.saturating_add(1), 12, 0).is_some_and(|first| first <= self.chunk) {
                self.stsc_row = self.stsc_row.saturating_add(1);
            }
            self.chunk_left = at32(t.stsc, self.stsc_row, 12, 4).ok_or(broken(STSC, "short"))?;
        }
        self.chunk_left = self.chunk_left.saturating_sub(1);

        let offset = self.pos;
        let sample = u64::from(self.index);
        let out_of_bounds = ReadError::DataOutOfBounds { track_id, sample, offset, size: size.into() };
        if let Some(mdats) = mdats {
            if !mdats.contains(offset, size.into()) {
                return Err(out_of_bounds);
            }
        }
        self.pos = offset.checked_add(size.into()).ok_or(out_of_bounds.clone())?;
        let start = usize::try_from(offset).map_err(|_| out_of_bounds.clone())?;
        let end = start.checked_add(size as usize).ok_or(out_of_bounds.clone())?;
        let bytes = data.get(start..end).ok_or(out_of_bounds)?;

        let decode_time = self.dts;
        self.dts = super::advance_decode_time(decode_time, duration)?;
        self.index = self.index.saturating_add(1);
        Ok(Some(SampleRef { decode_time, composition_offset, duration, keyframe, offset, data: bytes }))
    }
}

/// The samples of a progressive track, in decode order, read straight from
/// the sample tables in the input. Made by [`Mp4File::samples`](super::Mp4File::samples).
#[derive(Debug, Clone)]
pub struct TableSamples<'a> {
    table: SampleTable<'a>,
    cursor: Cursor,
    data: &'a [u8],
}

impl<'a> Iterator for TableSamples<'a> {
    type Item = SampleRef<'a>;

    fn next(&mut self) -> Option<SampleRef<'a>> {
        // The table was validated, so a step cannot fail; if it did, the
        // iteration ends.
        match self.cursor.step(&self.table, self.data, None) {
            Ok(s) => s,
            Err(_) => {
                self.cursor.index = self.table.count;
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.table.count.saturating_sub(self.cursor.index) as usize;
        (0, Some(left))
    }
}
