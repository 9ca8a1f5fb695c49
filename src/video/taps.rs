//! Fixed-point filter tables for one axis of a separable resampler.
//!
//! Geometry is centre-aligned: output sample `i` (of `dst`) sits at source
//! coordinate `(i + 0.5) * src / dst - 0.5`, where source sample `j` is at
//! coordinate `j`. This is the convention of libswscale, pillow and most
//! resamplers, and it keeps a picture's edges on its edges.
//!
//! Each output sample gets `taps` consecutive source samples starting at
//! `start[i]`, with `taps` the same for every output (shorter windows are
//! padded with zero coefficients) so that the inner loops have a fixed
//! length. Coefficients are integers summing exactly to [`ONE`]. Taps that
//! fall outside the source are folded onto the edge sample, which is
//! clamp-to-edge sampling without reading out of bounds.

use super::scale::Filter;

/// Fractional bits of a coefficient: a coefficient of 1.0 is `1 << 14`.
pub(crate) const COEF_BITS: u32 = 14;
/// The coefficient that stands for 1.0.
pub(crate) const ONE: i32 = 1 << COEF_BITS;

/// Window length for a longest window of `longest` taps: 1 as it is,
/// longer ones rounded up to an even number (the SIMD kernels take taps in
/// pairs) when the source is long enough.
fn padded(longest: usize, src: usize) -> usize {
    let n = if longest <= 1 { longest } else { longest.next_multiple_of(2) };
    if n <= src {
        n
    } else {
        longest
    }
}

/// Coefficients for one axis: `dst` outputs, each a window of `taps` source
/// samples.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
    /// Source samples per output (window length, same for all outputs).
    pub taps: usize,
    /// First source sample of each output's window; `start + taps <= src`.
    pub start: Vec<u32>,
    /// `dst * taps` coefficients, row `i` for output `i`, each row summing
    /// to [`ONE`].
    pub coefs: Vec<i16>,
}

impl Filter {
    /// Half-width of the kernel in source samples at scale 1.
    fn radius(self) -> f64 {
        match self {
            Filter::Lanczos3 => 3.0,
            Filter::Bilinear => 1.0,
        }
    }

    /// The kernel at distance `x` (in kernel units).
    fn weight(self, x: f64) -> f64 {
        let x = x.abs();
        match self {
            Filter::Lanczos3 => {
                if x < 1e-9 {
                    1.0
                } else if x >= 3.0 {
                    0.0
                } else {
                    let px = core::f64::consts::PI * x;
                    3.0 * px.sin() * (px / 3.0).sin() / (px * px)
                }
            }
            Filter::Bilinear => (1.0 - x).max(0.0),
        }
    }
}

impl Axis {
    /// Table for resampling `src` samples to `dst` samples (both >= 1).
    ///
    /// When shrinking, the kernel is stretched by `src / dst` so that it
    /// low-pass filters at the output's Nyquist frequency (Lanczos3 then
    /// covers `6 * src / dst` source samples; Bilinear becomes a tent as wide
    /// as two output samples, like libswscale's `bilinear`).
    pub fn new(src: usize, dst: usize, filter: Filter) -> Axis {
        let ratio = src as f64 / dst as f64;
        let stretch = ratio.max(1.0);
        let radius = filter.radius() * stretch;
        let last_src = src as i64 - 1;
        let mut windows: Vec<(usize, Vec<i32>)> = Vec::with_capacity(dst);
        let mut weights = Vec::new();
        for i in 0..dst {
            let centre = (i as f64 + 0.5) * ratio - 0.5;
            // Source samples strictly inside the kernel's support.
            let lo = (centre - radius).floor() as i64 + 1;
            let hi = (centre + radius).ceil() as i64 - 1;
            let first = lo.clamp(0, last_src);
            let last = hi.clamp(first, last_src);
            weights.clear();
            weights.resize((last - first + 1) as usize, 0.0f64);
            for j in lo..=hi {
                let k = (j.clamp(0, last_src) - first) as usize;
                weights[k] += filter.weight((j as f64 - centre) / stretch);
            }
            let (offset, q) = quantise(&weights, centre, first);
            windows.push((first as usize + offset, q));
        }
        let longest = windows.iter().map(|(_, q)| q.len()).max().unwrap_or(1);
        let taps = padded(longest, src);
        let mut start = Vec::with_capacity(dst);
        let mut coefs = vec![0i16; dst * taps];
        for ((first, q), row) in windows.iter().zip(coefs.chunks_exact_mut(taps)) {
            let s = (*first).min(src - taps);
            let at = first - s;
            for (c, &v) in row[at..at + q.len()].iter_mut().zip(q) {
                // |v| <= ONE * 1.3 for these kernels: fits an i16.
                *c = v as i16;
            }
            start.push(s as u32);
        }
        Axis { taps, start, coefs }
    }

    /// True when every output is a copy of the source sample at its index.
    pub fn is_identity(&self) -> bool {
        self.taps == 1
            && self.coefs.iter().all(|&c| i32::from(c) == ONE)
            && self.start.iter().enumerate().all(|(i, &s)| s as usize == i)
    }
}

/// Normalises `weights` to integers summing to [`ONE`], rounding with error
/// diffusion, and trims zero coefficients from both ends. Returns the offset
/// of the first kept coefficient and the coefficients.
fn quantise(weights: &[f64], centre: f64, first: i64) -> (usize, Vec<i32>) {
    let sum: f64 = weights.iter().sum();
    // A sum that is not positive (or NaN) cannot happen with these kernels;
    // fall back to the nearest sample.
    if sum.partial_cmp(&1e-9) != Some(core::cmp::Ordering::Greater) {
        let k = (centre.round() as i64 - first).clamp(0, weights.len() as i64 - 1) as usize;
        return (k, vec![ONE]);
    }
    let mut q = Vec::with_capacity(weights.len());
    let mut carry = 0.0;
    for &w in weights {
        let v = w / sum * f64::from(ONE) + carry;
        let r = v.round();
        carry = v - r;
        q.push(r as i32);
    }
    // Rounding at exact halves can leave the total one off: give the
    // difference to the largest coefficient.
    let total: i32 = q.iter().sum();
    if total != ONE {
        let (k, _) = q.iter().enumerate().max_by_key(|(_, &v)| v).unwrap_or((0, &0));
        q[k] += ONE - total;
    }
    let lead = q.iter().take_while(|&&v| v == 0).count();
    let trail = q.iter().rev().take_while(|&&v| v == 0).count();
    let q = q[lead..q.len() - trail].to_vec();
    (lead, q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(a: &Axis) -> impl Iterator<Item = &[i16]> {
        a.coefs.chunks_exact(a.taps)
    }

    #[test]
    fn every_row_sums_to_one_and_windows_stay_inside() {
        for &(src, dst) in
            &[(1920, 1280), (1280, 1920), (960, 427), (2, 4096), (4096, 2), (7, 7), (1, 5), (5, 1), (3, 2)]
        {
            for filter in [Filter::Lanczos3, Filter::Bilinear] {
                let a = Axis::new(src, dst, filter);
                assert_eq!(a.start.len(), dst);
                for (row, &s) in rows(&a).zip(&a.start) {
                    assert_eq!(row.iter().map(|&c| i32::from(c)).sum::<i32>(), ONE, "{src}->{dst} {filter:?}");
                    assert!(s as usize + a.taps <= src);
                    // Bound used by the kernels' overflow reasoning.
                    assert!(row.iter().map(|&c| i32::from(c).abs()).sum::<i32>() < 2 * ONE);
                }
            }
        }
    }

    #[test]
    fn same_size_is_identity() {
        assert!(Axis::new(37, 37, Filter::Lanczos3).is_identity());
        assert!(Axis::new(37, 37, Filter::Bilinear).is_identity());
        assert!(!Axis::new(37, 36, Filter::Lanczos3).is_identity());
    }

    #[test]
    fn downscale_widens_the_kernel() {
        // Lanczos3 at 1.5x shrink covers 9 source samples: padded to 10.
        assert_eq!(Axis::new(1920, 1280, Filter::Lanczos3).taps, 10);
        assert_eq!(Axis::new(640, 1280, Filter::Lanczos3).taps, 6);
        assert_eq!(Axis::new(640, 1280, Filter::Bilinear).taps, 2);
        assert_eq!(Axis::new(1920, 960, Filter::Bilinear).taps, 4);
    }
}
