//! Task 1's output before it is written: the scores of a CSV file, parsed by
//! `csv_scores` batch by batch when the table is stored.

use std::sync::Mutex;

use polars::prelude::*;

use super::csv_scores::{self, Layout, Stop};
use crate::native::byte_ranges::RangePlan;
use crate::native::{PartPlan, PartedProducer, Result, TableProducer, TaskError};

pub struct ScoredCsv {
    pub task: &'static str,
    pub version: u32,
    pub path: String,
    pub layout: Layout,
    pub score_name: &'static str,
    pub score: fn(f64, f64, f64) -> f64,
    /// How a large file is cut (`byte_ranges`): the table is then stored as
    /// one partition per range, and only ranges not parsed before are parsed.
    pub plan: Option<RangePlan>,
    /// The layout partitions are parsed with: `layout`, widened when a range
    /// holds a fraction in a column read as integers.
    pub parts_layout: Mutex<Layout>,
}

/// Task 2's parameters: what its columns over task 1's stored table stand
/// for, so that tasks 3 and 4 compute them in their own pass (segments.rs).
#[derive(Clone, Copy, Debug)]
pub struct Segmentation {
    pub payment_threshold: f64,
    pub score_threshold: f64,
}

impl Segmentation {
    /// The thresholds' bits: what a remembered partial was computed with.
    pub fn thresholds(&self) -> [u64; 2] {
        [self.payment_threshold.to_bits(), self.score_threshold.to_bits()]
    }
}

/// Bump when what tasks 3 and 4 compute over a partition changes
/// (segments.rs, medians.rs): partials an older build remembered are then
/// not taken.
pub const PARTIALS_VERSION: u32 = 1;

impl TableProducer for ScoredCsv {
    fn schema(&self) -> Schema {
        self.layout.schema(self.score_name)
    }

    /// Starts again with a wider schema when a column first read as integers
    /// turns out to hold floats.
    fn produce(
        &self,
        _task: &'static str,
        start: &mut dyn FnMut(&Schema) -> Result<()>,
        push: &(dyn Fn(DataFrame) -> Result<()> + Sync),
    ) -> Result<()> {
        let mut layout = self.layout.clone();
        loop {
            start(&layout.schema(self.score_name))?;
            let mut forward = |df| push(df);
            match csv_scores::read(self.task, &self.path, &layout, self.score_name, self.score, &mut forward) {
                Ok(()) => return Ok(()),
                Err(Stop::Float(column)) => layout.is_int[column] = false,
                Err(Stop::Failed(e)) => return Err(e),
            }
        }
    }

    fn parted(&self) -> Option<&dyn PartedProducer> {
        self.plan.as_ref().map(|_| self as &dyn PartedProducer)
    }
}

impl ScoredCsv {
    fn plan(&self) -> &RangePlan {
        self.plan.as_ref().expect("only a planned table is parted")
    }

    fn parts_layout(&self) -> Layout {
        self.parts_layout.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl PartedProducer for ScoredCsv {
    /// A range's partition is named by the task and its version, the header,
    /// the columns' types and the range's bytes.
    fn parts(&self) -> Vec<PartPlan> {
        let plan = self.plan();
        let version = self.version.to_string();
        let schema = PartedProducer::schema(self);
        let types: Vec<String> = schema.iter().map(|(name, dtype)| format!("{name}: {dtype}")).collect();
        let types = types.join(", ");
        plan.ranges
            .iter()
            .map(|range| PartPlan {
                name: format!("bytes {}..{}", range.start, range.end),
                identity: crate::fingerprint::combine(
                    "scenarium csv scores partition",
                    [
                        ("task", self.task),
                        ("version", version.as_str()),
                        ("header", plan.head_hash.as_str()),
                        ("columns", types.as_str()),
                        ("range", range.identity.as_str()),
                    ],
                ),
            })
            .collect()
    }

    fn schema(&self) -> Schema {
        self.parts_layout().schema(self.score_name)
    }

    fn produce_parts(
        &self,
        _task: &'static str,
        wanted: &[usize],
        push: &mut dyn FnMut(usize, DataFrame) -> Result<()>,
    ) -> Result<bool> {
        let plan = self.plan();
        let layout = self.parts_layout();
        let ranges: Vec<(u64, u64)> = wanted.iter().map(|&k| (plan.ranges[k].start, plan.ranges[k].end)).collect();
        let mut forward = |i: usize, df| push(wanted[i], df);
        match csv_scores::read_ranges(
            self.task,
            &self.path,
            &layout,
            self.score_name,
            self.score,
            &ranges,
            &mut forward,
        ) {
            Ok(()) => Ok(true),
            Err(Stop::Float(column)) => {
                self.parts_layout.lock().unwrap_or_else(|p| p.into_inner()).is_int[column] = false;
                Ok(false)
            }
            Err(Stop::Failed(e)) => Err(e),
        }
    }

    fn finish(&self, task: &'static str) -> Result<()> {
        let plan = self.plan();
        if !plan.unchanged() {
            return Err(TaskError::InvalidData {
                task,
                message: format!(
                    "{} changed while it was read; nothing read from it was kept: submit again",
                    self.path
                ),
            });
        }
        crate::read_hashes::report(std::path::Path::new(&self.path), &plan.file_hash);
        Ok(())
    }
}
