//! The MPEG-TS demuxer: [`TsDemuxer`], push-based and safe on hostile
//! input.
//!
//! # Rules
//!
//! - **Sync.** A packet is read where a 0x47 byte starts it. At the start
//!   and after a lost sync, a 0x47 counts only when another follows 188
//!   bytes later; bytes in between are skipped and counted
//!   ([`TsWarnings::resyncs`], [`TsWarnings::skipped_bytes`]).
//! - **Bounds.** Input is held only up to one packet between calls; a PES
//!   longer than [`MAX_PES_BYTES`] or a PSI section longer than 4 KiB is
//!   dropped (counted); at most 32 elementary streams are tracked.
//! - **Damage is a warning.** Transport errors, continuity-counter gaps,
//!   bad PSI CRCs, malformed PES headers, H.264 or ADTS bytes that do not
//!   parse are counted in [`TsWarnings`] and reading goes on.
//! - **Programs.** The first program of the PAT is read. Its PMT lists the
//!   streams: stream type 0x1B is H.264, 0x0F AAC in ADTS; any other is
//!   listed as [`TsStreamKind::Unsupported`] (see [`stream_type_name`]) and
//!   its packets are skipped.
//! - **Access units.** H.264: one access unit per PES that carries a PTS
//!   (a PES without a PTS continues the access unit before it), in Annex
//!   B; it is handed on with 4-byte length prefixes, without access unit
//!   delimiters and without the SPS and PPS that its stream's
//!   [`TsStream::config`] holds (the first ones seen build it). AAC: each
//!   ADTS frame is one unit, without its header; frames after the first in
//!   a PES are timed 1024 samples apart.
//! - **Time.** PTS and DTS are in 90 kHz ticks, unwrapped across the
//!   33-bit wrap (each new value is taken as the nearest to the last value
//!   read, within 2^32 ticks either way), so they keep increasing; DTS is
//!   the PTS when the PES has none.

// Outside tests, no indexing that could panic and no unchecked arithmetic.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::arithmetic_side_effects))]

use std::collections::VecDeque;

use super::error::TsError;
use super::{psi, CLOCK_HZ, PACKET_LEN, STREAM_TYPE_AAC_ADTS, STREAM_TYPE_H264, SYNC_BYTE, TIMESTAMP_WRAP};
use crate::codec::aac::parse_adts;
use crate::codec::h264::bitstream::{
    annex_b_nal_units, append_length_prefixed_nal, AvcDecoderConfigurationRecord, NalUnitType, Sps,
};
use crate::codec::CodecConfig;

/// The longest PES the demuxer collects, in bytes (8 MiB); a longer one
/// is dropped and counted in [`TsWarnings::oversized_pes`].
pub const MAX_PES_BYTES: usize = 8 << 20;
/// The longest PSI section collected, in bytes.
const MAX_PSI_BYTES: usize = 4096;
/// The most elementary streams tracked.
const MAX_STREAMS: usize = 32;

/// What a stream of the PMT holds, as far as framecast reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TsStreamKind {
    /// H.264 video (stream type 0x1B).
    H264,
    /// AAC audio in ADTS (stream type 0x0F).
    AacAdts,
    /// Any other stream type; its packets are skipped.
    Unsupported,
}

/// One elementary stream listed by the PMT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsStream {
    /// The PID that carries it.
    pub pid: u16,
    /// Its `stream_type` (ISO/IEC 13818-1 Table 2-34).
    pub stream_type: u8,
    /// What framecast makes of it.
    pub kind: TsStreamKind,
    /// The decoder configuration, once known: for H.264 the `avcC` built
    /// from the first SPS and PPS seen, for AAC the AudioSpecificConfig of
    /// the first ADTS header. `None` until then, and for unsupported
    /// streams.
    pub config: Option<CodecConfig>,
}

/// One access unit (H.264) or frame (AAC) read from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsAccessUnit {
    /// The PID of its stream (see [`TsDemuxer::streams`]).
    pub pid: u16,
    /// Presentation time, 90 kHz ticks, unwrapped (see the module docs).
    pub pts: i64,
    /// Decode time, 90 kHz ticks, unwrapped; the PTS when the PES had no
    /// DTS.
    pub dts: i64,
    /// An H.264 access unit with an IDR slice; always true for AAC.
    pub keyframe: bool,
    /// H.264: NAL units with 4-byte length prefixes (as in MP4); AAC: the
    /// raw frame without its ADTS header.
    pub data: Vec<u8>,
}

/// Damage seen so far, counted; none of it stops the demuxer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TsWarnings {
    /// Times the packet sync was lost and searched for again.
    pub resyncs: u64,
    /// Bytes skipped while searching for sync (and a partial packet at the
    /// end).
    pub skipped_bytes: u64,
    /// Packets with `transport_error_indicator` set, or scrambled, or with
    /// a malformed adaptation field; skipped.
    pub bad_packets: u64,
    /// Continuity-counter gaps on the PIDs read.
    pub continuity_errors: u64,
    /// PSI sections with a bad CRC or layout, or too long; ignored.
    pub psi_errors: u64,
    /// PES packets with a malformed header or a length the data does not
    /// match, and PES without a time where one was needed.
    pub pes_errors: u64,
    /// PES packets longer than [`MAX_PES_BYTES`]; dropped.
    pub oversized_pes: u64,
    /// H.264 access units or ADTS frames whose bytes do not parse; dropped.
    pub bitstream_errors: u64,
}

impl TsWarnings {
    /// The sum of every count.
    pub fn total(&self) -> u64 {
        [
            self.resyncs,
            self.skipped_bytes,
            self.bad_packets,
            self.continuity_errors,
            self.psi_errors,
            self.pes_errors,
            self.oversized_pes,
            self.bitstream_errors,
        ]
        .iter()
        .fold(0u64, |a, &b| a.saturating_add(b))
    }
}

/// The name of an MPEG-TS `stream_type`, for messages
/// (`0x24` → `"HEVC video"`).
pub fn stream_type_name(stream_type: u8) -> &'static str {
    match stream_type {
        0x01 => "MPEG-1 video",
        0x02 => "MPEG-2 video",
        0x03 => "MPEG-1 audio",
        0x04 => "MPEG-2 audio",
        0x06 => "private data in PES (e.g. AC-3, DVB subtitles, Opus)",
        0x0f => "AAC audio (ADTS)",
        0x10 => "MPEG-4 part 2 video",
        0x11 => "AAC audio (LATM)",
        0x15 => "timed metadata in PES (ID3)",
        0x1b => "H.264 video",
        0x24 => "HEVC video",
        0x81 => "AC-3 audio",
        0x86 => "SCTE-35 splice information",
        0x87 => "E-AC-3 audio",
        0xc1..=0xcf => "SAMPLE-AES encrypted stream",
        _ => "unknown stream type",
    }
}

/// Reads an MPEG-TS byte stream pushed in pieces of any size.
///
/// [`TsDemuxer::push`] bytes as they come, take access units with
/// [`TsDemuxer::next_unit`] whenever convenient, and call
/// [`TsDemuxer::finish`] at the end of the input to get the last ones.
/// [`TsDemuxer::streams`] lists the PMT's streams and their configurations;
/// [`TsDemuxer::warnings`] counts the damage seen.
#[derive(Debug, Default)]
pub struct TsDemuxer {
    carry: Vec<u8>,
    in_sync: bool,
    pat: PsiState,
    pmt: PsiState,
    pmt_pid: Option<u16>,
    streams: Vec<TsStream>,
    states: Vec<EsState>,
    units: VecDeque<TsAccessUnit>,
    warnings: TsWarnings,
    last_time: Option<i64>,
    finished: bool,
}

/// A PSI PID's continuity and the section being collected.
#[derive(Debug, Default)]
struct PsiState {
    cc: Option<u8>,
    section: Vec<u8>,
    collecting: bool,
}

/// An elementary stream's continuity, PES being collected and codec state.
#[derive(Debug, Default)]
struct EsState {
    cc: Option<u8>,
    pes: Vec<u8>,
    collecting: bool,
    /// H.264: the access unit waiting for the next PES with a PTS.
    video: Option<PendingAu>,
    /// AAC: the time after the last frame, for a PES without a PTS.
    audio_end: Option<i64>,
}

#[derive(Debug)]
struct PendingAu {
    pts: i64,
    dts: i64,
    annex_b: Vec<u8>,
}

/// A packet's header fields and where its payload lies.
struct Packet<'a> {
    pid: u16,
    start: bool,
    cc: u8,
    discontinuity: bool,
    payload: Option<&'a [u8]>,
}

impl TsDemuxer {
    /// An empty demuxer.
    pub fn new() -> TsDemuxer {
        TsDemuxer::default()
    }

    /// Reads `data`, the next bytes of the stream. Fails only after
    /// [`TsDemuxer::finish`] ([`TsError::Finished`]).
    pub fn push(&mut self, data: &[u8]) -> Result<(), TsError> {
        if self.finished {
            return Err(TsError::Finished);
        }
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(data);
        let used = self.read_packets(&buf, false);
        buf.drain(..used.min(buf.len()));
        self.carry = buf;
        Ok(())
    }

    /// Ends the input: reads a last packet held back, completes the PES
    /// packets and access units in progress. Fails if called twice.
    pub fn finish(&mut self) -> Result<(), TsError> {
        if self.finished {
            return Err(TsError::Finished);
        }
        self.finished = true;
        let buf = std::mem::take(&mut self.carry);
        let used = self.read_packets(&buf, true);
        let left = buf.len().saturating_sub(used);
        self.warnings.skipped_bytes = self.warnings.skipped_bytes.saturating_add(left as u64);
        for i in 0..self.states.len() {
            self.end_pes(i);
            if let Some(au) = self.states.get_mut(i).and_then(|s| s.video.take()) {
                self.emit_video(i, au);
            }
        }
        Ok(())
    }

    /// The next access unit read, in the order their PES packets ended.
    pub fn next_unit(&mut self) -> Option<TsAccessUnit> {
        self.units.pop_front()
    }

    /// The streams of the program's PMT so far, in its order.
    pub fn streams(&self) -> &[TsStream] {
        &self.streams
    }

    /// The damage counted so far.
    pub fn warnings(&self) -> &TsWarnings {
        &self.warnings
    }

    /// Reads the whole packets at the start of `buf`; returns the bytes
    /// used. Without `at_end`, a packet found after lost sync waits until
    /// the next one's sync byte can be checked.
    fn read_packets(&mut self, buf: &[u8], at_end: bool) -> usize {
        let mut pos = 0usize;
        while let Some(rest) = buf.get(pos..) {
            let Some(packet) = rest.get(..PACKET_LEN) else {
                break;
            };
            let synced = rest.first() == Some(&SYNC_BYTE);
            if synced && !self.in_sync {
                match rest.get(PACKET_LEN) {
                    Some(&SYNC_BYTE) => self.in_sync = true,
                    Some(_) => {}
                    None if at_end => self.in_sync = true,
                    None => break,
                }
            }
            if synced && self.in_sync {
                self.read_packet(packet);
                pos = pos.saturating_add(PACKET_LEN);
            } else {
                if self.in_sync {
                    self.warnings.resyncs = self.warnings.resyncs.saturating_add(1);
                    self.in_sync = false;
                }
                self.warnings.skipped_bytes = self.warnings.skipped_bytes.saturating_add(1);
                pos = pos.saturating_add(1);
            }
        }
        pos
    }

    fn read_packet(&mut self, bytes: &[u8]) {
        let Some(packet) = parse_packet(bytes) else {
            self.warnings.bad_packets = self.warnings.bad_packets.saturating_add(1);
            return;
        };
        if packet.pid == 0 {
            self.read_psi(true, &packet);
        } else if Some(packet.pid) == self.pmt_pid {
            self.read_psi(false, &packet);
        } else if let Some(i) = self.streams.iter().position(|s| s.pid == packet.pid) {
            if self.streams.get(i).is_some_and(|s| s.kind != TsStreamKind::Unsupported) {
                self.read_es(i, &packet);
            }
        }
    }

    /// Checks a packet's continuity counter against the last one on its
    /// PID. `false`: a duplicate packet, to be skipped.
    fn continuity(warnings: &mut TsWarnings, last: &mut Option<u8>, packet: &Packet<'_>) -> bool {
        if packet.payload.is_none() {
            return true;
        }
        let prev = last.replace(packet.cc);
        match prev {
            Some(p) if p == packet.cc && !packet.discontinuity => false,
            Some(p) if (p.wrapping_add(1) & 0x0f) != packet.cc && !packet.discontinuity => {
                warnings.continuity_errors = warnings.continuity_errors.saturating_add(1);
                true
            }
            _ => true,
        }
    }

    fn read_psi(&mut self, is_pat: bool, packet: &Packet<'_>) {
        let state = if is_pat { &mut self.pat } else { &mut self.pmt };
        if !Self::continuity(&mut self.warnings, &mut state.cc, packet) {
            return;
        }
        let Some(payload) = packet.payload else {
            return;
        };
        if packet.start {
            let pointer = usize::from(payload.first().copied().unwrap_or(0));
            let Some(section) = payload.get(pointer.saturating_add(1)..) else {
                self.warnings.psi_errors = self.warnings.psi_errors.saturating_add(1);
                state.collecting = false;
                return;
            };
            state.section.clear();
            state.section.extend_from_slice(section);
            state.collecting = true;
        } else if state.collecting {
            state.section.extend_from_slice(payload);
        } else {
            return;
        }
        if state.section.len() > MAX_PSI_BYTES {
            self.warnings.psi_errors = self.warnings.psi_errors.saturating_add(1);
            state.collecting = false;
            return;
        }
        let section = std::mem::take(&mut state.section);
        match psi::read_section(&section) {
            Ok(None) => {
                let state = if is_pat { &mut self.pat } else { &mut self.pmt };
                state.section = section;
                return;
            }
            Ok(Some(s)) if is_pat && s.table_id == 0 => self.read_pat(s.body),
            Ok(Some(s)) if !is_pat && s.table_id == 2 => self.read_pmt(s.body),
            Ok(Some(_)) => {}
            Err(()) => self.warnings.psi_errors = self.warnings.psi_errors.saturating_add(1),
        }
        let state = if is_pat { &mut self.pat } else { &mut self.pmt };
        state.collecting = false;
        state.section = section;
        state.section.clear();
    }

    fn read_pat(&mut self, body: &[u8]) {
        let first = body
            .chunks_exact(4)
            .filter_map(|e| match *e {
                [a, b, c, d] if u16::from_be_bytes([a, b]) != 0 => Some(u16::from_be_bytes([c, d]) & 0x1fff),
                _ => None,
            })
            .next();
        if let Some(pid) = first {
            if pid != 0 && self.pmt_pid != Some(pid) {
                self.pmt_pid = Some(pid);
                self.pmt = PsiState::default();
            }
        }
    }

    fn read_pmt(&mut self, body: &[u8]) {
        let Some(&[_, _, hi, lo]) = body.get(..4) else {
            self.warnings.psi_errors = self.warnings.psi_errors.saturating_add(1);
            return;
        };
        let info_len = usize::from(u16::from_be_bytes([hi, lo]) & 0x0fff);
        let mut rest = body.get(info_len.saturating_add(4)..).unwrap_or(&[]);
        while let Some(&[stream_type, p_hi, p_lo, i_hi, i_lo]) = rest.get(..5) {
            let pid = u16::from_be_bytes([p_hi, p_lo]) & 0x1fff;
            let es_info = usize::from(u16::from_be_bytes([i_hi, i_lo]) & 0x0fff);
            rest = rest.get(es_info.saturating_add(5)..).unwrap_or(&[]);
            let known = self.streams.iter().any(|s| s.pid == pid);
            if known || self.streams.len() >= MAX_STREAMS || pid == 0 || Some(pid) == self.pmt_pid {
                continue;
            }
            let kind = match stream_type {
                STREAM_TYPE_H264 => TsStreamKind::H264,
                STREAM_TYPE_AAC_ADTS => TsStreamKind::AacAdts,
                _ => TsStreamKind::Unsupported,
            };
            self.streams.push(TsStream { pid, stream_type, kind, config: None });
            self.states.push(EsState::default());
        }
    }

    fn read_es(&mut self, i: usize, packet: &Packet<'_>) {
        let Some(state) = self.states.get_mut(i) else {
            return;
        };
        if !Self::continuity(&mut self.warnings, &mut state.cc, packet) {
            return;
        }
        let Some(payload) = packet.payload else {
            return;
        };
        if packet.start {
            self.end_pes(i);
            let Some(state) = self.states.get_mut(i) else {
                return;
            };
            state.pes.clear();
            state.collecting = true;
        }
        let Some(state) = self.states.get_mut(i) else {
            return;
        };
        if !state.collecting {
            return;
        }
        if state.pes.len().saturating_add(payload.len()) > MAX_PES_BYTES {
            self.warnings.oversized_pes = self.warnings.oversized_pes.saturating_add(1);
            state.collecting = false;
            state.pes.clear();
            return;
        }
        state.pes.extend_from_slice(payload);
        // A PES whose length is known ends as soon as it is complete.
        if let Some(&[0, 0, 1, _, hi, lo]) = state.pes.get(..6) {
            let len = usize::from(u16::from_be_bytes([hi, lo]));
            if len != 0 && state.pes.len() >= len.saturating_add(6) {
                self.end_pes(i);
            }
        }
    }

    /// Completes the PES being collected on stream `i`, if any.
    fn end_pes(&mut self, i: usize) {
        let Some(state) = self.states.get_mut(i) else {
            return;
        };
        if !state.collecting {
            return;
        }
        state.collecting = false;
        let pes = std::mem::take(&mut state.pes);
        match parse_pes(&pes) {
            Some(Pes { pts, dts, payload, complete }) => {
                if !complete {
                    self.warnings.pes_errors = self.warnings.pes_errors.saturating_add(1);
                }
                let pts = pts.map(|t| self.unwrap_time(t));
                let dts = dts.map(|t| self.unwrap_time(t));
                match self.streams.get(i).map(|s| s.kind) {
                    Some(TsStreamKind::H264) => self.video_pes(i, pts, dts, payload),
                    Some(TsStreamKind::AacAdts) => self.audio_pes(i, pts, payload),
                    _ => {}
                }
            }
            None => self.warnings.pes_errors = self.warnings.pes_errors.saturating_add(1),
        }
        if let Some(state) = self.states.get_mut(i) {
            state.pes = pes;
            state.pes.clear();
        }
    }

    /// The 33-bit `raw` time as the value nearest to the last time read.
    fn unwrap_time(&mut self, raw: u64) -> i64 {
        let wrap = TIMESTAMP_WRAP as i64;
        let raw = (raw % TIMESTAMP_WRAP) as i64;
        let t = match self.last_time {
            None => raw,
            Some(last) => {
                let mut delta = raw.wrapping_sub(last.rem_euclid(wrap)).rem_euclid(wrap);
                if delta >= wrap / 2 {
                    delta = delta.wrapping_sub(wrap);
                }
                last.saturating_add(delta)
            }
        };
        self.last_time = Some(t);
        t
    }

    fn video_pes(&mut self, i: usize, pts: Option<i64>, dts: Option<i64>, payload: &[u8]) {
        match pts {
            Some(pts) => {
                let next = PendingAu { pts, dts: dts.unwrap_or(pts), annex_b: payload.to_vec() };
                let prev = self.states.get_mut(i).and_then(|s| s.video.replace(next));
                if let Some(au) = prev {
                    self.emit_video(i, au);
                }
            }
            None => match self.states.get_mut(i).and_then(|s| s.video.as_mut()) {
                Some(au) if au.annex_b.len().saturating_add(payload.len()) <= MAX_PES_BYTES => {
                    au.annex_b.extend_from_slice(payload)
                }
                Some(_) => self.warnings.oversized_pes = self.warnings.oversized_pes.saturating_add(1),
                None => self.warnings.pes_errors = self.warnings.pes_errors.saturating_add(1),
            },
        }
    }

    /// Turns a collected access unit into a [`TsAccessUnit`], building the
    /// stream's `avcC` from its first SPS and PPS.
    fn emit_video(&mut self, i: usize, au: PendingAu) {
        let nals: Result<Vec<_>, _> = annex_b_nal_units(&au.annex_b).collect();
        let Ok(nals) = nals else {
            self.warnings.bitstream_errors = self.warnings.bitstream_errors.saturating_add(1);
            return;
        };
        let Some(stream) = self.streams.get_mut(i) else {
            return;
        };
        if stream.config.is_none() {
            let sps: Vec<&[u8]> = nals.iter().filter(|n| n.nal_type == NalUnitType::SPS).map(|n| n.data).collect();
            let pps: Vec<&[u8]> = nals.iter().filter(|n| n.nal_type == NalUnitType::PPS).map(|n| n.data).collect();
            if let (Some(first), false) = (sps.first(), pps.is_empty()) {
                let record = AvcDecoderConfigurationRecord::from_parameter_sets(&sps, &pps);
                match (record, Sps::parse(first)) {
                    (Ok(record), Ok(parsed)) => match record.try_to_bytes() {
                        Ok(avcc) => {
                            stream.config =
                                Some(CodecConfig::Avc { avcc, width: parsed.width(), height: parsed.height() })
                        }
                        Err(_) => self.warnings.bitstream_errors = self.warnings.bitstream_errors.saturating_add(1),
                    },
                    _ => self.warnings.bitstream_errors = self.warnings.bitstream_errors.saturating_add(1),
                }
            }
        }
        let record = match &stream.config {
            Some(CodecConfig::Avc { avcc, .. }) => AvcDecoderConfigurationRecord::parse(avcc).ok(),
            _ => None,
        };
        let in_config =
            |data: &[u8]| record.as_ref().is_some_and(|r| r.sps.iter().chain(&r.pps).any(|p| p.as_slice() == data));
        let mut data = Vec::with_capacity(au.annex_b.len());
        let mut keyframe = false;
        for nal in &nals {
            keyframe |= nal.nal_type == NalUnitType::IDR_SLICE;
            let skip = nal.nal_type == NalUnitType::AUD
                || (matches!(nal.nal_type, NalUnitType::SPS | NalUnitType::PPS) && in_config(nal.data));
            if !skip && append_length_prefixed_nal(&mut data, nal.data, 4).is_err() {
                self.warnings.bitstream_errors = self.warnings.bitstream_errors.saturating_add(1);
                return;
            }
        }
        let pid = stream.pid;
        self.units.push_back(TsAccessUnit { pid, pts: au.pts, dts: au.dts, keyframe, data });
    }

    fn audio_pes(&mut self, i: usize, pts: Option<i64>, payload: &[u8]) {
        let Some(base) = pts.or_else(|| self.states.get(i).and_then(|s| s.audio_end)) else {
            self.warnings.pes_errors = self.warnings.pes_errors.saturating_add(1);
            return;
        };
        let Some(stream) = self.streams.get_mut(i) else {
            return;
        };
        let pid = stream.pid;
        let mut pos = 0usize;
        let mut frames = 0u64;
        let mut rate = 0u32;
        while let Some(rest) = payload.get(pos..).filter(|r| !r.is_empty()) {
            let frame_len = match rest.get(..7) {
                Some(&[0xff, b1, _, b3, b4, b5, _]) if b1 & 0xf0 == 0xf0 => {
                    (usize::from(b3 & 0x03) << 11) | (usize::from(b4) << 3) | usize::from(b5 >> 5)
                }
                _ => 0,
            };
            let parsed = rest.get(..frame_len).map(parse_adts);
            let Some(Ok((format, raw))) = parsed else {
                self.warnings.bitstream_errors = self.warnings.bitstream_errors.saturating_add(1);
                break;
            };
            let Some(&frame) = raw.first() else {
                break;
            };
            rate = format.sample_rate();
            if stream.config.is_none() {
                stream.config = Some(CodecConfig::Aac {
                    asc: format.audio_specific_config(),
                    sample_rate: rate,
                    channels: format.channels(),
                });
            }
            let t = base.saturating_add(frame_ticks(frames, rate));
            self.units.push_back(TsAccessUnit { pid, pts: t, dts: t, keyframe: true, data: frame.to_vec() });
            frames = frames.saturating_add(1);
            pos = pos.saturating_add(frame_len);
        }
        if let Some(state) = self.states.get_mut(i) {
            state.audio_end = Some(base.saturating_add(frame_ticks(frames, rate)));
        }
    }
}

/// 90 kHz ticks of `frames` AAC frames (1024 samples each) at `rate` Hz,
/// rounded to the nearest tick; 0 for a rate of 0.
fn frame_ticks(frames: u64, rate: u32) -> i64 {
    let samples = u128::from(frames).saturating_mul(1024);
    let rate = u128::from(rate);
    if rate == 0 {
        return 0;
    }
    let ticks = samples.saturating_mul(u128::from(CLOCK_HZ)).saturating_add(rate / 2).checked_div(rate).unwrap_or(0);
    i64::try_from(ticks).unwrap_or(i64::MAX)
}

/// A packet's header and payload; `None` for a packet to skip (transport
/// error, scrambled, reserved or malformed adaptation field).
fn parse_packet(bytes: &[u8]) -> Option<Packet<'_>> {
    let &[_, b1, b2, b3, ..] = bytes else {
        return None;
    };
    if b1 & 0x80 != 0 || b3 & 0xc0 != 0 {
        return None;
    }
    let pid = u16::from_be_bytes([b1 & 0x1f, b2]);
    let control = (b3 >> 4) & 0x03;
    let (payload_start, discontinuity) = match control {
        1 => (4usize, false),
        2 | 3 => {
            let len = usize::from(*bytes.get(4)?);
            let max = if control == 2 { 183 } else { 182 };
            if len > max {
                return None;
            }
            let flags = if len > 0 { bytes.get(5).copied().unwrap_or(0) } else { 0 };
            (len.saturating_add(5), flags & 0x80 != 0)
        }
        _ => return None,
    };
    let payload = if control & 1 == 1 { bytes.get(payload_start..) } else { None };
    Some(Packet { pid, start: b1 & 0x40 != 0, cc: b3 & 0x0f, discontinuity, payload })
}

/// A 5-byte PTS or DTS field.
fn read_timestamp(b: &[u8]) -> Option<u64> {
    let &[a, b1, b2, b3, b4] = b else {
        return None;
    };
    Some(
        (u64::from(a >> 1 & 0x07) << 30)
            | (u64::from(u16::from_be_bytes([b1, b2]) >> 1) << 15)
            | u64::from(u16::from_be_bytes([b3, b4]) >> 1),
    )
}

/// A PES packet read: its times (33-bit, as written) and payload.
struct Pes<'a> {
    pts: Option<u64>,
    dts: Option<u64>,
    payload: &'a [u8],
    /// The stated `PES_packet_length` matched the data (or was 0).
    complete: bool,
}

/// A PES packet's PTS, DTS and payload, and whether its stated length
/// matched the data; `None` when the header is malformed.
fn parse_pes(pes: &[u8]) -> Option<Pes<'_>> {
    let &[0, 0, 1, _stream_id, len_hi, len_lo, b6, b7, header_len, ..] = pes else {
        return None;
    };
    if b6 & 0xc0 != 0x80 {
        return None;
    }
    let stated = usize::from(u16::from_be_bytes([len_hi, len_lo]));
    let (body, complete) = if stated == 0 {
        (pes, true)
    } else {
        let end = stated.saturating_add(6);
        (pes.get(..end).unwrap_or(pes), pes.len() == end)
    };
    let payload_start = usize::from(header_len).saturating_add(9);
    let fields = body.get(9..payload_start)?;
    let (pts, dts) = match b7 >> 6 {
        2 => (Some(read_timestamp(fields.get(..5)?)?), None),
        3 => (Some(read_timestamp(fields.get(..5)?)?), Some(read_timestamp(fields.get(5..10)?)?)),
        0 => (None, None),
        _ => return None,
    };
    Some(Pes { pts, dts, payload: body.get(payload_start..)?, complete })
}
