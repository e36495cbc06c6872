"""Draws a pipeline's graph as an inline SVG, with no system graphviz.

A layered (Sugiyama-style) layout, top to bottom so that long pipelines fit a
notebook's width: longest-path layers, inputs pulled down next to their first
reader, dummy points on edges that cross layers, barycenter sweeps to reduce
crossings. Linear in the graph's size per sweep; fine for a few hundred nodes.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

LAYER_GAP = 64
NODE_GAP = 18
NODE_HEIGHT = 30
CHAR_WIDTH = 7.0
MARGIN = 12

# Fill and stroke per task status; data nodes use "data" / "no data".
STYLES: dict[str, tuple[str, str]] = {
    "COMPLETED": ("#c8e6c9", "#2e7d32"),
    "SKIPPED": ("#e3e8f0", "#5c6b80"),
    "FAILED": ("#ffcdd2", "#c62828"),
    "RUNNING": ("#ffe0b2", "#ef6c00"),
    "PENDING": ("#fff9c4", "#9e8600"),
    "SUBMITTED": ("#fff9c4", "#9e8600"),
    "BLOCKED": ("#fff9c4", "#9e8600"),
    "CANCELED": ("#eeeeee", "#757575"),
    "ABANDONED": ("#eeeeee", "#757575"),
    "NOT RUN": ("#ffffff", "#455a64"),
    "data": ("#e1f5fe", "#0277bd"),
    "no data": ("#ffffff", "#90a4ae"),
}


@dataclass
class Node:
    id: str
    label: str
    kind: str  # "task" or "data"
    style: str  # a key of STYLES
    tooltip: str = ""
    width: float = field(init=False)

    def __post_init__(self) -> None:
        self.width = max(70.0, len(self.label) * CHAR_WIDTH + 24)


def _layers(ids: list[str], preds: dict[str, list[str]], succs: dict[str, list[str]]) -> dict[str, int]:
    """Longest path from the sources, then each source moved down to just above its
    first reader, so that a parameter sits beside the task that uses it."""
    indegree = {n: len(preds[n]) for n in ids}
    order = [n for n in ids if indegree[n] == 0]
    for n in order:  # grows while iterating: Kahn's algorithm
        for s in succs[n]:
            indegree[s] -= 1
            if indegree[s] == 0:
                order.append(s)
    order += [n for n in ids if indegree[n] > 0]  # a cycle cannot be drawn in layers; put it last
    layer: dict[str, int] = {}
    for n in order:
        layer[n] = max((layer[p] + 1 for p in preds[n] if p in layer), default=0)
    for n in ids:
        if not preds[n] and succs[n]:
            layer[n] = max(0, min(layer[s] for s in succs[n]) - 1)
    return layer


def layout(
    nodes: list[Node], edges: list[tuple[str, str]]
) -> tuple[dict[str, tuple[float, float]], dict, float, float]:
    """Centres of the nodes, the points each edge passes through, and the drawing's size."""
    ids = [n.id for n in nodes]
    width_of = {n.id: n.width for n in nodes}
    preds: dict[str, list[str]] = {n: [] for n in ids}
    succs: dict[str, list[str]] = {n: [] for n in ids}
    for a, b in edges:
        succs[a].append(b)
        preds[b].append(a)
    layer = _layers(ids, preds, succs)

    # Edges spanning several layers get one dummy point per layer crossed.
    rows: dict[int, list[str]] = {}
    for n in ids:
        rows.setdefault(layer[n], []).append(n)
    up: dict[str, list[str]] = {n: [] for n in ids}
    chains: dict[tuple[str, str], list[str]] = {}
    for a, b in edges:
        previous, chain = a, []
        for k in range(layer[a] + 1, layer[b]):
            dummy = f"\0{a}\0{b}\0{k}"
            rows.setdefault(k, []).append(dummy)
            up[dummy] = [previous]
            width_of[dummy] = 8.0
            chain.append(dummy)
            previous = dummy
        up[b].append(previous)
        chains[(a, b)] = chain
    down: dict[str, list[str]] = {n: [] for n in up}
    for n, ps in up.items():
        for p in ps:
            down[p].append(n)

    depth = max(rows) + 1 if rows else 0
    position = {n: i for k in rows for i, n in enumerate(rows[k])}
    for sweep in range(8):
        downward = sweep % 2 == 0
        for k in range(1, depth) if downward else range(depth - 2, -1, -1):
            row = rows.get(k, [])
            neighbours = up if downward else down
            keyed = []
            for i, n in enumerate(row):
                near = [position[m] for m in neighbours[n]]
                keyed.append((sum(near) / len(near) if near else position[n], i, n))
            rows[k] = [n for _, _, n in sorted(keyed)]
            position.update({n: i for i, n in enumerate(rows[k])})

    row_width = {k: sum(width_of[n] for n in row) + NODE_GAP * (len(row) - 1) for k, row in rows.items()}
    total_width = max(row_width.values(), default=0) + 2 * MARGIN
    centre: dict[str, tuple[float, float]] = {}
    for k, row in rows.items():
        x = (total_width - row_width[k]) / 2
        y = MARGIN + k * LAYER_GAP + NODE_HEIGHT / 2
        for n in row:
            centre[n] = (x + width_of[n] / 2, y)
            x += width_of[n] + NODE_GAP
    routes = {edge: [centre[d] for d in chain] for edge, chain in chains.items()}
    total_height = MARGIN * 2 + (depth - 1) * LAYER_GAP + NODE_HEIGHT if depth else 0
    return {n: centre[n] for n in ids}, routes, total_width, total_height


def _edge_path(start: tuple[float, float], via: list[tuple[float, float]], end: tuple[float, float]) -> str:
    """A smooth curve leaving each point downwards and entering the next from above."""
    points = [start, *via, end]
    d = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        mid = (y0 + y1) / 2
        d += f" C{x0:.1f},{mid:.1f} {x1:.1f},{mid:.1f} {x1:.1f},{y1:.1f}"
    return d


def svg(nodes: list[Node], edges: list[tuple[str, str]], legend: bool = True) -> str:
    """The graph as a standalone ``<svg>`` element."""
    centre, routes, width, height = layout(nodes, edges)
    legend_height = 26 if legend else 0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height + legend_height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height + legend_height:.0f}" style="max-width:100%;height:auto" '
        'font-family="-apple-system,Segoe UI,Helvetica,Arial,sans-serif" font-size="12">',
        '<defs><marker id="scn-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#78909c"/></marker></defs>',
    ]
    half = NODE_HEIGHT / 2
    for (a, b), via in routes.items():
        (xa, ya), (xb, yb) = centre[a], centre[b]
        path = _edge_path((xa, ya + half), via, (xb, yb - half - 1))
        parts.append(f'<path d="{path}" fill="none" stroke="#90a4ae" stroke-width="1.3" marker-end="url(#scn-arrow)"/>')
    for node in nodes:
        x, y = centre[node.id]
        fill, stroke = STYLES.get(node.style, STYLES["NOT RUN"])
        radius = half if node.kind == "data" else 4
        dash = ' stroke-dasharray="4 3"' if node.style in ("no data", "CANCELED", "ABANDONED") else ""
        weight = "600" if node.kind == "task" else "400"
        tooltip = f"<title>{html.escape(node.tooltip)}</title>" if node.tooltip else ""
        parts.append(
            f'<g class="scn-{node.kind}">{tooltip}<rect x="{x - node.width / 2:.1f}" y="{y - half:.1f}" '
            f'width="{node.width:.1f}" height="{NODE_HEIGHT}" rx="{radius}" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="1.4"{dash}/><text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" '
            f'font-weight="{weight}" fill="#263238">{html.escape(node.label)}</text></g>'
        )
    if legend:
        parts.append(_legend({n.style for n in nodes}, height + 4))
    parts.append("</svg>")
    return "".join(parts)


def _legend(styles: set[str], y: float) -> str:
    x: float = MARGIN
    items = []
    for style in [s for s in STYLES if s in styles]:
        fill, stroke = STYLES[style]
        label = style.lower()
        items.append(
            f'<rect x="{x}" y="{y + 4}" width="12" height="12" rx="3" fill="{fill}" stroke="{stroke}"/>'
            f'<text x="{x + 16}" y="{y + 14}" fill="#546e7a" font-size="11">{html.escape(label)}</text>'
        )
        x += 16 + len(label) * 6.5 + 14
    return "".join(items)


class Picture:
    """A drawn graph: shows itself in a notebook, ``svg`` is the markup, ``save(path)`` writes it.

    Example:
        >>> pic = Picture([Node("a", "a", "data", "data"), Node("t", "t", "task", "COMPLETED")], [("a", "t")])
        >>> pic.svg.startswith("<svg")
        True
    """

    def __init__(self, nodes: list[Node], edges: list[tuple[str, str]]) -> None:
        self.nodes = nodes
        self.edges = edges
        self.svg = svg(nodes, edges)

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.svg)

    def _repr_svg_(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        labels = {n.id: n.label for n in self.nodes}
        arrows = [f"{labels[a]} -> {labels[b]}" for a, b in self.edges]
        return f"Picture of {len(self.nodes)} nodes: " + "; ".join(arrows)
