"""``taipy.core.config``: the ``Config`` singleton and the configuration classes.

Example:
    >>> from scenarium.core.config import Config, DataNodeConfig
    >>> isinstance(Config.configure_data_node("threshold", default_data=1), DataNodeConfig)
    True
"""

from scenarium import Config, DataNodeConfig, Frequency, ScenarioConfig, Scope, TaskConfig

__all__ = ["Config", "DataNodeConfig", "Frequency", "ScenarioConfig", "Scope", "TaskConfig"]
