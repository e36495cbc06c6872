"""The baseline a data scientist would write without scenarium: plain eager Python
polars doing the article's four steps, intermediates kept in memory, re-running
what each of the four submits changes (all; 2-4; 3-4; 4). Prints one JSON line.

    python baseline_polars.py CSV
"""

from __future__ import annotations

import json
import resource
import sys
import time

import polars as pl


def score(path: str) -> pl.DataFrame:
    df = pl.read_csv(
        path, columns=["TotalPurchaseAmount", "NumberOfPurchases", "AverageReviewScore", "TotalPurchaseTime"]
    )
    return df.select(
        (
            0.5 * pl.col("TotalPurchaseAmount") / 1000
            + 0.3 * pl.col("NumberOfPurchases") / 10
            + 0.2 * pl.col("AverageReviewScore")
        ).alias("CUSTOMER_SCORE"),
        "TotalPurchaseAmount",
        "NumberOfPurchases",
        "TotalPurchaseTime",
    )


def segment(df: pl.DataFrame, payment: float, threshold: float) -> pl.DataFrame:
    return df.with_columns(
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


def analyse(df: pl.DataFrame, metric: str) -> pl.DataFrame:
    measures = ["CUSTOMER_SCORE", "TotalPurchaseAmount", "NumberOfPurchases", "TotalPurchaseTime"]
    aggs = [getattr(pl.col(m), metric)() for m in measures]
    aggs += [pl.col("HighSpender").sum(), getattr(pl.col("AverageTimeBetweenPurchases"), metric)()]
    return df.group_by("ValueSegment").agg(aggs).sort("ValueSegment")


def summarise(df: pl.DataFrame, analysis: pl.DataFrame, statistic: str) -> pl.DataFrame:
    high = df.filter(pl.col("ValueSegment") == "High Value")
    return pl.DataFrame(
        {
            "SummaryStatisticType": [statistic],
            "AveragePurchaseHighValue": [getattr(high["TotalPurchaseAmount"], statistic)()],
            "MedianScoreHighValue": [high["CUSTOMER_SCORE"].median()],
            "SegmentAnalysisHighValue": [
                analysis.filter(pl.col("ValueSegment") == "High Value")["TotalPurchaseAmount"][0]
            ],
        }
    )


def main() -> int:
    path = sys.argv[1]
    times = []
    start = time.perf_counter()
    scored = score(path)
    segmented = segment(scored, 1000, 1.5)
    analysis = analyse(segmented, "mean")
    summarise(segmented, analysis, "median")
    times.append(time.perf_counter() - start)
    start = time.perf_counter()
    segmented = segment(scored, 1600, 1.5)
    analysis = analyse(segmented, "mean")
    summarise(segmented, analysis, "median")
    times.append(time.perf_counter() - start)
    start = time.perf_counter()
    analysis = analyse(segmented, "median")
    summarise(segmented, analysis, "median")
    times.append(time.perf_counter() - start)
    start = time.perf_counter()
    summary = summarise(segmented, analysis, "max")
    times.append(time.perf_counter() - start)
    start = time.perf_counter()
    pl.scan_csv(path).select(
        ["TotalPurchaseAmount", "NumberOfPurchases", "AverageReviewScore", "TotalPurchaseTime"]
    ).collect(engine="streaming")
    floor = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "times_s": times,
                "csv_scan_floor_s": floor,
                "peak_rss_mib": peak_kib / 1024,
                "summary": summary.to_dicts()[0],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
