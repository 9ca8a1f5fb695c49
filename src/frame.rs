//! Raw video frames in planar YUV 4:2:0 (I420): an owned [`I420Frame`] and a
//! borrowed [`I420Planes`] view with arbitrary strides; and the pixel
//! geometry types [`Size`], [`Point`] and [`Rect`] that presets, scalers and
//! compositors share.

use std::fmt;

/// A width and a height in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Size {
    /// Pixels across.
    pub width: u32,
    /// Pixels down.
    pub height: u32,
}

impl Size {
    /// `width` x `height`.
    pub const fn new(width: u32, height: u32) -> Size {
        Size { width, height }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// A rectangle: top-left corner and size, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Pixels across.
    pub width: u32,
    /// Pixels down.
    pub height: u32,
}

impl Rect {
    /// `width` x `height` at (`x`, `y`).
    pub const fn new(x: u32, y: u32, width: u32, height: u32) -> Rect {
        Rect { x, y, width, height }
    }

    /// The whole of a `width` x `height` picture.
    pub const fn full(width: u32, height: u32) -> Rect {
        Rect { x: 0, y: 0, width, height }
    }

    /// The size alone.
    pub const fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }
}

/// A position in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Point {
    /// Pixels from the left.
    pub x: u32,
    /// Pixels from the top.
    pub y: u32,
}

/// Why a frame buffer does not describe a valid I420 picture.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// Width or height is zero or odd (4:2:0 needs even sizes).
    BadSize {
        /// The width given, in pixels.
        width: u32,
        /// The height given, in pixels.
        height: u32,
    },
    /// A plane's stride is smaller than its row width.
    BadStride {
        /// The plane: `"Y"`, `"U"` or `"V"`.
        plane: &'static str,
        /// The stride given, in bytes per row.
        stride: usize,
        /// The plane's row width, in bytes (the smallest valid stride).
        min: usize,
    },
    /// A plane's buffer is too short for its rows.
    ShortPlane {
        /// The plane: `"Y"`, `"U"` or `"V"`, or `"I420"` for a packed
        /// buffer.
        plane: &'static str,
        /// The buffer's length, in bytes.
        len: usize,
        /// The length its rows need, in bytes: `stride * (rows - 1) + width`.
        needed: usize,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::BadSize { width, height } => {
                write!(f, "frame size must be even and non-zero, got {width}x{height}")
            }
            FrameError::BadStride { plane, stride, min } => {
                write!(f, "{plane} stride must be at least {min}, got {stride}")
            }
            FrameError::ShortPlane { plane, len, needed } => {
                write!(f, "{plane} plane needs {needed} bytes, got {len}")
            }
        }
    }
}

impl std::error::Error for FrameError {}

/// Bytes of a tightly packed I420 picture of `width` x `height`.
pub fn i420_size(width: u32, height: u32) -> usize {
    let (w, h) = (width as usize, height as usize);
    w * h + 2 * (w.div_ceil(2) * h.div_ceil(2))
}

/// A borrowed I420 picture: three planes with their strides (bytes per row).
#[derive(Debug, Clone, Copy)]
pub struct I420Planes<'a> {
    /// Picture width in pixels; even and not 0.
    pub width: u32,
    /// Picture height in pixels; even and not 0.
    pub height: u32,
    /// Luma plane: `height` rows of `width` bytes, `y_stride` apart.
    pub y: &'a [u8],
    /// Cb plane: `height / 2` rows of `width / 2` bytes, `uv_stride` apart.
    pub u: &'a [u8],
    /// Cr plane: laid out like `u`.
    pub v: &'a [u8],
    /// Bytes from one row of `y` to the next; at least `width`.
    pub y_stride: usize,
    /// Bytes from one row of `u` (and of `v`) to the next; at least
    /// `width / 2`.
    pub uv_stride: usize,
}

impl<'a> I420Planes<'a> {
    /// Views a tightly packed buffer (Y, then U, then V, no padding).
    pub fn packed(width: u32, height: u32, data: &'a [u8]) -> Result<Self, FrameError> {
        check_size(width, height)?;
        let needed = i420_size(width, height);
        if data.len() < needed {
            return Err(FrameError::ShortPlane { plane: "I420", len: data.len(), needed });
        }
        let ys = width as usize * height as usize;
        let cs = (width as usize / 2) * (height as usize / 2);
        let planes = I420Planes {
            width,
            height,
            y: &data[..ys],
            u: &data[ys..ys + cs],
            v: &data[ys + cs..ys + 2 * cs],
            y_stride: width as usize,
            uv_stride: width as usize / 2,
        };
        Ok(planes)
    }

    /// Checks sizes and strides against the buffers.
    pub fn validate(&self) -> Result<(), FrameError> {
        check_size(self.width, self.height)?;
        let (w, h) = (self.width as usize, self.height as usize);
        check_plane("Y", self.y, self.y_stride, w, h)?;
        check_plane("U", self.u, self.uv_stride, w / 2, h / 2)?;
        check_plane("V", self.v, self.uv_stride, w / 2, h / 2)
    }
}

fn check_size(width: u32, height: u32) -> Result<(), FrameError> {
    if width == 0 || height == 0 || width % 2 != 0 || height % 2 != 0 {
        return Err(FrameError::BadSize { width, height });
    }
    Ok(())
}

fn check_plane(plane: &'static str, buf: &[u8], stride: usize, w: usize, h: usize) -> Result<(), FrameError> {
    if stride < w {
        return Err(FrameError::BadStride { plane, stride, min: w });
    }
    // Saturating: a hostile stride must not wrap around to a small size.
    let needed = stride.saturating_mul(h - 1).saturating_add(w);
    if buf.len() < needed {
        return Err(FrameError::ShortPlane { plane, len: buf.len(), needed });
    }
    Ok(())
}

/// An owned, tightly packed I420 picture.
#[derive(Clone, PartialEq, Eq)]
pub struct I420Frame {
    /// Picture width in pixels; even and not 0.
    pub width: u32,
    /// Picture height in pixels; even and not 0.
    pub height: u32,
    /// Y plane (`width*height`), then U and V (`width/2 * height/2` each).
    pub data: Vec<u8>,
}

impl fmt::Debug for I420Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "I420Frame({}x{}, {} bytes)", self.width, self.height, self.data.len())
    }
}

impl I420Frame {
    /// Copies planes with any strides into a packed frame.
    pub fn from_planes(p: &I420Planes<'_>) -> Result<Self, FrameError> {
        p.validate()?;
        let (w, h) = (p.width as usize, p.height as usize);
        let mut data = Vec::with_capacity(i420_size(p.width, p.height));
        for (plane, stride, pw, ph) in
            [(p.y, p.y_stride, w, h), (p.u, p.uv_stride, w / 2, h / 2), (p.v, p.uv_stride, w / 2, h / 2)]
        {
            for row in 0..ph {
                data.extend_from_slice(&plane[row * stride..row * stride + pw]);
            }
        }
        Ok(I420Frame { width: p.width, height: p.height, data })
    }

    /// A borrowed view of this frame.
    pub fn planes(&self) -> I420Planes<'_> {
        // A frame built by this module always has even sizes and full data.
        let ys = self.width as usize * self.height as usize;
        let cs = ys / 4;
        I420Planes {
            width: self.width,
            height: self.height,
            y: &self.data[..ys],
            u: &self.data[ys..ys + cs],
            v: &self.data[ys + cs..ys + 2 * cs],
            y_stride: self.width as usize,
            uv_stride: self.width as usize / 2,
        }
    }
}

/// Peak signal-to-noise ratio in dB between two equally sized 8-bit planes
/// (`f64::INFINITY` when identical). Used by tests and benchmarks.
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return 0.0;
    }
    let sse: u64 = a[..n].iter().zip(&b[..n]).map(|(&x, &y)| (x as i64 - y as i64).pow(2) as u64).sum();
    if sse == 0 {
        return f64::INFINITY;
    }
    let mse = sse as f64 / n as f64;
    10.0 * (255.0f64 * 255.0 / mse).log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_round_trip() {
        let data: Vec<u8> = (0..i420_size(4, 2)).map(|i| i as u8).collect();
        let p = I420Planes::packed(4, 2, &data).unwrap();
        assert_eq!(p.u, &[8, 9]);
        assert_eq!(I420Frame::from_planes(&p).unwrap().data, data);
    }

    #[test]
    fn strided_planes_are_packed() {
        let y = [1, 2, 0, 3, 4, 0];
        let p = I420Planes { width: 2, height: 2, y: &y, u: &[5], v: &[6], y_stride: 3, uv_stride: 1 };
        assert_eq!(I420Frame::from_planes(&p).unwrap().data, vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn bad_frames_are_rejected() {
        assert_eq!(I420Planes::packed(3, 2, &[0; 100]).unwrap_err(), FrameError::BadSize { width: 3, height: 2 });
        assert!(matches!(I420Planes::packed(4, 4, &[0; 10]), Err(FrameError::ShortPlane { .. })));
        let p = I420Planes { width: 4, height: 2, y: &[0; 8], u: &[0; 2], v: &[0; 2], y_stride: 3, uv_stride: 2 };
        assert!(matches!(p.validate(), Err(FrameError::BadStride { plane: "Y", .. })));
    }

    #[test]
    fn psnr_of_known_error() {
        assert_eq!(psnr(&[1, 2], &[1, 2]), f64::INFINITY);
        // MSE 1 -> 48.13 dB
        assert!((psnr(&[0, 0], &[1, 1]) - 48.1308).abs() < 1e-3);
    }
}
