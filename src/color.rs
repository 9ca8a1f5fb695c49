//! Pixel format conversion to I420: packed RGBA/BGRA and NV12.
//!
//! RGB is converted with BT.601 coefficients to limited range (Y 16–235,
//! U/V 16–240), which is what H.264 decoders assume when the stream carries
//! no colour description; chroma is the average of each 2x2 block.
//! Integer arithmetic with 8 fractional bits, rounded.

use crate::frame::FrameError;

/// Byte order of a packed 4-byte-per-pixel RGB picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RgbOrder {
    /// R, G, B, A (or X) in memory: WebCodecs `RGBA`/`RGBX`, canvas `ImageData`.
    Rgba,
    /// B, G, R, A (or X) in memory: WebCodecs `BGRA`/`BGRX`.
    Bgra,
}

fn check(width: u32, height: u32, len: usize, stride: usize, min_stride: usize, rows: usize, plane: &'static str) -> Result<(), FrameError> {
    if width == 0 || height == 0 || width % 2 != 0 || height % 2 != 0 {
        return Err(FrameError::BadSize { width, height });
    }
    if stride < min_stride {
        return Err(FrameError::BadStride { plane, stride, min: min_stride });
    }
    let needed = stride * (rows - 1) + min_stride;
    if len < needed {
        return Err(FrameError::ShortPlane { plane, len, needed });
    }
    Ok(())
}

/// Converts packed RGB (4 bytes per pixel, alpha ignored) with `stride`
/// bytes per row into tightly packed I420 in `out` (resized to fit).
pub fn rgb_to_i420(src: &[u8], width: u32, height: u32, stride: usize, order: RgbOrder, out: &mut Vec<u8>) -> Result<(), FrameError> {
    let (w, h) = (width as usize, height as usize);
    check(width, height, src.len(), stride, w * 4, h, "RGB")?;
    let (ri, bi) = match order {
        RgbOrder::Rgba => (0, 2),
        RgbOrder::Bgra => (2, 0),
    };
    out.resize(w * h * 3 / 2, 0);
    let (y_plane, chroma) = out.split_at_mut(w * h);
    let (u_plane, v_plane) = chroma.split_at_mut(w * h / 4);
    for (row, y_row) in y_plane.chunks_exact_mut(w).enumerate() {
        let line = &src[row * stride..row * stride + w * 4];
        for (px, y) in line.chunks_exact(4).zip(y_row.iter_mut()) {
            let (r, g, b) = (i32::from(px[ri]), i32::from(px[1]), i32::from(px[bi]));
            *y = ((66 * r + 129 * g + 25 * b + 128) >> 8).wrapping_add(16) as u8;
        }
    }
    let cw = w / 2;
    for cy in 0..h / 2 {
        let top = &src[2 * cy * stride..];
        let bottom = &src[(2 * cy + 1) * stride..];
        for cx in 0..cw {
            let mut sum = [0i32; 3];
            for line in [top, bottom] {
                for px in line[cx * 8..cx * 8 + 8].chunks_exact(4) {
                    sum[0] += i32::from(px[ri]);
                    sum[1] += i32::from(px[1]);
                    sum[2] += i32::from(px[bi]);
                }
            }
            // Averages with 2 extra fractional bits (sum of four).
            let (r, g, b) = (sum[0], sum[1], sum[2]);
            u_plane[cy * cw + cx] = (((-38 * r - 74 * g + 112 * b + 512) >> 10) + 128) as u8;
            v_plane[cy * cw + cx] = (((112 * r - 94 * g - 18 * b + 512) >> 10) + 128) as u8;
        }
    }
    Ok(())
}

/// Converts NV12 (a Y plane, then one plane of interleaved U, V) into
/// tightly packed I420 in `out` (resized to fit). `y_stride` and
/// `uv_stride` are the bytes per row of each plane; the UV plane starts at
/// `uv_offset` in `src`.
pub fn nv12_to_i420(
    src: &[u8],
    width: u32,
    height: u32,
    y_stride: usize,
    uv_offset: usize,
    uv_stride: usize,
    out: &mut Vec<u8>,
) -> Result<(), FrameError> {
    let (w, h) = (width as usize, height as usize);
    check(width, height, src.len().min(uv_offset), y_stride, w, h, "Y")?;
    check(width, height, src.len().saturating_sub(uv_offset), uv_stride, w, h / 2, "UV")?;
    out.resize(w * h * 3 / 2, 0);
    let (y_plane, chroma) = out.split_at_mut(w * h);
    let (u_plane, v_plane) = chroma.split_at_mut(w * h / 4);
    for (row, dst) in y_plane.chunks_exact_mut(w).enumerate() {
        dst.copy_from_slice(&src[row * y_stride..row * y_stride + w]);
    }
    let cw = w / 2;
    for row in 0..h / 2 {
        let line = &src[uv_offset + row * uv_stride..uv_offset + row * uv_stride + w];
        for (i, uv) in line.chunks_exact(2).enumerate() {
            u_plane[row * cw + i] = uv[0];
            v_plane[row * cw + i] = uv[1];
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BT.601 limited range in floating point: the reference.
    fn reference(r: f64, g: f64, b: f64) -> (f64, f64, f64) {
        let y = 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0;
        let u = 128.0 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0;
        let v = 128.0 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0;
        (y, u, v)
    }

    #[test]
    fn flat_colours_match_the_float_reference_within_one_code_value() {
        for &(r, g, b) in &[(0u8, 0u8, 0u8), (255, 255, 255), (255, 0, 0), (0, 255, 0), (0, 0, 255), (12, 200, 99), (128, 128, 128)] {
            for order in [RgbOrder::Rgba, RgbOrder::Bgra] {
                let px = match order {
                    RgbOrder::Rgba => [r, g, b, 255],
                    RgbOrder::Bgra => [b, g, r, 0],
                };
                let src: Vec<u8> = px.iter().copied().cycle().take(4 * 4 * 2).collect();
                let mut out = Vec::new();
                rgb_to_i420(&src, 4, 2, 16, order, &mut out).unwrap();
                let (y, u, v) = reference(f64::from(r), f64::from(g), f64::from(b));
                for &got in &out[..8] {
                    assert!((f64::from(got) - y).abs() <= 1.0, "Y of {r},{g},{b}: {got} vs {y:.2}");
                }
                assert!((f64::from(out[8]) - u).abs() <= 1.0, "U of {r},{g},{b}: {} vs {u:.2}", out[8]);
                assert!((f64::from(out[10]) - v).abs() <= 1.0, "V of {r},{g},{b}: {} vs {v:.2}", out[10]);
            }
        }
    }

    #[test]
    fn chroma_is_the_2x2_average_and_strides_are_honoured() {
        // 2x2 picture with a padded stride: red, green / blue, white.
        let mut src = vec![0u8; 2 * 12];
        src[..8].copy_from_slice(&[255, 0, 0, 255, 0, 255, 0, 255]);
        src[12..20].copy_from_slice(&[0, 0, 255, 255, 255, 255, 255, 255]);
        let mut out = Vec::new();
        rgb_to_i420(&src, 2, 2, 12, RgbOrder::Rgba, &mut out).unwrap();
        assert_eq!(out.len(), 6);
        let (_, u, v) = reference(127.5, 127.5, 127.5);
        assert!((f64::from(out[4]) - u).abs() <= 1.0 && (f64::from(out[5]) - v).abs() <= 1.0, "{out:?}");
    }

    #[test]
    fn nv12_deinterleaves() {
        // 4x2: Y rows with stride 6, UV row with stride 6 at offset 12.
        let src = [1, 2, 3, 4, 0, 0, 5, 6, 7, 8, 0, 0, 10, 20, 11, 21, 0, 0];
        let mut out = Vec::new();
        nv12_to_i420(&src, 4, 2, 6, 12, 6, &mut out).unwrap();
        assert_eq!(out, [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 20, 21]);
    }

    #[test]
    fn bad_sizes_and_short_buffers_are_errors() {
        let mut out = Vec::new();
        assert!(matches!(rgb_to_i420(&[0; 16], 3, 2, 12, RgbOrder::Rgba, &mut out), Err(FrameError::BadSize { .. })));
        assert!(matches!(rgb_to_i420(&[0; 16], 2, 2, 4, RgbOrder::Rgba, &mut out), Err(FrameError::BadStride { .. })));
        assert!(matches!(rgb_to_i420(&[0; 15], 2, 2, 8, RgbOrder::Rgba, &mut out), Err(FrameError::ShortPlane { .. })));
        assert!(matches!(nv12_to_i420(&[0; 5], 2, 2, 2, 4, 2, &mut out), Err(FrameError::ShortPlane { .. })));
        assert!(matches!(nv12_to_i420(&[0; 6], 2, 2, 2, 9, 2, &mut out), Err(FrameError::ShortPlane { .. })));
    }
}
