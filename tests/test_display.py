"""What a notebook or terminal user sees: graph pictures, HTML reprs, progress, plots."""

from __future__ import annotations

import random
import sys
import xml.etree.ElementTree as ET

import polars as pl
import pytest

import scenarium as sc
from scenarium import Config
from scenarium.display import dag_svg as _dag_svg
from scenarium.exceptions import MissingOptionalDependency

SVG = "{http://www.w3.org/2000/svg}"


def pipeline(fail: bool = False) -> sc.Scenario:
    def load(n: int) -> pl.DataFrame:
        return pl.DataFrame({"x": list(range(n)), "y": [i * 0.5 for i in range(n)]})

    def total(frame: pl.DataFrame, scale: float) -> float:
        if fail:
            raise ValueError("scale is broken")
        return float(frame["y"].sum()) * scale

    n = Config.configure_data_node("n", default_data=8)
    scale = Config.configure_data_node("scale", default_data=2.0)
    frame = Config.configure_data_node("frame")
    result = Config.configure_data_node("result")
    tasks = [
        Config.configure_task("load", load, [n], [frame], skippable=True),
        Config.configure_task("total", total, [frame, scale], [result], skippable=True),
    ]
    return sc.create_scenario(Config.configure_scenario("sums", task_configs=tasks), name="demo")


def svg_nodes(svg: str) -> dict[str, ET.Element]:
    """label -> the <rect> of that node, from a rendered graph."""
    root = ET.fromstring(svg)
    found = {}
    for group in root.iter(f"{SVG}g"):
        rect, text = group.find(f"{SVG}rect"), group.find(f"{SVG}text")
        if rect is not None and text is not None:
            found[text.text] = rect
    return found


def test_layout_respects_edges_and_never_overlaps() -> None:
    rng = random.Random(5)
    count = 300
    nodes = [_dag_svg.Node(f"n{i}", f"node_{i}", "task" if i % 2 else "data", "COMPLETED") for i in range(count)]
    edges = sorted({(f"n{a}", f"n{b}") for b in range(1, count) for a in rng.sample(range(b), min(b, 2))})
    centre, routes, width, height = _dag_svg.layout(nodes, edges)
    assert set(centre) == {n.id for n in nodes}
    for a, b in edges:  # every edge points down the page
        assert centre[a][1] < centre[b][1]
        assert all(centre[a][1] < y < centre[b][1] for _, y in routes[(a, b)])
    by_row: dict[float, list[tuple[float, float]]] = {}
    widths = {n.id: n.width for n in nodes}
    for node_id, (x, y) in centre.items():
        by_row.setdefault(y, []).append((x - widths[node_id] / 2, x + widths[node_id] / 2))
    for spans in by_row.values():
        spans.sort()
        assert all(left[1] <= right[0] for left, right in zip(spans, spans[1:]))
    assert all(0 <= x <= width and 0 <= y <= height for x, y in centre.values())
    ET.fromstring(_dag_svg.svg(nodes, edges))  # well-formed


def test_layout_puts_a_parameter_beside_the_task_that_reads_it() -> None:
    nodes = [_dag_svg.Node(i, i, "data" if i.islower() else "task", "data") for i in ["a", "T1", "b", "T2", "c", "p"]]
    edges = [("a", "T1"), ("T1", "b"), ("b", "T2"), ("p", "T2"), ("T2", "c")]
    centre, *_ = _dag_svg.layout(nodes, edges)
    assert centre["p"][1] == centre["b"][1]


def test_scenario_shows_its_graph_coloured_by_the_last_run() -> None:
    scenario = pipeline()
    before = svg_nodes(scenario.dag().svg)
    assert set(before) == {"n", "scale", "frame", "result", "load", "total"}
    assert before["load"].get("fill") == _dag_svg.STYLES["NOT RUN"][0]
    assert before["frame"].get("stroke-dasharray")  # no data yet

    scenario.submit()
    scenario.scale.write(3.0)
    scenario.submit()
    after = svg_nodes(scenario.dag().svg)
    assert after["load"].get("fill") == _dag_svg.STYLES["SKIPPED"][0]
    assert after["total"].get("fill") == _dag_svg.STYLES["COMPLETED"][0]
    assert after["frame"].get("stroke-dasharray") is None

    page = scenario._repr_html_()
    assert "<svg" in page and "demo" in page
    assert "Parameters" in page and "Outputs" in page
    assert "3.0" in page  # the parameter's value
    assert page.index("frame") < page.index("result")  # outputs in pipeline order


def test_a_failed_task_is_red_in_the_picture() -> None:
    scenario = pipeline(fail=True)
    with pytest.raises(sc.JobFailed):
        scenario.submit()
    assert svg_nodes(scenario.dag().svg)["total"].get("fill") == _dag_svg.STYLES["FAILED"][0]


def test_config_draws_before_any_scenario_exists() -> None:
    scenario = pipeline()
    config = Config.scenarios[scenario.config_id]
    assert set(svg_nodes(config.dag().svg)) == {"n", "scale", "frame", "result", "load", "total"}
    assert "skippable" in config._repr_html_()


def test_data_node_submission_and_job_reprs() -> None:
    scenario = pipeline()
    assert "no data" in scenario.frame._repr_html_()
    submission = scenario.submit()

    frame_html = scenario.frame._repr_html_()
    assert "8 rows × 2 columns" in frame_html
    assert submission.jobs[0].id in frame_html  # written by
    assert ">1<" in frame_html  # version

    sub_html = submission._repr_html_()
    assert "load" in sub_html and "total" in sub_html and "COMPLETED" in sub_html
    job_html = submission.jobs[1]._repr_html_()
    assert "total" in job_html and submission.id in job_html

    lineage = sc.lineage(scenario.result)
    assert set(svg_nodes(lineage.dag().svg)) >= {"result@1", "frame@1", "total", "load", "n@1"}
    assert "<svg" in lineage._repr_html_()
    assert "no issues" in repr(Config.check())


def test_progress_bar_in_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = pipeline()
    scenario.submit(progress=True)
    err = capsys.readouterr().err
    assert "2/2" in err and "job" in err

    scenario.scale.write(5.0)
    scenario.submit(progress=False)
    scenario.scale.write(6.0)
    scenario.submit()  # not a terminal (pytest captures): silent
    assert capsys.readouterr().err == ""

    Config.configure_core(storage_folder=Config.core.storage_folder, progress=False)
    scenario.scale.write(7.0)
    scenario.submit()
    assert capsys.readouterr().err == ""


def test_progress_and_on_event_both_see_every_event(capsys: pytest.CaptureFixture[str]) -> None:
    seen = []
    pipeline().submit(progress=True, on_event=lambda job: seen.append(job.status.name))
    assert seen.count("COMPLETED") == 2
    assert "2/2" in capsys.readouterr().err


def test_timeline_and_comparison_plots() -> None:
    pytest.importorskip("matplotlib")
    scenario = pipeline()
    submission = scenario.submit()
    figure = submission.timeline()
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert labels == ["load", "total"]
    assert figure._repr_png_().startswith(b"\x89PNG")

    other = sc.duplicate_scenario(scenario, name="bigger")
    other.n.write(12)
    other.submit()
    comparison = sc.compare_scenarios(scenario, other)
    figure = comparison.plot()
    assert [ax.get_title() for ax in figure.axes] == ["frame", "n", "result"]
    with pytest.raises(ValueError, match="only numbers and tables"):
        comparison.plot(data_nodes=["nope"])


def test_plots_without_matplotlib_say_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from scenarium.display import plots as _plots

    _plots._figure_class.cache_clear()
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    try:
        submission = pipeline().submit()
        with pytest.raises(MissingOptionalDependency, match=r"pip install 'scenarium\[plot\]'"):
            submission.timeline()
        with pytest.raises(ImportError):  # also an ImportError, for code that guards imports
            submission.timeline()
    finally:
        _plots._figure_class.cache_clear()
