"""Taipy's ``taipy.common`` module names, so that code importing from there runs by
changing ``taipy`` to ``scenarium`` (``from scenarium.common.config import Config``)."""
