"""Write the public module paths and names of an installed Taipy (4.1.1) that scenarium
mirrors, as ``tests/taipy_compat/taipy_public_names.json``; ``tests/test_taipy_names.py``
checks scenarium against the checked-in list (CI has no Taipy).

Run with Taipy's interpreter (``make taipy-names TAIPY_PYTHON=/work/taipy-venv/bin/python``):

    /work/taipy-venv/bin/python tools/taipy_public_names.py tests/taipy_compat/taipy_public_names.json

A module is public when no part of its dotted path starts with ``_``. Its public names are
its ``__all__`` when it has one, else the names not starting with ``_`` bound to something
Taipy defines (a class, function or module of ``taipy``), to an enum member or to a plain
constant: what a user's ``from taipy.x import y`` can reach on purpose, not the
``Optional``/``pd`` a module happens to import.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import sys
from typing import NewType

ROOTS = [
    "taipy.core",
    "taipy.common",
    "taipy.core.config",
    "taipy.core.data",
    "taipy.core.job",
    "taipy.core.notification",
    "taipy.core.scenario",
    "taipy.core.cycle",
    "taipy.core.sequence",
    "taipy.core.submission",
    "taipy.core.exceptions",
]
# taipy.common also holds Taipy's logger, its CLI and the GUI's helpers: only its
# configuration is scenario management.
COMMON_PREFIXES = ("taipy.common.config",)


def _defined_by_taipy(value: object) -> bool:
    if inspect.ismodule(value):
        return value.__name__.startswith("taipy.")
    module = getattr(value, "__module__", None)
    if (inspect.isclass(value) or inspect.isfunction(value) or isinstance(value, NewType)) and isinstance(module, str):
        return module.startswith("taipy.")
    return isinstance(value, (str, int, float, tuple, frozenset)) and not isinstance(value, bool)


def public_names(module: object) -> list[str]:
    declared = getattr(module, "__all__", None)
    if declared is not None:
        return sorted(set(declared))
    return sorted(name for name, value in vars(module).items() if not name.startswith("_") and _defined_by_taipy(value))


def modules() -> list[str]:
    found: set[str] = set()
    for root in ROOTS:
        package = importlib.import_module(root)
        found.add(root)
        for info in pkgutil.walk_packages(getattr(package, "__path__", []), root + "."):
            if any(part.startswith("_") for part in info.name.split(".")):
                continue
            if info.name.startswith("taipy.common.") and not info.name.startswith(COMMON_PREFIXES):
                continue
            found.add(info.name)
    return sorted(found)


def main(out: str) -> None:
    import taipy

    result: dict[str, object] = {"taipy": getattr(taipy, "__version__", None) or _version(), "modules": {}}
    names = modules()
    for name in names:
        try:
            module = importlib.import_module(name)
        except Exception as error:  # noqa: BLE001  # a module needing an extra (e.g. the REST server)
            print(f"skipped {name}: {error!r}", file=sys.stderr)
            continue
        # a submodule left out above (taipy.common.logger) is not a name to mirror either
        result["modules"][name] = [  # type: ignore[index]
            n for n in public_names(module) if not inspect.ismodule(getattr(module, n, None)) or f"{name}.{n}" in names
        ]
    with open(out, "w") as file:
        json.dump(result, file, indent=1, sort_keys=True)
        file.write("\n")


def _version() -> str:
    from importlib.metadata import version

    return version("taipy")


def package_table(path: str) -> str:
    """The same list as the table of ``python/scenarium/_taipy_paths.py`` (``MODULES``):
    each module's names as one string, split by spaces, wrapped to the line length."""
    import textwrap

    with open(path) as file:
        listed = json.load(file)["modules"]
    rows = []
    for name, names in sorted(listed.items()):
        lines = textwrap.wrap(" ".join(names), 100, break_on_hyphens=False) or [""]
        text = "\n".join(f"        {line + ' ' if i < len(lines) - 1 else line!r}" for i, line in enumerate(lines))
        rows.append(f"    {name.removeprefix('taipy.')!r}: (\n{text}\n    ),")
    return "_NAMES: dict[str, str] = {\n" + "\n".join(rows) + "\n}\n"


if __name__ == "__main__":
    if sys.argv[1] == "--package-table":  # print the table to paste into _taipy_paths.py
        print(package_table(sys.argv[2]), end="")
    else:
        main(sys.argv[1])
