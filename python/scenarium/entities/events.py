"""Events and subscriptions as Taipy has them: ``Notifier.register`` hands out a queue
that receives an ``Event`` for each creation, update, deletion and submission of an
entity (``CoreEventConsumerBase`` reads it on a thread of its own), and
``subscribe_scenario`` / ``subscribe_sequence`` callbacks are called with
``(scenario, job, *params)`` on each status change of a job of the scenario.

Both live in this process, as Taipy's do: a callback is Python code, not data.

Example:
    >>> from scenarium.entities.events import EventEntityType, Notifier
    >>> registration, events = Notifier.register(entity_type=EventEntityType.DATA_NODE)
    >>> scenario.payment_threshold.write(1300)
    >>> event = events.get(timeout=1)
    >>> event.entity_type.name, event.operation.name, event.attribute_name
    ('DATA_NODE', 'UPDATE', 'last_edit_date')
    >>> Notifier.unregister(registration)
"""

from __future__ import annotations

import enum
import queue
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable


class EventEntityType(enum.Enum):
    CYCLE = 1
    SCENARIO = 2
    SEQUENCE = 3
    TASK = 4
    DATA_NODE = 5
    JOB = 6
    SUBMISSION = 7


class EventOperation(enum.Enum):
    CREATION = 1
    UPDATE = 2
    DELETION = 3
    SUBMISSION = 4


@dataclass(frozen=True)
class Event:
    """Something that happened to an entity."""

    entity_type: EventEntityType
    operation: EventOperation
    entity_id: str | None = None
    attribute_name: str | None = None
    attribute_value: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)
    creation_date: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


@dataclass(frozen=True)
class _Registration:
    queue: queue.SimpleQueue[Event]
    entity_type: EventEntityType | None
    entity_id: str | None
    operation: EventOperation | None
    attribute_name: str | None

    def wants(self, event: Event) -> bool:
        return (
            self.entity_type in (None, event.entity_type)
            and self.entity_id in (None, event.entity_id)
            and self.operation in (None, event.operation)
            and self.attribute_name in (None, event.attribute_name)
        )


class _Consumed:
    """How far a running consumer is in its queue: what was put, what it processed."""

    def __init__(self, thread: threading.Thread) -> None:
        self.thread = thread
        self.changed = threading.Condition()
        self.put = 0
        self.done = 0

    def wait(self, target: int) -> None:
        """Until the consumer processed ``target`` events, or CONSUMER_WAIT_S passed."""
        with self.changed:
            self.changed.wait_for(lambda: self.done >= target, timeout=CONSUMER_WAIT_S)


# The queues a consumer thread reads now (by id): publish waits for them (see Notifier.publish).
_consumed: dict[int, _Consumed] = {}
# How long publishing waits for a consumer to process one event before it goes on.
CONSUMER_WAIT_S = 2.0


class Notifier:
    """Where events are published; a registration receives the ones it asks for."""

    _registrations: dict[str, _Registration] = {}
    _lock = threading.Lock()

    @classmethod
    def register(
        cls,
        entity_type: EventEntityType | None = None,
        entity_id: str | None = None,
        operation: EventOperation | None = None,
        attribute_name: str | None = None,
    ) -> tuple[str, queue.SimpleQueue[Event]]:
        """A registration id and the queue its events arrive in (None: any)."""
        registration_id = f"REGISTRATION_{uuid.uuid4()}"
        events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        with cls._lock:
            cls._registrations[registration_id] = _Registration(
                events, entity_type, entity_id, operation, attribute_name
            )
        return registration_id, events

    @classmethod
    def unregister(cls, registration_id: str) -> None:
        with cls._lock:
            cls._registrations.pop(registration_id, None)

    @classmethod
    def publish(cls, event: Event) -> None:
        """Puts the event in every registration that wants it, then waits (up to
        ``CONSUMER_WAIT_S``) for each running consumer to process it: what a consumer
        prints comes in order with what the program and its tasks print, as Taipy's
        slower publishing made it in practice, instead of racing with them."""
        with cls._lock:
            wanted = [r.queue for r in cls._registrations.values() if r.wants(event)]
        waits = []
        for events in wanted:
            consumed = _consumed.get(id(events))
            if consumed is not None and consumed.thread is not threading.current_thread():
                with consumed.changed:
                    consumed.put += 1
                    waits.append((consumed, consumed.put))
            events.put(event)
        for consumed, target in waits:
            consumed.wait(target)


def publish(
    entity_type: EventEntityType,
    operation: EventOperation,
    entity_id: str | None,
    attribute_name: str | None = None,
    attribute_value: Any = None,
    **metadata: Any,
) -> None:
    """Publishes an event, cheaply when nobody listens."""
    if Notifier._registrations:
        Notifier.publish(Event(entity_type, operation, entity_id, attribute_name, attribute_value, metadata))


class CoreEventConsumerBase(threading.Thread):
    """Reads a registration's queue on its own thread and hands each event to
    ``process_event``, which a subclass defines (Taipy's consumer)."""

    def __init__(self, registration_id: str, queue: queue.SimpleQueue[Event]) -> None:
        super().__init__(name=f"scenarium-events-{registration_id}", daemon=True)
        self._registration_id = registration_id
        self.queue = queue
        self._stopped = threading.Event()

    def run(self) -> None:
        consumed = _consumed.setdefault(id(self.queue), _Consumed(self))
        try:
            while not self._stopped.is_set():
                try:
                    event = self.queue.get(timeout=0.1)
                except Exception:  # noqa: BLE001  (queue.Empty: look at the stop flag again)
                    continue
                try:
                    self.process_event(event)
                finally:
                    with consumed.changed:
                        consumed.done += 1
                        consumed.changed.notify_all()
        finally:
            _consumed.pop(id(self.queue), None)

    def process_event(self, event: Event) -> None:
        raise NotImplementedError("a consumer defines process_event(event)")

    def stop(self) -> None:
        self._stopped.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join()


# Subscriptions: (callback, params) per scenario or sequence id. Subscribing "to all"
# subscribes each scenario that exists then, as Taipy does.
_subscribers: dict[str, list[tuple[Callable[..., Any], list[Any]]]] = {}
_subscribers_lock = threading.Lock()


def subscribe(callback: Callable[..., Any], params: list[Any] | None, entity_ids: list[str]) -> None:
    with _subscribers_lock:
        for entity_id in entity_ids:
            _subscribers.setdefault(entity_id, []).append((callback, list(params or [])))


def unsubscribe(callback: Callable[..., Any], params: list[Any] | None, entity_ids: list[str]) -> None:
    """Removes a subscription of ``callback`` (with ``params`` when given) from each entity."""
    with _subscribers_lock:
        for entity_id in entity_ids:
            found = _subscribers.get(entity_id, [])
            for i, (subscribed, subscribed_params) in enumerate(found):
                if subscribed == callback and (params is None or subscribed_params == list(params)):
                    del found[i]
                    break


def subscribers(entity_id: str) -> list[tuple[Callable[..., Any], list[Any]]]:
    with _subscribers_lock:
        return list(_subscribers.get(entity_id, []))
