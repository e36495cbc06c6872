"""``sc.why(task)``: the whole cache key of a task, part by part, and what changed."""

from __future__ import annotations

import html
import json
from typing import Any


class KeyReport:
    """Everything a task's cache key is made of right now: its code identity part by
    part (functions, classes, values, packages it reaches; declared files and
    environment variables), its inputs with the files they name, how its outputs are
    stored, and what the next submit would do.

    Example:
        >>> report = sc.why(scenario.tasks["featurization_and_segmentation"])
        >>> report.decision, report.reason
        ('skip', 'same code and inputs as JOB_featurization_and_segmentation_...')
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.task_config_id: str = data["task_config_id"]
        self.key: str = data["key"]
        self.code_fingerprint: str = data["code_fingerprint"]
        self.code: dict[str, str] = data["code"]
        self.properties: dict[str, Any] = data["properties"]
        self.inputs: list[dict[str, Any]] = [
            {"binding": b, "data_node": dn, "version": v, "fingerprint": fp, "files": dict(files)}
            for b, dn, v, fp, files in data["inputs"]
        ]
        self.outputs: dict[str, Any] = {dn: json.loads(d) for dn, d in data["outputs"]}
        self.changed_since_last_job: list[str] = data["changed_since_last_job"]
        self.decision: str = data["decision"]
        self.reason: str = data["reason"]

    def _lines(self) -> list[str]:
        lines = [f"task {self.task_config_id}: {self.decision} ({self.reason})", f"  key {self.key}", "  code:"]
        lines += [f"    {label:<50} {value}" for label, value in sorted(self.code.items())]
        lines.append("  inputs:")
        for i in self.inputs:
            lines.append(f"    {i['binding']:<10} {i['data_node']}@{i['version']}  {i['fingerprint'][:16]}")
            lines += [f"      {path}  {fp[:16]}" for path, fp in i["files"].items()]
        lines.append("  outputs:")
        lines += [f"    {dn:<20} {json.dumps(d, sort_keys=True)}" for dn, d in self.outputs.items()]
        if self.properties:
            lines.append(f"  properties: {json.dumps(self.properties, sort_keys=True)}")
        if self.changed_since_last_job:
            lines.append("  changed since the last job: " + "; ".join(self.changed_since_last_job))
        return lines

    def __str__(self) -> str:
        return "\n".join(self._lines())

    def __repr__(self) -> str:
        return f"KeyReport(task={self.task_config_id!r}, decision={self.decision!r}, key={self.key[:12]!r})"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td><code>{html.escape(label)}</code></td><td><code>{html.escape(value[:16])}</code></td>"
            f"<td>{'changed' if any(label in c for c in self.changed_since_last_job) else ''}</td></tr>"
            for label, value in sorted(self.code.items())
        )
        inputs = "".join(
            f"<tr><td>{html.escape(str(i['binding']))}</td><td>{html.escape(i['data_node'])}@{i['version']}</td>"
            f"<td><code>{i['fingerprint'][:16]}</code> {html.escape(', '.join(i['files']))}</td></tr>"
            for i in self.inputs
        )
        return (
            f"<div><b>{html.escape(self.task_config_id)}</b>: {html.escape(self.decision)} "
            f"({html.escape(self.reason)})<br><small>key <code>{self.key}</code></small>"
            f"<table><tr><th>code part</th><th>hash</th><th></th></tr>{rows}</table>"
            f"<table><tr><th>input</th><th>version</th><th>fingerprint</th></tr>{inputs}</table></div>"
        )
