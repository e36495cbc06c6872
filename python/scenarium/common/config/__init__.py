"""``taipy.common.config``: the ``Config`` singleton and the enums it takes.

Example:
    >>> from scenarium.common.config import Config, Frequency, Scope
    >>> Scope.GLOBAL.name, Frequency.MONTHLY.name
    ('GLOBAL', 'MONTHLY')
"""

from scenarium import Config, Frequency, Scope, _taipy_paths
from scenarium.config import GlobalAppConfig

__all__ = ["Config", "Frequency", "GlobalAppConfig", "Scope"]

# Taipy's other names of this module (and its submodules), found when first used.
__getattr__, __dir__ = _taipy_paths.names_of(__name__)
