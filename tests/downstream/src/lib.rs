//! framecast as a downstream crate uses it: H.264-encode a few synthetic
//! frames with OpenH264, cut them into CMAF fragments with the segmenter and
//! write the HLS media playlist for them. Plain Rust, no bindings: the same
//! code runs natively and in wasm32.

use framecast::codec::h264::{EncoderConfig, H264Encoder, NalFormat};
use framecast::codec::CodecConfig;
use framecast::frame::{i420_size, I420Planes};
use framecast::mux::segmenter::{MemoryListener, Segmenter, SegmenterConfig};
use framecast::mux::{Sample, TrackConfig};
use framecast::playlist::hls::{MediaPlaylist, MediaPlaylistOptions};
use framecast::playlist::{InitSegmentRef, Segment};
use framecast::time::{Timescale, Timestamp};

/// Any framecast error, boxed: this crate only passes them on.
pub type Error = Box<dyn std::error::Error>;

/// What [`package`] made.
#[derive(Debug)]
pub struct Packaged {
    /// RFC 6381 codec string of the video track, e.g. `avc1.4d401e`.
    pub codec: String,
    /// The init segment (`ftyp` + `moov`).
    pub init: Vec<u8>,
    /// The media segments (`moof` + `mdat`), in order.
    pub segments: Vec<Vec<u8>>,
    /// The HLS media playlist (VOD) listing `init.mp4` and `seg<N>.m4s`.
    pub playlist: String,
}

/// A synthetic I420 picture: a diagonal gradient that moves with `index`.
pub fn test_frame(width: u32, height: u32, index: u32) -> Vec<u8> {
    let mut frame = vec![128u8; i420_size(width, height)];
    let luma = (width * height) as usize;
    for (i, px) in frame[..luma].iter_mut().enumerate() {
        let (x, y) = (i as u32 % width, i as u32 / width);
        *px = (16 + (x + y + 4 * index) % 220) as u8;
    }
    frame
}

/// Encodes `frames` synthetic frames of `width` x `height` pixels at `fps`
/// frames per second (a keyframe every second), cuts them into fragments of
/// about `fragment_ms` milliseconds (each starts at a keyframe) and writes
/// a VOD playlist for them.
pub fn package(width: u32, height: u32, fps: u32, frames: u32, fragment_ms: i64) -> Result<Packaged, Error> {
    let mut config = EncoderConfig::new(width, height);
    config.frame_rate = fps as f32;
    config.bitrate = 300_000;
    config.keyframe_interval = Some(fps);
    config.format = NalFormat::Avc; // length-prefixed NAL units: MP4 samples
    let mut encoder = H264Encoder::new(config)?;

    let timescale = Timescale::MPEG;
    let ticks_per_frame = i64::from(timescale.get() / fps);
    let mut samples = Vec::new();
    for i in 0..frames {
        let pixels = test_frame(width, height, i);
        let time = Timestamp::new(i64::from(i) * ticks_per_frame, timescale);
        let unit = encoder.encode(&I420Planes::packed(width, height, &pixels)?, time)?.ok_or("frame skipped")?;
        samples.push((unit, time));
    }
    let decoder_config = encoder.decoder_config().ok_or("no parameter sets after encoding")?.clone();

    let track = TrackConfig::new(1, timescale, CodecConfig::Avc { avcc: decoder_config.avcc.clone(), width, height });
    let segmenter_config =
        SegmenterConfig { fragment_duration: Timestamp::from_millis(fragment_ms), ..SegmenterConfig::default() };
    let mut segmenter = Segmenter::new(vec![track], segmenter_config, MemoryListener::default())?;
    for (unit, time) in samples {
        segmenter.push(
            1,
            Sample {
                decode_time: time.ticks,
                composition_offset: 0,
                duration: ticks_per_frame as u32,
                keyframe: unit.keyframe,
                data: unit.data,
            },
        )?;
    }
    segmenter.finish()?;
    let out = segmenter.into_listener();

    let mut playlist =
        MediaPlaylist::new(timescale, Some(InitSegmentRef::new("init.mp4")), MediaPlaylistOptions::default())?;
    for f in &out.fragments {
        let n = u64::from(f.sequence_number);
        playlist.push(Segment::new(n, f.start.ticks, f.duration, format!("seg{n}.m4s")))?;
    }
    playlist.finish()?;

    let init = out.inits.first().ok_or("no init segment")?.bytes.clone();
    Ok(Packaged {
        codec: decoder_config.codec.clone(),
        init,
        segments: out.fragments.into_iter().map(|f| f.bytes).collect(),
        playlist: playlist.render()?,
    })
}
