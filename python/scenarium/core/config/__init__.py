"""``taipy.core.config``: the ``Config`` singleton and the configuration classes.

Example:
    >>> from scenarium.core.config import Config, DataNodeConfig
    >>> isinstance(Config.configure_data_node("threshold", default_data=1), DataNodeConfig)
    True
"""

from scenarium import Config, DataNodeConfig, Frequency, ScenarioConfig, Scope, TaskConfig, _taipy_paths

__all__ = ["Config", "DataNodeConfig", "Frequency", "ScenarioConfig", "Scope", "TaskConfig"]

# Taipy's other names of this module (and its submodules), found when first used.
__getattr__, __dir__ = _taipy_paths.names_of(__name__)
