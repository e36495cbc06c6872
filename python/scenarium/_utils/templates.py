"""Taipy's configuration templates: a value written ``"ENV[VAR]"`` (or ``"ENV[VAR]:int"``,
``:float``, ``:bool``) stands for an environment variable, read when the value is used,
so that a password is neither in the code nor in the registry.

Example:
    >>> import os
    >>> os.environ["NB_USERS"] = "3"
    >>> resolve_env("ENV[NB_USERS]:int")
    3
"""

from __future__ import annotations

import os
import re
from typing import Any

from scenarium.exceptions import MissingEnvVariableError

_ENV_TEMPLATE = re.compile(r"^ENV\[([^\]]+)\](?::(str|int|float|bool))?$")


def resolve_env(value: Any) -> Any:
    """``value``, or the environment variable it names when it is a template; a
    variable that is not set raises MissingEnvVariableError naming it."""
    match = _ENV_TEMPLATE.match(value) if isinstance(value, str) else None
    if not match:
        return value
    name, kind = match.group(1), match.group(2) or "str"
    if name not in os.environ:
        raise MissingEnvVariableError(f"environment variable {name} is not set (the configuration reads {value!r})")
    text = os.environ[name]
    if kind == "bool":
        return text.strip().lower() in ("true", "1", "yes", "on")
    return {"str": str, "int": int, "float": float}[kind](text)


def resolved(properties: dict[str, Any]) -> dict[str, Any]:
    """A data node's properties as they are used: templates read from the environment."""
    return {key: resolve_env(value) for key, value in properties.items()}
