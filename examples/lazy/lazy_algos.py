"""The article's four tasks, written by a user in polars' lazy API: each reads and
returns LazyFrames, so scenarium streams every table between them through its store
and nothing is collected whole (see the README, "Your own tasks on data bigger than
memory")."""

import polars as pl


def preprocess_and_score(path_to_original_data: str) -> pl.LazyFrame:
    return pl.scan_csv(path_to_original_data).select(
        CUSTOMER_SCORE=0.5 * pl.col("TotalPurchaseAmount") / 1000
        + 0.3 * pl.col("NumberOfPurchases") / 10
        + 0.2 * pl.col("AverageReviewScore"),
        TotalPurchaseAmount=pl.col("TotalPurchaseAmount"),
        NumberOfPurchases=pl.col("NumberOfPurchases"),
        TotalPurchaseTime=pl.col("TotalPurchaseTime"),
    )


def featurization_and_segmentation(
    scored_df: pl.LazyFrame, payment_threshold: float, score_threshold: float
) -> pl.LazyFrame:
    return scored_df.with_columns(
        HighSpender=(pl.col("TotalPurchaseAmount") > payment_threshold).cast(pl.Int64),
        AverageTimeBetweenPurchases=pl.col("TotalPurchaseTime") / pl.col("NumberOfPurchases"),
        Interaction1=pl.col("TotalPurchaseAmount") * pl.col("NumberOfPurchases"),
        Interaction2=pl.col("TotalPurchaseTime") * pl.col("CUSTOMER_SCORE"),
        PolynomialFeature=pl.col("TotalPurchaseAmount") ** 2,
        ValueSegment=pl.when(pl.col("CUSTOMER_SCORE") > score_threshold)
        .then(pl.lit("High Value"))
        .otherwise(pl.lit("Low Value")),
    )


def _metric(name: str, column: str) -> pl.Expr:
    return getattr(pl.col(column), name)()


def segment_analysis(df: pl.LazyFrame, metric: str) -> pl.LazyFrame:
    columns = ["CUSTOMER_SCORE", "TotalPurchaseAmount", "NumberOfPurchases", "TotalPurchaseTime"]
    return (
        df.group_by("ValueSegment")
        .agg(
            *[_metric(metric, c) for c in columns],
            pl.col("HighSpender").sum(),
            _metric(metric, "AverageTimeBetweenPurchases"),
        )
        .sort("ValueSegment")
    )


def high_value_cust_summary_statistics(
    df: pl.LazyFrame, segment_analysis: pl.LazyFrame, summary_statistic_type: str
) -> pl.LazyFrame:
    high = df.filter(pl.col("ValueSegment") == "High Value")
    segment = segment_analysis.filter(pl.col("ValueSegment") == "High Value").select(
        SegmentAnalysisHighValue=pl.col("TotalPurchaseAmount").first()
    )
    return high.select(
        SummaryStatisticType=pl.lit(summary_statistic_type),
        AveragePurchaseHighValue=_metric(summary_statistic_type, "TotalPurchaseAmount"),
        MedianScoreHighValue=pl.col("CUSTOMER_SCORE").median(),
    ).join(segment, how="cross")
