"""A scenario to a zip file and back, as Taipy's ``export_scenario`` /
``import_scenario``: its configuration (the spec the core stored), name, tags,
sequences, the configured defaults and, with ``include_data``, every version of
every data node (the stored bytes, checked against their names, with writer,
comment and edit keys).

Importing creates a new scenario from the exported configuration (new ids: ids
are made by the store that holds them) and replays the history of each data
node in order: its values and their history are the original's (the jobs are not:
the first submission in the new store runs what it needs).
Shared (CYCLE or GLOBAL) data nodes that already hold data in the target store
keep it.

Example:
    >>> sc.export_scenario(scenario.id, "article.zip", include_data=True)
    >>> copy = sc.import_scenario("article.zip")
    >>> copy.config_id == scenario.config_id and copy.id != scenario.id
    True
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Union

from scenarium import _runtime
from scenarium._api import get
from scenarium.entities import Scenario
from scenarium.exceptions import InvalidArgument

FORMAT = "scenarium-scenario/1"


def export_scenario(
    scenario: Union[Scenario, str],
    output_path: Union[str, os.PathLike[str]],
    override: bool = False,
    include_data: bool = False,
) -> None:
    """Writes ``scenario`` (or the scenario with that id) to the zip file ``output_path``
    (atomically; an existing file only with ``override``)."""
    found = get(scenario) if isinstance(scenario, str) else scenario
    if not isinstance(found, Scenario):
        raise InvalidArgument(f"export_scenario takes a scenario or its id, got {scenario!r}")
    path = Path(output_path)
    if path.exists() and not override:
        raise InvalidArgument(f"{path} exists: pass override=True to replace it")
    engine = found._engine
    record = found._refresh()
    nodes: dict[str, Any] = {}
    objects: dict[str, bytes] = {}
    for config_id, dn_id in record.data_nodes.items():
        history = []
        # Without include_data, only the configured defaults go: the copy starts as a new scenario would.
        for v in (v for v in engine.versions(dn_id) if include_data or v.writer == "default"):
            value = v.value
            if value.kind == "recipe":
                value = engine.materialize(value, dn_id)
            if value.kind not in ("inline", "object"):
                continue  # in_memory values live in their process; a legacy file reference stays where it is
            entry = {"writer": v.writer, "comment": v.comment, "extra": v.extra,
                     "fingerprint": value.fingerprint, "kind": value.kind}  # fmt: skip
            if value.kind == "inline":
                entry["json"] = value.json
            else:
                entry.update(hash=value.hash, format=value.format)
                objects.setdefault(value.hash or "", engine.read_object(value.hash or ""))
            history.append(entry)
        nodes[config_id] = history
    manifest = {
        "format": FORMAT,
        "id": record.id,
        "name": record.name,
        "tags": sorted(record.tags),
        "creation_date": record.creation_date,
        "sequences": record.sequences,
        "sequence_properties": record.sequence_properties,
        "spec": engine.config_spec(record.config_version),
        "data_nodes": nodes,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("scenario.json", json.dumps(manifest, indent=1, sort_keys=True))
            for hash, data in objects.items():
                archive.writestr(f"objects/{hash}", data)
        tmp.flush()
        os.fsync(tmp.fileno())
    os.replace(tmp.name, path)


def import_scenario(input_path: Union[str, os.PathLike[str]], override: bool = False) -> Scenario:
    """A new scenario made from a zip file ``export_scenario`` wrote (``override`` is
    accepted for Taipy's signature: an import never replaces a scenario here)."""
    engine = _runtime.engine()
    with zipfile.ZipFile(input_path) as archive:
        manifest = json.loads(archive.read("scenario.json"))
        if manifest.get("format") != FORMAT:
            raise InvalidArgument(f"{input_path} is not a scenario exported by scenarium ({FORMAT})")
        record = engine.create_scenario(manifest["spec"], {}, manifest["name"], manifest["creation_date"])
        record = engine.update_scenario(record.id, manifest["name"], manifest["tags"], record.is_primary)
        if manifest["sequences"]:
            record = engine.set_sequences(record.id, manifest["sequences"], manifest.get("sequence_properties"))
        for config_id, history in manifest["data_nodes"].items():
            dn_id = record.data_nodes[config_id]
            node = engine.data_node(dn_id)
            if node.scope != "SCENARIO" and engine.latest_version(dn_id) is not None:
                continue  # shared data that the target store already holds stays
            for entry in history:
                if entry["kind"] == "inline":
                    stored = engine.store_inline(entry["json"])
                else:
                    part = engine.new_tmp_path(".import")
                    part.write_bytes(archive.read(f"objects/{entry['hash']}"))
                    stored = engine.store_file(str(part), entry["format"], entry["fingerprint"])
                engine.write_data_node(dn_id, stored, entry["writer"], entry["comment"], entry["extra"] or None)
    return Scenario(engine.scenario(record.id), engine)
