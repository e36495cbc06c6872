"""A data scientist's SQL alternative: the article's four steps in DuckDB, one
`CREATE TABLE ... AS` per task, each submit re-running what its change affects (all;
2-4; 3-4; 4), as the eager polars baseline does. Prints one JSON line.

    python baseline_duckdb.py {memory,file} CSV

memory: tables in an in-memory database; file: in a database file (a temporary
folder), as a pipeline that keeps its intermediates would. Arithmetic is IEEE double
as in pandas (a bare 0.5 is DECIMAL in DuckDB, so every constant is cast), divisions
are true divisions, and median is DuckDB's interpolating one, which is pandas'.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time

import duckdb
from _sequence import four_submits, peak_rss_mib

MEASURES = ["CUSTOMER_SCORE", "TotalPurchaseAmount", "NumberOfPurchases", "TotalPurchaseTime"]
AGGREGATE = {"mean": "avg", "median": "median", "max": "max", "min": "min"}


def d(value: float) -> str:
    """A constant as an IEEE double."""
    return f"CAST({float(value)!r} AS DOUBLE)"


def score(con: duckdb.DuckDBPyConnection, path: str) -> None:
    con.execute(
        f"""CREATE OR REPLACE TABLE scored AS SELECT
            {d(0.5)} * TotalPurchaseAmount / {d(1000)} + {d(0.3)} * NumberOfPurchases / {d(10)}
              + {d(0.2)} * AverageReviewScore AS CUSTOMER_SCORE,
            TotalPurchaseAmount, NumberOfPurchases, TotalPurchaseTime
        FROM read_csv(?)""",
        [path],
    )


def segment(con: duckdb.DuckDBPyConnection, payment: float, threshold: float) -> None:
    con.execute(
        f"""CREATE OR REPLACE TABLE segmented AS SELECT *,
            CAST(TotalPurchaseAmount > {d(payment)} AS BIGINT) AS HighSpender,
            CAST(TotalPurchaseTime AS DOUBLE) / NumberOfPurchases AS AverageTimeBetweenPurchases,
            TotalPurchaseAmount * NumberOfPurchases AS Interaction1,
            TotalPurchaseTime * CUSTOMER_SCORE AS Interaction2,
            pow(CAST(TotalPurchaseAmount AS DOUBLE), 2) AS PolynomialFeature,
            CASE WHEN CUSTOMER_SCORE > {d(threshold)} THEN 'High Value' ELSE 'Low Value' END AS ValueSegment
        FROM scored"""
    )


def analyse(con: duckdb.DuckDBPyConnection, metric: str) -> None:
    agg = AGGREGATE[metric]
    columns = ", ".join(f"{agg}(CAST({m} AS DOUBLE)) AS {m}" for m in MEASURES)
    con.execute(
        f"""CREATE OR REPLACE TABLE segment_result AS SELECT ValueSegment, {columns},
            sum(HighSpender) AS HighSpender, {agg}(AverageTimeBetweenPurchases) AS AverageTimeBetweenPurchases
        FROM segmented GROUP BY ValueSegment ORDER BY ValueSegment"""
    )


def summarise(con: duckdb.DuckDBPyConnection, statistic: str) -> None:
    agg = AGGREGATE[statistic]
    con.execute(
        f"""CREATE OR REPLACE TABLE summary AS SELECT
            '{statistic}' AS SummaryStatisticType,
            CAST({agg}(TotalPurchaseAmount) AS DOUBLE) AS AveragePurchaseHighValue,
            median(CUSTOMER_SCORE) AS MedianScoreHighValue,
            (SELECT TotalPurchaseAmount FROM segment_result WHERE ValueSegment = 'High Value')
              AS SegmentAnalysisHighValue
        FROM segmented WHERE ValueSegment = 'High Value'"""
    )


def rows(con: duckdb.DuckDBPyConnection, table: str) -> list[dict]:
    cursor = con.execute(f"SELECT * FROM {table}")
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def main() -> int:
    mode, path = sys.argv[1], sys.argv[2]
    folder = tempfile.mkdtemp(prefix="duckdb-suite-")
    try:
        return run(mode, path, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # gigabytes of tables at 30M rows and more


def run(mode: str, path: str, folder: str) -> int:
    con = duckdb.connect(os.path.join(folder, "pipeline.duckdb") if mode == "file" else ":memory:")
    times = []
    for node, params in four_submits():
        start = time.perf_counter()
        if node is None:
            score(con, path)
        if node in (None, "payment_threshold"):
            segment(con, params["payment_threshold"], params["score_threshold"])
        if node in (None, "payment_threshold", "metric"):
            analyse(con, params["metric"])
        summarise(con, params["summary_statistic_type"])
        if mode == "file":
            con.execute("CHECKPOINT")  # the tables are on disk, as a kept intermediate is
        times.append(time.perf_counter() - start)
    print(
        json.dumps(
            {
                "times_s": times,
                "peak_rss_mib": peak_rss_mib(),
                "segment_result": rows(con, "segment_result"),
                "summary": rows(con, "summary"),
            }
        )
    )
    con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
