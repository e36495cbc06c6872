"""One run of the article's sequence (four submits, then one with nothing
changed) as the article's app does it, under scenarium or under Taipy, in its
own process so that its peak memory is its own. Prints one JSON line.

    python app_sequence.py {scenarium,taipy} {article,native} CSV STORAGE_FOLDER

"article" is the article's config.py and algos/algo.py (pandas + Dask), run by
Taipy as published or by scenarium with only the import changed; "native" is
examples/native/config.py (scenarium's Rust tasks; scenarium only).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path

from _sequence import STEPS, peak_rss_mib, records

REPO = Path(__file__).resolve().parent.parent


def scenario_config(framework: str, functions: str):
    folder = REPO / "examples" / functions
    text = (folder / "config.py").read_text()
    if framework == "taipy":
        text = text.replace("from scenarium import Config", "from taipy import Config")
    sys.path.insert(0, str(folder))  # the article's `algos` package
    namespace: dict = {}
    exec(compile(text, str(folder / "config.py"), "exec"), namespace)
    return namespace["scenario_cfg"]


def main() -> int:
    framework, functions, csv, storage = sys.argv[1:5]
    if framework == "taipy":
        import taipy as tp
        from taipy import Config

        Config.configure_core(root_folder=storage, storage_folder=os.path.join(storage, "data"))
    else:
        import scenarium as tp
        from scenarium import Config

        Config.configure_core(storage_folder=storage, progress=False)
    config = scenario_config(framework, functions)
    with contextlib.redirect_stdout(sys.stderr):  # the article's tasks print as they go
        orchestrator = tp.Orchestrator()
        orchestrator.run()
        scenario = tp.create_scenario(config)
        scenario.path_to_data.write(os.path.abspath(csv))
        times = []
        for node, value in STEPS:
            if node is not None:
                getattr(scenario, node).write(value)
            start = time.perf_counter()
            scenario.submit()
            times.append(time.perf_counter() - start)
        segments = records(scenario.segment_result.read())
        summary = records(scenario.high_value_summary_df.read())
        orchestrator.stop()
    print(
        json.dumps(
            {
                "times_s": times[:4],
                "skip_s": times[4],
                "peak_rss_mib": peak_rss_mib(),
                "segment_result": segments,
                "summary": summary,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
