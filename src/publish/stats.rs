//! Rolling percentiles for publisher stats (encode time, latency).

use std::collections::VecDeque;

/// The last `capacity` values of a measurement, with percentiles over them.
#[derive(Debug, Clone)]
pub struct Percentiles {
    values: VecDeque<f64>,
    capacity: usize,
}

impl Percentiles {
    /// Keeps the last `capacity` values (at least 1).
    pub fn new(capacity: usize) -> Self {
        Percentiles { values: VecDeque::with_capacity(capacity.max(1)), capacity: capacity.max(1) }
    }

    /// Adds a value; the oldest goes when full. NaN is ignored.
    pub fn push(&mut self, value: f64) {
        if value.is_nan() {
            return;
        }
        if self.values.len() == self.capacity {
            self.values.pop_front();
        }
        self.values.push_back(value);
    }

    /// Values held.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// No values yet.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The `p`-th percentile (0 to 100), nearest-rank; `None` when empty.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        if self.values.is_empty() {
            return None;
        }
        let mut sorted: Vec<f64> = self.values.iter().copied().collect();
        sorted.sort_by(|a, b| a.total_cmp(b));
        let rank = ((p.clamp(0.0, 100.0) / 100.0) * sorted.len() as f64).ceil() as usize;
        Some(sorted[rank.saturating_sub(1).min(sorted.len() - 1)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_over_the_window() {
        let mut p = Percentiles::new(100);
        assert_eq!(p.percentile(50.0), None);
        for v in 1..=100 {
            p.push(f64::from(v));
        }
        assert_eq!(p.percentile(50.0), Some(50.0));
        assert_eq!(p.percentile(95.0), Some(95.0));
        assert_eq!(p.percentile(0.0), Some(1.0));
        assert_eq!(p.percentile(100.0), Some(100.0));
        p.push(1000.0);
        p.push(f64::NAN);
        assert_eq!(p.len(), 100);
        assert_eq!(p.percentile(0.0), Some(2.0), "the oldest went");
        assert_eq!(p.percentile(100.0), Some(1000.0));
    }
}
