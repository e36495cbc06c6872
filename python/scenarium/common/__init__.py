"""Taipy's ``taipy.common`` module names, so that code importing from there runs by
changing ``taipy`` to ``scenarium`` (``from scenarium.common.config import Config``)."""

from scenarium import _taipy_paths

# Taipy's other names of this module (and its submodules), found when first used.
__getattr__, __dir__ = _taipy_paths.names_of(__name__)
_taipy_paths.install()  # scenarium.core.taipy, scenarium.core.data.csv... (Taipy's module paths)
