//! One batch of task 1's stored table as the kernels of tasks 3 and 4 read
//! it: the four stored columns as f64, with task 2's segment, HighSpender and
//! AverageTimeBetweenPurchases computed row by row. Shared by the statistics
//! pass (`segments.rs`) and the median pass (`medians.rs`).

use polars::prelude::*;

use super::scored::Segmentation;
use crate::native::{Result, TaskError};

/// The stored columns, in the order the kernels use them.
pub const STORED: [&str; 4] = ["CUSTOMER_SCORE", "TotalPurchaseAmount", "NumberOfPurchases", "TotalPurchaseTime"];
/// Task 3's measures: the stored four, then AverageTimeBetweenPurchases.
pub const MEASURES: usize = 5;
/// Segment numbers: "High Value" sorts before "Low Value", as pandas' groupby sorts.
pub const HIGH: usize = 0;
pub const LOW: usize = 1;

/// One stored batch as f64 columns (NaN where a value is missing: the
/// statistics skip NaN and missing alike) with task 2's columns computed.
/// Kept and refilled batch after batch: fresh memory costs a page fault per
/// page on these machines.
#[derive(Default)]
pub(super) struct Rows {
    /// score, amount, purchases, time, time between purchases.
    pub measures: [Vec<f64>; MEASURES],
    pub segment: Vec<u8>,
    pub high_spender: Vec<bool>,
}

/// Appends a numeric column's values as f64 to `out`, NaN for missing ones.
fn extend_f64(out: &mut Vec<f64>, column: &Column) -> PolarsResult<()> {
    out.clear();
    macro_rules! values {
        ($ca:expr) => {
            for array in $ca.downcast_iter() {
                match array.validity().filter(|v| v.unset_bits() > 0) {
                    None => out.extend(array.values().iter().map(|&v| v as f64)),
                    Some(valid) => {
                        out.extend(
                            array
                                .values()
                                .iter()
                                .zip(valid.iter())
                                .map(|(&v, ok)| if ok { v as f64 } else { f64::NAN }),
                        )
                    }
                }
            }
        };
    }
    match column.dtype() {
        DataType::Float64 => values!(column.f64()?),
        DataType::Int64 => values!(column.i64()?),
        _ => values!(column.cast(&DataType::Float64)?.f64()?),
    }
    Ok(())
}

/// Fills `rows` from a batch: only the score and the amount unless `all`.
pub(super) fn fill_rows(
    task: &'static str,
    df: &DataFrame,
    segmentation: Segmentation,
    all: bool,
    rows: &mut Rows,
) -> Result<()> {
    let err = |source| TaskError::Polars { task, source };
    let stored = if all { &STORED[..] } else { &STORED[..2] };
    for (m, name) in stored.iter().enumerate() {
        extend_f64(&mut rows.measures[m], df.column(name).map_err(err)?).map_err(err)?;
    }
    let [score, amount, purchases, time, between] = &mut rows.measures;
    // The comparisons are false for NaN and missing values, as task 2's are.
    rows.segment.clear();
    rows.segment.extend(score.iter().map(|&s| if s > segmentation.score_threshold { HIGH as u8 } else { LOW as u8 }));
    rows.high_spender.clear();
    between.clear();
    if all {
        rows.high_spender.extend(amount.iter().map(|&a| a > segmentation.payment_threshold));
        between.extend(time.iter().zip(purchases.iter()).map(|(&t, &p)| t / p));
    }
    Ok(())
}
