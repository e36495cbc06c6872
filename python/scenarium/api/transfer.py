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
from datetime import datetime
from typing import Any, Union

from scenarium._core import Engine, StoredValue
from scenarium._utils import arguments as _arguments
from scenarium.api.functions import get
from scenarium.entities import Scenario
from scenarium.entities import actions as _actions
from scenarium.exceptions import InvalidArgument
from scenarium.run import runtime as _runtime

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
    path = _arguments.writable_file("export_scenario", "output_path", output_path, make_folder=True)
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
            if value.kind not in ("inline", "object", "parts"):
                continue  # in_memory values live in their process; a legacy file reference stays where it is
            entry = {"writer": v.writer, "comment": v.comment, "extra": v.extra,
                     "fingerprint": value.fingerprint, "kind": value.kind}  # fmt: skip
            if value.kind == "inline":
                entry["json"] = value.json
            elif value.kind == "parts":
                entry["json"] = value.json
                for part in json.loads(value.json or "{}")["parts"]:
                    objects.setdefault(part["hash"], engine.read_object(part["hash"]))
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
    with _arguments.writing("export_scenario", "output_path", path):
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as tmp:
            try:
                with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
                    archive.writestr("scenario.json", json.dumps(manifest, indent=1, sort_keys=True))
                    for hash, data in objects.items():
                        archive.writestr(f"objects/{hash}", data)
                tmp.flush()
                os.fsync(tmp.fileno())
            except BaseException:
                os.remove(tmp.name)
                raise
        os.replace(tmp.name, path)


def import_scenario(input_path: Union[str, os.PathLike[str]], override: bool = False) -> Scenario:
    """A new scenario made from a zip file ``export_scenario`` wrote (``override`` is
    accepted for Taipy's signature: an import never replaces a scenario here).

    The whole archive is checked before anything is stored: its files (only
    ``scenario.json`` and ``objects/<blake3>``), the manifest's shape, and every object
    against its name. A bad archive is refused whole (``InvalidArgument``) and nothing
    in it is ever unpickled; if storing fails half-way, the new scenario is deleted."""
    engine = _runtime.engine()
    input_path = _arguments.readable_file("import_scenario", "input_path", input_path)
    try:
        archive = zipfile.ZipFile(input_path)
    except (OSError, zipfile.BadZipFile) as e:
        raise InvalidArgument(f"import_scenario: input_path {os.fspath(input_path)!r} is not a zip file: {e}") from e
    with archive:
        manifest = _checked_archive(archive, os.fspath(input_path))
        record = engine.create_scenario(manifest["spec"], {}, manifest["name"], manifest["creation_date"])
        try:
            _fill(engine, archive, manifest, record)
        except BaseException:
            engine.delete_scenario(record.id)  # what was stored is left to gc as orphans
            raise
    return Scenario(engine.scenario(record.id), engine)


def _fill(engine: Any, archive: zipfile.ZipFile, manifest: dict[str, Any], record: Any) -> None:
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
            elif entry["kind"] == "parts":
                stored = _stored_parts(engine, archive, entry)
            else:
                part = engine.new_tmp_path(".import")
                part.write_bytes(archive.read(f"objects/{entry['hash']}"))
                stored = engine.store_file(str(part), entry["format"], entry["fingerprint"])
                if stored.hash != entry["hash"]:  # the file changed since it was checked
                    raise InvalidArgument(f"object {entry['hash']} changed in the archive while it was imported")
            engine.write_data_node(dn_id, stored, entry["writer"], entry["comment"], entry["extra"] or None)


def _stored_parts(engine: Any, archive: zipfile.ZipFile, entry: dict[str, Any]) -> StoredValue:
    """A partitioned value of an archive: each partition stored, then the value naming them."""
    payload = json.loads(entry["json"])
    for part in payload["parts"]:
        tmp = engine.new_tmp_path(".import")
        tmp.write_bytes(archive.read(f"objects/{part['hash']}"))
        if engine.store_file(str(tmp), payload["format"], part["hash"]).hash != part["hash"]:
            raise InvalidArgument(f"object {part['hash']} changed in the archive while it was imported")
    size = sum(part["size"] for part in payload["parts"])
    return StoredValue("parts", entry["fingerprint"], json=entry["json"], format=payload["format"], size=size)


def _parts_problem(text: Any) -> str | None:
    """What is wrong with a partitioned value's JSON text in an archive, if anything."""
    try:
        payload = json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError) as e:
        return f"its JSON text does not parse: {e}"
    if not isinstance(payload, dict) or payload.get("kind") != "parts" or not isinstance(payload.get("format"), str):
        return "its JSON text is not a partitioned value"
    parts = payload.get("parts")
    fields = {"name": str, "hash": str, "size": int, "rows": int}
    if not isinstance(parts, list) or not all(
        isinstance(p, dict)
        and all(isinstance(p.get(k), t) and not isinstance(p.get(k), bool) for k, t in fields.items())
        and _is_object_name(p["hash"])
        and p["size"] >= 0
        and p["rows"] >= 0
        for p in parts
    ):
        return "its partitions are not each a name, an object (64 lowercase hex digits), a size and a row count"
    return None


_HEX = frozenset("0123456789abcdef")


def _is_object_name(name: Any) -> bool:
    return isinstance(name, str) and len(name) == 64 and set(name) <= _HEX


def _checked_archive(archive: zipfile.ZipFile, where: str) -> dict[str, Any]:
    """The manifest of an archive whose files, structure and objects are all as
    ``export_scenario`` writes them; else InvalidArgument saying what is wrong."""

    def refuse(why: str) -> InvalidArgument:
        return InvalidArgument(f"import_scenario: {where} is refused, nothing was imported: {why}")

    names = archive.namelist()
    if "scenario.json" not in names:
        raise refuse("it has no scenario.json")
    try:
        manifest = json.loads(archive.read("scenario.json"))
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise refuse(f"scenario.json is not JSON: {type(e).__name__}: {e}") from e
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InvalidArgument(f"{where} is not a scenario exported by scenarium ({FORMAT})")
    expected = {"spec": dict, "data_nodes": dict, "tags": list, "sequences": dict}
    for key, kind in expected.items():
        if not isinstance(manifest.get(key), kind):
            raise refuse(f"scenario.json's {key!r} is not a {kind.__name__}")
    if manifest.get("name") is not None and not isinstance(manifest["name"], str):
        raise refuse("scenario.json's 'name' is not a string")
    if not isinstance(manifest.get("creation_date"), (int, float)) or isinstance(manifest["creation_date"], bool):
        raise refuse("scenario.json's 'creation_date' is not a number")
    try:
        datetime.fromtimestamp(manifest["creation_date"])
    except (OverflowError, OSError, ValueError) as e:
        raise refuse(f"scenario.json's 'creation_date' {manifest['creation_date']!r} is no date: {e}") from e
    spec = manifest["spec"]
    known = {d.get("id") for d in spec.get("data_nodes") or [] if isinstance(d, dict)}
    known |= {d for d in spec.get("additional_data_nodes") or [] if isinstance(d, str)}
    referenced: set[str] = set()
    for config_id, history in manifest["data_nodes"].items():
        if config_id not in known:
            raise refuse(f"data node {config_id!r} is not one of the exported configuration's")
        if not isinstance(history, list):
            raise refuse(f"the history of data node {config_id!r} is not a list")
        for n, entry in enumerate(history, 1):
            what = f"version {n} of data node {config_id!r}"
            if not isinstance(entry, dict) or entry.get("kind") not in ("inline", "object", "parts"):
                raise refuse(f"{what} is neither an inline value, an object nor partitions")
            if not isinstance(entry.get("writer"), str) or not isinstance(entry.get("fingerprint"), str):
                raise refuse(f"{what} has no writer or fingerprint")
            if entry.get("comment") is not None and not isinstance(entry["comment"], str):
                raise refuse(f"{what}'s comment is not a string")
            if entry.get("extra") is not None and not isinstance(entry["extra"], dict):
                raise refuse(f"{what}'s edit keys are not a dict")
            if entry["kind"] == "inline":
                if not isinstance(entry.get("json"), str):
                    raise refuse(f"{what} has no JSON text")
                try:
                    json.loads(entry["json"])
                except (ValueError, RecursionError) as e:
                    raise refuse(f"{what}'s JSON text does not parse: {e}") from e
            elif entry["kind"] == "parts":
                problem = _parts_problem(entry.get("json"))
                if problem:
                    raise refuse(f"{what}: {problem}")
                referenced.update(part["hash"] for part in json.loads(entry["json"])["parts"])
            elif not _is_object_name(entry.get("hash")) or not isinstance(entry.get("format"), str):
                raise refuse(f"{what} names no object (64 lowercase hex digits) or no format")
            else:
                referenced.add(entry["hash"])
    objects = set()
    for name in names:
        if name == "scenario.json":
            continue
        folder, _, hash = name.partition("/")
        if folder != "objects" or not _is_object_name(hash) or hash in objects:
            raise refuse(f"it holds {name!r}, which export_scenario does not write")
        objects.add(hash)
    if names.count("scenario.json") != 1:
        raise refuse("it holds scenario.json more than once")
    if referenced - objects:
        raise refuse(f"object {sorted(referenced - objects)[0]} is named but not in the archive")
    for hash in sorted(objects):
        actual = Engine.blake3_hex(archive.read(f"objects/{hash}"))
        if actual != hash:
            raise refuse(f"object {hash} does not hold what its name says (its blake3 is {actual})")
    return manifest


_actions.export_scenario = export_scenario  # Scenario.export (entities/actions.py)
