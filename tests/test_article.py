"""The article's code, exactly as written, with only the Config import changed."""

from __future__ import annotations

import pandas as pd
import pytest

import scenarium as sc
from conftest import ARTICLE, ids

pytest.importorskip("dask.dataframe")


def test_config_is_the_article_with_one_import_changed() -> None:
    text = (ARTICLE / "config.py").read_text()
    assert text.startswith("from scenarium import Config\n")
    assert "taipy" not in text


def test_four_submits_match_direct_calls(article_dir, capsys) -> None:
    import config  # the article's config.py, from article_dir
    from algos import algo

    sc.Core().run()
    scenario = sc.create_scenario(config.scenario_cfg)

    first = scenario.submit()
    assert ids(first, sc.Status.COMPLETED) == [
        "preprocess_and_score",
        "featurization_and_segmentation",
        "segment_analysis",
        "high_value_cust_summary_statistics",
    ]

    scenario.payment_threshold.write(1600)
    second = scenario.submit()
    assert ids(second, sc.Status.SKIPPED) == ["preprocess_and_score"]

    scenario.metric.write("median")
    third = scenario.submit()
    assert ids(third, sc.Status.SKIPPED) == ["preprocess_and_score", "featurization_and_segmentation"]

    scenario.summary_statistic_type.write("max")
    fourth = scenario.submit()
    assert ids(fourth, sc.Status.COMPLETED) == ["high_value_cust_summary_statistics"]

    # The same functions called directly, bound as Taipy binds them: positionally,
    # so task 4 gets segment_result as `df` and the segmented frame as `segment_analysis`.
    scored = algo.preprocess_and_score("data/customers_data.csv")
    segmented = algo.featurization_and_segmentation(scored.copy(), 1600, 1.5)
    segment_result = algo.segment_analysis(segmented.copy(), "median")
    summary = algo.high_value_cust_summary_statistics(segment_result.copy(), segmented.copy(), "max")
    capsys.readouterr()

    pd.testing.assert_frame_equal(scenario.scored_df.read(), scored)
    pd.testing.assert_frame_equal(scenario.segmented_customer_df.read(), segmented)
    pd.testing.assert_frame_equal(scenario.segment_result.read(), segment_result)
    pd.testing.assert_frame_equal(scenario.high_value_summary_df.read(), summary)
    assert isinstance(scenario.high_value_summary_df.read(), pd.DataFrame)
