//! Rotation of I420 frames by quarter turns, clockwise.
//!
//! "90" means the picture turns a quarter turn clockwise, as a viewer would
//! see it: the source's bottom-left pixel becomes the destination's
//! top-left. This is ffmpeg's `transpose=1` (`clock`) and what a player
//! does for an MP4 `tkhd` matrix of `{0, 1, 0, -1, 0, 0, ...}` (a 90 degree
//! display rotation). 90 and 270 swap width and height. Pixels are moved,
//! never filtered, so the result is exact.

use crate::frame::{FrameError, I420Frame, I420Planes};

/// A clockwise rotation by a multiple of 90 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotation {
    /// No rotation (a copy). The default.
    #[default]
    R0,
    /// A quarter turn clockwise (ffmpeg `transpose=1`).
    R90,
    /// A half turn.
    R180,
    /// A quarter turn counter-clockwise (ffmpeg `transpose=2`).
    R270,
}

impl Rotation {
    /// The rotation for `degrees` clockwise (any multiple of 90, negative
    /// meaning counter-clockwise), or `None` for other angles.
    pub fn from_degrees(degrees: i32) -> Option<Rotation> {
        if degrees % 90 != 0 {
            return None;
        }
        Some(match degrees.rem_euclid(360) {
            0 => Rotation::R0,
            90 => Rotation::R90,
            180 => Rotation::R180,
            _ => Rotation::R270,
        })
    }

    /// Clockwise angle in degrees: 0, 90, 180 or 270.
    pub fn degrees(self) -> u32 {
        match self {
            Rotation::R0 => 0,
            Rotation::R90 => 90,
            Rotation::R180 => 180,
            Rotation::R270 => 270,
        }
    }

    /// Size of a `width` x `height` picture after the rotation.
    pub fn rotated_size(self, width: u32, height: u32) -> (u32, u32) {
        match self {
            Rotation::R0 | Rotation::R180 => (width, height),
            Rotation::R90 | Rotation::R270 => (height, width),
        }
    }
}

/// Rotates `src` into `dst`, which is resized (its buffer reused) to the
/// rotated size.
pub fn rotate_i420(src: &I420Planes<'_>, rotation: Rotation, dst: &mut I420Frame) -> Result<(), FrameError> {
    src.validate()?;
    let (w, h) = rotation.rotated_size(src.width, src.height);
    let (y, u, v) = super::planes_mut(dst, w, h);
    let (sw, sh) = (src.width as usize, src.height as usize);
    rotate_plane(src.y, src.y_stride, sw, sh, rotation, y);
    rotate_plane(src.u, src.uv_stride, sw / 2, sh / 2, rotation, u);
    rotate_plane(src.v, src.uv_stride, sw / 2, sh / 2, rotation, v);
    Ok(())
}

/// Rotates a `w` x `h` plane (checked by the caller) into a tightly packed
/// `dst`.
fn rotate_plane(src: &[u8], stride: usize, w: usize, h: usize, rotation: Rotation, dst: &mut [u8]) {
    let row = |y: usize| &src[y * stride..y * stride + w];
    match rotation {
        Rotation::R0 => {
            for (y, out) in dst.chunks_exact_mut(w).enumerate() {
                out.copy_from_slice(row(y));
            }
        }
        Rotation::R180 => {
            for (y, out) in dst.chunks_exact_mut(w).enumerate() {
                for (o, &p) in out.iter_mut().zip(row(h - 1 - y).iter().rev()) {
                    *o = p;
                }
            }
        }
        // Destination is h wide and w tall; done in tiles so that both the
        // rows read and the rows written stay in cache.
        Rotation::R90 | Rotation::R270 => {
            const TILE: usize = 32;
            for ty in (0..w).step_by(TILE) {
                for tx in (0..h).step_by(TILE) {
                    for dy in ty..(ty + TILE).min(w) {
                        let out = &mut dst[dy * h..dy * h + h];
                        for dx in tx..(tx + TILE).min(h) {
                            out[dx] = if rotation == Rotation::R90 {
                                // Destination (dx, dy) <- source (dy, h-1-dx).
                                src[(h - 1 - dx) * stride + dy]
                            } else {
                                // Destination (dx, dy) <- source (w-1-dy, dx).
                                src[dx * stride + (w - 1 - dy)]
                            };
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 4x2 frame: Y 1..=8, U [10, 11], V [20, 21].
    const SRC: [u8; 12] = [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 20, 21];

    fn rotate(rotation: Rotation) -> I420Frame {
        let mut dst = I420Frame { width: 0, height: 0, data: Vec::new() };
        rotate_i420(&I420Planes::packed(4, 2, &SRC).unwrap(), rotation, &mut dst).unwrap();
        dst
    }

    #[test]
    fn quarter_turns_are_pixel_exact() {
        let r = rotate(Rotation::R0);
        assert_eq!((r.width, r.height, &r.data[..]), (4, 2, &SRC[..]));
        // Clockwise: the bottom-left pixel (5) goes to the top-left.
        let r = rotate(Rotation::R90);
        assert_eq!((r.width, r.height), (2, 4));
        assert_eq!(r.data, [5, 1, 6, 2, 7, 3, 8, 4, 10, 11, 20, 21]);
        let r = rotate(Rotation::R180);
        assert_eq!((r.width, r.height), (4, 2));
        assert_eq!(r.data, [8, 7, 6, 5, 4, 3, 2, 1, 11, 10, 21, 20]);
        let r = rotate(Rotation::R270);
        assert_eq!((r.width, r.height), (2, 4));
        assert_eq!(r.data, [4, 8, 3, 7, 2, 6, 1, 5, 11, 10, 21, 20]);
    }

    #[test]
    fn four_quarter_turns_and_strides() {
        // 70x38 (not a multiple of the tile) with padded strides.
        let (w, h) = (70usize, 38usize);
        let y: Vec<u8> = (0..(w + 3) * h).map(|i| (i * 7 % 251) as u8).collect();
        let u: Vec<u8> = (0..(w / 2 + 1) * h / 2).map(|i| (i * 3 % 253) as u8).collect();
        let v: Vec<u8> = u.iter().map(|&c| c ^ 0x5a).collect();
        let src = I420Planes {
            width: w as u32,
            height: h as u32,
            y: &y,
            u: &u,
            v: &v,
            y_stride: w + 3,
            uv_stride: w / 2 + 1,
        };
        let start = I420Frame::from_planes(&src).unwrap();
        let mut a = start.clone();
        let mut b = I420Frame { width: 0, height: 0, data: Vec::new() };
        for _ in 0..4 {
            rotate_i420(&a.planes(), Rotation::R90, &mut b).unwrap();
            std::mem::swap(&mut a, &mut b);
        }
        assert_eq!(a, start);
        rotate_i420(&start.planes(), Rotation::R90, &mut a).unwrap();
        rotate_i420(&a.planes(), Rotation::R180, &mut b).unwrap();
        rotate_i420(&start.planes(), Rotation::R270, &mut a).unwrap();
        assert_eq!(a, b);
        // Strides are honoured: same result as from the packed copy.
        rotate_i420(&src, Rotation::R270, &mut b).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn degrees_and_errors() {
        assert_eq!(Rotation::from_degrees(-90), Some(Rotation::R270));
        assert_eq!(Rotation::from_degrees(450), Some(Rotation::R90));
        assert_eq!(Rotation::from_degrees(45), None);
        assert_eq!(Rotation::R270.degrees(), 270);
        let mut dst = I420Frame { width: 0, height: 0, data: Vec::new() };
        let bad = I420Planes { width: 4, height: 2, y: &[0; 7], u: &[0; 2], v: &[0; 2], y_stride: 4, uv_stride: 2 };
        assert!(matches!(rotate_i420(&bad, Rotation::R90, &mut dst), Err(FrameError::ShortPlane { .. })));
    }
}
