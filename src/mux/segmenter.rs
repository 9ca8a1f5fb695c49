//! Segmenter: cuts encoded samples into CMAF fragments (at keyframes, near a
//! target duration) and LL-HLS parts, and announces each to a
//! [`FragmentListener`].
//!
//! ```
//! use framecast::mux::segmenter::{MemoryListener, Segmenter, SegmenterConfig};
//! use framecast::codec::CodecConfig;
//! use framecast::mux::{Sample, TrackConfig};
//! use framecast::time::Timescale;
//!
//! let track = TrackConfig::new(1, Timescale::new(48_000).unwrap(),
//!     CodecConfig::Aac { asc: vec![0x11, 0x90], sample_rate: 48_000, channels: 2 });
//! let mut seg = Segmenter::new(vec![track], SegmenterConfig::default(), MemoryListener::default())?;
//! for i in 0..200 {
//!     seg.push(1, Sample { decode_time: i * 1024, composition_offset: 0, duration: 1024,
//!                          keyframe: true, data: vec![0x21; 8] })?;
//! }
//! seg.finish()?;
//! let out = seg.into_listener();
//! assert_eq!(out.fragments.len(), 3); // 2.00 s, 2.00 s and the rest
//! # Ok::<(), framecast::mux::error::MuxError>(())
//! ```
//!
//! How cuts are chosen:
//! - The **leader** track decides every boundary: the first video track, or
//!   the first track when there is no video. Times are its decode times.
//! - A fragment ends before the first leader keyframe (any sample for
//!   audio) at or after the next multiple of
//!   [`SegmenterConfig::fragment_duration`] counted from the first sample,
//!   so fragment lengths do not drift.
//! - With [`SegmenterConfig::part_duration`], each fragment is also cut into
//!   parts (CMAF chunks, LL-HLS partial segments): a new part starts at the
//!   first leader sample at or after each multiple of the part duration
//!   from the fragment start. A part is independent when it starts with a
//!   keyframe. Each part is its own `moof` + `mdat`, with its own `mfhd`
//!   sequence number; the fragment's bytes are its parts, concatenated.
//! - Other tracks follow: a sample belongs to the fragment or part whose
//!   time span holds its decode time. Their fragments are emitted once they
//!   have a sample past the boundary (or at [`Segmenter::finish`]), so a
//!   track that stops delivering holds back its own stream (all streams in
//!   [`SegmenterMode::Muxed`]).
//!
//! Sample durations are derived from decode times: when a sample arrives,
//! the previous sample of its track lasts until it. Only a track's last
//! sample keeps its own `duration`. Gaps therefore lengthen the sample
//! before them.

use std::collections::VecDeque;

use super::cmaf::{Bitrate, CmafWriter, SidxReference};
use super::error::MuxError;
use super::{Sample, TrackConfig};
use crate::codec::TrackKind;
use crate::time::{Timescale, Timestamp};

/// How tracks map to output streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SegmenterMode {
    /// One stream per track (CMAF): each track has its own init segment and
    /// fragments. The default.
    #[default]
    PerTrack,
    /// One stream with every track: one init segment, and fragments with
    /// one `traf` per track sharing an `mdat` (muxed A/V, e.g. HLS
    /// without separate audio renditions).
    Muxed,
}

/// Segmenter options. Build with [`SegmenterConfig::default`] and adjust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmenterConfig {
    /// Target fragment duration; fragments end at the first keyframe at or
    /// after each multiple of it. Default 2 s.
    pub fragment_duration: Timestamp,
    /// Target part (CMAF chunk) duration for LL-HLS, e.g. 333 ms to 500 ms;
    /// `None` (default) writes one `moof` per fragment and no parts. Must
    /// not exceed `fragment_duration`.
    pub part_duration: Option<Timestamp>,
    /// Stream layout. Default [`SegmenterMode::PerTrack`].
    pub mode: SegmenterMode,
    /// Start every fragment with a `styp` box. Default `false`.
    pub styp: bool,
    /// Sequence number of the first fragment (and first `mfhd`). Default 1.
    pub first_sequence_number: u32,
}

impl Default for SegmenterConfig {
    fn default() -> Self {
        SegmenterConfig {
            fragment_duration: Timestamp::from_millis(2000),
            part_duration: None,
            mode: SegmenterMode::PerTrack,
            styp: false,
            first_sequence_number: 1,
        }
    }
}

/// An init segment (`ftyp` + `moov`) of one output stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitSegment {
    /// The tracks of the stream, in `moov` order.
    pub track_ids: Vec<u32>,
    /// RFC 6381 codec strings of those tracks, in the same order.
    pub codecs: Vec<String>,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// A part (CMAF chunk, LL-HLS partial segment) of a fragment that is still
/// being written: one `moof` + `mdat` (after a `styp` for the first part,
/// when enabled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Tracks with samples in this part.
    pub track_ids: Vec<u32>,
    /// Sequence number of the fragment this part belongs to.
    pub sequence_number: u32,
    /// Index of the part within its fragment, from 0.
    pub index: u32,
    /// Decode time of the part's first sample of the stream's reference
    /// track (the leader, or the stream's own track).
    pub start: Timestamp,
    /// Duration in ticks of `start.timescale`.
    pub duration: u64,
    /// The part starts with a keyframe (`INDEPENDENT=YES` in LL-HLS).
    pub independent: bool,
    /// Byte offset of the part within its fragment.
    pub offset: u64,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Where a part lies within its fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartInfo {
    /// Byte offset within the fragment.
    pub offset: u64,
    /// Length in bytes.
    pub length: u64,
    /// Duration in ticks of the fragment's timescale.
    pub duration: u64,
    /// The part starts with a keyframe.
    pub independent: bool,
}

/// The samples of one track within a fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackSpan {
    /// The track.
    pub track_id: u32,
    /// Decode time of its first sample in the fragment.
    pub start: Timestamp,
    /// Summed sample durations, in ticks of `start.timescale`.
    pub duration: u64,
    /// Smallest presentation time (`decode_time + composition_offset`),
    /// in the same ticks.
    pub earliest_presentation_time: i64,
    /// Number of samples.
    pub samples: u32,
}

/// A complete fragment ("fragment ready"): what playlist writers, storage
/// and uploaders need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// Tracks with samples in this fragment.
    pub track_ids: Vec<u32>,
    /// Sequence number (HLS media sequence, DASH `$Number$`); the same
    /// across the streams of [`SegmenterMode::PerTrack`].
    pub sequence_number: u32,
    /// Decode time of the first sample of the stream's reference track
    /// (the leader when the stream has it, else its first track).
    pub start: Timestamp,
    /// Duration in ticks of `start.timescale`.
    pub duration: u64,
    /// The fragment starts with a keyframe.
    pub keyframe: bool,
    /// The bytes: optional `styp`, then one `moof` + `mdat` per part.
    pub bytes: Vec<u8>,
    /// The parts, in order; empty when parts are off.
    pub parts: Vec<PartInfo>,
    /// Per-track times, in `track_ids` order.
    pub tracks: Vec<TrackSpan>,
}

impl Fragment {
    /// The fragment as a `sidx` reference (size, duration saturated to 32
    /// bits, starts with a SAP when it starts with a keyframe).
    pub fn sidx_reference(&self) -> SidxReference {
        SidxReference {
            size: u32::try_from(self.bytes.len()).unwrap_or(u32::MAX),
            duration: u32::try_from(self.duration).unwrap_or(u32::MAX),
            starts_with_sap: self.keyframe,
        }
    }
}

/// Receives the segmenter's output as it is produced (playlists, storage,
/// uploaders). Implemented for `&mut L` and `Box<L>`, so listeners can be
/// borrowed or boxed.
pub trait FragmentListener {
    /// An output stream's init segment, sent before its first part or
    /// fragment. Once per stream.
    fn on_init(&mut self, init: &InitSegment);
    /// A part is ready (only with [`SegmenterConfig::part_duration`]). Its
    /// fragment follows once complete. Default: ignored.
    fn on_part(&mut self, _part: &Part) {}
    /// A fragment is complete.
    fn on_fragment(&mut self, fragment: &Fragment);
}

impl<L: FragmentListener + ?Sized> FragmentListener for &mut L {
    fn on_init(&mut self, init: &InitSegment) {
        (**self).on_init(init)
    }
    fn on_part(&mut self, part: &Part) {
        (**self).on_part(part)
    }
    fn on_fragment(&mut self, fragment: &Fragment) {
        (**self).on_fragment(fragment)
    }
}

impl<L: FragmentListener + ?Sized> FragmentListener for Box<L> {
    fn on_init(&mut self, init: &InitSegment) {
        (**self).on_init(init)
    }
    fn on_part(&mut self, part: &Part) {
        (**self).on_part(part)
    }
    fn on_fragment(&mut self, fragment: &Fragment) {
        (**self).on_fragment(fragment)
    }
}

/// A listener that keeps everything in memory, in arrival order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryListener {
    /// Init segments.
    pub inits: Vec<InitSegment>,
    /// Parts.
    pub parts: Vec<Part>,
    /// Fragments.
    pub fragments: Vec<Fragment>,
}

impl MemoryListener {
    /// The stream holding `track_id` as one file: its init segment followed
    /// by its fragments. Empty if no stream has the track.
    pub fn stream_bytes(&self, track_id: u32) -> Vec<u8> {
        let Some(init) = self.inits.iter().find(|i| i.track_ids.contains(&track_id)) else {
            return Vec::new();
        };
        let mut out = init.bytes.clone();
        for f in self.fragments.iter().filter(|f| f.track_ids.iter().any(|t| init.track_ids.contains(t))) {
            out.extend_from_slice(&f.bytes);
        }
        out
    }
}

impl FragmentListener for MemoryListener {
    fn on_init(&mut self, init: &InitSegment) {
        self.inits.push(init.clone());
    }
    fn on_part(&mut self, part: &Part) {
        self.parts.push(part.clone());
    }
    fn on_fragment(&mut self, fragment: &Fragment) {
        self.fragments.push(fragment.clone());
    }
}

/// Fan-out: one segmenter feeds two listeners (a sink and a playlist,
/// say), `A` first. Nest pairs, or use the triple or a `Vec`, for more.
impl<A: FragmentListener, B: FragmentListener> FragmentListener for (A, B) {
    fn on_init(&mut self, init: &InitSegment) {
        self.0.on_init(init);
        self.1.on_init(init);
    }
    fn on_part(&mut self, part: &Part) {
        self.0.on_part(part);
        self.1.on_part(part);
    }
    fn on_fragment(&mut self, fragment: &Fragment) {
        self.0.on_fragment(fragment);
        self.1.on_fragment(fragment);
    }
}

/// Fan-out to three listeners, in order.
impl<A: FragmentListener, B: FragmentListener, C: FragmentListener> FragmentListener for (A, B, C) {
    fn on_init(&mut self, init: &InitSegment) {
        self.0.on_init(init);
        self.1.on_init(init);
        self.2.on_init(init);
    }
    fn on_part(&mut self, part: &Part) {
        self.0.on_part(part);
        self.1.on_part(part);
        self.2.on_part(part);
    }
    fn on_fragment(&mut self, fragment: &Fragment) {
        self.0.on_fragment(fragment);
        self.1.on_fragment(fragment);
        self.2.on_fragment(fragment);
    }
}

/// Fan-out to any number of listeners of one type (a playlist per
/// rendition), in order.
impl<L: FragmentListener> FragmentListener for Vec<L> {
    fn on_init(&mut self, init: &InitSegment) {
        self.iter_mut().for_each(|l| l.on_init(init));
    }
    fn on_part(&mut self, part: &Part) {
        self.iter_mut().for_each(|l| l.on_part(part));
    }
    fn on_fragment(&mut self, fragment: &Fragment) {
        self.iter_mut().for_each(|l| l.on_fragment(fragment));
    }
}

/// A boundary decided by the leader track.
#[derive(Debug, Clone, Copy)]
struct Cut {
    /// Leader decode time where the next chunk starts; `None` at the end.
    time: Option<i64>,
    /// The chunk before the cut ends a fragment.
    fragment_end: bool,
    /// Fragment the chunk before the cut belongs to (from 0).
    fragment_index: u32,
    /// Part index of that chunk within its fragment.
    part_index: u32,
}

/// A fragment being assembled from chunks.
#[derive(Debug)]
struct OpenFragment {
    bytes: Vec<u8>,
    parts: Vec<PartInfo>,
    spans: Vec<TrackSpan>,
}

/// One output stream: its tracks, writer and progress through the cuts.
#[derive(Debug)]
struct Stream {
    tracks: Vec<usize>,
    writer: CmafWriter,
    /// Absolute index of the next cut to apply.
    next_cut: usize,
    /// Next `mfhd` sequence number.
    moof_sequence: u32,
    open: Option<OpenFragment>,
}

/// Cuts samples into fragments and parts and hands them to a listener.
/// See the module documentation for the rules.
#[derive(Debug)]
pub struct Segmenter<L: FragmentListener> {
    config: SegmenterConfig,
    listener: L,
    tracks: Vec<TrackConfig>,
    leader: usize,
    leader_video: bool,
    queues: Vec<VecDeque<Sample>>,
    last_decode_time: Vec<Option<i64>>,
    streams: Vec<Stream>,
    cuts: VecDeque<Cut>,
    /// Absolute index of `cuts[0]`.
    cuts_base: usize,
    fragment_ticks: i64,
    part_ticks: Option<i64>,
    /// Leader: decode time of the first sample, of the current fragment and
    /// of the current part.
    origin: Option<i64>,
    fragment_start: i64,
    part_start: i64,
    fragment_index: u32,
    part_index: u32,
    started: bool,
    finished: bool,
}

impl<L: FragmentListener> Segmenter<L> {
    /// A segmenter for `tracks` (in that order) reporting to `listener`.
    /// Fails on invalid tracks (see [`CmafWriter::new`]) or options.
    pub fn new(tracks: Vec<TrackConfig>, config: SegmenterConfig, listener: L) -> Result<Self, MuxError> {
        // Validates every track once, for all modes.
        CmafWriter::new(tracks.clone())?;
        let leader = tracks.iter().position(|t| t.codec.kind() == TrackKind::Video).unwrap_or(0);
        let leader_video = tracks[leader].codec.kind() == TrackKind::Video;
        let timescale = tracks[leader].timescale;
        let fragment_ticks = config.fragment_duration.rescale(timescale).ticks;
        if fragment_ticks <= 0 {
            return Err(MuxError::InvalidOption {
                field: "fragment_duration",
                reason: format!("must be positive, got {}", config.fragment_duration),
            });
        }
        let part_ticks = match config.part_duration {
            None => None,
            Some(p) => {
                let ticks = p.rescale(timescale).ticks;
                if ticks <= 0 || ticks > fragment_ticks {
                    return Err(MuxError::InvalidOption {
                        field: "part_duration",
                        reason: format!("must be positive and at most fragment_duration, got {p}"),
                    });
                }
                Some(ticks)
            }
        };
        let groups: Vec<Vec<usize>> = match config.mode {
            SegmenterMode::PerTrack => (0..tracks.len()).map(|i| vec![i]).collect(),
            SegmenterMode::Muxed => vec![(0..tracks.len()).collect()],
        };
        let mut streams = Vec::with_capacity(groups.len());
        for group in groups {
            let writer = CmafWriter::new(group.iter().map(|&i| tracks[i].clone()).collect())?;
            streams.push(Stream {
                tracks: group,
                writer,
                next_cut: 0,
                moof_sequence: config.first_sequence_number,
                open: None,
            });
        }
        let n = tracks.len();
        Ok(Segmenter {
            config,
            listener,
            tracks,
            leader,
            leader_video,
            queues: vec![VecDeque::new(); n],
            last_decode_time: vec![None; n],
            streams,
            cuts: VecDeque::new(),
            cuts_base: 0,
            fragment_ticks,
            part_ticks,
            origin: None,
            fragment_start: 0,
            part_start: 0,
            fragment_index: 0,
            part_index: 0,
            started: false,
            finished: false,
        })
    }

    /// The listener.
    pub fn listener(&self) -> &L {
        &self.listener
    }

    /// The listener, mutably.
    pub fn listener_mut(&mut self) -> &mut L {
        &mut self.listener
    }

    /// Ends the segmenter and returns its listener.
    pub fn into_listener(self) -> L {
        self.listener
    }

    /// Declares a track's bitrate for `btrt`/`esds` in its init segment.
    /// Only effective before the first [`Self::push`].
    pub fn set_bitrate(&mut self, track_id: u32, bitrate: Bitrate) -> Result<(), MuxError> {
        let i = self.index(track_id)?;
        let stream =
            self.streams.iter_mut().find(|s| s.tracks.contains(&i)).ok_or(MuxError::UnknownTrack { track_id })?;
        stream.writer.set_bitrate(track_id, bitrate)
    }

    fn index(&self, track_id: u32) -> Result<usize, MuxError> {
        self.tracks.iter().position(|t| t.id == track_id).ok_or(MuxError::UnknownTrack { track_id })
    }

    /// Adds the next sample of a track, in decode order, with times in the
    /// track's timescale. Decode times must increase within a track; the
    /// leader's first sample must be a keyframe. Tracks may be pushed in any
    /// interleaving, though pushing in decode-time order keeps buffering
    /// and latency low. Emits whatever became complete.
    ///
    /// Errors about the sample itself change nothing. An error while
    /// writing (e.g. [`MuxError::SequenceNotIncreasing`] once `mfhd`
    /// numbers run past `u32::MAX`, or [`MuxError::TooLarge`]) keeps the
    /// chunk's samples queued; what was emitted before it stays emitted.
    pub fn push(&mut self, track_id: u32, sample: Sample) -> Result<(), MuxError> {
        if self.finished {
            return Err(MuxError::Finished);
        }
        let ti = self.index(track_id)?;
        let t = sample.decode_time;
        if t < 0 {
            return Err(MuxError::NegativeDecodeTime { track_id, decode_time: t });
        }
        if let Some(previous) = self.last_decode_time[ti] {
            if t <= previous {
                return Err(MuxError::DecodeTimeDecreased { track_id, previous, found: t });
            }
            if u32::try_from(t - previous).is_err() {
                return Err(MuxError::TooLarge { what: "gap between two samples" });
            }
        }
        if sample.data.len() > u32::MAX as usize {
            return Err(MuxError::TooLarge { what: "sample" });
        }
        if t.checked_add(i64::from(sample.duration)).is_none() {
            return Err(MuxError::TooLarge { what: "decode time" });
        }
        if ti == self.leader && self.origin.is_none() && self.leader_video && !sample.keyframe {
            return Err(MuxError::FirstSampleNotKeyframe { track_id });
        }
        self.start()?;

        if let (Some(previous), Some(last)) = (self.last_decode_time[ti], self.queues[ti].back_mut()) {
            last.duration = (t - previous) as u32;
        }
        if ti == self.leader {
            self.leader_sample(t, sample.keyframe || !self.leader_video);
        }
        self.last_decode_time[ti] = Some(t);
        self.queues[ti].push_back(sample);
        self.drain()
    }

    /// Flushes everything pushed so far as the last parts and fragments.
    /// Later calls to `push` or `finish` fail with [`MuxError::Finished`].
    pub fn finish(&mut self) -> Result<(), MuxError> {
        if self.finished {
            return Err(MuxError::Finished);
        }
        self.start()?;
        self.finished = true;
        self.cuts.push_back(Cut {
            time: None,
            fragment_end: true,
            fragment_index: self.fragment_index,
            part_index: self.part_index,
        });
        self.drain()
    }

    /// Sends the init segments once.
    fn start(&mut self) -> Result<(), MuxError> {
        if self.started {
            return Ok(());
        }
        let mut inits = Vec::with_capacity(self.streams.len());
        for s in &self.streams {
            inits.push(InitSegment {
                track_ids: s.tracks.iter().map(|&i| self.tracks[i].id).collect(),
                codecs: s.writer.codecs(),
                bytes: s.writer.init_segment()?,
            });
        }
        self.started = true;
        for init in &inits {
            self.listener.on_init(init);
        }
        Ok(())
    }

    /// Decides the cut, if any, before a leader sample at `t`.
    fn leader_sample(&mut self, t: i64, eligible: bool) {
        let Some(origin) = self.origin else {
            self.origin = Some(t);
            self.fragment_start = t;
            self.part_start = t;
            return;
        };
        let next_multiple = |from: i64, since: i64, step: i64| -> i128 {
            let (from, since, step) = (i128::from(from), i128::from(since), i128::from(step));
            from + ((since - from).div_euclid(step) + 1) * step
        };
        let fragment_due = i128::from(t) >= next_multiple(origin, self.fragment_start, self.fragment_ticks);
        if eligible && fragment_due {
            self.cuts.push_back(Cut {
                time: Some(t),
                fragment_end: true,
                fragment_index: self.fragment_index,
                part_index: self.part_index,
            });
            self.fragment_index = self.fragment_index.wrapping_add(1);
            self.part_index = 0;
            self.fragment_start = t;
            self.part_start = t;
        } else if let Some(step) = self.part_ticks {
            if i128::from(t) >= next_multiple(self.fragment_start, self.part_start, step) {
                self.cuts.push_back(Cut {
                    time: Some(t),
                    fragment_end: false,
                    fragment_index: self.fragment_index,
                    part_index: self.part_index,
                });
                self.part_index = self.part_index.wrapping_add(1);
                self.part_start = t;
            }
        }
    }

    /// `true` if the sample at `dts` of track `ti` comes before leader time
    /// `cut` (`None`: the end, after everything).
    fn before(&self, ti: usize, dts: i64, cut: Option<i64>) -> bool {
        match cut {
            None => true,
            Some(c) => {
                let leader_ts = i128::from(self.tracks[self.leader].timescale.get());
                let ts = i128::from(self.tracks[ti].timescale.get());
                i128::from(dts) * leader_ts < i128::from(c) * ts
            }
        }
    }

    /// Applies every cut that each stream has all samples for.
    fn drain(&mut self) -> Result<(), MuxError> {
        for si in 0..self.streams.len() {
            loop {
                let next = self.streams[si].next_cut;
                let Some(&cut) = self.cuts.get(next - self.cuts_base) else { break };
                let ready = self.finished
                    || self.streams[si]
                        .tracks
                        .iter()
                        .all(|&ti| self.queues[ti].back().is_some_and(|s| !self.before(ti, s.decode_time, cut.time)));
                if !ready {
                    break;
                }
                self.apply_cut(si, cut)?;
                self.streams[si].next_cut += 1;
            }
        }
        let done = self.streams.iter().map(|s| s.next_cut).min().unwrap_or(0);
        while self.cuts_base < done && !self.cuts.is_empty() {
            self.cuts.pop_front();
            self.cuts_base += 1;
        }
        Ok(())
    }

    /// Writes the stream's samples before `cut` as one chunk, and closes
    /// the fragment if the cut ends one.
    fn apply_cut(&mut self, si: usize, cut: Cut) -> Result<(), MuxError> {
        // How many queued samples of each track come before the cut.
        let mut counts: Vec<(usize, usize)> = Vec::new();
        for &ti in &self.streams[si].tracks {
            let queue = &self.queues[ti];
            let n = queue.iter().take_while(|s| self.before(ti, s.decode_time, cut.time)).count();
            if n > 0 {
                counts.push((ti, n));
            }
        }
        if !counts.is_empty() {
            self.write_chunk(si, cut, &counts)?;
            // Only now that the chunk is written do the samples leave.
            for &(ti, n) in &counts {
                self.queues[ti].drain(..n);
            }
        }
        if cut.fragment_end {
            if let Some(open) = self.streams[si].open.take() {
                let fragment = self.close(si, cut, open);
                self.listener.on_fragment(&fragment);
            }
        }
        Ok(())
    }

    /// The track whose times stand for the stream: the leader if it has
    /// samples among `present`, else the first of them.
    fn reference<'a, T>(&self, present: &'a [(usize, T)]) -> Option<&'a (usize, T)> {
        present.iter().find(|(ti, _)| *ti == self.leader).or_else(|| present.first())
    }

    /// Writes the first `n` queued samples of each listed track as one
    /// chunk (`moof` + `mdat`), adds it to the open fragment and announces
    /// it as a part. The queues are left as they are.
    fn write_chunk(&mut self, si: usize, cut: Cut, counts: &[(usize, usize)]) -> Result<(), MuxError> {
        let reference = self.reference(counts).map_or(0, |(ti, _)| *ti);
        for &(ti, _) in counts {
            self.queues[ti].make_contiguous();
        }
        let queues = &self.queues;
        let taken: Vec<(usize, &[Sample])> =
            counts.iter().map(|&(ti, n)| (ti, &queues[ti].as_slices().0[..n])).collect();
        let list: Vec<(u32, &[Sample])> = taken.iter().map(|&(ti, s)| (self.tracks[ti].id, s)).collect();
        let stream = &mut self.streams[si];
        let mut bytes = Vec::new();
        if stream.open.is_none() && self.config.styp {
            bytes.extend_from_slice(&stream.writer.styp());
        }
        stream.writer.fragment_into(&mut bytes, stream.moof_sequence, &list)?;
        stream.moof_sequence = stream.moof_sequence.wrapping_add(1);

        let ref_samples = taken.iter().find(|(ti, _)| *ti == reference).map_or(&[][..], |(_, s)| *s);
        let timescale = self.tracks[reference].timescale;
        let start = Timestamp::new(ref_samples.first().map_or(0, |s| s.decode_time), timescale);
        let duration: u64 = ref_samples.iter().map(|s| u64::from(s.duration)).sum();
        let independent = ref_samples.first().is_some_and(|s| s.keyframe);
        let spans: Vec<TrackSpan> =
            taken.iter().map(|&(ti, s)| span(self.tracks[ti].id, self.tracks[ti].timescale, s)).collect();

        let open =
            stream.open.get_or_insert_with(|| OpenFragment { bytes: Vec::new(), parts: Vec::new(), spans: Vec::new() });
        let offset = open.bytes.len() as u64;
        open.bytes.extend_from_slice(&bytes);
        // Kept without parts too: the first one tells whether the fragment
        // starts with a keyframe.
        open.parts.push(PartInfo { offset, length: bytes.len() as u64, duration, independent });
        for s in spans {
            match open.spans.iter_mut().find(|o| o.track_id == s.track_id) {
                Some(o) => {
                    o.duration += s.duration;
                    o.samples += s.samples;
                    o.earliest_presentation_time = o.earliest_presentation_time.min(s.earliest_presentation_time);
                }
                None => open.spans.push(s),
            }
        }
        if self.part_ticks.is_some() {
            let part = Part {
                track_ids: list.iter().map(|(id, _)| *id).collect(),
                sequence_number: self.config.first_sequence_number.wrapping_add(cut.fragment_index),
                index: cut.part_index,
                start,
                duration,
                independent,
                offset,
                bytes,
            };
            self.listener.on_part(&part);
        }
        Ok(())
    }

    fn close(&self, si: usize, cut: Cut, open: OpenFragment) -> Fragment {
        let stream = &self.streams[si];
        let spans_by_track: Vec<(usize, &TrackSpan)> = stream
            .tracks
            .iter()
            .filter_map(|&ti| open.spans.iter().find(|s| s.track_id == self.tracks[ti].id).map(|s| (ti, s)))
            .collect();
        let reference = self.reference(&spans_by_track).map(|(_, s)| **s);
        let (start, duration) = match reference {
            Some(s) => (s.start, s.duration),
            None => (Timestamp::new(0, Timescale::MPEG), 0),
        };
        let keyframe = open.parts.first().is_some_and(|p| p.independent);
        Fragment {
            track_ids: spans_by_track.iter().map(|(_, s)| s.track_id).collect(),
            sequence_number: self.config.first_sequence_number.wrapping_add(cut.fragment_index),
            start,
            duration,
            keyframe,
            bytes: open.bytes,
            parts: if self.part_ticks.is_some() { open.parts } else { Vec::new() },
            tracks: spans_by_track.iter().map(|(_, s)| **s).collect(),
        }
    }
}

/// The span of one track's samples within a chunk.
fn span(track_id: u32, timescale: Timescale, samples: &[Sample]) -> TrackSpan {
    TrackSpan {
        track_id,
        start: Timestamp::new(samples.first().map_or(0, |s| s.decode_time), timescale),
        duration: samples.iter().map(|s| u64::from(s.duration)).sum(),
        earliest_presentation_time: samples
            .iter()
            .map(|s| s.decode_time.saturating_add(i64::from(s.composition_offset)))
            .min()
            .unwrap_or(0),
        samples: samples.len() as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::h264::bitstream::AvcDecoderConfigurationRecord;
    use crate::codec::CodecConfig;

    use crate::mux::test_tracks::aac_track as aac;

    fn avc(id: u32) -> TrackConfig {
        // Baseline 64x48 SPS and a PPS.
        let sps = [
            0x67, 0x42, 0xc0, 0x0a, 0xd9, 0x07, 0x3c, 0x04, 0x40, 0x00, 0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0f, 0x03,
            0xc4, 0x89, 0x92,
        ];
        let pps = [0x68, 0xcb, 0x83, 0xcb, 0x20];
        let avcc = AvcDecoderConfigurationRecord::from_parameter_sets(&[&sps], &[&pps]).unwrap().to_bytes();
        TrackConfig::new(id, Timescale::MPEG, CodecConfig::Avc { avcc, width: 64, height: 48 })
    }

    fn sample(t: i64, duration: u32, keyframe: bool) -> Sample {
        Sample { decode_time: t, composition_offset: 0, duration, keyframe, data: vec![1, 2, 3] }
    }

    fn starts(out: &MemoryListener, track: u32) -> Vec<i64> {
        out.fragments.iter().filter(|f| f.track_ids.contains(&track)).map(|f| f.start.ticks).collect()
    }

    #[test]
    fn audio_only_cuts_on_a_drift_free_grid() {
        let mut seg = Segmenter::new(vec![aac(1)], SegmenterConfig::default(), MemoryListener::default()).unwrap();
        for i in 0..400 {
            seg.push(1, sample(i * 1024, 1024, true)).unwrap();
        }
        seg.finish().unwrap();
        let out = seg.into_listener();
        assert_eq!(out.inits.len(), 1);
        assert_eq!(starts(&out, 1), [0, 94 * 1024, 188 * 1024, 282 * 1024, 375 * 1024]);
        assert_eq!(out.fragments.last().unwrap().duration, 25 * 1024);
        assert!(out.parts.is_empty() && out.fragments.iter().all(|f| f.parts.is_empty() && f.keyframe));
        let seqs: Vec<u32> = out.fragments.iter().map(|f| f.sequence_number).collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5]);
    }

    #[test]
    fn video_cuts_only_at_keyframes() {
        let mut seg = Segmenter::new(vec![avc(1)], SegmenterConfig::default(), MemoryListener::default()).unwrap();
        for i in 0..200 {
            seg.push(1, sample(i * 3000, 3000, i % 45 == 0)).unwrap();
        }
        seg.finish().unwrap();
        let out = seg.into_listener();
        assert_eq!(starts(&out, 1), [0, 90 * 3000, 135 * 3000, 180 * 3000]);
        assert!(out.fragments.iter().all(|f| f.keyframe));
    }

    #[test]
    fn parts_are_numbered_and_flagged() {
        let config = SegmenterConfig {
            fragment_duration: Timestamp::from_millis(1000),
            part_duration: Some(Timestamp::from_millis(500)),
            first_sequence_number: 10,
            ..SegmenterConfig::default()
        };
        let mut seg = Segmenter::new(vec![avc(1)], config, MemoryListener::default()).unwrap();
        for i in 0..60 {
            seg.push(1, sample(i * 3000, 3000, i % 30 == 0)).unwrap();
        }
        // Both parts of the first fragment and the first of the second are
        // out before finish.
        assert_eq!(seg.listener().parts.len(), 3);
        assert_eq!(seg.listener().fragments.len(), 1);
        seg.finish().unwrap();
        let out = seg.into_listener();
        let parts: Vec<(u32, u32, bool, u64)> =
            out.parts.iter().map(|p| (p.sequence_number, p.index, p.independent, p.duration)).collect();
        assert_eq!(
            parts,
            [(10, 0, true, 45_000), (10, 1, false, 45_000), (11, 0, true, 45_000), (11, 1, false, 45_000)]
        );
        for f in &out.fragments {
            assert_eq!(f.parts.len(), 2);
            assert_eq!(f.parts[1].offset, f.parts[0].length);
            assert_eq!(f.bytes.len() as u64, f.parts[0].length + f.parts[1].length);
        }
        // Each part is its own moof with the next mfhd sequence number.
        let mfhd = |b: &[u8]| {
            let at = b.windows(4).position(|w| w == b"mfhd").unwrap();
            u32::from_be_bytes(b[at + 8..at + 12].try_into().unwrap())
        };
        let seqs: Vec<u32> = out.parts.iter().map(|p| mfhd(&p.bytes)).collect();
        assert_eq!(seqs, [10, 11, 12, 13]);
    }

    #[test]
    fn muxed_followers_split_by_decode_time() {
        let config = SegmenterConfig {
            fragment_duration: Timestamp::from_millis(1000),
            mode: SegmenterMode::Muxed,
            ..SegmenterConfig::default()
        };
        let mut seg = Segmenter::new(vec![aac(2), avc(1)], config, MemoryListener::default()).unwrap();
        // Audio runs ahead of video; the segmenter waits for both.
        for i in 0..100 {
            seg.push(2, sample(i * 1024, 1024, true)).unwrap();
        }
        for i in 0..60 {
            seg.push(1, sample(i * 3000, 3000, i % 30 == 0)).unwrap();
        }
        seg.finish().unwrap();
        let out = seg.into_listener();
        assert_eq!(out.inits.len(), 1);
        assert_eq!(out.inits[0].track_ids, [2, 1]);
        assert_eq!(out.fragments.len(), 2);
        let f = &out.fragments[0];
        // The video leads: its start and duration stand for the fragment.
        assert_eq!((f.start, f.duration), (Timestamp::new(0, Timescale::MPEG), 90_000));
        let audio = f.tracks.iter().find(|t| t.track_id == 2).unwrap();
        assert_eq!(audio.samples, 47); // frames 0..=46 start before 1 s
        assert_eq!(out.fragments[1].tracks.iter().find(|t| t.track_id == 2).unwrap().samples, 53);
    }

    #[test]
    fn durations_come_from_decode_times() {
        let mut seg = Segmenter::new(vec![aac(1)], SegmenterConfig::default(), MemoryListener::default()).unwrap();
        // Jittery input with wrong durations; the last keeps its own.
        for (t, d) in [(0, 1), (1000, 1), (2100, 1), (3000, 500)] {
            seg.push(1, sample(t, d, true)).unwrap();
        }
        seg.finish().unwrap();
        let f = &seg.listener().fragments[0];
        assert_eq!(f.duration, 3500);
        assert_eq!(f.tracks[0].samples, 4);
    }

    #[test]
    fn listeners_can_be_borrowed_or_boxed() {
        let mut memory = MemoryListener::default();
        {
            let mut seg = Segmenter::new(vec![aac(1)], SegmenterConfig::default(), &mut memory).unwrap();
            seg.push(1, sample(0, 1024, true)).unwrap();
            seg.finish().unwrap();
        }
        assert_eq!((memory.inits.len(), memory.fragments.len()), (1, 1));
        let boxed: Box<dyn FragmentListener> = Box::new(MemoryListener::default());
        let mut seg = Segmenter::new(vec![aac(1)], SegmenterConfig::default(), boxed).unwrap();
        seg.finish().unwrap();
    }

    #[test]
    fn writer_errors_leave_samples_queued() {
        // mfhd sequence numbers run out after u32::MAX.
        let config = SegmenterConfig {
            part_duration: Some(Timestamp::from_millis(100)),
            first_sequence_number: u32::MAX,
            ..SegmenterConfig::default()
        };
        let mut seg = Segmenter::new(vec![aac(1)], config, MemoryListener::default()).unwrap();
        let mut failed = None;
        for i in 0..20 {
            if let Err(e) = seg.push(1, sample(i * 1024, 1024, true)) {
                failed = Some((i, e));
                break;
            }
        }
        let (i, e) = failed.expect("the second moof cannot be numbered");
        assert!(matches!(e, MuxError::SequenceNotIncreasing { .. }));
        assert_eq!(seg.listener().parts.len(), 1);
        // The sample that triggered the cut was queued; the failed chunk's samples stay.
        assert_eq!(seg.queues[0].len(), usize::try_from(i).unwrap() + 1 - 5);
    }
}
