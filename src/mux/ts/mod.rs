//! MPEG-2 transport streams (ISO/IEC 13818-1) as HLS uses them (RFC 8216
//! §3.2, HLSv3): [`TsMuxer`] writes H.264 and AAC segments of 188-byte
//! packets, [`TsDemuxer`] reads them back (push-based, hostile input safe).
//! Both are sans-I/O: bytes in, bytes or access units out.
//!
//! # The stream the muxer writes
//!
//! - One program (number 1): the PAT on PID 0, the PMT on PID
//!   [`PMT_PID`], track *n* (0-based, in the order given) on PID
//!   [`FIRST_ES_PID`]` + n`. Stream types 0x1B (H.264) and 0x0F (AAC in
//!   ADTS).
//! - Each segment starts with the PAT and the PMT; continuity counters go
//!   on across segments, so concatenated segments are one clean stream.
//! - H.264: one access unit per PES (stream id 0xE0, unbounded length), in
//!   Annex B with an access unit delimiter first and the `avcC`'s SPS and
//!   PPS before every keyframe (unless the sample carries its own SPS). The
//!   first packet of a keyframe has `random_access_indicator` set.
//! - AAC: raw frames wrapped in ADTS, up to [`AUDIO_FRAMES_PER_PES`] frames
//!   per PES (stream id 0xC0), the PTS being the first frame's.
//! - PCR on the PCR PID (the first video track's, else the first track's)
//!   with the first sample of each segment, then with the first sample
//!   whose decode time is [`PCR_INTERVAL`] (60 ms) or more past the last
//!   PCR: PCRs are at most 60 ms plus the spacing of the samples apart
//!   (under 100 ms for video at 25 fps or more, or any video with audio).
//!   The PCR goes in the video's own packet, or in a packet that carries
//!   only an adaptation field.
//!
//! # Timing
//!
//! Sample times (ticks of the track's timescale) are rescaled to 90 kHz
//! (rounded to the nearest tick) and shifted by the muxer's timestamp
//! offset ([`DEFAULT_TIMESTAMP_OFFSET`], 1.4 s, as ffmpeg does) so that the
//! PCR, which runs [`PCR_LEAD`] ahead of the decode times it precedes,
//! stays positive. PTS is `decode_time + composition_offset`, DTS is
//! `decode_time`; both wrap at 2^33 as the field does.

mod demuxer;
mod error;
mod muxer;
mod psi;

pub use demuxer::{stream_type_name, TsAccessUnit, TsDemuxer, TsStream, TsStreamKind, TsWarnings, MAX_PES_BYTES};
pub use error::TsError;
pub use muxer::{TsMuxer, AUDIO_FRAMES_PER_PES, DEFAULT_TIMESTAMP_OFFSET, PCR_INTERVAL, PCR_LEAD};

/// Bytes per transport packet.
pub const PACKET_LEN: usize = 188;
/// The byte every packet starts with.
pub const SYNC_BYTE: u8 = 0x47;
/// PID of the program map table the muxer writes.
pub const PMT_PID: u16 = 0x1000;
/// PID of the first elementary stream the muxer writes; the next tracks
/// follow on.
pub const FIRST_ES_PID: u16 = 0x100;
/// `stream_type` of H.264 video (ISO/IEC 13818-1 Table 2-34).
pub const STREAM_TYPE_H264: u8 = 0x1b;
/// `stream_type` of AAC audio in ADTS (ISO/IEC 13818-7).
pub const STREAM_TYPE_AAC_ADTS: u8 = 0x0f;
/// The 90 kHz clock of PTS, DTS and the PCR base.
pub const CLOCK_HZ: u32 = 90_000;
/// PTS and DTS are 33-bit fields: they wrap at this value.
pub const TIMESTAMP_WRAP: u64 = 1 << 33;
