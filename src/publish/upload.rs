//! The upload half of a publisher, without I/O: which request to send
//! next, and what an answer means. A driver (the browser Worker's `fetch`
//! loop, or a native client) asks [`UploadQueue::next_request`], performs
//! the request, and reports the outcome with [`UploadQueue::on_response`].
//!
//! The rules, following the ingest protocol in [`crate::ingest`]:
//! - one request in flight; a track's init segment goes before its first
//!   fragment, fragments go in the order they were queued, the end mark
//!   last;
//! - network errors, 5xx, 408 and 429 are retried with exponential
//!   back-off and jitter, at least as late as `Retry-After` says; the
//!   server deduplicates by fragment number, so a retry never stores
//!   twice;
//! - after a network error the init segments are sent again before the
//!   next fragment (the server may have restarted), and a `412
//!   init-required` re-sends the track's init segment then the fragment;
//! - other 4xx answers reject that upload: a rejected fragment is dropped
//!   and reported, a rejected init segment or end mark fails the queue;
//! - the queue is bounded by media time per track: when a new fragment
//!   makes any track's waiting fragments last longer than
//!   [`UploadConfig::max_queue_duration`], whole fragments are dropped from
//!   the oldest media time that is not sent yet, the same time span from
//!   every track (see [`UploadQueue::push_fragment`]), and reported with
//!   the media time lost. The server sees a gap in fragment numbers and
//!   times on each track, which it stores as a discontinuity; no track's
//!   numbers or times go back.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::Arc;

use crate::ingest::routes::{self, CONTENT_TYPE_VIDEO_MP4};
use crate::ingest::{EndAck, ErrorBody, FragmentAck, IngestError, IngestErrorCode, InitAck, StreamName, TrackName};
use crate::time::{Timescale, Timestamp};
use crate::xorshift::XorShift;

/// Retry timing: the `n`-th retry waits a random time between half and all
/// of `min(initial * 2^(n-1), max)`, and never less than `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// First delay in ms. Default 250.
    pub initial_ms: u64,
    /// Longest delay in ms. Default 8000.
    pub max_ms: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { initial_ms: 250, max_ms: 8000 }
    }
}

impl Backoff {
    /// The delay before retry number `attempt` (from 1), given a uniform
    /// random `unit` in `[0, 1)`.
    pub fn delay_ms(&self, attempt: u32, unit: f64) -> u64 {
        let exp = attempt.saturating_sub(1).min(30);
        let ceiling = self.initial_ms.saturating_mul(1u64 << exp).min(self.max_ms);
        let half = ceiling / 2;
        half + ((ceiling - half) as f64 * unit.clamp(0.0, 1.0)) as u64
    }
}

/// Options of an [`UploadQueue`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadConfig {
    /// The stream published to.
    pub stream: StreamName,
    /// Most media time kept waiting to be sent, per track: the durations
    /// of a track's waiting fragments (the one in flight included) add up
    /// to at most this, for each track alike (audio and video each hold up
    /// to 60 s by default, not 30 s each). Default 60 s.
    pub max_queue_duration: Timestamp,
    /// Retry timing.
    pub backoff: Backoff,
    /// Seed of the jitter generator (any value; 0 is replaced).
    pub seed: u64,
    /// Method of init segment and fragment uploads: `"PUT"` (default) or
    /// `"POST"`, for endpoints that want it (the end mark is always POST).
    pub method: UploadMethod,
}

/// The HTTP method of media uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UploadMethod {
    /// `PUT`, the default: the URL names the resource (idempotent).
    #[default]
    Put,
    /// `POST`, as DASH-IF CMAF ingest endpoints often expect.
    Post,
}

impl UploadMethod {
    /// `"PUT"` or `"POST"`.
    pub fn as_str(self) -> &'static str {
        match self {
            UploadMethod::Put => "PUT",
            UploadMethod::Post => "POST",
        }
    }
}

impl UploadConfig {
    /// Defaults for `stream`.
    pub fn new(stream: StreamName) -> Self {
        UploadConfig {
            stream,
            max_queue_duration: Timestamp::from_millis(60_000),
            backoff: Backoff::default(),
            seed: 1,
            method: UploadMethod::Put,
        }
    }
}

/// What an upload is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadKind {
    /// A track's init segment.
    Init,
    /// A fragment: its number, and its start and duration in µs.
    Fragment {
        /// The fragment's sequence number (its `mfhd` number and the
        /// `{sequence}` of its upload path), at most
        /// [`MAX_SEQUENCE`](crate::ingest::routes::MAX_SEQUENCE).
        sequence: u64,
        /// Start of the fragment on the track's media timeline, in µs.
        start_us: i64,
        /// Media duration of the fragment, in µs; counts against
        /// [`UploadConfig::max_queue_duration`].
        duration_us: u64,
    },
    /// `POST /streams/{stream}/end`.
    End,
}

/// One HTTP request to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest {
    /// Pass back to [`UploadQueue::on_response`].
    pub id: u64,
    /// `"PUT"` or `"POST"`.
    pub method: &'static str,
    /// Path below the endpoint, e.g. `/streams/cam/video/3.m4s`.
    pub path: String,
    /// `Content-Type`, or `None` for a request without a body.
    pub content_type: Option<&'static str>,
    /// The body (shared, not copied, across retries).
    pub body: Arc<[u8]>,
    /// The track, for init segments and fragments.
    pub track: Option<TrackName>,
    /// What is sent.
    pub kind: UploadKind,
    /// 1 for the first try, 2 for the first retry, ...
    pub attempt: u32,
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// An HTTP answer: status, the `Retry-After` header, the body text.
    Http {
        /// The HTTP status code, e.g. 201; 2xx is success.
        status: u16,
        /// The raw `Retry-After` header value, if any; delay-seconds are
        /// honoured (at most one hour), an HTTP-date is ignored.
        retry_after: Option<&'a str>,
        /// The response body as text (the JSON acknowledgement or error),
        /// empty if none.
        body: &'a str,
    },
    /// No answer: the connection failed, was reset, or timed out.
    Network(&'a str),
}

/// What happened, for stats and events.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum UploadEvent {
    /// An init segment was acknowledged.
    InitAcked {
        /// The server's acknowledgement.
        ack: InitAck,
    },
    /// A fragment was acknowledged; `latency_ms` runs from when it was
    /// queued to the acknowledgement, over `attempts` tries.
    FragmentAcked {
        /// The server's acknowledgement.
        ack: FragmentAck,
        /// From queueing to acknowledgement, in ms of the caller's clock
        /// (the `now_ms` it passes in).
        latency_ms: f64,
        /// How many tries it took (1 = first try).
        attempts: u32,
    },
    /// The end mark was acknowledged.
    Ended {
        /// The server's acknowledgement.
        ack: EndAck,
    },
    /// The request will be sent again after `delay_ms`.
    Retry {
        /// Path of the request that failed, below the endpoint.
        path: String,
        /// Number of the coming try (2 = first retry), as in
        /// [`UploadRequest::attempt`].
        attempt: u32,
        /// Wait before the retry, in ms: the back-off, or the server's
        /// `Retry-After` when that is longer.
        delay_ms: u64,
        /// Why the try failed, for people (e.g. `HTTP 503` or the network
        /// error).
        reason: String,
    },
    /// The server refused a fragment for good; it is dropped and
    /// publishing goes on.
    Rejected {
        /// Path of the refused fragment, below the endpoint.
        path: String,
        /// Sequence number of the refused fragment.
        sequence: u64,
        /// The server's error, or a `bad-request` error built from the
        /// status when the body had none.
        error: IngestError,
    },
    /// The queue was full: these fragments (oldest first) were dropped
    /// without being sent.
    Dropped {
        /// Their numbers (of any track; see `fragments` for which).
        sequences: Vec<u64>,
        /// Why, for people.
        reason: String,
        /// Each dropped fragment, oldest first.
        fragments: Vec<DroppedFragment>,
        /// The media time lost, in µs: the most any one track lost (the
        /// tracks lose the same span, to within a fragment boundary). A
        /// fragment dropped because its span went from the other tracks
        /// before it was queued adds nothing (that time was counted).
        media_us: u64,
    },
    /// The server refused an init segment or the end mark, or the answer
    /// makes no sense: nothing more can be published. The queue stops.
    Failed {
        /// Why the queue stopped; [`UploadQueue::failure`] keeps it.
        error: IngestError,
    },
}

/// A fragment the queue dropped unsent. Serialized as `{ track,
/// sequence, start, duration }` (µs).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DroppedFragment {
    /// Its track.
    pub track: TrackName,
    /// Its number.
    pub sequence: u64,
    /// Its start, in µs of media time.
    #[serde(rename = "start")]
    pub start_us: i64,
    /// Its duration, in µs.
    #[serde(rename = "duration")]
    pub duration_us: u64,
}

/// Counters, for stats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UploadCounters {
    /// Fragments acknowledged (duplicates included).
    pub acknowledged: u64,
    /// Retries (second and later tries).
    pub retries: u64,
    /// Fragments dropped because the queue was full (of all tracks).
    pub dropped: u64,
    /// Media time dropped because the queue was full, in µs: the sum of
    /// the events' `media_us` (what one track lost, not all tracks added).
    pub dropped_media_us: u64,
    /// Fragments the server refused.
    pub rejected: u64,
    /// Bytes of acknowledged fragments.
    pub bytes_acknowledged: u64,
}

#[derive(Debug, Clone)]
struct Item {
    track: TrackName,
    kind: UploadKind,
    body: Arc<[u8]>,
    content_type: &'static str,
    queued_ms: f64,
    attempts: u32,
}

#[derive(Debug)]
struct InitState {
    body: Arc<[u8]>,
    content_type: &'static str,
    /// Acknowledged since the last reconnect.
    confirmed: bool,
    attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum InFlight {
    Init(TrackName),
    Fragment,
    End,
}

/// The sans-I/O upload queue. See the module documentation.
#[derive(Debug)]
pub struct UploadQueue {
    config: UploadConfig,
    inits: BTreeMap<TrackName, InitState>,
    fragments: VecDeque<Item>,
    end: Option<u32>,
    in_flight: Option<(u64, InFlight)>,
    /// The latest media end (µs) of any fragment sent so far: fragments of
    /// other tracks mostly before it are never dropped, so a drop leaves
    /// the same gap on every track.
    sent_end_us: Option<i64>,
    /// The end (µs) of the latest media span dropped: a fragment of a
    /// track that lags behind (pushed after the span went) is dropped too.
    dropped_until_us: Option<i64>,
    next_id: u64,
    not_before_ms: f64,
    rng: XorShift,
    failed: Option<IngestError>,
    ended: bool,
    counters: UploadCounters,
}

impl UploadQueue {
    /// An empty queue.
    pub fn new(config: UploadConfig) -> Self {
        let rng = XorShift::new(config.seed);
        UploadQueue {
            config,
            inits: BTreeMap::new(),
            fragments: VecDeque::new(),
            end: None,
            in_flight: None,
            sent_end_us: None,
            dropped_until_us: None,
            next_id: 1,
            not_before_ms: f64::NEG_INFINITY,
            rng,
            failed: None,
            ended: false,
            counters: UploadCounters::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &UploadConfig {
        &self.config
    }

    /// Counters so far.
    pub fn counters(&self) -> UploadCounters {
        self.counters
    }

    /// Fragments waiting (the one in flight included).
    pub fn queued_fragments(&self) -> usize {
        self.fragments.len()
    }

    /// Media time waiting, in µs: the most of any track (the sum of that
    /// track's waiting fragment durations, the one in flight included).
    /// This is what [`UploadConfig::max_queue_duration`] bounds.
    pub fn queued_duration_us(&self) -> u64 {
        self.queued_duration_by_track().into_values().max().unwrap_or(0)
    }

    /// Media time waiting per track, in µs (the fragment in flight
    /// included).
    pub fn queued_duration_by_track(&self) -> BTreeMap<TrackName, u64> {
        let mut by_track = BTreeMap::new();
        for item in &self.fragments {
            *by_track.entry(item.track.clone()).or_insert(0u64) += fragment_duration(&item.kind);
        }
        by_track
    }

    /// Bytes waiting.
    pub fn queued_bytes(&self) -> u64 {
        self.fragments.iter().map(|i| i.body.len() as u64).sum()
    }

    /// The error that stopped the queue, if any.
    pub fn failure(&self) -> Option<&IngestError> {
        self.failed.as_ref()
    }

    /// The end mark was acknowledged.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Nothing to send and nothing in flight (or the queue failed).
    pub fn is_idle(&self) -> bool {
        self.failed.is_some()
            || (self.in_flight.is_none()
                && self.fragments.is_empty()
                && self.end.is_none()
                && (self.inits.values().all(|i| i.confirmed)))
    }

    /// Sets (or replaces, before its fragments) a track's init segment.
    pub fn set_init(&mut self, track: TrackName, bytes: Vec<u8>, content_type: &'static str) {
        self.inits.insert(track, InitState { body: bytes.into(), content_type, confirmed: false, attempts: 0 });
    }

    /// Queues a fragment. May drop waiting fragments to keep every track
    /// within [`UploadConfig::max_queue_duration`]; returns a
    /// [`UploadEvent::Dropped`] when it does.
    ///
    /// What goes: the fragment that starts earliest among those that may
    /// go (not the one in flight, not the one just queued, not one lying
    /// mostly before media already sent), and with it every waiting
    /// fragment of the other tracks whose middle falls in that fragment's
    /// time span (the one just queued included); again until every track fits
    /// or nothing more may go. A fragment queued after the span it lies in
    /// went from the other tracks goes at once. Video
    /// fragments start with keyframes, so whole GOPs go, and audio loses
    /// the same span: each track's next fragment the server gets starts
    /// later than the last one ended, which it marks as a discontinuity.
    pub fn push_fragment(
        &mut self,
        track: TrackName,
        sequence: u64,
        start_us: i64,
        duration_us: u64,
        bytes: Vec<u8>,
        now_ms: f64,
    ) -> Option<UploadEvent> {
        let limit = self.config.max_queue_duration.rescale(Timescale::MICROS).ticks.max(0) as u64;
        let mut dropped: Vec<DroppedFragment> = Vec::new();
        let floor = self.sent_end_us.unwrap_or(i64::MIN);
        let mid = start_us.saturating_add((duration_us / 2) as i64);
        // A fragment whose span went from the other tracks already goes
        // too (that media time is lost already: not counted again).
        let mut late = None;
        if self.dropped_until_us.is_some_and(|until| (floor..until).contains(&mid)) {
            late = Some(DroppedFragment { track, sequence, start_us, duration_us });
        } else {
            let content_type = self.inits.get(&track).map_or(CONTENT_TYPE_VIDEO_MP4, |i| i.content_type);
            self.fragments.push_back(Item {
                track,
                kind: UploadKind::Fragment { sequence, start_us, duration_us },
                body: bytes.into(),
                content_type,
                queued_ms: now_ms,
                attempts: 0,
            });
        }
        while self.queued_duration_us() > limit {
            let Some((index, from, to)) = self.drop_window() else { break };
            let track = self.fragments[index].track.clone();
            if let Some(d) = self.fragments.remove(index).and_then(dropped_fragment) {
                dropped.push(d);
            }
            self.drop_span(from, to, &track, &mut dropped);
            self.dropped_until_us = Some(self.dropped_until_us.map_or(to, |u| u.max(to)));
        }
        let mut lost_by_track: BTreeMap<&TrackName, u64> = BTreeMap::new();
        for d in &dropped {
            *lost_by_track.entry(&d.track).or_insert(0) += d.duration_us;
        }
        let media_us = lost_by_track.into_values().max().unwrap_or(0);
        dropped.extend(late);
        if dropped.is_empty() {
            return None;
        }
        dropped.sort_by_key(|d| (d.start_us, d.sequence));
        self.counters.dropped += dropped.len() as u64;
        self.counters.dropped_media_us += media_us;
        Some(UploadEvent::Dropped {
            reason: format!(
                "upload queue over {} ms of media per track: dropped {} unsent fragment(s), {} ms of media; the network is slower than the stream",
                limit / 1000,
                dropped.len(),
                media_us / 1000
            ),
            sequences: dropped.iter().map(|d| d.sequence).collect(),
            fragments: dropped,
            media_us,
        })
    }

    /// The queue positions whose spans may be dropped: not the fragment in
    /// flight (the front, when a fragment is in flight) nor the newest.
    fn droppable_range(&self) -> (usize, usize) {
        let first = usize::from(self.in_flight.as_ref().is_some_and(|(_, f)| *f == InFlight::Fragment));
        (first, self.fragments.len().saturating_sub(1).max(first))
    }

    /// Removes every fragment of the tracks other than `except` that may
    /// go (not the one in flight) whose middle is in `from..to` µs, into
    /// `dropped`.
    fn drop_span(&mut self, from: i64, to: i64, except: &TrackName, dropped: &mut Vec<DroppedFragment>) {
        let (mut index, _) = self.droppable_range();
        while index < self.fragments.len() {
            let item = &self.fragments[index];
            if &item.track == except || !(from..to).contains(&fragment_middle_us(&item.kind)) {
                index += 1;
                continue;
            }
            if let Some(d) = self.fragments.remove(index).and_then(dropped_fragment) {
                dropped.push(d);
            }
        }
    }

    /// The fragment to drop next (its queue position) and the media time
    /// span (µs, from, to) the other tracks lose with it: the
    /// earliest-starting droppable fragment whose middle is not before
    /// media already sent, its span starting no earlier than that.
    fn drop_window(&self) -> Option<(usize, i64, i64)> {
        let (first, last) = self.droppable_range();
        let floor = self.sent_end_us.unwrap_or(i64::MIN);
        (first..last)
            .filter_map(|index| match self.fragments[index].kind {
                UploadKind::Fragment { start_us, duration_us, .. }
                    if fragment_middle_us(&self.fragments[index].kind) >= floor =>
                {
                    Some((start_us.max(floor), start_us.saturating_add(duration_us as i64), index))
                }
                _ => None,
            })
            .min()
            .map(|(from, to, index)| (index, from, to))
    }

    /// Queues the end mark, sent after every queued fragment.
    pub fn push_end(&mut self) {
        if self.end.is_none() && !self.ended {
            self.end = Some(0);
        }
    }

    /// Milliseconds until a request may be sent (back-off), or `None` when
    /// one can go now or there is nothing to send.
    pub fn wait_ms(&self, now_ms: f64) -> Option<f64> {
        (self.failed.is_none() && self.in_flight.is_none() && !self.is_idle() && now_ms < self.not_before_ms)
            .then_some(self.not_before_ms - now_ms)
    }

    /// The next request to make, if one may go now.
    pub fn next_request(&mut self, now_ms: f64) -> Option<UploadRequest> {
        if self.failed.is_some() || self.in_flight.is_some() || now_ms < self.not_before_ms {
            return None;
        }
        let id = self.next_id;
        // An init segment not confirmed since the last reconnect goes
        // before the next fragment of its track (or right away when no
        // fragment waits, so the server learns the track early).
        let next_track = self.fragments.front().map(|f| f.track.clone());
        let pending_init = match &next_track {
            Some(t) => self.inits.get(t).filter(|i| !i.confirmed).map(|_| t.clone()),
            None => self.inits.iter().find(|(_, i)| !i.confirmed).map(|(t, _)| t.clone()),
        };
        if let Some(track) = pending_init {
            let init = self.inits.get_mut(&track).expect("found above");
            init.attempts += 1;
            self.next_id += 1;
            self.in_flight = Some((id, InFlight::Init(track.clone())));
            return Some(UploadRequest {
                id,
                method: self.config.method.as_str(),
                path: routes::init_path(&self.config.stream, &track),
                content_type: Some(init.content_type),
                body: init.body.clone(),
                track: Some(track),
                kind: UploadKind::Init,
                attempt: init.attempts,
            });
        }
        if let Some(item) = self.fragments.front_mut() {
            let UploadKind::Fragment { sequence, .. } = item.kind else { unreachable!("only fragments are queued") };
            item.attempts += 1;
            self.next_id += 1;
            self.in_flight = Some((id, InFlight::Fragment));
            if let UploadKind::Fragment { start_us, duration_us, .. } = item.kind {
                let end = start_us.saturating_add(duration_us as i64);
                self.sent_end_us = Some(self.sent_end_us.map_or(end, |e| e.max(end)));
            }
            return Some(UploadRequest {
                id,
                method: self.config.method.as_str(),
                path: routes::fragment_path(&self.config.stream, &item.track, sequence),
                content_type: Some(item.content_type),
                body: item.body.clone(),
                track: Some(item.track.clone()),
                kind: item.kind.clone(),
                attempt: item.attempts,
            });
        }
        if let Some(attempts) = self.end.as_mut() {
            *attempts += 1;
            let attempt = *attempts;
            self.next_id += 1;
            self.in_flight = Some((id, InFlight::End));
            return Some(UploadRequest {
                id,
                method: "POST",
                path: routes::end_path(&self.config.stream),
                content_type: None,
                body: Arc::from(Vec::new()),
                track: None,
                kind: UploadKind::End,
                attempt,
            });
        }
        None
    }

    /// Reports how request `id` ended, at `now_ms` (the same clock as
    /// [`Self::next_request`]). Unknown ids are ignored.
    pub fn on_response(&mut self, id: u64, now_ms: f64, outcome: Outcome<'_>) -> Vec<UploadEvent> {
        let Some((flying, what)) = self.in_flight.take() else { return Vec::new() };
        if flying != id {
            self.in_flight = Some((flying, what));
            return Vec::new();
        }
        let path = self.path_of(&what);
        let attempt = self.attempts_of(&what);
        let (status, retry_after, body) = match outcome {
            Outcome::Network(reason) => {
                // The server may have restarted: confirm the init segments again.
                for init in self.inits.values_mut() {
                    init.confirmed = false;
                }
                return vec![self.retry(path, attempt, now_ms, None, format!("network error: {reason}"))];
            }
            Outcome::Http { status, retry_after, body } => (status, retry_after, body),
        };
        if (200..300).contains(&status) {
            return self.acknowledged(what, body, now_ms);
        }
        let error = serde_json::from_str::<ErrorBody>(body).ok().map(|b| b.error);
        if error.as_ref().is_some_and(|e| e.code == IngestErrorCode::InitRequired) {
            if let InFlight::Fragment = what {
                let track = self.fragments.front().map(|f| f.track.clone());
                if let Some(init) = track.and_then(|t| self.inits.get_mut(&t)) {
                    init.confirmed = false;
                    // Send the init segment, then this fragment again, at
                    // once; a server that keeps forgetting it gets the
                    // usual back-off from the third time on.
                    if attempt < 3 {
                        return Vec::new();
                    }
                }
            }
        }
        let retryable = match &error {
            Some(e) => e.code.is_retryable() || e.code == IngestErrorCode::InitRequired || status == 429,
            None => status >= 500 || status == 408 || status == 429,
        };
        let reason = match &error {
            Some(e) => format!("HTTP {status} {}: {}", e.code, e.message),
            None => format!("HTTP {status}"),
        };
        if retryable {
            return vec![self.retry(path, attempt, now_ms, retry_after, reason)];
        }
        let error = error.unwrap_or_else(|| IngestError::new(IngestErrorCode::BadRequest, reason));
        match what {
            InFlight::Fragment => {
                let item = self.fragments.pop_front().expect("in flight");
                let UploadKind::Fragment { sequence, .. } = item.kind else { unreachable!() };
                self.counters.rejected += 1;
                vec![UploadEvent::Rejected { path, sequence, error }]
            }
            InFlight::Init(_) | InFlight::End => {
                self.failed = Some(error.clone());
                vec![UploadEvent::Failed { error }]
            }
        }
    }

    fn path_of(&self, what: &InFlight) -> String {
        let stream = &self.config.stream;
        match what {
            InFlight::Init(t) => routes::init_path(stream, t),
            InFlight::End => routes::end_path(stream),
            InFlight::Fragment => match self.fragments.front() {
                Some(Item { track, kind: UploadKind::Fragment { sequence, .. }, .. }) => {
                    routes::fragment_path(stream, track, *sequence)
                }
                _ => String::new(),
            },
        }
    }

    fn attempts_of(&self, what: &InFlight) -> u32 {
        match what {
            InFlight::Init(t) => self.inits.get(t).map_or(1, |i| i.attempts),
            InFlight::End => self.end.unwrap_or(1),
            InFlight::Fragment => self.fragments.front().map_or(1, |f| f.attempts),
        }
    }

    fn retry(
        &mut self,
        path: String,
        attempt: u32,
        now_ms: f64,
        retry_after: Option<&str>,
        reason: String,
    ) -> UploadEvent {
        self.counters.retries += 1;
        let unit = self.rng.unit();
        let backoff = self.config.backoff.delay_ms(attempt, unit);
        let asked = retry_after.and_then(parse_retry_after_ms).unwrap_or(0);
        let delay_ms = backoff.max(asked);
        self.not_before_ms = now_ms + delay_ms as f64;
        UploadEvent::Retry { path, attempt: attempt + 1, delay_ms, reason }
    }

    fn acknowledged(&mut self, what: InFlight, body: &str, now_ms: f64) -> Vec<UploadEvent> {
        let bad_answer = |what: &str, e: serde_json::Error| {
            IngestError::new(
                IngestErrorCode::Internal,
                format!("the server's {what} acknowledgement does not parse: {e}"),
            )
        };
        match what {
            InFlight::Init(track) => match serde_json::from_str::<InitAck>(body) {
                Ok(ack) => {
                    if let Some(init) = self.inits.get_mut(&track) {
                        init.confirmed = true;
                        init.attempts = 0;
                    }
                    vec![UploadEvent::InitAcked { ack }]
                }
                Err(e) => self.fail(bad_answer("init", e)),
            },
            InFlight::Fragment => {
                let item = self.fragments.pop_front().expect("in flight");
                match serde_json::from_str::<FragmentAck>(body) {
                    Ok(ack) => {
                        self.counters.acknowledged += 1;
                        self.counters.bytes_acknowledged += item.body.len() as u64;
                        vec![UploadEvent::FragmentAcked {
                            ack,
                            latency_ms: now_ms - item.queued_ms,
                            attempts: item.attempts,
                        }]
                    }
                    Err(e) => self.fail(bad_answer("fragment", e)),
                }
            }
            InFlight::End => match serde_json::from_str::<EndAck>(body) {
                Ok(ack) => {
                    self.end = None;
                    self.ended = true;
                    vec![UploadEvent::Ended { ack }]
                }
                Err(e) => self.fail(bad_answer("end", e)),
            },
        }
    }

    fn fail(&mut self, error: IngestError) -> Vec<UploadEvent> {
        self.failed = Some(error.clone());
        vec![UploadEvent::Failed { error }]
    }
}

fn fragment_duration(kind: &UploadKind) -> u64 {
    match kind {
        UploadKind::Fragment { duration_us, .. } => *duration_us,
        _ => 0,
    }
}

/// What is reported of a dropped queue item (every queued item is a
/// fragment).
fn dropped_fragment(item: Item) -> Option<DroppedFragment> {
    match item.kind {
        UploadKind::Fragment { sequence, start_us, duration_us } => {
            Some(DroppedFragment { track: item.track, sequence, start_us, duration_us })
        }
        _ => None,
    }
}

/// The middle of a fragment's media time span, in µs.
fn fragment_middle_us(kind: &UploadKind) -> i64 {
    match kind {
        UploadKind::Fragment { start_us, duration_us, .. } => start_us.saturating_add((*duration_us / 2) as i64),
        _ => 0,
    }
}

/// `Retry-After` as delay-seconds (RFC 9110 §10.2.3), in ms; at most one
/// hour. An HTTP-date is not understood (it needs a wall clock): the
/// back-off applies.
pub fn parse_retry_after_ms(value: &str) -> Option<u64> {
    let v = value.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse::<u64>().ok().map(|s| s.min(3600) * 1000)
}

impl fmt::Display for UploadEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UploadEvent::InitAcked { ack } => write!(f, "init segment of {} acknowledged", ack.track),
            UploadEvent::FragmentAcked { ack, latency_ms, .. } => {
                write!(f, "fragment {} of {} acknowledged after {latency_ms:.0} ms", ack.sequence, ack.track)
            }
            UploadEvent::Ended { .. } => write!(f, "end of stream acknowledged"),
            UploadEvent::Retry { path, attempt, delay_ms, reason } => {
                write!(f, "{path}: {reason}; try {attempt} in {delay_ms} ms")
            }
            UploadEvent::Rejected { path, error, .. } => {
                write!(f, "{path} refused: {} ({})", error.message, error.code)
            }
            UploadEvent::Dropped { reason, .. } => f.write_str(reason),
            UploadEvent::Failed { error } => write!(f, "publishing failed: {} ({})", error.message, error.code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::MediaKind;

    fn stream() -> StreamName {
        StreamName::new("cam").unwrap()
    }
    fn video() -> TrackName {
        TrackName::new("video").unwrap()
    }

    fn queue() -> UploadQueue {
        let mut q = UploadQueue::new(UploadConfig::new(stream()));
        q.set_init(video(), vec![1, 2, 3], CONTENT_TYPE_VIDEO_MP4);
        q
    }

    fn init_ack() -> String {
        serde_json::to_string(&InitAck {
            stream: stream(),
            track: video(),
            kind: MediaKind::Video,
            codec: "avc1.4d401e".into(),
            timescale: 90_000,
            bytes: 3,
            server_timestamp: 1,
            persisted: true,
            duplicate: false,
        })
        .unwrap()
    }

    fn fragment_ack(sequence: u64) -> String {
        serde_json::to_string(&FragmentAck {
            stream: stream(),
            track: video(),
            sequence,
            producer_timestamp: 0,
            server_timestamp: 2,
            duration: 1_000_000,
            bytes: 4,
            keyframe: true,
            persisted: true,
            duplicate: false,
            discontinuity: false,
        })
        .unwrap()
    }

    fn error(code: IngestErrorCode) -> String {
        serde_json::to_string(&IngestError::new(code, "why").into_body()).unwrap()
    }

    fn ok(body: &str) -> Outcome<'_> {
        Outcome::Http { status: 201, retry_after: None, body }
    }

    fn push(q: &mut UploadQueue, seq: u64, now: f64) -> Option<UploadEvent> {
        q.push_fragment(video(), seq, (seq as i64 - 1) * 1_000_000, 1_000_000, vec![seq as u8; 4], now)
    }

    /// Sends what the queue asks for, answering with `answer`, until idle.
    fn drain(
        q: &mut UploadQueue,
        mut now: f64,
        mut answer: impl FnMut(&UploadRequest) -> (u16, String),
    ) -> Vec<String> {
        let mut paths = Vec::new();
        for _ in 0..1000 {
            if let Some(wait) = q.wait_ms(now) {
                now += wait;
            }
            let Some(req) = q.next_request(now) else { break };
            paths.push(req.path.clone());
            let (status, body) = answer(&req);
            q.on_response(req.id, now, Outcome::Http { status, retry_after: None, body: &body });
        }
        paths
    }

    #[test]
    fn init_first_then_fragments_in_order_then_end() {
        let mut q = queue();
        push(&mut q, 1, 0.0);
        push(&mut q, 2, 0.0);
        q.push_end();
        let paths = drain(&mut q, 0.0, |r| match r.kind {
            UploadKind::Init => (201, init_ack()),
            UploadKind::Fragment { sequence, .. } => (201, fragment_ack(sequence)),
            UploadKind::End => (200, r#"{"stream":"cam","ended":true,"serverTimestamp":3,"persisted":true}"#.into()),
        });
        assert_eq!(
            paths,
            ["/streams/cam/video/init.mp4", "/streams/cam/video/1.m4s", "/streams/cam/video/2.m4s", "/streams/cam/end"]
        );
        assert!(q.is_idle() && q.is_ended());
        assert_eq!(q.counters().acknowledged, 2);
    }

    #[test]
    fn uploads_use_the_configured_method() {
        let mut config = UploadConfig::new(stream());
        config.method = UploadMethod::Post;
        let mut q = UploadQueue::new(config);
        q.set_init(video(), vec![1], CONTENT_TYPE_VIDEO_MP4);
        push(&mut q, 1, 0.0);
        let init = q.next_request(0.0).unwrap();
        assert_eq!(init.method, "POST");
        q.on_response(init.id, 0.0, ok(&init_ack()));
        assert_eq!(q.next_request(0.0).unwrap().method, "POST");
        assert_eq!(queue().next_request(0.0).unwrap().method, "PUT", "the default");
    }

    #[test]
    fn one_request_in_flight_and_stale_answers_are_ignored() {
        let mut q = queue();
        push(&mut q, 1, 0.0);
        let a = q.next_request(0.0).unwrap();
        assert!(q.next_request(0.0).is_none(), "one at a time");
        assert!(q.on_response(a.id + 7, 0.0, ok(&init_ack())).is_empty());
        assert!(q.next_request(0.0).is_none());
        q.on_response(a.id, 0.0, ok(&init_ack()));
        assert_eq!(q.next_request(0.0).unwrap().path, "/streams/cam/video/1.m4s");
    }

    #[test]
    fn network_errors_back_off_with_jitter_and_resend_the_init() {
        let mut q = queue();
        push(&mut q, 1, 0.0);
        let init = q.next_request(0.0).unwrap();
        q.on_response(init.id, 0.0, ok(&init_ack()));
        let mut now = 0.0;
        let mut delays = Vec::new();
        for attempt in 1..=6u32 {
            let f = q.next_request(now).unwrap();
            assert_eq!(f.path, "/streams/cam/video/1.m4s");
            assert_eq!(f.attempt, attempt);
            let ev = q.on_response(f.id, now, Outcome::Network("connection refused"));
            let UploadEvent::Retry { delay_ms, attempt: next, .. } = ev[0] else { panic!("{ev:?}") };
            assert_eq!(next, attempt + 1);
            let ceiling = 250u64 << (attempt - 1).min(5);
            let ceiling = ceiling.min(8000);
            assert!((ceiling / 2..=ceiling).contains(&delay_ms), "try {attempt}: {delay_ms} ms");
            delays.push(delay_ms);
            assert!(q.next_request(now + delay_ms as f64 - 1.0).is_none(), "not before the back-off");
            assert_eq!(q.wait_ms(now), Some(delay_ms as f64));
            now += delay_ms as f64;
            // After a network error the init segment goes again first.
            let again = q.next_request(now).unwrap();
            assert_eq!(again.kind, UploadKind::Init);
            q.on_response(again.id, now, ok(&init_ack()));
        }
        assert!(delays.windows(2).any(|w| w[0] != w[1] / 2), "jittered: {delays:?}");
        assert_eq!(q.counters().retries, 6);
    }

    #[test]
    fn retry_after_is_honoured_for_429_and_503() {
        for status in [429u16, 503] {
            let mut q = queue();
            push(&mut q, 1, 0.0);
            let init = q.next_request(0.0).unwrap();
            q.on_response(init.id, 0.0, ok(&init_ack()));
            let f = q.next_request(0.0).unwrap();
            let ev = q.on_response(f.id, 0.0, Outcome::Http { status, retry_after: Some("3"), body: "" });
            assert!(matches!(ev[0], UploadEvent::Retry { delay_ms: 3000, .. }), "{ev:?}");
            assert!(q.next_request(2999.0).is_none());
            assert_eq!(q.next_request(3000.0).unwrap().path, "/streams/cam/video/1.m4s");
        }
        assert_eq!(parse_retry_after_ms(" 2 "), Some(2000));
        assert_eq!(parse_retry_after_ms("Wed, 21 Oct 2026 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after_ms("-1"), None);
        assert_eq!(parse_retry_after_ms("99999999999999999999999"), None);
        assert_eq!(parse_retry_after_ms("86400"), Some(3_600_000));
    }

    #[test]
    fn init_required_resends_the_init_then_the_fragment() {
        let mut q = queue();
        push(&mut q, 1, 0.0);
        let mut sent_init = 0;
        let paths = drain(&mut q, 0.0, |r| match r.kind {
            UploadKind::Init => {
                sent_init += 1;
                (201, init_ack())
            }
            UploadKind::Fragment { sequence, .. } if sent_init < 2 => {
                let _ = sequence;
                (412, error(IngestErrorCode::InitRequired))
            }
            UploadKind::Fragment { sequence, .. } => (201, fragment_ack(sequence)),
            UploadKind::End => unreachable!(),
        });
        assert_eq!(
            paths,
            [
                "/streams/cam/video/init.mp4",
                "/streams/cam/video/1.m4s",
                "/streams/cam/video/init.mp4",
                "/streams/cam/video/1.m4s"
            ]
        );
        assert_eq!(q.counters().retries, 0, "no back-off for a plain 412");
    }

    #[test]
    fn a_refused_fragment_is_dropped_and_the_rest_go_on() {
        let mut q = queue();
        push(&mut q, 1, 0.0);
        push(&mut q, 2, 0.0);
        let mut events = Vec::new();
        let mut now = 0.0;
        while let Some(r) = q.next_request(now) {
            let (status, body) = match r.kind {
                UploadKind::Init => (201, init_ack()),
                UploadKind::Fragment { sequence: 1, .. } => (409, error(IngestErrorCode::NonMonotonic)),
                UploadKind::Fragment { sequence, .. } => (201, fragment_ack(sequence)),
                UploadKind::End => unreachable!(),
            };
            events.extend(q.on_response(r.id, now, Outcome::Http { status, retry_after: None, body: &body }));
            now += 1.0;
        }
        assert!(
            matches!(&events[1], UploadEvent::Rejected { sequence: 1, error, .. } if error.code == IngestErrorCode::NonMonotonic)
        );
        assert!(matches!(&events[2], UploadEvent::FragmentAcked { ack, .. } if ack.sequence == 2));
        assert_eq!(q.counters().rejected, 1);
        assert!(q.is_idle() && q.failure().is_none());
    }

    #[test]
    fn a_refused_init_or_a_garbled_answer_fails_the_queue() {
        let mut q = queue();
        push(&mut q, 1, 0.0);
        let r = q.next_request(0.0).unwrap();
        let ev = q.on_response(
            r.id,
            0.0,
            Outcome::Http { status: 401, retry_after: None, body: &error(IngestErrorCode::Unauthorized) },
        );
        assert!(matches!(&ev[0], UploadEvent::Failed { error } if error.code == IngestErrorCode::Unauthorized));
        assert!(q.next_request(1e9).is_none() && q.is_idle());

        let mut q = queue();
        let r = q.next_request(0.0).unwrap();
        let ev = q.on_response(r.id, 0.0, ok("<html>proxy</html>"));
        assert!(matches!(&ev[0], UploadEvent::Failed { error } if error.code == IngestErrorCode::Internal));

        // A 4xx without a JSON body is still refused, not retried.
        let mut q = queue();
        let r = q.next_request(0.0).unwrap();
        let ev = q.on_response(r.id, 0.0, Outcome::Http { status: 404, retry_after: None, body: "nope" });
        assert!(matches!(&ev[0], UploadEvent::Failed { .. }));
    }

    #[test]
    fn the_queue_drops_the_oldest_unsent_fragments_when_full() {
        let mut config = UploadConfig::new(stream());
        config.max_queue_duration = Timestamp::from_millis(3000);
        let mut q = UploadQueue::new(config);
        q.set_init(video(), vec![1], CONTENT_TYPE_VIDEO_MP4);
        let init = q.next_request(0.0).unwrap();
        q.on_response(init.id, 0.0, ok(&init_ack()));
        push(&mut q, 1, 0.0);
        let flying = q.next_request(0.0).unwrap();
        for seq in 2..=3 {
            assert!(push(&mut q, seq, 0.0).is_none());
        }
        // 4 s queued with a 3 s bound: fragment 1 is in flight and stays,
        // fragment 2 goes.
        let ev = push(&mut q, 4, 0.0).unwrap();
        assert!(matches!(&ev, UploadEvent::Dropped { sequences, .. } if sequences == &[2]), "{ev:?}");
        assert_eq!(q.queued_fragments(), 3);
        assert!(q.queued_duration_us() <= 3_000_000);
        q.on_response(flying.id, 0.0, ok(&fragment_ack(1)));
        let paths = drain(&mut q, 0.0, |r| match r.kind {
            UploadKind::Fragment { sequence, .. } => (201, fragment_ack(sequence)),
            _ => (201, init_ack()),
        });
        assert_eq!(paths, ["/streams/cam/video/3.m4s", "/streams/cam/video/4.m4s"]);
        assert_eq!(q.counters().dropped, 1);
    }

    fn audio() -> TrackName {
        TrackName::new("audio").unwrap()
    }

    /// Video fragments of 2 s and AAC fragments of 94 frames of 1024
    /// samples at 48 kHz (2.005333 s, so their boundaries drift against
    /// the video's), interleaved in the order a publisher makes them
    /// (whichever ends first), those that end by `to_s` seconds.
    fn av_fragments(to_s: i64) -> Vec<(TrackName, u64, i64, u64)> {
        const AUDIO_US: i64 = 94 * 1024 * 1_000_000 / 48_000;
        let mut made = Vec::new();
        let (mut v, mut a) = (0i64, 0i64);
        loop {
            let (v_end, a_end) = ((v + 1) * 2_000_000, (a + 1) * AUDIO_US);
            if v_end.min(a_end) > to_s * 1_000_000 {
                break;
            }
            if v_end <= a_end {
                made.push((video(), v as u64 + 1, v * 2_000_000, 2_000_000));
                v += 1;
            } else {
                made.push((audio(), a as u64 + 1, a * AUDIO_US, AUDIO_US as u64));
                a += 1;
            }
        }
        made
    }

    fn av_queue(max_ms: i64) -> UploadQueue {
        let mut config = UploadConfig::new(stream());
        config.max_queue_duration = Timestamp::from_millis(max_ms);
        let mut q = UploadQueue::new(config);
        q.set_init(video(), vec![1], CONTENT_TYPE_VIDEO_MP4);
        q.set_init(audio(), vec![2], crate::ingest::routes::CONTENT_TYPE_AUDIO_MP4);
        q
    }

    type Indexes = BTreeMap<TrackName, crate::ingest::TrackIndex>;

    /// Answers every request (after any back-off) like a server that
    /// stores everything, feeding each fragment sent to the track's
    /// [`TrackIndex`], which refuses what the real server refuses; returns
    /// how many fragments went.
    fn serve(q: &mut UploadQueue, indexes: &mut Indexes) -> usize {
        let now = 1e9;
        let mut sent = 0;
        while let Some(r) = q.next_request(now) {
            let body = match r.kind {
                UploadKind::Init => init_ack(),
                UploadKind::Fragment { sequence, start_us, duration_us } => {
                    let track = r.track.clone().unwrap();
                    let ix = indexes
                        .entry(track.clone())
                        .or_insert_with(|| crate::ingest::TrackIndex::new(track, Timescale::MICROS));
                    let facts = crate::ingest::FragmentFacts::new(start_us, duration_us, Timescale::MICROS, 1, true, 4);
                    let record = ix.admit(sequence, &facts, 0).expect("the server takes it");
                    ix.push(record).unwrap();
                    sent += 1;
                    fragment_ack(sequence)
                }
                UploadKind::End => unreachable!(),
            };
            q.on_response(r.id, now, ok(&body));
        }
        assert!(q.is_idle());
        sent
    }

    fn serve_all(q: &mut UploadQueue) -> Indexes {
        let mut indexes = Indexes::new();
        serve(q, &mut indexes);
        indexes
    }

    #[test]
    fn the_bound_is_media_time_per_track_not_the_sum_over_tracks() {
        // 45 s of audio and video waiting (a 45 s outage) fits the default
        // 60 s: the old sum over tracks (90 s) dropped a third of it.
        let mut q = av_queue(60_000);
        let made = av_fragments(60);
        let (outage, rest) = made.split_at(made.iter().position(|f| f.2 + f.3 as i64 > 45_000_000).unwrap());
        for (track, seq, start, dur) in outage.iter().cloned() {
            assert_eq!(q.push_fragment(track, seq, start, dur, vec![0; 4], 0.0), None, "nothing dropped at {start} µs");
        }
        let by_track = q.queued_duration_by_track();
        assert_eq!(by_track[&video()], 44_000_000);
        assert_eq!(by_track[&audio()], 22 * 2_005_333);
        assert_eq!(q.queued_duration_us(), 22 * 2_005_333, "the longest track, not the sum");
        // Up to the bound on each track, still nothing goes.
        for (track, seq, start, dur) in rest.iter().cloned() {
            assert_eq!(q.push_fragment(track, seq, start, dur, vec![0; 4], 0.0), None);
        }
        assert_eq!(q.counters().dropped, 0);
        let indexes = serve_all(&mut q);
        assert_eq!(indexes[&video()].len(), 30);
        assert_eq!(indexes[&video()].discontinuities(), 0);
        assert_eq!(indexes[&audio()].discontinuities(), 0);
    }

    #[test]
    fn past_the_bound_the_same_oldest_span_goes_from_both_tracks() {
        // Nothing goes out (an outage) while 30 s of media is made, with a
        // 10 s bound per track.
        let mut q = av_queue(10_000);
        let mut events = Vec::new();
        for (track, seq, start, dur) in av_fragments(30) {
            events.extend(q.push_fragment(track.clone(), seq, start, dur, vec![0; 4], 0.0));
            for (t, d) in q.queued_duration_by_track() {
                assert!(d <= 10_000_000, "{t} holds {d} µs after fragment {seq} of {track}");
            }
        }
        let mut dropped = Vec::new();
        let mut media_us = 0;
        for e in &events {
            let UploadEvent::Dropped { sequences, fragments, media_us: lost, reason } = e else { panic!("{e:?}") };
            assert_eq!(sequences, &fragments.iter().map(|f| f.sequence).collect::<Vec<_>>());
            assert!(reason.contains("per track"), "{reason}");
            // Each drop takes one video GOP and the audio of the same span.
            let video_lost: u64 = fragments.iter().filter(|f| f.track == video()).map(|f| f.duration_us).sum();
            let audio_lost: u64 = fragments.iter().filter(|f| f.track == audio()).map(|f| f.duration_us).sum();
            assert_eq!(*lost, video_lost.max(audio_lost));
            assert!(video_lost.abs_diff(audio_lost) <= 2_005_333, "{fragments:?}");
            media_us += lost;
            dropped.extend(fragments.iter().cloned());
        }
        assert_eq!(q.counters().dropped, dropped.len() as u64);
        assert_eq!(q.counters().dropped_media_us, media_us);
        let lost = |t: TrackName| -> Vec<u64> { dropped.iter().filter(|f| f.track == t).map(|f| f.sequence).collect() };
        // The oldest go: video 1..=10 (0-20 s), audio 1..=10 (0-20.05 s).
        assert_eq!(lost(video()), (1..=10).collect::<Vec<_>>());
        assert_eq!(lost(audio()), (1..=10).collect::<Vec<_>>());
        assert_eq!(media_us, 20_053_330);
        // The server takes the rest: one gap on each track, at the same time.
        let indexes = serve_all(&mut q);
        for ix in indexes.values() {
            assert_eq!(ix.discontinuities(), 0, "the first fragment it gets starts the track");
            let first = &ix.records()[0];
            assert!((20_000_000..=20_053_334).contains(&first.start), "{:?}", first);
        }
    }

    #[test]
    fn drops_leave_a_marked_gap_on_every_track_and_never_what_was_sent() {
        let mut q = av_queue(8_000);
        let made = av_fragments(40);
        let phase = |from_s: i64, to_s: i64| {
            made.iter().filter(move |f| (from_s * 1_000_000..to_s * 1_000_000).contains(&f.2)).cloned()
        };
        // 6 s goes through.
        for (track, seq, start, dur) in phase(0, 6) {
            assert!(q.push_fragment(track, seq, start, dur, vec![0; 4], 0.0).is_none());
        }
        let mut indexes = serve_all(&mut q);
        // Then a fragment goes out and hangs (the network is down) while
        // 20 s more is made.
        let mut events = Vec::new();
        let mut hanging = None;
        for (track, seq, start, dur) in phase(6, 26) {
            events.extend(q.push_fragment(track, seq, start, dur, vec![0; 4], 0.0));
            if hanging.is_none() {
                hanging = q.next_request(0.0);
            }
        }
        let hanging = hanging.unwrap();
        let (UploadKind::Fragment { sequence: hung, .. }, Some(hung_track)) = (&hanging.kind, &hanging.track) else {
            panic!("{hanging:?}")
        };
        assert!(!events.is_empty());
        for e in &events {
            let UploadEvent::Dropped { fragments, .. } = e else { panic!("{e:?}") };
            assert!(!fragments.iter().any(|f| &f.track == hung_track && f.sequence == *hung));
            // Nothing lying mostly before what was sent goes (the video
            // fragment in flight ends at 8 s): the audio fragment beside
            // it stays.
            for f in fragments {
                assert!(f.start_us + f.duration_us as i64 / 2 >= 8_000_000, "{f:?}");
            }
        }
        // The network is back: the rest goes, then more media, sent as made.
        let r = q.on_response(hanging.id, 0.0, Outcome::Network("reset"));
        assert!(matches!(r[0], UploadEvent::Retry { .. }));
        assert!(serve(&mut q, &mut indexes) > 0);
        for (track, seq, start, dur) in phase(26, 40) {
            assert!(q.push_fragment(track, seq, start, dur, vec![0; 4], 0.0).is_none());
            serve(&mut q, &mut indexes);
        }
        // One marked gap on each track, over the same span to within a
        // fragment boundary.
        let gap = |t: TrackName| {
            let ix = &indexes[&t];
            assert_eq!(ix.discontinuities(), 1, "{t}: one marked gap");
            assert!(ix.missing() > 0, "{t}: numbers skipped");
            let w = ix.records().windows(2).find(|w| w[1].discontinuity).unwrap();
            let (end, next) = (w[0].start + w[0].duration as i64, w[1].start);
            assert!(next > end, "{t}: a time gap");
            (end, next)
        };
        let (v, a) = (gap(video()), gap(audio()));
        assert!(v.0.abs_diff(a.0) < 2_005_334 && v.1.abs_diff(a.1) < 2_005_334, "video gap {v:?}, audio gap {a:?}");
        assert_eq!(v.0, 8_000_000, "video continues to the fragment in flight");
    }

    #[test]
    fn a_fragment_queued_after_its_span_went_goes_too_and_the_newest_goes_with_its_span() {
        let push = |q: &mut UploadQueue, track: TrackName, seq: u64, start_ms: i64| {
            q.push_fragment(track, seq, start_ms * 1000, 1_000_000, vec![0; 4], 0.0)
        };
        // Audio lags: video 1..=4 are queued (nothing goes out) before audio
        // 1; with a 3 s bound video 1 goes, then audio 1, queued after its
        // span went, goes at once, and the media time is not counted twice.
        let mut q = av_queue(3_000);
        for seq in 1..=3 {
            assert!(push(&mut q, video(), seq, (seq as i64 - 1) * 1000).is_none());
        }
        let ev = push(&mut q, video(), 4, 3000).unwrap();
        assert!(
            matches!(&ev, UploadEvent::Dropped { sequences, media_us: 1_000_000, .. } if sequences == &[1]),
            "{ev:?}"
        );
        let ev = push(&mut q, audio(), 1, 10).unwrap();
        let UploadEvent::Dropped { fragments, media_us, .. } = &ev else { panic!("{ev:?}") };
        assert_eq!((fragments[0].track.clone(), fragments[0].sequence, *media_us), (audio(), 1, 0));
        assert!(push(&mut q, audio(), 2, 1010).is_none(), "the next span stays");
        assert_eq!((q.counters().dropped, q.counters().dropped_media_us), (2, 1_000_000));

        // Audio leads: with a 1 s bound and video 2 in flight, audio 3 is
        // queued, then video 3 (the newest) pushes video over the bound:
        // the earliest span that may go is audio 3's, and video 3, in it,
        // goes too.
        let mut q = av_queue(1_000);
        assert!(push(&mut q, video(), 1, 0).is_none());
        assert!(push(&mut q, audio(), 1, 10).is_none());
        let mut indexes = serve_all(&mut q);
        assert!(push(&mut q, video(), 2, 1000).is_none());
        let flying = q.next_request(0.0).unwrap();
        assert!(push(&mut q, audio(), 2, 1010).is_none(), "beside what is in flight: stays");
        assert!(push(&mut q, audio(), 3, 2010).is_none());
        let ev = push(&mut q, video(), 3, 2000).unwrap();
        let UploadEvent::Dropped { fragments, .. } = &ev else { panic!("{ev:?}") };
        let lost: Vec<_> = fragments.iter().map(|f| (f.track.as_str(), f.sequence)).collect();
        assert_eq!(lost, [("video", 3), ("audio", 3)]);
        q.on_response(flying.id, 0.0, ok(&fragment_ack(2)));
        // Video 2 was stored outside serve(): store it in the index too.
        let facts = crate::ingest::FragmentFacts::new(1_000_000, 1_000_000, Timescale::MICROS, 1, true, 4);
        let ix = indexes.get_mut(&video()).unwrap();
        let record = ix.admit(2, &facts, 0).unwrap();
        ix.push(record).unwrap();
        serve(&mut q, &mut indexes);
        assert!(push(&mut q, video(), 4, 3000).is_none() && push(&mut q, audio(), 4, 3010).is_none());
        serve(&mut q, &mut indexes);
        for ix in indexes.values() {
            assert_eq!((ix.discontinuities(), ix.missing()), (1, 1), "{}: one gap, fragment 3", ix.track());
        }
    }

    #[test]
    fn backoff_grows_to_its_ceiling() {
        let b = Backoff::default();
        assert_eq!(b.delay_ms(1, 0.0), 125);
        assert_eq!(b.delay_ms(1, 0.999_999), 249);
        assert_eq!(b.delay_ms(3, 0.0), 500);
        assert_eq!(b.delay_ms(40, 0.0), 4000);
        assert!(b.delay_ms(u32::MAX, 1.0) <= 8000);
    }
}
