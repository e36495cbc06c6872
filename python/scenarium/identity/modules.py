"""Where a module comes from, for a code identity: the user's project, the standard
library or an installed package (by its distribution's version), and the folders that
tell them apart (``Config.configure_core(project_paths=...)``).
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import json
import os
import site
import sys
import sysconfig
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from scenarium._core import Engine

if TYPE_CHECKING:  # the payload types exist only in the stub
    pass


blake3_hex = Engine.blake3_hex


def is_in(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots if r)


@functools.lru_cache(maxsize=1)
def library_roots() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(standard library folders, installed-package folders), resolved."""
    paths = sysconfig.get_paths()
    stdlib = {paths.get("stdlib"), paths.get("platstdlib")}
    installed = {paths.get("purelib"), paths.get("platlib")}
    installed.update(getattr(site, "getsitepackages", lambda: [])())
    if site.ENABLE_USER_SITE:
        installed.add(site.getusersitepackages())
    resolve = lambda roots: tuple(sorted({os.path.realpath(p) for p in roots if p}))  # noqa: E731
    return resolve(stdlib), resolve(installed)


_module_kinds: dict[tuple[str, str | None, tuple[str, ...]], str] = {}


# Folders the user adds to the project (Config.configure_core(project_paths=[...])).
_extra_project_paths: list[str] = []


def set_extra_project_paths(paths: Iterable[str]) -> None:
    """The folders ``Config.configure_core(project_paths=...)`` adds (``code.set_project_paths``
    also forgets the identities computed with the previous ones)."""
    _extra_project_paths[:] = [os.path.realpath(os.fspath(p)) for p in paths]


_roots_found: dict[tuple[Any, ...], tuple[str, ...]] = {}


def project_roots() -> tuple[str, ...]:
    """The folders of the user's project: the current folder, the entry script's
    folder and the paths added to the configuration."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    script = main_file if isinstance(main_file, str) else None
    key = (os.getcwd(), script, *_extra_project_paths)
    found = _roots_found.get(key)
    if found is None:
        roots = [os.getcwd(), *_extra_project_paths]
        if script is not None:
            roots.append(os.path.dirname(os.path.abspath(script)))
        found = _roots_found[key] = tuple(sorted({os.path.realpath(r) for r in roots}))
    return found


def module_kind(name: str) -> str:
    """ "user" (the project's own code: under the project's folders, or installed
    in editable mode; walked and hashed by content), "stdlib", or "package"
    (anything else: an installed distribution by its version; a library on
    ``PYTHONPATH`` that no distribution provides by the content of its files).
    Never walked unless "user"."""
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None) if module is not None else None
    if file is None and module is not None:  # a namespace package: where its folders are
        file = next(iter(getattr(module, "__path__", None) or ()), None)
    roots = project_roots() if isinstance(file, str) else ()
    found = _module_kinds.get((name, file, roots))
    if found is not None:
        return found
    top = name.partition(".")[0]
    if name in ("__main__", "__mp_main__"):
        kind = "user"
    elif top in sys.stdlib_module_names or top in sys.builtin_module_names:
        kind = "stdlib"
    elif top == "scenarium":
        kind = "package"
    elif top.startswith("_cython_"):
        kind = "stdlib"  # the module Cython registers for its own types (no file)
    elif module is None:
        # Not imported under this name (a compiled submodule, Cython's internal
        # types): its package decides; without one it counts by name only.
        kind = module_kind(top) if top != name and top in sys.modules else "stdlib"
    elif not isinstance(file, str):
        kind = "user"  # defined at run time (a notebook, exec)
    else:
        stdlib, installed = library_roots()
        real = os.path.realpath(file)
        if is_in(real, installed):
            kind = "package"
        elif is_in(real, stdlib):
            kind = "stdlib"
        elif is_in(real, roots) or _installed_editable(top):
            kind = "user"
        else:
            kind = "package"
    _module_kinds[(name, file, roots)] = kind
    return kind


@functools.cache
def _installed_editable(top: str) -> bool:
    """Whether import name ``top`` comes from a distribution installed in editable
    mode (``pip install -e``): the user's own project, wherever it is run from."""
    for dist in _packages_distributions().get(top) or ():
        try:
            text = importlib.metadata.distribution(dist).read_text("direct_url.json")
        except Exception:  # noqa: BLE001  (a broken distribution: not the project's)
            continue
        try:
            editable = bool(json.loads(text or "{}").get("dir_info", {}).get("editable"))
        except (ValueError, AttributeError):
            editable = False
        if editable:
            return True
    return False


def module_of(obj: Any) -> str:
    """The module an object says it comes from (a class's own ``__module__``, not
    one its metaclass provides)."""
    module = vars(obj).get("__module__") if isinstance(obj, type) else getattr(obj, "__module__", None)
    if not isinstance(module, str):
        module = getattr(obj, "__module__", None)
    return main_name(module) if isinstance(module, str) else "builtins"


def main_name(module: str) -> str:
    """``__main__`` for the running script under either of its names: a worker that
    multiprocessing spawns imports the parent's script as ``__mp_main__``."""
    return "__main__" if module == "__mp_main__" else module


def package_version(top: str) -> str:
    """The installed version of the distribution that provides import name ``top``:
    its ``__version__`` when the module sets one (read from its namespace, so that a
    lazy ``__getattr__`` is not triggered), else the distribution's metadata (whose
    first use costs ~100 ms: importlib.metadata imports the email package). A module
    no distribution provides (a library put on ``PYTHONPATH``) counts by the content
    of its files."""
    module = sys.modules.get(top)
    file = getattr(module, "__file__", None)
    if isinstance(file, str):
        real, (stdlib, installed) = os.path.realpath(file), library_roots()
        if not is_in(real, installed) and not is_in(real, stdlib):
            return f"{top} files {_source_digest(module)}"
    return _distribution_version(top)


@functools.cache
def _distribution_version(top: str) -> str:
    version = vars(sys.modules[top]).get("__version__") if top in sys.modules else None
    if isinstance(version, str):
        return f"{top}=={version}"
    try:
        return f"{top}=={importlib.metadata.version(top)}"
    except importlib.metadata.PackageNotFoundError:
        pass
    dists = _packages_distributions().get(top) or []
    if dists:
        return ",".join(f"{d}=={importlib.metadata.version(d)}" for d in sorted(set(dists)))
    return f"{top} (version unknown)"


# (file, mtime, size) of a library's sources -> their digest
_source_digests: dict[tuple[tuple[str, int, int], ...], str] = {}


def _source_digest(module: Any) -> str:
    """The content of a module's source files (every ``.py`` under a package)."""
    folders = list(getattr(module, "__path__", None) or [])
    files = [module.__file__] if not folders else []
    for folder in folders:
        for base, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            files.extend(os.path.join(base, n) for n in sorted(names) if n.endswith((".py", ".so", ".pyd")))
    stats = []
    for path in files:
        try:
            st = os.stat(path)
        except OSError:
            continue
        stats.append((path, st.st_mtime_ns, st.st_size))
    key = tuple(stats)
    found = _source_digests.get(key)
    if found is None:
        chunks = []
        for path, _, _ in stats:
            with open(path, "rb") as f:
                chunks.append(path.encode("utf-8", "surrogatepass") + b"\0" + blake3_hex(f.read()).encode())
        found = _source_digests[key] = blake3_hex(b"\0".join(chunks))[:16]
    return found


@functools.lru_cache(maxsize=1)
def _packages_distributions() -> dict[str, list[str]]:
    """Which distributions provide each import name. Reading every installed
    distribution's file list costs ~0.2 s, the largest part of a fresh process's
    first submit: the answer is kept in the user's cache folder, under the
    modification times of the folders on ``sys.path`` (installing, upgrading or
    removing a distribution adds or removes its ``.dist-info`` folder there). Only the
    folders that hold distributions count: a project's folder changes at every save."""
    state = [sys.executable]
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as names:
                if any(e.name.endswith((".dist-info", ".egg-info")) for e in names):
                    state.append(f"{entry}\0{os.stat(entry or '.').st_mtime_ns}")
        except OSError:
            continue
    key = blake3_hex("\n".join(state).encode("utf-8", "surrogatepass"))[:32]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "scenarium" / f"packages-{key}.json"
    try:
        found = json.loads(cache.read_text())
        if isinstance(found, dict):
            return found
    except (OSError, ValueError):
        pass
    found = {top: list(dists) for top, dists in importlib.metadata.packages_distributions().items()}
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}")
        tmp.write_text(json.dumps(found))
        os.replace(tmp, cache)
    except OSError:
        pass  # a cache that cannot be written costs the scan again next time
    return found


def python_version() -> str:
    return f"{sys.implementation.name} {sys.version_info.major}.{sys.version_info.minor}"
