//! Where outputs go: one [`Sink`] trait for every writer's output, and the
//! sinks that keep it in memory ([`MemorySink`], [`StreamBuffer`]), hand it
//! to a function ([`CallbackSink`]), write it to a directory
//! ([`DirectorySink`]) or to one seekable writer ([`WriteSink`]). HTTP upload through the publisher's upload queue is
//! `publish::UploadSink`.
//!
//! One trait serves three kinds of writer:
//! - the segmenter's init segments, parts and fragments, each its own
//!   object with the metadata an uploader or a playlist needs (stream,
//!   tracks, sequence number, start and duration): connect a segmenter
//!   through [`SinkListener`], which names them with a [`Naming`];
//! - a transcoder's single streamed file, written as it is made and
//!   patched at the end where its header could not be known in advance
//!   (FLAC's sample count, WAV's sizes): [`Sink::write_at`];
//! - a packager's files and playlists: [`Sink::put`].
//!
//! An output is written in one pass: [`Sink::begin`] names it
//! ([`Output`]), [`Sink::write`] appends to it, [`Sink::write_at`]
//! overwrites bytes written before, [`Sink::end`] completes it. One output
//! is open at a time. A directory sink writes to a temporary file and
//! renames it into place at `end`, so a reader never sees half an object.

use std::fmt;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};

use super::segmenter::{Fragment, FragmentListener, InitSegment, Part};
use crate::error::{Coded, ErrorCode};
use crate::time::{Timescale, Timestamp};

/// What an output object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// An init segment (`ftyp` + `moov`) of a stream.
    Init,
    /// A part (CMAF chunk, LL-HLS partial segment) of a fragment.
    Part,
    /// A complete fragment (media segment).
    Fragment,
    /// A whole file: a transcoder's output, a playlist, a progressive MP4.
    File,
}

/// One output object: its name and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Where it goes, a relative path with `/` separators
    /// (`video/3.m4s`, `audio.m3u8`).
    pub name: String,
    /// What it is.
    pub kind: OutputKind,
    /// The stream (rendition) it belongs to, e.g. `video`; empty for a
    /// [`OutputKind::File`].
    pub stream: String,
    /// The tracks it holds (init segments, parts, fragments).
    pub track_ids: Vec<u32>,
    /// The fragment's sequence number (fragments and parts).
    pub sequence: Option<u32>,
    /// The part's index within its fragment, from 0 (parts).
    pub part: Option<u32>,
    /// Decode time of the first sample (parts and fragments).
    pub start: Option<Timestamp>,
    /// Duration in ticks of `start`'s timescale; 0 when there is no
    /// `start`.
    pub duration: u64,
    /// It starts with a keyframe (a fragment's first sample, an
    /// independent part).
    pub keyframe: bool,
}

impl Output {
    /// A whole file named `name`.
    pub fn file(name: impl Into<String>) -> Output {
        Output {
            name: name.into(),
            kind: OutputKind::File,
            stream: String::new(),
            track_ids: Vec::new(),
            sequence: None,
            part: None,
            start: None,
            duration: 0,
            keyframe: false,
        }
    }

    /// Start and duration in µs (see [`span_micros`]), for parts and
    /// fragments.
    pub fn span_micros(&self) -> Option<(i64, u64)> {
        self.start.map(|s| span_micros(s, self.duration))
    }
}

/// `start` in µs, and a duration of `duration` ticks of its timescale in
/// µs (each rescaled to the nearest µs on its own, as the ingest protocol
/// states fragment times).
pub fn span_micros(start: Timestamp, duration: u64) -> (i64, u64) {
    let start_us = start.rescale(Timescale::MICROS).ticks;
    let ticks = i64::try_from(duration).unwrap_or(i64::MAX);
    let duration_us = Timestamp::new(ticks, start.timescale).rescale(Timescale::MICROS).ticks;
    (start_us, u64::try_from(duration_us).unwrap_or(0))
}

/// Why a sink refused a call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SinkError {
    /// The file system (or another store) failed.
    Io {
        /// The output's name (relative path).
        name: String,
        /// The store's own message.
        message: String,
    },
    /// The name is not a relative path inside the sink (empty, absolute,
    /// or with `..`).
    BadName {
        /// The name as given.
        name: String,
    },
    /// `write`, `write_at` or `end` without an open output.
    NotOpen,
    /// `begin` while another output is open.
    AlreadyOpen {
        /// The name of the output that was to begin.
        name: String,
    },
    /// `write_at` past the end of what was written.
    OutOfRange {
        /// Where the patch starts, bytes from the output's start.
        offset: u64,
        /// The patch's length in bytes.
        length: u64,
        /// Bytes written to the output so far.
        size: u64,
    },
    /// This sink does not take this kind of output.
    Unsupported {
        /// The output's name.
        name: String,
        /// Why this sink cannot take it.
        reason: String,
    },
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SinkError::Io { name, message } => write!(f, "cannot write {name}: {message}"),
            SinkError::BadName { name } => write!(f, "output name {name:?} is not a relative path"),
            SinkError::NotOpen => f.write_str("no output is open"),
            SinkError::AlreadyOpen { name } => write!(f, "output {name} is still open"),
            SinkError::OutOfRange { offset, length, size } => {
                write!(f, "cannot write {length} bytes at offset {offset}: only {size} bytes were written")
            }
            SinkError::Unsupported { name, reason } => write!(f, "cannot take {name}: {reason}"),
        }
    }
}

impl std::error::Error for SinkError {}

impl Coded for SinkError {
    fn code(&self) -> ErrorCode {
        match self {
            SinkError::NotOpen | SinkError::AlreadyOpen { .. } => ErrorCode::InvalidState,
            _ => ErrorCode::MuxError,
        }
    }
}

/// Where outputs go. See the module documentation for the order of calls.
pub trait Sink {
    /// Starts the output `output`.
    fn begin(&mut self, output: &Output) -> Result<(), SinkError>;
    /// Appends `bytes` to the open output.
    fn write(&mut self, bytes: &[u8]) -> Result<(), SinkError>;
    /// Overwrites bytes of the open output from `offset` (a header patch);
    /// the range may end past what was written, but must start within it.
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> Result<(), SinkError>;
    /// Completes the open output.
    fn end(&mut self) -> Result<(), SinkError>;
    /// An output made in one piece: `begin`, `write`, `end`.
    fn put(&mut self, output: &Output, bytes: &[u8]) -> Result<(), SinkError> {
        self.begin(output)?;
        self.write(bytes)?;
        self.end()
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    fn begin(&mut self, output: &Output) -> Result<(), SinkError> {
        (**self).begin(output)
    }
    fn write(&mut self, bytes: &[u8]) -> Result<(), SinkError> {
        (**self).write(bytes)
    }
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> Result<(), SinkError> {
        (**self).write_at(offset, bytes)
    }
    fn end(&mut self) -> Result<(), SinkError> {
        (**self).end()
    }
}

impl<S: Sink + ?Sized> Sink for Box<S> {
    fn begin(&mut self, output: &Output) -> Result<(), SinkError> {
        (**self).begin(output)
    }
    fn write(&mut self, bytes: &[u8]) -> Result<(), SinkError> {
        (**self).write(bytes)
    }
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> Result<(), SinkError> {
        (**self).write_at(offset, bytes)
    }
    fn end(&mut self) -> Result<(), SinkError> {
        (**self).end()
    }
}

/// `bytes` written over `buf` from `offset` (at most its length), growing
/// it when the range runs past its end: [`Sink::write_at`] on a buffer.
fn patch(buf: &mut Vec<u8>, offset: u64, bytes: &[u8]) -> Result<(), SinkError> {
    let size = buf.len() as u64;
    let at = usize::try_from(offset).ok().filter(|&at| at <= buf.len()).ok_or(SinkError::OutOfRange {
        offset,
        length: bytes.len() as u64,
        size,
    })?;
    let overlap = bytes.len().min(buf.len() - at);
    buf[at..at + overlap].copy_from_slice(&bytes[..overlap]);
    buf.extend_from_slice(&bytes[overlap..]);
    Ok(())
}

/// The one output a buffering sink has open, kept in memory: the
/// [`Sink`] calls of such a sink, with `end` handing the output over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenBuffer {
    open: Option<(Output, Vec<u8>)>,
}

impl OpenBuffer {
    /// Opens `output` ([`Sink::begin`]).
    pub fn begin(&mut self, output: &Output) -> Result<(), SinkError> {
        if let Some((open, _)) = &self.open {
            return Err(SinkError::AlreadyOpen { name: open.name.clone() });
        }
        self.open = Some((output.clone(), Vec::new()));
        Ok(())
    }

    /// Appends `bytes` ([`Sink::write`]).
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), SinkError> {
        self.open.as_mut().ok_or(SinkError::NotOpen)?.1.extend_from_slice(bytes);
        Ok(())
    }

    /// Overwrites from `offset` ([`Sink::write_at`]).
    pub fn write_at(&mut self, offset: u64, bytes: &[u8]) -> Result<(), SinkError> {
        patch(&mut self.open.as_mut().ok_or(SinkError::NotOpen)?.1, offset, bytes)
    }

    /// Closes the open output and hands it over with its bytes
    /// ([`Sink::end`]).
    pub fn end(&mut self) -> Result<(Output, Vec<u8>), SinkError> {
        self.open.take().ok_or(SinkError::NotOpen)
    }
}

/// Keeps every output in memory, in the order they were completed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemorySink {
    /// Completed outputs and their bytes.
    pub outputs: Vec<(Output, Vec<u8>)>,
    open: OpenBuffer,
}

impl MemorySink {
    /// The bytes of the last completed output named `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.outputs.iter().rev().find(|(o, _)| o.name == name).map(|(_, b)| b.as_slice())
    }
}

impl Sink for MemorySink {
    fn begin(&mut self, output: &Output) -> Result<(), SinkError> {
        self.open.begin(output)
    }
    fn write(&mut self, bytes: &[u8]) -> Result<(), SinkError> {
        self.open.write(bytes)
    }
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> Result<(), SinkError> {
        self.open.write_at(offset, bytes)
    }
    fn end(&mut self) -> Result<(), SinkError> {
        let done = self.open.end()?;
        self.outputs.push(done);
        Ok(())
    }
}

/// One streamed output handed on as it is made: [`StreamBuffer::take`]
/// returns the bytes written since the last call. A patch
/// ([`Sink::write_at`]) applies to the bytes still held; a patch that
/// reaches bytes already taken is also kept in
/// [`StreamBuffer::late_patches`], for whoever holds those bytes to
/// apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamBuffer {
    held: Vec<u8>,
    taken: u64,
    late: Vec<(u64, Vec<u8>)>,
    open: bool,
}

impl StreamBuffer {
    /// The bytes written since the last call.
    pub fn take(&mut self) -> Vec<u8> {
        self.taken += self.held.len() as u64;
        std::mem::take(&mut self.held)
    }

    /// Bytes written so far (taken or held).
    pub fn written(&self) -> u64 {
        self.taken + self.held.len() as u64
    }

    /// Patches (offset, bytes) that reached bytes already taken.
    pub fn late_patches(&self) -> &[(u64, Vec<u8>)] {
        &self.late
    }
}

impl Sink for StreamBuffer {
    fn begin(&mut self, output: &Output) -> Result<(), SinkError> {
        if self.open {
            return Err(SinkError::AlreadyOpen { name: output.name.clone() });
        }
        self.open = true;
        Ok(())
    }
    fn write(&mut self, bytes: &[u8]) -> Result<(), SinkError> {
        if !self.open {
            return Err(SinkError::NotOpen);
        }
        self.held.extend_from_slice(bytes);
        Ok(())
    }
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> Result<(), SinkError> {
        if !self.open {
            return Err(SinkError::NotOpen);
        }
        let size = self.written();
        if offset > size {
            return Err(SinkError::OutOfRange { offset, length: bytes.len() as u64, size });
        }
        if offset < self.taken {
            self.late.push((offset, bytes.to_vec()));
        }
        // The part of the patch that falls on held bytes (or past them).
        let skip = usize::try_from(self.taken.saturating_sub(offset)).unwrap_or(usize::MAX).min(bytes.len());
        patch(&mut self.held, (offset + skip as u64) - self.taken, &bytes[skip..])
    }
    fn end(&mut self) -> Result<(), SinkError> {
        if !std::mem::replace(&mut self.open, false) {
            return Err(SinkError::NotOpen);
        }
        Ok(())
    }
}

/// What a [`CallbackSink`] hands its function: the calls it received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkEvent<'a> {
    /// [`Sink::begin`].
    Begin(&'a Output),
    /// [`Sink::write`].
    Data(&'a [u8]),
    /// [`Sink::write_at`].
    Patch {
        /// Where the bytes go, from the output's start.
        offset: u64,
        /// The bytes that replace what is there.
        bytes: &'a [u8],
    },
    /// [`Sink::end`].
    End,
}

/// Hands every call to a function (an FFI callback, a channel, a custom
/// store); the function's error is the call's.
pub struct CallbackSink<F: FnMut(SinkEvent<'_>) -> Result<(), SinkError>> {
    callback: F,
}

impl<F: FnMut(SinkEvent<'_>) -> Result<(), SinkError>> CallbackSink<F> {
    /// A sink calling `callback`.
    pub fn new(callback: F) -> Self {
        CallbackSink { callback }
    }
}

impl<F: FnMut(SinkEvent<'_>) -> Result<(), SinkError>> fmt::Debug for CallbackSink<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallbackSink")
    }
}

impl<F: FnMut(SinkEvent<'_>) -> Result<(), SinkError>> Sink for CallbackSink<F> {
    fn begin(&mut self, output: &Output) -> Result<(), SinkError> {
        (self.callback)(SinkEvent::Begin(output))
    }
    fn write(&mut self, bytes: &[u8]) -> Result<(), SinkError> {
        (self.callback)(SinkEvent::Data(bytes))
    }
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> Result<(), SinkError> {
        (self.callback)(SinkEvent::Patch { offset, bytes })
    }
    fn end(&mut self) -> Result<(), SinkError> {
        (self.callback)(SinkEvent::End)
    }
}

/// Writes each output to a file under a directory (`std::fs`): to
/// `NAME.tmp` while open, renamed to `NAME` at [`Sink::end`], so a server
/// reading the directory never serves half a file. Folders are made as
/// needed.
#[derive(Debug)]
pub struct DirectorySink {
    root: PathBuf,
    open: Option<OpenFile>,
}

#[derive(Debug)]
struct OpenFile {
    span: Span,
    path: PathBuf,
    tmp: PathBuf,
    file: File,
}

/// The open output of a seekable writer: its name, where it starts in the
/// writer and how long it is.
#[derive(Debug)]
struct Span {
    name: String,
    start: u64,
    size: u64,
}

impl Span {
    /// An output named `name` starting at `w`'s position.
    fn begin<W: Seek>(name: &str, w: &mut W) -> Result<Span, SinkError> {
        let mut span = Span { name: name.to_string(), start: 0, size: 0 };
        span.start = w.stream_position().map_err(|e| span.io(e))?;
        Ok(span)
    }

    fn io(&self, e: std::io::Error) -> SinkError {
        SinkError::Io { name: self.name.clone(), message: e.to_string() }
    }

    fn write<W: Write>(&mut self, w: &mut W, bytes: &[u8]) -> Result<(), SinkError> {
        w.write_all(bytes).map_err(|e| self.io(e))?;
        self.size += bytes.len() as u64;
        Ok(())
    }

    /// Overwrites from `offset` (of the output) and returns to its end.
    fn write_at<W: Write + Seek>(&mut self, w: &mut W, offset: u64, bytes: &[u8]) -> Result<(), SinkError> {
        if offset > self.size {
            return Err(SinkError::OutOfRange { offset, length: bytes.len() as u64, size: self.size });
        }
        let result = w
            .seek(SeekFrom::Start(self.start + offset))
            .and_then(|_| w.write_all(bytes))
            .and_then(|_| w.seek(SeekFrom::Start(self.start + self.size.max(offset + bytes.len() as u64))));
        self.size = result.map_err(|e| self.io(e))? - self.start;
        Ok(())
    }
}

impl DirectorySink {
    /// A sink writing under `root` (made at the first output if missing).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirectorySink { root: root.into(), open: None }
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file an output named `name` goes to; refuses names that leave
    /// the directory.
    pub fn path_of(&self, name: &str) -> Result<PathBuf, SinkError> {
        let relative = Path::new(name);
        let plain = relative.components().all(|c| matches!(c, Component::Normal(_)));
        if name.is_empty() || !plain {
            return Err(SinkError::BadName { name: name.to_string() });
        }
        Ok(self.root.join(relative))
    }

    fn open(&mut self) -> Result<&mut OpenFile, SinkError> {
        self.open.as_mut().ok_or(SinkError::NotOpen)
    }
}

impl Sink for DirectorySink {
    fn begin(&mut self, output: &Output) -> Result<(), SinkError> {
        if let Some(open) = &self.open {
            return Err(SinkError::AlreadyOpen { name: open.span.name.clone() });
        }
        let path = self.path_of(&output.name)?;
        let io = |e: std::io::Error| SinkError::Io { name: output.name.clone(), message: e.to_string() };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut tmp = path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let mut file = File::create(&tmp).map_err(io)?;
        let span = Span::begin(&output.name, &mut file)?;
        self.open = Some(OpenFile { span, path, tmp, file });
        Ok(())
    }
    fn write(&mut self, bytes: &[u8]) -> Result<(), SinkError> {
        let open = self.open()?;
        open.span.write(&mut open.file, bytes)
    }
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> Result<(), SinkError> {
        let open = self.open()?;
        open.span.write_at(&mut open.file, offset, bytes)
    }
    fn end(&mut self) -> Result<(), SinkError> {
        let open = self.open.take().ok_or(SinkError::NotOpen)?;
        let OpenFile { span, path, tmp, mut file } = open;
        let io = |e: std::io::Error| span.io(e);
        file.flush().map_err(io)?;
        // Closed before the rename. (On wasm32 `File` is a stub without
        // `Drop`.)
        #[allow(clippy::drop_non_drop)]
        drop(file);
        std::fs::rename(&tmp, &path).map_err(io)
    }
}

/// Writes its outputs one after another to one seekable writer (a file,
/// a `Cursor<Vec<u8>>`): an output starts at the writer's position at
/// [`Sink::begin`], [`Sink::write_at`] offsets count from there, and
/// after a patch the writer is back at the output's end.
#[derive(Debug)]
pub struct WriteSink<W: Write + Seek> {
    writer: W,
    open: Option<Span>,
}

impl<W: Write + Seek> WriteSink<W> {
    /// A sink writing to `writer` from its current position.
    pub fn new(writer: W) -> Self {
        WriteSink { writer, open: None }
    }

    /// The writer, given back.
    pub fn into_inner(self) -> W {
        self.writer
    }

    fn open(&mut self) -> Result<(&mut Span, &mut W), SinkError> {
        let span = self.open.as_mut().ok_or(SinkError::NotOpen)?;
        Ok((span, &mut self.writer))
    }
}

impl<W: Write + Seek> Sink for WriteSink<W> {
    fn begin(&mut self, output: &Output) -> Result<(), SinkError> {
        if let Some(open) = &self.open {
            return Err(SinkError::AlreadyOpen { name: open.name.clone() });
        }
        self.open = Some(Span::begin(&output.name, &mut self.writer)?);
        Ok(())
    }
    fn write(&mut self, bytes: &[u8]) -> Result<(), SinkError> {
        let (span, w) = self.open()?;
        span.write(w, bytes)
    }
    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> Result<(), SinkError> {
        let (span, w) = self.open()?;
        span.write_at(w, offset, bytes)
    }
    fn end(&mut self) -> Result<(), SinkError> {
        let span = self.open.take().ok_or(SinkError::NotOpen)?;
        self.writer.flush().map_err(|e| span.io(e))
    }
}

/// How a segmenter's outputs are named: each track's stream has a name
/// (`video`), and its objects are `{stream}/init.mp4`, `{stream}/{N}.m4s`
/// and `{stream}/{N}.{I}.m4s` (fragment `N`, part `I`), as the ingest
/// routes and the packager lay them out. A track without a name is
/// `track{ID}`; a stream of several tracks takes its first track's name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Naming {
    streams: Vec<(u32, String)>,
}

impl Naming {
    /// No names yet: every stream is `track{ID}`.
    pub fn new() -> Self {
        Naming::default()
    }

    /// Names the stream of `track_id`.
    pub fn with(mut self, track_id: u32, stream: impl Into<String>) -> Self {
        self.streams.retain(|(id, _)| *id != track_id);
        self.streams.push((track_id, stream.into()));
        self
    }

    /// The stream name of an object holding `track_ids`.
    pub fn stream(&self, track_ids: &[u32]) -> String {
        let Some(&first) = track_ids.first() else { return String::new() };
        match self.streams.iter().find(|(id, _)| *id == first) {
            Some((_, name)) => name.clone(),
            None => format!("track{first}"),
        }
    }

    /// `{stream}/init.mp4`.
    pub fn init_name(stream: &str) -> String {
        format!("{stream}/init.mp4")
    }

    /// `{stream}/{sequence}.m4s`.
    pub fn fragment_name(stream: &str, sequence: u64) -> String {
        format!("{stream}/{sequence}.m4s")
    }

    /// `{stream}/{sequence}.{index}.m4s`.
    pub fn part_name(stream: &str, sequence: u64, index: u32) -> String {
        format!("{stream}/{sequence}.{index}.m4s")
    }

    /// The output of an init segment.
    pub fn init(&self, init: &InitSegment) -> Output {
        let stream = self.stream(&init.track_ids);
        Output {
            name: Naming::init_name(&stream),
            kind: OutputKind::Init,
            stream,
            track_ids: init.track_ids.clone(),
            ..Output::file("")
        }
    }

    /// The output of a part.
    pub fn part(&self, part: &Part) -> Output {
        let stream = self.stream(&part.track_ids);
        Output {
            name: Naming::part_name(&stream, part.sequence_number.into(), part.index),
            kind: OutputKind::Part,
            stream,
            track_ids: part.track_ids.clone(),
            sequence: Some(part.sequence_number),
            part: Some(part.index),
            start: Some(part.start),
            duration: part.duration,
            keyframe: part.independent,
        }
    }

    /// The output of a fragment.
    pub fn fragment(&self, fragment: &Fragment) -> Output {
        let stream = self.stream(&fragment.track_ids);
        Output {
            name: Naming::fragment_name(&stream, fragment.sequence_number.into()),
            kind: OutputKind::Fragment,
            stream,
            track_ids: fragment.track_ids.clone(),
            sequence: Some(fragment.sequence_number),
            part: None,
            start: Some(fragment.start),
            duration: fragment.duration,
            keyframe: fragment.keyframe,
        }
    }
}

/// Connects a segmenter to a sink: every init segment, part and fragment
/// is put into the sink, named by a [`Naming`]. A listener cannot fail, so
/// the first sink error is kept (later outputs are not written) until
/// [`SinkListener::check`] returns it.
#[derive(Debug)]
pub struct SinkListener<S: Sink> {
    sink: S,
    naming: Naming,
    error: Option<SinkError>,
}

impl<S: Sink> SinkListener<S> {
    /// Puts outputs into `sink`, named by `naming`.
    pub fn new(sink: S, naming: Naming) -> Self {
        SinkListener { sink, naming, error: None }
    }

    /// The naming.
    pub fn naming(&self) -> &Naming {
        &self.naming
    }

    /// The sink.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// The sink, mutably (to put other files into it).
    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.sink
    }

    /// The sink.
    pub fn into_sink(self) -> S {
        self.sink
    }

    /// The first error a write hit since the last call; writing resumes
    /// after it.
    pub fn check(&mut self) -> Result<(), SinkError> {
        self.error.take().map_or(Ok(()), Err)
    }

    fn put(&mut self, output: Output, bytes: &[u8]) {
        if self.error.is_none() {
            self.error = self.sink.put(&output, bytes).err();
        }
    }
}

impl<S: Sink> FragmentListener for SinkListener<S> {
    fn on_init(&mut self, init: &InitSegment) {
        let output = self.naming.init(init);
        self.put(output, &init.bytes);
    }
    fn on_part(&mut self, part: &Part) {
        let output = self.naming.part(part);
        self.put(output, &part.bytes);
    }
    fn on_fragment(&mut self, fragment: &Fragment) {
        let output = self.naming.fragment(fragment);
        self.put(output, &fragment.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mux::segmenter::{Segmenter, SegmenterConfig};
    use crate::mux::test_tracks::aac_track;
    use crate::mux::Sample;

    fn segment<S: Sink>(sink: S, part_ms: Option<i64>) -> SinkListener<S> {
        let config = SegmenterConfig {
            fragment_duration: Timestamp::from_millis(1000),
            part_duration: part_ms.map(Timestamp::from_millis),
            ..SegmenterConfig::default()
        };
        let listener = SinkListener::new(sink, Naming::new().with(1, "audio"));
        let mut seg = Segmenter::new(vec![aac_track(1)], config, listener).unwrap();
        for i in 0..100 {
            let sample = Sample {
                decode_time: i * 1024,
                composition_offset: 0,
                duration: 1024,
                keyframe: true,
                data: vec![0x21; 6],
            };
            seg.push(1, sample).unwrap();
        }
        seg.finish().unwrap();
        seg.into_listener()
    }

    #[test]
    fn a_segmenter_fills_a_memory_sink_with_named_objects() {
        let mut out = segment(MemorySink::default(), Some(500));
        out.check().unwrap();
        let sink = out.into_sink();
        let names: Vec<&str> = sink.outputs.iter().map(|(o, _)| o.name.as_str()).collect();
        // 100 frames of 1024 at 48 kHz: 2.13 s, fragments of 1 s, parts of 0.5 s.
        assert_eq!(
            names,
            [
                "audio/init.mp4",
                "audio/1.0.m4s",
                "audio/1.1.m4s",
                "audio/1.m4s",
                "audio/2.0.m4s",
                "audio/2.1.m4s",
                "audio/2.m4s",
                "audio/3.0.m4s",
                "audio/3.m4s"
            ]
        );
        let (fragment, bytes) = &sink.outputs[3];
        assert_eq!(
            (fragment.kind, fragment.sequence, fragment.stream.as_str()),
            (OutputKind::Fragment, Some(1), "audio")
        );
        assert_eq!(fragment.track_ids, [1]);
        assert_eq!(fragment.start, Some(Timestamp::new(0, Timescale::new(48_000).unwrap())));
        let (start_us, duration_us) = fragment.span_micros().unwrap();
        assert_eq!(start_us, 0);
        assert!((1_000_000..1_030_000).contains(&duration_us), "{duration_us}");
        // A fragment is its parts, concatenated.
        let parts = [sink.get("audio/1.0.m4s").unwrap(), sink.get("audio/1.1.m4s").unwrap()].concat();
        assert_eq!(&parts, bytes);
        assert_eq!(sink.outputs[1].0.part, Some(0));
    }

    #[test]
    fn patches_overwrite_what_was_written() {
        let mut sink = MemorySink::default();
        sink.begin(&Output::file("a.wav")).unwrap();
        sink.write(b"RIFF????data").unwrap();
        sink.write_at(4, b"1234").unwrap();
        sink.write_at(12, b"!").unwrap();
        assert_eq!(sink.write_at(14, b"x"), Err(SinkError::OutOfRange { offset: 14, length: 1, size: 13 }));
        assert!(matches!(sink.begin(&Output::file("b")), Err(SinkError::AlreadyOpen { .. })));
        sink.end().unwrap();
        assert_eq!(sink.get("a.wav").unwrap(), b"RIFF1234data!");
        assert_eq!(sink.write(b"x"), Err(SinkError::NotOpen));
        assert_eq!(sink.end(), Err(SinkError::NotOpen));
    }

    #[test]
    fn a_stream_buffer_hands_out_bytes_and_keeps_late_patches() {
        let mut sink = StreamBuffer::default();
        sink.begin(&Output::file("x.flac")).unwrap();
        sink.write(b"fLaC0000").unwrap();
        assert_eq!(sink.take(), b"fLaC0000");
        sink.write(b"frames").unwrap();
        sink.write_at(6, b"99fr").unwrap();
        sink.end().unwrap();
        assert_eq!(sink.late_patches(), &[(6, b"99fr".to_vec())]);
        assert_eq!(sink.take(), b"frames", "the held part of the patch is applied: the same bytes");
        assert_eq!(sink.written(), 14);
        let mut sink = StreamBuffer::default();
        sink.begin(&Output::file("y")).unwrap();
        sink.write(b"abcdef").unwrap();
        sink.write_at(2, b"XY").unwrap();
        assert!(sink.late_patches().is_empty());
        assert_eq!(sink.take(), b"abXYef");
    }

    #[test]
    fn a_callback_sink_sees_every_call() {
        let mut seen = Vec::new();
        let mut sink = CallbackSink::new(|e: SinkEvent<'_>| {
            seen.push(match e {
                SinkEvent::Begin(o) => format!("begin {}", o.name),
                SinkEvent::Data(b) => format!("data {}", b.len()),
                SinkEvent::Patch { offset, bytes } => format!("patch {offset} {}", bytes.len()),
                SinkEvent::End => "end".into(),
            });
            Ok(())
        });
        sink.begin(&Output::file("f")).unwrap();
        sink.write(b"abc").unwrap();
        sink.write_at(1, b"x").unwrap();
        sink.end().unwrap();
        assert_eq!(seen, ["begin f", "data 3", "patch 1 1", "end"]);
    }

    #[test]
    fn a_directory_sink_renames_into_place_and_patches() {
        let root = std::env::temp_dir().join(format!("framecast-sink-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let mut sink = DirectorySink::new(&root);
        sink.begin(&Output::file("a/b.wav")).unwrap();
        sink.write(b"RIFF????").unwrap();
        assert!(!root.join("a/b.wav").exists(), "not visible while open");
        assert!(root.join("a/b.wav.tmp").exists());
        sink.write_at(4, b"1234").unwrap();
        sink.write(b"tail").unwrap();
        sink.end().unwrap();
        assert_eq!(std::fs::read(root.join("a/b.wav")).unwrap(), b"RIFF1234tail");
        assert!(!root.join("a/b.wav.tmp").exists());
        for bad in ["", "../x", "/etc/x", "a/../../x"] {
            assert_eq!(sink.begin(&Output::file(bad)), Err(SinkError::BadName { name: bad.into() }));
        }
        let out = segment(DirectorySink::new(root.join("hls")), None).into_sink();
        assert!(out.root().join("audio/init.mp4").exists());
        assert!(out.root().join("audio/3.m4s").exists());
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_write_sink_counts_offsets_from_each_outputs_start() {
        let mut sink = WriteSink::new(std::io::Cursor::new(b"head".to_vec()));
        sink.write(b"x").unwrap_err();
        std::io::Seek::seek(&mut sink.writer, SeekFrom::End(0)).unwrap();
        sink.begin(&Output::file("a.wav")).unwrap();
        assert_eq!(sink.begin(&Output::file("b")), Err(SinkError::AlreadyOpen { name: "a.wav".into() }));
        sink.write(b"RIFF????").unwrap();
        sink.write_at(4, b"1234").unwrap();
        sink.write(b"tail").unwrap();
        assert_eq!(sink.write_at(13, b"z"), Err(SinkError::OutOfRange { offset: 13, length: 1, size: 12 }));
        sink.write_at(10, b"LONG").unwrap();
        sink.end().unwrap();
        sink.begin(&Output::file("b")).unwrap();
        sink.write(b"bb").unwrap();
        sink.write_at(0, b"B").unwrap();
        sink.end().unwrap();
        assert_eq!(sink.end(), Err(SinkError::NotOpen));
        assert_eq!(sink.into_inner().into_inner(), b"headRIFF1234taLONGBb");
    }

    #[test]
    fn a_failing_sink_reports_its_first_error() {
        let mut calls = 0;
        let sink = CallbackSink::new(|e: SinkEvent<'_>| {
            calls += 1;
            match e {
                SinkEvent::Begin(o) if o.kind == OutputKind::Fragment => {
                    Err(SinkError::Io { name: o.name.clone(), message: "disk full".into() })
                }
                _ => Ok(()),
            }
        });
        let mut out = segment(sink, None);
        assert_eq!(out.check(), Err(SinkError::Io { name: "audio/1.m4s".into(), message: "disk full".into() }));
        assert_eq!(out.check(), Ok(()));
        drop(out);
        assert_eq!(calls, 4, "init (3 calls), then the first fragment's begin; nothing after");
    }

    #[test]
    fn names_follow_the_streams() {
        let naming = Naming::new().with(1, "video").with(2, "audio").with(1, "cam");
        assert_eq!(naming.stream(&[1, 2]), "cam");
        assert_eq!(naming.stream(&[2]), "audio");
        assert_eq!(naming.stream(&[7]), "track7");
        assert_eq!(Naming::part_name("cam", 4, 2), "cam/4.2.m4s");
        assert_eq!(span_micros(Timestamp::new(90_000, Timescale::MPEG), 45_000), (1_000_000, 500_000));
    }
}
