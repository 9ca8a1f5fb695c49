//! The on-disk layout and durable writes. Everything here is blocking I/O,
//! run on tokio's blocking threads.
//!
//! ```text
//! DATA/
//!   streams/
//!     NAME/
//!       stream.json        {"name", "createdAt", "cacheToken"}
//!       index.jsonl        the fragment index: one IndexEntry per line, append-only
//!       TRACK/
//!         init.mp4         the track's init segment
//!         SEQ.m4s          fragment SEQ
//!   trash/                 deleted streams, removed in the background and at start
//! ```
//!
//! Files are written to a temporary name in their final directory
//! (`.NAME.tmp-N`), flushed with fsync, renamed into place, and the
//! directory is flushed too, so a crash leaves either the old state or the
//! new file whole. A fragment counts as stored once its index line is
//! flushed; the file is always renamed into place before that.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use framecast::ingest::{IndexEntry, StreamName, TrackName};
use serde::{Deserialize, Serialize};

/// Name of a stream's metadata file.
pub const META_FILE: &str = "stream.json";
/// Name of a stream's index log.
pub const INDEX_FILE: &str = "index.jsonl";
/// Name of a track's init segment.
pub const INIT_FILE: &str = framecast::ingest::routes::INIT_FILE;

/// What `stream.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamMeta {
    pub name: StreamName,
    /// Creation time, ms since the Unix epoch.
    pub created_at: i64,
    /// Goes into playlist URIs (`?v=`), different for every stream ever
    /// created, so that caches never mix two streams of the same name.
    pub cache_token: String,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh token for temporary names and cache tokens: nanoseconds since
/// the epoch and a process-wide counter, in hex.
pub fn unique_token() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{nanos:x}-{:x}", TEMP_COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// Whether a directory entry is one of ours in the making (or left over
/// from a crash): temporary names start with a dot, which no stream,
/// track or fragment name can.
pub fn is_temporary(name: &str) -> bool {
    name.starts_with('.')
}

/// Flushes a directory, so that entries created or renamed in it survive
/// a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes `bytes` to `dir/name` durably: temporary file, fsync, rename,
/// fsync of the directory. On error, nothing is left behind (the old file,
/// if any, is untouched).
pub fn write_durable(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp-{}", unique_token()));
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, dir.join(name))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The data directory.
#[derive(Debug, Clone)]
pub struct Store {
    streams: PathBuf,
    trash: PathBuf,
}

impl Store {
    /// Opens (creating when needed) the data directory `root`, and empties
    /// its trash.
    pub fn open(root: &Path) -> io::Result<Store> {
        let streams = root.join("streams");
        let trash = root.join("trash");
        fs::create_dir_all(&streams)?;
        fs::create_dir_all(&trash)?;
        sync_dir(root)?;
        let store = Store { streams, trash };
        store.empty_trash();
        Ok(store)
    }

    /// Removes everything in the trash (deleted streams); errors are
    /// ignored, the next start tries again.
    pub fn empty_trash(&self) {
        if let Ok(entries) = fs::read_dir(&self.trash) {
            for e in entries.flatten() {
                let _ = fs::remove_dir_all(e.path());
            }
        }
    }

    /// `streams/`.
    pub fn streams_dir(&self) -> &Path {
        &self.streams
    }

    pub fn stream_dir(&self, s: &StreamName) -> PathBuf {
        self.streams.join(s.as_str())
    }

    pub fn track_dir(&self, s: &StreamName, t: &TrackName) -> PathBuf {
        self.stream_dir(s).join(t.as_str())
    }

    pub fn fragment_file_name(sequence: u64) -> String {
        format!("{sequence}.{}", framecast::ingest::routes::FRAGMENT_EXTENSION)
    }

    pub fn fragment_file(&self, s: &StreamName, t: &TrackName, sequence: u64) -> PathBuf {
        self.track_dir(s, t).join(Self::fragment_file_name(sequence))
    }

    pub fn index_file(&self, s: &StreamName) -> PathBuf {
        self.stream_dir(s).join(INDEX_FILE)
    }

    /// Creates a stream directory with its `stream.json` and an empty
    /// index, atomically: built under a temporary name, then renamed.
    pub fn create_stream(&self, meta: &StreamMeta) -> io::Result<IndexLog> {
        let tmp = self.streams.join(format!(".{}.tmp-{}", meta.name, unique_token()));
        let result = (|| {
            fs::create_dir(&tmp)?;
            let json = serde_json::to_vec_pretty(meta).map_err(io::Error::other)?;
            write_durable(&tmp, META_FILE, &json)?;
            write_durable(&tmp, INDEX_FILE, b"")?;
            fs::rename(&tmp, self.stream_dir(&meta.name))?;
            sync_dir(&self.streams)
        })();
        if let Err(e) = result {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
        let (log, _) = IndexLog::open(&self.index_file(&meta.name))?;
        Ok(log)
    }

    /// Moves a stream's directory to the trash (atomically: it is gone from
    /// `streams/` at once) and returns where it went, for removal.
    pub fn trash_stream(&self, s: &StreamName) -> io::Result<PathBuf> {
        let to = self.trash.join(format!("{s}.{}", unique_token()));
        fs::rename(self.stream_dir(s), &to)?;
        sync_dir(&self.streams)?;
        sync_dir(&self.trash)?;
        Ok(to)
    }

    /// Creates a track's directory if it is missing.
    pub fn ensure_track_dir(&self, s: &StreamName, t: &TrackName) -> io::Result<PathBuf> {
        let dir = self.track_dir(s, t);
        if !dir.is_dir() {
            fs::create_dir(&dir)?;
            sync_dir(&self.stream_dir(s))?;
        }
        Ok(dir)
    }
}

/// How the index log was read back.
#[derive(Debug, Default)]
pub struct Replay {
    /// The entries, each with the offset where its line starts.
    pub entries: Vec<(IndexEntry, u64)>,
    /// Bytes cut off the end (a torn last line, or a line that does not
    /// parse and everything after it), with the reason.
    pub dropped: Option<(u64, String)>,
}

/// A stream's append-only index: one JSON [`IndexEntry`] per line, each
/// flushed with fsync before the fragment is acknowledged.
#[derive(Debug)]
pub struct IndexLog {
    file: File,
    /// Length of the valid content.
    len: u64,
}

impl IndexLog {
    /// Opens the log at `path` (creating it if missing) and reads it back.
    /// A last line without its newline (a write cut short by a crash), or a
    /// line that does not parse, ends the log: it and everything after it
    /// are cut off, so appends continue after the last good line.
    pub fn open(path: &Path) -> io::Result<(IndexLog, Replay)> {
        let data = match fs::read(path) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        let mut replay = Replay::default();
        let mut pos = 0usize;
        while pos < data.len() {
            let rest = &data[pos..];
            let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
                replay.dropped = Some(((data.len() - pos) as u64, "torn last line".into()));
                break;
            };
            let line = &rest[..nl];
            if line.iter().all(|b| b.is_ascii_whitespace()) {
                pos += nl + 1;
                continue;
            }
            match serde_json::from_slice::<IndexEntry>(line) {
                Ok(entry) => replay.entries.push((entry, pos as u64)),
                Err(e) => {
                    replay.dropped =
                        Some(((data.len() - pos) as u64, format!("line at byte {pos} does not parse: {e}")));
                    break;
                }
            }
            pos += nl + 1;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let mut log = IndexLog { file, len: data.len() as u64 };
        if replay.dropped.is_some() {
            log.truncate(pos as u64)?;
        }
        Ok((log, replay))
    }

    /// Cuts the log to its first `at` bytes.
    pub fn truncate(&mut self, at: u64) -> io::Result<()> {
        self.file.set_len(at)?;
        self.file.sync_all()?;
        self.len = at;
        Ok(())
    }

    /// Appends one entry and flushes it to stable storage. On error the
    /// log is cut back to where it was, so no partial line stays.
    pub fn append(&mut self, entry: &IndexEntry) -> io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(io::Error::other)?;
        line.push(b'\n');
        match self.file.write_all(&line).and_then(|_| self.file.sync_data()) {
            Ok(()) => {
                self.len += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                let _ = self.file.set_len(self.len);
                let _ = self.file.sync_data();
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("framecast-store-{tag}-{}", unique_token()));
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn durable_write_replaces_whole_files() {
        let d = temp_dir("write");
        write_durable(&d, "a.m4s", b"one").unwrap();
        write_durable(&d, "a.m4s", b"two!").unwrap();
        assert_eq!(fs::read(d.join("a.m4s")).unwrap(), b"two!");
        let names: Vec<String> =
            fs::read_dir(&d).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert_eq!(names, vec!["a.m4s".to_string()]);
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn index_log_survives_a_torn_line() {
        let d = temp_dir("log");
        let path = d.join(INDEX_FILE);
        let (mut log, replay) = IndexLog::open(&path).unwrap();
        assert!(replay.entries.is_empty() && replay.dropped.is_none());
        log.append(&IndexEntry::End { server_timestamp: 1 }).unwrap();
        log.append(&IndexEntry::End { server_timestamp: 2 }).unwrap();
        drop(log);
        // A crash in the middle of the third line.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"type\":\"end\",\"serverTi").unwrap();
        drop(f);
        let (mut log, replay) = IndexLog::open(&path).unwrap();
        assert_eq!(replay.entries.len(), 2);
        let first_line = serde_json::to_string(&IndexEntry::End { server_timestamp: 1 }).unwrap().len() + 1;
        assert_eq!(replay.entries[1].1, first_line as u64);
        assert!(replay.dropped.as_ref().unwrap().1.contains("torn"));
        log.append(&IndexEntry::End { server_timestamp: 3 }).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert!(text.ends_with("{\"type\":\"end\",\"serverTimestamp\":3}\n"), "{text}");
        // Garbage in the middle cuts the rest.
        fs::write(
            &path,
            "{\"type\":\"end\",\"serverTimestamp\":1}\nnot json\n{\"type\":\"end\",\"serverTimestamp\":2}\n",
        )
        .unwrap();
        let (_, replay) = IndexLog::open(&path).unwrap();
        assert_eq!(replay.entries.len(), 1);
        assert_eq!(fs::read_to_string(&path).unwrap().lines().count(), 1);
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn streams_are_created_and_trashed_atomically() {
        let root = temp_dir("streams");
        let store = Store::open(&root).unwrap();
        let name = StreamName::new("cam").unwrap();
        let meta = StreamMeta { name: name.clone(), created_at: 5, cache_token: "t".into() };
        store.create_stream(&meta).unwrap();
        assert!(store.stream_dir(&name).join(META_FILE).is_file());
        assert!(store.index_file(&name).is_file());
        // A second create of the same name fails (the directory exists).
        assert!(store.create_stream(&meta).is_err());
        let gone = store.trash_stream(&name).unwrap();
        assert!(!store.stream_dir(&name).exists());
        assert!(gone.exists());
        store.empty_trash();
        assert!(!gone.exists());
        // Nothing temporary is left in streams/.
        assert_eq!(fs::read_dir(store.streams_dir()).unwrap().count(), 0);
        fs::remove_dir_all(root).unwrap();
    }
}
