"""A folder of daily Parquet files and the user's LazyFrame task over it, shared by
bench_daily_folder.py and bench_partition_scaling.py (imported by name in each step's
process and on Dask workers)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import polars as pl
from _common import DATA, customers_csv


def by_country(day: pl.LazyFrame) -> pl.LazyFrame:
    """The user's per-day work: big spenders by country and number of purchases."""
    return (
        day.filter(pl.col("TotalPurchaseAmount") > 900)
        .with_columns((pl.col("TotalPurchaseAmount") / pl.col("NumberOfPurchases")).alias("per_purchase"))
        .group_by("Country", "NumberOfPurchases")
        .agg(pl.len().alias("customers"), pl.col("TotalPurchaseTime").sum(), pl.col("per_purchase").max())
    )


def combine(per_day: pl.DataFrame) -> pl.DataFrame:
    """The reduction over the per-day tables."""
    return (
        per_day.group_by("Country", "NumberOfPurchases")
        .agg(pl.col("customers").sum(), pl.col("TotalPurchaseTime").sum(), pl.col("per_purchase").max())
        .sort("Country", "NumberOfPurchases")
    )


def trivial_partition(day: pl.LazyFrame) -> pl.LazyFrame:
    """A partition job that does nothing but pass through scenarium (decode, store, memo)."""
    return day.head(1)


def scenario(days: str, storage: str) -> Any:
    """The scenario of ``storage`` (made on first use): ``by_country`` per file of ``days``, then ``combine``."""
    import scenarium as sc
    from scenarium import Config

    Config.configure_core(storage_folder=storage, progress=False)
    daily = Config.configure_parquet_data_node("daily", default_path=days, partitioned=True, exposed_type="polars")
    per_day = Config.configure_parquet_data_node("per_day")
    totals = Config.configure_parquet_data_node("totals", exposed_type="polars")
    mapped = Config.configure_task("by_country", by_country, daily, per_day, partitioned=True, skippable=True)
    reduced = Config.configure_task("combine", combine, per_day, totals, skippable=True)
    found = sc.get_scenarios()
    return found[0] if found else sc.create_scenario(Config.configure_scenario("days", [mapped, reduced]))


def daily_files(days: int, rows_per_day: int) -> Path:
    """``days`` daily Parquet files cut from the generated customers (seed 7), made once."""
    folder = DATA / f"daily_{days}x{rows_per_day}"
    if (folder / "done").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    held: list[pl.DataFrame] = []
    count = day = 0
    # One pass over the CSV, a day's rows written as soon as they are read.
    for batch in pl.scan_csv(customers_csv(days * rows_per_day)).collect_batches(chunk_size=100_000):
        while batch.height:
            take = batch.head(rows_per_day - count)
            held.append(take)
            count += take.height
            batch = batch.slice(take.height)
            if count == rows_per_day:
                pl.concat(held).write_parquet(folder / f"day-{day:04d}.parquet")
                held, count, day = [], 0, day + 1
    (folder / "done").write_text("")
    return folder
