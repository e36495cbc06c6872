"""The suite's result as a Markdown table and a chart (bench_suite.py writes both)."""

from __future__ import annotations

from pathlib import Path

ARTICLE_S = [74.49, 31.499, 23.839, 5.084]  # the article's own timings (its machine, its data size)


def _s(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def markdown(result: dict, chart_name: str) -> str:
    m, v = result["machine"], result["versions"]
    lines = [
        f"# Benchmark suite, {m['when'][:10]}",
        "",
        f"Machine: {m['cpu']}, {m['cpus']} cores, {m['memory_gib']} GiB; {m['platform']}; Python {m['python']}.",
        f"Commit {m['commit']}. Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
        f"Each system ran the article's four submits {result['repeat']} times, in turns, each run in a process "
        "of its own, started after `sync` with the CSV in the page cache (no run pays for the one before); "
        "times are medians, peak memory the median of the runs' peaks.",
        "`vs native` is the system's total time over scenarium native's (above 1: scenarium is faster).",
        "Peak RSS counts pages of memory-mapped files (polars maps local CSV files); anonymous memory is what",
        "the process itself holds.",
        "",
    ]
    lines += [f"Note: {n}" for n in result["notes"]]
    for rows, size in result["sizes"].items():
        floor = size["csv_scan_floor_s"]
        lines += [
            f"## {int(rows):,} rows ({size['csv_bytes'] / 1e6:,.0f} MB CSV)",
            "",
            "| system | submit 1 | submit 2 | submit 3 | submit 4 | total (s) | vs native | peak RSS (MiB) | "
            "anonymous (MiB) | output |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, s in size["systems"].items():
            lines.append(
                f"| {name} | " + " | ".join(_s(t) for t in s["submits_s"]) + f" | **{_s(s['total_s'])}** | "
                f"{s['vs_scenarium_native']:.2f} | {s['peak_rss_mib']:,.0f} | {s['peak_anon_mib']:,.0f} | "
                f"{'equal' if s['output'] == 'ok' else 'DIFFERS: ' + s['output'][:120]} |"
            )
        if floor:
            lines += ["", f"Reading the four needed CSV columns with polars (the first submit's floor): {floor:.2f} s."]
        lines.append("")
    e = result["extras"]
    lines += [
        "## Other measurements",
        "",
        f"- Fully skipped submit (nothing changed), scenarium native: {e['fully_skipped_submit_ms']:.1f} ms",
        f"- Orchestration cost per job, 1000-task chain of trivial Python tasks: "
        f"{e['orchestration_ms_per_job_1000_task_chain']:.2f} ms",
        f"- First fingerprint of the largest CSV (page cache warm): {e['fingerprint_mb_per_s']:,.0f} MB/s",
        f"- Cold `import scenarium` (over a bare interpreter start): {e['cold_import_ms']:.0f} ms",
    ]
    if "wheel_build_s_dependencies_compiled" in e:
        wheel = e["wheel_build_s_dependencies_compiled"]
        lines.append(f"- `maturin build --release`, dependencies already compiled: {wheel:.0f} s")
    lines += [
        "",
        f"For reference, the article's own four submits took {', '.join(f'{t} s' for t in ARTICLE_S)} "
        f"({sum(ARTICLE_S):.1f} s) on its author's machine and data.",
        "",
        f"![totals]({chart_name})",
        "",
    ]
    return "\n".join(lines)


def chart(result: dict, path: Path) -> None:
    from matplotlib.figure import Figure

    sizes = list(result["sizes"])
    systems = list(result["sizes"][sizes[0]]["systems"])
    fig = Figure(figsize=(4.2 * len(sizes), 3.8), layout="constrained")
    axes = fig.subplots(1, len(sizes), squeeze=False)[0]
    colours = ["#78909c", "#4db6ac", "#ffb74d", "#7986cb"]
    for ax, rows in zip(axes, sizes):
        stats = result["sizes"][rows]["systems"]
        names = [n for n in systems if n in stats]
        bottoms = [0.0] * len(names)
        for step in range(4):
            heights = [stats[n]["submits_s"][step] for n in names]
            ax.barh(
                names,
                heights,
                left=bottoms,
                color=colours[step % len(colours)],
                alpha=0.35 + 0.15 * step,
                edgecolor="white",
                label=f"submit {step + 1}",
            )
            bottoms = [b + h for b, h in zip(bottoms, heights)]
        for i, n in enumerate(names):
            ax.annotate(f" {stats[n]['total_s']:.1f} s", (bottoms[i], i), va="center", fontsize=8)
        ax.invert_yaxis()
        ax.set_title(f"{int(rows):,} rows", fontsize=10)
        ax.set_xlabel("seconds (four submits, median)")
        ax.margins(x=0.2)
        ax.tick_params(axis="y", labelsize=8)
    axes[0].legend(fontsize=7, loc="lower right")
    fig.savefig(path, dpi=110)
