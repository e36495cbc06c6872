"""The configuration: ``Config`` (``facade``), the objects it makes and their state
(``model``), that state as the core's configuration model (``document``), Taipy TOML
files (``toml``), ``Config.check()`` (``check``) and how a configuration draws itself
(``html``). May use ``display``, ``storage``, ``identity`` and below; this module only
names what users import from ``scenarium.config``.
"""

from scenarium.config.facade import Config
from scenarium.config.model import (
    STORAGE_TYPES,
    CoreConfig,
    DataNodeConfig,
    Frequency,
    GlobalAppConfig,
    JobConfig,
    ScenarioConfig,
    Scope,
    TaskConfig,
)

__all__ = [
    "STORAGE_TYPES",
    "Config",
    "CoreConfig",
    "DataNodeConfig",
    "Frequency",
    "GlobalAppConfig",
    "JobConfig",
    "ScenarioConfig",
    "Scope",
    "TaskConfig",
]
