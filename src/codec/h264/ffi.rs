//! The OpenH264 entry points that build.rs links, and RAII handles for the
//! encoder and decoder objects. All `unsafe` of the H.264 stage lives here.

use std::os::raw::{c_int, c_long, c_void};
use std::ptr::NonNull;

pub use openh264_sys2::{
    ISVCDecoder, ISVCEncoder, SBufferInfo, SDecodingParam, SEncParamExt, SFrameBSInfo, SSourcePicture,
};

extern "C" {
    fn WelsCreateSVCEncoder(pp: *mut *mut ISVCEncoder) -> c_int;
    fn WelsDestroySVCEncoder(p: *mut ISVCEncoder);
    fn WelsCreateDecoder(pp: *mut *mut ISVCDecoder) -> c_long;
    fn WelsDestroyDecoder(p: *mut ISVCDecoder);
}

/// Calls a method of an OpenH264 COM-style object: `obj->vtbl->method(obj, args)`.
/// A missing method (never the case for a real OpenH264 build) reads as
/// failure code -1.
macro_rules! vcall {
    ($obj:expr, $method:ident $(, $arg:expr)*) => {{
        let obj = $obj;
        // SAFETY: `obj` is a live object created by OpenH264; its vtable
        // pointer is valid for the object's lifetime.
        unsafe {
            match (**obj).$method {
                Some(f) => f(obj $(, $arg)*),
                None => -1 as _,
            }
        }
    }};
}

/// An OpenH264 encoder object, uninitialised and destroyed on drop.
pub(crate) struct RawEncoder(NonNull<ISVCEncoder>);

// SAFETY: the object has no thread affinity; it is only used through &mut.
unsafe impl Send for RawEncoder {}

impl RawEncoder {
    pub fn new() -> Result<Self, c_int> {
        let mut p = std::ptr::null_mut();
        // SAFETY: plain constructor call with a valid out-pointer.
        let rc = unsafe { WelsCreateSVCEncoder(&mut p) };
        NonNull::new(p).filter(|_| rc == 0).map(RawEncoder).ok_or(if rc == 0 { -1 } else { rc })
    }

    fn ptr(&self) -> *mut ISVCEncoder {
        self.0.as_ptr()
    }

    pub fn default_params(&mut self) -> Result<SEncParamExt, c_int> {
        // SAFETY: SEncParamExt is plain C data; all-zero is a valid value.
        let mut p: SEncParamExt = unsafe { std::mem::zeroed() };
        check(vcall!(self.ptr(), GetDefaultParams, &mut p))?;
        Ok(p)
    }

    pub fn initialize(&mut self, p: &SEncParamExt) -> Result<(), c_int> {
        check(vcall!(self.ptr(), InitializeExt, p))
    }

    /// `SetOption` with a value of the option's documented type.
    pub fn set_option<T>(&mut self, option: openh264_sys2::ENCODER_OPTION, value: &mut T) -> Result<(), c_int> {
        check(vcall!(self.ptr(), SetOption, option, value as *mut T as *mut c_void))
    }

    /// Encodes one picture. The picture's plane pointers must be valid for
    /// reads of its strides x rows; OpenH264 does not write them.
    pub fn encode(&mut self, pic: &SSourcePicture, out: &mut SFrameBSInfo) -> Result<(), c_int> {
        check(vcall!(self.ptr(), EncodeFrame, pic, out))
    }

    /// `ForceIntraFrame(bIDR = true, iLayerId = -1)`: the next picture of
    /// every layer is an IDR.
    ///
    /// The generated C vtable type declares only `bIDR`, but the C++
    /// method behind it also takes `iLayerId` (`codec_api.h`). Calling it
    /// with one argument traps in wasm ("function signature mismatch") and
    /// passes a stray register natively, so it is called with the real
    /// signature.
    pub fn force_intra(&mut self) -> Result<(), c_int> {
        type ForceIntra = unsafe extern "C" fn(*mut ISVCEncoder, bool, c_int) -> c_int;
        let obj = self.ptr();
        // SAFETY: `obj` is a live encoder; the vtable slot holds
        // `CWelsH264SVCEncoder::ForceIntraFrame(bool, int)`, whose C ABI is
        // exactly `ForceIntra` (this pointer first).
        unsafe {
            let Some(f) = (**obj).ForceIntraFrame else { return Err(-1) };
            let f: ForceIntra =
                std::mem::transmute::<unsafe extern "C" fn(*mut ISVCEncoder, bool) -> c_int, ForceIntra>(f);
            check(f(obj, true, -1))
        }
    }
}

impl Drop for RawEncoder {
    fn drop(&mut self) {
        vcall!(self.ptr(), Uninitialize);
        // SAFETY: created by WelsCreateSVCEncoder, destroyed once.
        unsafe { WelsDestroySVCEncoder(self.ptr()) }
    }
}

/// The bytes of every layer of an encoded frame, in order: OpenH264 writes
/// Annex-B NAL units (4-byte start codes) into its own buffers, valid until
/// the next encode call.
pub fn frame_bytes(bs: &SFrameBSInfo, out: &mut Vec<u8>) {
    let layers = bs.iLayerNum.clamp(0, bs.sLayerInfo.len() as c_int) as usize;
    for layer in &bs.sLayerInfo[..layers] {
        if layer.pBsBuf.is_null() || layer.pNalLengthInByte.is_null() || layer.iNalCount <= 0 {
            continue;
        }
        // SAFETY: OpenH264 fills iNalCount lengths and that many bytes in
        // pBsBuf for each reported layer.
        let lens = unsafe { std::slice::from_raw_parts(layer.pNalLengthInByte, layer.iNalCount as usize) };
        let total: usize = lens.iter().map(|&n| n.max(0) as usize).sum();
        out.extend_from_slice(unsafe { std::slice::from_raw_parts(layer.pBsBuf, total) });
    }
}

/// An OpenH264 decoder object, uninitialised and destroyed on drop.
pub struct RawDecoder(NonNull<ISVCDecoder>);

// SAFETY: as for RawEncoder.
unsafe impl Send for RawDecoder {}

/// A decoded picture borrowed from OpenH264's buffers: valid until the next
/// decode call.
pub struct RawPicture<'a> {
    pub planes: [&'a [u8]; 3],
    pub strides: [usize; 2],
    pub width: u32,
    pub height: u32,
    pub timestamp: u64,
}

impl RawDecoder {
    pub fn new() -> Result<Self, c_long> {
        let mut p = std::ptr::null_mut();
        // SAFETY: plain constructor call with a valid out-pointer.
        let rc = unsafe { WelsCreateDecoder(&mut p) };
        NonNull::new(p).filter(|_| rc == 0).map(RawDecoder).ok_or(if rc == 0 { -1 } else { rc })
    }

    fn ptr(&self) -> *mut ISVCDecoder {
        self.0.as_ptr()
    }

    pub fn initialize(&mut self, p: &SDecodingParam) -> Result<(), c_long> {
        match vcall!(self.ptr(), Initialize, p) {
            0 => Ok(()),
            rc => Err(rc),
        }
    }

    pub fn set_option<T>(&mut self, option: openh264_sys2::DECODER_OPTION, value: &mut T) -> c_long {
        vcall!(self.ptr(), SetOption, option, value as *mut T as *mut c_void)
    }

    /// Decodes one access unit (Annex-B). Returns OpenH264's state bits and
    /// the picture, if one is ready.
    pub fn decode(&mut self, data: &[u8], timestamp: u64) -> (u32, Option<RawPicture<'_>>) {
        let mut dst: [*mut u8; 3] = [std::ptr::null_mut(); 3];
        // SAFETY: SBufferInfo is plain C data; zero is valid.
        let mut info: SBufferInfo = unsafe { std::mem::zeroed() };
        info.uiInBsTimeStamp = timestamp;
        let len = c_int::try_from(data.len()).unwrap_or(c_int::MAX);
        let state = vcall!(self.ptr(), DecodeFrameNoDelay, data.as_ptr(), len, dst.as_mut_ptr(), &mut info);
        (state as u32, picture(&info, &dst))
    }

    /// Returns a picture still held for reordering, if any.
    pub fn flush_one(&mut self) -> (u32, Option<RawPicture<'_>>) {
        let mut dst: [*mut u8; 3] = [std::ptr::null_mut(); 3];
        // SAFETY: as in decode.
        let mut info: SBufferInfo = unsafe { std::mem::zeroed() };
        let state = vcall!(self.ptr(), FlushFrame, dst.as_mut_ptr(), &mut info);
        (state as u32, picture(&info, &dst))
    }
}

fn picture<'a>(info: &SBufferInfo, dst: &[*mut u8; 3]) -> Option<RawPicture<'a>> {
    if info.iBufferStatus != 1 || dst.iter().any(|p| p.is_null()) {
        return None;
    }
    // SAFETY: iBufferStatus == 1 means sSystemBuffer describes the picture.
    let sys = unsafe { info.UsrData.sSystemBuffer };
    let (w, h) = (sys.iWidth, sys.iHeight);
    let (ys, cs) = (sys.iStride[0], sys.iStride[1]);
    if w <= 0 || h <= 0 || ys < w || cs < (w + 1) / 2 {
        return None;
    }
    let (w, h, ys, cs) = (w as usize, h as usize, ys as usize, cs as usize);
    let ch = h.div_ceil(2);
    // SAFETY: OpenH264 guarantees `stride * rows` readable bytes per plane.
    let planes = unsafe {
        [
            std::slice::from_raw_parts(dst[0] as *const u8, ys * h),
            std::slice::from_raw_parts(dst[1] as *const u8, cs * ch),
            std::slice::from_raw_parts(dst[2] as *const u8, cs * ch),
        ]
    };
    Some(RawPicture { planes, strides: [ys, cs], width: w as u32, height: h as u32, timestamp: info.uiOutYuvTimeStamp })
}

impl Drop for RawDecoder {
    fn drop(&mut self) {
        vcall!(self.ptr(), Uninitialize);
        // SAFETY: created by WelsCreateDecoder, destroyed once.
        unsafe { WelsDestroyDecoder(self.ptr()) }
    }
}

fn check(rc: c_int) -> Result<(), c_int> {
    if rc == 0 {
        Ok(())
    } else {
        Err(rc)
    }
}
