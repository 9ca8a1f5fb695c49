//! Opus input for [`AudioDecoder`](super::AudioDecoder): Ogg Opus
//! (RFC 7845) and Opus in WebM/Matroska, demuxed by `crate::mux`
//! ([`OggPageReader`], [`MkvDemuxer`]) and decoded by framecast's own Opus
//! decoder, since Symphonia has none.
//!
//! Timing: the decoded stream starts after the pre-skip (Ogg: the
//! `OpusHead` pre-skip; Matroska: `CodecDelay`, else the `OpusHead`
//! pre-skip) and ends at the granule position of Ogg's end-of-stream page,
//! or, in Matroska, after the last block's `DiscardPadding`. An Ogg stream
//! whose first granule position is not 0 (a stream cut from a longer one)
//! is not shifted. The `OpusHead` output gain is applied.

use std::collections::VecDeque;
use std::io::Read;

use super::audio::{io_error, AudioDecodeError};
use crate::codec::opus::{packet_duration, OpusDecoder, OpusHead};
use crate::codec::CodecConfig;
use crate::mux::mkv::{MkvDemuxer, MkvError, MkvEvent, MkvTrackKind};
use crate::mux::ogg::{OggPageReader, OggReadError};

/// Largest Ogg packet taken: far above any Opus packet (at most 120 ms of
/// audio, about 8 KB at the highest bit rate) or header.
const MAX_PACKET: usize = 1 << 20;
/// Opus decodes at 48 kHz.
const RATE: u64 = 48_000;
/// Input read per call when the demuxer needs more.
const READ_CHUNK: usize = 64 << 10;

/// Where the Opus stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OpusContainer {
    /// Ogg whose first packet is an `OpusHead`.
    Ogg,
    /// Matroska/WebM whose first audio track is `A_OPUS`: its number.
    Matroska(u64),
}

/// The Opus stream `prefix` (the input's start) holds, if it is one of
/// the two containers with Opus audio first.
pub(super) fn detect(prefix: &[u8]) -> Option<OpusContainer> {
    if prefix.starts_with(b"OggS") {
        let mut ogg = OggPageReader::new(MAX_PACKET);
        let _ = ogg.push(prefix);
        return ogg.next_packet().filter(|p| p.data.starts_with(b"OpusHead")).map(|_| OpusContainer::Ogg);
    }
    if prefix.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        let mut mkv = MkvDemuxer::new();
        let _ = mkv.push(prefix);
        let audio = mkv.tracks()?.iter().find(|t| t.kind == MkvTrackKind::Audio)?;
        return (audio.codec_id == "A_OPUS").then_some(OpusContainer::Matroska(audio.number));
    }
    None
}

/// What one packet gave.
pub(super) enum Decoded {
    /// Interleaved samples, trimmed (maybe empty).
    Samples(Vec<f32>),
    /// A packet the decoder rejected: `frames` of silence stand in.
    Bad {
        /// Why.
        reason: &'static str,
        /// Its duration in frames, when its framing says.
        frames: usize,
    },
}

enum Demux {
    Ogg(OggPageReader),
    Matroska { demuxer: MkvDemuxer, track: u64 },
}

/// One packet as demuxed: its bytes, the end trim it carries.
struct Packet {
    data: Vec<u8>,
    /// Ogg: the end-of-stream granule position.
    end_granule: Option<u64>,
    /// Matroska: frames to drop from its end.
    discard: u64,
}

/// An Opus stream being read and decoded.
pub(super) struct OpusSource<'s> {
    source: Box<dyn Read + Send + Sync + 's>,
    demux: Demux,
    decoder: OpusDecoder,
    channels: usize,
    /// Linear output gain, from the header's Q7.8 dB.
    gain: f32,
    /// Frames still to drop from the start.
    skip: u64,
    /// Frames decoded so far, pre-skip included (Ogg granule units).
    decoded: u64,
    packets: VecDeque<Packet>,
    input_ended: bool,
    /// Whether the Ogg `OpusTags` header is still to come.
    tags_pending: bool,
}

impl<'s> OpusSource<'s> {
    /// Reads the headers (Ogg: `OpusHead`; Matroska: `Tracks`) and opens
    /// the decoder. Returns the source and its channel count.
    pub(super) fn open(
        source: Box<dyn Read + Send + Sync + 's>,
        container: OpusContainer,
    ) -> Result<(Self, u8), AudioDecodeError> {
        let demux = match container {
            OpusContainer::Ogg => Demux::Ogg(OggPageReader::new(MAX_PACKET)),
            OpusContainer::Matroska(track) => Demux::Matroska { demuxer: MkvDemuxer::new(), track },
        };
        let mut s = OpusSource {
            source,
            demux,
            // Replaced once the header says how many channels.
            decoder: OpusDecoder::new(48_000, 2).map_err(|_| unsupported("the Opus decoder"))?,
            channels: 2,
            gain: 1.0,
            skip: 0,
            decoded: 0,
            packets: VecDeque::new(),
            input_ended: false,
            tags_pending: false,
        };
        let (head, codec_delay_ns) = s.read_head()?;
        if head.channels == 0 {
            return Err(AudioDecodeError::BadParameter { field: "channels", value: "0".into() });
        }
        if head.channels > 2 {
            return Err(unsupported("Opus with more than 2 channels (channel mapping family 1)"));
        }
        s.decoder = OpusDecoder::new(48_000, head.channels).map_err(|_| unsupported("the Opus decoder"))?;
        s.channels = usize::from(head.channels);
        s.skip = match codec_delay_ns {
            Some(ns) if ns > 0 => ns_to_frames(ns),
            _ => u64::from(head.pre_skip),
        };
        s.gain = 10f32.powf(f32::from(head.output_gain) / 256.0 / 20.0);
        Ok((s, head.channels))
    }

    /// The `OpusHead` (and Matroska's `CodecDelay`).
    fn read_head(&mut self) -> Result<(OpusHead, Option<u64>), AudioDecodeError> {
        loop {
            match &mut self.demux {
                Demux::Ogg(ogg) => {
                    if let Some(p) = ogg.next_packet() {
                        let (head, _) =
                            OpusHead::parse(&p.data).map_err(|_| corrupt("the first Ogg packet is not an OpusHead"))?;
                        self.tags_pending = true;
                        return Ok((head, None));
                    }
                }
                Demux::Matroska { demuxer, track } => {
                    if let Some(tracks) = demuxer.tracks() {
                        let t = tracks.iter().find(|t| t.number == *track).ok_or(AudioDecodeError::NoAudioTrack)?;
                        let head = match &t.config {
                            Some(config @ CodecConfig::Opus { .. }) => OpusHead::from_codec_config(config),
                            _ => None,
                        };
                        let head = head.ok_or(corrupt("the A_OPUS track has no OpusHead"))?;
                        return Ok((head, Some(t.codec_delay_ns)));
                    }
                }
            }
            if self.input_ended {
                return Err(corrupt("the input ends before the Opus header"));
            }
            self.read_more()?;
        }
    }

    /// Reads and demuxes the next input chunk.
    fn read_more(&mut self) -> Result<(), AudioDecodeError> {
        let mut buf = vec![0; READ_CHUNK];
        let n = self.source.read(&mut buf).map_err(io_error)?;
        let bytes = buf.get(..n).unwrap_or(&[]);
        let ended = n == 0;
        match &mut self.demux {
            Demux::Ogg(ogg) => {
                let r = if ended { ogg.finish() } else { ogg.push(bytes) };
                r.map_err(ogg_error)?;
            }
            Demux::Matroska { demuxer, track } => {
                let r = if ended { demuxer.finish() } else { demuxer.push(bytes) };
                // Frames before a cut or damage are still decoded.
                let failed = r.err();
                while let Some(event) = demuxer.next_event() {
                    if let MkvEvent::Frame(f) = event {
                        if f.track == *track {
                            let discard = f.discard_padding_ns.map_or(0, |ns| ns_to_frames(ns.max(0) as u64));
                            self.packets.push_back(Packet { data: f.data, end_granule: None, discard });
                        }
                    }
                }
                if let Some(e) = failed {
                    self.input_ended = true;
                    return Err(mkv_error(e));
                }
            }
        }
        self.input_ended = ended;
        Ok(())
    }

    /// The next demuxed audio packet, or `None` at the end.
    fn next_packet(&mut self) -> Result<Option<Packet>, AudioDecodeError> {
        loop {
            if let Demux::Ogg(ogg) = &mut self.demux {
                while let Some(p) = ogg.next_packet() {
                    if std::mem::take(&mut self.tags_pending) {
                        continue; // OpusTags
                    }
                    let end_granule = p.granule.filter(|_| p.end_of_stream);
                    self.packets.push_back(Packet { data: p.data, end_granule, discard: 0 });
                }
            }
            if let Some(p) = self.packets.pop_front() {
                return Ok(Some(p));
            }
            if self.input_ended {
                return Ok(None);
            }
            self.read_more()?;
        }
    }

    /// Decodes the next packet, trimmed; `None` at the end of the stream.
    pub(super) fn next(&mut self) -> Result<Option<Decoded>, AudioDecodeError> {
        let Some(packet) = self.next_packet()? else { return Ok(None) };
        let mut samples = match self.decoder.decode(&packet.data) {
            Ok(s) => s,
            Err(_) => {
                let frames = packet_duration(&packet.data).map_or(0, |d| d as usize);
                self.decoded = self.decoded.saturating_add(frames as u64);
                return Ok(Some(Decoded::Bad { reason: "an Opus packet does not decode", frames }));
            }
        };
        let channels = self.channels.max(1);
        let frames = (samples.len() / channels) as u64;
        let start = self.decoded;
        self.decoded = self.decoded.saturating_add(frames);
        // The end: Ogg's last granule position, or Matroska's padding.
        let mut keep = frames.saturating_sub(packet.discard);
        if let Some(end) = packet.end_granule {
            keep = keep.min(end.saturating_sub(start));
        }
        samples.truncate(keep as usize * channels);
        // The start: the pre-skip.
        let drop = self.skip.min(keep);
        self.skip -= drop;
        samples.drain(..drop as usize * channels);
        if self.gain != 1.0 {
            samples.iter_mut().for_each(|s| *s *= self.gain);
        }
        Ok(Some(Decoded::Samples(samples)))
    }
}

fn ns_to_frames(ns: u64) -> u64 {
    ((u128::from(ns) * u128::from(RATE) + 500_000_000) / 1_000_000_000).min(u128::from(u64::MAX)) as u64
}

fn corrupt(reason: &'static str) -> AudioDecodeError {
    AudioDecodeError::Corrupt { reason, packet: None }
}

fn unsupported(feature: &'static str) -> AudioDecodeError {
    AudioDecodeError::UnsupportedFeature { feature }
}

fn ogg_error(e: OggReadError) -> AudioDecodeError {
    match e {
        OggReadError::Truncated { .. } => AudioDecodeError::Truncated { packet: 0 },
        OggReadError::PacketTooLarge { .. } => AudioDecodeError::Limit { what: "an Ogg packet over 1 MB" },
        _ => corrupt("a damaged Ogg page"),
    }
}

fn mkv_error(e: MkvError) -> AudioDecodeError {
    match e {
        MkvError::Truncated { .. } => AudioDecodeError::Truncated { packet: 0 },
        MkvError::ElementTooLarge { .. } => AudioDecodeError::Limit { what: "a Matroska element over 64 MB" },
        _ => corrupt("a damaged Matroska structure"),
    }
}
