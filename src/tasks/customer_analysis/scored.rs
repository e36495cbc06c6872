//! Task 1's output before it is written: the scores of a CSV file, parsed by
//! `csv_scores` batch by batch when the table is stored.

use polars::prelude::*;

use super::csv_scores::{self, Layout, Stop};
use crate::native::{Result, TableProducer};

pub struct ScoredCsv {
    pub task: &'static str,
    pub path: String,
    pub layout: Layout,
    pub score_name: &'static str,
    pub score: fn(f64, f64, f64) -> f64,
}

/// Task 2's parameters: what its columns over task 1's stored table stand
/// for, so that tasks 3 and 4 compute them in their own pass (segments.rs).
#[derive(Clone, Copy, Debug)]
pub struct Segmentation {
    pub payment_threshold: f64,
    pub score_threshold: f64,
}

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
}
