//! Encoding pipelines shared by live publishing (`publish`) and file
//! transcoding (`transcode`): pictures or PCM in, one CMAF track out.
//!
//! - [`VideoPipeline`] (feature `h264`) encodes I420 frames with OpenH264
//!   and cuts fragments, forcing an IDR on the first frame at or after each
//!   multiple of the fragment duration. Two pipelines fed the same frame
//!   times therefore put their keyframes at the same times: the renditions
//!   of a ladder can be switched between at every fragment;
//! - [`encoder_config`] (feature `h264`) gives the H.264 settings a video
//!   preset asks for at an output size;
//! - [`AudioPipeline`] converts PCM to an encoder's rate and layout, encodes
//!   it with any [`AudioEncode`](crate::codec::audio_encode::AudioEncode)
//!   and cuts fragments, on the video's clock.

mod audio;
#[cfg(feature = "h264")]
mod video;

pub use audio::{
    encoder_for, encoder_from, AudioCounters, AudioEncoderFactory, AudioPipeline, AudioPipelineConfig,
    AudioPipelineError, AUDIO_TRACK_ID, SYNC_TOLERANCE_US,
};
#[cfg(feature = "h264")]
pub use video::{
    encoder_config, PipelineConfig, VideoPipeline, VideoPipelineError, AUTO_BITS_PER_PIXEL, DEFAULT_CAMERA_FPS,
    VIDEO_TRACK_ID,
};

use crate::mux::segmenter::{Fragment, FragmentListener, InitSegment};
use crate::time::{Timescale, Timestamp};

/// What is wrong with a fragment duration (100 ms to 20 s) and first
/// sequence number (from 1), as (field, reason); shared by the video and
/// audio pipelines.
pub(crate) fn framing_problem(fragment_duration: Timestamp, first_sequence: u32) -> Option<(&'static str, String)> {
    let ms = fragment_duration.rescale(Timescale::MILLIS).ticks;
    if !(100..=20_000).contains(&ms) {
        return Some(("fragmentDuration", format!("must be from 100 to 20000 ms, got {ms}")));
    }
    (first_sequence == 0).then(|| ("firstSequence", "must be at least 1, got 0".to_owned()))
}

/// What the pipeline produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PipelineEvent {
    /// The init segment, once, before the first fragment.
    Init(InitSegment),
    /// A complete fragment (the segmenter's numbering and times, in the
    /// 90 kHz track timescale).
    Fragment(Fragment),
}

/// Collects a segmenter's output as [`PipelineEvent`]s.
#[derive(Debug, Default)]
pub(crate) struct ListenerEvents(pub(crate) Vec<PipelineEvent>);

impl FragmentListener for ListenerEvents {
    fn on_init(&mut self, init: &InitSegment) {
        self.0.push(PipelineEvent::Init(init.clone()));
    }
    fn on_fragment(&mut self, fragment: &Fragment) {
        self.0.push(PipelineEvent::Fragment(fragment.clone()));
    }
}
