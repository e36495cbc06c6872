"""The four-submit sequence done by hand with plain polars, the baseline of the lazy
benchmark: each "submit" recomputes the four tasks from the CSV (nothing persisted),
as one streaming query (``lazy``) or on frames read whole (``eager``). Prints one JSON line.

    python plain_polars_sequence.py CSV lazy|eager
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples" / "lazy"))
import lazy_algos as algos  # noqa: E402
import polars as pl  # noqa: E402
from _sequence import DEFAULTS  # noqa: E402


def main() -> int:
    csv, mode = sys.argv[1], sys.argv[2]
    params = dict(DEFAULTS)
    steps = [None, ("payment_threshold", 1600), ("metric", "median"), ("summary_statistic_type", "max"), None]
    times = []
    for step in steps:
        if step is not None:
            params[step[0]] = step[1]
        start = time.perf_counter()
        scored = algos.preprocess_and_score(csv)
        if mode == "eager":  # every table whole in memory, as eager code holds it
            scored = scored.collect().lazy()
        segmented = algos.featurization_and_segmentation(scored, params["payment_threshold"], params["score_threshold"])
        if mode == "eager":
            segmented = segmented.collect().lazy()
        segments = algos.segment_analysis(segmented, params["metric"])
        summary = algos.high_value_cust_summary_statistics(segmented, segments, params["summary_statistic_type"])
        result = pl.collect_all([segments, summary], engine="streaming" if mode == "lazy" else "in-memory")
        times.append(time.perf_counter() - start)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"times_s": times, "peak_rss_mib": peak_kib / 1024, "summary": result[1].to_dicts()[0]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
