"""The article's native configuration with task 1 partitioned, for the partition
benchmarks: run in each benchmark step's own process."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the annotations say LazyFrame; polars is imported where the tasks run
    import polars as pl

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "native"


def purchases_by_count(scored_df: pl.LazyFrame) -> pl.LazyFrame:
    """The user's own LazyFrame task, run per partition of task 1's output: integer
    sums and a maximum per number of purchases (exact whichever rows a partition holds)."""
    import polars as pl

    return (
        scored_df.filter(pl.col("TotalPurchaseAmount") > 900)
        .group_by("NumberOfPurchases")
        .agg(pl.len().alias("customers"), pl.col("TotalPurchaseTime").sum(), pl.col("CUSTOMER_SCORE").max())
    )


def combine_purchases(per_partition: pl.DataFrame) -> pl.DataFrame:
    """The reduction over the partitions' small tables."""
    import polars as pl

    return (
        per_partition.group_by("NumberOfPurchases")
        .agg(pl.col("customers").sum(), pl.col("TotalPurchaseTime").sum(), pl.col("CUSTOMER_SCORE").max())
        .sort("NumberOfPurchases")
    )


def growing_scenario(csv: str, storage: str, user_tasks: bool = False) -> Any:
    """The scenario of ``storage`` (made on first use, reading ``csv``); with
    ``user_tasks``, the user's LazyFrame task per partition of task 1's output and its
    reduction as well (output ``purchases``)."""
    import scenarium as sc
    from scenarium import Config
    from scenarium.tasks import customer_analysis as ca

    Config.configure_core(storage_folder=storage, progress=False)
    sys.path.insert(0, str(EXAMPLES))
    import config

    score = Config.configure_task(
        "preprocess_and_score", ca.preprocess_and_score, config.path_to_data_cfg, config.scored_df_cfg,
        skippable=True, partitioned=True,
    )  # fmt: skip
    others = [
        config.featurization_and_segmentation_task_cfg,
        config.segment_analysis_task_cfg,
        config.high_value_cust_summary_statistics_task_cfg,
    ]
    if user_tasks:
        by_part = Config.configure_parquet_data_node("purchases_by_partition")
        purchases = Config.configure_parquet_data_node("purchases", exposed_type="polars")
        mapped = Config.configure_task(
            "purchases_by_count", purchases_by_count, config.scored_df_cfg, by_part,
            skippable=True, partitioned=True,
        )  # fmt: skip
        combined = Config.configure_task("combine_purchases", combine_purchases, by_part, purchases, skippable=True)
        others += [mapped, combined]
    found = sc.get_scenarios()
    if found:
        return found[0]
    scenario = sc.create_scenario(Config.configure_scenario("growing", [score, *others]))
    scenario.path_to_data.write(csv)
    return scenario
