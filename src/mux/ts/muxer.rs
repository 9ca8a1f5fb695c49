//! The MPEG-TS muxer: [`TsMuxer`] (see the module docs of `mux::ts` for
//! the stream it writes and its timing rules).

use super::error::TsError;
use super::{psi, FIRST_ES_PID, PACKET_LEN, PMT_PID, STREAM_TYPE_AAC_ADTS, STREAM_TYPE_H264, SYNC_BYTE};
use crate::codec::aac::{AdtsFormat, SAMPLE_RATES};
use crate::codec::h264::bitstream::{
    append_annex_b_nal, length_prefixed_nal_units, AvcDecoderConfigurationRecord, NalUnitType,
};
use crate::codec::{CodecConfig, CodecConfigError};
use crate::mux::{Sample, TrackConfig};
use crate::time::{Timescale, Timestamp};

/// What every PTS and DTS is shifted by, in 90 kHz ticks: 1.4 s, as
/// ffmpeg's MPEG-TS muxer does, so the PCR can run ahead of the first
/// decode time.
pub const DEFAULT_TIMESTAMP_OFFSET: u64 = 126_000;
/// How far the PCR runs ahead of the decode time of the sample it goes
/// with, in 90 kHz ticks (0.7 s, capped by the timestamp offset).
pub const PCR_LEAD: u64 = 63_000;
/// A PCR goes with the first sample this many 90 kHz ticks or more after
/// the last PCR (60 ms; HLS and DVB ask for at most 100 ms between PCRs).
pub const PCR_INTERVAL: u64 = 5_400;
/// The most AAC frames one audio PES holds (about 85 ms at 48 kHz).
pub const AUDIO_FRAMES_PER_PES: usize = 4;
/// The most tracks one program takes.
const MAX_TRACKS: usize = 16;
/// Payload bytes after a 4-byte packet header.
const PAYLOAD_LEN: usize = PACKET_LEN - 4;
/// An access unit delimiter NAL unit, `primary_pic_type` 7 (any slice).
const AUD: [u8; 2] = [0x09, 0xf0];
/// 33-bit mask of PTS, DTS and the PCR base.
const MASK_33: u64 = (1 << 33) - 1;

/// Writes H.264 and AAC tracks as HLS MPEG-TS segments of 188-byte packets.
///
/// Calls: [`TsMuxer::begin_segment`] at the start of every segment (the
/// caller cuts segments before video keyframes), then
/// [`TsMuxer::write_sample`] per sample in decode order (tracks may
/// interleave; each track's decode times should not decrease), then
/// [`TsMuxer::flush`] to write the audio still held before the segment is
/// closed. Audio not flushed goes into the next segment, after its PAT and
/// PMT.
#[derive(Debug)]
pub struct TsMuxer {
    tracks: Vec<MuxTrack>,
    pat_cc: u8,
    pmt_cc: u8,
    /// Index in `tracks` of the track whose PID carries the PCR.
    pcr_track: usize,
    /// The last PCR base written; `None` at a segment's start (forces one).
    last_pcr: Option<u64>,
    offset: u64,
    started: bool,
}

#[derive(Debug)]
struct MuxTrack {
    id: u32,
    pid: u16,
    timescale: Timescale,
    cc: u8,
    kind: MuxKind,
}

#[derive(Debug)]
enum MuxKind {
    Avc {
        length_size: u8,
        /// The `avcC`'s SPS and PPS in Annex B, written before keyframes.
        parameter_sets: Vec<u8>,
    },
    Aac {
        adts: AdtsFormat,
        /// ADTS frames waiting for their PES.
        pending: Vec<u8>,
        pending_frames: usize,
        /// PTS (shifted, 90 kHz) of the first pending frame.
        pending_pts: u64,
    },
}

impl MuxTrack {
    fn stream_type(&self) -> u8 {
        match self.kind {
            MuxKind::Avc { .. } => STREAM_TYPE_H264,
            MuxKind::Aac { .. } => STREAM_TYPE_AAC_ADTS,
        }
    }
}

impl TsMuxer {
    /// A muxer for `tracks` (H.264 and AAC; at most 16) with the
    /// [`DEFAULT_TIMESTAMP_OFFSET`].
    pub fn new(tracks: &[TrackConfig]) -> Result<TsMuxer, TsError> {
        TsMuxer::with_timestamp_offset(tracks, DEFAULT_TIMESTAMP_OFFSET)
    }

    /// A muxer whose PTS and DTS are the samples' times plus `offset` ticks
    /// of 90 kHz.
    pub fn with_timestamp_offset(tracks: &[TrackConfig], offset: u64) -> Result<TsMuxer, TsError> {
        if tracks.is_empty() {
            return Err(TsError::NoTracks);
        }
        if tracks.len() > MAX_TRACKS {
            return Err(TsError::TooManyTracks { count: tracks.len(), max: MAX_TRACKS });
        }
        let mut out = Vec::with_capacity(tracks.len());
        for (i, t) in tracks.iter().enumerate() {
            if tracks[..i].iter().any(|o| o.id == t.id) {
                return Err(TsError::DuplicateTrack { track_id: t.id });
            }
            let kind = mux_kind(t)?;
            out.push(MuxTrack { id: t.id, pid: FIRST_ES_PID + i as u16, timescale: t.timescale, cc: 0, kind });
        }
        let pcr_track = out.iter().position(|t| matches!(t.kind, MuxKind::Avc { .. })).unwrap_or(0);
        Ok(TsMuxer { tracks: out, pat_cc: 0, pmt_cc: 0, pcr_track, last_pcr: None, offset, started: false })
    }

    /// The PID that carries `track_id`, if the muxer has that track.
    pub fn pid(&self, track_id: u32) -> Option<u16> {
        self.tracks.iter().find(|t| t.id == track_id).map(|t| t.pid)
    }

    /// Starts a segment: appends the PAT and the PMT to `out` (then any
    /// audio still held, see [`TsMuxer::flush`]), and makes the next sample
    /// carry a PCR.
    pub fn begin_segment(&mut self, out: &mut Vec<u8>) {
        let mut section = Vec::with_capacity(PAYLOAD_LEN);
        psi::pat(PMT_PID, &mut section);
        write_psi_packet(0, &mut self.pat_cc, &section, out);
        section.clear();
        let streams: Vec<(u8, u16)> = self.tracks.iter().map(|t| (t.stream_type(), t.pid)).collect();
        psi::pmt(self.tracks[self.pcr_track].pid, &streams, &mut section);
        write_psi_packet(PMT_PID, &mut self.pmt_cc, &section, out);
        self.last_pcr = None;
        self.started = true;
        self.flush(out);
    }

    /// Appends one sample of `track_id` to `out`: a video access unit as a
    /// PES of its own; an audio frame into the track's pending PES, written
    /// once it holds [`AUDIO_FRAMES_PER_PES`] frames. On error nothing is
    /// written and no state changes.
    pub fn write_sample(&mut self, track_id: u32, sample: &Sample, out: &mut Vec<u8>) -> Result<(), TsError> {
        if !self.started {
            return Err(TsError::NoSegment);
        }
        let index = self.tracks.iter().position(|t| t.id == track_id).ok_or(TsError::UnknownTrack { track_id })?;
        let track = &self.tracks[index];
        let dts = self.shifted(track, sample.decode_time)?;
        let pts = self.shifted(track, sample.decode_time.saturating_add(i64::from(sample.composition_offset)))?;
        let pcr = self.pcr_due(dts);
        let on_pcr_pid = index == self.pcr_track;
        match &track.kind {
            MuxKind::Avc { length_size, parameter_sets } => {
                let payload = annex_b_access_unit(track_id, sample, *length_size, parameter_sets)?;
                let mut pes = Vec::with_capacity(payload.len() + 19);
                pes_header(0xe0, pts, (dts != pts).then_some(dts), None, &mut pes);
                pes.extend_from_slice(&payload);
                let embedded = pcr.filter(|_| on_pcr_pid);
                if let (Some(p), None) = (pcr, embedded) {
                    self.write_pcr_packet(p, out);
                }
                let track = &mut self.tracks[index];
                write_pes_packets(track.pid, &mut track.cc, &pes, embedded, sample.keyframe, out);
                if let Some(p) = embedded {
                    self.last_pcr = Some(p);
                }
            }
            MuxKind::Aac { adts, .. } => {
                let mut frame = Vec::with_capacity(sample.data.len() + 7);
                adts.write_adts_frame(&sample.data, &mut frame)
                    .map_err(|e| TsError::BadSample { track_id, reason: e.to_string() })?;
                if let Some(p) = pcr {
                    self.write_pcr_packet(p, out);
                }
                let track = &mut self.tracks[index];
                if let MuxKind::Aac { pending, pending_frames, pending_pts, .. } = &mut track.kind {
                    if *pending_frames == 0 {
                        *pending_pts = pts;
                    }
                    pending.extend_from_slice(&frame);
                    *pending_frames += 1;
                    if *pending_frames >= AUDIO_FRAMES_PER_PES {
                        flush_audio(track, out);
                    }
                }
            }
        }
        Ok(())
    }

    /// Appends every track's pending audio to `out` as PES packets. Call
    /// it before a segment is closed.
    pub fn flush(&mut self, out: &mut Vec<u8>) {
        for track in &mut self.tracks {
            flush_audio(track, out);
        }
    }

    /// `ticks` of `track` in 90 kHz plus the offset, checked and wrapped
    /// to 33 bits.
    fn shifted(&self, track: &MuxTrack, ticks: i64) -> Result<u64, TsError> {
        let t = Timestamp::new(ticks, track.timescale).rescale(Timescale::MPEG).ticks;
        let shifted = t.saturating_add(i64::try_from(self.offset).unwrap_or(i64::MAX));
        u64::try_from(shifted)
            .map(|v| v & MASK_33)
            .map_err(|_| TsError::NegativeTime { track_id: track.id, time: shifted })
    }

    /// The PCR base to write with a sample whose shifted DTS is `dts`, if
    /// one is due: at a segment's start, and [`PCR_INTERVAL`] after the
    /// last. Never goes back.
    fn pcr_due(&self, dts: u64) -> Option<u64> {
        let value = dts.saturating_sub(PCR_LEAD.min(self.offset));
        match self.last_pcr {
            None => Some(value),
            Some(last) => {
                let since = value.wrapping_sub(last) & MASK_33;
                (PCR_INTERVAL..1 << 32).contains(&since).then_some(value)
            }
        }
    }

    /// A packet on the PCR PID with only an adaptation field holding `pcr`.
    fn write_pcr_packet(&mut self, pcr: u64, out: &mut Vec<u8>) {
        let track = &self.tracks[self.pcr_track];
        // No payload: the continuity counter stays at the last packet's value.
        let cc = (track.cc + 15) & 0x0f;
        out.extend_from_slice(&[SYNC_BYTE, (track.pid >> 8) as u8, track.pid as u8, 0x20 | cc]);
        out.push(183);
        out.push(0x10);
        pcr_bytes(pcr, out);
        out.resize(out.len() + 183 - 7, 0xff);
        self.last_pcr = Some(pcr);
    }
}

/// The muxer's view of a track's codec.
fn mux_kind(t: &TrackConfig) -> Result<MuxKind, TsError> {
    let track_id = t.id;
    match &t.codec {
        CodecConfig::Avc { avcc, .. } => {
            let record = AvcDecoderConfigurationRecord::parse(avcc)
                .map_err(|e| TsError::Codec { track_id, error: CodecConfigError::Avc(e) })?;
            let mut parameter_sets = Vec::new();
            for nal in record.sps.iter().chain(&record.pps) {
                append_annex_b_nal(&mut parameter_sets, nal)
                    .map_err(|e| TsError::Codec { track_id, error: CodecConfigError::Avc(e) })?;
            }
            Ok(MuxKind::Avc { length_size: record.length_size(), parameter_sets })
        }
        CodecConfig::Aac { asc, .. } => {
            let adts = adts_format(asc).map_err(|codec| match codec {
                Ok(codec) => TsError::UnsupportedCodec { track_id, codec },
                Err(error) => TsError::Codec { track_id, error },
            })?;
            Ok(MuxKind::Aac { adts, pending: Vec::new(), pending_frames: 0, pending_pts: 0 })
        }
        other => Err(TsError::UnsupportedCodec {
            track_id,
            codec: other.codec_string().unwrap_or_else(|_| "this codec".into()),
        }),
    }
}

/// The ADTS format of a 2-byte-or-longer AudioSpecificConfig: object type
/// (5 bits), sampling frequency index (4), channel configuration (4).
/// `Err(Ok(what))` for a valid config ADTS cannot carry.
fn adts_format(asc: &[u8]) -> Result<AdtsFormat, Result<String, CodecConfigError>> {
    let &[a, b, ..] = asc else {
        return Err(Err(CodecConfigError::AudioSpecificConfig("shorter than 2 bytes")));
    };
    let object_type = a >> 3;
    let sample_rate_index = ((a & 7) << 1) | (b >> 7);
    let channel_config = (b >> 3) & 0x0f;
    if !(1..=4).contains(&object_type) {
        return Err(Ok(format!("AAC object type {object_type}")));
    }
    if usize::from(sample_rate_index) >= SAMPLE_RATES.len() {
        return Err(Ok(format!("AAC sampling frequency index {sample_rate_index}")));
    }
    if !(1..=7).contains(&channel_config) {
        return Err(Ok(format!("AAC channel configuration {channel_config}")));
    }
    Ok(AdtsFormat { object_type, sample_rate_index, channel_config })
}

/// A length-prefixed access unit as Annex B: an AUD, the parameter sets
/// before a keyframe that has no SPS of its own, and the sample's NAL
/// units but for its own AUDs.
fn annex_b_access_unit(
    track_id: u32,
    sample: &Sample,
    length_size: u8,
    parameter_sets: &[u8],
) -> Result<Vec<u8>, TsError> {
    let bad = |e: crate::codec::h264::bitstream::BitstreamError| TsError::BadSample { track_id, reason: e.to_string() };
    let nals = length_prefixed_nal_units(&sample.data, length_size).collect::<Result<Vec<_>, _>>().map_err(bad)?;
    let mut out = Vec::with_capacity(sample.data.len() + parameter_sets.len() + 16);
    append_annex_b_nal(&mut out, &AUD).map_err(bad)?;
    if sample.keyframe && !nals.iter().any(|n| n.nal_type == NalUnitType::SPS) {
        out.extend_from_slice(parameter_sets);
    }
    for nal in nals.iter().filter(|n| n.nal_type != NalUnitType::AUD) {
        append_annex_b_nal(&mut out, nal.data).map_err(bad)?;
    }
    Ok(out)
}

/// Writes a track's pending ADTS frames as one PES.
fn flush_audio(track: &mut MuxTrack, out: &mut Vec<u8>) {
    let MuxKind::Aac { pending, pending_frames, pending_pts, .. } = &mut track.kind else {
        return;
    };
    if *pending_frames == 0 {
        return;
    }
    let mut pes = Vec::with_capacity(pending.len() + 14);
    pes_header(0xc0, *pending_pts, None, Some(pending.len()), &mut pes);
    pes.append(pending);
    *pending_frames = 0;
    write_pes_packets(track.pid, &mut track.cc, &pes, None, false, out);
}

/// A PES header (ISO/IEC 13818-1 2.4.3.6) with PTS and optional DTS.
/// `payload_len` sets `PES_packet_length` when it fits; else 0 (unbounded,
/// allowed for video).
fn pes_header(stream_id: u8, pts: u64, dts: Option<u64>, payload_len: Option<usize>, out: &mut Vec<u8>) {
    let header_data_len: usize = if dts.is_some() { 10 } else { 5 };
    let packet_len = payload_len.map_or(0, |n| n + 3 + header_data_len);
    let packet_len = u16::try_from(packet_len).unwrap_or(0);
    out.extend_from_slice(&[0, 0, 1, stream_id]);
    out.extend_from_slice(&packet_len.to_be_bytes());
    // '10', not scrambled, no priority, data_alignment_indicator, ...
    out.push(0x84);
    out.push(if dts.is_some() { 0xc0 } else { 0x80 });
    out.push(header_data_len as u8);
    timestamp_bytes(if dts.is_some() { 0x3 } else { 0x2 }, pts, out);
    if let Some(dts) = dts {
        timestamp_bytes(0x1, dts, out);
    }
}

/// A 33-bit PTS or DTS in its 5-byte form, `prefix` in the top 4 bits.
fn timestamp_bytes(prefix: u8, t: u64, out: &mut Vec<u8>) {
    let t = t & MASK_33;
    out.push((prefix << 4) | (((t >> 30) as u8 & 0x07) << 1) | 1);
    out.extend_from_slice(&((((t >> 15) & 0x7fff) << 1 | 1) as u16).to_be_bytes());
    out.extend_from_slice(&((((t & 0x7fff) << 1) | 1) as u16).to_be_bytes());
}

/// The 6 PCR bytes: a 33-bit base, 6 reserved bits, a 9-bit extension 0.
fn pcr_bytes(base: u64, out: &mut Vec<u8>) {
    let base = base & MASK_33;
    let v = (base << 15) | (0x3f << 9);
    out.extend_from_slice(&v.to_be_bytes()[2..]);
}

/// One packet with a PSI section, pointer field 0, stuffed with 0xFF.
fn write_psi_packet(pid: u16, cc: &mut u8, section: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&[SYNC_BYTE, 0x40 | (pid >> 8) as u8, pid as u8, 0x10 | *cc, 0]);
    out.extend_from_slice(section);
    let end = out.len() + PAYLOAD_LEN - 1 - section.len();
    out.resize(end, 0xff);
    *cc = (*cc + 1) & 0x0f;
}

/// Cuts `pes` into packets on `pid`: the first with
/// `payload_unit_start_indicator`, the PCR and `random_access_indicator`
/// when asked; the last filled up with adaptation-field stuffing.
fn write_pes_packets(pid: u16, cc: &mut u8, pes: &[u8], pcr: Option<u64>, random_access: bool, out: &mut Vec<u8>) {
    let mut rest = pes;
    let mut first = true;
    while !rest.is_empty() {
        let mut af = Vec::new();
        if first && (pcr.is_some() || random_access) {
            af.push(0); // length, set below
            af.push(if random_access { 0x40 } else { 0 } | if pcr.is_some() { 0x10 } else { 0 });
            if let Some(p) = pcr {
                pcr_bytes(p, &mut af);
            }
        }
        let room = PAYLOAD_LEN - af.len();
        let take = rest.len().min(room);
        let stuffing = room - take;
        if stuffing > 0 {
            if af.is_empty() {
                af.push(0);
                if stuffing > 1 {
                    af.push(0);
                }
            }
            // The length byte and flags byte may already be counted.
            let fill = PAYLOAD_LEN - take - af.len();
            af.resize(af.len() + fill, 0xff);
        }
        if let Some(len) = af.first_mut() {
            *len = (PAYLOAD_LEN - take - 1) as u8;
        }
        let control = if af.is_empty() { 0x10 } else { 0x30 };
        let pusi = if first { 0x40 } else { 0 };
        out.extend_from_slice(&[SYNC_BYTE, pusi | (pid >> 8) as u8, pid as u8, control | *cc]);
        out.extend_from_slice(&af);
        out.extend_from_slice(&rest[..take]);
        rest = &rest[take..];
        *cc = (*cc + 1) & 0x0f;
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_pcr_have_their_marker_bits() {
        let mut out = Vec::new();
        timestamp_bytes(0x2, 0x1_2345_6789, &mut out);
        assert_eq!(out, [0x29, 0x8d, 0x15, 0xcf, 0x13]);
        out.clear();
        pcr_bytes(1, &mut out);
        assert_eq!(out, [0, 0, 0, 0, 0xfe, 0]);
    }

    #[test]
    fn pes_packets_are_whole_packets_with_stuffing() {
        for len in [1usize, 170, 175, 176, 177, 182, 183, 184, 185, 400] {
            for (pcr, rai) in [(None, false), (Some(5u64), true), (None, true)] {
                let pes = vec![0xabu8; len];
                let mut out = Vec::new();
                let mut cc = 15;
                write_pes_packets(0x100, &mut cc, &pes, pcr, rai, &mut out);
                assert_eq!(out.len() % PACKET_LEN, 0, "len {len}");
                assert!(out.chunks(PACKET_LEN).all(|p| p[0] == SYNC_BYTE));
                assert_eq!(out.iter().filter(|&&b| b == 0xab).count(), len, "len {len} payload");
                assert_eq!(out[3] & 0x0f, 15);
            }
        }
    }
}
