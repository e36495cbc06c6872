//! The article's customer analysis (`algos/algo.py`) as four native tasks on
//! polars LazyFrames. Numbers match the article's pandas code within 1e-9
//! relative: divisions by constants are true IEEE divisions in pandas' order
//! (polars would multiply by the reciprocal), NaN never counts as greater than
//! a threshold, and aggregations skip NaN and missing values as pandas does.

use polars::prelude::*;

use super::csv_scores;
use super::stats::{self, Groups, Moments, Values, NO_GROUP};
use super::table::ScoredCsv;
use super::{Keep, NativeInput, NativeOutput, NativeTask, Result, Table, TaskError};

const TPA: &str = "TotalPurchaseAmount";
const NOP: &str = "NumberOfPurchases";
const ARS: &str = "AverageReviewScore";
const TPT: &str = "TotalPurchaseTime";
const SCORE: &str = "CUSTOMER_SCORE";
const SEGMENT: &str = "ValueSegment";
const HIGH: &str = "High Value";
const LOW: &str = "Low Value";

pub const PREPROCESS_AND_SCORE: NativeTask = NativeTask {
    name: "customer_analysis.preprocess_and_score",
    version: 1,
    params: &["path_to_data"],
    outputs: 1,
    run: preprocess_and_score,
};

pub const FEATURIZATION_AND_SEGMENTATION: NativeTask = NativeTask {
    name: "customer_analysis.featurization_and_segmentation",
    version: 1,
    params: &["scored_df", "payment_threshold", "score_threshold"],
    outputs: 1,
    run: featurization_and_segmentation,
};

pub const SEGMENT_ANALYSIS: NativeTask = NativeTask {
    name: "customer_analysis.segment_analysis",
    version: 1,
    params: &["df", "metric"],
    outputs: 1,
    run: segment_analysis,
};

pub const HIGH_VALUE_CUST_SUMMARY_STATISTICS: NativeTask = NativeTask {
    name: "customer_analysis.high_value_cust_summary_statistics",
    version: 1,
    params: &["df", "segment_analysis", "summary_statistic_type"],
    outputs: 1,
    run: high_value_cust_summary_statistics,
};

/// pandas' aggregation names that segment_analysis accepts.
pub const METRICS: &[&str] = &["mean", "median", "min", "max", "sum", "std", "count"];
/// The statistics the article's task 4 computes.
pub const SUMMARY_STATISTICS: &[&str] = &["mean", "median", "max", "min"];

fn polars_err(task: &'static str) -> impl Fn(PolarsError) -> TaskError {
    move |source| TaskError::Polars { task, source }
}

/// Checks that `columns` exist and are numeric (or, for `strings`, text),
/// naming the task, the column and what was found instead.
fn require_columns(task: &'static str, table: &Table, numeric: &[&str], strings: &[&str]) -> Result<Schema> {
    let schema = table.schema().map_err(polars_err(task))?;
    for &name in numeric.iter().chain(strings) {
        let Some(dtype) = schema.get(name) else {
            let available: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
            let hint = available
                .iter()
                .find(|a| a.eq_ignore_ascii_case(name) || a.trim() == name)
                .map(|a| format!(" (did you mean {a:?}?)"))
                .unwrap_or_default();
            return Err(TaskError::InvalidData {
                task,
                message: format!("column {name:?} is missing{hint}; the data has columns {}", available.join(", ")),
            });
        };
        let ok =
            if strings.contains(&name) { dtype.is_string() } else { dtype.is_primitive_numeric() || dtype.is_bool() };
        if !ok {
            return Err(TaskError::InvalidData {
                task,
                message: format!(
                    "column {name:?} must be {} but holds {dtype} values (a non-numeric value in the file?)",
                    if strings.contains(&name) { "text" } else { "numeric" }
                ),
            });
        }
    }
    Ok(schema)
}

/// `expr / divisor` as pandas computes it: an IEEE division per value.
fn true_div(expr: Expr, divisor: f64) -> Expr {
    expr.map(
        move |c| {
            let values = c.cast(&DataType::Float64)?;
            let divided = values.f64()?.apply_values(|v| v / divisor);
            Ok(divided.into_series().into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Float64)),
    )
}

/// `expr > threshold` as pandas computes it on floats: NaN and missing are not greater.
fn greater_than(expr: Expr, threshold: f64, is_float: bool) -> Expr {
    let above = expr.clone().gt(lit(threshold));
    let above = if is_float { above.and(expr.is_not_nan()) } else { above };
    above.fill_null(lit(false))
}

fn is_float(schema: &Schema, name: &str) -> bool {
    schema.get(name).is_some_and(|d| d.is_float())
}

/// Task 1: read the data and score each customer.
fn preprocess_and_score(inputs: &[NativeInput]) -> Result<Vec<NativeOutput>> {
    let task = PREPROCESS_AND_SCORE.name;
    let table = match &inputs[0] {
        NativeInput::Table(table) => table.clone(),
        scalar => {
            let path = scalar.as_str(task, "path_to_data")?;
            super::io::check_csv(task, path)?;
            match csv_scores::layout(task, path, [TPA, NOP, ARS, TPT])? {
                Some(layout) => {
                    let scored = ScoredCsv {
                        task,
                        path: path.to_owned(),
                        layout,
                        score_name: SCORE,
                        score: |amount, purchases, review| {
                            (0.5 * amount) / 1000.0 + (0.3 * purchases) / 10.0 + 0.2 * review
                        },
                        fallback: scored_by_polars,
                    };
                    return Ok(vec![NativeOutput { table: Table::Scored(Arc::new(scored)), keep: Keep::Large }]);
                }
                None => Table::Lazy(csv_by_polars(task, path)?),
            }
        }
    };
    Ok(vec![NativeOutput { table: Table::Lazy(score(task, &table)?), keep: Keep::Large }])
}

/// The article's CSV read by polars: the four columns made numeric.
fn csv_by_polars(task: &'static str, path: &str) -> Result<LazyFrame> {
    super::io::numeric_columns(task, super::io::scan_csv(task, path)?, path, &[TPA, NOP, ARS, TPT])
}

fn scored_by_polars(task: &'static str, path: &str) -> Result<LazyFrame> {
    score(task, &Table::Lazy(csv_by_polars(task, path)?))
}

/// The score as a polars query (for tables given in memory, and CSV files the
/// fast reader hands to polars); the same arithmetic as `ScoredCsv::score`.
fn score(task: &'static str, table: &Table) -> Result<LazyFrame> {
    require_columns(task, table, &[TPA, NOP, ARS, TPT], &[])?;
    let score = true_div(lit(0.5) * col(TPA), 1000.0) + true_div(lit(0.3) * col(NOP), 10.0) + lit(0.2) * col(ARS);
    Ok(table.lazy().map_err(polars_err(task))?.select([score.alias(SCORE), col(TPA), col(NOP), col(TPT)]))
}

/// Task 2: features and the High/Low value segment.
fn featurization_and_segmentation(inputs: &[NativeInput]) -> Result<Vec<NativeOutput>> {
    let task = FEATURIZATION_AND_SEGMENTATION.name;
    let table = inputs[0].table(task, "scored_df")?;
    let payment_threshold = inputs[1].as_f64(task, "payment_threshold")?;
    let score_threshold = inputs[2].as_f64(task, "score_threshold")?;
    let schema = require_columns(task, &table, &[SCORE, TPA, NOP, TPT], &[])?;
    let out = table
        .with_columns(vec![
            greater_than(col(TPA), payment_threshold, is_float(&schema, TPA))
                .cast(DataType::Int64)
                .alias("HighSpender"),
            (col(TPT).cast(DataType::Float64) / col(NOP).cast(DataType::Float64)).alias("AverageTimeBetweenPurchases"),
            (col(TPA) * col(NOP)).alias("Interaction1"),
            (col(TPT) * col(SCORE)).alias("Interaction2"),
            (col(TPA) * col(TPA)).alias("PolynomialFeature"),
            when(greater_than(col(SCORE), score_threshold, true)).then(lit(HIGH)).otherwise(lit(LOW)).alias(SEGMENT),
        ])
        .map_err(polars_err(task))?;
    Ok(vec![NativeOutput { table: out, keep: Keep::Recipe }])
}

const MEASURES: [&str; 5] = [SCORE, TPA, NOP, TPT, "AverageTimeBetweenPurchases"];
const HIGH_SPENDER: &str = "HighSpender";

/// How many readers a pass over a stored table uses.
fn readers() -> usize {
    rayon::current_num_threads().clamp(1, 4)
}

/// One reader's share of a pass: per group, the moments of each measure, the
/// number of high spenders, and (for medians) the gathered values of one measure.
#[derive(Default)]
struct Share {
    groups: Groups,
    moments: Vec<[Moments; 5]>,
    high_spenders: Vec<i64>,
    gathered: Vec<Vec<f64>>,
}

impl Share {
    fn group_slots(&mut self) {
        let n = self.groups.keys.len();
        self.moments.resize_with(n, Default::default);
        self.high_spenders.resize(n, 0);
        self.gathered.resize_with(n, Vec::new);
    }

    /// Adds another reader's share, matching groups by key.
    fn merge(&mut self, other: Share) {
        for (g, key) in other.groups.keys.iter().enumerate() {
            let mine = self.groups.index_of(key);
            self.group_slots();
            for (m, moments) in other.moments[g].iter().enumerate() {
                self.moments[mine][m].merge(moments);
            }
            self.high_spenders[mine] += other.high_spenders[g];
            self.gathered[mine].extend_from_slice(&other.gathered[g]);
        }
    }
}

/// Reads `table` once: the moments of all measures when `all_moments`, and
/// the values of measure `gather` per group when asked.
fn pass(task: &'static str, table: &Table, all_moments: bool, with_m2: bool, gather: Option<usize>) -> Result<Share> {
    let err = polars_err(task);
    let mut columns = vec![SEGMENT];
    if all_moments {
        columns.extend(MEASURES);
        columns.push(HIGH_SPENDER);
    }
    if let Some(m) = gather {
        if !columns.contains(&MEASURES[m]) {
            columns.push(MEASURES[m]);
        }
    }
    let shares: Vec<std::sync::Mutex<Share>> = (0..readers()).map(|_| Default::default()).collect();
    table.for_each_batch(task, &columns, shares.len(), |reader, df| {
        let mut share = shares[reader].lock().unwrap_or_else(|p| p.into_inner());
        let share = &mut *share;
        let group_of = share.groups.assign(df.column(SEGMENT).map_err(&err)?).map_err(&err)?;
        share.group_slots();
        if all_moments {
            for (m, measure) in MEASURES.iter().enumerate() {
                let values = Values::of(df.column(measure).map_err(&err)?).map_err(&err)?;
                let mut per_group: Vec<Moments> = share.moments.iter().map(|g| g[m].clone()).collect();
                Moments::accumulate(&mut per_group, &group_of, &values, with_m2);
                for (g, moments) in per_group.into_iter().enumerate() {
                    share.moments[g][m] = moments;
                }
            }
            let spenders = df.column(HIGH_SPENDER).map_err(&err)?.cast(&DataType::Int64).map_err(&err)?;
            for (row, v) in spenders.i64().map_err(&err)?.iter().enumerate() {
                if let (g, Some(v)) = (group_of[row], v) {
                    if g != NO_GROUP {
                        share.high_spenders[g as usize] += v;
                    }
                }
            }
        }
        if let Some(m) = gather {
            let values = Values::of(df.column(MEASURES[m]).map_err(&err)?).map_err(&err)?;
            values.each(|row, v| {
                let g = group_of[row];
                if g != NO_GROUP {
                    share.gathered[g as usize].push(v);
                }
            });
        }
        Ok(())
    })?;
    let mut shares = shares.into_iter().map(|s| s.into_inner().unwrap_or_else(|p| p.into_inner()));
    let mut total = shares.next().unwrap_or_default();
    for share in shares {
        total.merge(share);
    }
    Ok(total)
}

/// Task 3: the metric of each measure per segment, and the number of high spenders.
fn segment_analysis(inputs: &[NativeInput]) -> Result<Vec<NativeOutput>> {
    let task = SEGMENT_ANALYSIS.name;
    let table = inputs[0].table(task, "df")?;
    let metric = inputs[1].as_str(task, "metric")?.to_owned();
    if !METRICS.contains(&metric.as_str()) {
        return Err(TaskError::InvalidParameter {
            task,
            param: "metric",
            value: format!("{metric:?}"),
            expected: format!("one of {}", METRICS.join(", ")),
        });
    }
    let schema = require_columns(task, &table, &[SCORE, TPA, NOP, TPT, HIGH_SPENDER, MEASURES[4]], &[SEGMENT])?;
    let is_int = |m: &str| schema.get(m).is_some_and(|d| d.is_integer() || d.is_bool());
    let total = pass(task, &table, true, metric == "std", None)?;
    let order = total.groups.sorted();
    let mut medians: Vec<Vec<Option<f64>>> = Vec::new();
    if metric == "median" {
        // One measure at a time, so memory holds one column, not five.
        for m in 0..MEASURES.len() {
            let mut gathered = pass(task, &table, false, false, Some(m))?;
            let mut column = Vec::with_capacity(order.len());
            for &g in &order {
                let at = gathered.groups.index_of(&total.groups.keys[g]);
                gathered.group_slots();
                column.push(stats::median(&mut gathered.gathered[at]));
            }
            medians.push(column);
        }
    }
    let err = polars_err(task);
    let keys: Vec<&str> = order.iter().map(|&g| total.groups.keys[g].as_str()).collect();
    let mut columns = vec![Column::new(SEGMENT.into(), keys)];
    for (m, &measure) in MEASURES.iter().enumerate() {
        if m == 4 {
            let spenders: Vec<i64> = order.iter().map(|&g| total.high_spenders[g]).collect();
            columns.push(Column::new(HIGH_SPENDER.into(), spenders));
        }
        let of = |f: &dyn Fn(&Moments) -> Option<f64>| -> Vec<Option<f64>> {
            order.iter().map(|&g| f(&total.moments[g][m])).collect()
        };
        let column = match metric.as_str() {
            "mean" => Column::new(measure.into(), of(&Moments::mean)),
            "median" => Column::new(measure.into(), std::mem::take(&mut medians[m])),
            "std" => Column::new(measure.into(), of(&Moments::std)),
            "count" => {
                let counts: Vec<i64> = order.iter().map(|&g| total.moments[g][m].count as i64).collect();
                Column::new(measure.into(), counts)
            }
            "sum" => Column::new(measure.into(), of(&|mo| Some(mo.sum()))),
            "min" => Column::new(measure.into(), of(&Moments::min)),
            _ => Column::new(measure.into(), of(&Moments::max)),
        };
        let keeps_int = is_int(measure) && matches!(metric.as_str(), "sum" | "min" | "max");
        columns.push(if keeps_int { column.cast(&DataType::Int64).map_err(&err)? } else { column });
    }
    let out = DataFrame::new(order.len(), columns).map_err(&err)?;
    Ok(vec![NativeOutput { table: Table::Lazy(out.lazy()), keep: Keep::Small }])
}

/// One reader's share of task 4's pass over the High Value rows.
#[derive(Default)]
struct HighValueShare {
    rows: u64,
    amounts: Moments,
    amount_values: Vec<f64>,
    scores: Vec<f64>,
}

/// Task 4: summary statistics of the High Value segment.
fn high_value_cust_summary_statistics(inputs: &[NativeInput]) -> Result<Vec<NativeOutput>> {
    let task = HIGH_VALUE_CUST_SUMMARY_STATISTICS.name;
    let table = inputs[0].table(task, "df")?;
    let analysis = inputs[1].table(task, "segment_analysis")?;
    let statistic = inputs[2].as_str(task, "summary_statistic_type")?.to_owned();
    if !SUMMARY_STATISTICS.contains(&statistic.as_str()) {
        return Err(TaskError::InvalidParameter {
            task,
            param: "summary_statistic_type",
            value: format!("{statistic:?}"),
            expected: format!("one of {}", SUMMARY_STATISTICS.join(", ")),
        });
    }
    require_columns(task, &table, &[TPA, SCORE], &[SEGMENT])?;
    require_columns(task, &analysis, &[TPA], &[SEGMENT])?;
    let err = polars_err(task);
    let gather_amounts = statistic == "median";
    let shares: Vec<std::sync::Mutex<HighValueShare>> = (0..readers()).map(|_| Default::default()).collect();
    table.for_each_batch(task, &[SEGMENT, TPA, SCORE], shares.len(), |reader, df| {
        let mut share = shares[reader].lock().unwrap_or_else(|p| p.into_inner());
        let share = &mut *share;
        let high: Vec<u32> = df
            .column(SEGMENT)
            .map_err(&err)?
            .str()
            .map_err(&err)?
            .iter()
            .map(|segment| if segment == Some(HIGH) { 0 } else { NO_GROUP })
            .collect();
        share.rows += high.iter().filter(|&&h| h == 0).count() as u64;
        let amounts = Values::of(df.column(TPA).map_err(&err)?).map_err(&err)?;
        Moments::accumulate(std::slice::from_mut(&mut share.amounts), &high, &amounts, false);
        if gather_amounts {
            amounts.each(|row, v| {
                if high[row] == 0 {
                    share.amount_values.push(v);
                }
            });
        }
        Values::of(df.column(SCORE).map_err(&err)?).map_err(&err)?.each(|row, v| {
            if high[row] == 0 {
                share.scores.push(v);
            }
        });
        Ok(())
    })?;
    let mut total = HighValueShare::default();
    for share in shares {
        let share = share.into_inner().unwrap_or_else(|p| p.into_inner());
        total.rows += share.rows;
        total.amounts.merge(&share.amounts);
        total.amount_values.extend(share.amount_values);
        total.scores.extend(share.scores);
    }
    if total.rows == 0 {
        return Err(TaskError::InvalidData {
            task,
            message: "no customer is in the \"High Value\" segment (no score is above score_threshold), \
                      so its statistics cannot be computed"
                .into(),
        });
    }
    let amount = match statistic.as_str() {
        "mean" => total.amounts.mean(),
        "median" => stats::median(&mut total.amount_values),
        "max" => total.amounts.max(),
        _ => total.amounts.min(),
    };
    let segment_value = analysis
        .lazy()
        .map_err(&err)?
        .filter(col(SEGMENT).eq(lit(HIGH)))
        .select([col(TPA).first().alias("SegmentAnalysisHighValue")])
        .collect()
        .map_err(&err)?;
    let result = DataFrame::new(
        1,
        vec![
            Column::new("SummaryStatisticType".into(), [statistic.as_str()]),
            Column::new("AveragePurchaseHighValue".into(), [amount]),
            Column::new("MedianScoreHighValue".into(), [stats::median(&mut total.scores)]),
            segment_value.column("SegmentAnalysisHighValue").map_err(&err)?.clone(),
        ],
    )
    .map_err(&err)?;
    Ok(vec![NativeOutput { table: Table::Lazy(result.lazy()), keep: Keep::Small }])
}
