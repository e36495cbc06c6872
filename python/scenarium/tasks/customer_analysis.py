"""The article's customer analysis (``algos/algo.py``) as native Rust tasks on polars.

In a scenario they read the CSV in blocks and keep their tables as Arrow IPC
files in the store, read back a block at a time, so a scenario built from
them works on CSVs larger than memory. Called directly they take polars (or
pandas) DataFrames, file paths and scalars and return polars DataFrames.
Ctrl-C stops them at their next block of data, in a scenario or called
directly.

Unlike the article's config, bind task 4 by meaning: ``df`` is the segmented
frame and ``segment_analysis`` the result of task 3.

Example:
    >>> import polars as pl
    >>> from scenarium.tasks import customer_analysis as ca
    >>> raw = pl.DataFrame({"TotalPurchaseAmount": [3000.0, 200.0], "NumberOfPurchases": [30, 2],
    ...                     "AverageReviewScore": [4.5, 3.0], "TotalPurchaseTime": [900, 40]})
    >>> scored = ca.preprocess_and_score(raw)
    >>> segmented = ca.featurization_and_segmentation(scored, 1000, 1.5)
    >>> segmented["ValueSegment"].to_list()
    ['High Value', 'Low Value']
"""

from __future__ import annotations

from scenarium.tasks._native import native_task

preprocess_and_score = native_task(
    "customer_analysis.preprocess_and_score",
    """Task 1: reads the customers CSV (a path) or takes a DataFrame, and adds CUSTOMER_SCORE =
    0.5 * TotalPurchaseAmount / 1000 + 0.3 * NumberOfPurchases / 10 + 0.2 * AverageReviewScore.
    Returns CUSTOMER_SCORE, TotalPurchaseAmount, NumberOfPurchases, TotalPurchaseTime.""",
)

featurization_and_segmentation = native_task(
    "customer_analysis.featurization_and_segmentation",
    """Task 2: adds HighSpender (TotalPurchaseAmount > payment_threshold, as 0/1),
    AverageTimeBetweenPurchases, Interaction1, Interaction2, PolynomialFeature, and
    ValueSegment ("High Value" when CUSTOMER_SCORE > score_threshold, else "Low Value").""",
)

segment_analysis = native_task(
    "customer_analysis.segment_analysis",
    """Task 3: per ValueSegment (sorted as pandas sorts), the ``metric`` ("mean", "median", "min",
    "max", "sum", "std" or "count") of each measure and the number of high spenders.""",
)

high_value_cust_summary_statistics = native_task(
    "customer_analysis.high_value_cust_summary_statistics",
    """Task 4: for the High Value customers of ``df``, the ``summary_statistic_type`` ("mean",
    "median", "max" or "min") of TotalPurchaseAmount, the median CUSTOMER_SCORE, and the
    TotalPurchaseAmount of the High Value row of ``segment_analysis``.""",
)

__all__ = [
    "featurization_and_segmentation",
    "high_value_cust_summary_statistics",
    "preprocess_and_score",
    "segment_analysis",
]
