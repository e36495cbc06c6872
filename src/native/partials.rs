//! Reductions over a partitioned table, partition by partition: what a
//! reduction computes over one partition (a partial: counts, moments, a
//! histogram) is remembered under the partition's object and the question
//! asked (`ObjectStore::partial`), so that a table that gained partitions is
//! read only where it is new. Partials are merged in partition order, so a
//! result does not depend on which partitions were remembered.

use std::sync::Arc;

use rayon::prelude::*;

use super::{Result, StoredTable};
use crate::store::ObjectStore;

/// A stored table's partitions: their objects, in order.
#[derive(Clone, Debug)]
pub struct StoredParts {
    pub store: ObjectStore,
    pub hashes: Vec<String>,
}

/// Computes the answers to some questions (indexes) over one partition.
pub type Compute<'a, T> = &'a (dyn Fn(&StoredTable, &[usize]) -> Result<Vec<T>> + Sync);

/// How a partial is kept: its bytes, and back.
pub struct Codec<T> {
    pub encode: fn(&T) -> Vec<u8>,
    pub decode: fn(&[u8]) -> Option<T>,
}

/// For each partition of `table` in order, the answers to `questions`,
/// handed to `fold`: remembered, or computed by `compute(partition, which
/// questions)`. Partitions are computed side by side a few at a time (each
/// read by one thread, so an answer is the same however many threads run),
/// and folded in order as they come, so memory holds a few partitions'
/// answers. False when the table is not partitioned (nothing is folded).
pub fn per_part<T: Send>(
    table: &StoredTable,
    questions: &[String],
    compute: Compute<'_, T>,
    codec: &Codec<T>,
    fold: &mut dyn FnMut(Vec<T>),
) -> Result<bool> {
    let Some(parts) = table.parts.as_ref() else { return Ok(false) };
    let flag = crate::interrupt::current();
    let at_once = 2 * rayon::current_num_threads().max(1);
    for first in (0..parts.hashes.len()).step_by(at_once) {
        let last = (first + at_once).min(parts.hashes.len());
        let answers = (first..last)
            .into_par_iter()
            .map(|k| crate::interrupt::with(flag.clone(), || answer(table, parts, k, questions, compute, codec)))
            .collect::<Result<Vec<_>>>()?;
        answers.into_iter().for_each(&mut *fold);
    }
    Ok(true)
}

fn answer<T>(
    table: &StoredTable,
    parts: &StoredParts,
    k: usize,
    questions: &[String],
    compute: Compute<'_, T>,
    codec: &Codec<T>,
) -> Result<Vec<T>> {
    let hash = &parts.hashes[k];
    let keys: Vec<String> = questions
        .iter()
        .map(|q| crate::fingerprint::combine("scenarium partial", [("part", hash.as_str()), ("question", q.as_str())]))
        .collect();
    let mut found: Vec<Option<T>> =
        keys.iter().map(|key| parts.store.partial(key, hash).and_then(|b| (codec.decode)(&b))).collect();
    let missing: Vec<usize> = (0..keys.len()).filter(|&i| found[i].is_none()).collect();
    if !missing.is_empty() {
        super::stop_if_interrupted("a partitioned table")?;
        let computed = compute(&table.part(k), &missing)?;
        for (&i, value) in missing.iter().zip(computed) {
            // Best effort: a partial not remembered is computed again next time.
            let _ = parts.store.remember_partial(&keys[i], hash, &(codec.encode)(&value));
            found[i] = Some(value);
        }
    }
    Ok(found.into_iter().map(|f| f.expect("answered")).collect())
}

impl StoredTable {
    /// Partition `k` alone, with the same computed columns.
    pub fn part(&self, k: usize) -> StoredTable {
        StoredTable {
            paths: vec![self.paths[k].clone()],
            added: self.added.clone(),
            recipe: self.recipe.clone(),
            parts: None,
        }
    }
}

/// Little-endian numbers in a byte string, for partials.
#[derive(Default)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn f64(&mut self, v: f64) -> &mut Self {
        self.u64(v.to_bits())
    }
    /// Counts, with their slots, of the slots that are not zero.
    pub fn sparse(&mut self, counts: &[u64]) -> &mut Self {
        let nonzero = counts.iter().filter(|&&c| c != 0).count();
        self.u64(counts.len() as u64).u64(nonzero as u64);
        for (slot, &count) in counts.iter().enumerate().filter(|(_, &c)| c != 0) {
            self.u64(slot as u64).u64(count);
        }
        self
    }
}

/// Reads what [`Bytes`] wrote; None past the end.
pub struct Reader<'a>(pub &'a [u8]);

impl Reader<'_> {
    pub fn u64(&mut self) -> Option<u64> {
        let (head, rest) = self.0.split_first_chunk::<8>()?;
        self.0 = rest;
        Some(u64::from_le_bytes(*head))
    }
    pub fn f64(&mut self) -> Option<f64> {
        self.u64().map(f64::from_bits)
    }
    pub fn sparse(&mut self) -> Option<Vec<u64>> {
        let (len, nonzero) = (self.u64()? as usize, self.u64()?);
        // A torn or altered partial must not ask for memory it cannot describe.
        if len > 1 << 24 || nonzero > len as u64 {
            return None;
        }
        let mut counts = vec![0; len];
        for _ in 0..nonzero {
            let slot = self.u64()? as usize;
            *counts.get_mut(slot)? = self.u64()?;
        }
        Some(counts)
    }
    pub fn done(&self) -> bool {
        self.0.is_empty()
    }
}

pub type SharedParts = Arc<StoredParts>;
