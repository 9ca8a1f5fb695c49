//! The `mp4_reader` fuzz harness: every entry point of the MP4 reader
//! (`framecast::mux::reader`) on arbitrary bytes, with the invariants parsing
//! promises. Written against framecast's public API; the fuzz target, the
//! reader's unit tests and tests/mp4_reader.rs include this file.

use framecast::mux::reader::{
    validate_fragment, FragmentRules, FragmentValidator, MediaSegment, Movie, Mp4File, ReadOptions, SampleRef,
};
use framecast::mux::walk::{end_of_first, split_before};

/// Runs every entry point of the reader on arbitrary `data` and checks the
/// invariants that parsing promises; for the `mp4_reader` fuzz target, the
/// corpus replay and the hostile-input tests. Panics only if an invariant
/// is broken (a bug in the reader).
///
/// Exercises [`Mp4File::parse`] (strict and skipping), and, when `data`
/// holds a `moov`, splits it after that box into an init segment and a media
/// segment for [`Movie::from_init_segment`], [`MediaSegment::parse`],
/// [`validate_fragment`] and a [`FragmentValidator`] fed one `moof` at a time.
pub fn fuzz_entry(data: &[u8]) {
    for options in [ReadOptions::default(), ReadOptions::skipping_unsupported_tracks()] {
        if let Ok(file) = Mp4File::parse_with(data, &options) {
            for track in file.movie().tracks() {
                let Some(samples) = file.samples(track.config.id) else {
                    panic!("track {} is listed but has no sample iterator", track.config.id);
                };
                check_samples(data, samples, file.sample_count(track.config.id));
            }
        }
    }

    let Some(split) = end_of_first(data, *b"moov") else {
        return;
    };
    let (init, rest) = data.split_at(split);
    let options = ReadOptions::skipping_unsupported_tracks();
    let Ok(movie) = Movie::from_init_segment_with(init, &options) else {
        return;
    };
    if let Ok(segment) = MediaSegment::parse(&movie, rest) {
        for track in movie.tracks() {
            let count = segment.sample_count(track.config.id);
            check_samples(rest, segment.samples(track.config.id), Some(count));
        }
    }
    let rules = FragmentRules::default();
    if let Ok(summary) = validate_fragment(&movie, rest, &rules, None) {
        for t in &summary.tracks {
            assert!(t.end >= t.start, "track {} ends before it starts", t.track_id);
        }
        // The same fragment again must now be out of order.
        assert!(validate_fragment(&movie, rest, &rules, Some(&summary)).is_err());
    }
    let mut validator = FragmentValidator::new(movie, rules);
    for chunk in split_before(rest, *b"moof") {
        let _ = validator.validate(chunk);
    }
}

/// Checks what every sample iterator promises: bytes inside the input,
/// matching the stated size and count, and decode times that never go back.
fn check_samples<'a>(input: &[u8], samples: impl Iterator<Item = SampleRef<'a>>, count: Option<u64>) {
    let mut n = 0u64;
    let mut last: Option<i64> = None;
    for s in samples {
        let start = usize::try_from(s.offset).expect("sample offset fits usize");
        let end = start.checked_add(s.data.len()).expect("sample end fits usize");
        assert_eq!(input.get(start..end), Some(s.data), "sample bytes are not the input's");
        if let Some(prev) = last {
            assert!(s.decode_time >= prev, "decode time went back from {prev} to {}", s.decode_time);
        }
        last = Some(s.decode_time);
        n = n.saturating_add(1);
    }
    if let Some(count) = count {
        assert_eq!(n, count, "sample count disagrees with the iterator");
    }
    assert!(n <= input.len() as u64, "more samples than input bytes");
}
