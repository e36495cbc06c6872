//! Tasks 3 and 4 on task 2's recipe over task 1's stored table, in Rust: one
//! pass reads the four stored columns, computes the segment, HighSpender and
//! AverageTimeBetweenPurchases row by row exactly as task 2's expressions do,
//! and accumulates each segment's statistics; medians take a second pass.
//!
//! Statistics as pandas computes them: NaN and missing values skipped, sums
//! compensated across batches, the standard deviation with one degree of
//! freedom from merged moments, and exact medians (the mean of the two middle
//! values) found by a radix histogram of the values' bits, then a selection
//! among the few values in the median's bucket, so memory stays small.

use polars::prelude::*;

use super::medians::{self, bucket, Tally, Target, Window, BUCKET_BITS};
use super::rows::{fill_rows, Rows};
pub use super::rows::{HIGH, LOW, MEASURES, STORED};
use super::scored::{Segmentation, PARTIALS_VERSION};
use crate::native::partials::{per_part, Bytes, Codec, Reader};
use crate::native::StoredTable;
use crate::native::{Result, TaskError};

/// Count, sum, extremes and second moment of one measure in one segment.
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
    /// Adds a batch's moments (Chan et al.; the sums Kahan-compensated).
    fn merge(&mut self, other: &Moments) {
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
        if t.is_finite() {
            self.compensation = (t - self.sum) - y;
            self.sum = t;
        } else {
            // An infinite sum stays infinite (pandas' mean is then inf): compensating
            // it would subtract inf from inf.
            self.sum += other.sum;
            self.compensation = 0.0;
        }
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
    pub fn std(&self) -> Option<f64> {
        (self.count > 1).then(|| (self.m2 / (self.count - 1) as f64).sqrt())
    }
}

/// Histogram slots of one measure: a bucket per segment, then one for NaN,
/// so that a value's slot is computed without a branch.
const SLOTS: usize = (2 << BUCKET_BITS) + 1;
const NAN_SLOT: usize = 2 << BUCKET_BITS;

fn slot_of(v: f64, segment: u8) -> usize {
    if v.is_nan() {
        NAN_SLOT
    } else {
        ((segment as usize) << BUCKET_BITS) | bucket(v)
    }
}

/// What one reader's batches add up to.
#[derive(Default)]
struct Share {
    rows: [u64; 2],
    moments: [[Moments; MEASURES]; 2],
    high_spenders: [i64; 2],
    /// Per measure whose median is wanted, counts per slot.
    tallies: [Tally; MEASURES],
    /// Per measure and segment, each reader's window (medians.rs).
    windows: [[Vec<Window>; 2]; MEASURES],
    scratch: Rows,
}

impl Share {
    fn add(&mut self, other: Share) {
        for s in 0..2 {
            self.rows[s] += other.rows[s];
            self.high_spenders[s] += other.high_spenders[s];
            for m in 0..MEASURES {
                self.moments[s][m].merge(&other.moments[s][m]);
            }
        }
        for (mine, theirs) in self.windows.iter_mut().zip(other.windows) {
            for (mine, theirs) in mine.iter_mut().zip(theirs) {
                mine.extend(theirs);
            }
        }
        for (mine, theirs) in self.tallies.iter_mut().zip(other.tallies) {
            mine.add(theirs);
        }
    }
}

/// What a pass computes besides the counts.
#[derive(Clone, Copy)]
struct Wanted<'a> {
    /// Which measures (index into the five) and segments to find medians of.
    medians: &'a [(usize, usize)],
    /// Which measures' moments to accumulate.
    moments: &'a [usize],
    m2: bool,
}

/// Independent accumulators for consecutive rows: one set would make every
/// addition wait for the previous one (the segments interleave).
const LANES: usize = 4;

/// One batch's moments of one measure, per segment: sums in `LANES`
/// interleaved accumulators, the second moment around the batch's own mean.
fn batch_moments(values: &[f64], segment: &[u8], with_m2: bool) -> [Moments; 2] {
    let mut lanes: [[Moments; 2]; LANES] = Default::default();
    for (v, s) in values.chunks(LANES).zip(segment.chunks(LANES)) {
        for lane in 0..v.len() {
            if !v[lane].is_nan() {
                let b = &mut lanes[lane][s[lane] as usize];
                b.count += 1;
                b.sum += v[lane];
                b.min = b.min.min(v[lane]);
                b.max = b.max.max(v[lane]);
            }
        }
    }
    let mut batch: [Moments; 2] = Default::default();
    for lane in &lanes {
        for (b, l) in batch.iter_mut().zip(lane) {
            b.count += l.count;
            b.sum += l.sum;
            b.min = b.min.min(l.min);
            b.max = b.max.max(l.max);
        }
    }
    for b in &mut batch {
        b.mean = if b.count > 0 { b.sum / b.count as f64 } else { 0.0 };
    }
    if with_m2 {
        let means = [batch[0].mean, batch[1].mean];
        let mut m2 = [[0.0f64; 2]; LANES];
        for (v, s) in values.chunks(LANES).zip(segment.chunks(LANES)) {
            for lane in 0..v.len() {
                if !v[lane].is_nan() {
                    let d = v[lane] - means[s[lane] as usize];
                    m2[lane][s[lane] as usize] += d * d;
                }
            }
        }
        for lane in &m2 {
            batch[0].m2 += lane[0];
            batch[1].m2 += lane[1];
        }
    }
    batch
}

/// Adds a batch's values to a measure's histogram (both segments at once).
fn count_buckets(counts: &mut [u32], values: &[f64], segment: &[u8]) {
    for (&v, &s) in values.iter().zip(segment) {
        counts[slot_of(v, s)] += 1;
    }
}

/// `count_buckets`, and each segment's window counts the values in its
/// buckets, in the same sweep.
fn count_buckets_and_windows(counts: &mut [u32], values: &[f64], segment: &[u8], windows: [Option<&mut Window>; 2]) {
    let firsts = [0, 1].map(|s| windows[s].as_ref().map_or(usize::MAX, |w| w.first()));
    let [mut high, mut low] = windows;
    for (&v, &s) in values.iter().zip(segment) {
        let slot = slot_of(v, s);
        counts[slot] += 1;
        let at = (slot & ((1 << BUCKET_BITS) - 1)).wrapping_sub(firsts[usize::from(s & 1)]);
        if at < Window::SPAN && slot != NAN_SLOT {
            // (A segment without a window matches here only through wrap-around.)
            if let Some(window) = if s == HIGH as u8 { high.as_deref_mut() } else { low.as_deref_mut() } {
                window.add(at, medians::order_key(v));
            }
        }
    }
}

/// The reader's window of a segment, if it has one that can count `rows` more.
fn open(windows: &mut [Window], rows: u64) -> Option<&mut Window> {
    windows.first_mut().filter(|w| w.first() != usize::MAX).and_then(|w| w.make_room(rows).then_some(w))
}

/// The measures whose keys a pass counts, for medians.
fn counted_measures(wanted: &Wanted) -> [bool; MEASURES] {
    let mut counted = [false; MEASURES];
    for &(m, _) in wanted.medians {
        counted[m] = true;
    }
    counted
}

/// The first pass: over each partition of a partitioned table (remembered
/// ones taken as they were), else over the table.
fn pass(task: &'static str, table: &StoredTable, seg: Segmentation, wanted: Wanted) -> Result<Share> {
    let question = format!(
        "segments pass {PARTIALS_VERSION} with windows: thresholds {:?}; medians {:?}; moments {:?}; m2 {}",
        seg.thresholds(),
        wanted.medians,
        wanted.moments,
        wanted.m2
    );
    let of_part = |part: &StoredTable, _: &[usize]| -> Result<Vec<Share>> {
        // One reader: the partition's windows are those of its first batch, whoever reads it.
        let mut share = pass_over(task, part, seg, wanted, 1)?;
        share.scratch = Rows::default();
        Ok(vec![share])
    };
    let codec = Codec { encode: encode_share, decode: decode_share };
    let mut total = Share::default();
    if per_part(table, &[question], &of_part, &codec, &mut |shares| shares.into_iter().for_each(|s| total.add(s)))? {
        total.tallies.iter_mut().for_each(Tally::fold);
        return Ok(total);
    }
    pass_over(task, table, seg, wanted, rayon::current_num_threads().clamp(1, 4))
}

fn encode_share(share: &Share) -> Vec<u8> {
    let mut bytes = Bytes::default();
    bytes.u64(share.rows[0]).u64(share.rows[1]);
    bytes.u64(share.high_spenders[0] as u64).u64(share.high_spenders[1] as u64);
    for m in share.moments.iter().flatten() {
        bytes.u64(m.count).f64(m.sum).f64(m.compensation).f64(m.min).f64(m.max).f64(m.mean).f64(m.m2);
    }
    for tally in &share.tallies {
        bytes.sparse(tally.totals());
    }
    for windows in share.windows.iter().flatten() {
        bytes.u64(windows.len() as u64);
        windows.iter().for_each(|w| w.encode(&mut bytes));
    }
    bytes.0
}

fn decode_share(bytes: &[u8]) -> Option<Share> {
    let mut r = Reader(bytes);
    let mut share =
        Share { rows: [r.u64()?, r.u64()?], high_spenders: [r.u64()? as i64, r.u64()? as i64], ..Default::default() };
    for m in share.moments.iter_mut().flatten() {
        *m = Moments {
            count: r.u64()?,
            sum: r.f64()?,
            compensation: r.f64()?,
            min: r.f64()?,
            max: r.f64()?,
            mean: r.f64()?,
            m2: r.f64()?,
        };
    }
    for tally in &mut share.tallies {
        *tally = Tally::from_totals(r.sparse()?);
    }
    for windows in share.windows.iter_mut().flatten() {
        let count = r.u64()?;
        // One reader per partition: a window per measure and segment at most.
        if count > 1 {
            return None;
        }
        for _ in 0..count {
            windows.push(Window::decode(&mut r)?);
        }
    }
    r.done().then_some(share)
}

fn pass_over(
    task: &'static str,
    table: &StoredTable,
    seg: Segmentation,
    wanted: Wanted,
    threads: usize,
) -> Result<Share> {
    let histogram = counted_measures(&wanted);
    // Task 4 reads only scores and amounts.
    let all = wanted.moments.iter().chain(wanted.medians.iter().map(|(m, _)| m)).any(|&m| m >= 2);
    let shares: Vec<std::sync::Mutex<Share>> = (0..threads).map(|_| Default::default()).collect();
    table.for_each_block(task, threads, |reader, df| {
        let mut share = shares[reader].lock().unwrap_or_else(|p| p.into_inner());
        let share = &mut *share;
        let mut rows = std::mem::take(&mut share.scratch);
        fill_rows(task, &df, seg, all, &mut rows)?;
        let high = rows.segment.iter().filter(|&&s| s == HIGH as u8).count();
        share.rows[HIGH] += high as u64;
        share.rows[LOW] += (rows.segment.len() - high) as u64;
        let spenders = rows.high_spender.iter().filter(|&&h| h).count();
        let high_spenders =
            rows.high_spender.iter().zip(&rows.segment).filter(|(&h, &s)| h & (s == HIGH as u8)).count();
        share.high_spenders[HIGH] += high_spenders as i64;
        share.high_spenders[LOW] += (spenders - high_spenders) as i64;
        for &m in wanted.moments {
            let batch = batch_moments(&rows.measures[m], &rows.segment, wanted.m2);
            for (s, b) in batch.iter().enumerate() {
                share.moments[s][m].merge(b);
            }
        }
        let batch = rows.segment.len() as u64;
        for (m, _) in histogram.iter().enumerate().filter(|(_, h)| **h) {
            let (counts, windows, values) =
                (share.tallies[m].counts(SLOTS, batch), &mut share.windows[m], &rows.measures[m]);
            let wants = |s: usize| wanted.medians.contains(&(m, s));
            if (0..2).any(|s| wants(s) && windows[s].is_empty()) {
                // The reader's first batch: windows where its medians fall.
                count_buckets(counts, values, &rows.segment);
                for s in (0..2).filter(|&s| wants(s)) {
                    let mut window = Window::around_median(&counts[s << BUCKET_BITS..(s + 1) << BUCKET_BITS]);
                    window.count(values, &rows.segment, s as u8);
                    windows[s].push(window);
                }
                continue;
            }
            let [high, low] = windows;
            count_buckets_and_windows(counts, values, &rows.segment, [open(high, batch), open(low, batch)]);
        }
        share.scratch = rows;
        Ok(())
    })?;
    let mut shares = shares.into_iter().map(|s| s.into_inner().unwrap_or_else(|p| p.into_inner()));
    let mut total = shares.next().expect("one reader at least");
    for share in shares {
        total.add(share);
    }
    total.tallies.iter_mut().for_each(Tally::fold);
    Ok(total)
}

/// What the last pass over a stored table found, for the next task that reads
/// the same table with the same segmentation: task 4 runs right after task 3,
/// and when task 3's metric is the median, every number task 4 needs is
/// among what task 3 found. Stored tables never change (content-addressed),
/// and each number is exact or computed by the same code in the same order,
/// so a number taken from here is the one a new pass would compute.
struct Found {
    table: Vec<std::path::PathBuf>,
    thresholds: [u64; 2],
    rows: [u64; 2],
    high_spenders: [i64; 2],
    moments: [[Moments; MEASURES]; 2],
    /// Which measures' moments were accumulated, and with the second moment.
    measured: Vec<usize>,
    m2: bool,
    medians: Vec<((usize, usize), Option<f64>)>,
}

/// The last few passes' findings, newest last (scenarios submitted side by
/// side each keep theirs).
static LAST_FOUND: std::sync::Mutex<Vec<Found>> = std::sync::Mutex::new(Vec::new());
const KEPT: usize = 4;

/// Forgets the last passes' findings (tests of what is remembered on disk).
#[cfg(test)]
pub fn forget_found() {
    LAST_FOUND.lock().unwrap_or_else(|p| p.into_inner()).clear();
}

/// The share and medians asked for, if one of the last passes found them all.
fn found_before(table: &StoredTable, seg: Segmentation, wanted: Wanted) -> Option<(Share, Vec<Option<f64>>)> {
    let last = LAST_FOUND.lock().unwrap_or_else(|p| p.into_inner());
    let same_question = |f: &&Found| f.table == table.paths && f.thresholds == seg.thresholds();
    last.iter().rev().filter(same_question).find_map(|found| {
        if !wanted.moments.iter().all(|m| found.measured.contains(m)) || (wanted.m2 && !found.m2) {
            return None;
        }
        let medians = wanted
            .medians
            .iter()
            .map(|pair| found.medians.iter().find(|(p, _)| p == pair).map(|(_, v)| *v))
            .collect::<Option<Vec<_>>>()?;
        let share = Share {
            rows: found.rows,
            high_spenders: found.high_spenders,
            moments: found.moments.clone(),
            ..Default::default()
        };
        Some((share, medians))
    })
}

fn remember(table: &StoredTable, seg: Segmentation, wanted: Wanted, share: &Share, medians: &[Option<f64>]) {
    let mut last = LAST_FOUND.lock().unwrap_or_else(|p| p.into_inner());
    if last.len() == KEPT {
        last.remove(0);
    }
    last.push(Found {
        table: table.paths.clone(),
        thresholds: seg.thresholds(),
        rows: share.rows,
        high_spenders: share.high_spenders,
        moments: share.moments.clone(),
        measured: wanted.moments.to_vec(),
        m2: wanted.m2,
        medians: wanted.medians.iter().copied().zip(medians.iter().copied()).collect(),
    });
}

/// A first pass with histograms of `medians` (and moments when asked), then
/// the medians found from them (medians.rs): (the first pass's share, the
/// medians). Served without reading the table when the last pass found them.
fn with_medians(
    task: &'static str,
    table: &StoredTable,
    seg: Segmentation,
    medians: &[(usize, usize)],
    moments: &[usize],
    m2: bool,
) -> Result<(Share, Vec<Option<f64>>)> {
    let wanted = Wanted { medians, moments, m2 };
    if let Some(found) = found_before(table, seg, wanted) {
        return Ok(found);
    }
    let (counted, found) = pass_and_find(task, table, seg, wanted)?;
    remember(table, seg, wanted, &counted, &found);
    Ok((counted, found))
}

fn pass_and_find(
    task: &'static str,
    table: &StoredTable,
    seg: Segmentation,
    wanted: Wanted,
) -> Result<(Share, Vec<Option<f64>>)> {
    let medians = wanted.medians;
    let counted = pass(task, table, seg, wanted)?;
    // Per median: its targets' places (none when the segment has no value).
    let mut targets = Vec::new();
    let mut places = Vec::new();
    for &(m, s) in medians {
        let segment_buckets = s << BUCKET_BITS..(s + 1) << BUCKET_BITS;
        // Empty when the table has no rows.
        let histogram = counted.tallies[m].totals().get(segment_buckets).unwrap_or(&[]);
        let n: u64 = histogram.iter().sum();
        if n == 0 {
            places.push(None);
            continue;
        }
        // pandas' median: the mean of the two middle values (one when n is odd).
        let (lower, upper) = ((n - 1) / 2, n / 2);
        for rank in if upper != lower { vec![lower, upper] } else { vec![lower] } {
            let mut target = Target::new(m, s, histogram, rank);
            target.narrow_with(&counted.windows[m][s]);
            targets.push(target);
        }
        places.push(Some((targets.len() - 1 - usize::from(upper != lower), targets.len() - 1)));
    }
    medians::find(task, table, seg, &mut targets)?;
    let value = |i: usize| targets[i].found.expect("found");
    let found =
        places.into_iter().map(|place| place.map(|(lower, upper)| (value(lower) + value(upper)) / 2.0)).collect();
    Ok((counted, found))
}

/// Task 3's table: per segment present, the metric of each measure and the
/// number of high spenders. `ints` says which measures are integer columns.
pub fn segment_analysis(
    task: &'static str,
    table: &StoredTable,
    seg: Segmentation,
    metric: &str,
    ints: [bool; MEASURES],
) -> Result<DataFrame> {
    let pairs: Vec<(usize, usize)> =
        if metric == "median" { (0..MEASURES).flat_map(|m| [(m, HIGH), (m, LOW)]).collect() } else { Vec::new() };
    let (total, medians) = with_medians(task, table, seg, &pairs, &[0, 1, 2, 3, 4], metric == "std")?;
    let present: Vec<usize> = [HIGH, LOW].into_iter().filter(|&s| total.rows[s] > 0).collect();
    let err = |source| TaskError::Polars { task, source };
    let names = ["High Value", "Low Value"];
    let mut columns = vec![Column::new("ValueSegment".into(), present.iter().map(|&s| names[s]).collect::<Vec<_>>())];
    let measure_names = [STORED[0], STORED[1], STORED[2], STORED[3], "AverageTimeBetweenPurchases"];
    for (m, &name) in measure_names.iter().enumerate() {
        if m == 4 {
            let spenders: Vec<i64> = present.iter().map(|&s| total.high_spenders[s]).collect();
            columns.push(Column::new("HighSpender".into(), spenders));
        }
        let of = |f: &dyn Fn(&Moments) -> Option<f64>| -> Vec<Option<f64>> {
            present.iter().map(|&s| f(&total.moments[s][m])).collect()
        };
        let column = match metric {
            "mean" => Column::new(name.into(), of(&Moments::mean)),
            "median" => Column::new(name.into(), present.iter().map(|&s| medians[m * 2 + s]).collect::<Vec<_>>()),
            "std" => Column::new(name.into(), of(&Moments::std)),
            "count" => {
                let counts: Vec<i64> = present.iter().map(|&s| total.moments[s][m].count as i64).collect();
                Column::new(name.into(), counts)
            }
            "sum" => Column::new(name.into(), of(&|mo| Some(mo.sum()))),
            "min" => Column::new(name.into(), of(&Moments::min)),
            _ => Column::new(name.into(), of(&Moments::max)),
        };
        let keeps_int = ints[m] && matches!(metric, "sum" | "min" | "max");
        columns.push(if keeps_int { column.cast(&DataType::Int64).map_err(err)? } else { column });
    }
    DataFrame::new(present.len(), columns).map_err(err)
}

/// Task 4's numbers: (High Value rows, the statistic of their amounts, the
/// median of their scores).
pub fn high_value_summary(
    task: &'static str,
    table: &StoredTable,
    seg: Segmentation,
    statistic: &str,
) -> Result<(u64, Option<f64>, Option<f64>)> {
    let (amount, score) = ((1, HIGH), (0, HIGH));
    let wanted: &[(usize, usize)] = if statistic == "median" { &[score, amount] } else { &[score] };
    let amounts_only: &[usize] = if statistic == "median" { &[] } else { &[1] };
    let (total, medians) = with_medians(task, table, seg, wanted, amounts_only, false)?;
    let amounts = &total.moments[HIGH][1];
    let value = match statistic {
        "median" => medians[1],
        "mean" => amounts.mean(),
        "max" => amounts.max(),
        _ => amounts.min(),
    };
    Ok((total.rows[HIGH], value, medians[0]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::Table;

    #[test]
    fn an_infinite_value_makes_the_sum_and_the_mean_infinite_as_in_pandas() {
        let segment = [0u8; 2];
        let batches =
            [batch_moments(&[1.0, f64::INFINITY], &segment, true), batch_moments(&[2.0, 3.0], &segment, true)];
        let mut total = Moments::default();
        for batch in batches.iter().chain(&batches) {
            total.merge(&batch[0]);
        }
        assert_eq!((total.sum(), total.mean()), (f64::INFINITY, Some(f64::INFINITY)));
        assert!(total.std().unwrap().is_nan(), "pandas' std of an inf is NaN");
    }

    #[test]
    fn histograms_count_each_segment_apart_and_skip_nan() {
        let mut share = Share::default();
        count_buckets(share.tallies[1].counts(SLOTS, 4), &[1.0, 1.0, f64::NAN, 1.0], &[0, 1, 0, 0]);
        share.tallies[1].fold();
        assert!(share.tallies[1].counts(SLOTS, 0).iter().all(|&c| c == 0), "folding empties the 32-bit counts");
        let histogram = share.tallies[1].totals();
        assert_eq!(histogram[bucket(1.0)], 2);
        assert_eq!(histogram[(1 << BUCKET_BITS) | bucket(1.0)], 1);
        assert_eq!(histogram[NAN_SLOT], 1);
        assert!(share.tallies[0].totals().is_empty());
    }

    /// A stored table of `n` rows in batches of `batch`, scores ascending
    /// (so that the first batches are no sample of the whole).
    fn sorted_table(dir: &std::path::Path, n: usize, batch: usize) -> (StoredTable, Segmentation) {
        let score: Vec<f64> = (0..n).map(|i| 3.0 * i as f64 / n as f64).collect();
        // Distinct amounts, all in one 16-bit bucket ([992, 1024)).
        let amount: Vec<f64> = (0..n).map(|i| 1000.0 + ((i * 7919) % n) as f64 * 1e-5).collect();
        // Ties: 3/4 of the rows buy once, more than a bucket gathered at once.
        let purchases: Vec<i64> = (0..n).map(|i| i64::from(i % 4 != 0)).collect();
        let time: Vec<i64> = (0..n).map(|i| i as i64).collect();
        let df = df!(STORED[0] => score, STORED[1] => amount, STORED[2] => purchases, STORED[3] => time).unwrap();
        let path = dir.join("table.arrow");
        let arrow_schema = df.schema().to_arrow(CompatLevel::newest());
        let fields = polars_arrow::io::ipc::write::default_ipc_fields(arrow_schema.iter_values());
        let mut writer = IpcWriter::new(std::fs::File::create(&path).unwrap()).batched(df.schema(), fields).unwrap();
        for start in (0..n).step_by(batch) {
            writer.write_batch(&df.slice(start as i64, batch)).unwrap();
        }
        writer.finish().unwrap();
        let seg = Segmentation { payment_threshold: 1000.002, score_threshold: 1.5 };
        let table = Table::stored(path).with_recipe_columns(Vec::new(), seg).unwrap();
        let (stored, seg) = table.stored_recipe::<Segmentation>().unwrap();
        (stored.clone(), seg)
    }

    fn median_by_sorting(mut values: Vec<f64>) -> Option<f64> {
        values.retain(|v| !v.is_nan());
        values.sort_by(f64::total_cmp);
        let n = values.len();
        (n > 0).then(|| (values[(n - 1) / 2] + values[n / 2]) / 2.0)
    }

    #[test]
    fn task_4_takes_what_task_3s_median_pass_found_and_it_is_what_its_own_pass_finds() {
        let dir = tempfile::tempdir().unwrap();
        let (stored, seg) = sorted_table(dir.path(), 60_000, 7_000);
        let own: Vec<_> = ["median", "max", "mean"].map(|s| high_value_summary("t", &stored, seg, s).unwrap()).into();
        let by_mean = segment_analysis("t", &stored, seg, "mean", [false; MEASURES]).unwrap();
        let by_median = segment_analysis("t", &stored, seg, "median", [false; MEASURES]).unwrap();
        // Read again: nothing more to find. Gone: only what was found can answer.
        let moved = dir.path().join("moved.arrow");
        std::fs::rename(&stored.paths[0], &moved).unwrap();
        for (statistic, own) in ["median", "max", "mean"].iter().zip(&own) {
            let served = high_value_summary("t", &stored, seg, statistic).unwrap();
            assert_eq!(format!("{served:?}"), format!("{own:?}"), "{statistic}");
        }
        assert!(segment_analysis("t", &stored, seg, "median", [false; MEASURES]).unwrap().equals_missing(&by_median));
        assert!(segment_analysis("t", &stored, seg, "mean", [false; MEASURES]).unwrap().equals_missing(&by_mean));
        // Another segmentation is another question: the table is read for it.
        let other = Segmentation { score_threshold: 2.0, ..seg };
        assert!(high_value_summary("t", &stored, other, "max").is_err());
        std::fs::rename(&moved, &stored.paths[0]).unwrap();
        assert_ne!(high_value_summary("t", &stored, other, "max").unwrap().0, own[1].0);
    }

    #[test]
    fn medians_are_exact_when_buckets_are_large_and_first_batches_unrepresentative() {
        let dir = tempfile::tempdir().unwrap();
        let n = 400_000;
        let (stored, seg) = sorted_table(dir.path(), n, 25_000);
        let pairs: Vec<(usize, usize)> = (0..MEASURES).flat_map(|m| [(m, HIGH), (m, LOW)]).collect();
        let (_, found) = with_medians("t", &stored, seg, &pairs, &[], false).unwrap();
        for (&(m, s), found) in pairs.iter().zip(found) {
            let values: Vec<f64> = (0..n)
                .filter(|&i| (3.0 * i as f64 / n as f64 > seg.score_threshold) == (s == HIGH))
                .map(|i| {
                    let amount = 1000.0 + ((i * 7919) % n) as f64 * 1e-5;
                    let purchases = f64::from(u8::from(i % 4 != 0));
                    [3.0 * i as f64 / n as f64, amount, purchases, i as f64, i as f64 / purchases][m]
                })
                .collect();
            assert_eq!(found, median_by_sorting(values), "measure {m}, segment {s}");
        }
    }
}
