//! File audio transcoding: any input [`AudioDecoder`] reads, through an
//! audio preset, to AAC in MP4 or fMP4, Opus in fMP4, MP4 or Ogg, FLAC
//! (native or in MP4), WAV, or MP3 with the `mp3` feature.
//!
//! [`AudioTranscoder`] is push-based, so the same code serves a Rust
//! reader and a JavaScript `ReadableStream`: hand it input bytes as they
//! arrive ([`AudioTranscoder::push`]), then [`AudioTranscoder::finish`].
//! Its output goes to a [`Sink`] as one file output ([`Output::file`]):
//! by default a [`StreamBuffer`], whose bytes
//! [`AudioTranscoder::take_output`] hands out as they are made; any sink
//! with [`AudioTranscoder::with_sink`] (a directory, a callback, a
//! seekable writer through [`WriteSink`]).
//!
//! Memory stays bounded for long inputs: the transcoder holds at most
//! [`READ_AHEAD`] input bytes past the decoder (plus the first push), one
//! packet of PCM, and the encoder's and resampler's state. What it keeps
//! of the output depends on the container:
//! - fMP4 and CMAF, Ogg, FLAC, WAV and MP3 stream out as they are made;
//! - progressive MP4 (`moov` first, as players want it) holds the encoded
//!   samples until the end: about 1 MB per minute at 128 kbit/s.
//!
//! One exception on the input side: an MP4/M4A whose `moov` comes after
//! its media data cannot be decoded from the front, so the transcoder
//! keeps the whole input before decoding it (the `mp4-needs-whole-input`
//! case of [`TranscodeProgress::buffering_whole_input`]).
//!
//! Files written before their length is known carry placeholder sizes
//! (FLAC's sample count and MD5, WAV's RIFF sizes). At the end the
//! transcoder writes the final bytes over them ([`Sink::write_at`]) and
//! lists them in [`TranscodeSummary::patches`], for whoever holds output
//! already taken from a [`StreamBuffer`]. Players accept the unpatched
//! files too.
//!
//! Timing: the output presents exactly the decoded input, resampled. The
//! encoder's priming and last-frame padding are trimmed by the container
//! (MP4 and fMP4 edit lists, Ogg's pre-skip and final granule position);
//! raw MP3 has no place to say so and keeps them, as MP3 files without a
//! LAME tag do.

use std::fmt;
use std::io::{self, Read};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::audio::{AudioConverter, ConvertError, ConvertOptions, SampleRate};
use crate::codec::audio_encode::{AudioEncode, AudioEncodeFailure, AudioPacket};
use crate::codec::opus::{OpusHead, OpusPacket};
use crate::codec::CodecConfig;
use crate::decode::{AudioDecodeError, AudioDecoder, DecodeOptions, DecodeStats, SourceInfo};
use crate::error::{Coded, ErrorCode};
use crate::mux::cmaf::CmafWriter;
use crate::mux::flac;
use crate::mux::mp4::{progressive_mp4_trimmed, Mp4Options, Trim};
use crate::mux::ogg::OggError;
use crate::mux::ogg::OggOpusWriter;
use crate::mux::sink::{Output, Sink, SinkError, StreamBuffer, WriteSink};
use crate::mux::walk::BoxHeader;
use crate::mux::wav::wav_header;
use crate::mux::{MuxError, Sample, TrackConfig};
use crate::preset::{AudioPreset, Container, Preset};
use crate::registry::{audio_encoder, EncoderChoiceError};
use crate::time::{Timescale, Timestamp};

/// Input bytes kept ahead of the decoder while streaming: it never reads
/// past what has arrived unless the input has ended. Larger than any audio
/// packet of the formats read plus Symphonia's own read buffer.
pub const READ_AHEAD: usize = 1 << 20;

/// Input bytes needed before the decoder opens (Symphonia's probe and the
/// header checks read this much), unless the input ends first: the input
/// held past what the decoder has read stays within this plus the last
/// push (or [`READ_AHEAD`] once decoding).
pub const OPEN_AHEAD: usize = (2 << 20) + (64 << 10);

/// Track ID of the audio track in MP4 outputs.
const TRACK_ID: u32 = 1;

/// How to transcode.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioTranscodeOptions {
    /// The output: `container` and `audio` are used; the preset must have
    /// no video.
    pub preset: Preset,
    /// fMP4 and CMAF: target fragment duration, 100 ms to 60 s. Default
    /// 2 s.
    pub fragment_duration: Timestamp,
    /// Gain in dB before encoding, -60 to +40. Default 0.
    pub gain_db: f64,
    /// A look-ahead peak limiter after the gain. Default off.
    pub limiter: bool,
    /// Hints and damage tolerance for the decoder.
    pub decode: DecodeOptions,
}

impl AudioTranscodeOptions {
    /// `preset` with the defaults above.
    pub fn new(preset: Preset) -> Self {
        AudioTranscodeOptions {
            preset,
            fragment_duration: Timestamp::from_millis(2000),
            gain_db: 0.0,
            limiter: false,
            decode: DecodeOptions::default(),
        }
    }
}

/// How far a transcode is.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TranscodeProgress {
    /// Input bytes received.
    pub input_bytes: u64,
    /// Input bytes the decoder has read.
    pub read_bytes: u64,
    /// Input time decoded so far, microseconds.
    pub decoded_us: i64,
    /// The input's duration when its container declares it, microseconds.
    pub duration_us: Option<i64>,
    /// Output bytes produced (handed out or waiting).
    pub output_bytes: u64,
    /// The input is an MP4 with its `moov` after the media: it is being
    /// kept whole and is decoded at [`AudioTranscoder::finish`].
    pub buffering_whole_input: bool,
}

impl TranscodeProgress {
    /// Decoded share of the input, 0 to 1, when its duration is known.
    pub fn fraction(&self) -> Option<f64> {
        let total = self.duration_us.filter(|&d| d > 0)?;
        Some((self.decoded_us as f64 / total as f64).clamp(0.0, 1.0))
    }
}

/// Bytes to write at `offset` of the output once it is complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputPatch {
    /// Byte offset from the start of the output.
    pub offset: u64,
    /// The bytes to write there, replacing as many.
    pub bytes: Vec<u8>,
}

/// What a finished transcode made.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscodeSummary {
    /// What the input held.
    pub input: SourceInfo,
    /// The decoder's counters (damaged packets skipped, ...).
    pub decode: DecodeStats,
    /// The output codec: its RFC 6381 string in MP4 containers
    /// (`mp4a.40.2`, `opus`, `flac`), else `opus`, `flac`, `pcm_s16le`,
    /// `pcm_s24le` or `mp3`.
    pub codec: String,
    /// Output sample rate in Hz.
    pub sample_rate: u32,
    /// Output channel count.
    pub channels: u16,
    /// Samples per channel presented (the resampled input).
    pub frames: u64,
    /// Encoder priming, samples per channel, trimmed by the container
    /// (except raw MP3).
    pub priming: u32,
    /// The output size, bytes.
    pub output_bytes: u64,
    /// The output's MIME type and usual file extension.
    pub mime_type: &'static str,
    /// The usual file extension, without the dot (e.g. `m4a`).
    pub extension: &'static str,
    /// Final header bytes for outputs written before their length was
    /// known; empty when none are needed.
    pub patches: Vec<OutputPatch>,
}

impl TranscodeSummary {
    /// Presented duration in microseconds.
    pub fn duration_us(&self) -> i64 {
        frames_to_us(self.frames, self.sample_rate)
    }
}

/// Why a transcode failed. After an error the transcoder refuses further
/// calls with [`TranscodeError::Failed`]; nothing it already handed out is
/// taken back.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TranscodeError {
    /// The preset cannot drive an audio transcode (`field` names where).
    InvalidPreset {
        /// Path of the offending preset field, e.g.
        /// `audio.codecOptions.profile`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An option is out of range.
    InvalidOption {
        /// The option, e.g. `fragmentDuration` or `gainDb`.
        field: &'static str,
        /// What it must be.
        reason: String,
    },
    /// The input cannot be decoded.
    Decode(AudioDecodeError),
    /// A packet did not fit in [`READ_AHEAD`] bytes of input.
    InputStalled,
    /// Channel mapping or resampling failed.
    Convert(ConvertError),
    /// The encoder failed.
    Encode(AudioEncodeFailure),
    /// The container writer refused the stream.
    Mux(MuxError),
    /// The Ogg writer refused the stream.
    Ogg(OggError),
    /// The sink refused the output (a full disk, a callback's error).
    Output(SinkError),
    /// The input decodes to no samples at all.
    NoSamples,
    /// `push` or `finish` after `finish`.
    Finished,
    /// A call after an earlier error.
    Failed,
}

impl Coded for TranscodeError {
    fn code(&self) -> ErrorCode {
        match self {
            TranscodeError::InvalidPreset { .. } => ErrorCode::InvalidPreset,
            TranscodeError::InvalidOption { .. } => ErrorCode::InvalidConfig,
            TranscodeError::Decode(e) => e.code(),
            TranscodeError::InputStalled | TranscodeError::NoSamples => ErrorCode::DecodeError,
            TranscodeError::Convert(_) | TranscodeError::Encode(_) => ErrorCode::EncodeError,
            TranscodeError::Mux(_) | TranscodeError::Ogg(_) => ErrorCode::MuxError,
            TranscodeError::Output(e) => e.code(),
            TranscodeError::Finished | TranscodeError::Failed => ErrorCode::InvalidState,
        }
    }

    /// The preset field or option a configuration error is about.
    fn field(&self) -> Option<String> {
        match self {
            TranscodeError::InvalidPreset { field, .. } => Some(field.clone()),
            TranscodeError::InvalidOption { field, .. } => Some((*field).to_string()),
            _ => None,
        }
    }
}

impl fmt::Display for TranscodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TranscodeError::InvalidPreset { field, reason } => write!(f, "{field}: {reason}"),
            TranscodeError::InvalidOption { field, reason } => write!(f, "{field}: {reason}"),
            TranscodeError::Decode(e) => write!(f, "cannot decode the input: {e}"),
            TranscodeError::InputStalled => {
                write!(f, "cannot decode the input: a packet is larger than the {READ_AHEAD}-byte read-ahead window")
            }
            TranscodeError::Convert(e) => write!(f, "audio conversion failed: {e}"),
            TranscodeError::Encode(e) => write!(f, "{e}"),
            TranscodeError::Mux(e) => write!(f, "cannot write the output: {e}"),
            TranscodeError::Ogg(e) => write!(f, "cannot write the Ogg stream: {e}"),
            TranscodeError::Output(e) => write!(f, "cannot write the output: {e}"),
            TranscodeError::NoSamples => f.write_str("cannot decode the input: it holds no audio samples"),
            TranscodeError::Finished => f.write_str("the transcode has already finished"),
            TranscodeError::Failed => f.write_str("the transcode has already failed"),
        }
    }
}

impl std::error::Error for TranscodeError {}

impl From<EncoderChoiceError> for TranscodeError {
    fn from(e: EncoderChoiceError) -> Self {
        TranscodeError::InvalidPreset { field: e.field.to_string(), reason: e.reason }
    }
}

impl From<ConvertError> for TranscodeError {
    fn from(e: ConvertError) -> Self {
        TranscodeError::Convert(e)
    }
}

impl From<AudioEncodeFailure> for TranscodeError {
    fn from(e: AudioEncodeFailure) -> Self {
        TranscodeError::Encode(e)
    }
}

impl From<MuxError> for TranscodeError {
    fn from(e: MuxError) -> Self {
        TranscodeError::Mux(e)
    }
}

impl From<SinkError> for TranscodeError {
    fn from(e: SinkError) -> Self {
        TranscodeError::Output(e)
    }
}

impl From<OggError> for TranscodeError {
    fn from(e: OggError) -> Self {
        TranscodeError::Ogg(e)
    }
}

impl From<AudioDecodeError> for TranscodeError {
    fn from(e: AudioDecodeError) -> Self {
        match e {
            AudioDecodeError::Io { kind: io::ErrorKind::WouldBlock, .. } => TranscodeError::InputStalled,
            e => TranscodeError::Decode(e),
        }
    }
}

/// Input bytes received but not yet read by the decoder.
#[derive(Debug, Default)]
struct Queue {
    bytes: std::collections::VecDeque<u8>,
    ended: bool,
    read: u64,
}

impl Queue {
    /// Whether the first [`OPEN_AHEAD`] bytes waiting are an MP4 with its
    /// media before its `moov`.
    fn head_needs_whole_input(&mut self) -> bool {
        let waiting = self.bytes.make_contiguous();
        mp4_media_before_moov(&waiting[..waiting.len().min(OPEN_AHEAD)])
    }
}

/// The decoder's end of the queue. Reading past what has arrived before
/// the input ended is `WouldBlock` (the transcoder keeps [`READ_AHEAD`]
/// bytes ahead, so only an oversized packet gets there).
#[derive(Debug, Clone, Default)]
struct QueueReader(Arc<Mutex<Queue>>);

impl QueueReader {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic elsewhere cannot leave the queue half-updated: every
        // change below is a single call on the deque.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Read for QueueReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut q = self.lock();
        if q.bytes.is_empty() {
            return if q.ended { Ok(0) } else { Err(io::Error::new(io::ErrorKind::WouldBlock, "more input needed")) };
        }
        let n = q.bytes.read(buf)?;
        q.read += n as u64;
        Ok(n)
    }
}

/// Where the input side is.
enum Input {
    /// Waiting for enough bytes to open the decoder.
    Head,
    /// An MP4 with media before `moov`: kept whole until the end.
    Whole(Vec<u8>),
    /// Decoding.
    Decoding(Box<Stage>),
    /// Finished or failed.
    Done,
}

/// The open decoder and everything after it.
struct Stage {
    decoder: AudioDecoder<'static>,
    converter: AudioConverter,
    encoder: Box<dyn AudioEncode>,
    writer: Writer,
    /// Samples per channel given to the encoder.
    encoded_frames: u64,
}

/// The container side.
enum Writer {
    /// fMP4/CMAF: the init segment, then a fragment per `fragment_ticks`.
    Fragmented { cmaf: CmafWriter, pending: Vec<Sample>, pending_ticks: u64, fragment_ticks: u64, sequence: u32 },
    /// Progressive MP4: everything at the end.
    Progressive { samples: Vec<Sample> },
    /// Ogg Opus; packet times count from the first input sample, so
    /// `pre_skip` ticks before the decode time.
    Ogg { ogg: OggOpusWriter, pre_skip: u16 },
    /// A codec's own stream (FLAC, WAV, MP3): header, then the packets.
    Raw,
}

/// Audio in one format to audio in another, written to the sink `S`; see
/// the module documentation.
pub struct AudioTranscoder<S: Sink = StreamBuffer> {
    audio: AudioPreset,
    container: Container,
    options: AudioTranscodeOptions,
    queue: QueueReader,
    input: Input,
    /// What the container writers made since the last hand-over to `sink`.
    out: Vec<u8>,
    sink: S,
    /// The output's name and kind, until `begin` was called.
    output: Option<Output>,
    /// Output bytes handed to `sink`.
    written: u64,
    received: u64,
    /// Decode time of the next packet, encoder ticks.
    next_dts: i64,
    failed: bool,
    /// Progress when the input ended.
    ended: Option<TranscodeProgress>,
}

impl<S: Sink> fmt::Debug for AudioTranscoder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AudioTranscoder")
            .field("container", &self.container)
            .field("progress", &self.progress())
            .finish_non_exhaustive()
    }
}

impl AudioTranscoder<StreamBuffer> {
    /// Checks the preset and options; nothing is decoded yet. The output
    /// stays in memory until [`Self::take_output`].
    pub fn new(options: AudioTranscodeOptions) -> Result<Self, TranscodeError> {
        let name = format!("output.{}", mime(options.preset.container).1);
        AudioTranscoder::with_sink(options, StreamBuffer::default(), Output::file(name))
    }

    /// The output bytes made since the last call.
    pub fn take_output(&mut self) -> Vec<u8> {
        self.flush_output().ok();
        self.sink.take()
    }
}

impl<S: Sink> AudioTranscoder<S> {
    /// Checks the preset and options; nothing is decoded yet. The output
    /// goes to `sink` as `output` (begun with the first bytes, ended by
    /// [`Self::finish`]).
    pub fn with_sink(options: AudioTranscodeOptions, sink: S, output: Output) -> Result<Self, TranscodeError> {
        let preset = &options.preset;
        let invalid =
            |field: &str, reason: String| Err(TranscodeError::InvalidPreset { field: field.to_string(), reason });
        if let Err(errors) = preset.validate() {
            let first = errors.iter().next().map(|e| (e.field.to_string(), e.to_string()));
            let (field, reason) = first.unwrap_or_else(|| ("preset".into(), "is invalid".into()));
            return invalid(&field, reason);
        }
        let Some(audio) = preset.audio.clone() else {
            return invalid("audio", "must be given to transcode audio".into());
        };
        if preset.video.is_some() {
            return invalid("video", "must be absent: audio transcoding makes audio-only output".into());
        }
        if matches!(preset.container, Container::Hls | Container::Dash | Container::Ts) {
            return invalid(
                "container",
                format!("must be a file container (mp4, fmp4, cmaf, ogg, flac, wav, mp3), got {}", preset.container),
            );
        }
        let ms = options.fragment_duration.rescale(Timescale::MILLIS).ticks;
        if !(100..=60_000).contains(&ms) {
            let reason = format!("must be 100 ms to 60 s, got {ms} ms");
            return Err(TranscodeError::InvalidOption { field: "fragmentDuration", reason });
        }
        if !options.gain_db.is_finite() || !(-60.0..=40.0).contains(&options.gain_db) {
            let reason = format!("must be -60 to 40 dB, got {}", options.gain_db);
            return Err(TranscodeError::InvalidOption { field: "gainDb", reason });
        }
        Ok(AudioTranscoder {
            container: preset.container,
            audio,
            options,
            queue: QueueReader::default(),
            input: Input::Head,
            out: Vec::new(),
            sink,
            output: Some(output),
            written: 0,
            received: 0,
            next_dts: 0,
            failed: false,
            ended: None,
        })
    }

    /// Takes the next input bytes and transcodes as far as is safe.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), TranscodeError> {
        self.check_running()?;
        self.received += bytes.len() as u64;
        if let Input::Whole(all) = &mut self.input {
            all.extend_from_slice(bytes);
            return Ok(());
        }
        self.queue.lock().bytes.extend(bytes);
        let result = self.advance(false).and_then(|()| self.flush_output());
        self.fail_on_error(result)
    }

    /// Ends the input: decodes the rest, flushes the encoder and the
    /// container, writes the header patches, ends the output, and sums up.
    /// With the default sink, take the last output afterwards.
    pub fn finish(&mut self) -> Result<TranscodeSummary, TranscodeError> {
        self.check_running()?;
        self.queue.lock().ended = true;
        let result = self.advance(true).and_then(|()| self.close()).and_then(|summary| self.end_output(summary));
        self.ended = Some(self.progress());
        self.input = Input::Done;
        self.fail_on_error(result)
    }

    /// The sink.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// The sink, given back.
    pub fn into_sink(self) -> S {
        self.sink
    }

    /// How far the transcode is.
    pub fn progress(&self) -> TranscodeProgress {
        let output_bytes = self.written + self.out.len() as u64;
        if let Some(p) = self.ended {
            return TranscodeProgress { output_bytes, ..p };
        }
        let mut p = TranscodeProgress {
            input_bytes: self.received,
            read_bytes: self.queue.lock().read,
            output_bytes,
            buffering_whole_input: matches!(self.input, Input::Whole(_)),
            ..TranscodeProgress::default()
        };
        if let Input::Decoding(stage) = &self.input {
            let info = stage.decoder.info();
            let rate = info.sample_rate.hz();
            p.decoded_us = frames_to_us(stage.decoder.stats().frames, rate);
            p.duration_us = info.frames.map(|f| frames_to_us(f, rate));
        }
        p
    }

    /// Hands what the writers made to the sink, beginning the output first.
    fn flush_output(&mut self) -> Result<(), TranscodeError> {
        if self.out.is_empty() {
            return Ok(());
        }
        if let Some(output) = self.output.take() {
            self.sink.begin(&output)?;
        }
        self.sink.write(&self.out)?;
        self.written += self.out.len() as u64;
        self.out.clear();
        Ok(())
    }

    /// Hands the rest to the sink, writes the header patches over the
    /// output's start and ends the output.
    fn end_output(&mut self, summary: TranscodeSummary) -> Result<TranscodeSummary, TranscodeError> {
        self.flush_output()?;
        if let Some(output) = self.output.take() {
            self.sink.begin(&output)?;
        }
        for patch in &summary.patches {
            self.sink.write_at(patch.offset, &patch.bytes)?;
        }
        self.sink.end()?;
        Ok(summary)
    }

    fn check_running(&self) -> Result<(), TranscodeError> {
        match (&self.input, self.failed) {
            (_, true) => Err(TranscodeError::Failed),
            (Input::Done, false) => Err(TranscodeError::Finished),
            _ => Ok(()),
        }
    }

    fn fail_on_error<T>(&mut self, result: Result<T, TranscodeError>) -> Result<T, TranscodeError> {
        if result.is_err() {
            self.failed = true;
            self.input = Input::Done;
        }
        result
    }

    /// Opens the decoder once enough input is there, then decodes while
    /// [`READ_AHEAD`] bytes are waiting (everything once `ended`).
    fn advance(&mut self, ended: bool) -> Result<(), TranscodeError> {
        if let Input::Head = self.input {
            let waiting = self.queue.lock().bytes.len();
            if !ended && waiting < OPEN_AHEAD {
                return Ok(());
            }
            // A whole input in hand (it ended before the decoder opened) is
            // decoded seekably too: MP4 edit lists then apply.
            if ended || self.queue.lock().head_needs_whole_input() {
                let mut q = self.queue.lock();
                let all: Vec<u8> = q.bytes.drain(..).collect();
                q.read += all.len() as u64;
                drop(q);
                self.input = Input::Whole(all);
            } else {
                let decoder = AudioDecoder::open_unseekable(self.queue.clone(), &self.options.decode)?;
                self.input = Input::Decoding(Box::new(self.stage(decoder)?));
            }
        }
        if ended && matches!(self.input, Input::Whole(_)) {
            if let Input::Whole(all) = std::mem::replace(&mut self.input, Input::Done) {
                let decoder = AudioDecoder::open(io::Cursor::new(all), &self.options.decode)?;
                self.input = Input::Decoding(Box::new(self.stage(decoder)?));
            }
        }
        let Input::Decoding(stage) = &mut self.input else { return Ok(()) };
        while ended || self.queue.lock().bytes.len() >= READ_AHEAD {
            let Some(chunk) = stage.decoder.next_chunk()? else { break };
            if let Some(converted) = stage.converter.process(&chunk)? {
                stage.encode(converted.samples(), &mut self.next_dts, &mut self.out)?;
            }
        }
        Ok(())
    }

    /// The converter, encoder and writer for an opened decoder; writes the
    /// container's header.
    fn stage(&mut self, decoder: AudioDecoder<'static>) -> Result<Stage, TranscodeError> {
        let info = decoder.info().clone();
        let encoder = audio_encoder(&self.audio, info.sample_rate.hz(), info.layout.channels() as u16)?;
        let rate = SampleRate::new(encoder.sample_rate()).ok_or_else(|| TranscodeError::InvalidPreset {
            field: "audio.sampleRate".into(),
            reason: format!("must be positive, got {}", encoder.sample_rate()),
        })?;
        let mut convert = ConvertOptions::new(rate, encoder.layout());
        convert.gain_db = self.options.gain_db;
        convert.limiter = self.options.limiter.then(Default::default);
        let converter = AudioConverter::new(info.sample_rate, info.layout, &convert)?;
        let writer = Writer::start(self.container, encoder.as_ref(), self.options.fragment_duration, &mut self.out)?;
        Ok(Stage { decoder, converter, encoder, writer, encoded_frames: 0 })
    }

    /// Flushes everything and sums up.
    fn close(&mut self) -> Result<TranscodeSummary, TranscodeError> {
        let Input::Decoding(stage) = &mut self.input else {
            // `advance(true)` always opens the decoder or fails.
            return Err(TranscodeError::Failed);
        };
        if let Some(rest) = stage.converter.flush()? {
            stage.encode(rest.samples(), &mut self.next_dts, &mut self.out)?;
        }
        if stage.encoded_frames == 0 {
            return Err(TranscodeError::NoSamples);
        }
        let last = stage.encoder.flush()?;
        stage.writer.write(last, &mut self.next_dts, &mut self.out)?;
        let encoder = stage.encoder.as_ref();
        let (frames, priming) = (stage.encoded_frames, encoder.delay());
        let ticks = u64::try_from(self.next_dts).unwrap_or(0);
        let padding = ticks.saturating_sub(frames + u64::from(priming));
        let patches = stage.writer.finish(encoder, frames, priming, padding, &mut self.out)?;
        let written = self.written + self.out.len() as u64;
        let codec = match (self.container, encoder.codec_config()) {
            (Container::Ogg, _) => "opus".to_string(),
            // The codec's own stream: "flac", "pcm_s16le", "mp3".
            (Container::Wav | Container::Flac | Container::Mp3, _) | (_, None) => {
                encoder.codec_name().to_ascii_lowercase()
            }
            (_, Some(config)) => config.codec_string().map_err(|e| MuxError::Codec { track_id: TRACK_ID, error: e })?,
        };
        let (mime_type, extension) = mime(self.container);
        Ok(TranscodeSummary {
            input: stage.decoder.info().clone(),
            decode: stage.decoder.stats(),
            codec,
            sample_rate: encoder.sample_rate(),
            channels: encoder.layout().channels() as u16,
            frames,
            priming,
            output_bytes: written,
            mime_type,
            extension,
            patches,
        })
    }
}

impl Stage {
    fn encode(&mut self, pcm: &[f32], next_dts: &mut i64, out: &mut Vec<u8>) -> Result<(), TranscodeError> {
        let channels = self.encoder.layout().channels().max(1);
        self.encoded_frames += (pcm.len() / channels) as u64;
        let packets = self.encoder.encode(pcm)?;
        self.writer.write(packets, next_dts, out)
    }
}

fn mime(container: Container) -> (&'static str, &'static str) {
    match container {
        Container::Mp4 | Container::Fmp4 | Container::Cmaf | Container::Hls | Container::Dash => ("audio/mp4", "m4a"),
        Container::Ogg => ("audio/ogg", "opus"),
        Container::Flac => ("audio/flac", "flac"),
        Container::Wav => ("audio/wav", "wav"),
        Container::Mp3 => ("audio/mpeg", "mp3"),
        // Refused by the options check (no MPEG-TS writer for audio files).
        Container::Ts => ("video/mp2t", "ts"),
    }
}

impl Writer {
    /// A writer for `container`, its header appended to `out`.
    fn start(
        container: Container,
        encoder: &dyn AudioEncode,
        fragment: Timestamp,
        out: &mut Vec<u8>,
    ) -> Result<Writer, TranscodeError> {
        let unsupported = |what: &str| TranscodeError::InvalidPreset {
            field: "audio.codec".into(),
            reason: format!("{} cannot be written to container {container}{what}", encoder.codec_name()),
        };
        Ok(match container {
            Container::Fmp4 | Container::Cmaf | Container::Hls | Container::Dash => {
                let config = encoder.codec_config().ok_or_else(|| unsupported(""))?;
                let timescale = Timescale::new(encoder.sample_rate()).ok_or_else(|| unsupported(" at rate 0"))?;
                let mut cmaf = CmafWriter::new(vec![TrackConfig::new(TRACK_ID, timescale, config)])?;
                cmaf.set_start_skip(TRACK_ID, encoder.delay())?;
                out.extend_from_slice(&cmaf.init_segment()?);
                let fragment_ticks = fragment.rescale(timescale).ticks.max(1) as u64;
                Writer::Fragmented { cmaf, pending: Vec::new(), pending_ticks: 0, fragment_ticks, sequence: 1 }
            }
            Container::Mp4 => {
                encoder.codec_config().ok_or_else(|| unsupported(""))?;
                Writer::Progressive { samples: Vec::new() }
            }
            Container::Ogg => match encoder.codec_config().as_ref().and_then(OpusHead::from_codec_config) {
                Some(head) => Writer::Ogg { ogg: OggOpusWriter::new(OGG_SERIAL, head, out), pre_skip: head.pre_skip },
                None => return Err(unsupported("")),
            },
            Container::Flac | Container::Wav | Container::Mp3 => {
                if let Some(header) = stream_header(encoder, None) {
                    out.extend_from_slice(&header);
                }
                Writer::Raw
            }
            // The options check refuses ts first; this keeps the match total.
            Container::Ts => {
                return Err(TranscodeError::InvalidPreset {
                    field: "container".into(),
                    reason: "must be a file container (mp4, fmp4, cmaf, ogg, flac, wav, mp3), got ts".into(),
                })
            }
        })
    }

    /// Hands `packets` to the container; `next_dts` advances by their
    /// durations.
    fn write(
        &mut self,
        packets: Vec<AudioPacket>,
        next_dts: &mut i64,
        out: &mut Vec<u8>,
    ) -> Result<(), TranscodeError> {
        for p in packets {
            let dts = *next_dts;
            *next_dts += i64::from(p.duration);
            match self {
                Writer::Fragmented { cmaf, pending, pending_ticks, fragment_ticks, sequence } => {
                    *pending_ticks += u64::from(p.duration);
                    pending.push(mp4_sample(dts, p));
                    if *pending_ticks >= *fragment_ticks {
                        cmaf.fragment_into(out, *sequence, &[(TRACK_ID, pending.as_slice())])?;
                        *sequence += 1;
                        pending.clear();
                        *pending_ticks = 0;
                    }
                }
                Writer::Progressive { samples } => samples.push(mp4_sample(dts, p)),
                Writer::Ogg { ogg, pre_skip } => {
                    let pts = dts - i64::from(*pre_skip);
                    ogg.write_packet(&OpusPacket { data: p.data, pts, duration: p.duration }, out)?;
                }
                Writer::Raw => out.extend_from_slice(&p.data),
            }
        }
        Ok(())
    }

    /// Ends the container: the last fragment, the whole progressive file,
    /// Ogg's last page, or the patched header of a raw stream.
    fn finish(
        &mut self,
        encoder: &dyn AudioEncode,
        frames: u64,
        priming: u32,
        padding: u64,
        out: &mut Vec<u8>,
    ) -> Result<Vec<OutputPatch>, TranscodeError> {
        match self {
            Writer::Fragmented { cmaf, pending, sequence, .. } => {
                if !pending.is_empty() {
                    cmaf.fragment_into(out, *sequence, &[(TRACK_ID, pending.as_slice())])?;
                    pending.clear();
                }
                Ok(Vec::new())
            }
            Writer::Progressive { samples } => {
                let config = encoder.codec_config().ok_or(MuxError::NoTracks)?;
                let timescale = Timescale::new(encoder.sample_rate()).ok_or(MuxError::NoTracks)?;
                let track = TrackConfig::new(TRACK_ID, timescale, config);
                if samples.is_empty() {
                    return Err(MuxError::NoSamples { track_id: TRACK_ID }.into());
                }
                let trim = Trim { start: priming, end: u32::try_from(padding).unwrap_or(u32::MAX) };
                out.extend_from_slice(&progressive_mp4_trimmed(
                    &[(&track, samples.as_slice(), trim)],
                    &Mp4Options::default(),
                )?);
                samples.clear();
                Ok(Vec::new())
            }
            Writer::Ogg { ogg, .. } => {
                ogg.finish(i64::try_from(frames).unwrap_or(i64::MAX), out)?;
                Ok(Vec::new())
            }
            // The header again, now with the totals.
            Writer::Raw => Ok(stream_header(encoder, Some(frames))
                .map(|bytes| OutputPatch { offset: 0, bytes })
                .into_iter()
                .collect()),
        }
    }
}

/// Transcodes `input` completely into `output`, calling `progress` after
/// each read of up to 64 KiB. The header patches are written at the end
/// (`output` is seekable for that; it is left at its end); the summary
/// still lists them.
pub fn transcode_audio<R: Read, W: io::Write + io::Seek>(
    mut input: R,
    output: W,
    options: AudioTranscodeOptions,
    mut progress: impl FnMut(&TranscodeProgress),
) -> Result<TranscodeSummary, TranscodeError> {
    let io_error =
        |e: io::Error| TranscodeError::Decode(AudioDecodeError::Io { kind: e.kind(), message: e.to_string() });
    let name = format!("output.{}", mime(options.preset.container).1);
    let mut transcoder = AudioTranscoder::with_sink(options, WriteSink::new(output), Output::file(name))?;
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(e)),
        };
        transcoder.push(&buf[..n])?;
        progress(&transcoder.progress());
    }
    let summary = transcoder.finish()?;
    progress(&transcoder.progress());
    Ok(summary)
}

/// Transcodes an input held in memory; the output has its patches applied.
/// It is decoded seekably, so MP4 inputs need no particular box order and
/// their edit lists (gapless trimming) apply.
pub fn transcode_audio_bytes(
    input: &[u8],
    options: AudioTranscodeOptions,
) -> Result<(Vec<u8>, TranscodeSummary), TranscodeError> {
    let mut transcoder = AudioTranscoder::new(options)?;
    transcoder.received = input.len() as u64;
    transcoder.input = Input::Whole(input.to_vec());
    let summary = transcoder.finish()?;
    let mut out = transcoder.take_output();
    for patch in &summary.patches {
        let at = usize::try_from(patch.offset).unwrap_or(usize::MAX);
        if let Some(target) = out.get_mut(at..at.saturating_add(patch.bytes.len())) {
            target.copy_from_slice(&patch.bytes);
        }
    }
    Ok((out, summary))
}

/// `frames` at `rate` Hz in microseconds.
fn frames_to_us(frames: u64, rate: u32) -> i64 {
    (i128::from(frames) * 1_000_000 / i128::from(rate.max(1))) as i64
}

/// An audio packet as an MP4 sample: every audio frame is a sync sample.
fn mp4_sample(decode_time: i64, packet: AudioPacket) -> Sample {
    Sample { decode_time, composition_offset: 0, duration: packet.duration, keyframe: true, data: packet.data }
}

/// The header a codec's own stream starts with: a FLAC file's `fLaC` and
/// metadata (final once the encoder is flushed), a WAV header for PCM
/// (`frames` per channel; sizes unknown while `None`); MP3 has none.
fn stream_header(encoder: &dyn AudioEncode, frames: Option<u64>) -> Option<Vec<u8>> {
    match (encoder.codec_config(), encoder.pcm_bits()) {
        (Some(CodecConfig::Flac { metadata, .. }), _) => Some(flac::file_header(&metadata)),
        (_, Some(bits)) => Some(wav_header(encoder.sample_rate(), encoder.layout().channels() as u16, bits, frames)),
        _ => None,
    }
}

/// Serial number of the Ogg logical stream ("frca").
const OGG_SERIAL: u32 = 0x6672_6361;

/// Whether `head`, the start of an input, is an MP4 whose media data
/// comes before its `moov` (top-level box headers read from the start; the
/// boxes may run past `head`).
fn mp4_media_before_moov(head: &[u8]) -> bool {
    let mut at = 0usize;
    let mut first = true;
    while let Some(Ok(header)) = head.get(at..).map(|rest| BoxHeader::parse(rest, at as u64, None)) {
        if first && header.fourcc != b"ftyp" {
            return false;
        }
        first = false;
        match &header.fourcc.0 {
            b"moov" => return false,
            b"mdat" | b"moof" => return true,
            _ => {}
        }
        // Size 0 (the rest of the file) and sizes below a header end the look.
        let Some(size) = header.size.filter(|&s| s >= 8) else { return false };
        at = match usize::try_from(size).ok().and_then(|s| at.checked_add(s)) {
            Some(next) => next,
            None => return false,
        };
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::ChannelLayout;
    use crate::codec::pcm::PcmEncoder;
    use crate::mux::wav::UNKNOWN_SIZE;

    #[test]
    fn wav_header_sizes_are_unknown_until_the_end() {
        let mut enc = PcmEncoder::new(44_100, ChannelLayout::Stereo, 16).unwrap();
        enc.encode(&[0.0; 6]).unwrap();
        let data_size = |h: Vec<u8>| u32::from_le_bytes(h[40..44].try_into().unwrap());
        assert_eq!(data_size(stream_header(&enc, None).unwrap()), UNKNOWN_SIZE);
        enc.flush().unwrap();
        assert_eq!(data_size(stream_header(&enc, Some(3)).unwrap()), 12);
    }
}
