//! [`H264Encoder`]: OpenH264 behind a safe, typed API.

use std::sync::Arc;

use openh264_sys2 as sys;

use super::bitstream::{self, AvcDecoderConfigurationRecord, NalUnitType, Sps};
use super::config::{EncoderConfig, NalFormat, Profile, RateControl, Usage};
use super::ffi::{frame_bytes, RawEncoder};
use super::H264Error;
use crate::frame::I420Planes;
use crate::time::{Timescale, Timestamp};

/// Picture type of an encoded frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameType {
    /// Instantaneous decoder refresh: a random access point.
    Idr,
    /// Intra frame that is not an IDR.
    I,
    /// Predicted frame.
    P,
}

/// What a decoder (or a muxer) needs to start decoding the stream: the
/// parameter sets, the `avcC` record and the RFC 6381 codec string. Shared
/// by every access unit that uses these parameter sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoderConfig {
    /// Sequence parameter set NAL unit (no start code).
    pub sps: Vec<u8>,
    /// Picture parameter set NAL unit (no start code).
    pub pps: Vec<u8>,
    /// `AVCDecoderConfigurationRecord` (ISO/IEC 14496-15), 4-byte lengths.
    pub avcc: Vec<u8>,
    /// RFC 6381 codec string, e.g. `avc1.4d401f`.
    pub codec: String,
    /// Coded width in pixels, after cropping.
    pub width: u32,
    /// Coded height in pixels, after cropping.
    pub height: u32,
}

impl DecoderConfig {
    /// Builds the configuration from one SPS and one PPS NAL unit.
    pub fn from_parameter_sets(sps: &[u8], pps: &[u8]) -> Result<Self, H264Error> {
        let parsed = Sps::parse(sps)?;
        let record = AvcDecoderConfigurationRecord::from_parameter_sets(&[sps], &[pps])?;
        Ok(DecoderConfig {
            sps: sps.to_vec(),
            pps: pps.to_vec(),
            avcc: record.to_bytes(),
            codec: parsed.codec_string(),
            width: parsed.width(),
            height: parsed.height(),
        })
    }
}

/// One encoded picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessUnit {
    /// The input frame's timestamp, unchanged. OpenH264 has no B-frames, so
    /// decode order is presentation order and DTS equals PTS.
    pub timestamp: Timestamp,
    /// True for IDR pictures: the stream can start here.
    pub keyframe: bool,
    /// Picture type.
    pub frame_type: FrameType,
    /// NAL units in the configured [`NalFormat`].
    pub data: Vec<u8>,
    /// Framing of `data`.
    pub format: NalFormat,
    /// Parameter sets in force for this picture; the same `Arc` until the
    /// encoder emits new ones.
    pub config: Arc<DecoderConfig>,
}

/// The OpenH264 encoder. One instance encodes one stream, one frame per call,
/// on the calling thread.
pub struct H264Encoder {
    raw: RawEncoder,
    config: EncoderConfig,
    current: Option<Arc<DecoderConfig>>,
    bs: Box<sys::SFrameBSInfo>,
    scratch: Vec<u8>,
    frames_in: u64,
}

impl std::fmt::Debug for H264Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H264Encoder").field("config", &self.config).field("frames_in", &self.frames_in).finish()
    }
}

impl H264Encoder {
    /// Validates `config` and creates an encoder.
    pub fn new(config: EncoderConfig) -> Result<Self, H264Error> {
        config.validate()?;
        let mut raw = RawEncoder::new().map_err(|code| H264Error::Encoder { op: "create", code })?;
        let mut p = raw.default_params().map_err(|code| H264Error::Encoder { op: "GetDefaultParams", code })?;
        apply_config(&mut p, &config)?;
        // Only errors reach stderr (the console in wasm); warnings about
        // settings we chose on purpose would be noise.
        let mut level: i32 = sys::WELS_LOG_ERROR;
        raw.set_option(sys::ENCODER_OPTION_TRACE_LEVEL, &mut level)
            .map_err(|code| H264Error::Encoder { op: "SetOption(TRACE_LEVEL)", code })?;
        raw.initialize(&p).map_err(|code| H264Error::Encoder { op: "InitializeExt", code })?;
        // SAFETY: SFrameBSInfo is plain C data; zero is valid.
        let bs = Box::new(unsafe { std::mem::zeroed::<sys::SFrameBSInfo>() });
        Ok(H264Encoder { raw, config, current: None, bs, scratch: Vec::new(), frames_in: 0 })
    }

    /// The validated configuration.
    pub fn config(&self) -> &EncoderConfig {
        &self.config
    }

    /// Parameter sets, `avcC` and codec string, known once the first frame
    /// has been encoded.
    pub fn decoder_config(&self) -> Option<&Arc<DecoderConfig>> {
        self.current.as_ref()
    }

    /// The RFC 6381 codec string (`avc1.PPCCLL`), derived from the SPS that
    /// the encoder wrote; known after the first frame.
    pub fn codec_string(&self) -> Option<String> {
        self.current.as_ref().map(|c| c.codec.clone())
    }

    /// Encodes one frame. Returns `None` only when `frameSkip` is enabled and
    /// rate control dropped the frame.
    pub fn encode(&mut self, frame: &I420Planes<'_>, timestamp: Timestamp) -> Result<Option<AccessUnit>, H264Error> {
        frame.validate()?;
        if (frame.width, frame.height) != (self.config.width, self.config.height) {
            return Err(H264Error::FrameSizeMismatch {
                expected: (self.config.width, self.config.height),
                got: (frame.width, frame.height),
            });
        }
        let pic = sys::SSourcePicture {
            iColorFormat: sys::videoFormatI420,
            iStride: [frame.y_stride as i32, frame.uv_stride as i32, frame.uv_stride as i32, 0],
            pData: [
                frame.y.as_ptr() as *mut u8,
                frame.u.as_ptr() as *mut u8,
                frame.v.as_ptr() as *mut u8,
                std::ptr::null_mut(),
            ],
            iPicWidth: frame.width as i32,
            iPicHeight: frame.height as i32,
            uiTimeStamp: timestamp.rescale(Timescale::MILLIS).ticks,
            bPsnrY: false,
            bPsnrU: false,
            bPsnrV: false,
        };
        self.raw.encode(&pic, &mut self.bs).map_err(|code| H264Error::Encoder { op: "EncodeFrame", code })?;
        self.frames_in += 1;
        let frame_type = match self.bs.eFrameType {
            sys::videoFrameTypeIDR => FrameType::Idr,
            sys::videoFrameTypeI => FrameType::I,
            sys::videoFrameTypeP => FrameType::P,
            _ => return Ok(None), // skipped by rate control, or nothing produced
        };
        self.scratch.clear();
        frame_bytes(&self.bs, &mut self.scratch);
        let nals = bitstream::split_annex_b(&self.scratch)?;
        if let Some(next) = changed_parameter_sets(self.current.as_deref(), &nals)? {
            self.current = Some(Arc::new(next));
        }
        let config = self
            .current
            .clone()
            .ok_or(H264Error::Encoder { op: "EncodeFrame (no SPS/PPS before first picture)", code: -1 })?;
        let data = match self.config.format {
            NalFormat::AnnexB => self.scratch.clone(),
            NalFormat::Avc => {
                let mut out = Vec::with_capacity(self.scratch.len());
                for nal in nals.iter().filter(|n| !is_parameter_set(n.nal_type)) {
                    out.extend_from_slice(&(nal.data.len() as u32).to_be_bytes());
                    out.extend_from_slice(nal.data);
                }
                out
            }
        };
        Ok(Some(AccessUnit {
            timestamp,
            keyframe: frame_type == FrameType::Idr,
            frame_type,
            data,
            format: self.config.format,
            config,
        }))
    }

    /// Makes the next encoded frame an IDR keyframe.
    pub fn force_keyframe(&mut self) -> Result<(), H264Error> {
        self.raw.force_intra().map_err(|code| H264Error::Encoder { op: "ForceIntraFrame", code })
    }

    /// Changes the target bitrate (bits per second) from the next frame on.
    pub fn set_bitrate(&mut self, bitrate: u32) -> Result<(), H264Error> {
        let mut next = self.config.clone();
        next.bitrate = bitrate;
        if let Some(max) = next.max_bitrate {
            next.max_bitrate = Some(max.max(bitrate));
        }
        next.validate()?;
        let mut info = sys::SBitrateInfo { iLayer: sys::SPATIAL_LAYER_ALL, iBitrate: bitrate as i32 };
        if let Some(max) = next.max_bitrate {
            let mut max_info = sys::SBitrateInfo { iLayer: sys::SPATIAL_LAYER_ALL, iBitrate: max as i32 };
            self.raw
                .set_option(sys::ENCODER_OPTION_MAX_BITRATE, &mut max_info)
                .map_err(|code| H264Error::Encoder { op: "SetOption(MAX_BITRATE)", code })?;
        }
        self.raw
            .set_option(sys::ENCODER_OPTION_BITRATE, &mut info)
            .map_err(|code| H264Error::Encoder { op: "SetOption(BITRATE)", code })?;
        self.config = next;
        Ok(())
    }

    /// Returns frames still held by the encoder. OpenH264 emits every
    /// picture from the call that consumed it (no lookahead, no B-frames),
    /// so this is always empty; it exists so that callers treat every
    /// encoder alike.
    pub fn flush(&mut self) -> Result<Vec<AccessUnit>, H264Error> {
        Ok(Vec::new())
    }

    /// Frames passed to [`encode`](Self::encode) so far.
    pub fn frames_in(&self) -> u64 {
        self.frames_in
    }
}

/// A new [`DecoderConfig`] when `nals` carry an SPS and PPS that differ from
/// `current`.
fn changed_parameter_sets(
    current: Option<&DecoderConfig>,
    nals: &[bitstream::NalRef<'_>],
) -> Result<Option<DecoderConfig>, H264Error> {
    let sps = nals.iter().find(|n| n.nal_type == NalUnitType::SPS);
    let pps = nals.iter().find(|n| n.nal_type == NalUnitType::PPS);
    match (sps, pps) {
        (Some(sps), Some(pps)) if !current.is_some_and(|c| c.sps == sps.data && c.pps == pps.data) => {
            Ok(Some(DecoderConfig::from_parameter_sets(sps.data, pps.data)?))
        }
        _ => Ok(None),
    }
}

fn is_parameter_set(t: NalUnitType) -> bool {
    t == NalUnitType::SPS || t == NalUnitType::PPS
}

/// Fills OpenH264's parameter struct from a validated config.
fn apply_config(p: &mut sys::SEncParamExt, c: &EncoderConfig) -> Result<(), H264Error> {
    p.iUsageType = match c.usage {
        Usage::Camera => sys::CAMERA_VIDEO_REAL_TIME,
        Usage::Screen => sys::SCREEN_CONTENT_REAL_TIME,
    };
    p.iPicWidth = c.width as i32;
    p.iPicHeight = c.height as i32;
    p.iTargetBitrate = c.bitrate as i32;
    p.iMaxBitrate = c.max_bitrate.map_or(sys::UNSPECIFIED_BIT_RATE as i32, |m| m as i32);
    p.iRCMode = match c.rate_control {
        RateControl::Bitrate => sys::RC_BITRATE_MODE,
        RateControl::Quality => sys::RC_QUALITY_MODE,
        RateControl::Off => sys::RC_OFF_MODE,
    };
    p.fMaxFrameRate = c.frame_rate;
    p.iTemporalLayerNum = 1;
    p.iSpatialLayerNum = 1;
    p.uiIntraPeriod = c.keyframe_interval_frames();
    p.eSpsPpsIdStrategy = sys::CONSTANT_ID;
    p.bEnableFrameSkip = c.frame_skip;
    p.bEnableSceneChangeDetect = c.scene_change_keyframes;
    p.iMultipleThreadIdc = c.threads;
    p.iEntropyCodingModeFlag = i32::from(c.profile != Profile::Baseline);
    p.bEnableFrameCroppingFlag = true;
    if c.rate_control == RateControl::Off {
        let qp = c.qp.unwrap_or(26) as i32;
        p.iMinQp = qp;
        p.iMaxQp = qp;
    }
    let level = c.effective_level()?;
    let layer = &mut p.sSpatialLayers[0];
    layer.iVideoWidth = c.width as i32;
    layer.iVideoHeight = c.height as i32;
    layer.fFrameRate = c.frame_rate;
    layer.iSpatialBitrate = c.bitrate as i32;
    layer.iMaxSpatialBitrate = p.iMaxBitrate;
    layer.uiProfileIdc = c.profile.idc() as sys::EProfileIdc;
    layer.uiLevelIdc = level.idc() as sys::ELevelIdc;
    layer.sSliceArgument.uiSliceMode = sys::SM_SINGLE_SLICE;
    if c.rate_control == RateControl::Off {
        layer.iDLayerQp = c.qp.unwrap_or(26) as i32;
    }
    Ok(())
}
