"""The article's scenario with the user's own lazy polars tasks (lazy_algos.py): the same
data nodes and parameters as examples/article/config.py; task 4's inputs bound by
name (see examples/native/config.py for why)."""

import lazy_algos as algos

from scenarium import Config

path_to_data_cfg = Config.configure_data_node(id="path_to_data", default_data="data/customers_data.csv")
scored_df_cfg = Config.configure_data_node(id="scored_df")
payment_threshold_cfg = Config.configure_data_node(id="payment_threshold", default_data=1000)
score_threshold_cfg = Config.configure_data_node(id="score_threshold", default_data=1.5)
segmented_customer_df_cfg = Config.configure_data_node(id="segmented_customer_df")
metric_cfg = Config.configure_data_node(id="metric", default_data="mean")
segment_result_cfg = Config.configure_data_node(id="segment_result")
summary_statistic_type_cfg = Config.configure_data_node(id="summary_statistic_type", default_data="median")
high_value_summary_df_cfg = Config.configure_data_node(id="high_value_summary_df")

tasks = [
    Config.configure_task(
        "preprocess_and_score", algos.preprocess_and_score, [path_to_data_cfg], [scored_df_cfg], skippable=True
    ),
    Config.configure_task(
        "featurization_and_segmentation",
        algos.featurization_and_segmentation,
        [scored_df_cfg, payment_threshold_cfg, score_threshold_cfg],
        [segmented_customer_df_cfg],
        skippable=True,
    ),
    Config.configure_task(
        "segment_analysis",
        algos.segment_analysis,
        [segmented_customer_df_cfg, metric_cfg],
        [segment_result_cfg],
        skippable=True,
    ),
    Config.configure_task(
        "high_value_cust_summary_statistics",
        algos.high_value_cust_summary_statistics,
        {
            "df": segmented_customer_df_cfg,
            "segment_analysis": segment_result_cfg,
            "summary_statistic_type": summary_statistic_type_cfg,
        },
        [high_value_summary_df_cfg],
        skippable=True,
    ),
]
scenario_cfg = Config.configure_scenario(id="scenario_lazy", task_configs=tasks)
