"""The article's native configuration with task 1 partitioned, for the partition
benchmarks: run in each benchmark step's own process."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "native"


def growing_scenario(csv: str, storage: str) -> Any:
    """The scenario of ``storage`` (made on first use, reading ``csv``)."""
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
    found = sc.get_scenarios()
    if found:
        return found[0]
    scenario = sc.create_scenario(Config.configure_scenario("growing", [score, *others]))
    scenario.path_to_data.write(csv)
    return scenario
