//! The `mkv_demux` fuzz harness: the Matroska/WebM demuxer
//! (`framecast::mux::mkv`) on arbitrary bytes, whole and in small chunks,
//! with the invariants it promises. Written against framecast's public
//! API; the fuzz target and tests/mkv_demux.rs include this file.

use framecast::mux::mkv::{MkvDemuxer, MkvError, MkvEvent, MkvOptions};

/// What a run gave: the events, and how it ended.
pub type Outcome = (Vec<MkvEvent>, Result<(), MkvError>);

/// Runs `data` through a demuxer in chunks of `chunk` bytes (everything
/// at once for 0), draining events after every push, then `finish`.
pub fn demux(data: &[u8], chunk: usize, options: MkvOptions) -> Outcome {
    let mut d = MkvDemuxer::with_options(options);
    let mut events = Vec::new();
    let chunk = if chunk == 0 { data.len().max(1) } else { chunk };
    for c in data.chunks(chunk) {
        let pushed = d.push(c);
        events.extend(std::iter::from_fn(|| d.next_event()));
        if let Err(e) = pushed {
            return (events, Err(e));
        }
    }
    let finished = d.finish();
    events.extend(std::iter::from_fn(|| d.next_event()));
    (events, finished)
}

/// Runs the demuxer on arbitrary `data` and checks its invariants; for the
/// `mkv_demux` fuzz target, the corpus replay and the hostile-input tests.
/// Panics only if an invariant is broken (a bug in the demuxer):
///
/// - the chunking does not change the events or the outcome;
/// - `Tracks` comes once, before any frame, and every frame's track is
///   listed;
/// - frame bytes never exceed the input (no invented data);
/// - a lower element limit only ever turns a success into
///   `ElementTooLarge`, never into another error.
pub fn fuzz_entry(data: &[u8]) {
    let whole = demux(data, 0, MkvOptions::default());
    for chunk in [1, 7, 4096] {
        let chunked = demux(data, chunk, MkvOptions::default());
        assert_eq!(chunked, whole, "chunks of {chunk} differ from one push");
    }
    let mut tracks: Option<Vec<u64>> = None;
    let mut frame_bytes = 0usize;
    for event in &whole.0 {
        match event {
            MkvEvent::Tracks(t) => {
                assert!(tracks.is_none(), "Tracks twice");
                tracks = Some(t.iter().map(|t| t.number).collect());
            }
            MkvEvent::Frame(f) => {
                let listed = tracks.as_ref().is_some_and(|t| t.contains(&f.track));
                assert!(listed, "a frame of track {} that Tracks does not list", f.track);
                frame_bytes += f.data.len();
            }
            _ => {}
        }
    }
    assert!(frame_bytes <= data.len(), "{frame_bytes} frame bytes from {} input bytes", data.len());
    let small = demux(data, 0, MkvOptions::with_max_element_bytes(64));
    if whole.1.is_ok() {
        assert!(
            matches!(small.1, Ok(()) | Err(MkvError::ElementTooLarge { .. })),
            "a 64-byte element limit gave {:?}",
            small.1
        );
    }
}
