//! Exact order statistics of the stored table's measures, per segment, in
//! memory that does not grow with the rows.
//!
//! Each value has a key, its position in the total order of f64 as a u64.
//! segments.rs counts the keys' first 16 bits in its first pass; from those
//! counts each wanted rank lies in one bucket, and the same pass counts 12
//! more bits in a `Window` around where each reader's first batch put the
//! median, which usually narrows the bucket to a few hundred values at once.
//! Then passes over the table narrow every unfound rank: a bucket of at most
//! `GATHER_AT_MOST` values is gathered and the rank selected among them; a
//! larger one is counted by its next 16 bits, which narrows it to one
//! sub-bucket, and so on. A bucket whose values are all equal (an integer
//! column's ties) is found at once; one 64 bits long is one value.
//! Gathering whole 16-bit buckets instead held a few percent of the rows:
//! 45 MB at 30M rows for task 3's ten medians, a third of it at 10M.

use std::sync::Mutex;

use super::rows::{fill_rows, Rows};
use super::scored::{Segmentation, PARTIALS_VERSION};
use crate::native::partials::{per_part, Bytes, Codec, Reader};
use crate::native::Result;
use crate::native::StoredTable;

pub const BUCKET_BITS: u32 = 16;
/// At most this many values (1 MiB) are gathered for one rank.
const GATHER_AT_MOST: u64 = 1 << 17;

/// A value's position in the total order of f64 as an unsigned integer.
pub fn order_key(v: f64) -> u64 {
    let bits = v.to_bits();
    // Negative: all bits flipped; positive: the sign bit set.
    bits ^ (((bits as i64 >> 63) as u64) | (1 << 63))
}

fn value_of(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 { key & !(1 << 63) } else { !key })
}

pub fn bucket(v: f64) -> usize {
    (order_key(v) >> (64 - BUCKET_BITS)) as usize
}

/// The bits a reader's window counts past the first `BUCKET_BITS`, and the
/// buckets it spans.
const FINE_BITS: u32 = 12;
const WINDOW: usize = 3;

/// One reader's counts of the next `FINE_BITS` bits of the keys in a few
/// buckets around where its first batch put a median. The batches are in
/// file order, so a first batch is a fair sample of most files: then the
/// median's bucket lies in every reader's window, and the first pass has
/// narrowed it to a few hundred values, which the second pass gathers.
/// Otherwise (a sorted file) more passes narrow it.
#[derive(Clone)]
pub struct Window {
    /// The first bucket spanned; `usize::MAX` spans none.
    first: usize,
    counts: Vec<u32>,
    counted: u64,
}

impl Window {
    /// Around the median bucket of `histogram`: one segment's buckets of a
    /// reader's first batch.
    pub fn around_median(histogram: &[u32]) -> Window {
        let n: u64 = histogram.iter().map(|&c| u64::from(c)).sum();
        let mut seen = 0;
        let Some(median) = histogram.iter().position(|&c| {
            seen += u64::from(c);
            seen > n / 2
        }) else {
            return Window { first: usize::MAX, counts: Vec::new(), counted: 0 };
        };
        let first = median.saturating_sub(WINDOW / 2).min(histogram.len() - WINDOW);
        Window { first, counts: vec![0; WINDOW << FINE_BITS], counted: 0 }
    }

    pub const SPAN: usize = WINDOW;

    /// The first bucket spanned, `usize::MAX` for none.
    pub fn first(&self) -> usize {
        self.first
    }

    /// Whether `rows` more values can be counted (else the window spans
    /// nothing from now on: its counts could overflow; the passes will do).
    pub fn make_room(&mut self, rows: u64) -> bool {
        self.counted += rows;
        if self.counted > u64::from(u32::MAX) {
            *self = Window { first: usize::MAX, counts: Vec::new(), counted: 0 };
        }
        self.first != usize::MAX
    }

    /// Counts a value whose key is in bucket `first + at`.
    #[inline]
    pub fn add(&mut self, at: usize, key: u64) {
        let fine = (key >> (64 - BUCKET_BITS - FINE_BITS)) as usize & ((1 << FINE_BITS) - 1);
        self.counts[(at << FINE_BITS) | fine] += 1;
    }

    /// Counts a batch's values of segment `wanted`.
    pub fn count(&mut self, values: &[f64], segment: &[u8], wanted: u8) {
        if !self.make_room(values.len() as u64) {
            return;
        }
        for (&v, &s) in values.iter().zip(segment) {
            let key = order_key(v);
            let at = ((key >> (64 - BUCKET_BITS)) as usize).wrapping_sub(self.first);
            // The window test first: it is almost always false, the segment's a coin toss.
            if at < WINDOW && s == wanted && !v.is_nan() {
                self.add(at, key);
            }
        }
    }

    /// Kept in a partial (`partials.rs`): its first bucket, how many it
    /// counted, and its counts that are not zero.
    pub fn encode(&self, bytes: &mut Bytes) {
        let counts: Vec<u64> = self.counts.iter().map(|&c| u64::from(c)).collect();
        bytes.u64(self.first as u64).u64(self.counted).sparse(&counts);
    }

    pub fn decode(r: &mut Reader<'_>) -> Option<Window> {
        let (first, counted) = (usize::try_from(r.u64()?).ok()?, r.u64()?);
        let counts = r.sparse()?.into_iter().map(u32::try_from).collect::<Result<Vec<u32>, _>>().ok()?;
        let well_formed = if first == usize::MAX { counts.is_empty() } else { counts.len() == WINDOW << FINE_BITS };
        well_formed.then_some(Window { first, counts, counted })
    }

    fn covering(&self, bucket: usize) -> Option<&[u32]> {
        let at = bucket.wrapping_sub(self.first);
        (self.first != usize::MAX && at < WINDOW).then(|| &self.counts[at << FINE_BITS..(at + 1) << FINE_BITS])
    }
}

/// A histogram counted in 32 bits, which keeps it in the core's cache, and
/// folded into 64-bit totals before a count could overflow.
#[derive(Clone, Default)]
pub struct Tally {
    counts: Vec<u32>,
    pending: u64,
    totals: Vec<u64>,
}

impl Tally {
    /// The `slots` counts, with room for `rows` more values.
    pub fn counts(&mut self, slots: usize, rows: u64) -> &mut [u32] {
        if self.pending + rows > u64::from(u32::MAX) {
            self.fold();
        }
        self.pending += rows;
        self.counts.resize(slots, 0);
        &mut self.counts
    }

    pub fn fold(&mut self) {
        if !self.counts.is_empty() {
            self.totals.resize(self.counts.len(), 0);
            for (total, count) in self.totals.iter_mut().zip(&mut self.counts) {
                *total += u64::from(std::mem::take(count));
            }
        }
        self.pending = 0;
    }

    pub fn add(&mut self, mut other: Tally) {
        self.fold();
        other.fold();
        if self.totals.is_empty() {
            self.totals = other.totals;
        } else {
            self.totals.iter_mut().zip(other.totals).for_each(|(a, b)| *a += b);
        }
    }

    /// A tally of these totals (a partial's, `partials.rs`).
    pub fn from_totals(totals: Vec<u64>) -> Tally {
        Tally { counts: Vec::new(), pending: 0, totals }
    }

    /// The totals (after `fold`); empty when nothing was counted.
    pub fn totals(&self) -> &[u64] {
        &self.totals
    }
}

/// The value of rank `rank` (from 0, in ascending order) among one
/// measure's values in one segment: among those whose key starts with
/// `prefix` (`bits` long) it has rank `rank`, and there are `count` of them.
#[derive(Clone, Debug)]
pub struct Target {
    pub measure: usize,
    pub segment: usize,
    bits: u32,
    prefix: u64,
    rank: u64,
    count: u64,
    pub found: Option<f64>,
}

impl Target {
    /// The target of `rank` given the counts of the first `BUCKET_BITS` bits
    /// of the keys of the measure's values in the segment.
    pub fn new(measure: usize, segment: usize, histogram: &[u64], rank: u64) -> Target {
        let mut target = Target { measure, segment, bits: 0, prefix: 0, rank, count: 0, found: None };
        target.narrow(histogram, BUCKET_BITS);
        target
    }

    /// Moves to the sub-bucket holding the rank, given the counts of the
    /// next `bits` bits of the keys in the current bucket.
    fn narrow(&mut self, histogram: &[u64], bits: u32) {
        let mut below = 0;
        for (sub, &count) in histogram.iter().enumerate() {
            if self.rank < below + count {
                self.bits += bits;
                self.prefix = (self.prefix << bits) | sub as u64;
                self.rank -= below;
                self.count = count;
                if self.bits == 64 {
                    self.found = Some(value_of(self.prefix));
                }
                return;
            }
            below += count;
        }
        unreachable!("rank {} beyond the {below} values counted", self.rank);
    }

    fn gathers(&self) -> bool {
        self.count <= GATHER_AT_MOST
    }

    fn holds(&self, key: u64) -> bool {
        key >> (64 - self.bits) == self.prefix
    }

    /// The first and last keys of the bucket.
    fn keys(&self) -> (u64, u64) {
        let shift = 64 - self.bits;
        let low = self.prefix.checked_shl(shift).unwrap_or(0);
        (low, low | (u64::MAX.checked_shr(self.bits).unwrap_or(0)))
    }

    /// How many more bits of the key a narrowing pass counts.
    fn sub_bits(&self) -> u32 {
        BUCKET_BITS.min(64 - self.bits)
    }

    /// The next `sub_bits` bits of a key this target holds.
    fn sub_bucket(&self, key: u64) -> usize {
        ((key >> (64 - self.bits - self.sub_bits())) & ((1 << self.sub_bits()) - 1)) as usize
    }

    /// Narrows the target without a pass when every reader's window (see
    /// `Window`) covers its bucket.
    pub fn narrow_with(&mut self, windows: &[Window]) {
        if self.bits != BUCKET_BITS || self.found.is_some() || windows.is_empty() {
            return;
        }
        let mut fine = vec![0u64; 1 << FINE_BITS];
        for window in windows {
            let Some(counts) = window.covering(self.prefix as usize) else { return };
            fine.iter_mut().zip(counts).for_each(|(total, &count)| *total += u64::from(count));
        }
        self.narrow(&fine, FINE_BITS);
    }

    fn settle(&mut self, mut seen: Seen) {
        if self.gathers() {
            let values = &mut seen.values;
            let rank = self.rank as usize;
            self.found = Some(*values.select_nth_unstable_by(rank, f64::total_cmp).1);
        } else if seen.min == seen.max {
            self.found = Some(seen.min);
        } else {
            self.narrow(seen.tally.totals(), self.sub_bits());
        }
    }
}

/// What one pass saw of one target's bucket, in one reader or all.
#[derive(Clone)]
struct Seen {
    values: Vec<f64>,
    /// Counts of the keys' next bits.
    tally: Tally,
    min: f64,
    max: f64,
}

impl Seen {
    fn new() -> Seen {
        Seen { values: Vec::new(), tally: Tally::default(), min: f64::INFINITY, max: f64::NEG_INFINITY }
    }

    fn record(&mut self, target: &Target, v: f64, key: u64) {
        if target.gathers() {
            self.values.push(v);
        } else {
            self.tally.counts[target.sub_bucket(key)] += 1;
            self.min = self.min.min(v);
            self.max = self.max.max(v);
        }
    }

    fn add(&mut self, mut other: Seen) {
        self.values.append(&mut other.values);
        self.tally.add(other.tally);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

/// Finds every target: passes over the table until none is left.
pub fn find(task: &'static str, table: &StoredTable, seg: Segmentation, targets: &mut [Target]) -> Result<()> {
    while targets.iter().any(|t| t.found.is_none()) {
        // Targets in the same bucket (a median's two middle ranks, mostly) share what a pass sees.
        let mut buckets: Vec<Target> = Vec::new();
        let mut bucket_of = vec![usize::MAX; targets.len()];
        for (i, target) in targets.iter().enumerate().filter(|(_, t)| t.found.is_none()) {
            let same = |b: &Target| {
                (b.measure, b.segment, b.bits, b.prefix) == (target.measure, target.segment, target.bits, target.prefix)
            };
            bucket_of[i] = buckets.iter().position(same).unwrap_or_else(|| {
                buckets.push(target.clone());
                buckets.len() - 1
            });
        }
        let mut seen: Vec<Option<Seen>> = narrowing_pass(task, table, seg, &buckets)?.into_iter().map(Some).collect();
        for (i, target) in targets.iter_mut().enumerate().filter(|(_, t)| t.found.is_none()) {
            let shared = bucket_of[i];
            let last = (i + 1..bucket_of.len()).all(|j| bucket_of[j] != shared);
            let seen = if last {
                seen[shared].take().expect("seen once")
            } else {
                seen[shared].as_ref().expect("seen").clone()
            };
            target.settle(seen);
        }
    }
    Ok(())
}

/// Adds a value in the span of a segment's buckets (`holders`, indices
/// into `buckets`) to those holding it.
#[cold]
fn record(seen: &mut [Seen], buckets: &[Target], holders: &[usize], v: f64, key: u64) {
    if v.is_nan() {
        return;
    }
    for &b in holders {
        if buckets[b].holds(key) {
            seen[b].record(&buckets[b], v, key);
        }
    }
}

/// One pass: for each bucket, its values (small buckets) or the counts of
/// their next bits (large ones). Over a partitioned table, partition by
/// partition: what a partition holds of a bucket is remembered, so after rows
/// were added only the new partitions are read (and the others only for
/// buckets not asked before).
fn narrowing_pass(task: &'static str, table: &StoredTable, seg: Segmentation, buckets: &[Target]) -> Result<Vec<Seen>> {
    let questions: Vec<String> = buckets
        .iter()
        .map(|b| {
            format!(
                "segments narrowing {}: thresholds {:?}; measure {} segment {} bits {} prefix {} gathers {}",
                PARTIALS_VERSION,
                seg.thresholds(),
                b.measure,
                b.segment,
                b.bits,
                b.prefix,
                b.gathers()
            )
        })
        .collect();
    let of_part = |part: &StoredTable, which: &[usize]| -> Result<Vec<Seen>> {
        let asked: Vec<Target> = which.iter().map(|&i| buckets[i].clone()).collect();
        narrowing_over(task, part, seg, &asked, 1)
    };
    let codec = Codec { encode: encode_seen, decode: decode_seen };
    let mut total: Vec<Seen> = buckets.iter().map(|_| Seen::new()).collect();
    let mut fold = |part: Vec<Seen>| total.iter_mut().zip(part).for_each(|(mine, seen)| mine.add(seen));
    if per_part(table, &questions, &of_part, &codec, &mut fold)? {
        for seen in &mut total {
            seen.tally.fold();
        }
        return Ok(total);
    }
    narrowing_over(task, table, seg, buckets, rayon::current_num_threads().clamp(1, 4))
}

fn encode_seen(seen: &Seen) -> Vec<u8> {
    let mut bytes = Bytes::default();
    bytes.u64(seen.values.len() as u64);
    for &v in &seen.values {
        bytes.f64(v);
    }
    bytes.sparse(seen.tally.totals()).f64(seen.min).f64(seen.max);
    bytes.0
}

fn decode_seen(bytes: &[u8]) -> Option<Seen> {
    let mut r = Reader(bytes);
    let count = r.u64()? as usize;
    // No more values than the bytes hold (a torn partial asks for no memory).
    if count > bytes.len() / 8 {
        return None;
    }
    let values = (0..count).map(|_| r.f64()).collect::<Option<Vec<f64>>>()?;
    let seen = Seen { values, tally: Tally::from_totals(r.sparse()?), min: r.f64()?, max: r.f64()? };
    r.done().then_some(seen)
}

fn narrowing_over(
    task: &'static str,
    table: &StoredTable,
    seg: Segmentation,
    buckets: &[Target],
    threads: usize,
) -> Result<Vec<Seen>> {
    let all = buckets.iter().any(|t| t.measure >= 2);
    let mut measures: Vec<usize> = buckets.iter().map(|t| t.measure).collect();
    // (A bucket's `bits` is at least 16, so shifts stay below 64.)
    measures.sort_unstable();
    measures.dedup();
    type Reader = (Vec<Seen>, Rows);
    let readers: Vec<Mutex<Reader>> =
        (0..threads).map(|_| Mutex::new((buckets.iter().map(|_| Seen::new()).collect(), Rows::default()))).collect();
    table.for_each_block(task, threads, |reader, df| {
        let mut state = readers[reader].lock().unwrap_or_else(|p| p.into_inner());
        let (seen, rows) = &mut *state;
        fill_rows(task, &df, seg, all, rows)?;
        let batch = rows.segment.len() as u64;
        for (seen, target) in seen.iter_mut().zip(buckets).filter(|(_, t)| !t.gathers()) {
            seen.tally.counts(1 << target.sub_bits(), batch);
        }
        for &m in &measures {
            // Per segment, one range of keys spanning this measure's buckets:
            // almost no value falls in it, so the loop is one comparison a value.
            let mut spans = [(u64::MAX, 0u64); 2];
            let mut holders: [Vec<usize>; 2] = Default::default();
            for (b, target) in buckets.iter().enumerate().filter(|(_, t)| t.measure == m) {
                let (low, high) = target.keys();
                let span = &mut spans[target.segment];
                *span = (span.0.min(low), span.1.max(high));
                holders[target.segment].push(b);
            }
            let spans = spans.map(|(low, high)| (low, high.saturating_sub(low)));
            for (&v, &s) in rows.measures[m].iter().zip(&rows.segment) {
                let key = order_key(v);
                let (low, width) = spans[usize::from(s & 1)];
                if key.wrapping_sub(low) <= width {
                    record(seen, buckets, &holders[usize::from(s & 1)], v, key);
                }
            }
        }
        Ok(())
    })?;
    let mut readers = readers.into_iter().map(|r| r.into_inner().unwrap_or_else(|p| p.into_inner()).0);
    let mut total = readers.next().expect("one reader at least");
    for seen in readers {
        for (mine, theirs) in total.iter_mut().zip(seen) {
            mine.add(theirs);
        }
    }
    for seen in &mut total {
        seen.tally.fold();
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_keys_sort_as_numbers_and_give_the_value_back() {
        let values = [f64::NEG_INFINITY, -1e300, -2.5, -0.0, 0.0, 1e-300, 3.0, 1e300, f64::INFINITY];
        assert!(values.windows(2).all(|w| order_key(w[0]) < order_key(w[1])));
        for v in values {
            assert_eq!(value_of(order_key(v)).to_bits(), v.to_bits());
        }
    }

    #[test]
    fn a_target_narrows_to_the_bucket_holding_its_rank() {
        let mut histogram = vec![0u64; 1 << BUCKET_BITS];
        histogram[bucket(1.0)] = 3;
        histogram[bucket(2.0)] = 2;
        let target = Target::new(0, 0, &histogram, 3);
        assert_eq!((target.prefix, target.rank, target.count), (bucket(2.0) as u64, 0, 2));
        assert!(target.holds(order_key(2.0)) && !target.holds(order_key(1.0)));
    }

    #[test]
    fn a_large_bucket_is_narrowed_then_gathered_or_found_whole() {
        let mut histogram = vec![0u64; 1 << BUCKET_BITS];
        histogram[bucket(1.0)] = GATHER_AT_MOST + 1;
        let mut target = Target::new(0, 0, &histogram, 5);
        assert!(!target.gathers());
        // All the bucket's values equal: found without another pass.
        let mut seen = Seen::new();
        (seen.min, seen.max) = (1.0, 1.0);
        let mut ties = target.clone();
        ties.settle(seen);
        assert_eq!(ties.found, Some(1.0));
        // Distinct values: narrowed to the sub-bucket of rank 5, then gathered.
        let mut seen = Seen::new();
        let counts = seen.tally.counts(1 << BUCKET_BITS, 10);
        for k in 0..10u64 {
            let v = 1.0 + k as f64 / 1e6;
            counts[target.sub_bucket(order_key(v))] += 1;
            (seen.min, seen.max) = (seen.min.min(v), seen.max.max(v));
        }
        seen.tally.fold();
        target.settle(seen);
        assert!(target.gathers() && target.found.is_none());
        assert_eq!(target.bits, 32);
        assert!(target.holds(order_key(1.0 + 5.0 / 1e6)));
    }
}
