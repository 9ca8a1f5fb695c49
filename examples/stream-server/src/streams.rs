//! The streams in memory, what each request does to them, and how they are
//! rebuilt from disk at start.
//!
//! Each stream has one async lock: uploads, ends and deletes of a stream
//! run one at a time (a publisher sends in order anyway), and playlist
//! reads take it briefly. A write holds the lock until its index line is
//! flushed, so the memory state never runs ahead of the disk.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use framecast::codec::{CodecConfig, TrackKind};
use framecast::ingest::{
    routes, EndAck, FragmentFacts, FragmentRecord, IndexEntry, IngestError, IngestErrorCode, InitAck, MediaKind,
    PlaybackPaths, PlaylistOptions, Slot, StreamInfo, StreamList, StreamName, StreamPlaylists, TrackIndex, TrackInfo,
    TrackName,
};
use framecast::mux::reader::{FragmentRules, Movie};
use framecast::mux::TrackConfig;
use framecast::playlist::PlaylistError;
use serde_json::json;

use crate::config::{Config, MAX_TRACKS};
use crate::log::{self, now_ms};
use crate::store::{self, IndexLog, Store, StreamMeta};

/// One track: its init segment as read, and its fragment index.
struct Track {
    movie: Movie,
    config: TrackConfig,
    kind: TrackKind,
    codec: String,
    init: Arc<Vec<u8>>,
    init_server_timestamp: i64,
    index: TrackIndex,
}

struct StreamState {
    /// Set when the stream is deleted while someone waited for the lock.
    deleted: bool,
    meta: StreamMeta,
    tracks: BTreeMap<TrackName, Track>,
    log: Arc<Mutex<IndexLog>>,
    playlists: StreamPlaylists,
    ended: bool,
}

struct StreamHandle {
    state: tokio::sync::Mutex<StreamState>,
}

/// The server's state.
pub struct App {
    pub cfg: Config,
    store: Store,
    streams: RwLock<BTreeMap<StreamName, Arc<StreamHandle>>>,
    /// Serialises creating and deleting streams.
    create_lock: tokio::sync::Mutex<()>,
    shutting_down: AtomicBool,
    in_flight: AtomicUsize,
}

/// Counts a write in progress for as long as it lives.
pub struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn storage_error(what: &str, e: impl std::fmt::Display) -> IngestError {
    log::error("storage error", json!({ "what": what, "error": e.to_string() }));
    IngestError::new(IngestErrorCode::StorageError, format!("could not store the {what}; nothing was stored: {e}"))
}

fn internal(what: &str, e: impl std::fmt::Display) -> IngestError {
    log::error("internal error", json!({ "what": what, "error": e.to_string() }));
    IngestError::new(IngestErrorCode::Internal, format!("{what}: {e}"))
}

fn stream_not_found(name: &StreamName) -> IngestError {
    IngestError::new(IngestErrorCode::StreamNotFound, format!("stream {name} does not exist")).with_field("stream")
}

/// Runs blocking I/O on tokio's blocking threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, IngestError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| internal("blocking task", e))
}

fn playlist_options(cfg: &Config, meta: &StreamMeta) -> PlaylistOptions {
    let mut o = PlaylistOptions::with_window(cfg.window);
    o.cache_token = Some(meta.cache_token.clone());
    o
}

impl StreamState {
    /// Runs `f` on the playlists to serve: the live ones (a sliding window)
    /// while the stream is live; once it has ended, ones listing every
    /// stored fragment, so the whole recording plays on demand.
    fn with_playlists<R>(&self, cfg: &Config, f: impl FnOnce(&StreamPlaylists) -> R) -> R {
        if !self.ended {
            return f(&self.playlists);
        }
        let total = self.tracks.values().map(|t| t.index.len()).max().unwrap_or(0).max(1);
        let mut options = playlist_options(cfg, &self.meta);
        options.window = total;
        let Ok(mut full) = StreamPlaylists::new(options) else { return f(&self.playlists) };
        let mut records: Vec<&FragmentRecord> = Vec::new();
        for (name, t) in &self.tracks {
            if full.set_track(name, t.config.clone()).is_err() {
                return f(&self.playlists);
            }
            records.extend(t.index.records());
        }
        // The order they were stored in: the first one fixes the wall clock.
        records.sort_by_key(|r| (r.server_timestamp, r.sequence));
        for r in records {
            // Refusals were logged when the fragment was stored.
            let _ = full.push(r);
        }
        full.set_ended(true);
        f(&full)
    }

    fn info(&self) -> StreamInfo {
        let mut tracks = Vec::with_capacity(self.tracks.len());
        let (mut fragments, mut bytes, mut duration) = (0u64, 0u64, 0u64);
        for (name, t) in &self.tracks {
            let ts = t.config.timescale.get();
            let records = t.index.records();
            let track_duration =
                u64::try_from(t.index.duration_ticks() * 1_000_000 / u128::from(ts)).unwrap_or(u64::MAX);
            let (width, height, sample_rate, channels) = match &t.config.codec {
                CodecConfig::Avc { width, height, .. } => (Some(*width), Some(*height), None, None),
                CodecConfig::Aac { sample_rate, channels, .. } | CodecConfig::Flac { sample_rate, channels, .. } => {
                    (None, None, Some(*sample_rate), Some(u32::from(*channels)))
                }
                CodecConfig::Opus { channels, .. } => (None, None, Some(48_000), Some(u32::from(*channels))),
                _ => (None, None, None, None),
            };
            tracks.push(TrackInfo {
                name: name.clone(),
                kind: MediaKind::from(t.kind),
                codec: t.codec.clone(),
                timescale: ts,
                width,
                height,
                sample_rate,
                channels,
                fragments: records.len() as u64,
                first_sequence: records.first().map(|r| r.sequence),
                last_sequence: records.last().map(|r| r.sequence),
                missing: t.index.missing(),
                discontinuities: t.index.discontinuities(),
                first_producer_timestamp: records.first().map(|r| r.producer_timestamp),
                last_server_timestamp: records.last().map(|r| r.server_timestamp),
                duration: track_duration,
                bytes: t.index.bytes(),
            });
            fragments += records.len() as u64;
            bytes += t.index.bytes();
            duration = duration.max(track_duration);
        }
        StreamInfo {
            name: self.meta.name.clone(),
            created_at: self.meta.created_at,
            ended: self.ended,
            tracks,
            fragments,
            bytes,
            duration,
            playback: PlaybackPaths {
                hls: routes::master_playlist_path(&self.meta.name),
                dash: routes::manifest_path(&self.meta.name),
            },
        }
    }

    fn track(&self, name: &StreamName, track: &TrackName) -> Result<&Track, IngestError> {
        self.tracks.get(track).ok_or_else(|| {
            IngestError::new(IngestErrorCode::NotFound, format!("stream {name} has no track {track}"))
                .with_field("track")
        })
    }
}

/// What an accepted upload gives back: the acknowledgement and whether
/// something new was stored (201) or not (200).
pub struct Accepted<T> {
    pub created: bool,
    pub ack: T,
}

/// A file to serve.
pub struct MediaFile {
    pub path: PathBuf,
    pub kind: TrackKind,
}

impl App {
    /// Opens the data directory and rebuilds every stream from disk.
    /// Blocking; runs before the server listens.
    pub fn load(cfg: Config) -> std::io::Result<App> {
        let store = Store::open(&cfg.data)?;
        let mut streams = BTreeMap::new();
        let mut entries: Vec<_> = std::fs::read_dir(store.streams_dir())?.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if store::is_temporary(&file_name) {
                // A stream whose creation a crash interrupted.
                let _ = std::fs::remove_dir_all(entry.path());
                continue;
            }
            let Ok(name) = StreamName::new(&file_name) else {
                log::warn("ignoring a directory that is not a stream", json!({ "path": entry.path() }));
                continue;
            };
            match load_stream(&cfg, &store, &name) {
                Ok(state) => {
                    streams.insert(name.clone(), Arc::new(StreamHandle { state: tokio::sync::Mutex::new(state) }));
                }
                Err(e) => log::error(
                    "cannot load stream; it is left on disk and not served",
                    json!({ "stream": name, "error": e }),
                ),
            }
        }
        Ok(App {
            cfg,
            store,
            streams: RwLock::new(streams),
            create_lock: tokio::sync::Mutex::new(()),
            shutting_down: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
        })
    }

    /// Refuses writes that arrive from now on (they get 503); those already
    /// in progress complete.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    /// Whether writes arriving now are refused.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// Writes in progress.
    pub fn writes_in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Counts a write until the guard drops, so that shutdown waits for it.
    pub fn start_write(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(&self.in_flight)
    }

    fn handle(&self, name: &StreamName) -> Option<Arc<StreamHandle>> {
        self.streams.read().ok()?.get(name).cloned()
    }

    fn existing(&self, name: &StreamName) -> Result<Arc<StreamHandle>, IngestError> {
        self.handle(name).ok_or_else(|| stream_not_found(name))
    }

    /// The stream to upload to: an existing one, or a new one under
    /// `--auto-create`.
    async fn for_upload(&self, name: &StreamName) -> Result<Arc<StreamHandle>, IngestError> {
        if let Some(h) = self.handle(name) {
            return Ok(h);
        }
        if !self.cfg.auto_create {
            return Err(IngestError::new(
                IngestErrorCode::StreamNotFound,
                format!("stream {name} does not exist; create it with PUT {}", routes::stream_path(name)),
            )
            .with_field("stream"));
        }
        Ok(self.create(name).await?.1)
    }

    /// Creates stream `name`, or finds it. `true` when it was created.
    async fn create(&self, name: &StreamName) -> Result<(bool, Arc<StreamHandle>), IngestError> {
        let _serial = self.create_lock.lock().await;
        if let Some(h) = self.handle(name) {
            return Ok((false, h));
        }
        let meta = StreamMeta { name: name.clone(), created_at: now_ms(), cache_token: store::unique_token() };
        let store = self.store.clone();
        let m = meta.clone();
        let log = blocking(move || store.create_stream(&m)).await?.map_err(|e| storage_error("stream", e))?;
        let playlists =
            StreamPlaylists::new(playlist_options(&self.cfg, &meta)).map_err(|e| internal("playlists", e))?;
        let state = StreamState {
            deleted: false,
            meta,
            tracks: BTreeMap::new(),
            log: Arc::new(Mutex::new(log)),
            playlists,
            ended: false,
        };
        let handle = Arc::new(StreamHandle { state: tokio::sync::Mutex::new(state) });
        self.streams.write().map_err(|e| internal("stream table", e))?.insert(name.clone(), handle.clone());
        log::info("stream created", json!({ "stream": name }));
        Ok((true, handle))
    }

    /// `PUT /streams/{name}`.
    pub async fn create_stream(&self, name: &StreamName) -> Result<Accepted<StreamInfo>, IngestError> {
        let (created, handle) = self.create(name).await?;
        let state = handle.state.lock().await;
        Ok(Accepted { created, ack: state.info() })
    }

    /// `GET /streams`.
    pub async fn list(&self) -> StreamList {
        let handles: Vec<Arc<StreamHandle>> = match self.streams.read() {
            Ok(m) => m.values().cloned().collect(),
            Err(_) => Vec::new(),
        };
        let mut streams = Vec::with_capacity(handles.len());
        for h in handles {
            let state = h.state.lock().await;
            if !state.deleted {
                streams.push(state.info());
            }
        }
        StreamList { streams }
    }

    /// `GET /streams/{name}`.
    pub async fn describe(&self, name: &StreamName) -> Result<StreamInfo, IngestError> {
        let h = self.existing(name)?;
        let state = h.state.lock().await;
        if state.deleted {
            return Err(stream_not_found(name));
        }
        Ok(state.info())
    }

    /// `DELETE /streams/{name}`: the stream's directory goes to the trash
    /// at once and is removed in the background.
    pub async fn delete(&self, name: &StreamName) -> Result<(), IngestError> {
        let _serial = self.create_lock.lock().await;
        let h = self.existing(name)?;
        let mut state = h.state.lock().await;
        let store = self.store.clone();
        let n = name.clone();
        let trashed = blocking(move || store.trash_stream(&n)).await?.map_err(|e| storage_error("deletion", e))?;
        state.deleted = true;
        if let Ok(mut m) = self.streams.write() {
            m.remove(name);
        }
        drop(state);
        tokio::task::spawn_blocking(move || {
            if let Err(e) = std::fs::remove_dir_all(&trashed) {
                log::warn(
                    "could not remove a deleted stream; retried at the next start",
                    json!({ "path": trashed, "error": e.to_string() }),
                );
            }
        });
        log::info("stream deleted", json!({ "stream": name }));
        Ok(())
    }

    /// `PUT /streams/{name}/{track}/init.mp4`.
    pub async fn put_init(
        &self,
        name: &StreamName,
        track: &TrackName,
        body: Vec<u8>,
    ) -> Result<Accepted<InitAck>, IngestError> {
        let movie = Movie::from_init_segment(&body).map_err(|e| IngestError::from_init_error(&e))?;
        let [t] = movie.tracks() else {
            return Err(IngestError::new(
                IngestErrorCode::NotSingleTrack,
                format!("the init segment has {} tracks; send one init segment per track path", movie.tracks().len()),
            )
            .with_field("body"));
        };
        let (config, kind) = (t.config.clone(), t.kind);
        let codec = config.codec.codec_string().map_err(|e| {
            IngestError::new(IngestErrorCode::MalformedInit, format!("no codec string: {e}")).with_field("body")
        })?;
        let h = self.for_upload(name).await?;
        let mut state = h.state.lock().await;
        if state.deleted {
            return Err(stream_not_found(name));
        }
        let ack = |bytes: usize, server_timestamp: i64, duplicate: bool| InitAck {
            stream: name.clone(),
            track: track.clone(),
            kind: kind.into(),
            codec: codec.clone(),
            timescale: config.timescale.get(),
            bytes: bytes as u64,
            server_timestamp,
            persisted: true,
            duplicate,
        };
        if let Some(existing) = state.tracks.get(track) {
            // The same header again (a publisher reconnecting), or one that
            // configures the track the same way: keep the stored one.
            if existing.init[..] == body[..] || existing.config == config {
                return Ok(Accepted {
                    created: false,
                    ack: ack(existing.init.len(), existing.init_server_timestamp, true),
                });
            }
            if !existing.index.is_empty() {
                return Err(IngestError::new(
                    IngestErrorCode::Conflict,
                    format!(
                        "track {track} has {} fragments made with another init segment ({}, {}/s); publish the new configuration as a new track or stream",
                        existing.index.len(),
                        existing.codec,
                        existing.config.timescale.get()
                    ),
                )
                .with_field("body"));
            }
        } else if state.tracks.len() >= MAX_TRACKS {
            return Err(IngestError::new(
                IngestErrorCode::TooManyTracks,
                format!("stream {name} already has {MAX_TRACKS} tracks"),
            )
            .with_field("track"));
        }
        let store = self.store.clone();
        let (n, t) = (name.clone(), track.clone());
        let bytes = Arc::new(body);
        let b = bytes.clone();
        blocking(move || -> std::io::Result<()> {
            let dir = store.ensure_track_dir(&n, &t)?;
            store::write_durable(&dir, store::INIT_FILE, &b)
        })
        .await?
        .map_err(|e| storage_error("init segment", e))?;
        let server_timestamp = now_ms();
        state.playlists.set_track(track, config.clone()).map_err(|e| internal("playlists", e))?;
        let index = TrackIndex::new(track.clone(), config.timescale);
        let size = bytes.len();
        state.tracks.insert(
            track.clone(),
            Track {
                movie,
                config: config.clone(),
                kind,
                codec: codec.clone(),
                init: bytes,
                init_server_timestamp: server_timestamp,
                index,
            },
        );
        log::info("init stored", json!({ "stream": name, "track": track, "codec": codec, "bytes": size }));
        Ok(Accepted { created: true, ack: ack(size, server_timestamp, false) })
    }

    /// `PUT /streams/{name}/{track}/{seq}.m4s`.
    pub async fn put_fragment(
        &self,
        name: &StreamName,
        track: &TrackName,
        sequence: u64,
        body: Vec<u8>,
    ) -> Result<Accepted<framecast::ingest::FragmentAck>, IngestError> {
        // Streams are made by init segments (or PUT /streams/{name}), never
        // by a stray fragment.
        let h = match self.handle(name) {
            Some(h) => h,
            None if self.cfg.auto_create => {
                return Err(IngestError::new(
                    IngestErrorCode::InitRequired,
                    format!("stream {name} does not exist yet; PUT {} first", routes::init_path(name, track)),
                )
                .with_field("track"))
            }
            None => return Err(stream_not_found(name)),
        };
        let mut state = h.state.lock().await;
        if state.deleted {
            return Err(stream_not_found(name));
        }
        let Some(t) = state.tracks.get(track) else {
            return Err(IngestError::new(
                IngestErrorCode::InitRequired,
                format!(
                    "track {track} of stream {name} has no init segment; PUT {} first",
                    routes::init_path(name, track)
                ),
            )
            .with_field("track"));
        };
        if let Slot::Stored(record) = t.index.slot(sequence)? {
            // A retry: the same bytes are acknowledged again, other bytes
            // are a conflict.
            let record = record.clone();
            let same_size = record.bytes == body.len() as u64;
            let path = self.store.fragment_file(name, track, sequence);
            let same = same_size
                && blocking(move || std::fs::read(&path).map(|stored| stored == body))
                    .await?
                    .map_err(|e| storage_error("comparison with the stored fragment", e))?;
            if same {
                return Ok(Accepted { created: false, ack: record.ack(name, true, true) });
            }
            return Err(IngestError::new(
                IngestErrorCode::Conflict,
                format!(
                    "fragment {sequence} of track {track} is already stored with other bytes ({} bytes, starting at {} µs)",
                    record.bytes, record.producer_timestamp
                ),
            )
            .with_field("sequence"));
        }
        let rules = FragmentRules::with_max_bytes(self.cfg.max_fragment_bytes);
        let facts = FragmentFacts::inspect(&t.movie, &body, &rules)?;
        let record = t.index.admit(sequence, &facts, now_ms())?;

        let dir = self.store.track_dir(name, track);
        let file_name = Store::fragment_file_name(sequence);
        let log = state.log.clone();
        let entry = IndexEntry::Fragment(record.clone());
        blocking(move || -> std::io::Result<()> {
            store::write_durable(&dir, &file_name, &body)?;
            let appended = log.lock().map_err(|_| std::io::Error::other("index lock poisoned"))?.append(&entry);
            if appended.is_err() {
                // Not in the index, so not stored: take the file back.
                let _ = std::fs::remove_file(dir.join(&file_name));
            }
            appended
        })
        .await?
        .map_err(|e| storage_error("fragment", e))?;

        let state = &mut *state;
        if let Some(t) = state.tracks.get_mut(track) {
            t.index.push(record.clone()).map_err(|e| internal("index", e))?;
        }
        if let Err(e) = state.playlists.push(&record) {
            log::error(
                "fragment stored but not listed",
                json!({ "stream": name, "track": track, "sequence": sequence, "error": e.to_string() }),
            );
        }
        state.ended = false;
        Ok(Accepted { created: true, ack: record.ack(name, true, false) })
    }

    /// `POST /streams/{name}/end`.
    pub async fn end(&self, name: &StreamName) -> Result<EndAck, IngestError> {
        let h = self.existing(name)?;
        let mut state = h.state.lock().await;
        if state.deleted {
            return Err(stream_not_found(name));
        }
        let server_timestamp = now_ms();
        let log = state.log.clone();
        blocking(move || {
            log.lock()
                .map_err(|_| std::io::Error::other("index lock poisoned"))?
                .append(&IndexEntry::End { server_timestamp })
        })
        .await?
        .map_err(|e| storage_error("end mark", e))?;
        state.ended = true;
        state.playlists.set_ended(true);
        log::info("stream ended", json!({ "stream": name }));
        Ok(EndAck { stream: name.clone(), ended: true, server_timestamp, persisted: true })
    }

    fn no_fragments(name: &StreamName) -> IngestError {
        IngestError::new(IngestErrorCode::NotFound, format!("stream {name} has no fragments yet"))
    }

    fn playlist_result(name: &StreamName, r: Result<String, PlaylistError>) -> Result<String, IngestError> {
        match r {
            Ok(text) => Ok(text),
            Err(PlaylistError::NoSegments) => Err(Self::no_fragments(name)),
            Err(e) => Err(internal("playlist", e)),
        }
    }

    /// `GET /streams/{name}/master.m3u8`.
    pub async fn master(&self, name: &StreamName) -> Result<String, IngestError> {
        let h = self.existing(name)?;
        let state = h.state.lock().await;
        Self::playlist_result(name, state.with_playlists(&self.cfg, |p| p.master()))
    }

    /// `GET /streams/{name}/{track}.m3u8`.
    pub async fn media_playlist(&self, name: &StreamName, track: &TrackName) -> Result<String, IngestError> {
        let h = self.existing(name)?;
        let state = h.state.lock().await;
        let r = state.with_playlists(&self.cfg, |p| p.media(track.as_str())).ok_or_else(|| {
            IngestError::new(IngestErrorCode::NotFound, format!("stream {name} has no track {track}"))
                .with_field("track")
        })?;
        Self::playlist_result(name, r)
    }

    /// `GET /streams/{name}/manifest.mpd`.
    pub async fn mpd(&self, name: &StreamName) -> Result<String, IngestError> {
        let h = self.existing(name)?;
        let state = h.state.lock().await;
        Self::playlist_result(name, state.with_playlists(&self.cfg, |p| p.mpd(now_ms())))
    }

    /// `GET /streams/{name}/{track}/init.mp4`.
    pub async fn init(&self, name: &StreamName, track: &TrackName) -> Result<(Arc<Vec<u8>>, TrackKind), IngestError> {
        let h = self.existing(name)?;
        let state = h.state.lock().await;
        let t = state.track(name, track)?;
        Ok((t.init.clone(), t.kind))
    }

    /// The file of fragment `sequence`, or of the fragment starting at
    /// `start` ticks.
    pub async fn fragment(
        &self,
        name: &StreamName,
        track: &TrackName,
        sequence: Option<u64>,
        start: Option<i64>,
    ) -> Result<MediaFile, IngestError> {
        let h = self.existing(name)?;
        let state = h.state.lock().await;
        let t = state.track(name, track)?;
        let record = match (sequence, start) {
            (Some(n), _) => t.index.get(n),
            (None, Some(s)) => t.index.find_by_start(s),
            (None, None) => None,
        };
        let record = record.ok_or_else(|| IngestError::new(IngestErrorCode::NotFound, "no such fragment"))?;
        Ok(MediaFile { path: self.store.fragment_file(name, track, record.sequence), kind: t.kind })
    }
}

/// Rebuilds one stream from its directory: `stream.json`, each track's
/// init segment, then the index log (cut after its last good entry).
/// Fragment files the index does not list (written just before a crash,
/// never acknowledged) and temporary files are removed.
fn load_stream(cfg: &Config, store: &Store, name: &StreamName) -> Result<StreamState, String> {
    let dir = store.stream_dir(name);
    let meta_bytes = std::fs::read(dir.join(store::META_FILE)).map_err(|e| format!("{}: {e}", store::META_FILE))?;
    let meta: StreamMeta = serde_json::from_slice(&meta_bytes).map_err(|e| format!("{}: {e}", store::META_FILE))?;
    if meta.name != *name {
        return Err(format!("{} names stream {}", store::META_FILE, meta.name));
    }
    let mut playlists = StreamPlaylists::new(playlist_options(cfg, &meta)).map_err(|e| e.to_string())?;
    let mut tracks = BTreeMap::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir).map_err(|e| e.to_string())?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if store::is_temporary(&file_name) {
            let _ = std::fs::remove_file(entry.path());
            continue;
        }
        if !entry.path().is_dir() {
            continue;
        }
        let Ok(track) = TrackName::new(&file_name) else { continue };
        let init_path = entry.path().join(store::INIT_FILE);
        let init = match std::fs::read(&init_path) {
            Ok(b) => b,
            Err(_) => continue, // a track directory made just before a crash
        };
        let movie = Movie::from_init_segment(&init).map_err(|e| format!("{track}/init.mp4: {e}"))?;
        let [t] = movie.tracks() else {
            return Err(format!("{track}/init.mp4 has {} tracks", movie.tracks().len()));
        };
        let (config, kind) = (t.config.clone(), t.kind);
        let codec = config.codec.codec_string().map_err(|e| format!("{track}/init.mp4: {e}"))?;
        playlists.set_track(&track, config.clone()).map_err(|e| e.to_string())?;
        let init_server_timestamp = std::fs::metadata(&init_path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis() as i64);
        let index = TrackIndex::new(track.clone(), config.timescale);
        tracks.insert(track, Track { movie, config, kind, codec, init: Arc::new(init), init_server_timestamp, index });
    }

    let (mut log, replay) =
        IndexLog::open(&store.index_file(name)).map_err(|e| format!("{}: {e}", store::INDEX_FILE))?;
    if let Some((bytes, why)) = &replay.dropped {
        log::warn(
            "index log cut after its last good line",
            json!({ "stream": name, "droppedBytes": bytes, "reason": why }),
        );
    }
    let mut ended = false;
    for (entry, offset) in replay.entries {
        let problem = match entry {
            IndexEntry::End { .. } => {
                ended = true;
                playlists.set_ended(true);
                None
            }
            IndexEntry::Fragment(record) => match tracks.get_mut(&record.track) {
                None => Some(format!("fragment {} of track {} without an init segment", record.sequence, record.track)),
                Some(t) => match t.index.push(record.clone()) {
                    Err(e) => Some(e.to_string()),
                    Ok(()) => {
                        ended = false;
                        if let Err(e) = playlists.push(&record) {
                            log::warn(
                                "fragment not listed",
                                json!({ "stream": name, "sequence": record.sequence, "error": e.to_string() }),
                            );
                        }
                        let path = store.fragment_file(name, &record.track, record.sequence);
                        if std::fs::metadata(&path).map(|m| m.len()).ok() != Some(record.bytes) {
                            log::error(
                                "indexed fragment file is missing or has the wrong size",
                                json!({ "stream": name, "path": path }),
                            );
                        }
                        None
                    }
                },
            },
        };
        if let Some(why) = problem {
            log::warn(
                "index log cut at an entry that does not fit",
                json!({ "stream": name, "offset": offset, "reason": why }),
            );
            log.truncate(offset).map_err(|e| e.to_string())?;
            break;
        }
    }

    // Files that are not indexed were never acknowledged: remove them.
    for (track, t) in &tracks {
        let Ok(files) = std::fs::read_dir(store.track_dir(name, track)) else { continue };
        for f in files.flatten() {
            let file_name = f.file_name().to_string_lossy().into_owned();
            let listed = file_name
                .strip_suffix(".m4s")
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|n| t.index.get(n).is_some() && Store::fragment_file_name(n) == file_name);
            if store::is_temporary(&file_name) || (file_name != store::INIT_FILE && !listed) {
                log::warn("removing a file the index does not list", json!({ "stream": name, "path": f.path() }));
                let _ = std::fs::remove_file(f.path());
            }
        }
    }
    let fragments: usize = tracks.values().map(|t| t.index.len()).sum();
    log::info(
        "stream loaded",
        json!({ "stream": name, "tracks": tracks.len(), "fragments": fragments, "ended": ended }),
    );
    Ok(StreamState { deleted: false, meta, tracks, log: Arc::new(Mutex::new(log)), playlists, ended })
}
