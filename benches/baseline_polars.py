"""What a data scientist would write without a pipeline tool: the article's four
steps in Python polars, as one script. Prints one JSON line.

    python baseline_polars.py {eager,lazy} CSV

eager: intermediates kept in memory, each submit re-running what its change
affects (all; 2-4; 3-4; 4). lazy: each submit one lazy query from the CSV to the
two results, on the streaming engine. Divisions by constants use numpy's true
division, as pandas does: polars multiplies by the reciprocal, which differs in
the last bit and moves a few customers across the 1.5 score threshold.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import polars as pl
from _sequence import four_submits, peak_rss_mib, records

MEASURES = ["CUSTOMER_SCORE", "TotalPurchaseAmount", "NumberOfPurchases", "TotalPurchaseTime"]
COLUMNS = ["TotalPurchaseAmount", "NumberOfPurchases", "AverageReviewScore", "TotalPurchaseTime"]


def scored(frame: pl.LazyFrame | pl.DataFrame):
    score = (
        np.divide(0.5 * pl.col("TotalPurchaseAmount"), 1000.0)
        + np.divide(0.3 * pl.col("NumberOfPurchases"), 10.0)
        + 0.2 * pl.col("AverageReviewScore")
    )
    return frame.select(score.alias("CUSTOMER_SCORE"), *MEASURES[1:])


def segmented(frame, payment: float, threshold: float):
    return frame.with_columns(
        (pl.col("TotalPurchaseAmount") > payment).cast(pl.Int64).alias("HighSpender"),
        (pl.col("TotalPurchaseTime") / pl.col("NumberOfPurchases")).alias("AverageTimeBetweenPurchases"),
        (pl.col("TotalPurchaseAmount") * pl.col("NumberOfPurchases")).alias("Interaction1"),
        (pl.col("TotalPurchaseTime") * pl.col("CUSTOMER_SCORE")).alias("Interaction2"),
        (pl.col("TotalPurchaseAmount") ** 2).alias("PolynomialFeature"),
        pl.when(pl.col("CUSTOMER_SCORE") > threshold)
        .then(pl.lit("High Value"))
        .otherwise(pl.lit("Low Value"))
        .alias("ValueSegment"),
    )


def analysed(frame, metric: str):
    name = {"count": "count", "std": "std"}.get(metric, metric)
    aggs = [getattr(pl.col(m), name)() for m in MEASURES]
    aggs += [pl.col("HighSpender").sum(), getattr(pl.col("AverageTimeBetweenPurchases"), name)()]
    return frame.group_by("ValueSegment").agg(aggs).sort("ValueSegment")


def summarised(frame, analysis, statistic: str):
    high = frame.filter(pl.col("ValueSegment") == "High Value")
    segment_value = analysis.filter(pl.col("ValueSegment") == "High Value").select("TotalPurchaseAmount").head(1)
    stats = high.select(
        pl.lit(statistic).alias("SummaryStatisticType"),
        getattr(pl.col("TotalPurchaseAmount"), statistic)().cast(pl.Float64).alias("AveragePurchaseHighValue"),
        pl.col("CUSTOMER_SCORE").median().alias("MedianScoreHighValue"),
    )
    if isinstance(stats, pl.LazyFrame):
        return pl.concat(
            [stats, segment_value.rename({"TotalPurchaseAmount": "SegmentAnalysisHighValue"})], how="horizontal"
        )
    return stats.hstack(segment_value.rename({"TotalPurchaseAmount": "SegmentAnalysisHighValue"}))


def eager(path: str) -> tuple[list[float], pl.DataFrame, pl.DataFrame]:
    times = []
    frame = segments = analysis = summary = None
    for node, params in four_submits():
        start = time.perf_counter()
        if node is None:
            frame = scored(pl.read_csv(path, columns=COLUMNS))
        if node in (None, "payment_threshold"):
            segments = segmented(frame, params["payment_threshold"], params["score_threshold"])
        if node in (None, "payment_threshold", "metric"):
            analysis = analysed(segments, params["metric"])
        summary = summarised(segments, analysis, params["summary_statistic_type"])
        times.append(time.perf_counter() - start)
    return times, analysis, summary


def lazy(path: str) -> tuple[list[float], pl.DataFrame, pl.DataFrame]:
    times = []
    for _, params in four_submits():
        start = time.perf_counter()
        segments = segmented(scored(pl.scan_csv(path)), params["payment_threshold"], params["score_threshold"])
        analysis = analysed(segments, params["metric"])
        summary = summarised(segments, analysis, params["summary_statistic_type"])
        analysis, summary = pl.collect_all([analysis, summary], engine="streaming")
        times.append(time.perf_counter() - start)
    return times, analysis, summary


def main() -> int:
    mode, path = sys.argv[1], sys.argv[2]
    times, analysis, summary = (eager if mode == "eager" else lazy)(path)
    start = time.perf_counter()
    pl.scan_csv(path).select(COLUMNS).collect(engine="streaming")
    floor = time.perf_counter() - start
    print(
        json.dumps(
            {
                "times_s": times,
                "csv_scan_floor_s": floor,
                "peak_rss_mib": peak_rss_mib(),
                "segment_result": records(analysis),
                "summary": records(summary),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
