//! Grouped statistics computed in one pass over batches, the way pandas
//! computes them: NaN and missing values skipped, sums compensated (Kahan, as
//! pandas' groupby does), standard deviation with one degree of freedom from
//! merged Welford moments, and medians exact (the mean of the two middle
//! values) by selection over the gathered values of one column at a time.

use polars::prelude::*;

/// The group of a row that belongs to none (a missing key, or a row filtered out).
pub const NO_GROUP: u32 = u32::MAX;

/// The values of a numeric column as f64 (exact for integers up to 2^53).
pub struct Values {
    floats: Float64Chunked,
}

impl Values {
    pub fn of(column: &Column) -> PolarsResult<Values> {
        Ok(Values { floats: column.cast(&DataType::Float64)?.f64()?.clone() })
    }

    /// Calls `f(row, value)` for every present, non-NaN value.
    pub fn each(&self, mut f: impl FnMut(usize, f64)) {
        let mut offset = 0;
        for array in self.floats.downcast_iter() {
            let values = array.values().as_slice();
            match array.validity().filter(|v| v.unset_bits() > 0) {
                None => {
                    for (i, &v) in values.iter().enumerate() {
                        if !v.is_nan() {
                            f(offset + i, v);
                        }
                    }
                }
                Some(validity) => {
                    for (i, (&v, valid)) in values.iter().zip(validity.iter()).enumerate() {
                        if valid && !v.is_nan() {
                            f(offset + i, v);
                        }
                    }
                }
            }
            offset += values.len();
        }
    }
}

/// Count, compensated sum, min, max and Welford moments of one column.
#[derive(Clone, Debug)]
pub struct Moments {
    pub count: u64,
    sum: f64,
    compensation: f64,
    min: f64,
    max: f64,
    mean: f64,
    m2: f64,
}

impl Default for Moments {
    fn default() -> Self {
        Moments {
            count: 0,
            sum: 0.0,
            compensation: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            mean: 0.0,
            m2: 0.0,
        }
    }
}

impl Moments {
    /// Adds the values of one batch to per-group moments: `groups[row]` is the
    /// row's group or [`NO_GROUP`]. Plain sums within a batch (vectorised),
    /// compensated across batches; the second moment (for `std`) from a second
    /// sweep around the batch's own mean, which keeps it exact.
    pub fn accumulate(moments: &mut [Moments], groups: &[u32], values: &Values, with_m2: bool) {
        let n = moments.len();
        let mut batch = vec![Moments::default(); n];
        values.each(|row, v| {
            let g = groups[row];
            if g != NO_GROUP {
                let b = &mut batch[g as usize];
                b.count += 1;
                b.sum += v;
                b.min = b.min.min(v);
                b.max = b.max.max(v);
            }
        });
        for b in &mut batch {
            b.mean = if b.count > 0 { b.sum / b.count as f64 } else { 0.0 };
        }
        if with_m2 {
            values.each(|row, v| {
                let g = groups[row];
                if g != NO_GROUP {
                    let b = &mut batch[g as usize];
                    let d = v - b.mean;
                    b.m2 += d * d;
                }
            });
        }
        for (total, b) in moments.iter_mut().zip(&batch) {
            total.merge(b);
        }
    }

    /// Chan et al.'s merge of two sets of moments.
    pub fn merge(&mut self, other: &Moments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = other.clone();
            return;
        }
        let n = (self.count + other.count) as f64;
        let delta = other.mean - self.mean;
        self.m2 += other.m2 + delta * delta * self.count as f64 * other.count as f64 / n;
        self.mean += delta * other.count as f64 / n;
        self.count += other.count;
        let y = (other.sum - other.compensation) - self.compensation;
        let t = self.sum + y;
        self.compensation = (t - self.sum) - y;
        self.sum = t;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
    pub fn min(&self) -> Option<f64> {
        (self.count > 0).then_some(self.min)
    }
    pub fn max(&self) -> Option<f64> {
        (self.count > 0).then_some(self.max)
    }
    pub fn sum(&self) -> f64 {
        self.sum
    }
    /// Sample standard deviation (ddof 1), as pandas' `std`.
    pub fn std(&self) -> Option<f64> {
        (self.count > 1).then(|| (self.m2 / (self.count - 1) as f64).sqrt())
    }
}

/// The median of `values` (reordered in place): the middle value, or the
/// mean of the two middle values, as pandas computes it.
pub fn median(values: &mut [f64]) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let (below, &mut upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return Some(upper);
    }
    let lower = below.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((lower + upper) / 2.0)
}

/// Rows grouped by a text key: each batch's key column turned into indices
/// into a growing list of keys (a table has only a handful of segments).
#[derive(Default, Clone)]
pub struct Groups {
    pub keys: Vec<String>,
}

impl Groups {
    /// The group of each row of `column`; [`NO_GROUP`] for a missing key
    /// (pandas' groupby leaves those rows out).
    pub fn assign(&mut self, column: &Column) -> PolarsResult<Vec<u32>> {
        let keys = column.str()?;
        let mut last: Option<(&str, u32)> = None;
        let mut out = Vec::with_capacity(keys.len());
        for key in keys.iter() {
            out.push(key.map_or(NO_GROUP, |key| match last {
                Some((k, g)) if k == key => g,
                _ => {
                    let g = match self.keys.iter().position(|k| k == key) {
                        Some(g) => g as u32,
                        None => {
                            self.keys.push(key.to_owned());
                            (self.keys.len() - 1) as u32
                        }
                    };
                    last = Some((key, g));
                    g
                }
            }));
        }
        Ok(out)
    }

    /// The index of `key` in `self`, to rewrite indices found by another reader.
    pub fn index_of(&mut self, key: &str) -> usize {
        match self.keys.iter().position(|k| k == key) {
            Some(g) => g,
            None => {
                self.keys.push(key.to_owned());
                self.keys.len() - 1
            }
        }
    }

    /// Group indices in the order pandas' groupby reports them (sorted keys).
    pub fn sorted(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.keys.len()).collect();
        order.sort_by(|&a, &b| self.keys[a].cmp(&self.keys[b]));
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_as_pandas() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn merged_moments_equal_one_pass() {
        let values: Vec<f64> = (0..1000).map(|i| (i as f64 * 0.37).sin() * 1e4 + 5e3).collect();
        let of = |v: &[f64]| Values { floats: Float64Chunked::from_vec("v".into(), v.to_vec()) };
        let one_group = |n: usize| vec![0u32; n];
        let mut whole = [Moments::default()];
        Moments::accumulate(&mut whole, &one_group(1000), &of(&values), true);
        let whole = &whole[0];
        let mut left = [Moments::default()];
        Moments::accumulate(&mut left, &one_group(317), &of(&values[..317]), true);
        Moments::accumulate(&mut left, &one_group(683), &of(&values[317..]), true);
        let left = &left[0];
        let naive_std = {
            let mean = values.iter().sum::<f64>() / 1000.0;
            (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / 999.0).sqrt()
        };
        assert!((whole.std().unwrap() - naive_std).abs() <= 1e-12 * naive_std);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(1.0);
        assert!(close(left.mean().unwrap(), whole.mean().unwrap()));
        assert!(close(left.std().unwrap(), whole.std().unwrap()));
        assert!(close(left.sum(), whole.sum()));
        assert_eq!(left.count, 1000);
        assert_eq!((left.min(), left.max()), (whole.min(), whole.max()));
    }
}
