"""``taipy.core.notification``: the Notifier, its events and consumers."""

from scenarium import _taipy_paths
from scenarium.entities.events import CoreEventConsumerBase, Event, EventEntityType, EventOperation, Notifier

__all__ = ["CoreEventConsumerBase", "Event", "EventEntityType", "EventOperation", "Notifier"]

# Taipy's other names of this module (and its submodules), found when first used.
__getattr__, __dir__ = _taipy_paths.names_of(__name__)
