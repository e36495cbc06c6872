"""The module paths scenarium had before its subpackages (issue 37), kept working.

Stored data names modules: a pickle holds ``scenarium._config_model.Scope``, a json
node's file an enum as ``Enum-scenarium._events-EventOperation-...``, a user's program
``from scenarium import _codec``. Each old path below is the module at its new path
itself (not a copy): importing ``scenarium._codec`` returns ``scenarium.storage.codec``,
so a pickle, a patch or an ``isinstance`` through either name meets the same objects.
The finder imports nothing until an old path is asked for; nothing in the package
uses these paths.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any

OLD_PATHS = {
    "scenarium._arguments": "scenarium._utils.arguments",
    "scenarium._memory": "scenarium._utils.memory",
    "scenarium._templates": "scenarium._utils.templates",
    "scenarium._code_identity": "scenarium.identity.code",
    "scenarium._recording": "scenarium.identity.recording",
    "scenarium._hints": "scenarium.identity.hints",
    "scenarium._static_ref": "scenarium.identity.static_ref",
    "scenarium._why": "scenarium.identity.why",
    "scenarium._codec": "scenarium.storage.codec",
    "scenarium._external": "scenarium.storage.external",
    "scenarium._json_values": "scenarium.storage.json_values",
    "scenarium._dask_frames": "scenarium.storage.dask_frames",
    "scenarium._dag_svg": "scenarium.display.dag_svg",
    "scenarium._html": "scenarium.display.html",
    "scenarium._progress": "scenarium.display.progress",
    "scenarium._plots": "scenarium.display.plots",
    "scenarium._config_model": "scenarium.config.model",
    "scenarium._config_document": "scenarium.config.document",
    "scenarium._config_check": "scenarium.config.check",
    "scenarium.config_toml": "scenarium.config.toml",
    "scenarium._cycle": "scenarium.entities.cycle",
    "scenarium._taipy_members": "scenarium.entities.taipy_members",
    "scenarium._reasons": "scenarium.entities.reasons",
    "scenarium._filter": "scenarium.entities.filters",
    "scenarium._events": "scenarium.entities.events",
    "scenarium._runtime": "scenarium.run.runtime",
    "scenarium._workers": "scenarium.run.workers",
    "scenarium._dask": "scenarium.run.dask",
    "scenarium._external_sync": "scenarium.run.external_sync",
    "scenarium._api": "scenarium.api",
    "scenarium._lookups": "scenarium.api.lookups",
    "scenarium._lineage": "scenarium.api.lineage",
    "scenarium._transfer": "scenarium.api.transfer",
}


class _Loader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return types.ModuleType(spec.name)  # a placeholder: exec_module puts the real module in its place

    def exec_module(self, module: types.ModuleType) -> None:
        # The import system returns what sys.modules holds after this call, so the old
        # name becomes the module at the new path, whose own __name__ and __spec__ stay.
        sys.modules[module.__name__] = importlib.import_module(OLD_PATHS[module.__name__])


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in OLD_PATHS:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Loader())


def install() -> None:
    """Once per process, after the package's own finders."""
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.append(_Finder())
