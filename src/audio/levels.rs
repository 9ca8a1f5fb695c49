//! Levels: a fixed [`Gain`] in dB and a look-ahead peak [`Limiter`] with a
//! hard ceiling.
//!
//! # The limiter
//! - **Ceiling.** No output sample's magnitude exceeds the ceiling
//!   (default -1 dBFS, [`LimiterOptions::ceiling_db`]). It is a sample-peak
//!   limit; a lossy encoder after it may still reconstruct inter-sample
//!   peaks a little higher, which is what the 1 dB of headroom is for.
//! - **Gain computer.** For each frame the gain that would bring its
//!   loudest channel to the ceiling, `g = min(1, ceiling / peak)`; one gain
//!   for all channels, so the stereo image does not move.
//! - **Attack** = the look-ahead (default 5 ms). The applied gain at frame
//!   `t` is the mean, over the look-ahead window, of the smallest required
//!   gain in the window that follows each frame; the signal is delayed by
//!   the window. The gain therefore falls along a straight ramp that
//!   starts one look-ahead before a peak and reaches the peak's gain
//!   exactly on it. The ramp has no steps, so the limiter adds no clicks.
//! - **Release.** Afterwards the gain returns towards 1 exponentially, with
//!   a time constant of [`LimiterOptions::release_ms`] (default 100 ms; 63%
//!   of the way back after one time constant).
//! - **Latency.** The look-ahead (240 frames at 48 kHz for 5 ms). The
//!   limiter's output stream has the same length as its input: the first
//!   output of [`Limiter::process`] is shorter by the look-ahead and
//!   [`Limiter::flush`] returns the held frames at the end.
//! - A signal that never exceeds the ceiling passes through untouched (the
//!   gain stays exactly 1).

use std::collections::VecDeque;
use std::fmt;

use super::pcm::{SampleRate, MAX_CHANNELS};

/// Why a gain or limiter setting is refused.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LevelsError {
    /// A setting is out of range; `field` names it and `range` says what
    /// is allowed.
    OutOfRange {
        /// The setting, e.g. `gain.db` or `limiter.releaseMs`.
        field: &'static str,
        /// The value given, in the setting's unit (dB, dBFS or ms, as its
        /// name says).
        value: f64,
        /// The values allowed, in words.
        range: &'static str,
    },
    /// The channel count is 0 or above [`MAX_CHANNELS`].
    BadChannels {
        /// The channel count given.
        channels: usize,
    },
    /// The input is not a whole number of frames.
    PartialFrame {
        /// Number of interleaved samples given (all channels counted).
        samples: usize,
        /// The channel count, which `samples` is not a multiple of.
        channels: usize,
    },
}

impl fmt::Display for LevelsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LevelsError::OutOfRange { field, value, range } => write!(f, "{field} must be {range}, got {value}"),
            LevelsError::BadChannels { channels } => {
                write!(f, "limiter channel count must be between 1 and {MAX_CHANNELS}, got {channels}")
            }
            LevelsError::PartialFrame { samples, channels } => {
                write!(f, "limiter input of {samples} samples is not a whole number of {channels}-channel frames")
            }
        }
    }
}

impl std::error::Error for LevelsError {}

fn check(field: &'static str, value: f64, min: f64, max: f64, range: &'static str) -> Result<f64, LevelsError> {
    if value.is_finite() && (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(LevelsError::OutOfRange { field, value, range })
    }
}

/// `10^(db / 20)`.
pub fn db_to_linear(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// A fixed gain, -60 to +40 dB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gain {
    db: f64,
    factor: f32,
}

impl Gain {
    /// Unity gain.
    pub const UNITY: Gain = Gain { db: 0.0, factor: 1.0 };

    /// A gain of `db` decibels (-60 to +40).
    pub fn from_db(db: f64) -> Result<Gain, LevelsError> {
        let db = check("gain.db", db, -60.0, 40.0, "between -60 and 40 dB")?;
        Ok(Gain { db, factor: db_to_linear(db) as f32 })
    }

    /// The gain in dB.
    pub fn db(self) -> f64 {
        self.db
    }

    /// The linear factor.
    pub fn factor(self) -> f32 {
        self.factor
    }

    /// Multiplies every sample by the factor (nothing to do at unity).
    pub fn apply(self, samples: &mut [f32]) {
        if self.factor != 1.0 {
            samples.iter_mut().for_each(|s| *s *= self.factor);
        }
    }
}

/// Limiter settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimiterOptions {
    /// Largest output magnitude in dBFS, -20 to 0. Default -1.
    pub ceiling_db: f64,
    /// Look-ahead, which is also the attack time, in ms, 0.5 to 20.
    /// Default 5.
    pub lookahead_ms: f64,
    /// Release time constant in ms, 1 to 2000. Default 100.
    pub release_ms: f64,
}

impl Default for LimiterOptions {
    fn default() -> Self {
        LimiterOptions { ceiling_db: -1.0, lookahead_ms: 5.0, release_ms: 100.0 }
    }
}

impl LimiterOptions {
    /// Checks every field against its range.
    pub fn validate(&self) -> Result<(), LevelsError> {
        check("limiter.ceilingDb", self.ceiling_db, -20.0, 0.0, "between -20 and 0 dBFS")?;
        check("limiter.lookaheadMs", self.lookahead_ms, 0.5, 20.0, "between 0.5 and 20 ms")?;
        check("limiter.releaseMs", self.release_ms, 1.0, 2000.0, "between 1 and 2000 ms")?;
        Ok(())
    }
}

/// A streaming look-ahead peak limiter for interleaved `f32` frames; see
/// the module documentation.
#[derive(Debug, Clone)]
pub struct Limiter {
    channels: usize,
    ceiling: f32,
    /// Look-ahead in frames (at least 1).
    window: usize,
    /// Per-frame release factor: `1 - g` shrinks by this each frame.
    release: f32,
    /// Delayed input frames (interleaved), `window` frames once primed.
    delay: VecDeque<f32>,
    /// Required gains of the frames in the look-ahead, as a monotonic
    /// queue of `(frame index, gain)` with increasing gains.
    minima: VecDeque<(u64, f32)>,
    /// The last `window` values of the released minimum, and their sum.
    ramp: VecDeque<f32>,
    ramp_sum: f64,
    /// The released minimum for the previous frame.
    held: f32,
    /// Frames received.
    frames_in: u64,
}

impl Limiter {
    /// A limiter for `channels` channels at `rate`.
    pub fn new(options: &LimiterOptions, rate: SampleRate, channels: usize) -> Result<Limiter, LevelsError> {
        options.validate()?;
        if channels == 0 || channels > MAX_CHANNELS {
            return Err(LevelsError::BadChannels { channels });
        }
        let hz = f64::from(rate.hz());
        let window = ((options.lookahead_ms * hz / 1000.0).round() as usize).max(1);
        let release = (-1000.0 / (options.release_ms * hz)).exp() as f32;
        let mut l = Limiter {
            channels,
            ceiling: db_to_linear(options.ceiling_db) as f32,
            window,
            release,
            delay: VecDeque::new(),
            minima: VecDeque::new(),
            ramp: VecDeque::new(),
            ramp_sum: 0.0,
            held: 1.0,
            frames_in: 0,
        };
        l.reset();
        Ok(l)
    }

    /// Frames by which the output trails the input.
    pub fn latency(&self) -> usize {
        self.window
    }

    /// The ceiling as a linear magnitude.
    pub fn ceiling(&self) -> f32 {
        self.ceiling
    }

    /// Forgets the stream.
    pub fn reset(&mut self) {
        self.delay.clear();
        self.minima.clear();
        self.ramp.clear();
        self.ramp.extend(std::iter::repeat_n(1.0, self.window));
        self.ramp_sum = self.window as f64;
        self.held = 1.0;
        self.frames_in = 0;
    }

    /// Limits `input` (the next frames of the stream) and appends the
    /// frames that leave the delay line to `out`.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<(), LevelsError> {
        if input.len() % self.channels != 0 {
            return Err(LevelsError::PartialFrame { samples: input.len(), channels: self.channels });
        }
        for frame in input.chunks_exact(self.channels) {
            self.push(frame, out);
        }
        Ok(())
    }

    /// Ends the stream: pushes silence through the look-ahead so every
    /// held frame comes out, appends them to `out`, and resets.
    pub fn flush(&mut self, out: &mut Vec<f32>) {
        let silence = [0f32; MAX_CHANNELS];
        let held = self.delay.len() / self.channels;
        let done = out.len() + held * self.channels;
        while out.len() < done {
            self.push(&silence[..self.channels], out);
        }
        self.reset();
    }

    /// One frame in; one frame out once the delay line is full.
    fn push(&mut self, frame: &[f32], out: &mut Vec<f32>) {
        let peak = frame.iter().fold(0f32, |m, s| m.max(s.abs()));
        let needed = if peak > self.ceiling { self.ceiling / peak } else { 1.0 };
        let t = self.frames_in;
        self.frames_in += 1;
        while self.minima.back().is_some_and(|&(_, g)| g >= needed) {
            self.minima.pop_back();
        }
        self.minima.push_back((t, needed));
        self.delay.extend(frame.iter().copied());
        if self.delay.len() / self.channels <= self.window {
            return;
        }
        // The frame leaving the delay line is `t - window`; the minimum
        // over the required gains of frames `t - window ..= t`.
        let leaving = t - self.window as u64;
        while self.minima.front().is_some_and(|&(i, _)| i < leaving) {
            self.minima.pop_front();
        }
        let lowest = self.minima.front().map_or(1.0, |&(_, g)| g);
        let released = 1.0 - (1.0 - self.held) * self.release;
        self.held = lowest.min(released);
        // Mean over the last `window` held minima: a ramp into each peak.
        self.ramp_sum += f64::from(self.held) - f64::from(self.ramp.pop_front().unwrap_or(1.0));
        self.ramp.push_back(self.held);
        let gain = ((self.ramp_sum / self.window as f64) as f32).min(1.0);
        for _ in 0..self.channels {
            let s = self.delay.pop_front().unwrap_or(0.0) * gain;
            // The ramp guarantees the ceiling up to rounding; the clamp
            // removes the rounding.
            out.push(s.clamp(-self.ceiling, self.ceiling));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(options: &LimiterOptions, channels: usize, input: &[f32], chunk: usize) -> Vec<f32> {
        let mut l = Limiter::new(options, SampleRate::HZ_48000, channels).unwrap();
        let mut out = Vec::new();
        for c in input.chunks(chunk * channels) {
            l.process(c, &mut out).unwrap();
        }
        l.flush(&mut out);
        out
    }

    #[test]
    fn gain_in_db() {
        let mut s = [0.5f32, -0.25];
        Gain::from_db(6.0206).unwrap().apply(&mut s);
        assert!((s[0] - 1.0).abs() < 1e-4 && (s[1] + 0.5).abs() < 1e-4, "{s:?}");
        assert_eq!(Gain::from_db(0.0).unwrap().factor(), 1.0);
        let e = Gain::from_db(f64::NAN).unwrap_err();
        assert!(matches!(e, LevelsError::OutOfRange { field: "gain.db", .. }));
        assert!(Gain::from_db(41.0).unwrap_err().to_string().starts_with("gain.db must be between -60 and 40 dB"));
    }

    #[test]
    fn quiet_signals_pass_untouched_with_the_latency_compensated() {
        let input: Vec<f32> = (0..5000).map(|i| 0.8 * ((i as f32) * 0.05).sin()).collect();
        let out = limit(&LimiterOptions::default(), 1, &input, 333);
        assert_eq!(out, input);
    }

    /// A loud sine burst: nothing above the ceiling, the level inside the
    /// burst at the ceiling, and the gain changes smoothly (no step larger
    /// than a ramp over the look-ahead allows).
    #[test]
    fn loud_burst_is_held_under_the_ceiling_without_steps() {
        let opts = LimiterOptions::default();
        let ceiling = db_to_linear(opts.ceiling_db) as f32;
        let n = 60_000;
        let env = |i: usize| if (12_000..36_000).contains(&i) { 4.0f32 } else { 0.5 };
        let input: Vec<f32> = (0..n)
            .flat_map(|i| {
                let s = env(i) * (i as f32 * 2.0 * std::f32::consts::PI * 440.0 / 48_000.0).sin();
                [s, -0.5 * s]
            })
            .collect();
        let out = limit(&opts, 2, &input, 1000);
        assert_eq!(out.len(), input.len());
        assert!(out.iter().all(|s| s.abs() <= ceiling), "ceiling exceeded");
        // Inside the burst the peak sits at the ceiling.
        let peak = out[2 * 20_000..2 * 30_000].iter().fold(0f32, |m, s| m.max(s.abs()));
        assert!(peak > 0.99 * ceiling, "peak {peak}");
        // The applied gain (output over input, where the input is not tiny)
        // never jumps: between neighbouring frames it changes by less than
        // a full swing spread over the 240-frame look-ahead.
        let gains: Vec<(usize, f32)> =
            (0..n).filter(|&i| input[2 * i].abs() > 0.05).map(|i| (i, out[2 * i] / input[2 * i])).collect();
        for w in gains.windows(2) {
            let ((i, a), (j, b)) = (w[0], w[1]);
            if j == i + 1 {
                assert!((a - b).abs() < 1.0 / 240.0 + 1e-3, "gain step {a} -> {b} at frame {j}");
            }
        }
        // The channels keep their ratio (one gain for both).
        for i in (0..n).step_by(97) {
            let (l, r) = (out[2 * i], out[2 * i + 1]);
            assert!((r + 0.5 * l).abs() < 1e-5, "frame {i}: {l} {r}");
        }
        // Release (100 ms time constant): 300 ms after the burst the gain is
        // back to within 5% of 1, and it was still below 80% 50 ms after.
        let gain_near =
            |at: usize| gains.iter().find(|&&(i, _)| i >= at && input[2 * i].abs() > 0.3).map(|&(_, g)| g).unwrap();
        assert!((gain_near(36_000 + 14_400) - 1.0).abs() < 0.05);
        assert!(gain_near(36_000 + 2_400) < 0.8);
    }

    /// A single full-scale spike: the gain ramps down before it (the
    /// look-ahead) so the spike itself lands on the ceiling.
    #[test]
    fn spike_is_caught_by_the_lookahead() {
        let mut input = vec![0.1f32; 2000];
        input[1000] = 1.0;
        let opts = LimiterOptions { ceiling_db: -6.0, release_ms: 5.0, ..LimiterOptions::default() };
        let out = limit(&opts, 1, &input, 7);
        let ceiling = db_to_linear(-6.0) as f32;
        assert!((out[1000] - ceiling).abs() < 1e-4, "{}", out[1000]);
        assert_eq!(out[1000 - 241], 0.1, "untouched until one look-ahead before");
        assert!(out[1000 - 240] < 0.1, "the gain starts falling one look-ahead before");
        assert!(
            (out[1000 - 120] - 0.1 * (1.0 - (1.0 - ceiling) * 121.0 / 240.0)).abs() < 1e-4,
            "halfway down the ramp: {}",
            out[880]
        );
        assert!(out[1100] < 0.1 && out[1999] > 0.095, "released by the end");
    }

    #[test]
    fn options_are_checked() {
        let bad = LimiterOptions { lookahead_ms: 50.0, ..LimiterOptions::default() };
        let e = Limiter::new(&bad, SampleRate::HZ_48000, 2).unwrap_err();
        assert_eq!(e.to_string(), "limiter.lookaheadMs must be between 0.5 and 20 ms, got 50");
        assert!(Limiter::new(&LimiterOptions::default(), SampleRate::HZ_48000, 0).is_err());
        let mut l = Limiter::new(&LimiterOptions::default(), SampleRate::HZ_48000, 2).unwrap();
        assert_eq!(
            l.process(&[0.0; 3], &mut Vec::new()).unwrap_err(),
            LevelsError::PartialFrame { samples: 3, channels: 2 }
        );
    }
}
