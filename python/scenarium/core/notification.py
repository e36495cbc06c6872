"""``taipy.core.notification``: the Notifier, its events and consumers."""

from scenarium._events import CoreEventConsumerBase, Event, EventEntityType, EventOperation, Notifier

__all__ = ["CoreEventConsumerBase", "Event", "EventEntityType", "EventOperation", "Notifier"]
