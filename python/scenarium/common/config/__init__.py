"""``taipy.common.config``: the ``Config`` singleton and the enums it takes.

Example:
    >>> from scenarium.common.config import Config, Frequency, Scope
    >>> Scope.GLOBAL.name, Frequency.MONTHLY.name
    ('GLOBAL', 'MONTHLY')
"""

from scenarium import Config, Frequency, Scope
from scenarium.config import GlobalAppConfig

__all__ = ["Config", "Frequency", "GlobalAppConfig", "Scope"]
