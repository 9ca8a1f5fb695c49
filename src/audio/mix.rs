//! Channel mapping between [`ChannelLayout`]s with a fixed mixing matrix.
//!
//! | from -> to | rule |
//! | --- | --- |
//! | same layout | copy |
//! | mono -> stereo | `L = R = M` (0 dB, the Web Audio "speakers" up-mix) |
//! | stereo -> mono | `M = (L + R) / 2` (the Web Audio down-mix; cannot clip) |
//! | 5.1 -> stereo | ITU-R BS.775-3 Table 2: `L' = L + 0.7071 C + 0.7071 Ls`, `R' = R + 0.7071 C + 0.7071 Rs`, LFE dropped; then scaled by `1 / (1 + 2 * 0.7071)` (-7.66 dB) |
//! | 5.1 -> mono | the 5.1 -> stereo result, then `(L' + R') / 2` |
//! | anything else | [`MixError::Unsupported`] |
//!
//! The 5.1 down-mix is normalised so that each output's coefficients sum to
//! 1: whatever the input, an output sample is a weighted mean of input
//! samples and cannot exceed the largest of them, so full-scale 5.1 never
//! clips in stereo. The price is level: a sound in the front left channel
//! alone comes out 7.66 dB quieter. Put a gain and the limiter after the
//! mixer ([`crate::audio::AudioConverter`]) to win it back.

use std::fmt;

use super::pcm::{ChannelLayout, Surround51};

/// `1 / sqrt(2)`, the -3 dB centre and surround level of BS.775.
const MINUS_3DB: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// Why two layouts cannot be mapped, or an input does not fit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MixError {
    /// No mapping is defined between these layouts.
    Unsupported {
        /// The source layout.
        from: ChannelLayout,
        /// The target layout.
        to: ChannelLayout,
    },
    /// The input is not a whole number of frames of the source layout.
    PartialFrame {
        /// Number of interleaved samples given (all channels counted).
        samples: usize,
        /// The channel count, which `samples` is not a multiple of.
        channels: usize,
    },
}

impl fmt::Display for MixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MixError::Unsupported { from, to } => write!(f, "no channel mapping from {from} to {to}"),
            MixError::PartialFrame { samples, channels } => {
                write!(f, "mixer input of {samples} samples is not a whole number of {channels}-channel frames")
            }
        }
    }
}

impl std::error::Error for MixError {}

/// Maps frames of one layout to another; see the module documentation for
/// the rules.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelMixer {
    from: ChannelLayout,
    to: ChannelLayout,
    /// `to.channels()` rows of `from.channels()` gains; `None` to copy.
    matrix: Option<Vec<f32>>,
}

impl ChannelMixer {
    /// A mixer from `from` to `to`.
    pub fn new(from: ChannelLayout, to: ChannelLayout) -> Result<ChannelMixer, MixError> {
        use ChannelLayout::{Mono, Stereo, Surround51 as S51};
        let matrix = match (from, to) {
            _ if from == to => None,
            (Mono, Stereo) => Some(vec![1.0, 1.0]),
            (Stereo, Mono) => Some(vec![0.5, 0.5]),
            (S51, Stereo) => Some(surround_to_stereo().concat()),
            (S51, Mono) => {
                let [l, r] = surround_to_stereo();
                Some(l.iter().zip(&r).map(|(a, b)| 0.5 * (a + b)).collect())
            }
            _ => return Err(MixError::Unsupported { from, to }),
        };
        Ok(ChannelMixer { from, to, matrix })
    }

    /// Source layout.
    pub fn from_layout(&self) -> ChannelLayout {
        self.from
    }

    /// Destination layout.
    pub fn to_layout(&self) -> ChannelLayout {
        self.to
    }

    /// The gains, `to` rows of `from` columns in the layouts' channel order;
    /// `None` when the mixer copies.
    pub fn matrix(&self) -> Option<&[f32]> {
        self.matrix.as_deref()
    }

    /// Maps the interleaved frames of `input` and appends them to `out`.
    pub fn process(&self, input: &[f32], out: &mut Vec<f32>) -> Result<(), MixError> {
        let (n_in, n_out) = (self.from.channels(), self.to.channels());
        if input.len() % n_in != 0 {
            return Err(MixError::PartialFrame { samples: input.len(), channels: n_in });
        }
        let Some(m) = &self.matrix else {
            out.extend_from_slice(input);
            return Ok(());
        };
        out.reserve(input.len() / n_in * n_out);
        for frame in input.chunks_exact(n_in) {
            for row in m.chunks_exact(n_in) {
                out.push(row.iter().zip(frame).map(|(g, s)| g * s).sum());
            }
        }
        Ok(())
    }
}

/// BS.775 5.1 -> stereo rows (L', R'), normalised to sum to 1.
fn surround_to_stereo() -> [[f32; 6]; 2] {
    let norm = 1.0 / (1.0 + 2.0 * MINUS_3DB);
    let mut rows = [[0f32; 6]; 2];
    for (row, (front, surround)) in
        rows.iter_mut().zip([(Surround51::L, Surround51::Ls), (Surround51::R, Surround51::Rs)])
    {
        row[front as usize] = norm;
        row[Surround51::C as usize] = MINUS_3DB * norm;
        row[surround as usize] = MINUS_3DB * norm;
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChannelLayout::*;

    fn mix(from: ChannelLayout, to: ChannelLayout, input: &[f32]) -> Vec<f32> {
        let mut out = Vec::new();
        ChannelMixer::new(from, to).unwrap().process(input, &mut out).unwrap();
        out
    }

    #[test]
    fn mono_and_stereo() {
        assert_eq!(mix(Mono, Stereo, &[0.5, -0.25]), [0.5, 0.5, -0.25, -0.25]);
        assert_eq!(mix(Stereo, Mono, &[1.0, 0.0, 0.5, -0.5, -1.0, -1.0]), [0.5, 0.0, -1.0]);
        assert_eq!(mix(Stereo, Stereo, &[0.1, 0.2]), [0.1, 0.2]);
        assert_eq!(mix(Discrete(4), Discrete(4), &[0.1, 0.2, 0.3, 0.4]), [0.1, 0.2, 0.3, 0.4]);
    }

    #[test]
    fn surround_downmix_follows_bs775() {
        // One channel at a time: L, R, C, LFE, Ls, Rs.
        let k = 1.0 / (1.0 + 2.0 * MINUS_3DB);
        let expect = [
            (k, 0.0),
            (0.0, k),
            (MINUS_3DB * k, MINUS_3DB * k),
            (0.0, 0.0),
            (MINUS_3DB * k, 0.0),
            (0.0, MINUS_3DB * k),
        ];
        for (ch, (l, r)) in expect.iter().enumerate() {
            let mut frame = [0.0f32; 6];
            frame[ch] = 1.0;
            let out = mix(Surround51, Stereo, &frame);
            assert!((out[0] - l).abs() < 1e-6 && (out[1] - r).abs() < 1e-6, "channel {ch}: {out:?}");
        }
        // Full scale everywhere (LFE included) stays within full scale.
        let out = mix(Surround51, Stereo, &[1.0; 6]);
        assert!(out.iter().all(|&v| v <= 1.0 + 1e-6 && v > 0.99), "{out:?}");
        let out = mix(Surround51, Mono, &[1.0, -1.0, 1.0, 1.0, 1.0, -1.0]);
        assert!(out[0].abs() < 0.5, "{out:?}");
        let out = mix(Surround51, Mono, &[1.0; 6]);
        assert!((out[0] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn unsupported_and_bad_input() {
        for (from, to) in [
            (Stereo, Surround51),
            (Mono, Surround51),
            (Discrete(4), Stereo),
            (Stereo, Discrete(3)),
            (Discrete(3), Discrete(4)),
        ] {
            let e = ChannelMixer::new(from, to).unwrap_err();
            assert_eq!(e, MixError::Unsupported { from, to });
        }
        assert_eq!(
            ChannelMixer::new(Surround51, Discrete(4)).unwrap_err().to_string(),
            "no channel mapping from 5.1 to 4 discrete channels"
        );
        let e = ChannelMixer::new(Surround51, Stereo).unwrap().process(&[0.0; 7], &mut Vec::new()).unwrap_err();
        assert_eq!(e, MixError::PartialFrame { samples: 7, channels: 6 });
    }
}
