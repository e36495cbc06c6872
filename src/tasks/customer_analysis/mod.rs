//! The article's customer analysis (`algos/algo.py`) as four native tasks on
//! polars LazyFrames. Numbers match the article's pandas code within 1e-9
//! relative: divisions by constants are true IEEE divisions in pandas' order
//! (polars would multiply by the reciprocal), NaN never counts as greater than
//! a threshold, and aggregations skip NaN and missing values as pandas does.

use polars::prelude::*;

mod csv_scores;
mod medians;
mod numbers;
#[cfg(test)]
mod parts_tests;
mod records;
mod rows;
mod scored;
mod segments;
mod separators;

use scored::{ScoredCsv, Segmentation};

use std::path::Path;

use crate::interrupt;
use crate::native::byte_ranges;
use crate::native::{self, collect_streaming, Keep, NativeInput, NativeOutput, NativeTask, Result, Table, TaskError};

const PURCHASE_AMOUNT: &str = "TotalPurchaseAmount";
const PURCHASES: &str = "NumberOfPurchases";
const REVIEW_SCORE: &str = "AverageReviewScore";
const PURCHASE_TIME: &str = "TotalPurchaseTime";
const SCORE: &str = "CUSTOMER_SCORE";
const SEGMENT: &str = "ValueSegment";
const HIGH: &str = "High Value";
const LOW: &str = "Low Value";

pub const PREPROCESS_AND_SCORE: NativeTask = NativeTask {
    name: "customer_analysis.preprocess_and_score",
    version: 1,
    params: &["path_to_data"],
    outputs: 1,
    partitions: true,
    run: preprocess_and_score,
};

pub const FEATURIZATION_AND_SEGMENTATION: NativeTask = NativeTask {
    name: "customer_analysis.featurization_and_segmentation",
    version: 1,
    params: &["scored_df", "payment_threshold", "score_threshold"],
    outputs: 1,
    partitions: false,
    run: featurization_and_segmentation,
};

pub const SEGMENT_ANALYSIS: NativeTask = NativeTask {
    name: "customer_analysis.segment_analysis",
    version: 1,
    params: &["df", "metric"],
    outputs: 1,
    partitions: false,
    run: segment_analysis,
};

pub const HIGH_VALUE_CUST_SUMMARY_STATISTICS: NativeTask = NativeTask {
    name: "customer_analysis.high_value_cust_summary_statistics",
    version: 1,
    params: &["df", "segment_analysis", "summary_statistic_type"],
    outputs: 1,
    partitions: false,
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
            native::check_csv(task, path)?;
            let layout = csv_scores::layout(task, path, [PURCHASE_AMOUNT, PURCHASES, REVIEW_SCORE, PURCHASE_TIME])?;
            // Partitions of the file only when the task is configured `partitioned=True`.
            let plan = match byte_ranges::wanted() {
                true => byte_ranges::plan(
                    Path::new(path),
                    layout.data_start,
                    byte_ranges::block_size(),
                    &interrupt::io_check(),
                )
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::Interrupted => TaskError::Interrupted { task },
                    _ => TaskError::InvalidData { task, message: format!("cannot read {path}: {e}") },
                })?,
                false => None,
            };
            let scored = ScoredCsv {
                task,
                version: PREPROCESS_AND_SCORE.version,
                path: path.to_owned(),
                parts_layout: std::sync::Mutex::new(layout.clone()),
                layout,
                plan,
                score_name: SCORE,
                score: customer_score,
            };
            return Ok(vec![NativeOutput { table: Table::Produced(Arc::new(scored)), keep: Keep::Large }]);
        }
    };
    Ok(vec![NativeOutput { table: Table::Lazy(score(task, &table)?), keep: Keep::Large }])
}

/// The article's score of one customer, in pandas' order of operations.
fn customer_score(amount: f64, purchases: f64, review: f64) -> f64 {
    (0.5 * amount) / 1000.0 + (0.3 * purchases) / 10.0 + 0.2 * review
}

/// The score as a polars query (for tables given in memory); the same
/// arithmetic as `ScoredCsv::score`.
fn score(task: &'static str, table: &Table) -> Result<LazyFrame> {
    require_columns(task, table, &[PURCHASE_AMOUNT, PURCHASES, REVIEW_SCORE, PURCHASE_TIME], &[])?;
    let score = true_div(lit(0.5) * col(PURCHASE_AMOUNT), 1000.0)
        + true_div(lit(0.3) * col(PURCHASES), 10.0)
        + lit(0.2) * col(REVIEW_SCORE);
    Ok(table.lazy().map_err(polars_err(task))?.select([
        score.alias(SCORE),
        col(PURCHASE_AMOUNT),
        col(PURCHASES),
        col(PURCHASE_TIME),
    ]))
}

/// Task 2: features and the High/Low value segment.
fn featurization_and_segmentation(inputs: &[NativeInput]) -> Result<Vec<NativeOutput>> {
    let task = FEATURIZATION_AND_SEGMENTATION.name;
    let table = inputs[0].table(task, "scored_df")?;
    let payment_threshold = inputs[1].as_f64(task, "payment_threshold")?;
    let score_threshold = inputs[2].as_f64(task, "score_threshold")?;
    let schema = require_columns(task, &table, &[SCORE, PURCHASE_AMOUNT, PURCHASES, PURCHASE_TIME], &[])?;
    let segmentation = Segmentation { payment_threshold, score_threshold };
    let out = table
        .with_recipe_columns(
            vec![
                greater_than(col(PURCHASE_AMOUNT), payment_threshold, is_float(&schema, PURCHASE_AMOUNT))
                    .cast(DataType::Int64)
                    .alias("HighSpender"),
                (col(PURCHASE_TIME).cast(DataType::Float64) / col(PURCHASES).cast(DataType::Float64))
                    .alias("AverageTimeBetweenPurchases"),
                (col(PURCHASE_AMOUNT) * col(PURCHASES)).alias("Interaction1"),
                (col(PURCHASE_TIME) * col(SCORE)).alias("Interaction2"),
                (col(PURCHASE_AMOUNT) * col(PURCHASE_AMOUNT)).alias("PolynomialFeature"),
                when(greater_than(col(SCORE), score_threshold, true))
                    .then(lit(HIGH))
                    .otherwise(lit(LOW))
                    .alias(SEGMENT),
            ],
            segmentation,
        )
        .map_err(polars_err(task))?;
    Ok(vec![NativeOutput { table: out, keep: Keep::Recipe }])
}

fn metric_expr(name: &str, metric: &str, is_float: bool) -> Expr {
    // pandas skips NaN as well as missing values.
    let c = if is_float { col(name).fill_nan(lit(NULL)) } else { col(name) };
    match metric {
        "mean" => c.mean(),
        "median" => c.median(),
        "min" => c.min(),
        "max" => c.max(),
        "sum" => c.sum(),
        "std" => c.std(1),
        _ => c.count().cast(DataType::Int64),
    }
    .alias(name)
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
    let measures = [SCORE, PURCHASE_AMOUNT, PURCHASES, PURCHASE_TIME, "AverageTimeBetweenPurchases"];
    let schema = require_columns(
        task,
        &table,
        &[SCORE, PURCHASE_AMOUNT, PURCHASES, PURCHASE_TIME, "HighSpender", "AverageTimeBetweenPurchases"],
        &[SEGMENT],
    )?;
    if let Some((stored, segmentation)) = table.stored_recipe::<Segmentation>() {
        let ints = measures.map(|m| schema.get(m).is_some_and(|d| d.is_integer() || d.is_bool()));
        let out = segments::segment_analysis(task, stored, segmentation, &metric, ints)?;
        return Ok(vec![NativeOutput { table: Table::Lazy(out.lazy()), keep: Keep::Small }]);
    }
    let lf = table.lazy().map_err(polars_err(task))?;
    if metric == "median" {
        return median_by_segment(task, lf, &schema, &measures);
    }
    let mut aggs: Vec<Expr> = measures[..4].iter().map(|m| metric_expr(m, &metric, is_float(&schema, m))).collect();
    aggs.push(col("HighSpender").sum().alias("HighSpender"));
    aggs.push(metric_expr(measures[4], &metric, true));
    let out = lf.group_by([col(SEGMENT)]).agg(aggs).sort([SEGMENT], SortMultipleOptions::default());
    Ok(vec![NativeOutput { table: Table::Lazy(out), keep: Keep::Small }])
}

/// polars' grouped median is not streamed: it would load every column of the
/// whole table at once. Here each (segment, column) median reads that column
/// of that segment alone, so memory is bounded by one column of one segment.
fn median_by_segment(
    task: &'static str,
    lf: LazyFrame,
    schema: &Schema,
    measures: &[&str],
) -> Result<Vec<NativeOutput>> {
    let err = polars_err(task);
    // pandas' groupby leaves out rows without a segment.
    let counts = collect_streaming(
        lf.clone()
            .filter(col(SEGMENT).is_not_null())
            .group_by([col(SEGMENT)])
            .agg([col("HighSpender").sum().alias("HighSpender")])
            .sort([SEGMENT], SortMultipleOptions::default()),
    )
    .map_err(&err)?;
    let segments: Vec<String> =
        counts.column(SEGMENT).map_err(&err)?.str().map_err(&err)?.iter().flatten().map(str::to_owned).collect();
    let mut columns = vec![counts.column(SEGMENT).map_err(&err)?.clone()];
    for (i, &measure) in measures.iter().enumerate() {
        if i == measures.len() - 1 {
            columns.push(counts.column("HighSpender").map_err(&err)?.clone());
        }
        let values = if is_float(schema, measure) { col(measure).fill_nan(lit(NULL)) } else { col(measure) };
        let mut medians: Vec<Option<f64>> = Vec::with_capacity(segments.len());
        for segment in &segments {
            let one = lf
                .clone()
                .filter(col(SEGMENT).eq(lit(segment.as_str())))
                .select([values.clone().median().alias(measure)]);
            let df = collect_streaming(one).map_err(&err)?;
            medians.push(df.column(measure).map_err(&err)?.get(0).map_err(&err)?.extract::<f64>());
        }
        columns.push(Column::new(measure.into(), medians));
    }
    let out = DataFrame::new(segments.len(), columns).map_err(&err)?;
    Ok(vec![NativeOutput { table: Table::Lazy(out.lazy()), keep: Keep::Small }])
}

/// Task 4: summary statistics of the High Value segment.
fn high_value_cust_summary_statistics(inputs: &[NativeInput]) -> Result<Vec<NativeOutput>> {
    let task = HIGH_VALUE_CUST_SUMMARY_STATISTICS.name;
    let table = inputs[0].table(task, "df")?;
    let analysis_table = inputs[1].table(task, "segment_analysis")?;
    let statistic = inputs[2].as_str(task, "summary_statistic_type")?.to_owned();
    if !SUMMARY_STATISTICS.contains(&statistic.as_str()) {
        return Err(TaskError::InvalidParameter {
            task,
            param: "summary_statistic_type",
            value: format!("{statistic:?}"),
            expected: format!("one of {}", SUMMARY_STATISTICS.join(", ")),
        });
    }
    let schema = require_columns(task, &table, &[PURCHASE_AMOUNT, SCORE], &[SEGMENT])?;
    require_columns(task, &analysis_table, &[PURCHASE_AMOUNT], &[SEGMENT])?;
    let (rows, amount, score_median) = match table.stored_recipe::<Segmentation>() {
        Some((stored, segmentation)) => segments::high_value_summary(task, stored, segmentation, &statistic)?,
        None => high_value_stats_by_polars(task, &table, &schema, &statistic)?,
    };
    if rows == 0 {
        return Err(TaskError::InvalidData {
            task,
            message: "no customer is in the \"High Value\" segment (no score is above score_threshold), \
                      so its statistics cannot be computed"
                .into(),
        });
    }
    let analysis = analysis_table.lazy().map_err(polars_err(task))?;
    let segment_value = analysis
        .filter(col(SEGMENT).eq(lit(HIGH)))
        .select([col(PURCHASE_AMOUNT).first().alias("SegmentAnalysisHighValue")])
        .collect()
        .map_err(polars_err(task))?;
    let result = DataFrame::new(
        1,
        vec![
            Column::new("SummaryStatisticType".into(), [statistic.as_str()]),
            Column::new("AveragePurchaseHighValue".into(), [amount]),
            Column::new("MedianScoreHighValue".into(), [score_median]),
            segment_value.column("SegmentAnalysisHighValue").map_err(polars_err(task))?.clone(),
        ],
    )
    .map_err(polars_err(task))?;
    Ok(vec![NativeOutput { table: Table::Lazy(result.lazy()), keep: Keep::Small }])
}

/// Task 4's numbers by polars, for tables other than task 2's stored recipe:
/// (High Value rows, the statistic of their amounts, the median of their scores).
fn high_value_stats_by_polars(
    task: &'static str,
    table: &Table,
    schema: &Schema,
    statistic: &str,
) -> Result<(u64, Option<f64>, Option<f64>)> {
    let err = polars_err(task);
    let high = table.lazy().map_err(&err)?.filter(col(SEGMENT).eq(lit(HIGH)));
    let amount =
        if is_float(schema, PURCHASE_AMOUNT) { col(PURCHASE_AMOUNT).fill_nan(lit(NULL)) } else { col(PURCHASE_AMOUNT) };
    let amount = match statistic {
        "mean" => amount.mean(),
        "median" => amount.median(),
        "max" => amount.max(),
        _ => amount.min(),
    };
    let stats = high.select([
        len().cast(DataType::UInt64).alias("rows"),
        amount.cast(DataType::Float64).alias("amount"),
        col(SCORE).fill_nan(lit(NULL)).cast(DataType::Float64).median().alias("score"),
    ]);
    let stats = collect_streaming(stats).map_err(&err)?;
    let value = |name: &str| -> Result<AnyValue<'static>> {
        Ok(stats.column(name).map_err(&err)?.get(0).map_err(&err)?.into_static())
    };
    Ok((
        value("rows")?.extract::<u64>().unwrap_or(0),
        value("amount")?.extract::<f64>(),
        value("score")?.extract::<f64>(),
    ))
}
