//! The FDK AAC encoder entry points that build.rs links (`aacenc_lib.h`),
//! declared by hand, and an RAII handle. All `unsafe` of the AAC encoder
//! lives here.
//!
//! FDK's `INT`/`UINT` are 32-bit on every target framecast builds for
//! (LP64 native, ILP32 wasm32), and its C enums are `int`-sized.

use std::os::raw::{c_int, c_uint, c_void};
use std::ptr::NonNull;

/// `AACENC_ERROR` codes (`aacenc_lib.h`).
pub const AACENC_OK: c_uint = 0x0000;
pub const AACENC_ENCODE_EOF: c_uint = 0x0080;

/// `AACENC_PARAM` identifiers used by framecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Param {
    Aot = 0x0100,
    Bitrate = 0x0101,
    BitrateMode = 0x0102,
    SampleRate = 0x0103,
    ChannelMode = 0x0106,
    ChannelOrder = 0x0107,
    Afterburner = 0x0200,
    Bandwidth = 0x0203,
    Transmux = 0x0300,
    SignalingMode = 0x0302,
}

/// `AACENC_BufferIdentifier` values.
const IN_AUDIO_DATA: c_int = 0;
const OUT_BITSTREAM_DATA: c_int = 3;

#[repr(C)]
struct BufDesc {
    num_bufs: c_int,
    bufs: *mut *mut c_void,
    buffer_identifiers: *mut c_int,
    buf_sizes: *mut c_int,
    buf_el_sizes: *mut c_int,
}

#[repr(C)]
struct InArgs {
    num_in_samples: c_int,
    num_anc_bytes: c_int,
}

#[repr(C)]
#[derive(Default)]
struct OutArgs {
    num_out_bytes: c_int,
    num_in_samples: c_int,
    num_anc_bytes: c_int,
    bit_res_state: c_int,
}

/// `AACENC_InfoStruct`: what the configured encoder reports.
#[repr(C)]
#[derive(Clone)]
pub struct Info {
    pub max_out_buf_bytes: c_uint,
    pub max_anc_bytes: c_uint,
    pub in_buf_fill_level: c_uint,
    pub input_channels: c_uint,
    pub frame_length: c_uint,
    pub n_delay: c_uint,
    pub n_delay_core: c_uint,
    pub conf_buf: [u8; 64],
    pub conf_size: c_uint,
}

#[repr(C)]
struct AacEncoderHandle {
    _opaque: [u8; 0],
}

extern "C" {
    fn aacEncOpen(handle: *mut *mut AacEncoderHandle, enc_modules: c_uint, max_channels: c_uint) -> c_uint;
    fn aacEncClose(handle: *mut *mut AacEncoderHandle) -> c_uint;
    fn aacEncEncode(
        handle: *mut AacEncoderHandle,
        in_desc: *const BufDesc,
        out_desc: *const BufDesc,
        in_args: *const InArgs,
        out_args: *mut OutArgs,
    ) -> c_uint;
    fn aacEncInfo(handle: *mut AacEncoderHandle, info: *mut Info) -> c_uint;
    fn aacEncoder_SetParam(handle: *mut AacEncoderHandle, param: c_uint, value: c_uint) -> c_uint;
    fn aacEncoder_GetParam(handle: *mut AacEncoderHandle, param: c_uint) -> c_uint;
}

/// What one `aacEncEncode` call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Interleaved input samples FDK copied into its buffer.
    pub consumed: usize,
    /// Bytes of one access unit written to the output buffer (0: none yet).
    pub written: usize,
}

/// An FDK AAC encoder instance, closed on drop.
pub(crate) struct RawEncoder(NonNull<AacEncoderHandle>);

// SAFETY: the instance has no thread affinity; it is only used through &mut.
unsafe impl Send for RawEncoder {}

impl RawEncoder {
    /// `aacEncOpen(encModules = 0x01 (AAC core only), maxChannels)`.
    pub fn open(max_channels: u32) -> Result<Self, c_uint> {
        let mut p = std::ptr::null_mut();
        // SAFETY: plain constructor call with a valid out-pointer.
        let rc = unsafe { aacEncOpen(&mut p, 0x01, max_channels) };
        match NonNull::new(p) {
            Some(h) if rc == AACENC_OK => Ok(RawEncoder(h)),
            Some(h) => {
                drop(RawEncoder(h));
                Err(rc)
            }
            None => Err(if rc == AACENC_OK { 0x0021 } else { rc }),
        }
    }

    pub fn set_param(&mut self, param: Param, value: u32) -> Result<(), c_uint> {
        // SAFETY: live handle; FDK validates the parameter and value.
        check(unsafe { aacEncoder_SetParam(self.0.as_ptr(), param as c_uint, value) })
    }

    pub fn get_param(&self, param: Param) -> u32 {
        // SAFETY: live handle; GetParam only reads the configuration.
        unsafe { aacEncoder_GetParam(self.0.as_ptr(), param as c_uint) }
    }

    /// `aacEncEncode(h, NULL, NULL, NULL, NULL)`: applies the parameters.
    pub fn initialize(&mut self) -> Result<(), c_uint> {
        // SAFETY: all-null arguments are FDK's documented "initialise" call.
        check(unsafe {
            aacEncEncode(self.0.as_ptr(), std::ptr::null(), std::ptr::null(), std::ptr::null(), std::ptr::null_mut())
        })
    }

    pub fn info(&self) -> Result<Info, c_uint> {
        let mut info = Info {
            max_out_buf_bytes: 0,
            max_anc_bytes: 0,
            in_buf_fill_level: 0,
            input_channels: 0,
            frame_length: 0,
            n_delay: 0,
            n_delay_core: 0,
            conf_buf: [0; 64],
            conf_size: 0,
        };
        // SAFETY: live handle and a valid, writable struct of the C layout.
        check(unsafe { aacEncInfo(self.0.as_ptr(), &mut info) })?;
        Ok(info)
    }

    /// One `aacEncEncode` call. `input` holds interleaved samples; `None`
    /// asks FDK to flush (pad with silence until its delay is out). FDK
    /// writes at most `out.len()` bytes. `Err(AACENC_ENCODE_EOF)` means the
    /// flush is complete.
    pub fn encode(&mut self, input: Option<&[i16]>, out: &mut [u8]) -> Result<Step, c_uint> {
        let samples = input.unwrap_or(&[]);
        let mut in_ptr = samples.as_ptr() as *mut c_void;
        let mut in_id = IN_AUDIO_DATA;
        let mut in_size = c_int::try_from(std::mem::size_of_val(samples)).map_err(|_| 0x0022u32)?;
        let mut in_el = std::mem::size_of::<i16>() as c_int;
        let in_desc = BufDesc {
            num_bufs: 1,
            bufs: &mut in_ptr,
            buffer_identifiers: &mut in_id,
            buf_sizes: &mut in_size,
            buf_el_sizes: &mut in_el,
        };
        let mut out_ptr = out.as_mut_ptr() as *mut c_void;
        let mut out_id = OUT_BITSTREAM_DATA;
        let mut out_size = c_int::try_from(out.len()).map_err(|_| 0x0022u32)?;
        let mut out_el = 1 as c_int;
        let out_desc = BufDesc {
            num_bufs: 1,
            bufs: &mut out_ptr,
            buffer_identifiers: &mut out_id,
            buf_sizes: &mut out_size,
            buf_el_sizes: &mut out_el,
        };
        let in_args = InArgs {
            num_in_samples: match input {
                Some(s) => c_int::try_from(s.len()).map_err(|_| 0x0022u32)?,
                None => -1,
            },
            num_anc_bytes: 0,
        };
        let mut out_args = OutArgs::default();
        // SAFETY: the descriptors point at live locals and at `samples`
        // (read only, FDK never writes input buffers) and `out` (written up
        // to `out_size` bytes), all valid for the duration of the call.
        check(unsafe { aacEncEncode(self.0.as_ptr(), &in_desc, &out_desc, &in_args, &mut out_args) })?;
        let written = usize::try_from(out_args.num_out_bytes).unwrap_or(0).min(out.len());
        let consumed = usize::try_from(out_args.num_in_samples).unwrap_or(0).min(samples.len());
        Ok(Step { consumed, written })
    }
}

impl Drop for RawEncoder {
    fn drop(&mut self) {
        let mut p = self.0.as_ptr();
        // SAFETY: the handle came from aacEncOpen and is closed exactly once.
        unsafe { aacEncClose(&mut p) };
    }
}

fn check(rc: c_uint) -> Result<(), c_uint> {
    if rc == AACENC_OK {
        Ok(())
    } else {
        Err(rc)
    }
}
