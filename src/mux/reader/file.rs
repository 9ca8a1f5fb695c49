//! Whole MP4 files: progressive (samples in `stbl`), fragmented (samples in
//! `moof`s), or both.

use super::boxes::{self, MdatRanges};
use super::error::{FourCc, ReadError};
use super::fragment::{self, FragmentSamples, MovieFragment, TrackEnds};
use super::movie::{self, Movie};
use super::table::{SampleTable, TableSamples};
use super::{ReadOptions, SampleRef};

/// A parsed and validated MP4 file. Borrows the input: samples are read
/// from it in place.
#[derive(Debug, Clone)]
pub struct Mp4File<'a> {
    movie: Movie,
    /// The progressive sample table of each track, indexed like the tracks.
    tables: Vec<SampleTable<'a>>,
    fragments: Vec<MovieFragment<'a>>,
    data: &'a [u8],
}

impl<'a> Mp4File<'a> {
    /// Parses and validates a whole file: an optional `ftyp`, one `moov`,
    /// `mdat`s, and `moof`s when the `moov` has an `mvex`. Other top-level
    /// boxes are ignored. Fragments continue each track where its sample
    /// table (if any) ends.
    pub fn parse(data: &'a [u8]) -> Result<Self, ReadError> {
        Self::parse_with(data, &ReadOptions::default())
    }

    /// [`Mp4File::parse`] with options.
    pub fn parse_with(data: &'a [u8], options: &ReadOptions) -> Result<Self, ReadError> {
        let mut ftyp = None;
        let mut moov = None;
        let mut moofs = Vec::new();
        let mut mdats = MdatRanges::default();
        for bx in boxes::top_level(data) {
            let bx = bx?;
            match &bx.fourcc.0 {
                b"ftyp" => boxes::once(&mut ftyp, bx, None)?,
                b"moov" => boxes::once(&mut moov, bx, None)?,
                b"moof" => moofs.push(bx),
                b"mdat" => mdats.push(&bx),
                _ => {}
            }
        }
        let moov = moov.ok_or(ReadError::MissingBox { fourcc: FourCc(*b"moov"), parent: None })?;
        let (mut movie, stbls) = movie::parse_moov(&moov, options)?;
        if let Some(ftyp) = ftyp {
            movie.set_brands(&ftyp)?;
        }

        // At most one sample per input byte, over all tracks: bounds the
        // work of validation by the input size.
        let mut budget = data.len() as u64;
        let mut tables = Vec::with_capacity(stbls.len());
        let mut ends = TrackEnds::new(&movie);
        for (index, stbl) in stbls.iter().enumerate() {
            let table = SampleTable::parse(stbl, movie.is_fragmented())?;
            let count = u64::from(table.sample_count());
            if count > budget {
                return Err(ReadError::TooLarge { what: "sample count", value: count, limit: budget });
            }
            budget = budget.saturating_sub(count);
            let end = table.validate(data, &mdats)?;
            if count > 0 {
                ends.set(index, end);
            }
            tables.push(table);
        }
        let mut last_sequence = None;
        let fragments =
            fragment::parse_moofs(data, &moofs, &mdats, &movie, &mut ends, &mut last_sequence, &mut budget)?;
        Ok(Mp4File { movie, tables, fragments, data })
    }

    /// The movie: brands, timescale, tracks.
    pub fn movie(&self) -> &Movie {
        &self.movie
    }

    /// The movie fragments (empty for a progressive file).
    pub fn fragments(&self) -> &[MovieFragment<'a>] {
        &self.fragments
    }

    /// The samples of track `track_id` in decode order: those of its sample
    /// table, then those of the fragments. `None` for an unknown track.
    pub fn samples(&self, track_id: u32) -> Option<Samples<'_, 'a>> {
        let index = self.movie.track_index(track_id)?;
        let table = self.tables.get(index)?.samples(self.data);
        Some(Samples { table, fragments: FragmentSamples::new(&self.fragments, track_id) })
    }

    /// The number of samples of track `track_id`; `None` for an unknown track.
    pub fn sample_count(&self, track_id: u32) -> Option<u64> {
        let index = self.movie.track_index(track_id)?;
        let table = u64::from(self.tables.get(index)?.sample_count());
        Some(table.saturating_add(fragment::count_samples(&self.fragments, track_id)))
    }
}

/// The samples of one track of an [`Mp4File`], in decode order.
#[derive(Debug, Clone)]
pub struct Samples<'f, 'a> {
    table: TableSamples<'a>,
    fragments: FragmentSamples<'f, 'a>,
}

impl<'a> Iterator for Samples<'_, 'a> {
    type Item = SampleRef<'a>;

    fn next(&mut self) -> Option<SampleRef<'a>> {
        self.table.next().or_else(|| self.fragments.next())
    }
}
