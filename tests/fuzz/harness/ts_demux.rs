//! The `ts_demux` fuzz harness: the MPEG-TS demuxer
//! (`framecast::mux::ts::TsDemuxer`) on arbitrary bytes pushed in pieces,
//! with the invariants it promises, then what it read muxed again. Written
//! against framecast's public API; the fuzz target and tests/mpeg_ts.rs
//! include this file.

use framecast::codec::h264::bitstream::length_prefixed_nal_units;
use framecast::mux::ts::{TsAccessUnit, TsDemuxer, TsMuxer, TsStreamKind, MAX_PES_BYTES};
use framecast::mux::{Sample, TrackConfig};
use framecast::time::Timescale;

/// Demuxes `data` (its first byte, when there is one, picks the piece size:
/// 1 to 256 bytes, or all at once for 0) and checks the demuxer's promises;
/// returns the units read. Panics only if an invariant is broken.
pub fn demux(data: &[u8]) -> (TsDemuxer, Vec<TsAccessUnit>) {
    let (piece, body) = match data.split_first() {
        Some((&0, rest)) => (rest.len().max(1), rest),
        Some((&n, rest)) => (usize::from(n), rest),
        None => (1, data),
    };
    let mut demuxer = TsDemuxer::new();
    let mut units = Vec::new();
    for chunk in body.chunks(piece) {
        demuxer.push(chunk).expect("push before finish succeeds");
        while let Some(u) = demuxer.next_unit() {
            units.push(u);
        }
    }
    demuxer.finish().expect("the first finish succeeds");
    assert!(demuxer.finish().is_err(), "a second finish fails");
    assert!(demuxer.push(&[0x47]).is_err(), "push after finish fails");
    while let Some(u) = demuxer.next_unit() {
        units.push(u);
    }
    for u in &units {
        let stream = demuxer.streams().iter().find(|s| s.pid == u.pid).expect("a unit's PID is a listed stream");
        assert_ne!(stream.kind, TsStreamKind::Unsupported, "no units from an unsupported stream");
        assert!(u.data.len() <= MAX_PES_BYTES, "a unit longer than a PES may be");
        assert!(u.data.len() <= body.len(), "a unit longer than the input");
        if stream.kind == TsStreamKind::H264 {
            for nal in length_prefixed_nal_units(&u.data, 4) {
                nal.expect("H.264 units are well-formed length-prefixed NAL units");
            }
        } else {
            assert!(u.keyframe, "every AAC frame is a keyframe");
        }
    }
    (demuxer, units)
}

/// The fuzz target's body: [`demux`], then the units muxed back into one
/// segment with the configurations read, which must not panic.
pub fn fuzz_entry(data: &[u8]) {
    let (demuxer, units) = demux(data);
    let tracks: Vec<TrackConfig> = demuxer
        .streams()
        .iter()
        .filter_map(|s| Some(TrackConfig::new(u32::from(s.pid), Timescale::MPEG, s.config.clone()?)))
        .collect();
    let Ok(mut muxer) = TsMuxer::new(&tracks) else {
        return;
    };
    let mut out = Vec::new();
    muxer.begin_segment(&mut out);
    for u in &units {
        let sample = Sample {
            decode_time: u.dts,
            composition_offset: i32::try_from(u.pts.saturating_sub(u.dts)).unwrap_or(0),
            duration: 0,
            keyframe: u.keyframe,
            data: u.data.clone(),
        };
        let _ = muxer.write_sample(u32::from(u.pid), &sample, &mut out);
    }
    muxer.flush(&mut out);
    assert_eq!(out.len() % 188, 0, "the muxer writes whole packets");
}
