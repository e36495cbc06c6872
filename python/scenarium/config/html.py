"""What a scenario configuration looks like in a notebook: its graph of data nodes and
tasks and its tasks' functions, drawn with ``display.html``'s pieces."""

from __future__ import annotations

from typing import Any, Protocol

from scenarium.display import dag_svg as _dag_svg
from scenarium.display.html import esc, panel, table


class ScenarioConfig(Protocol):
    """What is drawn of a ``model.ScenarioConfig`` (which imports this module to draw itself)."""

    @property
    def id(self) -> str: ...

    @property
    def data_node_configs(self) -> list[Any]: ...

    @property
    def task_configs(self) -> list[Any]: ...


def config_graph(config: ScenarioConfig) -> tuple[list[_dag_svg.Node], list[tuple[str, str]]]:
    nodes = [
        _dag_svg.Node(
            "dn:" + d.id,
            d.id,
            "data",
            "no data" if d.default_data is None else "data",
            "" if d.default_data is None else f"default: {d.default_data!r}",
        )
        for d in config.data_node_configs
    ]
    edges = []
    for t in config.task_configs:
        nodes.append(_dag_svg.Node("task:" + t.id, t.id, "task", "NOT RUN", getattr(t.function, "__qualname__", "")))
        edges += [("dn:" + d.id, "task:" + t.id) for d in t.input_configs]
        edges += [("task:" + t.id, "dn:" + d.id) for d in t.output_configs]
    return nodes, edges


def scenario_config(config: ScenarioConfig) -> str:
    nodes, edges = config_graph(config)
    rows = [
        [f"<code>{esc(t.id)}</code>", esc(_function_name(t.function)), "yes" if t.skippable else "no"]
        for t in config.task_configs
    ]
    title = f"<b>ScenarioConfig</b> <code>{esc(config.id)}</code>"
    side = f"<div><h4>Tasks</h4>{table(['task', 'function', 'skippable'], rows)}</div>"
    graph = f"<div>{_dag_svg.svg(nodes, edges, legend=False)}</div>"
    return panel(title, f'<div style="display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap">{graph}{side}</div>')


def _function_name(function: Any) -> str:
    module = getattr(function, "__module__", None) or ""
    name = getattr(function, "__qualname__", None) or repr(function)
    return f"{module}.{name}" if module else name
